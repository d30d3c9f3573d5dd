//! Messaging templates (Fides-compatible, /api/v1): the subject and body of each email data
//! subjects get. Fides asks `messaging-template:update` for reading them too.

use actix_web::{HttpResponse, get, put, web};
use dsr_core::{
    BulkResponse, MessagingActionType, MessagingTemplate, MessagingTemplateDefault, MessagingTemplateUpdate,
};
use utoipa_actix_web::service_config::ServiceConfig;
use validation::Problem;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authorized, parse_json};
use crate::routes::blocking;
use crate::routes::oauth::AuthErrors;
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list_templates).service(put_templates).service(default_template);
}

/// Lists every email type's template: the stored one, else Lethe's default.
#[utoipa::path(tag = "Messaging", operation_id = "list_messaging_templates",
    responses((status = 200, description = "One template per type", body = Vec<MessagingTemplate>), AuthErrors),
    security(("oauth2" = ["messaging-template:update"])))]
#[get("/api/v1/messaging/templates")]
pub async fn list_templates(
    _auth: Authorized<scope::MessagingTemplateUpdate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.templates, |s| s.list_templates()).await?))
}

/// Stores templates, each item on its own: an empty or missing subject or body takes the
/// default's; an unknown type, a subject of more than one line or 200 characters, or a body of
/// more than 20,000 characters fails its item. Bodies are plain text with `__VAR__`
/// placeholders (`__CODE__`, `__MINUTES__`, `__REQUEST_TYPES__`, `__DENIAL_REASON__`,
/// `__DOWNLOAD_LINK__`, `__DAYS__`), put in literally and HTML-escaped in the HTML part.
#[utoipa::path(tag = "Messaging", operation_id = "put_messaging_templates",
    request_body = dsr_core::MessagingTemplateList,
    responses((status = 200, description = "Stored and refused items", body = BulkResponse<MessagingTemplate>), AuthErrors,
        (status = 422, description = "Invalid body (the item and field are named)", body = ErrorBody)),
    security(("oauth2" = ["messaging-template:update"])))]
#[put("/api/v1/messaging/templates")]
pub async fn put_templates(
    _auth: Authorized<scope::MessagingTemplateUpdate>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<MessagingTemplateUpdate> = parse_json(&body)?;
    Ok(HttpResponse::Ok().json(blocking(&state.templates, move |s| s.put_templates(items)).await?))
}

/// Lethe's default subject and body of one email type.
#[utoipa::path(tag = "Messaging", operation_id = "get_default_messaging_template",
    params(("template_type" = MessagingActionType, Path, description = "The email type")),
    responses((status = 200, description = "The default", body = MessagingTemplateDefault), AuthErrors,
        (status = 422, description = "Not an email type", body = ErrorBody)),
    security(("oauth2" = ["messaging-template:update"])))]
#[get("/api/v1/messaging/templates/default/{template_type}")]
pub async fn default_template(
    _auth: Authorized<scope::MessagingTemplateUpdate>,
    state: web::Data<AppState>,
    template_type: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let text = template_type.into_inner();
    let Some(template_type) = MessagingActionType::parse(&text) else {
        let types: Vec<&str> = MessagingActionType::ALL.iter().map(|t| t.as_str()).collect();
        let message = format!("Messaging template type {text} is not supported; use one of: {}", types.join(", "));
        return Err(ApiError::invalid("path", vec![Problem::new(validation::loc!["template_type"], message)]));
    };
    Ok(HttpResponse::Ok().json(state.templates.default_template(template_type)))
}
