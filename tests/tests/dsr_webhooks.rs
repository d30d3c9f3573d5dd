//! Policy webhooks through the API: `https` connections, a policy's pre- and post-execution
//! webhooks managed with Fides' routes (all-or-nothing PUT, PATCH that reorders, DELETE that
//! closes the gap), and requests that call them on a local HTTPS server: a one-way webhook is
//! told and its error ignored, a two-way one halts the request (`paused`) and resumes it with a
//! derived identity through a token bound to that request, a post-execution webhook is called
//! before completion, a failing two-way call and a call to a non-public address fail the request,
//! and a pause that outlives its timeout fails it.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use connectors::testing::wiremock::matchers::{method, path};
use connectors::testing::wiremock::{Mock, ResponseTemplate};
use connectors::testing::{HttpsServer, runtime};
use lethe_tests::shop::{
    CustomerDb, Kind, create_policy, create_request, download_packages, log_messages, register, wait_done, wait_status,
    wait_status_for,
};
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

/// A local HTTPS webhook receiver answering `path` with `reply`.
fn receiver(rt: &tokio::runtime::Runtime, replies: &[(&str, ResponseTemplate)]) -> HttpsServer {
    let server = HttpsServer::start(rt);
    for (at, reply) in replies {
        rt.block_on(Mock::given(method("POST")).and(path(*at)).respond_with(reply.clone()).mount(&server.mock));
    }
    server
}

/// An app whose client trusts the receiver's CA; with `allow`, it may call localhost.
fn app_for(
    server: &HttpsServer,
    allow: bool,
    adjust: impl FnOnce(&mut gateway::Settings),
) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let app = TestApp::with(|settings| {
        if allow {
            settings.saas.allowed_hosts = vec!["localhost".to_owned()];
        }
        settings.saas.extra_root_certs = Some(ca);
        adjust(settings);
    });
    (app, dir)
}

/// What the receiver was sent at `at`: each call's headers and JSON body.
fn calls(server: &HttpsServer, rt: &tokio::runtime::Runtime, at: &str) -> Vec<(Vec<(String, String)>, Value)> {
    server
        .received(rt)
        .iter()
        .filter(|r| r.url.path() == at)
        .map(|r| {
            let headers = r
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                .collect();
            (headers, serde_json::from_slice(&r.body).unwrap())
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Creates the `https` connection `key` posting to `url`.
async fn https_connection<S, B>(service: &S, root: &str, key: &str, url: &str)
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
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(root)).set_json(json!([{
            "key": key, "name": key, "connection_type": "https", "access": "read",
            "secrets": {"url": url, "authorization": "Bearer hook-secret", "headers": {"X-Tenant": "acme"}}
        }])),
    )
    .await;
    assert_eq!(created.body["succeeded"].as_array().map(Vec::len), Some(1), "{:?}", created.body);
}

/// Sets the webhooks of `policy` at `timing`.
async fn put_webhooks<S, B>(service: &S, root: &str, policy: &str, timing: &str, hooks: Value) -> lethe_tests::Reply
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    send(
        service,
        TestRequest::put()
            .uri(&format!("/api/v1/dsr/policy/{policy}/webhook/{timing}"))
            .insert_header(bearer(root))
            .set_json(hooks),
    )
    .await
}

/// Access rules of a policy (each policy needs its own rule key).
fn access(policy: &str) -> Value {
    json!([{"key": format!("{policy}_access"), "action_type": "access", "targets": ["user"]}])
}

