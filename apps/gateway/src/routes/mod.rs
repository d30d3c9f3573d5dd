//! Routes, one module per domain. Handlers are thin: extract, authorise, call the service on the
//! blocking pool (Diesel is synchronous), map the result.

use std::sync::Arc;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use dsr_core::{PageQuery, PageRequest};

use crate::error::{ApiError, Problem};

pub mod assessments;
pub mod dsr;
pub mod health;
pub mod messaging;
pub mod notices;
pub mod oauth;
pub mod privacy_center;
pub mod redaction;
pub mod requests;
pub mod saas_oauth;
pub mod webhooks;

/// Mounts every documented route.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::health);
    oauth::configure(cfg);
    redaction::configure(cfg);
    notices::configure(cfg);
    dsr::configure(cfg);
    requests::configure(cfg);
    webhooks::configure(cfg);
    messaging::configure(cfg);
    saas_oauth::configure(cfg);
    assessments::configure(cfg);
}

/// Runs a synchronous service call on the blocking pool (Diesel must not block an actix worker)
/// and maps its error.
pub(crate) async fn blocking<S, T, E>(
    service: &Arc<S>,
    f: impl FnOnce(&S) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    S: ?Sized + Send + Sync + 'static,
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    let service = Arc::clone(service);
    Ok(web::block(move || f(service.as_ref())).await??)
}

/// Validates Fides' `page`/`size` parameters; the 422 names the bad one.
pub(crate) fn page_request(query: PageQuery) -> Result<PageRequest, ApiError> {
    query
        .parse()
        .map_err(|(field, msg)| ApiError::validation(vec![Problem::new(validation::loc!["query", field], msg)]))
}
