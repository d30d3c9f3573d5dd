//! The privacy center's pages over HTTP: the home page, the request form (CSRF, validation,
//! custom fields, the public rate limit), verification with a code emailed over real SMTP and a
//! new code that makes no second request, confirmation, locales, headers, and the configuration
//! checked at start-up. The browser test (tests/tests/browser.rs) drives the same pages in
//! Chromium.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use lethe_tests::shop::{CustomerDb, Kind, register, wait_done};
use lethe_tests::smtp::SmtpServer;
use lethe_tests::{TestApp, bearer, send};
use serde_json::json;

const CONFIG: &str = r#"{
  "title": "Acme privacy", "description": "Ask us about your data.", "logo_path": "/privacy-center/static/logo.svg",
  "actions": [{
    "policy_key": "default_access_policy", "title": "Access your data", "description": "Get a copy.",
    "identity_inputs": {"email": "required"},
    "custom_privacy_request_fields": {
      "tenant": {"label": "Tenant", "hidden": true, "default_value": "acme-eu"},
      "reason": {"label": "Why are you asking?", "field_type": "select", "options": ["Curious", "Moving away"]}
    }
  }]
}"#;

/// A page: status, headers and HTML.
struct Page {
    status: StatusCode,
    location: Option<String>,
    csp: Option<String>,
    cookie: Option<String>,
    html: String,
}

async fn fetch<S, B>(service: &S, request: TestRequest) -> Page
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let response = test::call_service(service, request.to_request()).await;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, location, csp) = (response.status(), header("location"), header("content-security-policy"));
    let cookie = response.response().cookies().find(|c| c.name() == "lethe_pc_csrf").map(|c| c.value().to_owned());
    let html = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    Page { status, location, csp, cookie, html }
}

fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).unwrap() + r#"name="csrf" value=""#.len();
    html[at..at + 64].to_owned()
}

fn post(path: &str, cookie: &str, form: &[(&str, &str)]) -> TestRequest {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    TestRequest::post()
        .uri(path)
        .cookie(actix_web::cookie::Cookie::new("lethe_pc_csrf", cookie.to_owned()))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body)
}

fn center_app(smtp: &SmtpServer, config: &std::path::Path) -> TestApp {
    let config = config.to_path_buf();
    TestApp::with(move |s| {
        smtp.configure(s);
        s.execution.subject_identity_verification_required = true;
        s.privacy_center.config = Some(config);
    })
}