#[test]
fn policy_webhooks_are_managed_with_fides_routes() {
    let rt = runtime();
    let server = receiver(&rt, &[]);
    let (app, _ca) = app_for(&server, true, |_| {});
    let db = CustomerDb::create(Kind::Sqlite);
    let url = format!("https://localhost:{}/hooks", server.port);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        register(&service, &root, &db, "shop", "shop_db").await;
        https_connection(&service, &root, "hooks", &url).await;
        create_policy(&service, &root, "hooked", access("hooked")).await;

        // An https connection: its schema, masked secrets, a test that is skipped, no datasets.
        let schema =
            send(&service, TestRequest::get().uri("/api/v1/connection_type/https/secret").insert_header(bearer(&root)))
                .await;
        assert_eq!(schema.body["required"], json!(["url", "authorization"]), "{:?}", schema.body);
        let test =
            send(&service, TestRequest::get().uri("/api/v1/connection/hooks/test").insert_header(bearer(&root))).await;
        assert_eq!(test.body["test_status"], "skipped", "{:?}", test.body);
        let bad = send(
            &service,
            TestRequest::put()
                .uri("/api/v1/connection/hooks/secret")
                .insert_header(bearer(&root))
                .set_json(json!({"url": "http://localhost/x", "authorization": "a"})),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
        assert_eq!(bad.body["detail"][0]["loc"], json!(["body", "url"]), "{:?}", bad.body);

        let put = put_webhooks(
            &service,
            &root,
            "hooked",
            "pre_execution",
            json!([
                {"connection_config_key": "hooks", "direction": "one_way", "key": "notify", "name": "Notify"},
                {"connection_config_key": "hooks", "direction": "two_way", "name": "Verify id"}
            ]),
        )
        .await;
        assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
        let keys: Vec<(&str, i64)> = put
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w["key"].as_str().unwrap(), w["order"].as_i64().unwrap()))
            .collect();
        assert_eq!(keys, [("notify", 0), ("verify_id", 1)]);
        assert_eq!(put.body[0]["connection_config"]["connection_type"], "https");
        assert_eq!(put.body[0]["connection_config"]["secrets"]["authorization"], "**********");
        assert!(!put.body.to_string().contains("hook-secret"));

        // All or nothing: a database connection or an unknown one refuses the whole list.
        let wrong_type = put_webhooks(
            &service,
            &root,
            "hooked",
            "pre_execution",
            json!([
                {"connection_config_key": "hooks", "direction": "one_way", "key": "only"},
                {"connection_config_key": "shop", "direction": "one_way", "key": "db"}
            ]),
        )
        .await;
        assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", wrong_type.body);
        assert_eq!(wrong_type.body["detail"][0]["loc"], json!(["body", 1, "connection_config_key"]));
        let unknown = put_webhooks(
            &service,
            &root,
            "hooked",
            "pre_execution",
            json!([
                {"connection_config_key": "nope", "direction": "one_way", "key": "x"}
            ]),
        )
        .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
        assert_eq!(unknown.body["detail"], "No connection configuration found with key nope.");
        let twice = put_webhooks(
            &service,
            &root,
            "hooked",
            "pre_execution",
            json!([
                {"connection_config_key": "hooks", "direction": "one_way", "key": "a"},
                {"connection_config_key": "hooks", "direction": "one_way", "key": "a"}
            ]),
        )
        .await;
        assert_eq!(twice.body["detail"][0]["loc"], json!(["body", 1, "key"]), "{:?}", twice.body);
        let missing = put_webhooks(&service, &root, "hooked", "pre_execution", json!([{"direction": "one_way"}])).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        let list = send(
            &service,
            TestRequest::get().uri("/api/v1/dsr/policy/hooked/webhook/pre_execution").insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(list.body["total"], 2, "{:?}", list.body);
        assert_eq!(list.body["items"][1]["key"], "verify_id");

        // PATCH: moving a webhook renumbers all; an order outside the list is a 400.
        let patch = |key: &str, body: Value| {
            TestRequest::patch()
                .uri(&format!("/api/v1/dsr/policy/hooked/webhook/pre_execution/{key}"))
                .insert_header(bearer(&root))
                .set_json(body)
        };
        let moved = send(&service, patch("verify_id", json!({"order": 0}))).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        assert_eq!(moved.body["new_order"], json!([{"key": "verify_id", "order": 0}, {"key": "notify", "order": 1}]));
        assert_eq!(moved.body["resource"]["order"], 0);
        let renamed = send(&service, patch("notify", json!({"name": "Tell them"}))).await;
        assert_eq!(renamed.body["resource"]["name"], "Tell them");
        assert_eq!(renamed.body["new_order"], Value::Null);
        let far = send(&service, patch("notify", json!({"order": 5}))).await;
        assert_eq!(far.status, StatusCode::BAD_REQUEST, "{:?}", far.body);
        let other = send(&service, patch("notify", json!({"connection_config_key": "shop"}))).await;
        assert_eq!(other.body["detail"][0]["loc"], json!(["body", "connection_config_key"]), "{:?}", other.body);
        let unknown = send(&service, patch("ghost", json!({"name": "x"}))).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.body["detail"], "No PolicyPreWebhook found for key ghost on Policy hooked.");

        // DELETE closes the gap.
        let deleted = send(
            &service,
            TestRequest::delete()
                .uri("/api/v1/dsr/policy/hooked/webhook/pre_execution/verify_id")
                .insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(deleted.body, json!({"new_order": [{"key": "notify", "order": 0}]}));
        let one = send(
            &service,
            TestRequest::get()
                .uri("/api/v1/dsr/policy/hooked/webhook/pre_execution/notify")
                .insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(one.body["name"], "Tell them", "{:?}", one.body);

        // Timings are two; post webhooks are their own list; scopes are checked first.
        let bad_timing = send(
            &service,
            TestRequest::get().uri("/api/v1/dsr/policy/hooked/webhook/sometime").insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(bad_timing.status, StatusCode::NOT_FOUND);
        let post = send(
            &service,
            TestRequest::get().uri("/api/v1/dsr/policy/hooked/webhook/post_execution").insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(post.body["total"], 0);
        let reader = app.token_with(&["webhook:read"]);
        let refused = put_webhooks(&service, &reader, "hooked", "pre_execution", json!("not even a list")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);

        // Deleting the connection deletes its webhooks.
        let gone =
            send(&service, TestRequest::delete().uri("/api/v1/connection/hooks").insert_header(bearer(&root))).await;
        assert!(gone.status.is_success(), "{:?}", gone.body);
        let list = send(
            &service,
            TestRequest::get().uri("/api/v1/dsr/policy/hooked/webhook/pre_execution").insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(list.body["total"], 0, "{:?}", list.body);
    });
}

#[test]
fn webhooks_are_called_halt_the_request_and_resume_it_with_a_derived_identity() {
    let rt = runtime();
    let server = receiver(
        &rt,
        &[
            ("/hooks/notify", ResponseTemplate::new(500).set_body_string("down for maintenance")),
            ("/hooks/verify", ResponseTemplate::new(200).set_body_json(json!({"halt": true}))),
            ("/hooks/after", ResponseTemplate::new(200).set_body_json(json!({"halt": false}))),
        ],
    );
    let (app, _ca) = app_for(&server, true, |_| {});
    let db = CustomerDb::create(Kind::Sqlite);
    let base = format!("https://localhost:{}/hooks", server.port);
    let (id, other) = actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        register(&service, &root, &db, "shop", "shop_db").await;
        for name in ["notify", "verify", "after"] {
            https_connection(&service, &root, name, &format!("{base}/{name}")).await;
        }
        create_policy(&service, &root, "hooked", access("hooked")).await;
        let pre = put_webhooks(
            &service,
            &root,
            "hooked",
            "pre_execution",
            json!([
                {"connection_config_key": "notify", "direction": "one_way", "key": "notify"},
                {"connection_config_key": "verify", "direction": "two_way", "key": "verify"}
            ]),
        )
        .await;
        assert_eq!(pre.status, StatusCode::OK, "{:?}", pre.body);
        let post = put_webhooks(
            &service,
            &root,
            "hooked",
            "post_execution",
            json!([
                {"connection_config_key": "after", "direction": "two_way", "key": "after"}
            ]),
        )
        .await;
        assert_eq!(post.status, StatusCode::OK, "{:?}", post.body);

        // The subject gave an address the stores do not know; the webhook knows the real one.
        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "alias@example.com"}, "policy_key": "hooked"}),
        )
        .await;
        let paused = wait_status(&service, &root, &id, &["paused", "error", "complete"]).await;
        assert_eq!(paused["status"], "paused", "{paused}");
        assert!(paused["paused_at"].is_string(), "{paused}");
        assert_eq!(paused["resume_endpoint"], format!("/privacy-request/{id}/resume"));
        let other = create_request(
            &service,
            &root,
            json!({"identity": {"email": "other@example.com"}, "policy_key": "hooked"}),
        )
        .await;
        wait_status(&service, &root, &other, &["paused"]).await;
        (id, other)
    });

    // The one-way webhook was told (its 500 ignored), the two-way one asked, nothing else yet.
    let notify = calls(&server, &rt, "/hooks/notify");
    let verify = calls(&server, &rt, "/hooks/verify");
    assert_eq!((notify.len(), verify.len()), (2, 2));
    assert!(calls(&server, &rt, "/hooks/after").is_empty());
    let (headers, body) = notify.iter().find(|(_, b)| b["privacy_request_id"] == id).unwrap();
    assert_eq!(header(headers, "authorization"), Some("Bearer hook-secret"));
    assert_eq!(header(headers, "x-tenant"), Some("acme"));
    assert_eq!(header(headers, "reply-to-token"), None);
    assert_eq!(body["identity"], json!({"email": "alias@example.com"}));
    assert_eq!(
        (&body["direction"], &body["callback_type"], &body["policy_action"]),
        (&json!("one_way"), &json!("pre"), &json!("access"))
    );
    assert_eq!(body["privacy_request_status"], "in_processing");
    assert_eq!(body["privacy_request"]["policy"]["key"], "hooked");
    let token_of = |request: &str| {
        let (headers, body) = verify.iter().find(|(_, b)| b["privacy_request_id"] == request).unwrap();
        assert_eq!(body["direction"], "two_way");
        assert_eq!(header(headers, "reply-to"), Some(format!("/privacy-request/{request}/resume").as_str()));
        header(headers, "reply-to-token").unwrap().to_owned()
    };
    let token = token_of(&id);
    let others_token = token_of(&other);

    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        let resume = |request: &str, token: Option<&str>, body: Value| {
            let mut call = TestRequest::post().uri(&format!("/api/v1/privacy-request/{request}/resume")).set_json(body);
            if let Some(token) = token {
                call = call.insert_header(("Authorization", format!("Bearer {token}")));
            }
            call
        };
        let jane = json!({"derived_identity": {"email": "jane@example.com"}});
        // No token, an OAuth client's token, another request's token, garbage: refused.
        assert_eq!(send(&service, resume(&id, None, jane.clone())).await.status, StatusCode::UNAUTHORIZED);
        let client = send(&service, resume(&id, Some(&root), jane.clone())).await;
        assert_eq!(client.status, StatusCode::FORBIDDEN, "{:?}", client.body);
        let crossed = send(&service, resume(&id, Some(&others_token), jane.clone())).await;
        assert_eq!(crossed.status, StatusCode::FORBIDDEN, "{:?}", crossed.body);
        assert_eq!(crossed.body["detail"], format!("This webhook token was not issued for privacy request '{id}'."));
        // The token decides before the body is read.
        let garbage = send(&service, resume(&id, Some("garbage"), json!("not a body"))).await;
        assert_eq!(garbage.status, StatusCode::FORBIDDEN);
        let invalid =
            send(&service, resume(&id, Some(&token), json!({"derived_identity": {"email": "not-an-email"}}))).await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", invalid.body);
        assert_eq!(invalid.body["detail"][0]["loc"], json!(["body", "derived_identity"]));
        let still = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(still.body["status"], "paused");

        let resumed = send(&service, resume(&id, Some(&token), jane.clone())).await;
        assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
        assert_eq!(resumed.body["status"], "in_processing");
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{done}");
        // Found through the derived identity.
        let packages = download_packages(&service, &root, &id).await;
        let package: Value = serde_json::from_slice(&packages[0].1).unwrap();
        assert_eq!(package["shop_db:customer"][0]["email"], "jane@example.com", "{package}");
        // The token works once: the request is no longer paused by that webhook.
        let replay = send(&service, resume(&id, Some(&token), jane)).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{:?}", replay.body);
        let messages = log_messages(&service, &root, &id).await;
        assert!(messages.iter().any(|m| m.starts_with("Paused by pre-execution webhook verify")), "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("Resumed by pre-execution webhook verify")), "{messages:?}");
        assert!(
            messages.iter().any(|m| m.starts_with("Post-execution webhook after (two_way) called")),
            "{messages:?}"
        );
    });
    // After the resume no pre webhook was called again; the post one once, after the access.
    assert_eq!(calls(&server, &rt, "/hooks/verify").len(), 2);
    assert_eq!(calls(&server, &rt, "/hooks/notify").len(), 2);
    let after = calls(&server, &rt, "/hooks/after");
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].1["callback_type"], "post");
    assert_eq!(after[0].1["identity"]["email"], "jane@example.com");
    assert_eq!(header(&after[0].0, "reply-to-token"), None);
}

