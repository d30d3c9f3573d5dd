//! Policy webhooks (Fides-compatible, /api/v1): a policy's pre- and post-execution webhooks,
//! and the route a two-way webhook resumes the request it paused through.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use dsr_core::{
    FidesPage, PageQuery, PolicyWebhook, PolicyWebhookCreate, PolicyWebhookUpdate, PrivacyRequest, WebhookTiming,
    WebhookUpdated, WebhooksReordered,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authorized, Query, parse_json};
use crate::routes::oauth::AuthErrors;
use crate::routes::{blocking, page_request};
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list_webhooks)
        .service(put_webhooks)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(resume_from_webhook);
}

/// `pre_execution` or `post_execution`; anything else is a 404, as for an unknown path.
fn timing(text: &str) -> Result<WebhookTiming, ApiError> {
    WebhookTiming::parse(text).ok_or_else(|| {
        ApiError::message(
            StatusCode::NOT_FOUND,
            format!("No webhook timing '{text}': use pre_execution or post_execution"),
        )
    })
}

/// Lists a policy's webhooks at one timing, in call order.
#[utoipa::path(tag = "DSR Policy Webhooks",
    params(("policy_key" = String, Path, description = "Policy key"),
        ("timing" = WebhookTiming, Path, description = "`pre_execution` or `post_execution`"), PageQuery),
    responses((status = 200, description = "A page of webhooks by `order`", body = FidesPage<PolicyWebhook>), AuthErrors,
        (status = 404, description = "Unknown policy", body = ErrorBody)),
    security(("oauth2" = ["webhook:read"])))]
#[get("/api/v1/dsr/policy/{policy_key}/webhook/{timing}")]
pub async fn list_webhooks(
    _auth: Authorized<scope::WebhookRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (policy, timing_text) = path.into_inner();
    let timing = timing(&timing_text)?;
    let page = page_request(query.0)?;
    Ok(HttpResponse::Ok().json(blocking(&state.webhooks, move |s| s.list_webhooks(&policy, timing, page)).await?))
}

/// Replaces a policy's webhooks at one timing, all or nothing: the list's order is the call
/// order; webhooks left out are deleted. Each must call an `https` connection.
#[utoipa::path(tag = "DSR Policy Webhooks",
    params(("policy_key" = String, Path, description = "Policy key"),
        ("timing" = WebhookTiming, Path, description = "`pre_execution` or `post_execution`")),
    request_body = Vec<PolicyWebhookCreate>,
    responses((status = 200, description = "The webhooks now defined, in order", body = Vec<PolicyWebhook>), AuthErrors,
        (status = 404, description = "Unknown policy or connection", body = ErrorBody),
        (status = 409, description = "A webhook key is used by another policy", body = ErrorBody),
        (status = 422, description = "Invalid body (the item and field are named)", body = ErrorBody)),
    security(("oauth2" = ["webhook:create_or_update"])))]
#[put("/api/v1/dsr/policy/{policy_key}/webhook/{timing}")]
pub async fn put_webhooks(
    _auth: Authorized<scope::WebhookWrite>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (policy, timing_text) = path.into_inner();
    let timing = timing(&timing_text)?;
    let items: Vec<PolicyWebhookCreate> = parse_json(&body)?;
    Ok(HttpResponse::Ok().json(blocking(&state.webhooks, move |s| s.put_webhooks(&policy, timing, items)).await?))
}

/// Gets one webhook of a policy.
#[utoipa::path(tag = "DSR Policy Webhooks",
    params(("policy_key" = String, Path, description = "Policy key"),
        ("timing" = WebhookTiming, Path, description = "`pre_execution` or `post_execution`"),
        ("webhook_key" = String, Path, description = "Webhook key")),
    responses((status = 200, description = "The webhook", body = PolicyWebhook), AuthErrors,
        (status = 404, description = "Unknown policy or webhook", body = ErrorBody)),
    security(("oauth2" = ["webhook:read"])))]
#[get("/api/v1/dsr/policy/{policy_key}/webhook/{timing}/{webhook_key}")]
pub async fn get_webhook(
    _auth: Authorized<scope::WebhookRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (policy, timing_text, key) = path.into_inner();
    let timing = timing(&timing_text)?;
    Ok(HttpResponse::Ok().json(blocking(&state.webhooks, move |s| s.get_webhook(&policy, timing, &key)).await?))
}

