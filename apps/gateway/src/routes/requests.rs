//! Privacy requests (Fides-compatible, /api/v1): create, monitor, logs, retry, access results
//! and their signed download links.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use dsr_core::{
    AccessResultUrls, BulkResponse, ExecutionLog, FidesPage, ManualInput, PageQuery, PrivacyRequest,
    PrivacyRequestCreate, RequestFilter, RequestStatus, ReviewRequestIds, ReviewWithReason, SortDirection, SortField,
    VerificationCode,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody, Problem};
use crate::extract::{Authorized, Json, Query};
use crate::routes::oauth::AuthErrors;
use crate::routes::{blocking, page_request};
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(create_public)
        .service(create_authenticated)
        .service(list_requests)
        .service(get_request)
        .service(request_log)
        .service(retry_request)
        .service(access_results)
        .service(access_package)
        .service(verify_identity)
        .service(approve_requests)
        .service(deny_requests)
        .service(cancel_requests)
        .service(upload_manual_input)
        .service(upload_manual_input_webhook)
        .service(get_manual_input)
        .service(get_manual_input_webhook)
        .service(resume_from_requires_input);
}

/// Creates privacy requests (public, as in Fides; limited per client address). Each item
/// succeeds or fails on its own: unknown policy, no identity, an `encryption_key` that is not
/// exactly 16 bytes.
#[utoipa::path(tag = "Privacy requests", request_body = dsr_core::PrivacyRequestList,
    responses(
        (status = 200, description = "Created and failed items", body = BulkResponse<PrivacyRequest>),
        (status = 422, description = "More than 50 items, or not a list", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody)))]
#[post("/api/v1/privacy-request")]
pub async fn create_public(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The limit is this route's gate: decided before the body is looked at.
    if let Some(address) = state.client_address.of(&req)
        && let Err(wait) = state.public_limiter.check(address)
    {
        let limit = state.public_limiter.per_minute_limit();
        return Ok(crate::routes::oauth::too_many(wait, format!("Rate limit exceeded: {limit} per 1 minute")));
    }
    let items: Vec<PrivacyRequestCreate> = crate::extract::parse_json(&body)?;
    let created = blocking(&state.requests, move |s| s.create(items, None)).await?;
    Ok(HttpResponse::Ok().json(created))
}

/// Creates privacy requests as an authenticated client (recorded as `submitted_by`).
#[utoipa::path(tag = "Privacy requests", request_body = dsr_core::PrivacyRequestList,
    responses(
        (status = 200, description = "Created and failed items", body = BulkResponse<PrivacyRequest>),
        (status = 422, description = "More than 50 items, or not a list", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:create"])))]
#[post("/api/v1/privacy-request/authenticated")]
pub async fn create_authenticated(
    auth: Authorized<scope::PrivacyRequestCreate>,
    state: web::Data<AppState>,
    body: Json<Vec<PrivacyRequestCreate>>,
) -> Result<HttpResponse, ApiError> {
    let items = body.0;
    let client = auth.principal.client_id;
    let created = blocking(&state.requests, move |s| s.create(items, Some(client))).await?;
    Ok(HttpResponse::Ok().json(created))
}

/// Filters of the request list (`status` may repeat).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the request id.
    pub request_id: Option<String>,
    /// Status; repeat for several (`?status=error&status=complete`).
    #[param(value_type = Option<Vec<RequestStatus>>)]
    #[serde(skip)]
    pub status: Option<()>,
    /// Prefix of the external id.
    pub external_id: Option<String>,
    /// An identity value (email, phone number, …).
    pub identity: Option<String>,
    /// Created after.
    pub created_gt: Option<DateTime<Utc>>,
    /// Created before.
    pub created_lt: Option<DateTime<Utc>>,
    /// Started after.
    pub started_gt: Option<DateTime<Utc>>,
    /// Started before.
    pub started_lt: Option<DateTime<Utc>>,
    /// Completed after.
    pub completed_gt: Option<DateTime<Utc>>,
    /// Completed before.
    pub completed_lt: Option<DateTime<Utc>>,
    /// Failed after.
    pub errored_gt: Option<DateTime<Utc>>,
    /// Failed before.
    pub errored_lt: Option<DateTime<Utc>>,
    /// Sort field (default `created_at`).
    #[param(inline)]
    pub sort_field: Option<SortField>,
    /// `asc` or `desc` (default).
    #[param(inline)]
    pub sort_direction: Option<SortDirection>,
    /// Add execution logs by dataset.
    #[serde(default)]
    pub verbose: bool,
    /// Add identities.
    #[serde(default)]
    pub include_identities: bool,
    /// 1-based page.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Page size (1..100).
    #[param(minimum = 1, maximum = 100, default = 50)]
    pub size: Option<i64>,
}

/// The repeated `status` parameters, each checked; the error names `query.status`.
fn statuses(req: &HttpRequest) -> Result<Vec<RequestStatus>, ApiError> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "status")
        .map(|(_, v)| {
            RequestStatus::parse(&v).ok_or_else(|| {
                let allowed: Vec<&str> = RequestStatus::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::validation(vec![
                    Problem::new(
                        validation::loc!["query", "status"],
                        format!("Input should be one of: {} (got '{v}')", allowed.join(", ")),
                    )
                    .of_kind(validation::problem::ENUM),
                ])
            })
        })
        .collect()
}

