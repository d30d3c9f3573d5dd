//! Cross-cutting behaviour: health, error bodies for unknown routes and methods, the OpenAPI
//! contract, Swagger UI, request ids.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[actix_web::test]
async fn health_reports_the_database_without_auth() {
    let app = TestApp::new();
    let service = app.service().await;
    let reply = send(&service, TestRequest::get().uri("/health")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["webserver"], "healthy");
    assert_eq!(reply.body["database"], "healthy");
    assert_eq!(reply.body["version"], env!("CARGO_PKG_VERSION"));
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) { "postgresql" } else { "sqlite" };
    assert_eq!(reply.body["database_backend"], backend);
}

#[actix_web::test]
async fn unknown_routes_get_404_and_wrong_methods_405_in_the_json_error_shape() {
    let app = TestApp::new();
    let service = app.service().await;
    let missing = send(&service, TestRequest::get().uri("/api/v1/nothing-here")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body, json!({"detail": "Not Found"}));

    let wrong = send(&service, TestRequest::delete().uri("/api/v1/privacy-request-redaction-patterns")).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.body, json!({"detail": "Method Not Allowed"}));
    assert_eq!(wrong.header("allow"), Some("GET, PUT"));

    let with_param = send(&service, TestRequest::post().uri("/api/v1/oauth/client/abc/scope")).await;
    assert_eq!(with_param.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::new();
    let service = app.service().await;
    let first = send(&service, TestRequest::get().uri("/health")).await;
    let second = send(&service, TestRequest::get().uri("/nope")).await;
    let (a, b) = (first.header("x-request-id").unwrap(), second.header("x-request-id").unwrap());
    assert_eq!(a.len(), 36);
    assert_ne!(a, b);
}

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = gateway::openapi::document_json();
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is stale: run `just openapi` (cargo run --bin lethe -- openapi > openapi/openapi.json)"
    );
}

#[test]
fn every_reference_in_the_openapi_document_resolves() {
    fn refs<'a>(value: &'a Value, found: &mut BTreeSet<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.insert(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let document: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut found = BTreeSet::new();
    refs(&document, &mut found);
    assert!(found.len() > 50, "{found:?}");
    let missing: Vec<&&str> = found
        .iter()
        .filter(|target| {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or(target);
            document["components"]["schemas"].get(name).is_none()
        })
        .collect();
    assert!(missing.is_empty(), "references to nothing: {missing:?}");
}

/// Client generators (openapi-generator, the TypeScript and Python clients) name each method after
/// its operation id and refuse a document where two operations share one.
#[test]
fn every_operation_id_is_unique() {
    let document: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    let mut repeated = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else { continue };
            if let Some(first) = seen.insert(id, format!("{method} {path}")) {
                repeated.push(format!("{id}: {first} and {method} {path}"));
            }
        }
    }
    assert!(seen.len() > 100, "{} operation ids", seen.len());
    assert!(repeated.is_empty(), "operation ids used twice: {repeated:?}");
}

#[actix_web::test]
async fn openapi_is_served_and_swagger_ui_answers_with_and_without_slash() {
    let app = TestApp::new();
    let service = app.service().await;
    let served = send(&service, TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert!(
        served.body == serde_json::from_str::<Value>(COMMITTED).unwrap(),
        "/openapi.json differs from openapi/openapi.json"
    );

    let ui = send(&service, TestRequest::get().uri("/docs/")).await;
    assert_eq!(ui.status, StatusCode::OK);
    assert!(ui.body.as_str().unwrap().contains("swagger"), "Swagger UI page");
    let redirect = send(&service, TestRequest::get().uri("/docs")).await;
    assert!(redirect.status.is_redirection());
    assert_eq!(redirect.header("location"), Some("/docs/"));
}

#[test]
fn every_protected_operation_documents_its_scope_and_auth_errors() {
    let doc: Value = serde_json::from_str(COMMITTED).unwrap();
    // Public as in Fides: health, tokens, subjects' own request submission and verification,
    // signed downloads.
    let public: BTreeSet<(&str, &str)> = [
        ("get", "/health"),
        ("post", "/api/v1/oauth/token"),
        ("post", "/api/v1/privacy-request"),
        ("post", "/api/v1/privacy-request/{id}/verify"),
        ("get", "/api/v1/privacy-request/{id}/access-package"),
        // Authorised by the request-bound token the webhook was sent, not an OAuth client.
        ("post", "/api/v1/privacy-request/{id}/resume"),
        // Where an API sends the person back after an OAuth authorization: the single-use state decides.
        ("get", "/api/v1/oauth/callback"),
    ]
    .into();
    let known: BTreeSet<&str> = auth::scopes::ALL.iter().copied().collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path}: no success response");
            if public.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            let scopes =
                op["security"][0]["oauth2"].as_array().unwrap_or_else(|| panic!("{method} {path}: no security"));
            assert!(!scopes.is_empty(), "{method} {path}: no scope");
            for scope in scopes {
                assert!(known.contains(scope.as_str().unwrap()), "{method} {path}: unknown scope {scope}");
            }
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{method} {path}: {status} undocumented");
            }
        }
    }
}

#[actix_web::test]
async fn documented_scopes_are_the_ones_enforced() {
    // For every protected GET without path parameters: a token without the documented scope is
    // refused with 403, and one holding exactly that scope is let through.
    let app = TestApp::new();
    let service = app.service().await;
    let doc: Value = serde_json::from_str(COMMITTED).unwrap();
    let nothing = app.token_with(&[]);
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let Some(scope) = op["security"][0]["oauth2"][0].as_str() else { continue };
        if path.contains('{') {
            continue;
        }
        let denied = send(&service, TestRequest::get().uri(path).insert_header(bearer(&nothing))).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{path}");
        assert!(denied.body["detail"].as_str().unwrap().contains(scope), "{path}");
        let allowed =
            send(&service, TestRequest::get().uri(path).insert_header(bearer(&app.token_with(&[scope])))).await;
        assert_eq!(allowed.status, StatusCode::OK, "{path}");
    }
}