#[actix_web::test]
async fn the_default_home_page_lists_access_and_erasure_in_english_or_german_with_no_script() {
    let app = TestApp::new();
    let service = app.service().await;
    let home = fetch(&service, TestRequest::get().uri("/privacy-center/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{}", home.html);
    assert!(home.html.contains("Access your data") && home.html.contains("Erase your data"));
    assert!(
        home.html.contains(r#"href="/privacy-center/request/0""#)
            && home.html.contains(r#"href="/privacy-center/request/1""#)
    );
    assert!(!home.html.contains("<script") && !home.html.contains("style=\""));
    let csp = home.csp.unwrap();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src") && csp.contains("form-action 'self'"));
    let german = fetch(
        &service,
        TestRequest::get().uri("/privacy-center/").insert_header(("accept-language", "de-DE,de;q=0.9,en;q=0.5")),
    )
    .await;
    assert!(german.html.contains("<html lang=\"de\">") && german.html.contains("Was möchten Sie tun?"));
    let style =
        test::call_service(&service, TestRequest::get().uri("/privacy-center/static/style.css").to_request()).await;
    assert_eq!(style.headers().get("content-type").unwrap(), "text/css; charset=utf-8");
    let redirect = fetch(&service, TestRequest::get().uri("/privacy-center")).await;
    assert_eq!(redirect.location.as_deref(), Some("/privacy-center/"));
    assert_eq!(
        fetch(&service, TestRequest::get().uri("/privacy-center/request/9")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_subject_submits_verifies_with_a_resent_code_and_gets_one_request_with_its_custom_fields() {
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(&config, CONFIG).unwrap();
    let app = center_app(&smtp, &config);
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;

    let form = fetch(&service, TestRequest::get().uri("/privacy-center/request/0")).await;
    assert_eq!(form.status, StatusCode::OK);
    let cookie = form.cookie.clone().expect("a CSRF cookie");
    assert_eq!(csrf_of(&form.html), cookie);
    assert!(form.html.contains(r#"<label for="email">Email address"#), "{}", form.html);
    assert!(form.html.contains(r#"<select id="custom-reason" name="custom.reason" required aria-required="true""#));
    assert!(!form.html.contains("custom.tenant"), "hidden fields are not shown");

    // Errors come back on the form, announced, with what was typed kept.
    let invalid = fetch(
        &service,
        post("/privacy-center/request/0", &cookie, &[("csrf", &cookie), ("email", "jane"), ("custom.reason", "Bored")]),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.html.contains(r#"role="alert""#) && invalid.html.contains(r#"aria-invalid="true""#));
    assert!(
        invalid
            .html
            .contains(r##"<a href="#email">Email address</a>: Enter an email address such as jane@example.com."##),
        "{}",
        invalid.html
    );
    assert!(invalid.html.contains(r#"value="jane""#));
    assert!(invalid.html.contains("Choose one of the options offered."));

    let submitted = fetch(
        &service,
        post(
            "/privacy-center/request/0",
            &cookie,
            &[
                ("csrf", &cookie),
                ("email", "customer-1@example.com"),
                ("custom.reason", "Moving away"),
                ("custom.tenant", "forged"),
            ],
        ),
    )
    .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.html);
    let location = submitted.location.unwrap();
    let id = location.strip_prefix("/privacy-center/verify/").unwrap().to_owned();
    let first_code = smtp.wait_for("customer-1@example.com").code();

    let verify_page = fetch(
        &service,
        TestRequest::get().uri(&location).cookie(actix_web::cookie::Cookie::new("lethe_pc_csrf", cookie.clone())),
    )
    .await;
    assert!(verify_page.html.contains(r#"<label for="code">Verification code</label>"#), "{}", verify_page.html);
    // A new code: no second request, and the old code no longer works.
    let resent = fetch(&service, post(&format!("{location}/resend"), &cookie, &[("csrf", &cookie)])).await;
    assert_eq!(resent.status, StatusCode::UNPROCESSABLE_ENTITY, "too soon: {}", resent.html);
    assert!(resent.html.contains("less than 30 seconds ago"));
    {
        use db::schema::privacy_request_verifications as v;
        use diesel::prelude::*;
        let mut conn = app.db.database().conn().unwrap();
        diesel::update(v::table.find(&id))
            .set(v::created_at.eq(db::now() - chrono::Duration::seconds(31)))
            .execute(&mut **conn)
            .unwrap();
    }
    let resent = fetch(&service, post(&format!("{location}/resend"), &cookie, &[("csrf", &cookie)])).await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.html);
    assert_eq!(resent.location.as_deref(), Some(format!("{location}?resent=1").as_str()));
    let mails: Vec<_> = smtp.messages().into_iter().filter(|m| m.to == ["customer-1@example.com"]).collect();
    assert_eq!(mails.len(), 2);
    let second_code = mails[1].code();
    if first_code != second_code {
        let stale = fetch(&service, post(&location, &cookie, &[("csrf", &cookie), ("code", &first_code)])).await;
        assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(stale.html.contains("Incorrect identification code"), "{}", stale.html);
    }
    let verified = fetch(&service, post(&location, &cookie, &[("csrf", &cookie), ("code", &second_code)])).await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.html);
    assert_eq!(verified.location.as_deref(), Some(format!("/privacy-center/done/{id}").as_str()));
    let done_page = fetch(&service, TestRequest::get().uri(&format!("/privacy-center/done/{id}"))).await;
    assert!(done_page.html.contains(&format!(r#"<span class="request-id">{id}</span>"#)));

    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    let listed = send(&service, TestRequest::get().uri("/api/v1/privacy-request").insert_header(bearer(&root))).await;
    assert_eq!(listed.body["total"], 1, "one request, however many codes");
    let shown = send(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/privacy-request/{id}?include_identities=true"))
            .insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(shown.body["source"], "Privacy Center");
    assert_eq!(
        shown.body["custom_privacy_request_fields"],
        json!({
            "tenant": {"label": "Tenant", "value": "acme-eu"},
            "reason": {"label": "Why are you asking?", "value": "Moving away"}
        })
    );
}

#[actix_web::test]
async fn posts_without_the_cookies_token_or_from_another_origin_are_refused() {
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(&config, CONFIG).unwrap();
    let app = center_app(&smtp, &config);
    let service = app.service().await;
    let root = app.root_token();
    let form = [("email", "customer-1@example.com"), ("custom.reason", "Curious")];

    let no_cookie = TestRequest::post()
        .uri("/privacy-center/request/0")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload("csrf=abc&email=customer-1%40example.com&custom.reason=Curious");
    let refused = fetch(&service, no_cookie).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.html.contains("The form expired or was sent from another site"));
    let token = "a".repeat(64);
    let wrong = fetch(
        &service,
        post("/privacy-center/request/0", &token, &[[("csrf", "b".repeat(64).as_str())].as_slice(), &form].concat()),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let cross = post("/privacy-center/request/0", &token, &[[("csrf", token.as_str())].as_slice(), &form].concat())
        .insert_header(("origin", "https://evil.example"));
    assert_eq!(fetch(&service, cross).await.status, StatusCode::FORBIDDEN);
    let listed = send(&service, TestRequest::get().uri("/api/v1/privacy-request").insert_header(bearer(&root))).await;
    assert_eq!(listed.body["total"], 0, "nothing was created");
    assert!(smtp.messages().is_empty());
}

#[actix_web::test]
async fn the_public_rate_limit_applies_to_the_form() {
    let app = TestApp::with(|s| s.security.public_request_rate_limit_per_minute = 1);
    let service = app.service().await;
    let token = "c".repeat(64);
    let request = || {
        post("/privacy-center/request/0", &token, &[("csrf", &token), ("email", "x@example.com")])
            .peer_addr("203.0.113.9:5000".parse().unwrap())
    };
    assert_eq!(fetch(&service, request()).await.status, StatusCode::SEE_OTHER);
    let limited = fetch(&service, request()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.html.contains("Too many requests from your address"));
}

#[actix_web::test]
async fn a_bad_configuration_stops_start_up_naming_the_field_and_disabled_means_404() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        CONFIG.replace(r#""field_type": "select", "options": ["Curious", "Moving away"]"#, r#""field_type": "radio""#),
    )
    .unwrap();
    let db = db::testing::TestDb::new();
    let settings = lethe_tests::settings(db.url(), dir.path(), |s| s.privacy_center.config = Some(config.clone()));
    let error = gateway::startup::Application::build(settings).err().unwrap().to_string();
    assert!(error.contains("privacy_center.config"), "{error}");
    assert!(error.contains("actions[0].custom_privacy_request_fields.reason: unknown variant `radio`"), "{error}");

    let off = TestApp::with(|s| s.privacy_center.enabled = false);
    let service = off.service().await;
    assert_eq!(fetch(&service, TestRequest::get().uri("/privacy-center/")).await.status, StatusCode::NOT_FOUND);
}
