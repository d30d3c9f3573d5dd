//! Access requests executed for real against PostgreSQL and SQLite customer databases with the
//! shape of Fides' sample project: exact rows, category filtering, isolation between subjects,
//! injection attempts, encryption, redaction, CSV packages, failures and retries.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use std::io::Read;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::shop::{
    CustomerDb, Kind, create_request, download_packages, kinds, register, retry_request, wait_done,
};
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

fn package(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// SQLite has no boolean type and MySQL's BOOLEAN is TINYINT(1): `TRUE` reads back as 1.
fn boolean(kind: Kind, value: bool) -> Value {
    match kind {
        Kind::Postgres => json!(value),
        Kind::Mariadb | Kind::Sqlite => json!(i32::from(value)),
    }
}

#[actix_web::test]
async fn access_requests_return_exactly_the_subjects_rows_from_postgres_and_sqlite() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;

        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
        )
        .await;
        assert!(id.starts_with("pri_") && uuid_like(&id[4..]), "{id}");
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{kind:?}: {done}");
        assert!(done["finished_processing_at"].is_string());

        let packages = download_packages(&service, &root, &id).await;
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].0, "application/json");
        let got = package(&packages[0].1);
        let expected = json!({
            "shop_db:address": [
                {"city": "Exampletown", "house": 123, "state": "NY", "street": "Example Street", "zip": "12345"},
                {"city": "Exampletown", "house": 4, "state": "NY", "street": "Example Lane", "zip": "12321"}
            ],
            "shop_db:customer": [{"email": "customer-1@example.com", "id": 1, "name": "John Customer"}],
            "shop_db:employee": [],
            "shop_db:login": [
                {"customer_id": 1, "time": "2021-01-01T01:00:00"}, {"customer_id": 1, "time": "2021-01-02T01:00:00"},
                {"customer_id": 1, "time": "2021-01-03T01:00:00"}, {"customer_id": 1, "time": "2021-01-04T01:00:00"},
                {"customer_id": 1, "time": "2021-01-05T01:00:00"}, {"customer_id": 1, "time": "2021-01-06T01:00:00"}
            ],
            "shop_db:orders": [{"customer_id": 1}, {"customer_id": 1}, {"customer_id": 1}],
            "shop_db:payment_card": [
                {"ccn": 123456789, "code": 321, "customer_id": 1, "name": "Example Card 1", "preferred": boolean(kind, true)}
            ],
            "shop_db:report": [],
            "shop_db:service_request": [{"alt_email": "customer-1-alt@example.com", "employee_id": 1}],
            "shop_db:visit": [{"email": "customer-1@example.com"}]
        });
        assert_eq!(sorted_rows(got), sorted_rows(expected), "{kind:?}");

        // The execution log names every collection queried, with the fields returned.
        let log = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/log?size=100")).insert_header(bearer(&root)),
        )
        .await;
        let collections: Vec<&str> =
            log.body["items"].as_array().unwrap().iter().filter_map(|l| l["collection_name"].as_str()).collect();
        for collection in
            ["customer", "address", "orders", "payment_card", "login", "visit", "service_request", "employee", "report"]
        {
            assert!(collections.contains(&collection), "{collection} missing from {collections:?}");
        }
        assert!(
            !collections.contains(&"product") && !collections.contains(&"order_item"),
            "untargeted leaves are not queried"
        );
        let customer_log =
            log.body["items"].as_array().unwrap().iter().find(|l| l["collection_name"] == "customer").unwrap();
        assert_eq!(customer_log["status"], "complete");
        assert_eq!(customer_log["dataset_name"], "shop_db");
        assert_eq!(customer_log["connection_key"], "shop");
        assert_eq!(customer_log["fields_affected"][0]["path"], "shop_db:customer:email");
        assert!(done["results"]["shop_db"].as_array().unwrap().len() >= 9, "verbose results group logs by dataset");
    }
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4
}

