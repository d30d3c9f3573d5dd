//! Identity verification with codes emailed over real SMTP (to a small SMTP server the test
//! runs), and manual review: approval, denial with a reason, cancellation.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use gateway::config::Environment;
use lethe_tests::shop::{CustomerDb, Kind, create_request, register, wait_done};
use lethe_tests::smtp::SmtpServer;
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

fn verifying_app(smtp: Option<&SmtpServer>, adjust: impl FnOnce(&mut gateway::Settings)) -> TestApp {
    TestApp::with(|s| {
        s.execution.subject_identity_verification_required = true;
        if let Some(smtp) = smtp {
            smtp.configure(s);
        }
        adjust(s);
    })
}

fn public_create(email: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/privacy-request")
        .set_json(json!([{"identity": {"email": email}, "policy_key": "default_access_policy"}]))
}

fn verify(id: &str, code: &str) -> TestRequest {
    TestRequest::post().uri(&format!("/api/v1/privacy-request/{id}/verify")).set_json(json!({"code": code}))
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[actix_web::test]
async fn the_emailed_code_unlocks_a_public_request_and_a_wrong_one_is_refused() {
    let smtp = SmtpServer::start();
    let app = verifying_app(Some(&smtp), |_| {});
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;

    let created = send(&service, public_create("customer-1@example.com")).await;
    assert_eq!(created.body["failed"], json!([]), "{:?}", created.body);
    let request = &created.body["succeeded"][0];
    assert_eq!(request["status"], "identity_unverified");
    let id = request["id"].as_str().unwrap().to_owned();

    let mail = smtp.wait_for("customer-1@example.com");
    assert_eq!(mail.from, "privacy@lethe.test");
    assert!(mail.data.contains("Subject: Your privacy request verification code"), "{}", mail.data);
    let code = mail.code();
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()), "{code}");
    // Only a keyed digest of the code is stored.
    {
        use db::schema::privacy_request_verifications as v;
        use diesel::prelude::*;
        let mut conn = app.db.database().conn().unwrap();
        let digest: String = v::table.find(&id).select(v::code_digest).first(&mut **conn).unwrap();
        assert!(digest.len() == 64 && !digest.contains(&code), "{digest}");
    }

    // Nothing runs while unverified.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let still =
        send(&service, TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)))
            .await;
    assert_eq!(still.body["status"], "identity_unverified");
    assert_eq!(still.body["started_processing_at"], Value::Null);

    let refused = send(&service, verify(&id, &wrong(&code))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["detail"], format!("Incorrect identification code for '{id}'"));

    let verified = send(&service, verify(&id, &code)).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(verified.body["status"], "pending");
    assert!(verified.body["identity_verified_at"].is_string());
    assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");

    let again = send(&service, verify(&id, &code)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.body["detail"],
        format!("Invalid identity verification request. Privacy request '{id}' status = complete.")
    );
    let unknown = send(&service, verify("pri_nope", "123456")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let no_code =
        send(&service, TestRequest::post().uri(&format!("/api/v1/privacy-request/{id}/verify")).set_json(json!({})))
            .await;
    assert_eq!(no_code.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The authenticated route is trusted: no verification.
    let trusted = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-2@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    assert_eq!(wait_done(&service, &root, &trusted).await["status"], "complete");
    assert_eq!(smtp.messages().len(), 1, "no email for the authenticated request");
}

#[actix_web::test]
async fn three_wrong_codes_void_the_code_and_codes_expire() {
    let smtp = SmtpServer::start();
    let app = verifying_app(Some(&smtp), |_| {});
    let service = app.service().await;
    let created = send(&service, public_create("jane@example.com")).await;
    let id = created.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    let code = smtp.wait_for("jane@example.com").code();
    for _ in 0..3 {
        let refused = send(&service, verify(&id, &wrong(&code))).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    let void = send(&service, verify(&id, &code)).await;
    assert_eq!(void.status, StatusCode::FORBIDDEN, "the right code no longer works");
    assert_eq!(void.body["detail"], format!("Attempt limit hit for '{id}'"));
    let gone = send(&service, verify(&id, &code)).await;
    assert_eq!(gone.status, StatusCode::BAD_REQUEST);
    assert_eq!(gone.body["detail"], format!("Identification code expired for {id}."));

    // A code one second old, with a one-second lifetime.
    let app = verifying_app(Some(&smtp), |s| s.execution.identity_verification_code_ttl_seconds = 1);
    let service = app.service().await;
    let created = send(&service, public_create("late@example.com")).await;
    let late = created.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    let late_code = smtp.wait_for("late@example.com").code();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;
    let too_late = send(&service, verify(&late, &late_code)).await;
    assert_eq!(too_late.status, StatusCode::BAD_REQUEST);
    assert_eq!(too_late.body["detail"], format!("Identification code expired for {late}."));
}

#[actix_web::test]
async fn without_a_way_to_send_the_code_creation_fails_per_item_and_stores_nothing() {
    // No SMTP, production: refused.
    let app = verifying_app(None, |_| {});
    let service = app.service().await;
    let root = app.root_token();
    let created = send(&service, public_create("jane@example.com")).await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["succeeded"], json!([]));
    assert_eq!(created.body["failed"][0]["message"], "Verification message could not be sent.");
    let listed = send(&service, TestRequest::get().uri("/api/v1/privacy-request").insert_header(bearer(&root))).await;
    assert_eq!(listed.body["total"], 0);

    // An SMTP server that refuses the message: refused the same way.
    let smtp = SmtpServer::start();
    smtp.refuse_mail();
    let app = verifying_app(Some(&smtp), |_| {});
    let service = app.service().await;
    let created = send(&service, public_create("jane@example.com")).await;
    assert_eq!(created.body["failed"][0]["message"], "Verification message could not be sent.");

    // Only an email identity can receive a code.
    let phone = send(
        &service,
        TestRequest::post()
            .uri("/api/v1/privacy-request")
            .set_json(json!([{"identity": {"phone_number": "+15555550100"}, "policy_key": "default_access_policy"}])),
    )
    .await;
    assert!(phone.body["failed"][0]["message"].as_str().unwrap().starts_with("Verification message could not be sent"));

    // Development mode without SMTP: the code goes to the log and the request is accepted.
    let app = verifying_app(None, |s| s.security.env = Environment::Dev);
    let service = app.service().await;
    let created = send(&service, public_create("jane@example.com")).await;
    assert_eq!(created.body["succeeded"][0]["status"], "identity_unverified", "{:?}", created.body);
}

async fn review<S, B>(service: &S, token: &str, action: &str, body: Value) -> lethe_tests::Reply
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
        TestRequest::patch()
            .uri(&format!("/api/v1/privacy-request/administrate/{action}"))
            .insert_header(bearer(token))
            .set_json(body),
    )
    .await
}

