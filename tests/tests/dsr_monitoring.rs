//! Creating, listing and downloading privacy requests: per-item failures, limits, filters,
//! pagination, days_left, download links, the policy-in-use conflict, and a worker that dies
//! mid-execution.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use lethe_tests::shop::{CustomerDb, Kind, create_request, register, wait_done};
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

#[actix_web::test]
async fn items_fail_individually_with_clear_messages() {
    let (app, service, root) = lethe_tests::ready().await;
    let items = json!([
        {"identity": {"email": "a@example.com"}, "policy_key": "default_access_policy"},
        {"identity": {"email": "a@example.com"}, "policy_key": "nope"},
        {"identity": {}, "policy_key": "default_access_policy"},
        {"identity": {"email": "a@example.com"}, "policy_key": "default_access_policy", "encryption_key": "short"},
        {"identity": {"email": "a@example.com"}, "policy_key": "default_access_policy", "encryption_key": "ünïcödé-123"},
        {"identity": {"email": "not an email"}, "policy_key": "default_access_policy"},
    ]);
    let created = send(
        &service,
        TestRequest::post().uri("/api/v1/privacy-request/authenticated").insert_header(bearer(&root)).set_json(&items),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["succeeded"].as_array().unwrap().len(), 1);
    assert_eq!(created.body["succeeded"][0]["status"], "pending");
    assert_eq!(created.body["succeeded"][0]["submitted_by"], "root");
    assert_eq!(created.body["succeeded"][0]["policy"]["key"], "default_access_policy");
    let messages: Vec<&str> =
        created.body["failed"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        vec![
            "Policy with key nope does not exist",
            "You must provide at least one identity to process",
            "Encryption key must be 16 bytes long",
            "Encryption key must be 16 bytes long",
            "identity.email is not a valid email address",
        ]
    );
    assert_eq!(created.body["failed"][0]["data"]["policy_key"], "nope");
    assert_eq!(created.body["failed"][0]["data"]["identity"], items[1]["identity"]);

    // An item that is not a request at all refuses the whole body (as Fides' validation does),
    // naming the place; nothing is created.
    let malformed = send(
        &service,
        TestRequest::post().uri("/api/v1/privacy-request/authenticated").insert_header(bearer(&root)).set_json(json!([
            {"identity": {"email": "b@example.com"}, "policy_key": "default_access_policy"},
            {"policy_key": "default_access_policy"},
            {"identity": {"email": "c@example.com"}, "policy_key": "default_access_policy", "requested_at": "yesterday"},
        ])),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", malformed.body);
    assert_eq!(malformed.body["detail"][0]["loc"], json!(["body", 1, "identity"]));
    assert_eq!(malformed.body["detail"][0]["type"], "missing");
    let listed = send(
        &service,
        TestRequest::get().uri("/api/v1/privacy-request?identity=b@example.com").insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(listed.body["total"], 0, "a refused body creates nothing");

    let too_many: Vec<Value> = (0..51)
        .map(|_| json!({"identity": {"email": "a@example.com"}, "policy_key": "default_access_policy"}))
        .collect();
    let refused = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/privacy-request/authenticated")
            .insert_header(bearer(&root))
            .set_json(too_many),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["detail"][0]["loc"], json!(["body"]));

    let not_a_list = send(
        &service,
        TestRequest::post().uri("/api/v1/privacy-request").set_json(json!({"identity": {"email": "a@example.com"}})),
    )
    .await;
    assert_eq!(not_a_list.status, StatusCode::UNPROCESSABLE_ENTITY);

    let unauthenticated =
        send(&service, TestRequest::post().uri("/api/v1/privacy-request/authenticated").set_json(json!([]))).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let reader = app.token_with(&["privacy-request:read"]);
    let forbidden = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/privacy-request/authenticated")
            .insert_header(bearer(&reader))
            .set_json(json!([])),
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn the_public_route_is_limited_per_client_address() {
    let app = TestApp::with(|s| s.security.public_request_rate_limit_per_minute = 2);
    let service = app.service().await;
    let item = json!([{"identity": {"email": "a@example.com"}, "policy_key": "default_access_policy"}]);
    let from = |ip: &str| {
        TestRequest::post()
            .uri("/api/v1/privacy-request")
            .peer_addr(format!("{ip}:4000").parse().unwrap())
            .set_json(&item)
    };
    for _ in 0..2 {
        let ok = send(&service, from("10.1.1.1")).await;
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(ok.body["succeeded"][0]["submitted_by"], Value::Null);
    }
    let limited = send(&service, from("10.1.1.1")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["detail"], "Rate limit exceeded: 2 per 1 minute");
    assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(send(&service, from("10.1.1.2")).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn requests_are_listed_with_filters_pages_and_days_left() {
    let app = TestApp::with(|s| s.jobs.workers = 0);
    let service = app.service().await;
    let root = app.root_token();
    send(
        &service,
        TestRequest::patch().uri("/api/v1/dsr/policy").insert_header(bearer(&root)).set_json(json!([
            {"key": "default_access_policy", "name": "Default Access Policy", "execution_timeframe": 30}
        ])),
    )
    .await;
    let mut ids = Vec::new();
    for (n, email) in ["a@example.com", "b@example.com", "c@example.com"].iter().enumerate() {
        ids.push(
            create_request(
                &service,
                &root,
                json!({"identity": {"email": email, "phone_number": format!("+1 (555) 000-000{n}")}, "policy_key": "default_access_policy", "external_id": format!("ext-{n}")}),
            )
            .await,
        );
    }
    let list =
        |query: &str| TestRequest::get().uri(&format!("/api/v1/privacy-request{query}")).insert_header(bearer(&root));

    let all = send(&service, list("?size=2")).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(
        (all.body["total"].clone(), all.body["pages"].clone(), all.body["size"].clone()),
        (json!(3), json!(2), json!(2))
    );
    assert_eq!(all.body["items"][0]["id"], ids[2], "newest first");
    assert_eq!(all.body["items"][0]["days_left"], 29);
    assert!(all.body["items"][0].get("identity").is_none());
    let asc = send(&service, list("?sort_direction=asc&page=2&size=2")).await;
    assert_eq!(asc.body["items"][0]["id"], ids[2]);

    let by_identity = send(&service, list("?identity=b@example.com&include_identities=true")).await;
    assert_eq!(by_identity.body["total"], 1);
    assert_eq!(by_identity.body["items"][0]["identity"]["email"], json!({"label": "Email", "value": "b@example.com"}));
    let by_phone = send(&service, list("?identity=%2B15550000002")).await;
    assert_eq!(by_phone.body["items"][0]["id"], ids[2]);
    assert_eq!(send(&service, list("?external_id=ext-1")).await.body["items"][0]["id"], ids[1]);
    // Ids are time-ordered (UUIDv7): requests made together share their leading digits, so the
    // part searched for is the random tail.
    let tail = &ids[0][ids[0].len() - 12..];
    assert_eq!(send(&service, list(&format!("?request_id={tail}"))).await.body["total"], 1);
    assert_eq!(send(&service, list("?status=pending&status=error")).await.body["total"], 3);
    assert_eq!(send(&service, list("?status=complete")).await.body["total"], 0);
    assert_eq!(
        send(&service, list("?created_gt=2000-01-01T00:00:00Z&created_lt=2100-01-01T00:00:00Z")).await.body["total"],
        3
    );

    let bad_status = send(&service, list("?status=done")).await;
    assert_eq!(bad_status.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_status.body["detail"][0]["loc"], json!(["query", "status"]));
    let bad_sort = send(&service, list("?sort_field=password")).await;
    assert_eq!(bad_sort.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_sort.body["detail"][0]["loc"], json!(["query", "sort_field"]));
    let both = send(&service, list("?completed_gt=2020-01-01T00:00:00Z&errored_lt=2030-01-01T00:00:00Z")).await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(both.body["detail"], "Cannot specify both succeeded and failed query params.");
    let backwards = send(&service, list("?created_gt=2030-01-01T00:00:00Z&created_lt=2020-01-01T00:00:00Z")).await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
    assert_eq!(send(&service, list("?size=101")).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    let missing =
        send(&service, TestRequest::get().uri("/api/v1/privacy-request/pri_nope").insert_header(bearer(&root))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["detail"], "No privacy request found with id 'pri_nope'.");

    // A policy in use cannot be deleted.
    let delete = send(
        &service,
        TestRequest::delete().uri("/api/v1/dsr/policy/default_access_policy").insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    assert!(delete.body["detail"].as_str().unwrap().contains("3 privacy request"));
}

#[actix_web::test]
async fn download_links_are_signed_expiring_and_bound_to_their_request() {
    let app = TestApp::with(|s| s.security.subject_request_download_link_ttl_seconds = 1);
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let first = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    let second = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-2@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    wait_done(&service, &root, &first).await;
    wait_done(&service, &root, &second).await;
    let links = send(
        &service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{first}/access-results")).insert_header(bearer(&root)),
    )
    .await;
    let url = links.body["access_result_urls"][0].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://"), "{url}");
    let path = url[url.find("/api/").unwrap()..].to_owned();
    let token = path.split("token=").nth(1).unwrap().to_owned();

    let get = |path: String| TestRequest::get().uri(&path);
    let ok = test::call_service(&service, get(path.clone()).to_request()).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.headers().get("content-disposition").unwrap().to_str().unwrap().contains(&first));

    let other = send(&service, get(format!("/api/v1/privacy-request/{second}/access-package?token={token}"))).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "a link opens only its own request's package");
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let forged = send(&service, get(format!("/api/v1/privacy-request/{first}/access-package?token={tampered}"))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let missing = send(&service, get(format!("/api/v1/privacy-request/{first}/access-package"))).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);

    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    let expired = send(&service, get(path)).await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert_eq!(expired.body["detail"], "The download link is invalid or has expired.");

    let reader = app.token_with(&["privacy-request:read"]);
    let no_scope = send(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/privacy-request/{first}/access-results"))
            .insert_header(bearer(&reader)),
    )
    .await;
    assert_eq!(no_scope.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn download_links_start_at_the_configured_public_url_whatever_the_host_header() {
    let app = TestApp::with(|s| s.server.public_url = Some("https://privacy.example.com/lethe/".to_owned()));
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    wait_done(&service, &root, &id).await;
    let links = send(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/privacy-request/{id}/access-results"))
            .insert_header(("Host", "10.0.0.5:8080"))
            .insert_header(bearer(&root)),
    )
    .await;
    let url = links.body["access_result_urls"][0].as_str().unwrap();
    let expected = format!("https://privacy.example.com/lethe/api/v1/privacy-request/{id}/access-package?token=");
    assert!(url.starts_with(&expected), "{url}");
    let path = &url["https://privacy.example.com/lethe".len()..];
    let package = test::call_service(&service, TestRequest::get().uri(path).to_request()).await;
    assert_eq!(package.status(), StatusCode::OK, "the proxy strips the prefix; the token works");
}

#[actix_web::test]
async fn a_request_whose_worker_died_mid_execution_completes_after_a_restart() {
    // A gateway without workers takes the request; a "worker" claims its job and vanishes.
    let first = TestApp::with(|s| s.jobs.workers = 0);
    let service = first.service().await;
    let root = first.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    {
        use db::schema::privacy_requests as pr;
        use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
        let database = db::Database::connect(first.db.url(), 1).unwrap();
        let mut conn = database.conn().unwrap();
        let claimed =
            db::jobs::claim(&mut conn, "crashed-worker", &[dsr_core::QUEUE.to_owned()], Duration::from_secs(1))
                .unwrap();
        assert!(claimed.is_some());
        // What the vanished worker got done: the request had started.
        diesel::update(pr::table.find(&id)).set(pr::status.eq("in_processing")).execute(&mut **conn).unwrap();
    }
    let stuck =
        send(&service, TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)))
            .await;
    assert_eq!(stuck.body["status"], "in_processing");

    // The restarted gateway (same database) takes the job over once the lease has run out.
    let restarted = gateway::Application::build({
        let mut settings = first.app.settings().clone();
        settings.jobs.workers = 1;
        settings.jobs.lease_seconds = 1;
        settings.jobs.poll_interval_ms = 100;
        settings
    })
    .unwrap();
    let service = test::init_service(gateway::build_app(restarted.state().clone())).await;
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
}
