//! The Slack questionnaire over a real HTTP exchange with a local server speaking the Slack Web
//! API (chat.postMessage, chat.delete, conversations.replies), and the reassessment schedule.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::assess::{BASE, question, wait_task};
use lethe_tests::fake_http::{Answer, FakeHttp, Recorded};
use lethe_tests::{Reply, TestApp, bearer, send};
use secrecy::SecretString;
use serde_json::{Value, json};

const TOKEN: &str = "xoxb-test-token";

/// A Slack workspace: posted messages get increasing `ts`; threads hold what the test adds.
#[derive(Clone, Default)]
struct Workspace {
    threads: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    next: Arc<Mutex<u64>>,
    /// conversations.replies calls still to refuse.
    failing_reads: Arc<Mutex<u32>>,
}

impl Workspace {
    fn answer(&self, r: &Recorded) -> Answer {
        let body = r.json();
        match r.path() {
            "/api/chat.postMessage" => {
                let channel = body["channel"].as_str().unwrap_or_default().to_owned();
                if channel == "C404" {
                    return Answer::json(json!({"ok": false, "error": "channel_not_found"}));
                }
                let mut next = self.next.lock().unwrap();
                *next += 1;
                if channel == "CFAIL3" && (*next).is_multiple_of(3) {
                    return Answer::json(json!({"ok": false, "error": "rate_limited"}));
                }
                let ts = format!("1700000{:03}.000100", *next);
                let parent = json!({"ts": ts, "bot_id": "B1", "subtype": "bot_message", "text": body["text"]});
                if let Some(thread) = body["thread_ts"].as_str() {
                    self.threads.lock().unwrap().entry(thread.to_owned()).or_default().push(parent);
                } else {
                    self.threads.lock().unwrap().insert(ts.clone(), vec![parent]);
                }
                Answer::json(json!({"ok": true, "channel": "C123", "ts": ts, "message": {"text": body["text"]}}))
            }
            "/api/chat.delete" => Answer::json(json!({"ok": true})),
            "/api/conversations.replies" => {
                let mut failing = self.failing_reads.lock().unwrap();
                if *failing > 0 {
                    *failing -= 1;
                    return Answer::json(json!({"ok": false, "error": "ratelimited"}));
                }
                drop(failing);
                let ts =
                    r.target.split("ts=").nth(1).unwrap_or_default().split('&').next().unwrap_or_default().to_owned();
                let messages = self.threads.lock().unwrap().get(&ts).cloned().unwrap_or_default();
                Answer::json(json!({"ok": true, "messages": messages, "has_more": false}))
            }
            _ => Answer::status(404, r#"{"ok": false, "error": "unknown_method"}"#),
        }
    }

    fn reply(&self, thread: &str, user: &str, ts: &str, text: &str) {
        self.threads.lock().unwrap().get_mut(thread).unwrap().push(json!({"ts": ts, "user": user, "text": text}));
    }
}

async fn call<S, B>(service: &S, token: &str, request: TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    send(service, request.insert_header(bearer(token))).await
}

async fn assessment_with_open_questions<S, B>(service: &S, root: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let system = json!({"fides_key": "web_shop", "name": "Web shop", "privacy_declarations": [
        {"name": "Orders", "data_use": "essential.service", "data_categories": ["user.contact.email"],
         "data_subjects": ["customer"], "legal_basis_for_processing": "Contract", "retention_period": "6 years"}]});
    assert_eq!(
        call(service, root, TestRequest::post().uri("/api/v1/system").set_json(system)).await.status,
        StatusCode::CREATED
    );
    let created = call(
        service,
        root,
        TestRequest::post().uri(&format!("{BASE}/")).set_json(json!({"template_ids": ["eu_ai_act_fria"]})),
    )
    .await;
    let (id, task) =
        (created.body[0]["id"].as_str().unwrap().to_owned(), created.body[0]["task_id"].as_str().unwrap().to_owned());
    wait_task(service, root, &task, &["complete"]).await;
    id
}

fn slack_app(slack: &FakeHttp) -> TestApp {
    TestApp::with(|s| {
        s.slack.api_base = format!("{}/api", slack.url);
        s.slack.bot_token = Some(SecretString::from(TOKEN));
        s.slack.default_channel = Some("C123".into());
        s.slack.poll_seconds = 1;
        s.jobs.poll_interval_ms = 100;
    })
}

#[actix_web::test]
async fn questions_go_to_slack_and_thread_replies_come_back_as_team_answers() {
    let workspace = Workspace::default();
    let handler = workspace.clone();
    let slack = FakeHttp::start(move |r| handler.answer(r)).await;
    let app = slack_app(&slack);
    let service = app.service().await;
    let root = app.root_token();
    let id = assessment_with_open_questions(&service, &root).await;
    let before = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}"))).await.body;
    let open: Vec<String> = before["question_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["questions"].as_array().unwrap())
        .filter(|q| q["answer_status"] == "needs_input")
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();

    let sent = call(&service, &root, TestRequest::post().uri(&format!("{BASE}/{id}/questionnaire"))).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    assert_eq!(sent.body["channel"], "C123");
    let asked: Vec<&str> =
        sent.body["questions"].as_array().unwrap().iter().map(|q| q["question_id"].as_str().unwrap()).collect();
    assert_eq!(asked, open.iter().map(String::as_str).collect::<Vec<_>>(), "every needs_input question, in order");
    let posts: Vec<Recorded> =
        slack.requests().await.into_iter().filter(|r| r.path() == "/api/chat.postMessage").collect();
    assert_eq!(posts.len(), open.len(), "one message per question");
    assert_eq!(posts[0].headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(posts[0].json()["channel"], "C123");
    assert!(posts[0].json()["text"].as_str().unwrap().contains("Please answer by replying in this thread"));

    let status = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/questionnaire"))).await;
    assert_eq!(status.status, StatusCode::OK);
    assert!(status.body["questions"].as_array().unwrap().iter().all(|q| q["responded"] == false));

    // fria_2_1 was posted second: its thread is the second message.
    let target = "fria_2_1";
    let position = open.iter().position(|q| q == target).unwrap();
    let thread = format!("1700000{:03}.000100", position + 1);
    workspace.reply(&thread, "U1", "1700000900.000001", "Daily, for every order.");
    let mut answer = Value::Null;
    for _ in 0..200 {
        let a = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}"))).await.body;
        answer = question(&a, target).clone();
        if answer["answer_source"] == "team_input" {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answer["answer"], "Daily, for every order.");
    assert_eq!(answer["answer_status"], "complete");
    let status = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/questionnaire"))).await.body;
    let entry = status["questions"].as_array().unwrap().iter().find(|q| q["question_id"] == target).unwrap().clone();
    assert_eq!(entry["responded"], true);
    assert!(entry["response_received_at"].is_string());

    workspace.reply(&thread, "U2", "1700000950.000001", "Retention is reviewed yearly.");
    for _ in 0..200 {
        let a = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}"))).await.body;
        answer = question(&a, target).clone();
        if answer["answer"].as_str().unwrap_or_default().contains("yearly") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        answer["answer"], "Daily, for every order.\nRetention is reviewed yearly.",
        "further replies appended in order"
    );
    let history =
        call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/questions/{target}/history"))).await.body;
    assert_eq!(history[0]["source"], "team_input");
    assert_eq!(history[0]["created_by"], "slack:U1,U2");
    assert_eq!(history.as_array().unwrap().len(), 2);
    let evidence = call(
        &service,
        &root,
        TestRequest::get().uri(&format!("{BASE}/{id}/question-groups/duration_and_frequency/evidence")),
    )
    .await;
    let threads = evidence.body["team_input"].as_array().unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0]["value"], "U1: Daily, for every order.\nU2: Retention is reviewed yearly.");
    assert_eq!(threads[0]["source_id"], format!("C123/{thread}"));

    let reminded =
        call(&service, &root, TestRequest::post().uri(&format!("{BASE}/{id}/questionnaire/reminders"))).await;
    assert_eq!(reminded.status, StatusCode::OK, "{:?}", reminded.body);
    assert_eq!(reminded.body["sent"], open.len() - 1);
    assert!(!reminded.body["question_ids"].as_array().unwrap().contains(&json!(target)));
    let reminders: Vec<Recorded> = slack
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path() == "/api/chat.postMessage" && r.json()["thread_ts"].is_string())
        .collect();
    assert_eq!(reminders.len(), open.len() - 1);
    let audit = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/audit-log"))).await.body;
    assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "questionnaire_sent"));
}

