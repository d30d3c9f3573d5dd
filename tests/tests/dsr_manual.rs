//! Manual privacy requests (spec 001): a manual_request connection's fields, requests stopping
//! at requires_input, uploads, resumption, and the uploaded data in the package beside the
//! data found in the real customer database.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::shop::{CustomerDb, Kind, create_request, download_packages, register, wait_done, wait_status};
use lethe_tests::{bearer, send};
use serde_json::{Value, json};

async fn manual_connection<S, B>(service: &S, root: &str, key: &str, connection_type: &str)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let created = send(
        service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(root)).set_json(json!([
            {"name": "Manual privacy request ConnectionConfig", "key": key, "connection_type": connection_type, "access": "read"}
        ])),
    )
    .await;
    assert_eq!(created.body["failed"], json!([]), "{:?}", created.body);
    assert_eq!(created.body["succeeded"][0]["connection_type"], "manual_request");
}

#[actix_web::test]
async fn manual_request_fields_default_labels_and_reject_empty_or_repeated_names() {
    let (_app, service, root) = lethe_tests::ready().await;
    manual_connection(&service, &root, "manual_request_key", "manual_request").await;
    let fields = json!({"fields": [
        {"pii_field": "First Name", "dsr_package_label": "first_name"},
        {"pii_field": "Last Name", "dsr_package_label": "last_name"},
        {"pii_field": "Phone Number", "dsr_package_label": null},
        {"pii_field": "Height", "dsr_package_label": "height"}
    ]});
    let saved = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/connection/manual_request_key/access_manual_request")
            .insert_header(bearer(&root))
            .set_json(&fields),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.body["fields"][2], json!({"pii_field": "Phone Number", "dsr_package_label": "phone_number"}));
    let got = send(
        &service,
        TestRequest::get()
            .uri("/api/v1/connection/manual_request_key/access_manual_request")
            .insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(got.body["fields"], saved.body["fields"]);
    assert_eq!(got.body["connection_key"], "manual_request_key");

    let bad = |body: Value| {
        TestRequest::patch()
            .uri("/api/v1/connection/manual_request_key/access_manual_request")
            .insert_header(bearer(&root))
            .set_json(body)
    };
    let empty = send(&service, bad(json!({"fields": []}))).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["detail"][0]["loc"], json!(["body", "fields"]));
    let repeated = send(
        &service,
        bad(json!({"fields": [{"pii_field": "Email"}, {"pii_field": "Email", "dsr_package_label": "e2"}]})),
    )
    .await;
    assert_eq!(repeated.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(repeated.body["detail"][0]["loc"], json!(["body", "fields", 1, "pii_field"]));
    let labels = send(&service, bad(json!({"fields": [{"pii_field": "Phone Number"}, {"pii_field": "Phone", "dsr_package_label": "phone_number"}]}))).await;
    assert_eq!(labels.body["detail"][0]["loc"], json!(["body", "fields", 1, "dsr_package_label"]));
    let blank = send(&service, bad(json!({"fields": [{"pii_field": "  "}]}))).await;
    assert_eq!(blank.body["detail"][0]["loc"], json!(["body", "fields", 0, "pii_field"]));

    // Fides' names: manual_webhook connections and access_manual_webhook paths.
    manual_connection(&service, &root, "legacy", "manual_webhook").await;
    let legacy = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/connection/legacy/access_manual_webhook")
            .insert_header(bearer(&root))
            .set_json(json!({"fields": [{"pii_field": "Loyalty Tier"}]})),
    )
    .await;
    assert_eq!(legacy.body["fields"][0]["dsr_package_label"], "loyalty_tier", "{:?}", legacy.body);

    // Not a manual connection; no such connection.
    let db = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
            {"key": "db", "name": "db", "connection_type": "sqlite", "access": "write"}
        ])),
    )
    .await;
    assert_eq!(db.status, StatusCode::OK);
    let wrong = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/connection/db/access_manual_request")
            .insert_header(bearer(&root))
            .set_json(&fields),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let missing = send(
        &service,
        TestRequest::get().uri("/api/v1/connection/nope/access_manual_request").insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // A manual connection takes no secrets.
    let secrets = send(
        &service,
        TestRequest::put()
            .uri("/api/v1/connection/legacy/secret")
            .insert_header(bearer(&root))
            .set_json(json!({"x": 1})),
    )
    .await;
    assert_eq!(secrets.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn a_request_waits_for_manual_input_and_carries_it_in_the_package() {
    let (_app, service, root) = lethe_tests::ready().await;
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "postgres_example").await;
    manual_connection(&service, &root, "manual_request_key", "manual_request").await;
    manual_connection(&service, &root, "crm_export", "manual_request").await;
    for (key, fields) in [
        (
            "manual_request_key",
            json!([{"pii_field": "First Name", "dsr_package_label": "first_name"},
            {"pii_field": "Last Name", "dsr_package_label": "last_name"}, {"pii_field": "Phone Number"}, {"pii_field": "Height"}]),
        ),
        ("crm_export", json!([{"pii_field": "Segment"}])),
    ] {
        let saved = send(
            &service,
            TestRequest::patch()
                .uri(&format!("/api/v1/connection/{key}/access_manual_request"))
                .insert_header(bearer(&root))
                .set_json(json!({"fields": fields})),
        )
        .await;
        assert_eq!(saved.status, StatusCode::OK);
    }

    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    let waiting = wait_status(&service, &root, &id, &["requires_input", "complete", "error"]).await;
    assert_eq!(waiting["status"], "requires_input", "{waiting}");
    assert_eq!(waiting["resume_endpoint"], format!("/privacy-request/{id}/resume_from_requires_input"));

    let resume = || {
        TestRequest::post()
            .uri(&format!("/api/v1/privacy-request/{id}/resume_from_requires_input"))
            .insert_header(bearer(&root))
    };
    let early = send(&service, resume()).await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    let detail = early.body["detail"].as_str().unwrap();
    assert!(detail.contains("crm_export") && detail.contains("manual_request_key"), "{detail}");

    let upload = |key: &str, body: Value| {
        TestRequest::patch()
            .uri(&format!("/api/v1/privacy-request/{id}/access_manual_request/{key}"))
            .insert_header(bearer(&root))
            .set_json(body)
    };
    let unknown = send(&service, upload("manual_request_key", json!({"first_name": "Jane", "shoe_size": 38}))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["detail"][0]["loc"], json!(["body", "shoe_size"]));
    let nested = send(&service, upload("manual_request_key", json!({"first_name": {"x": 1}}))).await;
    assert_eq!(nested.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stored =
        send(&service, upload("manual_request_key", json!({"first_name": "Jane", "last_name": "Customer"}))).await;
    assert_eq!(stored.status, StatusCode::OK, "{:?}", stored.body);
    let view = send(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/privacy-request/{id}/access_manual_request/manual_request_key"))
            .insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(
        view.body,
        json!({"checked": true, "fields": {"first_name": "Jane", "last_name": "Customer", "phone_number": null, "height": null}})
    );
    let unchecked = send(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/privacy-request/{id}/access_manual_webhook/crm_export"))
            .insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(unchecked.body, json!({"checked": false, "fields": {"segment": null}}));
    let still = send(&service, resume()).await;
    assert_eq!(still.status, StatusCode::BAD_REQUEST);
    assert!(still.body["detail"].as_str().unwrap().contains("crm_export"));
    // "{}" means: searched, nothing found.
    let nothing = send(&service, upload("crm_export", json!({}))).await;
    assert_eq!(nothing.status, StatusCode::OK);

    let resumed = send(&service, resume()).await;
    assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
    assert_eq!(resumed.body["status"], "in_processing");
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    let package: Value = serde_json::from_slice(&download_packages(&service, &root, &id).await[0].1).unwrap();
    assert_eq!(package["manual_request_key"], json!([{"first_name": "Jane", "last_name": "Customer"}]));
    assert_eq!(package["crm_export"], json!([]));
    assert_eq!(package["postgres_example:customer"][0]["name"], "John Customer", "graph data beside manual data");

    // Uploads only while requires_input; resume only from it.
    let late = send(&service, upload("manual_request_key", json!({"first_name": "X"}))).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.body["detail"].as_str().unwrap().contains("status = complete"), "{:?}", late.body);
    assert_eq!(send(&service, resume()).await.status, StatusCode::BAD_REQUEST);

    // A disabled manual request is not waited for; an erasure-only policy never waits.
    let disabled = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
            {"key": "crm_export", "name": "crm_export", "connection_type": "manual_request", "access": "read", "disabled": true}
        ])),
    )
    .await;
    assert_eq!(disabled.status, StatusCode::OK);
    let second = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-2@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    let waiting = wait_status(&service, &root, &second, &["requires_input", "complete", "error"]).await;
    assert_eq!(waiting["status"], "requires_input");
    let log = send(
        &service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{second}/log")).insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(log.body["items"][0]["message"], "Waiting for manual input: manual_request_key");
    let erasure = create_request(
        &service,
        &root,
        json!({"identity": {"email": "jane@example.com"}, "policy_key": "default_erasure_policy"}),
    )
    .await;
    assert_eq!(wait_done(&service, &root, &erasure).await["status"], "complete");
}
