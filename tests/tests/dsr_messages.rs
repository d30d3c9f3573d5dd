//! Emails to the data subject along the request's lifecycle, sent over real SMTP (to a small SMTP
//! server the test runs) by durable jobs: receipt, approval, denial, completion with the download
//! link; the messaging template routes; and an email that cannot be sent.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::shop::{CustomerDb, Kind, create_request, log_messages, register, wait_done, wait_status};
use lethe_tests::smtp::SmtpServer;
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

const PUBLIC_URL: &str = "https://privacy.lethe.test";

fn mailing_app(smtp: &SmtpServer, adjust: impl FnOnce(&mut gateway::Settings)) -> TestApp {
    TestApp::with(|s| {
        smtp.configure(s);
        s.server.public_url = Some(PUBLIC_URL.into());
        s.notifications.send_request_receipt_notification = true;
        s.notifications.send_request_review_notification = true;
        s.notifications.send_request_completion_notification = true;
        adjust(s);
    })
}

fn public_create(email: &str, policy: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/privacy-request")
        .set_json(json!([{"identity": {"email": email}, "policy_key": policy}]))
}

#[actix_web::test]
async fn the_subject_is_emailed_at_every_step_and_the_completion_link_downloads_the_package() {
    let smtp = SmtpServer::start();
    let app = mailing_app(&smtp, |s| {
        s.execution.subject_identity_verification_required = true;
        s.execution.require_manual_request_approval = true;
    });
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;

    // Created: only the code, no receipt yet (the subject has not shown the request is theirs).
    let created = send(&service, public_create("customer-1@example.com", "default_access_policy")).await;
    let id = created.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    let code_mail = smtp.wait_for("customer-1@example.com");
    assert_eq!(code_mail.subject(), "Your privacy request verification code");
    let code = code_mail.code();
    assert!(code_mail.part("text/html").contains(&format!("Your verification code is {code}.")));
    assert!(code_mail.part("text/plain").contains("It expires in 10 minute(s)."), "{}", code_mail.part("text/plain"));

    // Verified: the receipt, naming what was asked for.
    let verified = send(
        &service,
        TestRequest::post().uri(&format!("/api/v1/privacy-request/{id}/verify")).set_json(json!({"code": code})),
    )
    .await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    let receipt = smtp.wait_for_subject("customer-1@example.com", "We received your privacy request");
    assert!(receipt.part("text/plain").starts_with("We received your privacy request (access)."));
    assert_eq!(receipt.from, "privacy@lethe.test");

    // Approved: the approval, then completion with the link.
    let approved = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/privacy-request/administrate/approve")
            .insert_header(bearer(&root))
            .set_json(json!({"request_ids": [id]})),
    )
    .await;
    assert_eq!(approved.body["failed"], json!([]), "{:?}", approved.body);
    smtp.wait_for_subject("customer-1@example.com", "Your privacy request was approved");
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    let complete = smtp.wait_for_subject("customer-1@example.com", "Your data is ready to download");
    let text = complete.part("text/plain");
    assert!(text.contains("It stays valid for 5 day(s)."), "{text}");
    let link_start = text.find(PUBLIC_URL).expect("the download link");
    let link: String = text[link_start..].chars().take_while(|c| !c.is_whitespace()).collect();
    // The link opens the privacy center's download page.
    assert!(link.starts_with(&format!("{PUBLIC_URL}/privacy-center/download/{id}?token=")), "{link}");
    let html = complete.part("text/html");
    let escaped = link.replace('&', "&amp;");
    assert!(html.contains(&format!("<a href=\"{escaped}\">{escaped}</a>")), "{html}");

    // The page offers the subject's package (and only with its token).
    let page_path = &link[PUBLIC_URL.len()..];
    let response = actix_web::test::call_service(&service, TestRequest::get().uri(page_path).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = String::from_utf8(actix_web::test::read_body(response).await.to_vec()).unwrap();
    let at = page.find("id=\"download\" href=\"").unwrap() + "id=\"download\" href=\"".len();
    let path = page[at..].split('"').next().unwrap().replace("&#x2f;", "/").replace("&amp;", "&");
    assert!(path.starts_with(&format!("/api/v1/privacy-request/{id}/access-package?token=")), "{path}");
    let response = actix_web::test::call_service(&service, TestRequest::get().uri(&path).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let package: Value = serde_json::from_slice(&actix_web::test::read_body(response).await).unwrap();
    assert!(package.to_string().contains("customer-1@example.com"), "{package}");
    assert!(!package.to_string().contains("customer-2@example.com"));
    let tampered = format!("{}x", &path);
    let response = actix_web::test::call_service(&service, TestRequest::get().uri(&tampered).to_request()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let bad_page = format!("{page_path}x");
    let response = actix_web::test::call_service(&service, TestRequest::get().uri(&bad_page).to_request()).await;
    assert_eq!(response.status(), StatusCode::GONE, "an invalid link says so");

    // Each email is sent once and logged on the request; an access policy sends no erasure email.
    let mails: Vec<String> =
        smtp.messages().iter().filter(|m| m.to == ["customer-1@example.com"]).map(|m| m.subject()).collect();
    assert_eq!(mails.len(), 4, "{mails:?}");
    let messages = log_messages(&service, &root, &id).await;
    for sent in ["privacy_request_receipt", "privacy_request_review_approve", "privacy_request_complete_access"] {
        assert_eq!(messages.iter().filter(|m| **m == format!("Sent the {sent} email")).count(), 1, "{messages:?}");
    }
}

#[actix_web::test]
async fn stored_templates_are_rendered_literally_and_the_denial_reason_is_escaped_once() {
    let smtp = SmtpServer::start();
    let app = mailing_app(&smtp, |s| s.execution.require_manual_request_approval = true);
    let service = app.service().await;
    let root = app.root_token();
    let put = send(
        &service,
        TestRequest::put().uri("/api/v1/messaging/templates").insert_header(bearer(&root)).set_json(json!([{
            "type": "privacy_request_review_deny",
            "content": {"subject": "Denied: __DENIAL_REASON__", "body": "Sorry.\n\n{{ 7*7 }} {% if x %}__DENIAL_REASON__ __CODE__"}
        }])),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["failed"], json!([]));

    let created = send(&service, public_create("jane@example.com", "default_erasure_policy")).await;
    let id = created.body["succeeded"][0]["id"].as_str().unwrap().to_owned();
    // The receipt of an erasure request.
    let receipt = smtp.wait_for_subject("jane@example.com", "We received your privacy request");
    assert!(receipt.part("text/plain").contains("(erasure)"));
    let reason = "Tom & Jerry's <b>account</b> \"x\"";
    let denied = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/privacy-request/administrate/deny")
            .insert_header(bearer(&root))
            .set_json(json!({"request_ids": [id], "reason": reason})),
    )
    .await;
    assert_eq!(denied.body["failed"], json!([]), "{:?}", denied.body);
    let mail = smtp.wait_for_subject("jane@example.com", "Denied:");
    assert_eq!(mail.subject(), format!("Denied: {reason}"));
    // (Mail travels with CRLF line ends.)
    assert_eq!(
        mail.part("text/plain").replace("\r\n", "\n"),
        format!("Sorry.\n\n{{{{ 7*7 }}}} {{% if x %}}{reason} __CODE__")
    );
    let html = mail.part("text/html").replace("\r\n", "\n");
    // html.escape of the reason, by Python: once, never &amp;amp;.
    assert!(
        html.contains("<p>Sorry.</p>\n<p>{{ 7*7 }} {% if x %}Tom &amp; Jerry&#x27;s &lt;b&gt;account&lt;/b&gt; &quot;x&quot; __CODE__</p>"),
        "{html}"
    );
    assert!(!html.contains("&amp;amp;") && !html.contains("49"));
    assert!(mail.data.contains("multipart/alternative"), "{}", mail.data);
    let done = wait_status(&service, &root, &id, &["denied"]).await;
    assert_eq!(done["status"], "denied");
}

#[actix_web::test]
async fn templates_are_listed_replaced_and_checked() {
    let smtp = SmtpServer::start();
    let app = mailing_app(&smtp, |_| {});
    let service = app.service().await;
    let root = app.root_token();
    let list = |token: &str| TestRequest::get().uri("/api/v1/messaging/templates").insert_header(bearer(token));

    let listed = send(&service, list(&root)).await;
    assert_eq!(listed.status, StatusCode::OK);
    let types: Vec<&str> = listed.body.as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "subject_identity_verification",
            "privacy_request_receipt",
            "privacy_request_review_approve",
            "privacy_request_review_deny",
            "privacy_request_complete_access",
            "privacy_request_complete_deletion"
        ]
    );
    assert_eq!(listed.body[4]["label"], "Access request completed");
    assert!(listed.body[4]["content"]["body"].as_str().unwrap().contains("__DOWNLOAD_LINK__"));

    let put = send(
        &service,
        TestRequest::put().uri("/api/v1/messaging/templates").insert_header(bearer(&root)).set_json(json!([
            {"type": "privacy_request_receipt", "content": {"subject": "Got it", "body": ""}},
            {"type": "user_invite", "content": {"subject": "x"}},
            {"type": "privacy_request_review_approve", "content": {"subject": "a\r\nBcc: evil@example.com"}},
            {"type": "privacy_request_complete_deletion", "content": {"body": "x".repeat(20_001)}}
        ])),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["succeeded"].as_array().unwrap().len(), 1);
    let receipt_default = send(
        &service,
        TestRequest::get()
            .uri("/api/v1/messaging/templates/default/privacy_request_receipt")
            .insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(receipt_default.body["is_enabled"], false);
    assert_eq!(receipt_default.body["label"], "Privacy request received");
    // An empty part takes the default's.
    assert_eq!(
        put.body["succeeded"][0]["content"],
        json!({"subject": "Got it", "body": receipt_default.body["content"]["body"]})
    );
    let failures: Vec<&str> =
        put.body["failed"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(
        failures,
        [
            "Messaging template type user_invite is not supported",
            "content.subject must be one line",
            "content.body must be at most 20000 characters"
        ]
    );
    let listed = send(&service, list(&root)).await;
    assert_eq!(listed.body[1]["content"]["subject"], "Got it");
    assert_eq!(
        listed.body[2]["content"]["subject"], "Your privacy request was approved",
        "refused items change nothing"
    );

    let bad =
        send(&service, TestRequest::get().uri("/api/v1/messaging/templates/default/nope").insert_header(bearer(&root)))
            .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["detail"][0]["loc"], json!(["path", "template_type"]));
    let malformed = send(
        &service,
        TestRequest::put()
            .uri("/api/v1/messaging/templates")
            .insert_header(bearer(&root))
            .set_json(json!([{"type": "privacy_request_receipt", "content": {"subjekt": "x"}}])),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", malformed.body);

    // Reading needs the same scope as writing, as in Fides.
    let reader = app.token_with(&["privacy-request:read"]);
    assert_eq!(send(&service, list(&reader)).await.status, StatusCode::FORBIDDEN);
    let editor = app.token_with(&["messaging-template:update"]);
    assert_eq!(send(&service, list(&editor)).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_completion_email_that_cannot_be_sent_is_logged_and_the_request_stays_complete() {
    let smtp = SmtpServer::start();
    let app = mailing_app(&smtp, |_| {});
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    smtp.refuse_mail();
    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    // Retries back off (2 s, 4 s, …): bring each one forward instead of waiting.
    let expected = "The privacy_request_complete_access email could not be sent after 5 attempt(s)";
    let mut logged = Vec::new();
    for _ in 0..400 {
        {
            use db::schema::jobs;
            use diesel::prelude::*;
            let mut conn = app.db.database().conn().unwrap();
            diesel::update(
                jobs::table.filter(jobs::queue.eq(dsr_core::MESSAGE_QUEUE)).filter(jobs::status.eq("queued")),
            )
            .set(jobs::run_at.eq(db::now()))
            .execute(&mut **conn)
            .unwrap();
        }
        logged = log_messages(&service, &root, &id).await;
        if logged.iter().any(|m| m.starts_with(expected)) {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let failure = logged.iter().find(|m| m.starts_with(expected)).unwrap_or_else(|| panic!("{logged:?}"));
    assert!(failure.contains("Sender refused"), "{failure}");
    let after = wait_done(&service, &root, &id).await;
    assert_eq!(after["status"], "complete");
    assert!(smtp.messages().is_empty());
}
