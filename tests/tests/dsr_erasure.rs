//! Erasure requests executed for real against PostgreSQL and SQLite customer databases: the
//! exact value each masking strategy writes, only the subject's rows and only the targeted
//! fields changed, overrides, read-only fields, data-type gates, erase_after ordering, a
//! read-only connection refused, collections of one store masked together or not at all, and a
//! retry that masks nothing twice.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use crypto::masking::{self as primitives, Algorithm};
use lethe_tests::shop::{
    CustomerDb, create_policy, create_request, kinds, masking_secrets, register, register_with, retry_request,
    wait_done,
};
use lethe_tests::{bearer, send};
use serde_json::{Value, json};

fn secret(secrets: &Value, name: &str) -> String {
    secrets[name].as_str().unwrap().to_owned()
}

fn name_of(db: &CustomerDb, id: i64) -> Option<String> {
    db.text(&format!("SELECT name FROM customer WHERE id = {id}"))
}

#[actix_web::test]
async fn each_masking_strategy_writes_exactly_fides_values_to_the_subjects_rows_only() {
    for kind in kinds() {
        let (app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        let strategies = [
            ("null_rewrite", json!({"strategy": "null_rewrite"})),
            (
                "string_rewrite",
                json!({"strategy": "string_rewrite", "configuration": {"rewrite_value": "MASKED", "format_preservation": {"suffix": "-gone"}}}),
            ),
            ("hash", json!({"strategy": "hash", "configuration": {"algorithm": "SHA-256"}})),
            ("hmac", json!({"strategy": "hmac", "configuration": {"algorithm": "SHA-512"}})),
            ("random_string_rewrite", json!({"strategy": "random_string_rewrite", "configuration": {"length": 12}})),
            ("aes_encrypt", json!({"strategy": "aes_encrypt", "configuration": {"mode": "GCM"}})),
        ];
        for (n, (name, spec)) in strategies.iter().enumerate() {
            // A customer of its own for each strategy, so every value masked is an original (short
            // enough that aes_encrypt's base64 fits the field's length of 40).
            let id = 20 + n as i64;
            db.execute(&format!(
                "INSERT INTO customer VALUES ({id}, 'erase-{name}@example.com', 'Test Name {n}', '2020-04-01T11:47:42', 1)"
            ));
            create_policy(&service, &root, &format!("erase_{name}"), json!([
                {"key": format!("erase_{name}_rule"), "action_type": "erasure", "masking_strategy": spec, "targets": ["user.name"]}
            ]))
            .await;
            let request = create_request(
                &service,
                &root,
                json!({"identity": {"email": format!("erase-{name}@example.com")}, "policy_key": format!("erase_{name}")}),
            )
            .await;
            let done = wait_done(&service, &root, &request).await;
            assert_eq!(done["status"], "complete", "{kind:?} {name}: {done}");
            let original = format!("Test Name {n}");
            let masked = name_of(&db, id);
            let secrets = masking_secrets(&app, &request);
            // customer.name has length 40: longer masks are cut to 40 characters.
            let cut = |s: String| s.chars().take(40).collect::<String>();
            match *name {
                "null_rewrite" => assert_eq!(masked, None),
                "string_rewrite" => assert_eq!(masked.as_deref(), Some("MASKED-gone")),
                "hash" => assert_eq!(
                    masked,
                    Some(cut(primitives::hash_hex(Algorithm::Sha256, &original, &secret(&secrets, "hash_salt"))))
                ),
                "hmac" => assert_eq!(
                    masked,
                    Some(cut(primitives::hmac_hex(
                        Algorithm::Sha512,
                        &secret(&secrets, "hmac_key"),
                        &original,
                        &secret(&secrets, "hmac_salt")
                    )))
                ),
                "random_string_rewrite" => {
                    let text = masked.unwrap();
                    assert!(
                        text.len() == 12 && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                        "{text}"
                    );
                }
                "aes_encrypt" => {
                    let text = masked.unwrap();
                    let key: Vec<u8> = (0..32)
                        .map(|i| u8::from_str_radix(&secret(&secrets, "aes_key")[i * 2..i * 2 + 2], 16).unwrap())
                        .collect();
                    let nonce = primitives::convergent_nonce(
                        &secret(&secrets, "aes_key_hmac"),
                        &secret(&secrets, "aes_salt_hmac"),
                        &original,
                    );
                    let plain = primitives::convergent_decrypt(&key, nonce, &text).unwrap();
                    assert_eq!(String::from_utf8(plain).unwrap(), original, "{kind:?}: aes_encrypt reverses");
                }
                _ => unreachable!(),
            }
            // The erasure log counts the rows masked, by collection.
            let log = send(
                &service,
                TestRequest::get()
                    .uri(&format!("/api/v1/privacy-request/{request}/log?size=100"))
                    .insert_header(bearer(&root)),
            )
            .await;
            let erased: Vec<&Value> =
                log.body["items"].as_array().unwrap().iter().filter(|e| e["action_type"] == "erasure").collect();
            let customer =
                erased.iter().find(|e| e["collection_name"] == "customer").unwrap_or_else(|| panic!("{}", log.body));
            assert!(customer["message"].as_str().unwrap().starts_with("Masked 1 row(s)"), "{customer}");
            assert_eq!(customer["fields_affected"][0]["field_name"], "name");
        }
        // Nobody else's rows changed; the email the subjects were found by is untouched.
        assert_eq!(name_of(&db, 1).as_deref(), Some("John Customer"), "{kind:?}");
        assert_eq!(name_of(&db, 2).as_deref(), Some("Jill Customer"));
        assert_eq!(name_of(&db, 3).as_deref(), Some("Jane Customer"));
        assert_eq!(db.text("SELECT name FROM employee WHERE id = 1").as_deref(), Some("Jack Employee"));
        assert_eq!(
            db.text("SELECT email FROM customer WHERE id = 20").as_deref(),
            Some("erase-null_rewrite@example.com")
        );
    }
}

#[actix_web::test]
async fn erasure_follows_overrides_read_only_fields_data_types_and_finds_rows_without_primary_keys() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        create_policy(&service, &root, "forget_me", json!([
            {"key": "forget_contact", "action_type": "erasure",
             "masking_strategy": {"strategy": "string_rewrite", "configuration": {"rewrite_value": "gone", "format_preservation": {"suffix": "@example.invalid"}}},
             "targets": ["user.contact.email"]},
            {"key": "forget_places_and_cards", "action_type": "erasure",
             "masking_strategy": {"strategy": "null_rewrite"}, "targets": ["user.contact.address", "user.financial"]},
            {"key": "keep_a_copy", "action_type": "access", "targets": ["user.name"]}
        ]))
        .await;
        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "forget_me"}),
        )
        .await;
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{kind:?}: {done}");

        // The access rule's package was written before anything was masked.
        let packages = lethe_tests::shop::download_packages(&service, &root, &id).await;
        let package: Value = serde_json::from_slice(&packages[0].1).unwrap();
        assert_eq!(package["shop_db:customer"], json!([{"name": "John Customer"}]));

        // Emails: the customer's, the visit found by email (no primary key) and the service
        // request's alternative address; not the service request's own email (system data).
        assert_eq!(db.text("SELECT email FROM customer WHERE id = 1").as_deref(), Some("gone@example.invalid"));
        assert_eq!(
            db.text("SELECT email FROM visit WHERE last_visit = '2021-01-06T01:00:00' ORDER BY email LIMIT 1")
                .as_deref(),
            Some("customer-2@example.com"),
            "the other subject's visit is untouched"
        );
        assert_eq!(
            db.text("SELECT CAST(COUNT(*) AS TEXT) FROM visit WHERE email = 'gone@example.invalid'").as_deref(),
            Some("1")
        );
        assert_eq!(
            db.text("SELECT alt_email FROM service_request WHERE id = 'ser_aaa-aaa'").as_deref(),
            Some("gone@example.invalid")
        );
        assert_eq!(
            db.text("SELECT email FROM service_request WHERE id = 'ser_aaa-aaa'").as_deref(),
            Some("customer-1@example.com")
        );
        assert_eq!(db.text("SELECT email FROM customer WHERE id = 2").as_deref(), Some("customer-2@example.com"));

        // Addresses 1 and 2 (customer 1's): null_rewrite, except city's override; the id stays.
        for address in [1, 2] {
            assert_eq!(db.text(&format!("SELECT street FROM address WHERE id = {address}")), None, "{kind:?}");
            assert_eq!(db.text(&format!("SELECT zip FROM address WHERE id = {address}")), None);
            assert_eq!(db.text(&format!("SELECT city FROM address WHERE id = {address}")).as_deref(), Some("Anytown"));
            assert_eq!(
                db.text(&format!("SELECT CAST(id AS TEXT) FROM address WHERE id = {address}")).as_deref(),
                Some(&*address.to_string())
            );
        }
        assert_eq!(db.text("SELECT street FROM address WHERE id = 4").as_deref(), Some("Example Place"));

        // The card: ccn and code nulled; name is read_only; other customers' cards untouched.
        assert_eq!(db.text("SELECT CAST(ccn AS TEXT) FROM payment_card WHERE id = 'pay_aaa-aaa'"), None);
        assert_eq!(db.text("SELECT CAST(code AS TEXT) FROM payment_card WHERE id = 'pay_aaa-aaa'"), None);
        assert_eq!(
            db.text("SELECT name FROM payment_card WHERE id = 'pay_aaa-aaa'").as_deref(),
            Some("Example Card 1")
        );
        assert_eq!(
            db.text("SELECT CAST(ccn AS TEXT) FROM payment_card WHERE id = 'pay_bbb-bbb'").as_deref(),
            Some("987654321")
        );

        // The log says what was masked and what was left alone, and why.
        let log = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/log?size=100")).insert_header(bearer(&root)),
        )
        .await;
        let entry = |collection: &str| {
            log.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["action_type"] == "erasure" && e["collection_name"] == collection)
                .cloned()
                .unwrap_or_else(|| panic!("no erasure entry for {collection}: {}", log.body))
        };
        assert_eq!(entry("address")["message"], "Masked 2 row(s)");
        let card = entry("payment_card")["message"].as_str().unwrap().to_owned();
        assert!(card.starts_with("Masked 1 row(s)") && card.contains("name is read_only"), "{card}");
        assert!(entry("visit")["message"].as_str().unwrap().starts_with("Masked 1 row(s)"));
    }
}

