//! OAuth 2 authorization code for SaaS connections (Fides-compatible, /api/v1): the authorize
//! page of a connection, and the callback the API sends the person back to.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use dsr_core::OAuthCallback;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authorized, Query};
use crate::routes::blocking;
use crate::routes::oauth::AuthErrors;
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(authorize_connection).service(oauth_callback);
}

/// The URL of the API's authorize page for an `oauth2_authorization_code` connection, with a
/// fresh `state` (used once, valid ten minutes). Open it in a browser; the API sends the person
/// back to `GET /api/v1/oauth/callback`.
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key")),
    responses((status = 200, description = "The authorize page's URL", body = String), AuthErrors,
        (status = 400, description = "Not an authorization code connection, or secrets missing (named)", body = ErrorBody),
        (status = 404, description = "Unknown connection", body = ErrorBody)),
    security(("oauth2" = ["connection:authorize"])))]
#[get("/api/v1/connection/{connection_key}/authorize")]
pub async fn authorize_connection(
    _auth: Authorized<scope::ConnectionAuthorize>,
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let referer = req.headers().get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(origin);
    let url = blocking(&state.connections, move |s| s.authorize_url(&key, referer)).await?;
    Ok(HttpResponse::Ok().json(url))
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.origin().ascii_serialization())
}

/// The callback's query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: String,
    /// The state the authorize page was opened with.
    pub state: String,
}

/// Where the API sends the person after they authorised (public: the single-use `state` is the
/// authority). The code is exchanged for tokens, which are stored sealed with the connection,
/// and the connection is tested. When the authorize call came from a page, the person is sent
/// back to `<its origin>/integrations/<connection_key>?status=succeeded|failed`; else the
/// outcome is answered as JSON.
#[utoipa::path(tag = "Connections", params(CallbackQuery),
    responses((status = 200, description = "Authorised: the connection test's outcome", body = OAuthCallback),
        (status = 307, description = "Authorised: back to the page the flow started from"),
        (status = 400, description = "The state expired, or the API refused the code (its reason)", body = ErrorBody),
        (status = 404, description = "No authentication request for this state", body = ErrorBody),
        (status = 422, description = "code or state missing", body = ErrorBody)))]
#[get("/api/v1/oauth/callback")]
pub async fn oauth_callback(state: web::Data<AppState>, query: Query<CallbackQuery>) -> Result<HttpResponse, ApiError> {
    let CallbackQuery { code, state: flow } = query.0;
    let done = blocking(&state.connections, move |s| s.oauth_callback(&code, &flow)).await?;
    let Some(referer) = &done.referer else { return Ok(HttpResponse::Ok().json(done)) };
    let status = match done.test.test_status {
        Some(dsr_core::TestStatus::Succeeded) => "succeeded",
        _ => "failed",
    };
    let location = format!("{referer}/integrations/{}?status={status}", done.connection_key);
    Ok(HttpResponse::build(StatusCode::TEMPORARY_REDIRECT).insert_header((header::LOCATION, location)).finish())
}
