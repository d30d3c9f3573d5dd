//! The shipped Auth0 template over HTTPS: OAuth 2 client credentials (a JSON token request,
//! the token cached and fetched again near its expiry), the connection test with the API's
//! reason, a read through a sibling endpoint's reference, and the delete that erases a user.

mod common;

use std::sync::Arc;

use connectors::saas::connection::SaasConnection;
use connectors::saas::mask::MaskedRecord;
use connectors::saas::read::Inputs;
use connectors::saas::templates;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

fn token_request(secret: &str, domain: &str) -> Value {
    json!({"grant_type": "client_credentials", "audience": format!("https://{domain}/api/v2/"),
           "client_id": "cli_1", "client_secret": secret})
}

#[test]
fn auth0_fetches_a_token_once_reads_and_deletes_the_subject() {
    let rt = common::runtime();
    let server = common::HttpsServer::start(&rt);
    let domain = format!("localhost:{}", server.port);
    let mount = |mock: Mock| rt.block_on(mock.mount(&server.mock));
    mount(
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_json(token_request("s3cret", &domain)))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": "tok_1", "token_type": "Bearer", "expires_in": 86400})),
            ),
    );
    mount(
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_json(token_request("wrong", &domain)))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"error": "access_denied", "error_description": "Unauthorized"})),
            ),
    );
    let bearer = || header("Authorization", "Bearer tok_1");
    mount(
        Mock::given(method("GET"))
            .and(path("/api/v2/users-by-email"))
            .and(query_param("email", "test@test.com"))
            .and(bearer())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([]))),
    );
    mount(
        Mock::given(method("GET"))
            .and(path("/api/v2/users-by-email"))
            .and(query_param("email", "jane@example.com"))
            .and(bearer())
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!([{"user_id": "auth0|1", "email": "jane@example.com"}])),
            ),
    );
    mount(Mock::given(method("GET")).and(path("/api/v2/users/auth0|1/logs")).and(bearer()).respond_with(
        ResponseTemplate::new(200).set_body_json(json!([{"log_id": "l1", "type": "s", "user_id": "auth0|1"}])),
    ));
    mount(
        Mock::given(method("DELETE"))
            .and(path("/api/v2/users/auth0|1"))
            .and(bearer())
            .respond_with(ResponseTemplate::new(204)),
    );

    let (config, _) = templates::find("auth0").unwrap().instantiate("auth0_1").unwrap();
    let client = Arc::new(server.client());
    let secrets = json!({"domain": domain, "client_id": "cli_1", "client_secret": "s3cret"});
    let connection = SaasConnection::new(config.clone(), secrets, Arc::clone(&client));
    connection.test().unwrap();
    let jane = common::Jane::new();
    let subject = jane.subject();
    let users = connection.read("users", subject, &Inputs::default()).unwrap();
    assert_eq!(users, [json!({"user_id": "auth0|1", "email": "jane@example.com"})]);
    let inputs = Inputs {
        values: json!({"user_id": ["auth0|1"]}).as_object().unwrap().clone(),
        groups: Vec::new(),
        ..Inputs::default()
    };
    assert_eq!(connection.read("user_logs", subject, &inputs).unwrap().len(), 1);
    let records = [MaskedRecord { record: users[0].clone(), object: None, masked: Vec::new() }];
    assert_eq!(connection.mask("users", subject, &records, &inputs).unwrap(), 1);
    let token = connection.token().unwrap();
    assert_eq!(token.access_token, "tok_1");
    assert!(token.expires_at.is_some());
    let asked = server.received(&rt);
    let count = |p: &str, m: &str| asked.iter().filter(|r| r.url.path() == p && r.method.as_str() == m).count();
    assert_eq!(count("/oauth/token", "POST"), 1, "the token is fetched once and kept");
    assert_eq!(count("/api/v2/users/auth0|1", "DELETE"), 1);

    // A wrong secret: the token endpoint's reason, never the secret.
    let wrong =
        SaasConnection::new(config, json!({"domain": domain, "client_id": "cli_1", "client_secret": "wrong"}), client);
    let error = wrong.test().unwrap_err().0;
    assert_eq!(error, "Unable to retrieve token for auth0_1 (access_denied). Unauthorized");
}

#[test]
fn a_kept_token_is_used_until_ten_minutes_before_it_expires() {
    let rt = common::runtime();
    let server = common::HttpsServer::start(&rt);
    let domain = format!("localhost:{}", server.port);
    let mount = |mock: Mock| rt.block_on(mock.mount(&server.mock));
    mount(Mock::given(method("POST")).and(path("/oauth/token")).respond_with(
        ResponseTemplate::new(200).set_body_json(json!({"access_token": "tok_new", "expires_in": 86400})),
    ));
    for token in ["tok_kept", "tok_new"] {
        mount(
            Mock::given(method("GET"))
                .and(header("Authorization", format!("Bearer {token}").as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!([]))),
        );
    }
    let (config, _) = templates::find("auth0").unwrap().instantiate("auth0_1").unwrap();
    let client = Arc::new(server.client());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let with_token = |expires_at: u64| {
        json!({"domain": domain, "client_id": "cli_1", "client_secret": "s3cret",
               "access_token": "tok_kept", "expires_at": expires_at})
    };
    let token_calls = || server.received(&rt).iter().filter(|r| r.url.path() == "/oauth/token").count();

    // An hour left: the kept token is used, none is fetched.
    let fresh = SaasConnection::new(config.clone(), with_token(now + 3600), Arc::clone(&client));
    fresh.test().unwrap();
    fresh.test().unwrap();
    assert_eq!(token_calls(), 0);
    assert_eq!(fresh.token().unwrap().access_token, "tok_kept");

    // Five minutes left (Fides refreshes within ten): a new token is fetched once and kept.
    let stale = SaasConnection::new(config, with_token(now + 300), client);
    stale.test().unwrap();
    stale.test().unwrap();
    assert_eq!(token_calls(), 1);
    let token = stale.token().unwrap();
    assert_eq!(token.access_token, "tok_new");
    assert!(token.expires_at.unwrap() >= now + 86400, "expires_in counts from the fetch");
    let bearers: Vec<String> = server
        .received(&rt)
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.headers.get("Authorization").unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(bearers, ["Bearer tok_kept", "Bearer tok_kept", "Bearer tok_new", "Bearer tok_new"]);
}