const CRM_SQL: &str = "CREATE TABLE contact (id INTEGER PRIMARY KEY, email VARCHAR(100), full_name VARCHAR(100));
INSERT INTO contact VALUES (1, 'customer-1@example.com', 'John C.'), (2, 'customer-2@example.com', 'Jill C.');";

const CRM_DATASET: &str = "dataset:
  - fides_key: crm
    collections:
      - name: contact
        fides_meta:
          erase_after: [shop_db.customer]
        fields:
          - name: id
            fides_meta: {primary_key: true}
          - name: email
            data_categories: [user.contact.email]
            fides_meta: {identity: email, data_type: string}
          - name: full_name
            data_categories: [user.name]
            fides_meta: {data_type: string}
";

/// A policy hashing `user.name`, and an erasure request of it for customer-1; the request's id.
async fn hash_names_of_customer_1<S, B>(service: &S, root: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    create_policy(service, root, "hash_names", json!([
        {"key": "hash_names_rule", "action_type": "erasure", "masking_strategy": {"strategy": "hash"}, "targets": ["user.name"]}
    ]))
    .await;
    create_request(service, root, json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "hash_names"}))
        .await
}

#[actix_web::test]
async fn a_read_only_connection_fails_erasure_and_the_retry_masks_nothing_twice() {
    for kind in kinds() {
        let (app, service, root) = lethe_tests::ready().await;
        let shop = CustomerDb::create(kind);
        register(&service, &root, &shop, "shop", "shop_db").await;
        let crm = CustomerDb::create_with(kind, CRM_SQL);
        register_with(&service, &root, &crm, "crm", "read", CRM_DATASET).await;
        let id = hash_names_of_customer_1(&service, &root).await;
        let failed = wait_done(&service, &root, &id).await;
        assert_eq!(failed["status"], "error", "{kind:?}: {failed}");
        assert_eq!(failed["action_required_details"]["step"], "erasure");
        assert_eq!(failed["action_required_details"]["collection"], "crm:contact");
        let crm_log = &failed["results"]["crm"];
        assert!(
            crm_log
                .to_string()
                .contains("No values were erased since this connection crm has not been given write access"),
            "{failed}"
        );
        // erase_after: the shop's customer was masked before the CRM was refused.
        let first = name_of(&shop, 1).unwrap();
        assert_ne!(first, "John Customer");
        assert_eq!(crm.text("SELECT full_name FROM contact WHERE id = 1").as_deref(), Some("John C."));
        // Results this small are kept in the checkpoint itself: no spool outlives the run (a
        // spool the checkpoint named would be kept for the retry).
        let spool = app.app.settings().storage_path().join(".spool").join(&id);
        for _ in 0..100 {
            if !spool.exists() {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(!spool.exists(), "{kind:?}: {} is still there", spool.display());

        let granted = send(
            &service,
            TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
                {"key": "crm", "name": "crm", "connection_type": crm.connection_type(), "access": "write"}
            ])),
        )
        .await;
        assert_eq!(granted.status, StatusCode::OK);
        retry_request(&service, &root, &id).await;
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{kind:?}: {done}");
        // The retry masked from the original values with the same salt: same result, not a hash
        // of the hash.
        assert_eq!(name_of(&shop, 1).unwrap(), first, "{kind:?}");
        let secrets = masking_secrets(&app, &id);
        assert_eq!(
            first,
            primitives::hash_hex(Algorithm::Sha256, "John Customer", &secret(&secrets, "hash_salt"))[..40]
        );
        assert_eq!(
            crm.text("SELECT full_name FROM contact WHERE id = 1").unwrap(),
            primitives::hash_hex(Algorithm::Sha256, "John C.", &secret(&secrets, "hash_salt"))
        );
        assert_eq!(crm.text("SELECT full_name FROM contact WHERE id = 2").as_deref(), Some("Jill C."));
    }
}