#[actix_web::test]
async fn with_manual_approval_requests_wait_until_approved_and_denied_ones_never_run() {
    let app = TestApp::with(|s| s.execution.require_manual_request_approval = true);
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let mut ids = Vec::new();
    for email in ["customer-1@example.com", "customer-2@example.com", "jane@example.com"] {
        ids.push(
            create_request(
                &service,
                &root,
                json!({"identity": {"email": email}, "policy_key": "default_access_policy"}),
            )
            .await,
        );
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    for id in &ids {
        let got = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(got.body["status"], "pending");
        assert_eq!(got.body["started_processing_at"], Value::Null, "nothing runs before approval");
    }

    // The review scope is required.
    let reader = app.token_with(&["privacy-request:read"]);
    assert_eq!(
        review(&service, &reader, "approve", json!({"request_ids": [ids[0]]})).await.status,
        StatusCode::FORBIDDEN
    );

    let approved = review(&service, &root, "approve", json!({"request_ids": [ids[0], "pri_missing"]})).await;
    assert_eq!(approved.status, StatusCode::OK);
    assert_eq!(approved.body["succeeded"][0]["status"], "approved");
    assert_eq!(approved.body["succeeded"][0]["reviewed_by"], "root");
    assert!(approved.body["succeeded"][0]["reviewed_at"].is_string());
    assert_eq!(
        approved.body["failed"],
        json!([{"message": "No privacy request found with id 'pri_missing'", "data": {"privacy_request_id": "pri_missing"}}])
    );
    assert_eq!(wait_done(&service, &root, &ids[0]).await["status"], "complete");

    let denied =
        review(&service, &root, "deny", json!({"request_ids": [ids[1]], "reason": "Duplicate of an earlier request"}))
            .await;
    assert_eq!(denied.body["succeeded"][0]["status"], "denied", "{:?}", denied.body);
    assert_eq!(denied.body["succeeded"][0]["deny_reason"], "Duplicate of an earlier request");
    let log = send(
        &service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{}/log", ids[1])).insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(log.body["items"][0]["status"], "denied");
    assert_eq!(log.body["items"][0]["message"], "Denied by root: Duplicate of an earlier request");
    let late = review(&service, &root, "approve", json!({"request_ids": [ids[1]]})).await;
    assert_eq!(late.body["succeeded"], json!([]));
    assert_eq!(late.body["failed"][0]["message"], "Cannot transition status from denied to approved");
    assert_eq!(late.body["failed"][0]["data"]["status"], "denied");

    let canceled =
        review(&service, &root, "cancel", json!({"request_ids": [ids[2], ids[0]], "reason": "Withdrawn"})).await;
    assert_eq!(canceled.body["succeeded"][0]["status"], "canceled");
    assert_eq!(canceled.body["succeeded"][0]["cancel_reason"], "Withdrawn");
    assert!(canceled.body["succeeded"][0]["canceled_at"].is_string());
    assert_eq!(canceled.body["failed"][0]["message"], "Cannot transition status from complete to canceled");
    let approve_canceled = review(&service, &root, "approve", json!({"request_ids": [ids[2]]})).await;
    assert_eq!(approve_canceled.body["failed"][0]["message"], "Cannot transition status from canceled to approved");

    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    for id in &ids[1..] {
        let got = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(got.body["started_processing_at"], Value::Null, "denied and canceled requests never ran");
    }
    let too_many: Vec<String> = (0..51).map(|i| format!("pri_{i}")).collect();
    let refused = review(&service, &root, "approve", json!({"request_ids": too_many})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["detail"][0]["loc"], json!(["body", "request_ids"]));
}

#[actix_web::test]
async fn a_verified_request_still_waits_for_approval_when_both_are_required() {
    let smtp = SmtpServer::start();
    let app = verifying_app(Some(&smtp), |s| s.execution.require_manual_request_approval = true);
    let service = app.service().await;
    let root = app.root_token();
    let created = send(&service, public_create("jane@example.com")).await;
    let id = created.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    let code = smtp.wait_for("jane@example.com").code();
    let verified = send(&service, verify(&id, &code)).await;
    assert_eq!(verified.body["status"], "pending");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let got =
        send(&service, TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)))
            .await;
    assert_eq!(got.body["status"], "pending");
    let approved = review(&service, &root, "approve", json!({"request_ids": [id]})).await;
    assert_eq!(approved.body["succeeded"][0]["status"], "approved");
}

