//! `GET /health`

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Server health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `healthy` when this answers.
    #[schema(example = "healthy")]
    pub webserver: &'static str,
    /// `healthy` or `unhealthy`.
    #[schema(example = "healthy")]
    pub database: &'static str,
    /// `sqlite` or `postgresql`.
    #[schema(example = "sqlite")]
    pub database_backend: &'static str,
    /// Server version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

/// Reports whether the server and its database answer. No authentication.
#[utoipa::path(
    tag = "Health",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let healthy = matches!(web::block(move || db.ping()).await, Ok(Ok(())));
    let body = Health {
        webserver: "healthy",
        database: if healthy { "healthy" } else { "unhealthy" },
        database_backend: state.db.backend().name(),
        version: env!("CARGO_PKG_VERSION"),
    };
    if healthy { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}
