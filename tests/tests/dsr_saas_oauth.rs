//! OAuth 2 authorization code through the API, against a local HTTPS server speaking OAuth 2:
//! a connection of one's own `saas_config` is authorised (`GET …/authorize` gives the API's
//! page with a fresh state; the callback exchanges the code, stores the tokens sealed, tests the
//! connection, and sends the person back), a state works once, requests refresh an expiring
//! token with the config's `refresh_request`, and each refreshed (rotated) token is stored, so
//! a refresh token is never used twice.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use connectors::testing::wiremock::matchers::{body_string_contains, header, method, path, query_param};
use connectors::testing::wiremock::{Mock, ResponseTemplate};
use connectors::testing::{HttpsServer, runtime};
use lethe_tests::shop::{
    create_policy, create_request, download_packages, own_saas_connection, stored_secrets, wait_done,
};
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

const CONFIG: &str = r#"
saas_config:
  fides_key: notes_app
  name: Notes
  type: notes
  description: A notes API behind OAuth 2 authorization code
  version: 0.0.1
  connector_params:
    - name: domain
    - name: client_id
    - name: client_secret
      sensitive: True
    - name: redirect_uri
  client_config:
    protocol: https
    host: <domain>
    authentication:
      strategy: oauth2_authorization_code
      configuration:
        authorization_request:
          method: GET
          path: /oauth/authorize
          query_params:
            - name: client_id
              value: <client_id>
            - name: redirect_uri
              value: <redirect_uri>
            - name: response_type
              value: code
            - name: state
              value: <state>
        token_request:
          method: POST
          path: /oauth/token
          headers:
            - name: Content-Type
              value: application/x-www-form-urlencoded
          body: '{"grant_type": "authorization_code", "code": "<code>", "client_id": "<client_id>", "client_secret": "<client_secret>", "redirect_uri": "<redirect_uri>"}'
        refresh_request:
          method: POST
          path: /oauth/token
          headers:
            - name: Content-Type
              value: application/x-www-form-urlencoded
          body: '{"grant_type": "refresh_token", "refresh_token": "<refresh_token>", "client_id": "<client_id>", "client_secret": "<client_secret>"}'
  test_request:
    method: GET
    path: /api/me
  endpoints:
    - name: notes
      requests:
        read:
          method: GET
          path: /api/notes
          query_params:
            - name: author
              value: <email>
          param_values:
            - name: email
              identity: email
"#;

/// The notes API: codes and refresh tokens exchanged for tokens, notes only for the current token.
fn notes_server(rt: &tokio::runtime::Runtime) -> HttpsServer {
    let server = HttpsServer::start(rt);
    let mount = |mock: Mock| rt.block_on(mock.mount(&server.mock));
    let token = || Mock::given(method("POST")).and(path("/oauth/token"));
    // The code gives a token that is about to expire; the refresh one lasts a day and rotates.
    mount(
        token()
            .and(body_string_contains("grant_type=authorization_code"))
            .and(body_string_contains("code=code-1"))
            .and(body_string_contains("client_secret=s3cret"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "tok_1", "refresh_token": "ref_1", "expires_in": 60, "token_type": "Bearer"
            }))),
    );
    mount(
        token().and(body_string_contains("code=bad")).respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": "invalid_grant", "error_description": "The code has expired."})),
        ),
    );
    // Each refresh token works once and is rotated; every token is about to expire.
    for n in 1..=3 {
        mount(
            token()
                .and(body_string_contains("grant_type=refresh_token"))
                .and(body_string_contains(format!("refresh_token=ref_{n}").as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "access_token": format!("tok_{}", n + 1), "refresh_token": format!("ref_{}", n + 1), "expires_in": 60
                })))
                .up_to_n_times(1),
        );
    }
    mount(
        Mock::given(method("GET"))
            .and(path("/api/me"))
            .and(header("Authorization", "Bearer tok_2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "me"}))),
    );
    for current in ["tok_3", "tok_4"] {
        mount(
            Mock::given(method("GET"))
                .and(path("/api/notes"))
                .and(query_param("author", "jane@example.com"))
                .and(header("Authorization", format!("Bearer {current}").as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                    {"id": "n1", "author": "jane@example.com", "text": "call the bank"}
                ]))),
        );
    }
    server
}

fn count(server: &HttpsServer, rt: &tokio::runtime::Runtime, at: &str, text: &str) -> usize {
    server.received(rt).iter().filter(|r| r.url.path() == at && String::from_utf8_lossy(&r.body).contains(text)).count()
}

