//! Redaction patterns over HTTP, exactly as spec 002 describes them.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auth::scopes;
use lethe_tests::{TestApp, bearer, send};
use serde_json::json;

const PATH: &str = "/api/v1/privacy-request-redaction-patterns";
const FIDES_PATH: &str = "/api/v1/privacy-request/redaction-patterns";

#[actix_web::test]
async fn put_then_get_returns_the_patterns_in_the_order_given_on_both_paths() {
    let app = TestApp::new();
    let service = app.service().await;
    let token = app.root_token();
    let patterns = json!({"patterns": ["sensitive_.*", ".*_private", "^email$", "customer.*", ".*user.*"]});

    let empty = send(&service, TestRequest::get().uri(PATH).insert_header(bearer(&token))).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, json!({"patterns": []}));

    let put = send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&token)).set_json(&patterns)).await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(put.body, patterns);

    for path in [PATH, FIDES_PATH] {
        let got = send(&service, TestRequest::get().uri(path).insert_header(bearer(&token))).await;
        assert_eq!(got.status, StatusCode::OK, "{path}");
        assert_eq!(got.body, patterns, "{path}");
    }

    let replaced = json!({"patterns": ["zeta", "alpha"]});
    let put =
        send(&service, TestRequest::put().uri(FIDES_PATH).insert_header(bearer(&token)).set_json(&replaced)).await;
    assert_eq!(put.body, replaced);
    let got = send(&service, TestRequest::get().uri(PATH).insert_header(bearer(&token))).await;
    assert_eq!(got.body, replaced, "PUT replaces the whole set");

    let cleared =
        send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&token)).set_json(json!({"patterns": []})))
            .await;
    assert_eq!(cleared.body, json!({"patterns": []}));
}

#[actix_web::test]
async fn put_rejects_invalid_regex_with_400_naming_its_index() {
    let app = TestApp::new();
    let service = app.service().await;
    let reply = send(
        &service,
        TestRequest::put()
            .uri(PATH)
            .insert_header(bearer(&app.root_token()))
            .set_json(json!({"patterns": ["[invalid"]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({"detail": [{"loc": ["body", "patterns", 0], "msg": "Invalid regex pattern: [invalid", "type": "value_error"}]})
    );
}

#[actix_web::test]
async fn put_rejects_more_than_100_patterns_with_400() {
    let app = TestApp::new();
    let service = app.service().await;
    let many: Vec<String> = (0..101).map(|i| format!("p{i}")).collect();
    let reply = send(
        &service,
        TestRequest::put().uri(PATH).insert_header(bearer(&app.root_token())).set_json(json!({"patterns": many})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body, json!({"detail": "Maximum 100 patterns allowed"}));
}

#[actix_web::test]
async fn put_rejects_a_pattern_over_500_characters_with_400_pointing_at_it() {
    let app = TestApp::new();
    let service = app.service().await;
    let body = json!({"patterns": ["ok", "a".repeat(501)]});
    let reply =
        send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&app.root_token())).set_json(body)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({"detail": [{"loc": ["body", "patterns", 1], "msg": "Pattern exceeds maximum length of 500 characters", "type": "value_error"}]})
    );
}

#[actix_web::test]
async fn put_with_a_body_that_is_not_a_list_of_strings_gets_422_with_a_detail_list() {
    let app = TestApp::new();
    let service = app.service().await;
    let token = app.root_token();
    let cases = [
        (json!({}), json!(["body", "patterns"])),
        (json!({"patterns": "x"}), json!(["body", "patterns"])),
        (json!({"patterns": ["a", 1]}), json!(["body", "patterns", 1])),
        // An array is not the object, even though serde could read the struct from one.
        (json!(["a"]), json!(["body"])),
    ];
    for (body, loc) in cases {
        let reply = send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&token)).set_json(&body)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.body["detail"][0]["loc"], loc, "{body}");
        assert!(reply.body["detail"][0]["msg"].is_string());
    }
    let malformed = send(
        &service,
        TestRequest::put()
            .uri(PATH)
            .insert_header(bearer(&token))
            .insert_header(("content-type", "application/json"))
            .set_payload("{\"patterns\": ["),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(malformed.body["detail"][0]["type"], "json_invalid");
}

#[actix_web::test]
async fn a_rejected_put_changes_nothing() {
    let app = TestApp::new();
    let service = app.service().await;
    let token = app.root_token();
    let kept = json!({"patterns": ["keep_me"]});
    send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&token)).set_json(&kept)).await;

    for bad in
        [json!({"patterns": ["fine", "(unclosed"]}), json!({"patterns": vec!["x"; 101]}), json!({"patterns": [1]})]
    {
        let reply = send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&token)).set_json(&bad)).await;
        assert!(reply.status.is_client_error());
    }
    let got = send(&service, TestRequest::get().uri(PATH).insert_header(bearer(&token))).await;
    assert_eq!(got.body, kept);
}

#[actix_web::test]
async fn reading_and_writing_need_their_own_scopes() {
    let app = TestApp::new();
    let service = app.service().await;
    let reader = app.token_with(&[scopes::REDACTION_PATTERNS_READ]);
    let body = json!({"patterns": ["x"]});

    assert_eq!(
        send(&service, TestRequest::get().uri(PATH).insert_header(bearer(&reader))).await.status,
        StatusCode::OK
    );
    let denied = send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&reader)).set_json(&body)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(
        denied.body,
        json!({"detail": "Not Authorized for this action. Required scope(s): [privacy-request-redaction-patterns:update]"})
    );

    let writer = app.token_with(&[scopes::REDACTION_PATTERNS_UPDATE]);
    assert_eq!(
        send(&service, TestRequest::put().uri(PATH).insert_header(bearer(&writer)).set_json(&body)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&service, TestRequest::get().uri(FIDES_PATH).insert_header(bearer(&writer))).await.status,
        StatusCode::FORBIDDEN
    );

    let anonymous = send(&service, TestRequest::get().uri(PATH)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let anonymous_put = send(&service, TestRequest::put().uri(PATH).set_json(&body)).await;
    assert_eq!(anonymous_put.status, StatusCode::UNAUTHORIZED);
}
