//! The systems inventory (`/api/v1/system`, Fides-compatible) and privacy assessments
//! (`/api/v1/plus/privacy-assessments`, spec 000). Paths under both are accepted with or
//! without a trailing slash (see `startup::normalize_path`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder, delete, get, post, put, web};
use assessments::{
    AnswerChanged, AnswerRevert, AnswerUpdate, AnswerVersion, Assessment, AssessmentCreate, AssessmentFilter,
    AssessmentSummary, AuditEntry, Config, ConfigDefaults, ConfigUpdate, EvidenceByType, QuestionnaireSend,
    QuestionnaireStatus, ReEvaluate, RemindersSent, System, SystemDeleted, Task, Template, Tone,
};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authorized, Json, Query};
use crate::routes::blocking;
use crate::routes::oauth::AuthErrors;
use crate::scope;
use crate::state::AppState;

/// The assessments base path, as the spec writes it.
pub(crate) const BASE: &str = "/api/v1/plus/privacy-assessments";

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(create_system)
        .service(list_systems)
        .service(update_system)
        .service(get_system)
        .service(delete_system)
        // Static paths before `/{assessment_id}`.
        .service(list_templates)
        .service(get_template)
        .service(list_tasks)
        .service(get_task)
        .service(retry_task)
        .service(get_config)
        .service(update_config)
        .service(config_defaults)
        .service(get_tone)
        .service(set_tone)
        .service(reset_tone)
        .service(re_evaluate)
        .service(create_assessments)
        .service(list_assessments)
        .service(get_assessment)
        .service(delete_assessment)
        .service(update_answer)
        .service(answer_history)
        .service(revert_answer)
        .service(audit_log)
        .service(group_evidence)
        .service(send_questionnaire)
        .service(questionnaire_status)
        .service(send_reminders)
        .service(export_pdf);
}

/// A JSON body that may be left out entirely, or be `null` (every field optional).
fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    Ok(crate::extract::parse_json::<Option<T>>(body)?.unwrap_or_default())
}

fn status(code: StatusCode, body: impl serde::Serialize) -> HttpResponse {
    HttpResponseBuilder::new(code).json(body)
}

// ---- systems ----

/// Adds a system to the inventory.
#[utoipa::path(
    tag = "Systems",
    request_body = System,
    responses(
        (status = 201, description = "Created", body = System),
        AuthErrors,
        (status = 409, description = "The key is taken", body = ErrorBody),
        (status = 422, description = "Invalid field or taxonomy key, named in `loc`", body = ErrorBody),
    ),
    security(("oauth2" = ["system:create_or_update"]))
)]
#[post("/api/v1/system")]
pub async fn create_system(
    _auth: Authorized<scope::SystemWrite>,
    state: web::Data<AppState>,
    body: Json<System>,
) -> Result<HttpResponse, ApiError> {
    Ok(status(StatusCode::CREATED, blocking(&state.systems, move |s| s.create_system(body.0)).await?))
}

/// Lists the systems, by key.
#[utoipa::path(
    tag = "Systems",
    responses((status = 200, description = "Systems", body = Vec<System>), AuthErrors),
    security(("oauth2" = ["system:read"]))
)]
#[get("/api/v1/system")]
pub async fn list_systems(
    _auth: Authorized<scope::SystemRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(blocking(&state.systems, |s| s.list_systems(db::Window::ALL).map(|page| page.items)).await?))
}

/// Replaces a system (the body names it by `fides_key`). Assessments generated from other facts
/// become `outdated`.
#[utoipa::path(
    tag = "Systems",
    request_body = System,
    responses(
        (status = 200, description = "Updated", body = System),
        AuthErrors,
        (status = 404, description = "No such system", body = ErrorBody),
        (status = 422, description = "Invalid field or taxonomy key", body = ErrorBody),
    ),
    security(("oauth2" = ["system:create_or_update"]))
)]
#[put("/api/v1/system")]
pub async fn update_system(
    auth: Authorized<scope::SystemWrite>,
    state: web::Data<AppState>,
    body: Json<System>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.principal.client_id;
    Ok(HttpResponse::Ok().json(blocking(&state.systems, move |s| s.update_system(&actor, body.0)).await?))
}