#[actix_web::test]
async fn slack_errors_answer_502_with_the_code_and_record_nothing() {
    let workspace = Workspace::default();
    let handler = workspace.clone();
    let slack = FakeHttp::start(move |r| handler.answer(r)).await;
    let app = slack_app(&slack);
    let service = app.service().await;
    let root = app.root_token();
    let id = assessment_with_open_questions(&service, &root).await;
    let uri = format!("{BASE}/{id}/questionnaire");

    let refused = call(&service, &root, TestRequest::post().uri(&uri).set_json(json!({"channel": "C404"}))).await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY);
    assert!(refused.body["detail"].as_str().unwrap().contains("channel_not_found"), "{:?}", refused.body);

    let halfway = call(&service, &root, TestRequest::post().uri(&uri).set_json(json!({"channel": "CFAIL3"}))).await;
    assert_eq!(halfway.status, StatusCode::BAD_GATEWAY);
    assert!(halfway.body["detail"].as_str().unwrap().contains("rate_limited"));
    let deleted = slack.requests().await.into_iter().filter(|r| r.path() == "/api/chat.delete").count();
    assert_eq!(deleted, 2, "the two messages posted before the failure are taken back");
    let none = call(&service, &root, TestRequest::get().uri(&uri)).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "nothing half-recorded");
    let reminders = call(&service, &root, TestRequest::post().uri(&format!("{uri}/reminders"))).await;
    assert_eq!(reminders.status, StatusCode::NOT_FOUND);

    let unknown =
        call(&service, &root, TestRequest::post().uri(&uri).set_json(json!({"question_ids": ["dpia_1_1"]}))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["detail"][0]["loc"], json!(["body", "question_ids", 0]));
}