#[test]
fn authorization_code_connections_are_authorised_refreshed_and_keep_their_tokens() {
    let rt = runtime();
    let server = notes_server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let app = TestApp::with(|settings| {
        settings.saas.allowed_hosts = vec!["localhost".to_owned()];
        settings.saas.extra_root_certs = Some(ca);
    });
    let domain = format!("localhost:{}", server.port);
    let domain = &domain;
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        let dataset = json!([{"fides_key": "notes_app", "name": "Notes", "collections": [{"name": "notes", "fields": [
            {"name": "id", "data_categories": ["system.operations"], "fides_meta": {"primary_key": true}},
            {"name": "author", "data_categories": ["user.contact.email"]},
            {"name": "text", "data_categories": ["user.content"]}]}]}]);
        own_saas_connection(&service, &root, "notes", CONFIG, dataset).await;

        // Before the secrets: the missing ones are named.
        let authorize = || {
            TestRequest::get()
                .uri("/api/v1/connection/notes/authorize")
                .insert_header(bearer(&root))
                .insert_header(("Referer", "https://admin.example.com/integrations/notes"))
        };
        let early = send(&service, authorize()).await;
        assert_eq!(early.status, StatusCode::BAD_REQUEST, "{:?}", early.body);
        let secrets = json!({"domain": domain, "client_id": "lethe", "client_secret": "s3cret",
                             "redirect_uri": "https://lethe.example.com/api/v1/oauth/callback"});
        let set = send(
            &service,
            TestRequest::put()
                .uri("/api/v1/connection/notes/secret?verify=false")
                .insert_header(bearer(&root))
                .set_json(secrets),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        let untested =
            send(&service, TestRequest::get().uri("/api/v1/connection/notes/test").insert_header(bearer(&root))).await;
        assert!(
            untested.body["failure_reason"]
                .as_str()
                .unwrap_or_default()
                .contains("OAuth2 access token not found for notes_app"),
            "{:?}",
            untested.body
        );
        // The scope is its own.
        let reader = app.token_with(&["connection:read"]);
        let refused =
            send(&service, TestRequest::get().uri("/api/v1/connection/notes/authorize").insert_header(bearer(&reader)))
                .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        let page = send(&service, authorize()).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let url = url::Url::parse(page.body.as_str().unwrap()).unwrap();
        assert_eq!(url.origin().ascii_serialization(), format!("https://{domain}"));
        assert_eq!(url.path(), "/oauth/authorize");
        let query: std::collections::BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(query["client_id"], "lethe");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["redirect_uri"], "https://lethe.example.com/api/v1/oauth/callback");
        let state = query["state"].clone();
        assert!(uuid::Uuid::parse_str(&state).is_ok(), "{state}");

        // The API sends the person back: unauthenticated, authorised by the state alone.
        let callback = |code: &str, state: &str| {
            TestRequest::get().uri(&format!("/api/v1/oauth/callback?code={code}&state={state}"))
        };
        let unknown = send(&service, callback("code-1", "not-a-state")).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.body["detail"], "No authentication request found for the given state.");
        let back = send(&service, callback("code-1", &state)).await;
        assert_eq!(back.status, StatusCode::TEMPORARY_REDIRECT, "{:?}", back.body);
        assert_eq!(
            back.headers.get("location").and_then(|v| v.to_str().ok()),
            Some("https://admin.example.com/integrations/notes?status=succeeded")
        );
        // A state works once.
        let again = send(&service, callback("code-1", &state)).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        // A code the API refuses: its reason. (Without a Referer the outcome is JSON.)
        let page =
            send(&service, TestRequest::get().uri("/api/v1/connection/notes/authorize").insert_header(bearer(&root)))
                .await;
        let url = url::Url::parse(page.body.as_str().unwrap()).unwrap();
        let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let bad = send(&service, callback("bad", &state)).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
        assert_eq!(bad.body["detail"], "Unable to retrieve token for notes_app (invalid_grant). The code has expired.");
        // The tokens are sealed, never shown.
        let shown =
            send(&service, TestRequest::get().uri("/api/v1/connection/notes").insert_header(bearer(&root))).await;
        assert!(
            !shown.body.to_string().contains("tok_1") && !shown.body.to_string().contains("ref_1"),
            "{:?}",
            shown.body
        );
        assert_eq!(shown.body["last_test_succeeded"], true, "{:?}", shown.body);
        let kept = stored_secrets(&app, "notes");
        // The test already refreshed the token about to expire, and kept the rotated one.
        assert_eq!((&kept["access_token"], &kept["refresh_token"]), (&json!("tok_2"), &json!("ref_2")), "{kept}");
        assert!(kept["expires_at"].as_u64().is_some(), "{kept}");
        assert!(kept.get("code").is_none(), "the code is not kept: {kept}");

        // Two requests, each refreshing the expiring token with the refresh token stored last.
        create_policy(
            &service,
            &root,
            "notes_policy",
            json!([
            {"key": "notes_access", "action_type": "access", "targets": ["user"]}]),
        )
        .await;
        for n in 3..=4 {
            let id = create_request(
                &service,
                &root,
                json!({"identity": {"email": "jane@example.com"}, "policy_key": "notes_policy"}),
            )
            .await;
            let done = wait_done(&service, &root, &id).await;
            assert_eq!(done["status"], "complete", "{done}");
            let packages = download_packages(&service, &root, &id).await;
            let package: Value = serde_json::from_slice(&packages[0].1).unwrap();
            assert_eq!(package["notes_app:notes"][0]["text"], "call the bank", "{package}");
            // The refreshed, rotated tokens are stored.
            let kept = stored_secrets(&app, "notes");
            let (token, refresh) = (format!("tok_{n}"), format!("ref_{n}"));
            assert_eq!((&kept["access_token"], &kept["refresh_token"]), (&json!(token), &json!(refresh)), "{kept}");
            assert_eq!(kept["client_secret"], "s3cret");
        }
        // New secrets drop the tokens (the connection must be authorised again).
        let replaced = json!({"domain": domain, "client_id": "lethe", "client_secret": "s3cret2",
                              "redirect_uri": "https://lethe.example.com/api/v1/oauth/callback"});
        send(
            &service,
            TestRequest::put()
                .uri("/api/v1/connection/notes/secret?verify=false")
                .insert_header(bearer(&root))
                .set_json(replaced),
        )
        .await;
        assert!(stored_secrets(&app, "notes").get("access_token").is_none());
    });
    assert_eq!(count(&server, &rt, "/oauth/token", "grant_type=authorization_code"), 2);
    for n in 1..=3 {
        assert_eq!(count(&server, &rt, "/oauth/token", &format!("refresh_token=ref_{n}")), 1, "ref_{n} used once");
    }
}