/// Gets a system.
#[utoipa::path(
    tag = "Systems",
    params(("fides_key" = String, Path)),
    responses((status = 200, description = "The system", body = System), AuthErrors,
              (status = 404, description = "No such system", body = ErrorBody)),
    security(("oauth2" = ["system:read"]))
)]
#[get("/api/v1/system/{fides_key}")]
pub async fn get_system(
    _auth: Authorized<scope::SystemRead>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.systems, move |s| s.get_system(&key)).await?))
}

/// Deletes a system. Its assessments stay, marked `outdated`.
#[utoipa::path(
    tag = "Systems",
    params(("fides_key" = String, Path)),
    responses((status = 200, description = "Deleted", body = SystemDeleted), AuthErrors,
              (status = 404, description = "No such system", body = ErrorBody)),
    security(("oauth2" = ["system:delete"]))
)]
#[delete("/api/v1/system/{fides_key}")]
pub async fn delete_system(
    auth: Authorized<scope::SystemDelete>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (key, actor) = (path.into_inner(), auth.principal.client_id);
    Ok(HttpResponse::Ok().json(blocking(&state.systems, move |s| s.delete_system(&actor, &key)).await?))
}

// ---- templates ----

/// Lists the assessment templates with their question groups.
#[utoipa::path(
    tag = "Privacy Assessments",
    responses((status = 200, description = "Templates", body = Vec<Template>), AuthErrors),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/templates")]
pub async fn list_templates(_auth: Authorized<scope::AssessmentRead>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(assessments::template::all()))
}

/// Gets one template.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("template_id" = String, Path, example = "gdpr_dpia")),
    responses((status = 200, description = "The template", body = Template), AuthErrors,
              (status = 404, description = "Unknown template", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/templates/{template_id}")]
pub async fn get_template(
    _auth: Authorized<scope::AssessmentRead>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(assessments::template::get(&path)?))
}

// ---- tasks ----

/// Lists generation and re-evaluation tasks, newest first.
#[utoipa::path(
    tag = "Privacy Assessments",
    responses((status = 200, description = "Tasks", body = Vec<Task>), AuthErrors),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/tasks")]
pub async fn list_tasks(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(blocking(&state.assessments, |s| s.list_tasks(db::Window::ALL).map(|page| page.items)).await?))
}

/// Gets a task.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("task_id" = String, Path)),
    responses((status = 200, description = "The task", body = Task), AuthErrors,
              (status = 404, description = "No such task", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/tasks/{task_id}")]
pub async fn get_task(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.assessments, move |s| s.get_task(&id)).await?))
}

/// Retries a failed task; answers the new task.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("task_id" = String, Path)),
    responses((status = 202, description = "The new task, queued", body = Task), AuthErrors,
              (status = 400, description = "The task did not fail", body = ErrorBody),
              (status = 404, description = "No such task", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:create"]))
)]
#[post("/api/v1/plus/privacy-assessments/tasks/{task_id}/retry")]
pub async fn retry_task(
    auth: Authorized<scope::AssessmentCreate>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (id, actor) = (path.into_inner(), auth.principal.client_id);
    Ok(status(StatusCode::ACCEPTED, blocking(&state.assessments, move |s| s.retry_task(&actor, &id)).await?))
}

// ---- configuration ----

/// The assessment configuration in force.
#[utoipa::path(
    tag = "Privacy Assessments",
    responses((status = 200, description = "Configuration", body = Config), AuthErrors),
    security(("oauth2" = ["privacy-assessment-config:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/config")]
pub async fn get_config(
    _auth: Authorized<scope::AssessmentConfigRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.assessment_config, |s| s.get_config()).await?))
}