/// Rows within each collection sorted, so backends' row order does not matter.
fn sorted_rows(package: Value) -> Value {
    let mut out = serde_json::Map::new();
    for (key, rows) in package.as_object().unwrap() {
        let mut rows: Vec<Value> = rows.as_array().unwrap().clone();
        rows.sort_by_key(|r| r.to_string());
        out.insert(key.clone(), Value::Array(rows));
    }
    Value::Object(out)
}

#[actix_web::test]
async fn rules_return_only_their_categories_and_other_subjects_never_leak() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        let policy = |body: Value, uri: &str| TestRequest::patch().uri(uri).insert_header(bearer(&root)).set_json(body);
        send(&service, policy(json!([{"key": "contact", "name": "Contact only"}]), "/api/v1/dsr/policy")).await;
        send(
            &service,
            policy(
                json!([{"key": "contact_rule", "name": "Contact", "action_type": "access"}]),
                "/api/v1/dsr/policy/contact/rule",
            ),
        )
        .await;
        send(
            &service,
            policy(
                json!([{"data_category": "user.contact.email"}, {"data_category": "user.name"}]),
                "/api/v1/dsr/policy/contact/rule/contact_rule/target",
            ),
        )
        .await;

        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "customer-2@example.com"}, "policy_key": "contact"}),
        )
        .await;
        assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
        let got = package(&download_packages(&service, &root, &id).await[0].1);
        assert_eq!(
            got,
            json!({
                "shop_db:customer": [{"email": "customer-2@example.com", "name": "Jill Customer"}],
                "shop_db:employee": [],
                "shop_db:report": [],
                "shop_db:service_request": [{"alt_email": null}],
                "shop_db:visit": [{"email": "customer-2@example.com"}]
            }),
            "{kind:?}"
        );

        // Another subject's request sees none of customer 1's rows.
        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "jane@example.com"}, "policy_key": "default_access_policy"}),
        )
        .await;
        assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
        let text = String::from_utf8(download_packages(&service, &root, &id).await[0].1.clone()).unwrap();
        for foreign in
            ["customer-1", "John", "Jill", "Example Card 1", "Example Card 2", "Example Street", "Example Lane"]
        {
            assert!(!text.contains(foreign), "{kind:?}: {foreign} leaked into {text}");
        }
        assert!(text.contains("Example Mountain") && text.contains("Example Card 3"));
    }
}

#[actix_web::test]
async fn injection_attempts_in_identities_are_plain_values() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        for email in ["x'or'1'='1@example.com", "a\"b);drop_table_customer;--@example.com", "customer-1@example.com'--"]
        {
            let id = create_request(
                &service,
                &root,
                json!({"identity": {"email": email}, "policy_key": "default_access_policy"}),
            )
            .await;
            let done = wait_done(&service, &root, &id).await;
            assert_eq!(done["status"], "complete", "{kind:?} {email}: {done}");
            let got = package(&download_packages(&service, &root, &id).await[0].1);
            for (key, rows) in got.as_object().unwrap() {
                assert_eq!(rows, &json!([]), "{kind:?} {email}: {key} returned rows");
            }
        }
        // The tables are all still there.
        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
        )
        .await;
        assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
    }
}

#[actix_web::test]
async fn encrypted_packages_decrypt_with_the_requesters_key_as_the_spec_shows() {
    let (_app, service, root) = lethe_tests::ready().await;
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy", "encryption_key": "test--encryption"}),
    )
    .await;
    assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
    let packages = download_packages(&service, &root, &id).await;
    let encrypted = String::from_utf8(packages[0].1.clone()).unwrap();
    assert!(!encrypted.contains("customer-1"), "the package is not readable without the key");
    let plain = crypto::results::decrypt(b"test--encryption", &encrypted).unwrap();
    let got = package(&plain);
    assert_eq!(got["shop_db:customer"][0]["name"], "John Customer");

    // The spec's Python sample, unchanged but for its inputs.
    if let Some(output) = run_python_sample(&encrypted) {
        assert_eq!(serde_json::from_str::<Value>(&output).unwrap(), got);
    }
}