#[actix_web::test]
async fn a_cancel_stops_a_running_request_before_its_next_collection_package_and_masking() {
    for kind in lethe_tests::shop::kinds() {
        let (app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        lethe_tests::shop::create_policy(&service, &root, "copy_then_forget", json!([
            {"key": "copy", "action_type": "access", "targets": ["user"]},
            {"key": "forget", "action_type": "erasure", "masking_strategy": {"strategy": "null_rewrite"}, "targets": ["user.name"]}
        ]))
        .await;

        // The first collection's query waits on a lock the test holds.
        let lock = db.hold_lock();
        let id = create_request(
            &service,
            &root,
            json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "copy_then_forget"}),
        )
        .await;
        lethe_tests::shop::wait_status(&service, &root, &id, &["in_processing"]).await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        let canceled = review(&service, &root, "cancel", json!({"request_ids": [id], "reason": "Withdrawn"})).await;
        assert_eq!(canceled.body["succeeded"][0]["status"], "canceled", "{kind:?}: {}", canceled.body);
        lock.release();

        // The runner finishes the query it was in, then stops.
        let mut stopped = Value::Null;
        for _ in 0..200 {
            let log = send(
                &service,
                TestRequest::get()
                    .uri(&format!("/api/v1/privacy-request/{id}/log?size=100"))
                    .insert_header(bearer(&root)),
            )
            .await;
            if let Some(entry) = log.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["status"] == "canceled" && l["dataset_name"] == "Request execution")
            {
                stopped = log.body.clone();
                assert!(entry["message"].as_str().unwrap().contains("the request was canceled"), "{entry}");
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let items = stopped["items"].as_array().unwrap_or_else(|| panic!("{kind:?}: the runner never stopped"));
        let queried = items.iter().filter(|l| l["action_type"] == "access" && l["status"] == "complete").count();
        assert!(queried <= 1, "{kind:?}: at most the collection in flight was queried: {items:?}");
        assert!(!items.iter().any(|l| l["action_type"] == "erasure"), "{kind:?}: nothing was masked: {items:?}");

        let got = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(got.body["status"], "canceled");
        let package_dir = app.dir.path().join("results").join(&id);
        let files: Vec<_> =
            std::fs::read_dir(&package_dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        assert!(files.is_empty(), "{kind:?}: no package, not even a staged one: {files:?}");
        assert_eq!(db.text("SELECT name FROM customer WHERE id = 1").as_deref(), Some("John Customer"), "{kind:?}");
        let results = send(
            &service,
            TestRequest::get()
                .uri(&format!("/api/v1/privacy-request/{id}/access-results"))
                .insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(results.status, StatusCode::BAD_REQUEST, "{kind:?}: a canceled request has no results");
    }
}
