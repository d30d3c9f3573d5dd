//! Catalog (organisations, spaces, products), privacy notices, processing purposes and the RoPA,
//! under `/api/v1.0` (spec 004).

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_DISPOSITION;
use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, HttpResponseBuilder, delete, get, post, put};
use futures_util::StreamExt;
use notices_ropa::{
    Notice, NoticeCreate, NoticeUpdate, NoticesError, Org, OrgCreate, Page, PageParams, Paging, Product, ProductCreate,
    ProductUpdate, Purpose, PurposeCreate, PurposeUpdate, RopaParams, RopaRow, RopaScope, RopaSummary, Space,
    SpaceCreate,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, Detail, ErrorBody};
use crate::extract::{Authorized, Json, Query};
use crate::routes::blocking;
use crate::routes::oauth::AuthErrors;
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    // Organisation routes first: `/spaces/org/{org_slug}/…` must not be read as a space named "org".
    cfg.service(org_ropa_report)
        .service(org_ropa_summary)
        .service(org_ropa_export)
        .service(org_privacy_notices)
        .route("/api/v1.0/spaces/org/{org_slug}/privacy-notices", web::route().to(org_notices_read_only))
        .route("/api/v1.0/spaces/org/{org_slug}/privacy-notices/{tail:.*}", web::route().to(org_notices_read_only))
        .service(create_org)
        .service(list_orgs)
        .service(get_org)
        .service(create_space)
        .service(list_spaces)
        .service(get_space)
        .service(create_product)
        .service(list_products)
        .service(get_product)
        .service(update_product)
        .service(delete_product)
        .service(ropa_report)
        .service(ropa_summary)
        .service(ropa_export)
        .service(list_privacy_notices)
        .service(create_privacy_notice)
        .service(get_privacy_notice)
        .service(update_privacy_notice)
        .service(delete_privacy_notice)
        .service(create_purpose)
        .service(update_purpose)
        .service(delete_purpose);
}

/// A confirmation message.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    /// What happened.
    #[schema(example = "Privacy notice deleted")]
    pub message: &'static str,
}

/// A page as a JSON array with `X-Total-Count`, `X-Page` (1-based) and `X-Has-More`.
fn paged<T: Serialize>(page: Page<T>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("X-Total-Count", page.total.to_string()))
        .insert_header(("X-Page", page.page_number().to_string()))
        .insert_header(("X-Has-More", page.has_more().to_string()))
        .json(page.items)
}

fn paging(params: PageParams) -> Result<Paging, ApiError> {
    Paging::parse(params.limit, params.offset).map_err(|problems| ApiError::invalid("query", problems))
}

fn created<T: Serialize>(body: T) -> HttpResponse {
    HttpResponseBuilder::new(StatusCode::CREATED).json(body)
}

// ---- organisations ----

/// Creates an organisation.
#[utoipa::path(
    tag = "Catalog",
    request_body = OrgCreate,
    responses(
        (status = 201, description = "Created", body = Org),
        AuthErrors,
        (status = 409, description = "Slug taken", body = ErrorBody),
        (status = 422, description = "Invalid slug or name", body = ErrorBody),
    ),
    security(("oauth2" = ["catalog:create_or_update"]))
)]
#[post("/api/v1.0/orgs")]
pub async fn create_org(
    _auth: Authorized<scope::CatalogWrite>,
    state: web::Data<AppState>,
    body: Json<OrgCreate>,
) -> Result<HttpResponse, ApiError> {
    Ok(created(blocking(&state.notices, move |s| s.create_org(body.0)).await?))
}

/// Lists organisations.
#[utoipa::path(
    tag = "Catalog",
    responses((status = 200, description = "Organisations by slug", body = Vec<Org>), AuthErrors),
    security(("oauth2" = ["catalog:read"]))
)]
#[get("/api/v1.0/orgs")]
pub async fn list_orgs(
    _auth: Authorized<scope::CatalogRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.notices, |s| s.list_orgs()).await?))
}