#[actix_web::test]
async fn polling_survives_slack_being_unavailable_for_a_while() {
    let workspace = Workspace::default();
    let handler = workspace.clone();
    let slack = FakeHttp::start(move |r| handler.answer(r)).await;
    let app = slack_app(&slack);
    let service = app.service().await;
    let root = app.root_token();
    let id = assessment_with_open_questions(&service, &root).await;
    *workspace.failing_reads.lock().unwrap() = 3;
    let sent = call(
        &service,
        &root,
        TestRequest::post().uri(&format!("{BASE}/{id}/questionnaire")).set_json(json!({"question_ids": ["fria_5_1"]})),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED);
    workspace.reply("1700000001.000100", "U9", "1700000500.000001", "The case handler reviews every output.");
    let mut answer = Value::Null;
    for _ in 0..200 {
        let a = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}"))).await.body;
        answer = question(&a, "fria_5_1").clone();
        if answer["answer_source"] == "team_input" {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answer["answer"], "The case handler reviews every output.");
    let reads = slack.requests().await.into_iter().filter(|r| r.path() == "/api/conversations.replies").count();
    assert!(reads >= 4, "three refused reads, then one that worked: {reads}");
}

#[actix_web::test]
async fn without_a_bot_token_questionnaires_are_refused_clearly() {
    let (_app, service, root) = lethe_tests::ready().await;
    let id = assessment_with_open_questions(&service, &root).await;
    let refused = call(&service, &root, TestRequest::post().uri(&format!("{BASE}/{id}/questionnaire"))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["detail"], "Slack is not configured: set LETHE__SLACK__BOT_TOKEN");
}