/// Changes the configuration; fields left out keep their value, a null model restores the
/// default. The cron expression has five fields and is checked.
#[utoipa::path(
    tag = "Privacy Assessments",
    request_body = ConfigUpdate,
    responses((status = 200, description = "Configuration", body = Config), AuthErrors,
              (status = 422, description = "Invalid cron expression or model", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment-config:update"]))
)]
#[put("/api/v1/plus/privacy-assessments/config")]
pub async fn update_config(
    _auth: Authorized<scope::AssessmentConfigUpdate>,
    state: web::Data<AppState>,
    body: Json<ConfigUpdate>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.assessment_config, move |s| s.update_config(body.0)).await?))
}

/// The default configuration values.
#[utoipa::path(
    tag = "Privacy Assessments",
    responses((status = 200, description = "Defaults", body = ConfigDefaults), AuthErrors),
    security(("oauth2" = ["privacy-assessment-config:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/config/defaults")]
pub async fn config_defaults(
    _auth: Authorized<scope::AssessmentConfigRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.assessment_config.config_defaults()))
}

// ---- questionnaire tone ----

/// The tone prompt questionnaire questions are phrased with.
#[utoipa::path(
    tag = "Privacy Assessments",
    responses((status = 200, description = "The tone in force", body = Tone), AuthErrors),
    security(("oauth2" = ["privacy-assessment-config:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/questionnaire/tone")]
pub async fn get_tone(
    _auth: Authorized<scope::AssessmentConfigRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.assessment_config, |s| s.get_tone()).await?))
}

/// Sets the tone prompt (required, 1–2,000 characters).
#[utoipa::path(
    tag = "Privacy Assessments",
    request_body = Tone,
    responses((status = 200, description = "The tone in force", body = Tone), AuthErrors,
              (status = 422, description = "Missing, empty or too long", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment-config:update"]))
)]
#[put("/api/v1/plus/privacy-assessments/questionnaire/tone")]
pub async fn set_tone(
    _auth: Authorized<scope::AssessmentConfigUpdate>,
    state: web::Data<AppState>,
    body: Json<Tone>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.assessment_config, move |s| s.set_tone(body.0)).await?))
}

/// Restores the default tone prompt.
#[utoipa::path(
    tag = "Privacy Assessments",
    responses((status = 200, description = "The default tone", body = Tone), AuthErrors),
    security(("oauth2" = ["privacy-assessment-config:update"]))
)]
#[post("/api/v1/plus/privacy-assessments/questionnaire/tone/reset")]
pub async fn reset_tone(
    _auth: Authorized<scope::AssessmentConfigUpdate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.assessment_config, |s| s.reset_tone()).await?))
}

// ---- assessments ----

/// Queues re-evaluation of the given assessments, or of every outdated one; answers the tasks.
/// Re-evaluation refreshes inventory answers and evidence and keeps human answers.
#[utoipa::path(
    tag = "Privacy Assessments",
    request_body(content = Option<ReEvaluate>, description = "May be empty"),
    responses((status = 202, description = "Tasks queued", body = Vec<Task>), AuthErrors,
              (status = 422, description = "Unknown assessment", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:update"]))
)]
#[post("/api/v1/plus/privacy-assessments/re-evaluate")]
pub async fn re_evaluate(
    auth: Authorized<scope::AssessmentUpdate>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request: ReEvaluate = optional_json(&body)?;
    let actor = auth.principal.client_id;
    Ok(status(StatusCode::ACCEPTED, blocking(&state.assessments, move |s| s.re_evaluate(&actor, request)).await?))
}

/// Creates one assessment per (template, system) and queues its generation; answers the
/// assessments, each with its `task_id`.
#[utoipa::path(
    tag = "Privacy Assessments",
    request_body = AssessmentCreate,
    responses((status = 201, description = "Assessments created, generation queued", body = Vec<AssessmentSummary>),
              AuthErrors,
              (status = 422, description = "Unknown template or system, named in `loc`", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:create"]))
)]
#[post("/api/v1/plus/privacy-assessments/")]
pub async fn create_assessments(
    auth: Authorized<scope::AssessmentCreate>,
    state: web::Data<AppState>,
    body: Json<AssessmentCreate>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.principal.client_id;
    Ok(status(StatusCode::CREATED, blocking(&state.assessments, move |s| s.create_assessments(&actor, body.0)).await?))
}

