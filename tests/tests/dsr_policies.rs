//! Taxonomy, policies, rules, targets and storage destinations over HTTP (Fides-compatible).

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auth::scopes;
use lethe_tests::{TestApp, bearer, send};
use serde_json::json;

#[actix_web::test]
async fn taxonomy_lists_are_served_with_their_scopes() {
    let app = TestApp::new();
    let service = app.service().await;
    let token = app.token_with(&[scopes::DATA_CATEGORY_READ]);
    let categories =
        send(&service, TestRequest::get().uri("/api/v1/data_category").insert_header(bearer(&token))).await;
    assert_eq!(categories.status, StatusCode::OK);
    let email = categories.body.as_array().unwrap().iter().find(|c| c["fides_key"] == "user.contact.email").unwrap();
    assert_eq!(email["parent_key"], "user.contact");
    let uses = send(&service, TestRequest::get().uri("/api/v1/data_use").insert_header(bearer(&token))).await;
    assert_eq!(uses.status, StatusCode::FORBIDDEN);
    let root = app.root_token();
    let subjects = send(&service, TestRequest::get().uri("/api/v1/data_subject").insert_header(bearer(&root))).await;
    assert_eq!(subjects.body.as_array().unwrap().len(), 15);
}

#[actix_web::test]
async fn policies_rules_and_targets_round_trip_in_fides_shapes() {
    let (_app, service, root) = lethe_tests::ready().await;
    let patch =
        |uri: &str, body: serde_json::Value| TestRequest::patch().uri(uri).insert_header(bearer(&root)).set_json(body);

    let created = send(
        &service,
        patch(
            "/api/v1/dsr/policy",
            json!([{"name": "Customer Access", "execution_timeframe": 30}, {"name": "x", "key": "bad key"}]),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["succeeded"][0]["key"], "customer_access");
    assert_eq!(created.body["succeeded"][0]["drp_action"], serde_json::Value::Null);
    assert_eq!(created.body["failed"][0]["data"], json!({"name": "x", "key": "bad key", "execution_timeframe": null}));
    assert!(created.body["failed"][0]["message"].as_str().unwrap().contains("FidesKeys"));

    let rules = send(
        &service,
        patch(
            "/api/v1/dsr/policy/customer_access/rule",
            json!([
                {"name": "Access", "action_type": "access"},
                {"name": "Erase", "action_type": "erasure", "masking_strategy": {"strategy": "hmac", "configuration": {"algorithm": "SHA-512"}}}
            ]),
        ),
    )
    .await;
    assert_eq!(rules.body["failed"], json!([]));
    assert_eq!(
        rules.body["succeeded"][1]["masking_strategy"],
        json!({"strategy": "hmac"}),
        "configuration never echoed"
    );

    let unknown = send(
        &service,
        patch("/api/v1/dsr/policy/customer_access/rule/access/target", json!([{"data_category": "user.nope"}])),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["detail"][0]["loc"], json!(["body", 0, "data_category"]));
    assert_eq!(unknown.body["detail"][0]["msg"], "Invalid data categories: [user.nope]");

    let targets = send(
        &service,
        patch("/api/v1/dsr/policy/customer_access/rule/access/target", json!([{"data_category": "user.contact"}])),
    )
    .await;
    assert_eq!(
        targets.body["succeeded"][0],
        json!({"key": "access_user_contact", "name": "access_user_contact", "data_category": "user.contact"})
    );

    let page =
        send(&service, TestRequest::get().uri("/api/v1/dsr/policy?size=1&page=2").insert_header(bearer(&root))).await;
    assert_eq!(page.body["total"], 3, "two seeded policies and one created");
    assert_eq!(page.body["pages"], 3);
    assert_eq!(page.body["page"], 2);
    assert_eq!(page.body["items"][0]["key"], "default_access_policy");
    let bad_page =
        send(&service, TestRequest::get().uri("/api/v1/dsr/policy?size=500").insert_header(bearer(&root))).await;
    assert_eq!(bad_page.body["detail"][0]["loc"], json!(["query", "size"]));

    let policy =
        send(&service, TestRequest::get().uri("/api/v1/dsr/policy/customer_access").insert_header(bearer(&root))).await;
    assert_eq!(policy.body["rules"][0]["targets"][0]["data_category"], "user.contact");
    assert_eq!(policy.body["execution_timeframe"], 30);

    let deleted = send(
        &service,
        TestRequest::delete()
            .uri("/api/v1/dsr/policy/customer_access/rule/access/target/access_user_contact")
            .insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone =
        send(&service, TestRequest::delete().uri("/api/v1/dsr/policy/customer_access").insert_header(bearer(&root)))
            .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing =
        send(&service, TestRequest::get().uri("/api/v1/dsr/policy/customer_access").insert_header(bearer(&root))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body, json!({"detail": "No Policy found for key customer_access."}));

    let many: Vec<_> = (0..51).map(|i| json!({"name": format!("p{i}")})).collect();
    let too_many = send(&service, patch("/api/v1/dsr/policy", json!(many))).await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn storage_destinations_are_managed_and_protected_while_in_use() {
    let (app, service, root) = lethe_tests::ready().await;
    let stored = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/storage/config")
            .insert_header(bearer(&root))
            .set_json(json!([{"key": "local_csv", "name": "Local CSV", "type": "local", "format": "csv"}])),
    )
    .await;
    assert_eq!(
        stored.body["succeeded"][0],
        json!({"key": "local_csv", "name": "Local CSV", "type": "local", "format": "csv"})
    );
    let s3 = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/storage/config")
            .insert_header(bearer(&root))
            .set_json(json!([{"name": "S3", "type": "s3"}])),
    )
    .await;
    assert_eq!(s3.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(s3.body["detail"][0]["loc"], json!(["body", 0, "type"]));

    send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/dsr/policy/default_access_policy/rule")
            .insert_header(bearer(&root))
            .set_json(json!([{"name": "Default Access Rule", "key": "default_access_policy_rule", "action_type": "access", "storage_destination_key": "local_csv"}])),
    )
    .await;
    let in_use =
        send(&service, TestRequest::delete().uri("/api/v1/storage/config/local_csv").insert_header(bearer(&root)))
            .await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    let listed = send(&service, TestRequest::get().uri("/api/v1/storage/config").insert_header(bearer(&root))).await;
    assert_eq!(listed.body["total"], 1);
    let reader = app.token_with(&["storage:read"]);
    let denied =
        send(&service, TestRequest::delete().uri("/api/v1/storage/config/local_csv").insert_header(bearer(&reader)))
            .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}