/// Lists privacy requests, newest first, with Fides' filters and pagination.
#[utoipa::path(tag = "Privacy requests", params(ListQuery),
    responses((status = 200, description = "A page of requests", body = FidesPage<PrivacyRequest>),
        (status = 400, description = "Contradictory filters", body = ErrorBody),
        (status = 422, description = "A bad parameter (named)", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:read"])))]
#[get("/api/v1/privacy-request")]
pub async fn list_requests(
    _auth: Authorized<scope::PrivacyRequestRead>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = statuses(&req)?;
    // `status` repeats, which the typed query cannot hold: parse the rest without it.
    let rest: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(req.query_string().as_bytes()).filter(|(k, _)| k != "status"))
        .finish();
    let query: ListQuery = crate::extract::parse_query(&rest)?;
    let page = page_request(PageQuery { page: query.page, size: query.size })?;
    let filter = RequestFilter {
        request_id: query.request_id,
        status,
        external_id: query.external_id,
        identity: query.identity,
        created_gt: query.created_gt,
        created_lt: query.created_lt,
        started_gt: query.started_gt,
        started_lt: query.started_lt,
        completed_gt: query.completed_gt,
        completed_lt: query.completed_lt,
        errored_gt: query.errored_gt,
        errored_lt: query.errored_lt,
        sort_field: query.sort_field.unwrap_or_default(),
        sort_direction: query.sort_direction.unwrap_or_default(),
        verbose: query.verbose,
        include_identities: query.include_identities,
    };
    let found = blocking(&state.requests, move |s| s.list(&filter, page)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Options of a single request's view.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewQuery {
    /// Add execution logs by dataset.
    #[serde(default)]
    pub verbose: bool,
    /// Add identities.
    #[serde(default)]
    pub include_identities: bool,
}

/// One privacy request.
#[utoipa::path(tag = "Privacy requests", params(("id" = String, Path, description = "pri_…"), ViewQuery),
    responses((status = 200, description = "The request", body = PrivacyRequest),
        (status = 404, description = "No such request", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:read"])))]
#[get("/api/v1/privacy-request/{id}")]
pub async fn get_request(
    _auth: Authorized<scope::PrivacyRequestRead>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: Query<ViewQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let id = id.into_inner();
    let found = blocking(&state.requests, move |s| s.get(&id, query.verbose, query.include_identities)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// A request's execution log, oldest first: dataset, collection, status, fields affected, message.
#[utoipa::path(tag = "Privacy requests", params(("id" = String, Path, description = "pri_…"), PageQuery),
    responses((status = 200, description = "A page of log entries", body = FidesPage<ExecutionLog>),
        (status = 404, description = "No such request", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:read"])))]
#[get("/api/v1/privacy-request/{id}/log")]
pub async fn request_log(
    _auth: Authorized<scope::PrivacyRequestRead>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.0)?;
    let id = id.into_inner();
    let found = blocking(&state.requests, move |s| s.logs(&id, page)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Resumes a failed request from the step that failed (400 unless its status is `error`).
#[utoipa::path(tag = "Privacy requests", params(("id" = String, Path, description = "pri_…")),
    responses((status = 200, description = "The request, now in_processing", body = PrivacyRequest),
        (status = 400, description = "Not in error", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:resume"])))]
#[post("/api/v1/privacy-request/{id}/retry")]
pub async fn retry_request(
    _auth: Authorized<scope::PrivacyRequestResume>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let retried = blocking(&state.requests, move |s| s.retry(&id)).await?;
    Ok(HttpResponse::Ok().json(retried))
}

/// Signed, expiring download links of a complete request's access packages (one per access rule).
#[utoipa::path(tag = "Privacy requests", params(("id" = String, Path, description = "pri_…")),
    responses((status = 200, description = "Download links", body = AccessResultUrls),
        (status = 400, description = "The request is not complete", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 410, description = "The results were deleted (past LETHE__EXECUTION__RESULT_TTL_SECONDS)", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request-access-results:read"])))]
#[get("/api/v1/privacy-request/{id}/access-results")]
pub async fn access_results(
    _auth: Authorized<scope::AccessResultsRead>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let tokens = blocking(&state.requests, move |s| s.access_result_tokens(&lookup)).await?;
    let base = match &state.public_url {
        Some(base) => base.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    let access_result_urls = tokens.into_iter().map(|token| dsr_core::package_url(&base, &id, &token)).collect();
    Ok(HttpResponse::Ok().json(AccessResultUrls { access_result_urls }))
}

/// The download token.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageQuery {
    /// The token from an access-results link.
    pub token: String,
}

/// Downloads an access package (no bearer token: the link's token is the authorisation).
#[utoipa::path(tag = "Privacy requests", params(("id" = String, Path, description = "pri_…"), PackageQuery),
    responses((status = 200, description = "The package: JSON, a zip of CSVs, or base64 text when encrypted"),
        (status = 206, description = "The part a `Range` header asked for"),
        (status = 403, description = "Invalid or expired link", body = ErrorBody),
        (status = 404, description = "No such package", body = ErrorBody),
        (status = 410, description = "The package was deleted (past LETHE__EXECUTION__RESULT_TTL_SECONDS)", body = ErrorBody),
        (status = 416, description = "The `Range` lies outside the package")))]
#[get("/api/v1/privacy-request/{id}/access-package")]
pub async fn access_package(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: Query<PackageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let token = query.0.token;
    let package = blocking(&state.requests, move |s| s.open_package(&id, &token)).await?;
    let path = package.path.clone();
    // Streamed from the file (never read whole), with Range requests; no validators, as the
    // response is never stored (no-store).
    let file = web::block(move || actix_files::NamedFile::open(path)).await?.map_err(|e| {
        tracing::error!(error = %e, "opening an access package failed");
        ApiError::message(actix_web::http::StatusCode::NOT_FOUND, "The access package could not be read")
    })?;
    let content_type: mime::Mime = package.content_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let disposition = header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![header::DispositionParam::Filename(package.filename)],
    };
    let mut response = file
        .set_content_type(content_type)
        .set_content_disposition(disposition)
        .use_etag(false)
        .use_last_modified(false)
        .into_response(&request);
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Confirms the subject's identity with the emailed code (public: the code is the proof). Right
/// → the request goes on to approval or execution; wrong → 403 and the attempt counts; after
/// three wrong codes the code is void; expired → 400.
#[utoipa::path(tag = "Privacy requests", params(("id" = String, Path, description = "pri_…")),
    request_body = VerificationCode,
    responses((status = 200, description = "Verified; the request is pending", body = PrivacyRequest),
        (status = 400, description = "Code expired, or the request is not awaiting verification", body = ErrorBody),
        (status = 403, description = "Wrong code, or too many wrong codes", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 422, description = "No code in the body", body = ErrorBody)))]
#[post("/api/v1/privacy-request/{id}/verify")]
pub async fn verify_identity(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Json<VerificationCode>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let code = body.0.code;
    let verified = blocking(&state.requests, move |s| s.verify(&id, &code)).await?;
    Ok(HttpResponse::Ok().json(verified))
}

/// Approves pending requests and queues them for execution (each succeeds or fails on its own;
/// a denied request cannot be approved).
#[utoipa::path(tag = "Privacy requests", request_body = ReviewRequestIds,
    responses((status = 200, description = "Approved and refused requests", body = BulkResponse<PrivacyRequest>),
        (status = 422, description = "More than 50 ids", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:review"])))]
#[patch("/api/v1/privacy-request/administrate/approve")]
pub async fn approve_requests(
    auth: Authorized<scope::PrivacyRequestReview>,
    state: web::Data<AppState>,
    body: Json<ReviewRequestIds>,
) -> Result<HttpResponse, ApiError> {
    let ids = body.0.request_ids;
    let reviewer = auth.principal.client_id;
    let done = blocking(&state.requests, move |s| s.approve(ids, &reviewer)).await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Denies pending requests; the reason is stored on the request (`deny_reason`) and in its log.
/// A denied request never runs.
#[utoipa::path(tag = "Privacy requests", request_body = ReviewWithReason,
    responses((status = 200, description = "Denied and refused requests", body = BulkResponse<PrivacyRequest>),
        (status = 422, description = "More than 50 ids", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:review"])))]
#[patch("/api/v1/privacy-request/administrate/deny")]
pub async fn deny_requests(
    auth: Authorized<scope::PrivacyRequestReview>,
    state: web::Data<AppState>,
    body: Json<ReviewWithReason>,
) -> Result<HttpResponse, ApiError> {
    let ReviewWithReason { request_ids, reason } = body.0;
    let reviewer = auth.principal.client_id;
    let done = blocking(&state.requests, move |s| s.deny(request_ids, &reviewer, reason)).await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Cancels requests that have not ended (not complete, denied, canceled or failed).
#[utoipa::path(tag = "Privacy requests", request_body = ReviewWithReason,
    responses((status = 200, description = "Canceled and refused requests", body = BulkResponse<PrivacyRequest>),
        (status = 422, description = "More than 50 ids", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:review"])))]
#[patch("/api/v1/privacy-request/administrate/cancel")]
pub async fn cancel_requests(
    _auth: Authorized<scope::PrivacyRequestReview>,
    state: web::Data<AppState>,
    body: Json<ReviewWithReason>,
) -> Result<HttpResponse, ApiError> {
    let ReviewWithReason { request_ids, reason } = body.0;
    let done = blocking(&state.requests, move |s| s.cancel(request_ids, reason)).await?;
    Ok(HttpResponse::Ok().json(done))
}

async fn upload_manual(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let data = body.0;
    let stored = blocking(&state.requests, move |s| s.upload_manual_input(&id, &key, data)).await?;
    Ok(HttpResponse::Ok().json(stored))
}

async fn read_manual(state: web::Data<AppState>, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let found = blocking(&state.requests, move |s| s.manual_input(&id, &key)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Answers of an upload of manual input and its Fides alias.
#[derive(utoipa::IntoResponses)]
pub enum ManualInputSaved {
    /// Stored.
    #[response(status = 200, description = "Stored")]
    Saved(ManualInput),
    /// Wrong state or kind.
    #[response(status = 400, description = "Not awaiting input, or not a manual_request connection")]
    NotNow(ErrorBody),
    /// Nothing there.
    #[response(status = 404, description = "No such request, connection or fields")]
    NotFound(ErrorBody),
    /// Bad upload.
    #[response(status = 422, description = "An unknown label or a non-scalar value (named)")]
    Invalid(ErrorBody),
}

/// Answers of reading manual input and its Fides alias.
#[derive(utoipa::IntoResponses)]
pub enum ManualInputRead {
    /// The upload.
    #[response(status = 200, description = "The upload")]
    Found(ManualInput),
    /// Not that kind of connection.
    #[response(status = 400, description = "Not a manual_request connection")]
    NotManual(ErrorBody),
    /// Nothing there.
    #[response(status = 404, description = "No such request, connection or fields")]
    NotFound(ErrorBody),
}

/// Uploads what a person found in a manual request's system for a request in `requires_input`:
/// the connection's labels, all optional; `{}` means "searched, nothing found". Unknown labels → 422.
#[utoipa::path(tag = "Manual requests",
    params(("id" = String, Path, description = "pri_…"), ("connection_key" = String, Path, description = "A manual_request connection")),
    request_body(content = Object, example = json!({"first_name": "Jane", "last_name": "Customer"})),
    responses(ManualInputSaved, AuthErrors),
    security(("oauth2" = ["privacy-request:upload_data"])))]
#[patch("/api/v1/privacy-request/{id}/access_manual_request/{connection_key}")]
pub async fn upload_manual_input(
    _auth: Authorized<scope::PrivacyRequestUploadData>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    upload_manual(state, path, body).await
}

/// Fides' name of the manual upload (`manual_webhook` connections).
#[utoipa::path(tag = "Manual requests", operation_id = "upload_manual_input_webhook",
    params(("id" = String, Path, description = "pri_…"), ("connection_key" = String, Path, description = "A manual_request connection")),
    request_body(content = Object, example = json!({"first_name": "Jane", "last_name": "Customer"})),
    responses(ManualInputSaved, AuthErrors),
    security(("oauth2" = ["privacy-request:upload_data"])))]
#[patch("/api/v1/privacy-request/{id}/access_manual_webhook/{connection_key}")]
pub async fn upload_manual_input_webhook(
    _auth: Authorized<scope::PrivacyRequestUploadData>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    upload_manual(state, path, body).await
}

/// What was uploaded for a request and a manual request connection (`checked` false until then).
#[utoipa::path(tag = "Manual requests",
    params(("id" = String, Path, description = "pri_…"), ("connection_key" = String, Path, description = "A manual_request connection")),
    responses(ManualInputRead, AuthErrors),
    security(("oauth2" = ["privacy-request:view_data"])))]
#[get("/api/v1/privacy-request/{id}/access_manual_request/{connection_key}")]
pub async fn get_manual_input(
    _auth: Authorized<scope::PrivacyRequestViewData>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    read_manual(state, path).await
}

/// Fides' name of the manual upload view.
#[utoipa::path(tag = "Manual requests", operation_id = "get_manual_input_webhook",
    params(("id" = String, Path, description = "pri_…"), ("connection_key" = String, Path, description = "A manual_request connection")),
    responses(ManualInputRead, AuthErrors),
    security(("oauth2" = ["privacy-request:view_data"])))]
#[get("/api/v1/privacy-request/{id}/access_manual_webhook/{connection_key}")]
pub async fn get_manual_input_webhook(
    _auth: Authorized<scope::PrivacyRequestViewData>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    read_manual(state, path).await
}

/// Resumes a request in `requires_input` once every enabled manual request has its upload
/// (400 naming what is still missing).
#[utoipa::path(tag = "Manual requests", params(("id" = String, Path, description = "pri_…")),
    responses((status = 200, description = "Resumed: in_processing", body = PrivacyRequest),
        (status = 400, description = "Not in requires_input, or input still missing", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody), AuthErrors),
    security(("oauth2" = ["privacy-request:resume"])))]
#[post("/api/v1/privacy-request/{id}/resume_from_requires_input")]
pub async fn resume_from_requires_input(
    _auth: Authorized<scope::PrivacyRequestResume>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let resumed = blocking(&state.requests, move |s| s.resume_from_requires_input(&id)).await?;
    Ok(HttpResponse::Ok().json(resumed))
}