/// Lists assessments, newest first, filtered by `status`, `template_id` and `system_id`.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(AssessmentFilter),
    responses((status = 200, description = "Assessments without their questions", body = Vec<AssessmentSummary>),
              AuthErrors, (status = 422, description = "Unknown status", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/")]
pub async fn list_assessments(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    query: Query<AssessmentFilter>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        blocking(&state.assessments, move |s| s.list_assessments(&query.0, db::Window::ALL).map(|page| page.items))
            .await?,
    ))
}

/// Gets an assessment with its question groups and current answers.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path, description = "pri_…")),
    responses((status = 200, description = "The assessment", body = Assessment), AuthErrors,
              (status = 404, description = "No such assessment", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/{assessment_id}")]
pub async fn get_assessment(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.assessments, move |s| s.get_assessment(&id)).await?))
}

/// Deletes an assessment with its answers, versions, evidence, audit log and tasks.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path, description = "pri_…")),
    responses((status = 204, description = "Deleted"), AuthErrors,
              (status = 404, description = "No such assessment", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:delete"]))
)]
#[delete("/api/v1/plus/privacy-assessments/{assessment_id}")]
pub async fn delete_assessment(
    _auth: Authorized<scope::AssessmentDelete>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    blocking(&state.assessments, move |s| s.delete_assessment(&id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Answers a question: a new version with source `user_input`.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path), ("question_id" = String, Path, example = "dpia_2_4")),
    request_body = AnswerUpdate,
    responses((status = 200, description = "The question, completeness and status now", body = AnswerChanged),
              AuthErrors,
              (status = 404, description = "No such assessment or question", body = ErrorBody),
              (status = 422, description = "Empty or over-long answer", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:update"]))
)]
#[put("/api/v1/plus/privacy-assessments/{assessment_id}/questions/{question_id}")]
pub async fn update_answer(
    auth: Authorized<scope::AssessmentUpdate>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<AnswerUpdate>,
) -> Result<HttpResponse, ApiError> {
    let ((id, question), actor) = (path.into_inner(), auth.principal.client_id);
    let changed = blocking(&state.assessments, move |s| s.update_answer(&actor, &id, &question, body.0.answer)).await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// Versions of a question's answer, newest first.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path), ("question_id" = String, Path)),
    responses((status = 200, description = "Versions", body = Vec<AnswerVersion>), AuthErrors,
              (status = 404, description = "No such assessment or question", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/{assessment_id}/questions/{question_id}/history")]
pub async fn answer_history(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, question) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.assessments, move |s| s.answer_history(&id, &question)).await?))
}

/// Restores an earlier version's text as a new version.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path), ("question_id" = String, Path)),
    request_body = AnswerRevert,
    responses((status = 200, description = "The question, completeness and status now", body = AnswerChanged),
              AuthErrors,
              (status = 404, description = "No such assessment, question or version", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:update"]))
)]
#[post("/api/v1/plus/privacy-assessments/{assessment_id}/questions/{question_id}/revert")]
pub async fn revert_answer(
    auth: Authorized<scope::AssessmentUpdate>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<AnswerRevert>,
) -> Result<HttpResponse, ApiError> {
    let ((id, question), actor) = (path.into_inner(), auth.principal.client_id);
    let version = body.0.version_id;
    let changed = blocking(&state.assessments, move |s| s.revert_answer(&actor, &id, &question, &version)).await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// Every change to the assessment, newest first.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path)),
    responses((status = 200, description = "Audit log", body = Vec<AuditEntry>), AuthErrors,
              (status = 404, description = "No such assessment", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/{assessment_id}/audit-log")]
pub async fn audit_log(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.assessments, move |s| s.audit_log(&id)).await?))
}