/// Gets an organisation.
#[utoipa::path(
    tag = "Catalog",
    params(("slug" = String, Path, description = "Organisation slug")),
    responses((status = 200, description = "The organisation", body = Org), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["catalog:read"]))
)]
#[get("/api/v1.0/orgs/{slug}")]
pub async fn get_org(
    _auth: Authorized<scope::CatalogRead>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.get_org(&slug)).await?))
}

// ---- spaces ----

/// Creates a space in an organisation.
#[utoipa::path(
    tag = "Catalog",
    request_body = SpaceCreate,
    responses(
        (status = 201, description = "Created", body = Space),
        AuthErrors,
        (status = 409, description = "Slug taken", body = ErrorBody),
        (status = 422, description = "Invalid slug or name, or unknown organisation", body = ErrorBody),
    ),
    security(("oauth2" = ["catalog:create_or_update"]))
)]
#[post("/api/v1.0/spaces")]
pub async fn create_space(
    _auth: Authorized<scope::CatalogWrite>,
    state: web::Data<AppState>,
    body: Json<SpaceCreate>,
) -> Result<HttpResponse, ApiError> {
    Ok(created(blocking(&state.notices, move |s| s.create_space(body.0)).await?))
}

/// Lists spaces.
#[utoipa::path(
    tag = "Catalog",
    responses((status = 200, description = "Spaces by slug", body = Vec<Space>), AuthErrors),
    security(("oauth2" = ["catalog:read"]))
)]
#[get("/api/v1.0/spaces")]
pub async fn list_spaces(
    _auth: Authorized<scope::CatalogRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.notices, |s| s.list_spaces()).await?))
}

/// Gets a space.
#[utoipa::path(
    tag = "Catalog",
    params(("slug" = String, Path, description = "Space slug")),
    responses((status = 200, description = "The space", body = Space), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["catalog:read"]))
)]
#[get("/api/v1.0/spaces/{slug}")]
pub async fn get_space(
    _auth: Authorized<scope::CatalogRead>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.get_space(&slug)).await?))
}

// ---- products ----

/// Adds a catalog product to a space.
#[utoipa::path(
    tag = "Catalog",
    params(("slug" = String, Path, description = "Space slug")),
    request_body = ProductCreate,
    responses(
        (status = 201, description = "Created", body = Product),
        AuthErrors,
        (status = 404, description = "Unknown space", body = ErrorBody),
        (status = 422, description = "Invalid fields, or a purpose not of this space", body = ErrorBody),
    ),
    security(("oauth2" = ["catalog:create_or_update"]))
)]
#[post("/api/v1.0/spaces/{slug}/products")]
pub async fn create_product(
    _auth: Authorized<scope::CatalogWrite>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: Json<ProductCreate>,
) -> Result<HttpResponse, ApiError> {
    Ok(created(blocking(&state.notices, move |s| s.create_product(&slug, body.0)).await?))
}

/// Lists a space's products, by name then id, a page at a time.
#[utoipa::path(
    tag = "Catalog",
    params(("slug" = String, Path, description = "Space slug"), PageParams),
    responses(
        (status = 200, description = "A page; X-Total-Count, X-Page and X-Has-More describe the rest", body = Vec<Product>),
        AuthErrors,
        (status = 404, description = "Unknown space", body = ErrorBody),
        (status = 422, description = "limit outside 1..100 or negative offset", body = ErrorBody),
    ),
    security(("oauth2" = ["catalog:read"]))
)]
#[get("/api/v1.0/spaces/{slug}/products")]
pub async fn list_products(
    _auth: Authorized<scope::CatalogRead>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    params: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let paging = paging(params.0)?;
    Ok(paged(blocking(&state.notices, move |s| s.list_products(&slug, paging)).await?))
}

/// Gets a product of a space.
#[utoipa::path(
    tag = "Catalog",
    params(("slug" = String, Path, description = "Space slug"), ("product_id" = String, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = Product), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["catalog:read"]))
)]
#[get("/api/v1.0/spaces/{slug}/products/{product_id}")]
pub async fn get_product(
    _auth: Authorized<scope::CatalogRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.get_product(&slug, &id)).await?))
}