const NOTES_SQL: &str = "CREATE TABLE contact (id INTEGER PRIMARY KEY, email VARCHAR(100), full_name VARCHAR(100));
CREATE TABLE note (id INTEGER PRIMARY KEY, contact_id INTEGER, author VARCHAR(100), CONSTRAINT author_short CHECK (length(author) < 20));
INSERT INTO contact VALUES (1, 'customer-1@example.com', 'John C.'), (2, 'customer-2@example.com', 'Jill C.');
INSERT INTO note VALUES (10, 1, 'John the author'), (11, 2, 'Jill the author');
";

const NOTES_DATASET: &str = "dataset:
  - fides_key: crm
    collections:
      - name: contact
        fields:
          - name: id
            fides_meta: {primary_key: true}
          - name: email
            data_categories: [user.contact.email]
            fides_meta: {identity: email, data_type: string}
          - name: full_name
            data_categories: [user.name]
            fides_meta: {data_type: string}
      - name: note
        fides_meta:
          erase_after: [crm.contact]
        fields:
          - name: id
            fides_meta: {primary_key: true}
          - name: contact_id
            fides_meta: {references: [{dataset: crm, field: contact.id, direction: from}]}
          - name: author
            data_categories: [user.name]
            fides_meta: {data_type: string}
";