/// Evidence of a question group, grouped by type.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path), ("group_id" = String, Path, example = "systematic_description")),
    responses((status = 200, description = "Evidence by type", body = EvidenceByType), AuthErrors,
              (status = 404, description = "No such assessment or group", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/{assessment_id}/question-groups/{group_id}/evidence")]
pub async fn group_evidence(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, group) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.assessments, move |s| s.group_evidence(&id, &group)).await?))
}

// ---- Slack questionnaire ----

/// Posts questions to Slack, one message each: the given `question_ids`, or every
/// `needs_input` question; replies in the threads become `team_input` answers.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path)),
    request_body(content = Option<QuestionnaireSend>, description = "May be empty"),
    responses((status = 201, description = "Sent", body = QuestionnaireStatus), AuthErrors,
              (status = 400, description = "Slack not configured, or nothing to ask", body = ErrorBody),
              (status = 404, description = "No such assessment", body = ErrorBody),
              (status = 422, description = "No channel, or a question not in the template", body = ErrorBody),
              (status = 502, description = "Slack refused (its error code is named); nothing was recorded", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:update"]))
)]
#[post("/api/v1/plus/privacy-assessments/{assessment_id}/questionnaire")]
pub async fn send_questionnaire(
    auth: Authorized<scope::AssessmentUpdate>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request: QuestionnaireSend = optional_json(&body)?;
    let (id, actor) = (path.into_inner(), auth.principal.client_id);
    let sent = blocking(&state.assessments, move |s| s.send_questionnaire(&actor, &id, request)).await?;
    Ok(status(StatusCode::CREATED, sent))
}

/// Whether each question of the latest questionnaire has a reply, and when it came.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path)),
    responses((status = 200, description = "Questionnaire status", body = QuestionnaireStatus), AuthErrors,
              (status = 404, description = "No such assessment or no questionnaire sent", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/{assessment_id}/questionnaire")]
pub async fn questionnaire_status(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.assessments, move |s| s.questionnaire_status(&id)).await?))
}

/// Posts a reminder in every thread without a reply; answers how many were sent.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path)),
    responses((status = 200, description = "Reminders sent", body = RemindersSent), AuthErrors,
              (status = 400, description = "Slack is not configured", body = ErrorBody),
              (status = 404, description = "No questionnaire sent", body = ErrorBody),
              (status = 502, description = "Slack refused (reminders it took are recorded)", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:update"]))
)]
#[post("/api/v1/plus/privacy-assessments/{assessment_id}/questionnaire/reminders")]
pub async fn send_reminders(
    auth: Authorized<scope::AssessmentUpdate>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (id, actor) = (path.into_inner(), auth.principal.client_id);
    Ok(HttpResponse::Ok().json(blocking(&state.assessments, move |s| s.send_reminders(&actor, &id)).await?))
}

/// `GET /{id}/pdf` query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PdfQuery {
    /// `internal` (default: with sources, evidence and versions) or `external` (clean Q&A).
    #[serde(default)]
    #[param(value_type = Option<assessments::ExportMode>, inline, example = "external")]
    pub mode: assessments::ExportMode,
}

/// The assessment as a PDF: a title page (system, template, status, risk, completeness, date),
/// then every group with its questions and answers.
#[utoipa::path(
    tag = "Privacy Assessments",
    params(("assessment_id" = String, Path), PdfQuery),
    responses((status = 200, description = "The report", content_type = "application/pdf", body = Vec<u8>), AuthErrors,
              (status = 404, description = "No such assessment", body = ErrorBody),
              (status = 422, description = "Unknown mode", body = ErrorBody)),
    security(("oauth2" = ["privacy-assessment:read"]))
)]
#[get("/api/v1/plus/privacy-assessments/{assessment_id}/pdf")]
pub async fn export_pdf(
    _auth: Authorized<scope::AssessmentRead>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: Query<PdfQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, mode) = (path.into_inner(), query.0.mode);
    let report = blocking(&state.assessments, move |s| s.pdf_report(&id, mode)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", report.filename),
        ))
        .body(report.bytes))
}