#[test]
fn failing_or_unsafe_webhooks_fail_the_request_and_pauses_expire() {
    let rt = runtime();
    let server = receiver(
        &rt,
        &[
            ("/hooks/broken", ResponseTemplate::new(503).set_body_string("unavailable")),
            ("/hooks/odd", ResponseTemplate::new(200).set_body_json(json!({"ok": true}))),
            ("/hooks/hold", ResponseTemplate::new(200).set_body_json(json!({"halt": true}))),
        ],
    );
    // Without allowed hosts: the guard refuses loopback addresses.
    let (strict, _ca) = app_for(&server, false, |_| {});
    actix_web::rt::System::new().block_on(async {
        let service = strict.service().await;
        let root = strict.root_token();
        https_connection(&service, &root, "local", &format!("https://127.0.0.1:{}/hooks/hold", server.port)).await;
        create_policy(&service, &root, "guarded", access("guarded")).await;
        put_webhooks(
            &service,
            &root,
            "guarded",
            "pre_execution",
            json!([
            {"connection_config_key": "local", "direction": "one_way", "key": "local"}]),
        )
        .await;
        let id =
            create_request(&service, &root, json!({"identity": {"email": "a@example.com"}, "policy_key": "guarded"}))
                .await;
        let failed = wait_done(&service, &root, &id).await;
        assert_eq!(failed["status"], "error", "{failed}");
        assert_eq!(failed["action_required_details"]["step"], "pre_webhooks", "{failed}");
        let messages = log_messages(&service, &root, &id).await;
        assert!(messages.iter().any(|m| m.contains("is not safe to call")), "{messages:?}");
    });
    assert!(calls(&server, &rt, "/hooks/hold").is_empty());

    let (app, _ca2) = app_for(&server, true, |settings| settings.execution.webhook_pause_timeout_seconds = 1);
    let db = CustomerDb::create(Kind::Sqlite);
    let base = format!("https://localhost:{}/hooks", server.port);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        register(&service, &root, &db, "shop", "shop_db").await;
        for name in ["broken", "odd", "hold"] {
            https_connection(&service, &root, name, &format!("{base}/{name}")).await;
        }
        // A two-way webhook that answers 503, then one whose answer has no `halt`: each fails the request.
        for (policy, hook, expected) in [("p_broken", "broken", "answered with status 503"), ("p_odd", "odd", "halt")] {
            create_policy(&service, &root, policy, access(policy)).await;
            put_webhooks(
                &service,
                &root,
                policy,
                "pre_execution",
                json!([
                {"connection_config_key": hook, "direction": "two_way", "key": format!("{hook}_hook")}]),
            )
            .await;
            let id = create_request(
                &service,
                &root,
                json!({"identity": {"email": "jane@example.com"}, "policy_key": policy}),
            )
            .await;
            let failed = wait_done(&service, &root, &id).await;
            assert_eq!(failed["status"], "error", "{failed}");
            assert_eq!(failed["action_required_details"]["step"], "pre_webhooks");
            let messages = log_messages(&service, &root, &id).await;
            assert!(messages.iter().any(|m| m.contains(expected)), "{expected}: {messages:?}");
        }
        // A post-execution webhook that fails fails the request at post_webhooks; a retry calls it again.
        create_policy(&service, &root, "p_post", access("p_post")).await;
        put_webhooks(
            &service,
            &root,
            "p_post",
            "post_execution",
            json!([
            {"connection_config_key": "broken", "direction": "two_way", "key": "post_broken"}]),
        )
        .await;
        let id =
            create_request(&service, &root, json!({"identity": {"email": "jane@example.com"}, "policy_key": "p_post"}))
                .await;
        let failed = wait_done(&service, &root, &id).await;
        assert_eq!(failed["action_required_details"]["step"], "post_webhooks", "{failed}");

        // A pause that outlives the timeout fails the request; the token has expired with it.
        create_policy(&service, &root, "p_hold", access("p_hold")).await;
        put_webhooks(
            &service,
            &root,
            "p_hold",
            "pre_execution",
            json!([
            {"connection_config_key": "hold", "direction": "two_way", "key": "hold_hook"}]),
        )
        .await;
        let id =
            create_request(&service, &root, json!({"identity": {"email": "jane@example.com"}, "policy_key": "p_hold"}))
                .await;
        wait_status(&service, &root, &id, &["paused"]).await;
        let expired = wait_status_for(&service, &root, &id, &["error"], 10).await;
        assert_eq!(expired["action_required_details"]["step"], "pre_webhooks", "{expired}");
        let messages = log_messages(&service, &root, &id).await;
        assert!(messages.iter().any(|m| m.contains("WEBHOOK_PAUSE_TIMEOUT_SECONDS")), "{messages:?}");
    });
    let hold = calls(&server, &rt, "/hooks/hold");
    let token = header(&hold[0].0, "reply-to-token").unwrap().to_owned();
    let id = hold[0].1["privacy_request_id"].as_str().unwrap().to_owned();
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let late = send(
            &service,
            TestRequest::post()
                .uri(&format!("/api/v1/privacy-request/{id}/resume"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .set_json(json!({})),
        )
        .await;
        assert_eq!(late.status, StatusCode::FORBIDDEN, "{:?}", late.body);
        assert_eq!(late.body["detail"], "Webhook token expired");
    });
}
