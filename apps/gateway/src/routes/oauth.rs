//! OAuth2 client credentials, Fides-compatible: tokens, clients, scopes.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put};
use auth::{AccessToken, AuthError, ClientCreate, ClientCreated};
use base64::Engine;
use serde::Deserialize;
use utoipa::{IntoResponses, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody, Problem};
use crate::extract::{Authorized, Json};
use crate::routes::blocking;
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(create_access_token)
        .service(create_client)
        .service(get_client_scopes)
        .service(set_client_scopes)
        .service(delete_client)
        .service(list_scopes);
}

/// The error responses every protected route can give.
#[derive(IntoResponses)]
pub enum AuthErrors {
    /// No bearer token, or a malformed, expired or revoked one.
    #[response(status = 401, description = "Missing, malformed or expired token")]
    Unauthorized(ErrorBody),
    /// The token lacks a scope the route requires; the detail names it.
    #[response(status = 403, description = "The token lacks the required scope")]
    Forbidden(ErrorBody),
}

/// Token request (`application/x-www-form-urlencoded`). Credentials may come in the form or as
/// HTTP Basic (`client_id:client_secret`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `client_credentials` (the only grant supported); optional.
    pub grant_type: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// The client secret.
    pub client_secret: Option<String>,
    /// Ignored, as in Fides: a token carries all of its client's scopes.
    pub scope: Option<String>,
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Issues an access token for a client's credentials (client-credentials grant).
#[utoipa::path(
    tag = "OAuth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A bearer token", body = AccessToken),
        (status = 401, description = "Unknown client or wrong secret", body = ErrorBody),
        (status = 422, description = "Malformed form or unsupported grant_type", body = ErrorBody),
        (status = 429, description = "Too many failed attempts from this address; see Retry-After", body = ErrorBody),
    )
)]
#[post("/api/v1/oauth/token")]
pub async fn create_access_token(
    req: HttpRequest,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // Failures are budgeted per address (brute force); a client that succeeds never counts.
    let address = state.client_address.of(&req);
    if let Some(wait) = address.and_then(|a| state.token_failures.blocked(a)) {
        return Ok(too_many(
            wait,
            format!("Too many failed token requests: {} per minute", state.token_failures.per_minute_limit()),
        ));
    }
    let issued = issue_token(&req, &body, &state).await;
    if let (Err(ApiError::Auth(AuthError::InvalidCredentials)), Some(address)) = (&issued, address) {
        state.token_failures.record(address);
    }
    issued
}

/// A 429 with `Retry-After` (whole seconds, at least 1).
pub(crate) fn too_many(wait: std::time::Duration, message: String) -> HttpResponse {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    HttpResponse::TooManyRequests()
        .insert_header((actix_web::http::header::RETRY_AFTER, seconds.max(1).to_string()))
        .json(ErrorBody { detail: crate::error::Detail::Message(message) })
}

async fn issue_token(req: &HttpRequest, body: &[u8], state: &web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let form: TokenRequest = serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::validation(vec![Problem::new(validation::loc!["body"], e.to_string())]))?;
    if let Some(grant) = form.grant_type.as_deref().filter(|g| *g != "client_credentials") {
        return Err(ApiError::validation(vec![Problem::new(
            validation::loc!["body", "grant_type"],
            format!("Unsupported grant_type '{grant}': only client_credentials is supported"),
        )]));
    }
    let (client_id, client_secret) = match (basic_credentials(req), form.client_id, form.client_secret) {
        (Some(basic), _, _) => basic,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => return Err(AuthError::InvalidCredentials.into()),
    };
    let token = blocking(&state.auth, move |s| s.issue_token(&client_id, &client_secret)).await?;
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(token))
}

/// Creates a client. Its secret is returned once; a client can only grant scopes it holds.
#[utoipa::path(
    tag = "OAuth",
    request_body = ClientCreate,
    responses(
        (status = 200, description = "The new client's credentials", body = ClientCreated),
        AuthErrors,
        (status = 422, description = "Unknown scope names", body = ErrorBody),
    ),
    security(("oauth2" = ["client:create"]))
)]
#[post("/api/v1/oauth/client")]
pub async fn create_client(
    auth: Authorized<scope::ClientCreate>,
    state: web::Data<AppState>,
    body: Json<ClientCreate>,
) -> Result<HttpResponse, ApiError> {
    let created = blocking(&state.auth, move |s| s.create_client(&auth.principal, body.0)).await?;
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(created))
}

/// Lists the scopes a client holds.
#[utoipa::path(
    tag = "OAuth",
    params(("client_id" = String, Path, description = "The client id")),
    responses(
        (status = 200, description = "The client's scopes", body = Vec<String>),
        AuthErrors,
        (status = 404, description = "No such client", body = ErrorBody),
    ),
    security(("oauth2" = ["client:read"]))
)]
#[get("/api/v1/oauth/client/{client_id}/scope")]
pub async fn get_client_scopes(
    _auth: Authorized<scope::ClientRead>,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scopes = blocking(&state.auth, move |s| s.client_scopes(&client_id)).await?;
    Ok(HttpResponse::Ok().json(scopes))
}

/// Replaces the scopes a client holds; its existing tokens follow at once.
#[utoipa::path(
    tag = "OAuth",
    params(("client_id" = String, Path, description = "The client id")),
    request_body(content = auth::scopes::ScopeNames, example = json!(["privacy-request-redaction-patterns:read"])),
    responses(
        (status = 200, description = "The client's scopes now", body = Vec<String>),
        AuthErrors,
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 422, description = "Unknown scope names", body = ErrorBody),
    ),
    security(("oauth2" = ["client:update"]))
)]
#[put("/api/v1/oauth/client/{client_id}/scope")]
pub async fn set_client_scopes(
    auth: Authorized<scope::ClientUpdate>,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
    body: Json<Vec<String>>,
) -> Result<HttpResponse, ApiError> {
    let service = state.auth.clone();
    let scopes = web::block(move || service.set_client_scopes(&auth.principal, &client_id, body.0)).await??;
    Ok(HttpResponse::Ok().json(scopes))
}

/// Deletes a client; tokens already issued to it stop working at once.
#[utoipa::path(
    tag = "OAuth",
    params(("client_id" = String, Path, description = "The client id")),
    responses(
        (status = 204, description = "Deleted"),
        AuthErrors,
        (status = 404, description = "No such client", body = ErrorBody),
    ),
    security(("oauth2" = ["client:delete"]))
)]
#[delete("/api/v1/oauth/client/{client_id}")]
pub async fn delete_client(
    _auth: Authorized<scope::ClientDelete>,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    blocking(&state.auth, move |s| s.delete_client(&client_id)).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}

/// Lists every scope the server knows.
#[utoipa::path(
    tag = "OAuth",
    responses((status = 200, description = "All scope names", body = Vec<String>), AuthErrors),
    security(("oauth2" = ["scope:read"]))
)]
#[get("/api/v1/oauth/scope")]
pub async fn list_scopes(_auth: Authorized<scope::ScopeRead>) -> HttpResponse {
    HttpResponse::Ok().json(auth::scopes::ALL)
}
