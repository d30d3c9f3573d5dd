//! AI pre-fill over a real HTTP exchange with a local server speaking the OpenAI
//! chat-completions wire format: drafts for what the inventory cannot answer, failures that
//! leave questions open without failing the generation, and a key that never leaks.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::assess::{BASE, question, wait_task};
use lethe_tests::fake_http::{Answer, FakeHttp, Recorded};
use lethe_tests::{TestApp, bearer, send};
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "sk-test-0123456789-secret";

fn completion(text: &str) -> Answer {
    Answer::json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
    }))
}

/// The question id the prompt asks about (`Question (dpia_2_4): …`).
fn question_of(request: &Recorded) -> String {
    let body = request.json();
    let user = body["messages"][1]["content"].as_str().unwrap_or_default().to_owned();
    let at = user.find("Question (").map(|i| i + "Question (".len()).unwrap_or(0);
    user[at..].split(')').next().unwrap_or_default().to_owned()
}

fn app_with_llm(url: &str, timeout: u64) -> TestApp {
    TestApp::with(|s| {
        s.llm.base_url = Some(format!("{url}/v1"));
        s.llm.api_key = Some(SecretString::from(KEY));
        s.llm.timeout_seconds = timeout;
    })
}

async fn generate(app: &TestApp, template: &str) -> (Value, Value) {
    let service = app.service().await;
    let root = app.root_token();
    let system = json!({
        "fides_key": "web_shop", "name": "Web shop", "description": "Online store",
        "privacy_declarations": [{"name": "Orders", "data_use": "essential.service",
            "data_categories": ["user.contact.email"], "data_subjects": ["customer"],
            "legal_basis_for_processing": "Contract", "retention_period": "6 years"}]
    });
    let created =
        send(&service, TestRequest::post().uri("/api/v1/system").insert_header(bearer(&root)).set_json(system)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let configured = send(
        &service,
        TestRequest::put()
            .uri(&format!("{BASE}/config"))
            .insert_header(bearer(&root))
            .set_json(json!({"assessment_model": "test-model"})),
    )
    .await;
    assert_eq!(configured.status, StatusCode::OK);
    let created = send(
        &service,
        TestRequest::post()
            .uri(&format!("{BASE}/"))
            .insert_header(bearer(&root))
            .set_json(json!({"template_ids": [template]})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let (id, task_id) =
        (created.body[0]["id"].as_str().unwrap().to_owned(), created.body[0]["task_id"].as_str().unwrap().to_owned());
    let task = wait_task(&service, &root, &task_id, &["complete", "failed"]).await;
    let assessment =
        send(&service, TestRequest::get().uri(&format!("{BASE}/{id}")).insert_header(bearer(&root))).await.body;
    let history = send(
        &service,
        TestRequest::get().uri(&format!("{BASE}/{id}/questions/dpia_2_4/history")).insert_header(bearer(&root)),
    )
    .await;
    let mut assessment = assessment;
    assessment["_history_dpia_2_4"] = history.body;
    (task, assessment)
}

#[actix_web::test]
async fn the_model_drafts_what_the_inventory_cannot_answer_and_never_replaces_system_answers() {
    let llm =
        FakeHttp::start(|r| completion(&format!("Draft for {}: confirm with the system owner.", question_of(r)))).await;
    let app = app_with_llm(&llm.url, 10);
    let (task, a) = generate(&app, "gdpr_dpia").await;
    assert_eq!(task["status"], "complete", "{task:?}");
    assert_eq!(task["message"], Value::Null);

    let drafted = question(&a, "dpia_2_4");
    assert_eq!(drafted["answer"], "Draft for dpia_2_4: confirm with the system owner.");
    assert_eq!(drafted["answer_source"], "ai_analysis");
    assert_eq!(drafted["answer_status"], "partial");
    assert_eq!(a["_history_dpia_2_4"][0]["created_by"], "ai_agent");
    let categories = question(&a, "dpia_1_2");
    assert_eq!(categories["answer_source"], "system", "inventory answers are never replaced");

    let requests = llm.requests().await;
    assert!(!requests.is_empty());
    let asked: Vec<String> = requests.iter().map(question_of).collect();
    assert!(!asked.contains(&"dpia_1_2".to_owned()), "no call for questions the inventory answered");
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path(), "/v1/chat/completions");
    assert_eq!(first.headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(first.json()["model"], "test-model");
    assert_eq!(first.json()["messages"][0]["role"], "system");
    assert!(
        first.json()["messages"][1]["content"].as_str().unwrap().contains("\"name\":\"Web shop\""),
        "built from the facts"
    );
    assert!(!a.to_string().contains(KEY) && !task.to_string().contains(KEY));
}

#[actix_web::test]
async fn model_errors_timeouts_and_bad_replies_leave_questions_open_and_are_noted_on_the_task() {
    let llm = FakeHttp::start(|r| match question_of(r).as_str() {
        "dpia_2_4" => Answer::status(500, r#"{"error": {"message": "upstream overloaded", "type": "server_error"}}"#),
        "dpia_2_5" => Answer::json(json!({"unexpected": true})),
        "dpia_5_1" => Answer { delay: Duration::from_secs(3), ..completion("too late") },
        other => completion(&format!("Draft for {other}.")),
    })
    .await;
    let app = app_with_llm(&llm.url, 1);
    let (task, a) = generate(&app, "gdpr_dpia").await;
    assert_eq!(task["status"], "complete", "the model never fails the generation: {task:?}");
    let message = task["message"].as_str().unwrap();
    assert!(message.starts_with("AI drafts unavailable for 3 question(s)"), "{message}");
    assert!(message.contains("dpia_2_4") && message.contains("dpia_2_5") && message.contains("dpia_5_1"), "{message}");
    assert!(!message.contains(KEY));
    for id in ["dpia_2_4", "dpia_2_5", "dpia_5_1"] {
        let q = question(&a, id);
        assert_eq!(q["answer_status"], "needs_input", "{id}");
        assert_eq!(q["answer"], Value::Null, "{id}");
    }
    assert_eq!(question(&a, "dpia_5_2")["answer_source"], "ai_analysis");
}

#[actix_web::test]
async fn an_unreachable_model_leaves_deterministic_answers_only() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = app_with_llm(&format!("http://{closed}"), 2);
    let (task, a) = generate(&app, "eu_ai_act_fria").await;
    assert_eq!(task["status"], "complete");
    assert!(task["message"].as_str().unwrap().contains("could not be reached"), "{task:?}");
    assert_eq!(question(&a, "fria_1_2")["answer_source"], "system");
    assert_eq!(question(&a, "fria_2_1")["answer_status"], "needs_input");
}

#[actix_web::test]
async fn ai_disabled_assessments_make_no_calls() {
    let llm = FakeHttp::start(|_| completion("should not be asked")).await;
    let app = app_with_llm(&llm.url, 5);
    let service = app.service().await;
    let root = app.root_token();
    let system = json!({"fides_key": "crm", "privacy_declarations": [{"data_use": "essential.service"}]});
    send(&service, TestRequest::post().uri("/api/v1/system").insert_header(bearer(&root)).set_json(system)).await;
    let created = send(
        &service,
        TestRequest::post()
            .uri(&format!("{BASE}/"))
            .insert_header(bearer(&root))
            .set_json(json!({"template_ids": ["gdpr_dpia"], "ai_enabled": false})),
    )
    .await;
    let task_id = created.body[0]["task_id"].as_str().unwrap().to_owned();
    wait_task(&service, &root, &task_id, &["complete"]).await;
    assert!(llm.requests().await.is_empty());
}