/// Changes one webhook; a new `order` moves it and renumbers the others (`new_order` lists
/// them all then).
#[utoipa::path(tag = "DSR Policy Webhooks",
    params(("policy_key" = String, Path, description = "Policy key"),
        ("timing" = WebhookTiming, Path, description = "`pre_execution` or `post_execution`"),
        ("webhook_key" = String, Path, description = "Webhook key")),
    request_body = PolicyWebhookUpdate,
    responses((status = 200, description = "The webhook and, when it moved, the new order", body = WebhookUpdated), AuthErrors,
        (status = 400, description = "An order outside the list", body = ErrorBody),
        (status = 404, description = "Unknown policy, webhook or connection", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody)),
    security(("oauth2" = ["webhook:create_or_update"])))]
#[patch("/api/v1/dsr/policy/{policy_key}/webhook/{timing}/{webhook_key}")]
pub async fn update_webhook(
    _auth: Authorized<scope::WebhookWrite>,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (policy, timing_text, key) = path.into_inner();
    let timing = timing(&timing_text)?;
    let update: PolicyWebhookUpdate = parse_json(&body)?;
    let updated = blocking(&state.webhooks, move |s| s.update_webhook(&policy, timing, &key, update)).await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Deletes one webhook; those after it move up.
#[utoipa::path(tag = "DSR Policy Webhooks",
    params(("policy_key" = String, Path, description = "Policy key"),
        ("timing" = WebhookTiming, Path, description = "`pre_execution` or `post_execution`"),
        ("webhook_key" = String, Path, description = "Webhook key")),
    responses((status = 200, description = "The order of the webhooks left", body = WebhooksReordered), AuthErrors,
        (status = 404, description = "Unknown policy or webhook", body = ErrorBody)),
    security(("oauth2" = ["webhook:delete"])))]
#[delete("/api/v1/dsr/policy/{policy_key}/webhook/{timing}/{webhook_key}")]
pub async fn delete_webhook(
    _auth: Authorized<scope::WebhookDelete>,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (policy, timing_text, key) = path.into_inner();
    let timing = timing(&timing_text)?;
    Ok(HttpResponse::Ok().json(blocking(&state.webhooks, move |s| s.delete_webhook(&policy, timing, &key)).await?))
}

/// Body of a resume: identities the webhook derived (Fides' `PrivacyRequestResumeFormat`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeBody {
    /// Identities to add to the request's (`email`, `phone_number`, custom keys); they join
    /// the identity the stores are searched with.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub derived_identity: Map<String, Value>,
}

/// Resumes a request a two-way pre-execution webhook paused. Authorised by the `reply-to-token`
/// the webhook was sent (`Authorization: Bearer <token>`), which names this request and that
/// webhook and works while the request stays paused by it; OAuth client tokens are not accepted.
#[utoipa::path(tag = "DSR Policy Webhooks", params(("id" = String, Path, description = "pri_…")),
    request_body = ResumeBody,
    responses((status = 200, description = "Resumed: in_processing", body = PrivacyRequest),
        (status = 400, description = "Not paused by this webhook", body = ErrorBody),
        (status = 401, description = "No bearer token", body = ErrorBody),
        (status = 403, description = "The token is invalid, expired, or for another request", body = ErrorBody),
        (status = 404, description = "No such request or webhook", body = ErrorBody),
        (status = 422, description = "An invalid derived identity (named)", body = ErrorBody)),
    security(("reply_to_token" = [])))]
#[post("/api/v1/privacy-request/{id}/resume")]
pub async fn resume_from_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::message(StatusCode::UNAUTHORIZED, "Authorization header missing"))?;
    let id = id.into_inner();
    // The token decides before the body is read.
    let grant = blocking(&state.requests, move |s| s.authorize_webhook_resume(&id, &token)).await?;
    let resume: ResumeBody =
        if body.iter().all(u8::is_ascii_whitespace) { ResumeBody::default() } else { parse_json(&body)? };
    let resumed = blocking(&state.requests, move |s| s.resume_from_webhook(&grant, &resume.derived_identity)).await?;
    Ok(HttpResponse::Ok().json(resumed))
}