#[actix_web::test]
async fn each_scheduled_reassessment_fires_once_across_gateways() {
    let app = TestApp::with(|s| s.jobs.scheduler_seconds = 0);
    let service = app.service().await;
    let root = app.root_token();
    let id = assessment_with_open_questions(&service, &root).await;
    let changed = json!({"fides_key": "web_shop", "name": "Web shop", "description": "now with a description"});
    assert_eq!(
        call(&service, &root, TestRequest::put().uri("/api/v1/system").set_json(changed)).await.status,
        StatusCode::OK
    );
    let assessments = app.state().assessments;
    let at = chrono::Utc::now();
    assert!(!assessments.fire_due_reassessment("gateway-a", at).unwrap(), "disabled by default");

    let enabled = call(
        &service,
        &root,
        TestRequest::put()
            .uri(&format!("{BASE}/config"))
            .set_json(json!({"reassessment_enabled": true, "reassessment_cron": "* * * * *"})),
    )
    .await;
    assert_eq!(enabled.status, StatusCode::OK);
    // Another gateway process: a second service over the same database.
    let other = assessments::DieselAssessmentService::new(db::Database::connect(app.db.url(), 2).unwrap());
    use assessments::AssessmentService as _;
    assert!(assessments.fire_due_reassessment("gateway-a", at).unwrap(), "gateway-a fires");
    assert!(!other.fire_due_reassessment("gateway-b", at).unwrap(), "the firing was claimed by gateway-a");
    assert!(!assessments.fire_due_reassessment("gateway-a", at).unwrap());

    let task = wait_re_evaluation(&service, &root, &id).await;
    wait_task(&service, &root, &task, &["complete"]).await;
    let next_minute = at + chrono::Duration::minutes(1);
    assert!(other.fire_due_reassessment("gateway-b", next_minute).unwrap(), "a new firing");
    // Its job finds nothing outdated: still one re-evaluation in all.
    wait_reassess_jobs_done(&app, 2).await;
    let tasks = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/tasks"))).await.body;
    let count = tasks.as_array().unwrap().iter().filter(|t| t["action_type"] == "re_evaluate").count();
    assert_eq!(count, 1);
}