/// Small collections of one store are masked in one transaction there: when the store refuses
/// the second (a CHECK constraint the hash breaks), the first is not left masked either, and
/// the retry masks both once, from the original values.
#[actix_web::test]
async fn collections_of_one_store_are_masked_together_or_not_at_all() {
    for kind in kinds() {
        let (app, service, root) = lethe_tests::ready().await;
        let crm = CustomerDb::create_with(kind, NOTES_SQL);
        register_with(&service, &root, &crm, "crm", "write", NOTES_DATASET).await;
        let id = hash_names_of_customer_1(&service, &root).await;
        let failed = wait_done(&service, &root, &id).await;
        assert_eq!(failed["status"], "error", "{kind:?}: {failed}");
        assert_eq!(failed["action_required_details"]["step"], "erasure", "{kind:?}: {failed}");
        assert_eq!(failed["action_required_details"]["collection"], "crm:note", "{kind:?}: {failed}");
        assert!(failed.to_string().contains("author_short"), "{kind:?}: the store's reason is shown: {failed}");
        assert_eq!(crm.text("SELECT full_name FROM contact WHERE id = 1").as_deref(), Some("John C."), "{kind:?}");
        assert_eq!(crm.text("SELECT author FROM note WHERE id = 10").as_deref(), Some("John the author"), "{kind:?}");

        // The same table without the constraint.
        crm.execute(
            "ALTER TABLE note RENAME TO note_old;
CREATE TABLE note (id INTEGER PRIMARY KEY, contact_id INTEGER, author VARCHAR(100));
INSERT INTO note SELECT id, contact_id, author FROM note_old;
DROP TABLE note_old;
",
        );
        retry_request(&service, &root, &id).await;
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{kind:?}: {done}");
        let salt = secret(&masking_secrets(&app, &id), "hash_salt");
        assert_eq!(
            crm.text("SELECT full_name FROM contact WHERE id = 1").unwrap(),
            primitives::hash_hex(Algorithm::Sha256, "John C.", &salt),
            "{kind:?}"
        );
        assert_eq!(
            crm.text("SELECT author FROM note WHERE id = 10").unwrap(),
            primitives::hash_hex(Algorithm::Sha256, "John the author", &salt),
            "{kind:?}"
        );
        assert_eq!(crm.text("SELECT author FROM note WHERE id = 11").as_deref(), Some("Jill the author"), "{kind:?}");
    }
}

