//! Redaction patterns (spec 002), at the spec's path and at Fides' own path.

use actix_web::{HttpResponse, get, put, web};
use redaction::RedactionPatterns;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authorized, Json};
use crate::routes::blocking;
use crate::routes::oauth::AuthErrors;
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(get_redaction_patterns)
        .service(update_redaction_patterns)
        .service(get_redaction_patterns_fides_path)
        .service(update_redaction_patterns_fides_path);
}

async fn read(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let patterns = blocking(&state.redaction, |s| s.patterns()).await?;
    Ok(HttpResponse::Ok().json(RedactionPatterns { patterns }))
}

async fn replace(state: web::Data<AppState>, body: RedactionPatterns) -> Result<HttpResponse, ApiError> {
    let patterns = blocking(&state.redaction, move |s| s.replace_patterns(body.patterns)).await?;
    Ok(HttpResponse::Ok().json(RedactionPatterns { patterns }))
}

/// Retrieves the configured redaction patterns, in the order they were set.
#[utoipa::path(
    tag = "Privacy Request Redaction Patterns",
    responses((status = 200, description = "The patterns", body = RedactionPatterns), AuthErrors),
    security(("oauth2" = ["privacy-request-redaction-patterns:read"]))
)]
#[get("/api/v1/privacy-request-redaction-patterns")]
pub async fn get_redaction_patterns(
    _auth: Authorized<scope::RedactionPatternsRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    read(state).await
}

/// Replaces all redaction patterns with the given list (at most 100, each at most 500
/// characters, each a valid regex). A rejected request changes nothing.
#[utoipa::path(
    tag = "Privacy Request Redaction Patterns",
    request_body = RedactionPatterns,
    responses(
        (status = 200, description = "The stored patterns", body = RedactionPatterns),
        (status = 400, description = "Too many patterns, a pattern too long, or an invalid regex", body = ErrorBody,
            example = json!({"detail": [{"loc": ["body", "patterns", 0], "msg": "Invalid regex pattern: [invalid", "type": "value_error"}]})),
        AuthErrors,
        (status = 422, description = "The body is not {\"patterns\": [strings]}", body = ErrorBody),
    ),
    security(("oauth2" = ["privacy-request-redaction-patterns:update"]))
)]
#[put("/api/v1/privacy-request-redaction-patterns")]
pub async fn update_redaction_patterns(
    _auth: Authorized<scope::RedactionPatternsUpdate>,
    state: web::Data<AppState>,
    body: Json<RedactionPatterns>,
) -> Result<HttpResponse, ApiError> {
    replace(state, body.0).await
}

/// Same as `GET /api/v1/privacy-request-redaction-patterns`, at the path Fides serves it.
#[utoipa::path(
    tag = "Privacy Request Redaction Patterns",
    responses((status = 200, description = "The patterns", body = RedactionPatterns), AuthErrors),
    security(("oauth2" = ["privacy-request-redaction-patterns:read"]))
)]
#[get("/api/v1/privacy-request/redaction-patterns")]
pub async fn get_redaction_patterns_fides_path(
    _auth: Authorized<scope::RedactionPatternsRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    read(state).await
}

/// Same as `PUT /api/v1/privacy-request-redaction-patterns`, at the path Fides serves it.
#[utoipa::path(
    tag = "Privacy Request Redaction Patterns",
    request_body = RedactionPatterns,
    responses(
        (status = 200, description = "The stored patterns", body = RedactionPatterns),
        (status = 400, description = "Too many patterns, a pattern too long, or an invalid regex", body = ErrorBody),
        AuthErrors,
        (status = 422, description = "The body is not {\"patterns\": [strings]}", body = ErrorBody),
    ),
    security(("oauth2" = ["privacy-request-redaction-patterns:update"]))
)]
#[put("/api/v1/privacy-request/redaction-patterns")]
pub async fn update_redaction_patterns_fides_path(
    _auth: Authorized<scope::RedactionPatternsUpdate>,
    state: web::Data<AppState>,
    body: Json<RedactionPatterns>,
) -> Result<HttpResponse, ApiError> {
    replace(state, body.0).await
}