/// Runs the spec's decryption sample with the python3 `LETHE_TEST_PYTHON` names (CI installs
/// `cryptography` and sets it); `None`, with a line saying so, when it is unset.
fn run_python_sample(encrypted: &str) -> Option<String> {
    let script = format!(
        r#"import json
import base64
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

encrypted: str = "{encrypted}"
encryption_key: str = "test--encryption".encode("utf-8")  # Your private encryption string

encrypted_combined: bytes = base64.b64decode(encrypted)
nonce: bytes = encrypted_combined[0:12]
encrypted_message: bytes = encrypted_combined[12:]
gcm = AESGCM(encryption_key)

decrypted_bytes: bytes = gcm.decrypt(nonce, encrypted_message, nonce)
decrypted_str: str = decrypted_bytes.decode("utf-8")
print(decrypted_str)
"#
    );
    let python = db::testing::outside_service(
        "LETHE_TEST_PYTHON",
        "the spec's Python decryption sample (a python3 with the `cryptography` package)",
    )?;
    let output = std::process::Command::new(&python).args(["-c", &script]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    Some(String::from_utf8(output.stdout).unwrap())
}

#[actix_web::test]
async fn redaction_renames_names_in_json_and_csv_packages_but_never_values() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        let patterns = send(
            &service,
            TestRequest::put()
                .uri("/api/v1/privacy-request/redaction-patterns")
                .insert_header(bearer(&root))
                .set_json(json!({"patterns": ["payment", "^ccn$"]})),
        )
        .await;
        assert_eq!(patterns.status, StatusCode::OK, "{:?}", patterns.body);

        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
        )
        .await;
        assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
        let got = package(&download_packages(&service, &root, &id).await[0].1);
        let keys: Vec<&str> = got.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(!keys.iter().any(|k| k.contains("payment")), "{keys:?}");
        // payment_card is the 6th collection of shop_db in the package.
        let card = &got["shop_db:collection_6"][0];
        assert_eq!(card["field_1"], 123456789, "ccn renamed by position, value unchanged: {card}");
        assert_eq!(card["name"], "Example Card 1");

        // CSV packages are renamed the same way.
        send(
            &service,
            TestRequest::patch().uri("/api/v1/storage/config").insert_header(bearer(&root)).set_json(json!([
                {"key": "csv_store", "name": "CSV", "type": "local", "format": "csv"}
            ])),
        )
        .await;
        send(&service, TestRequest::patch().uri("/api/v1/dsr/policy/default_access_policy/rule").insert_header(bearer(&root)).set_json(json!([
            {"key": "default_access_policy_rule", "name": "Default Access Rule", "action_type": "access", "storage_destination_key": "csv_store"}
        ])))
        .await;
        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
        )
        .await;
        assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
        let packages = download_packages(&service, &root, &id).await;
        assert_eq!(packages[0].0, "application/zip");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(packages[0].1.clone())).unwrap();
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        assert!(names.contains(&"shop_db:collection_6.csv".to_owned()), "{names:?}");
        assert!(names.contains(&"shop_db:customer.csv".to_owned()), "{names:?}");
        let mut csv = String::new();
        archive.by_name("shop_db:collection_6.csv").unwrap().read_to_string(&mut csv).unwrap();
        assert_eq!(csv.lines().next().unwrap(), "field_1,code,customer_id,name,preferred");
        let preferred = if kind == Kind::Postgres { "true" } else { "1" };
        assert!(csv.contains(&format!("123456789,321,1,Example Card 1,{preferred}")), "{kind:?}: {csv}");
    }
}