/// Changes the given fields of a product (`null` clears a field).
#[utoipa::path(
    tag = "Catalog",
    params(("slug" = String, Path, description = "Space slug"), ("product_id" = String, Path, description = "Product id")),
    request_body = ProductUpdate,
    responses(
        (status = 200, description = "The product", body = Product),
        AuthErrors,
        (status = 404, description = "Unknown", body = ErrorBody),
        (status = 422, description = "Invalid fields, or a purpose not of this space", body = ErrorBody),
    ),
    security(("oauth2" = ["catalog:create_or_update"]))
)]
#[put("/api/v1.0/spaces/{slug}/products/{product_id}")]
pub async fn update_product(
    _auth: Authorized<scope::CatalogWrite>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<ProductUpdate>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.update_product(&slug, &id, body.0)).await?))
}

/// Deletes a product.
#[utoipa::path(
    tag = "Catalog",
    params(("slug" = String, Path, description = "Space slug"), ("product_id" = String, Path, description = "Product id")),
    responses((status = 200, description = "Deleted", body = Message), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["catalog:delete"]))
)]
#[delete("/api/v1.0/spaces/{slug}/products/{product_id}")]
pub async fn delete_product(
    _auth: Authorized<scope::CatalogDelete>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    blocking(&state.notices, move |s| s.delete_product(&slug, &id)).await?;
    Ok(HttpResponse::Ok().json(Message { message: "Product deleted" }))
}

// ---- RoPA ----

async fn report(state: web::Data<AppState>, scope: Scope, params: RopaParams) -> Result<HttpResponse, ApiError> {
    let (paging, filter) = params.parse().map_err(|problems| ApiError::invalid("query", problems))?;
    Ok(paged(blocking(&state.notices, move |s| s.ropa_report(scope.as_ropa(), &filter, paging)).await?))
}

async fn summary(state: web::Data<AppState>, scope: Scope) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.ropa_summary(scope.as_ropa())).await?))
}

/// An owned [`RopaScope`], to move onto the blocking pool.
enum Scope {
    Space(String),
    Org(String),
}

impl Scope {
    fn as_ropa(&self) -> RopaScope<'_> {
        match self {
            Scope::Space(slug) => RopaScope::Space(slug),
            Scope::Org(slug) => RopaScope::Org(slug),
        }
    }

    fn filename(&self) -> String {
        match self {
            Scope::Space(slug) => format!("ropa-report-{slug}.csv"),
            Scope::Org(slug) => format!("ropa-report-{slug}-all-spaces.csv"),
        }
    }
}

/// Streams the export: the first chunk (or the error that came before it) decides the status;
/// the rest follows from the blocking pool through a bounded channel, never all in memory.
async fn export(state: web::Data<AppState>, scope: Scope) -> Result<HttpResponse, ApiError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, NoticesError>>(4);
    let service = state.notices.clone();
    let filename = scope.filename();
    actix_web::rt::task::spawn_blocking(move || {
        let result =
            service.ropa_export(scope.as_ropa(), &mut |chunk| tx.blocking_send(Ok(Bytes::from(chunk))).is_ok());
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let first = match rx.recv().await {
        Some(Ok(first)) => first,
        Some(Err(e)) => return Err(e.into()),
        None => return Err(ApiError::message(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")),
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await? {
            Ok(chunk) => Some((Ok(chunk), rx)),
            Err(e) => {
                tracing::error!(error = %e, "RoPA export failed mid-stream");
                Some((Err(actix_web::error::ErrorInternalServerError("export failed")), rx))
            }
        }
    });
    let body = futures_util::stream::once(async move { Ok::<_, actix_web::Error>(first) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .streaming(body))
}

/// A paginated, filterable Record of Processing Activities for a space.
#[utoipa::path(
    tag = "RoPA",
    params(("slug" = String, Path, description = "Space slug"), RopaParams),
    responses(
        (status = 200, description = "A page of rows; X-Total-Count, X-Page and X-Has-More describe the rest", body = Vec<RopaRow>),
        AuthErrors,
        (status = 404, description = "Unknown space", body = ErrorBody),
        (status = 422, description = "Invalid query", body = ErrorBody),
    ),
    security(("oauth2" = ["ropa:read"]))
)]
#[get("/api/v1.0/spaces/{slug}/ropa-report")]
pub async fn ropa_report(
    _auth: Authorized<scope::RopaRead>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    params: Query<RopaParams>,
) -> Result<HttpResponse, ApiError> {
    report(state, Scope::Space(slug.into_inner()), params.0).await
}

/// RoPA summary counts for a space.
#[utoipa::path(
    tag = "RoPA",
    params(("slug" = String, Path, description = "Space slug")),
    responses((status = 200, description = "Counts", body = RopaSummary), AuthErrors, (status = 404, description = "Unknown space", body = ErrorBody)),
    security(("oauth2" = ["ropa:read"]))
)]
#[get("/api/v1.0/spaces/{slug}/ropa-summary")]
pub async fn ropa_summary(
    _auth: Authorized<scope::RopaRead>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    summary(state, Scope::Space(slug.into_inner())).await
}