#[actix_web::test]
async fn masking_configuration_and_overrides_are_validated() {
    let (_app, service, root) = lethe_tests::ready().await;
    create_policy(&service, &root, "p", json!([])).await;
    let rules = send(
        &service,
        TestRequest::patch().uri("/api/v1/dsr/policy/p/rule").insert_header(bearer(&root)).set_json(json!([
            {"name": "a", "action_type": "erasure", "masking_strategy": {"strategy": "string_rewrite", "configuration": {}}},
            {"name": "b", "action_type": "erasure", "masking_strategy": {"strategy": "hash", "configuration": {"algorithm": "MD5"}}},
            {"name": "c", "action_type": "erasure", "masking_strategy": {"strategy": "shred"}}
        ])),
    )
    .await;
    let failed: Vec<&str> =
        rules.body["failed"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(failed.len(), 3, "{:?}", rules.body);
    assert!(failed[0].contains("rewrite_value"), "{failed:?}");
    assert!(failed[1].contains("SHA-256 or SHA-512"), "{failed:?}");
    assert!(failed[2].starts_with("Unknown masking strategy 'shred'"), "{failed:?}");

    let connection = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
            {"key": "db", "name": "db", "connection_type": "sqlite", "access": "write"}
        ])),
    )
    .await;
    assert_eq!(connection.status, StatusCode::OK);
    let dataset = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection/db/dataset").insert_header(bearer(&root)).set_json(json!([
            {"fides_key": "d", "collections": [{"name": "people", "fields": [
                {"name": "name", "data_categories": ["user.name"], "fides_meta": {"data_type": "string",
                    "masking_strategy_override": {"strategy": "hmac"}}}
            ]}]}
        ])),
    )
    .await;
    assert_eq!(
        dataset.body["failed"][0]["message"],
        "d.people.name: Masking strategy 'hmac' with required secrets not allowed as an override."
    );
}