#[actix_web::test]
async fn a_request_failing_on_a_down_database_completes_after_the_connection_is_fixed() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        let wrong = db.unreachable_secrets();
        let put = |secrets: Value| {
            TestRequest::put().uri("/api/v1/connection/shop/secret").insert_header(bearer(&root)).set_json(secrets)
        };
        send(&service, put(wrong)).await;

        let id = create_request(&service, &root, json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy", "external_id": "ticket-7"})).await;
        let failed = wait_done(&service, &root, &id).await;
        assert_eq!(failed["status"], "error");
        assert_eq!(failed["resume_endpoint"], format!("/privacy-request/{id}/retry"));
        assert_eq!(failed["action_required_details"]["step"], "access");
        let collection = failed["action_required_details"]["collection"].as_str().unwrap();
        assert!(collection.starts_with("shop_db:"), "{collection}");
        let log = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/log")).insert_header(bearer(&root)),
        )
        .await;
        let error = log.body["items"].as_array().unwrap().iter().find(|l| l["status"] == "error").unwrap();
        assert!(error["message"].as_str().unwrap().contains(db.unreachable_reason()), "{kind:?}: {error}");
        let not_yet = send(
            &service,
            TestRequest::get()
                .uri(&format!("/api/v1/privacy-request/{id}/access-results"))
                .insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(not_yet.status, StatusCode::BAD_REQUEST);

        send(&service, put(db.secrets())).await;
        retry_request(&service, &root, &id).await;
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{done}");
        assert_eq!(done["action_required_details"], Value::Null);
        let got = package(&download_packages(&service, &root, &id).await[0].1);
        assert_eq!(got["shop_db:customer"][0]["email"], "customer-1@example.com");

        let again = send(
            &service,
            TestRequest::post().uri(&format!("/api/v1/privacy-request/{id}/retry")).insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            again.body["detail"],
            format!("Cannot restart privacy request from failure: privacy request '{id}' status = complete.")
        );
    }
}

#[actix_web::test]
async fn unreachable_collections_fail_the_request_naming_them() {
    let (_app, service, root) = lethe_tests::ready().await;
    let db = CustomerDb::create(Kind::Sqlite);
    db.execute("CREATE TABLE orphan (id INTEGER PRIMARY KEY, nickname TEXT)");
    register(&service, &root, &db, "shop", "shop_db").await;
    let orphan = json!([{"fides_key": "orphans", "collections": [{"name": "orphan", "fields": [
        {"name": "id"}, {"name": "nickname", "data_categories": ["user.name"]}]}]}]);
    let uploaded = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection/shop/dataset").insert_header(bearer(&root)).set_json(orphan),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{:?}", uploaded.body);

    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    let failed = wait_done(&service, &root, &id).await;
    assert_eq!(failed["status"], "error");
    let logs = &failed["results"]["Dataset traversal"];
    assert_eq!(logs[0]["status"], "error");
    assert_eq!(logs[0]["message"], "Some nodes were not reachable: orphans:orphan");
}

#[actix_web::test]
async fn a_failed_upload_is_retried_from_the_stored_results_without_querying_again() {
    let app = TestApp::with(|s| s.jobs.workers = 0);
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;

    // A file where the request's package directory should be makes the upload fail.
    let blocker = app.app.settings().storage_path().join(&id);
    std::fs::write(&blocker, b"in the way").unwrap();
    app.state().requests.execute(&id).unwrap();
    let failed = send(
        &service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}?verbose=true")).insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(failed.body["status"], "error");
    assert_eq!(failed.body["action_required_details"]["step"], "upload_access");
    let upload_log = &failed.body["results"]["Access package upload"][0];
    assert!(upload_log["message"].as_str().unwrap().starts_with("Access package upload failed"), "{upload_log}");

    // The customer's data changes meanwhile: the retry packages what was found, without new queries.
    db.execute("UPDATE customer SET name = 'Changed Name' WHERE id = 1");
    std::fs::remove_file(&blocker).unwrap();
    retry_request(&service, &root, &id).await;
    app.state().requests.execute(&id).unwrap();
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    let got = package(&download_packages(&service, &root, &id).await[0].1);
    assert_eq!(got["shop_db:customer"][0]["name"], "John Customer");
    let customer_logs =
        done["results"]["shop_db"].as_array().unwrap().iter().filter(|l| l["collection_name"] == "customer").count();
    assert_eq!(customer_logs, 1, "customer was queried once");
}