/// The space's whole RoPA as CSV (at most 10,000 rows), as `ropa-report-{slug}.csv`.
#[utoipa::path(
    tag = "RoPA",
    params(("slug" = String, Path, description = "Space slug")),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        AuthErrors,
        (status = 404, description = "Unknown space", body = ErrorBody),
    ),
    security(("oauth2" = ["ropa:read"]))
)]
#[get("/api/v1.0/spaces/{slug}/ropa-export")]
pub async fn ropa_export(
    _auth: Authorized<scope::RopaRead>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    export(state, Scope::Space(slug.into_inner())).await
}

/// The RoPA across every space of an organisation; rows name their space.
#[utoipa::path(
    tag = "RoPA",
    params(("org_slug" = String, Path, description = "Organisation slug"), RopaParams),
    responses(
        (status = 200, description = "A page of rows; X-Total-Count, X-Page and X-Has-More describe the rest", body = Vec<RopaRow>),
        AuthErrors,
        (status = 404, description = "Unknown organisation", body = ErrorBody),
        (status = 422, description = "Invalid query", body = ErrorBody),
    ),
    security(("oauth2" = ["ropa:read"]))
)]
#[get("/api/v1.0/spaces/org/{org_slug}/ropa-report")]
pub async fn org_ropa_report(
    _auth: Authorized<scope::RopaRead>,
    state: web::Data<AppState>,
    org_slug: web::Path<String>,
    params: Query<RopaParams>,
) -> Result<HttpResponse, ApiError> {
    report(state, Scope::Org(org_slug.into_inner()), params.0).await
}

/// RoPA summary counts across an organisation.
#[utoipa::path(
    tag = "RoPA",
    params(("org_slug" = String, Path, description = "Organisation slug")),
    responses((status = 200, description = "Counts", body = RopaSummary), AuthErrors, (status = 404, description = "Unknown organisation", body = ErrorBody)),
    security(("oauth2" = ["ropa:read"]))
)]
#[get("/api/v1.0/spaces/org/{org_slug}/ropa-summary")]
pub async fn org_ropa_summary(
    _auth: Authorized<scope::RopaRead>,
    state: web::Data<AppState>,
    org_slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    summary(state, Scope::Org(org_slug.into_inner())).await
}

/// The organisation's whole RoPA as CSV, as `ropa-report-{org_slug}-all-spaces.csv`.
#[utoipa::path(
    tag = "RoPA",
    params(("org_slug" = String, Path, description = "Organisation slug")),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        AuthErrors,
        (status = 404, description = "Unknown organisation", body = ErrorBody),
    ),
    security(("oauth2" = ["ropa:read"]))
)]
#[get("/api/v1.0/spaces/org/{org_slug}/ropa-export")]
pub async fn org_ropa_export(
    _auth: Authorized<scope::RopaRead>,
    state: web::Data<AppState>,
    org_slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    export(state, Scope::Org(org_slug.into_inner())).await
}

