//! OAuth2 client credentials over HTTP, Fides-compatible.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auth::{AuthService, DieselAuthService, scopes};
use lethe_tests::{APP_KEY, ROOT_SECRET, TestApp, bearer, send};
use serde_json::json;

const PATTERNS: &str = "/api/v1/privacy-request-redaction-patterns";

fn token_form(id: &str, secret: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/oauth/token")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"))
}

#[actix_web::test]
async fn token_is_issued_for_form_credentials_and_works_as_a_bearer() {
    let app = TestApp::new();
    let service = app.service().await;
    let reply = send(&service, token_form("root", ROOT_SECRET)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 11_520 * 60);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let token = reply.body["access_token"].as_str().unwrap();
    assert_eq!(
        send(&service, TestRequest::get().uri(PATTERNS).insert_header(bearer(token))).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn token_is_issued_for_http_basic_credentials() {
    use base64::Engine;
    let app = TestApp::new();
    let service = app.service().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("root:{ROOT_SECRET}"));
    let reply = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/oauth/token")
            .insert_header(("Authorization", format!("Basic {basic}")))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[actix_web::test]
async fn bad_credentials_get_401() {
    let app = TestApp::new();
    let service = app.service().await;
    for request in
        [token_form("root", "wrong"), token_form("nobody", ROOT_SECRET), TestRequest::post().uri("/api/v1/oauth/token")]
    {
        let reply = send(&service, request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.body, json!({"detail": "Authentication Failure"}));
    }
}

#[actix_web::test]
async fn unsupported_grant_type_gets_422_naming_the_field() {
    let app = TestApp::new();
    let service = app.service().await;
    let reply = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/oauth/token")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(format!("grant_type=password&client_id=root&client_secret={ROOT_SECRET}")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "grant_type"]));
}

#[actix_web::test]
async fn missing_malformed_and_expired_tokens_get_401() {
    let app = TestApp::new();
    let service = app.service().await;
    let expired = DieselAuthService::new(app.state().db.clone(), crypto::AppKey::from_text(APP_KEY).unwrap(), 0)
        .issue_token("root", ROOT_SECRET)
        .unwrap()
        .access_token;
    let other_key = DieselAuthService::new(app.state().db.clone(), crypto::AppKey::generate(), 60)
        .issue_token("root", ROOT_SECRET)
        .unwrap()
        .access_token;
    let cases = [
        (None, "Not authenticated"),
        (Some("Bearer".to_string()), "Not authenticated"),
        (Some("Basic abc".to_string()), "Not authenticated"),
        (Some("Bearer not-a-token".to_string()), "Invalid access token"),
        (Some(format!("Bearer {other_key}")), "Invalid access token"),
        (Some(format!("Bearer {expired}")), "Access token expired"),
    ];
    for (header, detail) in cases {
        let mut request = TestRequest::get().uri(PATTERNS);
        if let Some(header) = &header {
            request = request.insert_header(("Authorization", header.as_str()));
        }
        let reply = send(&service, request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(reply.body, json!({"detail": detail}), "{header:?}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
}

#[actix_web::test]
async fn clients_are_created_read_updated_and_deleted() {
    let (_app, service, root) = lethe_tests::ready().await;

    let created = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/oauth/client")
            .insert_header(bearer(&root))
            .set_json(json!({"scopes": [scopes::REDACTION_PATTERNS_READ], "name": "dashboard"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    let id = created.body["client_id"].as_str().unwrap().to_owned();
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!((id.len(), secret.len()), (32, 32));

    let scope_path = format!("/api/v1/oauth/client/{id}/scope");
    let got = send(&service, TestRequest::get().uri(&scope_path).insert_header(bearer(&root))).await;
    assert_eq!(got.body, json!([scopes::REDACTION_PATTERNS_READ]));

    let token = send(&service, token_form(&id, &secret)).await.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        send(&service, TestRequest::get().uri(PATTERNS).insert_header(bearer(&token))).await.status,
        StatusCode::OK
    );

    let updated = send(
        &service,
        TestRequest::put().uri(&scope_path).insert_header(bearer(&root)).set_json(json!([scopes::SCOPE_READ])),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body, json!([scopes::SCOPE_READ]));
    // The existing token lost the revoked scope at once.
    assert_eq!(
        send(&service, TestRequest::get().uri(PATTERNS).insert_header(bearer(&token))).await.status,
        StatusCode::FORBIDDEN
    );

    let deleted =
        send(&service, TestRequest::delete().uri(&format!("/api/v1/oauth/client/{id}")).insert_header(bearer(&root)))
            .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let after = send(&service, TestRequest::get().uri("/api/v1/oauth/scope").insert_header(bearer(&token))).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "a deleted client's token stops working at once");
    assert_eq!(send(&service, token_form(&id, &secret)).await.status, StatusCode::UNAUTHORIZED);

    let again =
        send(&service, TestRequest::delete().uri(&format!("/api/v1/oauth/client/{id}")).insert_header(bearer(&root)))
            .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let missing = send(&service, TestRequest::get().uri(&scope_path).insert_header(bearer(&root))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn unknown_scope_names_get_422_pointing_at_them() {
    let (_app, service, root) = lethe_tests::ready().await;
    let reply = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/oauth/client")
            .insert_header(bearer(&root))
            .set_json(json!({"scopes": [scopes::SCOPE_READ, "everything:all"]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.body,
        json!({"detail": [{"loc": ["body", "scopes", 1], "msg": "Invalid scope: everything:all", "type": "value_error"}]})
    );

    let created = send(
        &service,
        TestRequest::post().uri("/api/v1/oauth/client").insert_header(bearer(&root)).set_json(json!({})),
    )
    .await;
    let id = created.body["client_id"].as_str().unwrap();
    let reply = send(
        &service,
        TestRequest::put()
            .uri(&format!("/api/v1/oauth/client/{id}/scope"))
            .insert_header(bearer(&root))
            .set_json(json!(["nope"])),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["detail"][0]["loc"], json!(["body", 0]));
}

#[actix_web::test]
async fn client_management_needs_its_scopes_and_cannot_escalate() {
    let app = TestApp::new();
    let service = app.service().await;
    let creator = app.token_with(&[scopes::CLIENT_CREATE]);
    let escalate = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/oauth/client")
            .insert_header(bearer(&creator))
            .set_json(json!({"scopes": [scopes::CLIENT_DELETE]})),
    )
    .await;
    assert_eq!(escalate.status, StatusCode::FORBIDDEN);
    assert_eq!(escalate.body, json!({"detail": "Cannot grant scopes you do not hold: [client:delete]"}));

    let denied = send(&service, TestRequest::get().uri("/api/v1/oauth/scope").insert_header(bearer(&creator))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.body, json!({"detail": "Not Authorized for this action. Required scope(s): [scope:read]"}));
}

#[actix_web::test]
async fn scope_registry_lists_every_scope_and_the_root_client_is_protected() {
    let (_app, service, root) = lethe_tests::ready().await;
    let listed = send(&service, TestRequest::get().uri("/api/v1/oauth/scope").insert_header(bearer(&root))).await;
    assert_eq!(listed.body, json!(scopes::ALL));

    let delete_root =
        send(&service, TestRequest::delete().uri("/api/v1/oauth/client/root").insert_header(bearer(&root))).await;
    assert_eq!(delete_root.status, StatusCode::FORBIDDEN);
    let root_scopes =
        send(&service, TestRequest::get().uri("/api/v1/oauth/client/root/scope").insert_header(bearer(&root))).await;
    assert_eq!(root_scopes.body, json!(scopes::ALL));
}

fn from(address: &str, request: TestRequest) -> TestRequest {
    request.peer_addr(address.parse().unwrap())
}

#[actix_web::test]
async fn failed_token_requests_are_limited_per_address_and_successes_never_count() {
    let app = TestApp::with(|s| s.security.token_failure_limit_per_minute = 3);
    let service = app.service().await;
    for _ in 0..5 {
        let ok = send(&service, from("192.0.2.1:1000", token_form("root", ROOT_SECRET))).await;
        assert_eq!(ok.status, StatusCode::OK, "successes are never counted");
    }
    for _ in 0..3 {
        let wrong = send(&service, from("192.0.2.1:1000", token_form("root", "guess"))).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let limited = send(&service, from("192.0.2.1:1001", token_form("root", "guess"))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(limited.body["detail"], "Too many failed token requests: 3 per minute");
    // Once over, even the right secret waits: a guess that happens to be right learns nothing.
    let right = send(&service, from("192.0.2.1:1002", token_form("root", ROOT_SECRET))).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = send(&service, from("192.0.2.2:1000", token_form("root", ROOT_SECRET))).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "other addresses keep their budget");
}

#[actix_web::test]
async fn limits_key_on_the_trusted_proxy_header_only_when_configured() {
    let body = json!([{"identity": {"email": "a@example.com"}, "policy_key": "default_access_policy"}]);
    let public = |forwarded: &str| {
        from("10.0.0.1:5000", TestRequest::post().uri("/api/v1/privacy-request"))
            .insert_header(("X-Forwarded-For", forwarded.to_owned()))
            .set_json(&body)
    };
    // Without the setting the header is ignored (clients could forge it): one proxy, one budget.
    let app = TestApp::with(|s| s.security.public_request_rate_limit_per_minute = 1);
    let service = app.service().await;
    assert_eq!(send(&service, public("203.0.113.1")).await.status, StatusCode::OK);
    assert_eq!(send(&service, public("203.0.113.2")).await.status, StatusCode::TOO_MANY_REQUESTS);

    // Behind a trusted proxy each client has its own budget, keyed on the entry the proxy added.
    let app = TestApp::with(|s| {
        s.security.public_request_rate_limit_per_minute = 1;
        s.security.trusted_proxy_header = Some("X-Forwarded-For".to_owned());
    });
    let service = app.service().await;
    assert_eq!(send(&service, public("203.0.113.1")).await.status, StatusCode::OK);
    assert_eq!(send(&service, public("198.51.100.9, 203.0.113.2")).await.status, StatusCode::OK);
    let again = send(&service, public("forged, 203.0.113.1")).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(again.header("retry-after").is_some());
}