/// Waits for the re-evaluation task of assessment `id` a scheduled firing queues.
async fn wait_re_evaluation<S, B>(service: &S, root: &str, id: &str) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    for _ in 0..400 {
        let tasks = call(service, root, TestRequest::get().uri(&format!("{BASE}/tasks"))).await.body;
        let found =
            tasks.as_array().unwrap().iter().find(|t| t["action_type"] == "re_evaluate" && t["assessment_id"] == id);
        if let Some(task) = found {
            return task["id"].as_str().unwrap().to_owned();
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no re-evaluation was queued for {id}");
}

/// The scheduled-reassessment jobs: (status, attempts, last_error), oldest first.
fn reassess_jobs(app: &TestApp) -> Vec<(String, i32, Option<String>)> {
    use db::schema::jobs as j;
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    let mut conn = app.state().db.conn().unwrap();
    j::table
        .filter(j::queue.eq(assessments::REASSESS_QUEUE))
        .order(j::created_at.asc())
        .select((j::status, j::attempts, j::last_error))
        .load(&mut **conn)
        .unwrap()
}

async fn wait_reassess_jobs_done(app: &TestApp, count: usize) {
    for _ in 0..400 {
        let jobs = reassess_jobs(app);
        if jobs.len() == count && jobs.iter().all(|(status, ..)| status == "succeeded") {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("reassessment jobs did not finish: {:?}", reassess_jobs(app));
}

#[actix_web::test]
async fn a_scheduled_reassessment_whose_re_evaluation_fails_is_retried_not_lost() {
    let app = TestApp::with(|s| {
        s.jobs.scheduler_seconds = 0;
        s.jobs.poll_interval_ms = 50;
    });
    let service = app.service().await;
    let root = app.root_token();
    let id = assessment_with_open_questions(&service, &root).await;
    let changed = json!({"fides_key": "web_shop", "name": "Web shop", "description": "now outdated"});
    call(&service, &root, TestRequest::put().uri("/api/v1/system").set_json(changed)).await;
    call(
        &service,
        &root,
        TestRequest::put()
            .uri(&format!("{BASE}/config"))
            .set_json(json!({"reassessment_enabled": true, "reassessment_cron": "* * * * *"})),
    )
    .await;

    // The database refuses the re-evaluation: its task table is not there.
    let sql = |statement: &str| {
        use diesel::connection::SimpleConnection;
        app.state().db.conn().unwrap().batch_execute(statement).unwrap();
    };
    sql("ALTER TABLE assessment_tasks RENAME TO assessment_tasks_away");
    assert!(app.state().assessments.fire_due_reassessment("gateway-a", chrono::Utc::now()).unwrap());
    let mut failed = None;
    for _ in 0..400 {
        failed = reassess_jobs(&app).into_iter().find(|(_, attempts, error)| *attempts >= 1 && error.is_some());
        if failed.is_some() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    let (status, _, error) = failed.expect("the job ran and failed");
    assert_eq!(status, "queued", "waiting for its retry, not given up");
    assert!(error.unwrap().starts_with("Scheduled reassessment failed"));

    // The database is back: the retry (after its backoff) queues the re-evaluation.
    sql("ALTER TABLE assessment_tasks_away RENAME TO assessment_tasks");
    let task = wait_re_evaluation(&service, &root, &id).await;
    wait_task(&service, &root, &task, &["complete"]).await;
    wait_reassess_jobs_done(&app, 1).await;
    assert!(reassess_jobs(&app)[0].1 >= 2, "it took a second attempt");
}

#[actix_web::test]
async fn questions_are_phrased_by_the_chat_model_with_the_tone_prompt() {
    let workspace = Workspace::default();
    let handler = workspace.clone();
    let slack = FakeHttp::start(move |r| handler.answer(r)).await;
    let llm = FakeHttp::start(|r| {
        let phrased =
            if r.json()["model"] == "chat-test" { "Ahoy! How often be this system used?" } else { "A draft." };
        Answer::json(json!({"choices": [{"message": {"role": "assistant", "content": phrased}}]}))
    })
    .await;
    let app = TestApp::with(|s| {
        s.slack.api_base = format!("{}/api", slack.url);
        s.slack.bot_token = Some(SecretString::from(TOKEN));
        s.slack.default_channel = Some("C123".into());
        s.llm.base_url = Some(llm.url.clone());
    });
    let service = app.service().await;
    let root = app.root_token();
    let id = assessment_with_open_questions(&service, &root).await;
    let tone = call(
        &service,
        &root,
        TestRequest::put()
            .uri(&format!("{BASE}/questionnaire/tone"))
            .set_json(json!({"tone_prompt": "Speak like a pirate."})),
    )
    .await;
    assert_eq!(tone.status, StatusCode::OK);
    let config = call(
        &service,
        &root,
        TestRequest::put().uri(&format!("{BASE}/config")).set_json(json!({"chat_model": "chat-test"})),
    )
    .await;
    assert_eq!(config.status, StatusCode::OK);

    let sent = call(
        &service,
        &root,
        TestRequest::post().uri(&format!("{BASE}/{id}/questionnaire")).set_json(json!({"question_ids": ["fria_2_1"]})),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    let post = slack.requests().await.into_iter().find(|r| r.path() == "/api/chat.postMessage").unwrap();
    let text = post.json()["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with("Ahoy! How often be this system used?"), "{text}");
    assert!(text.contains("fria_2_1"));
    let asked = llm.requests().await.into_iter().find(|r| r.json()["model"] == "chat-test").unwrap();
    assert!(asked.json()["messages"][0]["content"].as_str().unwrap().starts_with("Speak like a pirate."));
    assert!(asked.json()["messages"][1]["content"].as_str().unwrap().contains("For how long, and how often"));
}