// ---- notices and purposes ----

/// Lists the notices of every space of an organisation (read-only), `space_name` filled.
#[utoipa::path(
    tag = "Privacy Notices",
    params(("org_slug" = String, Path, description = "Organisation slug")),
    responses(
        (status = 200, description = "Notices with their purposes", body = Vec<Notice>),
        AuthErrors,
        (status = 404, description = "Unknown organisation", body = ErrorBody),
        (status = 405, description = "Organisation notices are read-only", body = ErrorBody),
    ),
    security(("oauth2" = ["privacy-notice:read"]))
)]
#[get("/api/v1.0/spaces/org/{org_slug}/privacy-notices")]
pub async fn org_privacy_notices(
    _auth: Authorized<scope::NoticeRead>,
    state: web::Data<AppState>,
    org_slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.list_org_notices(&org_slug)).await?))
}

async fn org_notices_read_only() -> HttpResponse {
    HttpResponse::MethodNotAllowed().insert_header(("Allow", "GET")).json(ErrorBody {
        detail: Detail::Message(
            "Organization privacy notices are read-only; create, update and delete notices in their space".into(),
        ),
    })
}

/// Lists a space's notices with their purposes.
#[utoipa::path(
    tag = "Privacy Notices",
    params(("slug" = String, Path, description = "Space slug")),
    responses((status = 200, description = "Notices with their purposes", body = Vec<Notice>), AuthErrors, (status = 404, description = "Unknown space", body = ErrorBody)),
    security(("oauth2" = ["privacy-notice:read"]))
)]
#[get("/api/v1.0/spaces/{slug}/privacy-notices")]
pub async fn list_privacy_notices(
    _auth: Authorized<scope::NoticeRead>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.list_notices(&slug)).await?))
}

/// Creates a privacy notice (status DRAFT unless given).
#[utoipa::path(
    tag = "Privacy Notices",
    params(("slug" = String, Path, description = "Space slug")),
    request_body = NoticeCreate,
    responses(
        (status = 201, description = "The notice", body = Notice),
        AuthErrors,
        (status = 404, description = "Unknown space", body = ErrorBody),
        (status = 422, description = "Missing name or version, invalid status, or a content_url that is not an external http(s) URL", body = ErrorBody),
    ),
    security(("oauth2" = ["privacy-notice:create_or_update"]))
)]
#[post("/api/v1.0/spaces/{slug}/privacy-notices")]
pub async fn create_privacy_notice(
    _auth: Authorized<scope::NoticeWrite>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: Json<NoticeCreate>,
) -> Result<HttpResponse, ApiError> {
    Ok(created(blocking(&state.notices, move |s| s.create_notice(&slug, body.0)).await?))
}

/// Gets a notice with its purposes; 404 when it is not of this space.
#[utoipa::path(
    tag = "Privacy Notices",
    params(("slug" = String, Path, description = "Space slug"), ("notice_id" = String, Path, description = "Notice id")),
    responses((status = 200, description = "The notice", body = Notice), AuthErrors, (status = 404, description = "Unknown here", body = ErrorBody)),
    security(("oauth2" = ["privacy-notice:read"]))
)]
#[get("/api/v1.0/spaces/{slug}/privacy-notices/{notice_id}")]
pub async fn get_privacy_notice(
    _auth: Authorized<scope::NoticeRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.get_notice(&slug, &id)).await?))
}

/// Changes the given fields of a notice (partial update; `null` clears optional fields).
#[utoipa::path(
    tag = "Privacy Notices",
    params(("slug" = String, Path, description = "Space slug"), ("notice_id" = String, Path, description = "Notice id")),
    request_body = NoticeUpdate,
    responses(
        (status = 200, description = "The notice", body = Notice),
        AuthErrors,
        (status = 404, description = "Unknown here", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ),
    security(("oauth2" = ["privacy-notice:create_or_update"]))
)]
#[put("/api/v1.0/spaces/{slug}/privacy-notices/{notice_id}")]
pub async fn update_privacy_notice(
    _auth: Authorized<scope::NoticeWrite>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<NoticeUpdate>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.notices, move |s| s.update_notice(&slug, &id, body.0)).await?))
}

