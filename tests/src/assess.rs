//! Helpers for the privacy-assessment tests: waiting for a generation task, finding a question.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use serde_json::Value;

use crate::{bearer, send};

/// The assessments base path.
pub const BASE: &str = "/api/v1/plus/privacy-assessments";

/// Polls `GET /tasks/{task}` until its status is one of `statuses`; answers the task.
///
/// # Panics
/// When the task is unknown or does not get there within 15 s.
pub async fn wait_task<S, B>(service: &S, token: &str, task: &str, statuses: &[&str]) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    for _ in 0..600 {
        let got =
            send(service, TestRequest::get().uri(&format!("{BASE}/tasks/{task}")).insert_header(bearer(token))).await;
        assert_eq!(got.status, actix_web::http::StatusCode::OK, "{:?}", got.body);
        if got.body["status"].as_str().is_some_and(|s| statuses.contains(&s)) {
            return got.body;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("task {task} did not reach {statuses:?}");
}

/// The question `id` of an assessment as `GET /{id}` answers it.
///
/// # Panics
/// When the assessment has no such question.
pub fn question<'a>(assessment: &'a Value, id: &str) -> &'a Value {
    assessment["question_groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["questions"].as_array().into_iter().flatten())
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("question {id}"))
}
