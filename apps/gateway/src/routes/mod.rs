//! Routes, one module per domain. Handlers are thin: extract, authorise, call the service on the
//! blocking pool (Diesel is synchronous), map the result.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod dsr;
pub mod health;
pub mod notices;
pub mod oauth;
pub mod redaction;

/// Mounts every documented route.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::health);
    oauth::configure(cfg);
    redaction::configure(cfg);
    notices::configure(cfg);
    dsr::configure(cfg);
}