/// Deletes a notice and its purposes; products mapped to them become unmapped.
#[utoipa::path(
    tag = "Privacy Notices",
    params(("slug" = String, Path, description = "Space slug"), ("notice_id" = String, Path, description = "Notice id")),
    responses((status = 200, description = "Deleted", body = Message), AuthErrors, (status = 404, description = "Unknown here", body = ErrorBody)),
    security(("oauth2" = ["privacy-notice:delete"]))
)]
#[delete("/api/v1.0/spaces/{slug}/privacy-notices/{notice_id}")]
pub async fn delete_privacy_notice(
    _auth: Authorized<scope::NoticeDelete>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    blocking(&state.notices, move |s| s.delete_notice(&slug, &id)).await?;
    Ok(HttpResponse::Ok().json(Message { message: "Privacy notice deleted" }))
}

/// Adds a processing purpose to a notice.
#[utoipa::path(
    tag = "Privacy Notices",
    params(("slug" = String, Path, description = "Space slug"), ("notice_id" = String, Path, description = "Notice id")),
    request_body = PurposeCreate,
    responses(
        (status = 201, description = "The purpose", body = Purpose),
        AuthErrors,
        (status = 404, description = "Notice unknown here", body = ErrorBody),
        (status = 422, description = "Missing name", body = ErrorBody),
    ),
    security(("oauth2" = ["privacy-notice:create_or_update"]))
)]
#[post("/api/v1.0/spaces/{slug}/privacy-notices/{notice_id}/purposes")]
pub async fn create_purpose(
    _auth: Authorized<scope::NoticeWrite>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<PurposeCreate>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    Ok(created(blocking(&state.notices, move |s| s.add_purpose(&slug, &id, body.0)).await?))
}

/// Changes the given fields of a purpose.
#[utoipa::path(
    tag = "Privacy Notices",
    params(
        ("slug" = String, Path, description = "Space slug"),
        ("notice_id" = String, Path, description = "Notice id"),
        ("purpose_id" = String, Path, description = "Purpose id"),
    ),
    request_body = PurposeUpdate,
    responses(
        (status = 200, description = "The purpose", body = Purpose),
        AuthErrors,
        (status = 404, description = "Purpose unknown in this space", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ),
    security(("oauth2" = ["privacy-notice:create_or_update"]))
)]
#[put("/api/v1.0/spaces/{slug}/privacy-notices/{notice_id}/purposes/{purpose_id}")]
pub async fn update_purpose(
    _auth: Authorized<scope::NoticeWrite>,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    body: Json<PurposeUpdate>,
) -> Result<HttpResponse, ApiError> {
    let (slug, notice, purpose) = path.into_inner();
    Ok(HttpResponse::Ok()
        .json(blocking(&state.notices, move |s| s.update_purpose(&slug, &notice, &purpose, body.0)).await?))
}

/// Deletes a purpose; products mapped to it become unmapped.
#[utoipa::path(
    tag = "Privacy Notices",
    params(
        ("slug" = String, Path, description = "Space slug"),
        ("notice_id" = String, Path, description = "Notice id"),
        ("purpose_id" = String, Path, description = "Purpose id"),
    ),
    responses((status = 200, description = "Deleted", body = Message), AuthErrors, (status = 404, description = "Purpose unknown in this space", body = ErrorBody)),
    security(("oauth2" = ["privacy-notice:delete"]))
)]
#[delete("/api/v1.0/spaces/{slug}/privacy-notices/{notice_id}/purposes/{purpose_id}")]
pub async fn delete_purpose(
    _auth: Authorized<scope::NoticeDelete>,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, notice, purpose) = path.into_inner();
    blocking(&state.notices, move |s| s.delete_purpose(&slug, &notice, &purpose)).await?;
    Ok(HttpResponse::Ok().json(Message { message: "Processing purpose deleted" }))
}