/// Keys and references of a type text does not convert to implicitly (PostgreSQL's uuid): rows
/// are found through them and masked by them. (MariaDB and SQLite store them as text.)
fn uuid_sql(kind: lethe_tests::shop::Kind) -> String {
    let uuid = if kind == lethe_tests::shop::Kind::Postgres { "UUID" } else { "VARCHAR(36)" };
    format!(
        "CREATE TABLE account (id {uuid} PRIMARY KEY, email VARCHAR(100), name VARCHAR(100));
CREATE TABLE note (id {uuid} PRIMARY KEY, account_id {uuid}, body VARCHAR(100));
INSERT INTO account VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'una@example.com', 'Una'),
  ('b1eebc99-9c0b-4ef8-bb6d-6bb9bd380a22', 'otto@example.com', 'Otto');
INSERT INTO note VALUES ('c2eebc99-9c0b-4ef8-bb6d-6bb9bd380a33', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Una wrote'),
  ('c2eebc99-9c0b-4ef8-bb6d-6bb9bd380a34', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Una again'),
  ('d3eebc99-9c0b-4ef8-bb6d-6bb9bd380a44', 'b1eebc99-9c0b-4ef8-bb6d-6bb9bd380a22', 'Otto wrote');"
    )
}

const UUID_DATASET: &str = "dataset:
  - fides_key: uuid_db
    collections:
      - name: account
        fields:
          - {name: id, data_categories: [user.unique_id], fides_meta: {primary_key: true}}
          - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email, data_type: string}}
          - {name: name, data_categories: [user.name], fides_meta: {data_type: string}}
      - name: note
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: account_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: uuid_db, field: account.id, direction: from}]
          - {name: body, data_categories: [user.content], fides_meta: {data_type: string}}
";

#[actix_web::test]
async fn rows_are_found_through_and_masked_by_uuid_keys() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create_with(kind, &uuid_sql(kind));
        register_with(&service, &root, &db, "uuids", "write", UUID_DATASET).await;
        create_policy(&service, &root, "copy_and_forget", json!([
            {"key": "copy", "action_type": "access", "targets": ["user"]},
            {"key": "forget", "action_type": "erasure", "masking_strategy": {"strategy": "string_rewrite", "configuration": {"rewrite_value": "MASKED"}}, "targets": ["user.name", "user.content"]}
        ]))
        .await;
        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "una@example.com"}, "policy_key": "copy_and_forget"}),
        )
        .await;
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{kind:?}: {done}");
        let packages = lethe_tests::shop::download_packages(&service, &root, &id).await;
        let package: Value = serde_json::from_slice(&packages[0].1).unwrap();
        let mut bodies: Vec<&str> =
            package["uuid_db:note"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
        bodies.sort_unstable();
        assert_eq!(bodies, ["Una again", "Una wrote"], "{kind:?}: {package}");
        assert_eq!(package["uuid_db:account"][0]["id"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{kind:?}");

        let bodies = db.texts("SELECT body AS v FROM note ORDER BY id");
        assert_eq!(bodies, [Some("MASKED".into()), Some("MASKED".into()), Some("Otto wrote".into())], "{kind:?}");
        let names = db.texts("SELECT name AS v FROM account ORDER BY id");
        assert_eq!(names, [Some("MASKED".into()), Some("Otto".into())], "{kind:?}");
    }
}
