//! Authorisation comes before input, on every operation of the generated OpenAPI document (not a
//! hand-kept list): without a token, with a garbage token and with a token of an unrelated scope,
//! every protected operation answers 401, 401 and 403 whatever its body, query or path; public
//! operations answer one of the statuses they document.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

/// One operation of the document.
struct Operation {
    method: Method,
    path: String,
    /// Scopes its security requirement names; `None` for a public operation.
    scopes: Option<Vec<String>>,
    /// The statuses it documents.
    documented: Vec<u16>,
}

fn operations(document: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            // OAuth scopes; an operation authorised by a token of its own (a webhook's
            // `reply-to-token`) is walked as a public one.
            let scopes = operation.get("security").and_then(Value::as_array).and_then(|requirements| {
                let oauth: Vec<&Value> = requirements.iter().filter_map(|r| r.get("oauth2")).collect();
                (!oauth.is_empty()).then(|| {
                    oauth
                        .iter()
                        .flat_map(|s| s.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()))
                        .collect()
                })
            });
            let documented =
                operation["responses"].as_object().unwrap().keys().filter_map(|code| code.parse().ok()).collect();
            found.push(Operation { method, path: path.clone(), scopes, documented });
        }
    }
    found
}

/// The operation's path with every parameter filled with a value no route accepts, and a query
/// no route accepts either: authorisation must answer before either is looked at.
fn hostile_uri(path: &str) -> String {
    let mut uri = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        uri.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        uri.push_str("%00not-an-id");
        rest = &rest[close + 1..];
    }
    uri.push_str(rest);
    format!("{uri}?page=-1&size=abc&status=bogus&limit=x&verbose=maybe&mode=nope")
}

fn request(operation: &Operation, token: Option<&str>) -> TestRequest {
    let mut request = TestRequest::default()
        .method(operation.method.clone())
        .uri(&hostile_uri(&operation.path))
        // A body that fits no operation's schema.
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"unexpected": [1, {"x": null}], "patterns": 7"#);
    if let Some(token) = token {
        request = request.insert_header(bearer(token));
    }
    request
}

#[actix_web::test]
async fn every_protected_operation_answers_401_401_403_before_looking_at_its_input() {
    let app = TestApp::new();
    let service = app.service().await;
    let document = serde_json::to_value(gateway::openapi::document()).unwrap();
    let operations = operations(&document);
    assert!(operations.len() > 100, "the document lists every operation: {}", operations.len());

    let mut unrelated_tokens: Vec<(String, String)> = Vec::new();
    let mut protected = 0;
    let mut wrong = Vec::new();
    for operation in &operations {
        let label = format!("{} {}", operation.method, operation.path);
        let Some(scopes) = &operation.scopes else {
            // Public: whatever it answers to hostile input is one of the statuses it documents.
            for token in [None, Some("garbage")] {
                let reply = send(&service, request(operation, token)).await;
                if !operation.documented.contains(&reply.status.as_u16()) {
                    wrong.push(format!(
                        "{label} (public) answered {} to hostile input, documenting {:?}: {}",
                        reply.status, operation.documented, reply.body
                    ));
                }
            }
            continue;
        };
        protected += 1;
        assert!(!scopes.is_empty(), "{label} names the scope it requires");
        assert!(
            operation.documented.contains(&401) && operation.documented.contains(&403),
            "{label} documents 401 and 403"
        );

        let none = send(&service, request(operation, None)).await;
        if none.status != StatusCode::UNAUTHORIZED || none.body != json!({"detail": "Not authenticated"}) {
            wrong.push(format!("{label} without a token: {} {}", none.status, none.body));
        }
        let garbage = send(&service, request(operation, Some("not-a-token"))).await;
        if garbage.status != StatusCode::UNAUTHORIZED {
            wrong.push(format!("{label} with a garbage token: {} {}", garbage.status, garbage.body));
        }

        let unrelated = auth::scopes::ALL.iter().find(|s| !scopes.iter().any(|needed| needed == *s)).unwrap();
        let token = match unrelated_tokens.iter().find(|(scope, _)| scope == unrelated) {
            Some((_, token)) => token.clone(),
            None => {
                let token = app.token_with(&[unrelated]);
                unrelated_tokens.push(((*unrelated).to_owned(), token.clone()));
                token
            }
        };
        let forbidden = send(&service, request(operation, Some(&token))).await;
        let names_scope = forbidden.body["detail"].as_str().is_some_and(|m| m.contains(&scopes[0]));
        if forbidden.status != StatusCode::FORBIDDEN || !names_scope {
            wrong.push(format!("{label} with scope {unrelated}: {} {}", forbidden.status, forbidden.body));
        }
    }
    assert!(protected > 90, "{protected} protected operations walked");
    assert!(wrong.is_empty(), "{} answers out of place:\n{}", wrong.len(), wrong.join("\n"));
}
