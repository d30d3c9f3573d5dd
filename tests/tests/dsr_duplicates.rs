//! Duplicate request detection through the API, with codes emailed over real SMTP: duplicates
//! never run, someone who only knows a subject's email cannot block the subject's own request
//! (Fides' GHSA-qx5f-ghc2-7g5c), and an unverified duplicate is never approved.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::shop::{CustomerDb, Kind, create_request, log_messages, register, wait_done, wait_status};
use lethe_tests::smtp::SmtpServer;
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

fn detecting_app(smtp: &SmtpServer, adjust: impl FnOnce(&mut gateway::Settings)) -> TestApp {
    TestApp::with(|s| {
        smtp.configure(s);
        s.privacy_request_duplicate_detection.enabled = true;
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

fn approve(token: &str, id: &str) -> TestRequest {
    TestRequest::patch()
        .uri("/api/v1/privacy-request/administrate/approve")
        .insert_header(bearer(token))
        .set_json(json!({"request_ids": [id]}))
}

/// The code of the `n`-th email (0-based) to `to`.
fn nth_code(smtp: &SmtpServer, to: &str, n: usize) -> String {
    for _ in 0..500 {
        let mails: Vec<_> = smtp.messages().into_iter().filter(|m| m.to.iter().any(|t| t == to)).collect();
        if let Some(mail) = mails.get(n) {
            return mail.code();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no email {n} to {to}");
}

async fn get<S, B>(service: &S, token: &str, id: &str) -> Value
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    send(service, TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(token)))
        .await
        .body
}

#[actix_web::test]
async fn someone_who_knows_the_email_cannot_block_the_subjects_own_request() {
    let smtp = SmtpServer::start();
    let app = detecting_app(&smtp, |s| s.execution.subject_identity_verification_required = true);
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;

    // The attacker files first; its code goes to the subject's mailbox, which they cannot read.
    let attacker = send(&service, public_create("customer-1@example.com")).await;
    let attacker_id = attacker.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(attacker.body["succeeded"][0]["status"], "identity_unverified");
    // The subject's own request repeats an unverified earlier one: a duplicate, for now.
    let subject = send(&service, public_create("customer-1@example.com")).await;
    let subject_id = subject.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(subject.body["succeeded"][0]["status"], "duplicate", "{:?}", subject.body);

    // The subject verifies it anyway (Fides answered 400 here): it wins and runs.
    let code = nth_code(&smtp, "customer-1@example.com", 1);
    let verified = send(&service, verify(&subject_id, &code)).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    let done = wait_done(&service, &root, &subject_id).await;
    assert_eq!(done["status"], "complete", "{done}");
    // The attacker's request is now the duplicate, logged as such, and never ran.
    let theirs = get(&service, &root, &attacker_id).await;
    assert_eq!(theirs["status"], "duplicate");
    let logged = log_messages(&service, &root, &attacker_id).await;
    assert_eq!(
        logged,
        [format!("Duplicate of {subject_id} (same policy and email within 365 day(s)): it will not run")]
    );
    assert_eq!(
        log_messages(&service, &root, &subject_id).await[0],
        format!("Duplicate of {attacker_id} (same policy and email within 365 day(s)): it will not run")
    );
    // Listed by status.
    let listed =
        send(&service, TestRequest::get().uri("/api/v1/privacy-request?status=duplicate").insert_header(bearer(&root)))
            .await;
    let ids: Vec<&str> = listed.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [attacker_id.as_str()]);
}

#[actix_web::test]
async fn an_unverified_duplicate_is_never_approved_and_a_verified_one_waits_its_turn() {
    let smtp = SmtpServer::start();
    let app = detecting_app(&smtp, |s| {
        s.execution.subject_identity_verification_required = true;
        s.execution.require_manual_request_approval = true;
    });
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;

    let first = send(&service, public_create("customer-2@example.com")).await;
    let first_id = first.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    let verified = send(&service, verify(&first_id, &nth_code(&smtp, "customer-2@example.com", 0))).await;
    assert_eq!(verified.body["status"], "pending");

    let second = send(&service, public_create("customer-2@example.com")).await;
    let second_id = second.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(second.body["succeeded"][0]["status"], "duplicate");
    let refused = send(&service, approve(&root, &second_id)).await;
    assert_eq!(refused.body["failed"][0]["message"], "Cannot approve unverified duplicate request");
    assert_eq!(get(&service, &root, &second_id).await["status"], "duplicate");

    // Verified later than the first, it stays a duplicate and cannot be approved before it.
    let verified = send(&service, verify(&second_id, &nth_code(&smtp, "customer-2@example.com", 1))).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(get(&service, &root, &second_id).await["status"], "duplicate");
    let refused = send(&service, approve(&root, &second_id)).await;
    assert_eq!(
        refused.body["failed"][0]["message"],
        format!(
            "Cannot approve duplicate request {second_id}: {first_id} of the same policy and identity is handled first"
        )
    );

    let approved = send(&service, approve(&root, &first_id)).await;
    assert_eq!(approved.body["failed"], json!([]), "{:?}", approved.body);
    assert_eq!(wait_done(&service, &root, &first_id).await["status"], "complete");
    // Once the first has ended, the verified duplicate may go.
    let approved = send(&service, approve(&root, &second_id)).await;
    assert_eq!(approved.body["failed"], json!([]), "{:?}", approved.body);
    assert_eq!(wait_done(&service, &root, &second_id).await["status"], "complete");
}

#[actix_web::test]
async fn only_the_same_policy_and_identity_within_the_window_is_a_duplicate_and_duplicates_never_run() {
    let smtp = SmtpServer::start();
    let app = detecting_app(&smtp, |_| {});
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let item = |email: &str, policy: &str| json!({"identity": {"email": email}, "policy_key": policy});

    // Both in one call, so the first cannot have completed before the second is compared.
    let both = send(
        &service,
        TestRequest::post().uri("/api/v1/privacy-request/authenticated").insert_header(bearer(&root)).set_json(json!(
            [
                item("customer-1@example.com", "default_access_policy"),
                item("customer-1@example.com", "default_access_policy")
            ]
        )),
    )
    .await;
    let id_of = |i: usize| both.body["succeeded"][i]["id"].as_str().expect("an id").to_owned();
    let (first, again) = (id_of(0), id_of(1));
    assert_eq!(both.body["succeeded"][1]["status"], "duplicate", "{:?}", both.body);
    let other_policy = create_request(&service, &root, item("customer-1@example.com", "default_erasure_policy")).await;
    let other_subject = create_request(&service, &root, item("customer-2@example.com", "default_access_policy")).await;
    assert_eq!(wait_done(&service, &root, &first).await["status"], "complete");
    assert_eq!(wait_done(&service, &root, &other_policy).await["status"], "complete");
    assert_eq!(wait_done(&service, &root, &other_subject).await["status"], "complete");
    // Never queued: after the others ran it is still a duplicate, with nothing but its mark logged.
    let duplicate = wait_status(&service, &root, &again, &["duplicate"]).await;
    assert_eq!(duplicate["status"], "duplicate");
    assert_eq!(log_messages(&service, &root, &again).await.len(), 1);
    // The first has completed, so the next request is not a duplicate.
    let later = create_request(&service, &root, item("customer-1@example.com", "default_access_policy")).await;
    assert_eq!(wait_done(&service, &root, &later).await["status"], "complete");
}
