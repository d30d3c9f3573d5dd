//! Taxonomy, DSR policies, rules, targets, storage destinations, connections and datasets
//! (Fides-compatible, /api/v1).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use dsr_core::{
    BulkResponse, Connection, ConnectionCreate, ConnectionTypeInfo, Dataset, FidesPage, ManualFieldsUpdate,
    ManualRequest, PageQuery, Policy, PolicyCreate, Rule, RuleCreate, StorageConfig, StorageConfigCreate, SystemType,
    Target, TargetCreate, TaxonomyItem, TestResult,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody, Problem};
use crate::extract::{Authorized, Json, Query};
use crate::routes::oauth::AuthErrors;
use crate::routes::{blocking, page_request};
use crate::scope;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list_data_categories)
        .service(list_data_uses)
        .service(list_data_subjects)
        .service(upsert_policies)
        .service(list_policies)
        .service(get_policy)
        .service(delete_policy)
        .service(upsert_rules)
        .service(list_rules)
        .service(get_rule)
        .service(delete_rule)
        .service(upsert_targets)
        .service(list_targets)
        .service(delete_target)
        .service(upsert_storage)
        .service(list_storage)
        .service(get_storage)
        .service(delete_storage)
        .service(upsert_connections)
        .service(list_connections)
        .service(list_connection_types)
        .service(connection_type_secrets)
        .service(get_connection)
        .service(delete_connection)
        .service(put_connection_secrets)
        .service(test_connection)
        .service(instantiate_connection)
        .service(set_saas_config)
        .service(get_saas_config)
        .service(delete_saas_config)
        .service(validate_saas_config)
        .service(upsert_datasets)
        .service(upsert_datasets_yaml)
        .service(list_datasets)
        .service(get_dataset)
        .service(delete_dataset)
        .service(set_manual_fields)
        .service(set_manual_fields_webhook)
        .service(get_manual_fields)
        .service(get_manual_fields_webhook)
        .service(delete_manual_fields)
        .service(delete_manual_fields_webhook);
}

fn no_content() -> HttpResponse {
    HttpResponse::build(StatusCode::NO_CONTENT).finish()
}

// ---- taxonomy ----

/// Lists the fideslang data categories.
#[utoipa::path(tag = "Taxonomy", responses((status = 200, description = "Data categories", body = Vec<TaxonomyItem>), AuthErrors),
    security(("oauth2" = ["data_category:read"])))]
#[get("/api/v1/data_category")]
pub async fn list_data_categories(
    _auth: Authorized<scope::DataCategoryRead>,
    state: web::Data<AppState>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.taxonomy.data_categories())
}

/// Lists the fideslang data uses.
#[utoipa::path(tag = "Taxonomy", responses((status = 200, description = "Data uses", body = Vec<TaxonomyItem>), AuthErrors),
    security(("oauth2" = ["data_use:read"])))]
#[get("/api/v1/data_use")]
pub async fn list_data_uses(_auth: Authorized<scope::DataUseRead>, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.taxonomy.data_uses())
}

/// Lists the fideslang data subjects.
#[utoipa::path(tag = "Taxonomy", responses((status = 200, description = "Data subjects", body = Vec<TaxonomyItem>), AuthErrors),
    security(("oauth2" = ["data_subject:read"])))]
#[get("/api/v1/data_subject")]
pub async fn list_data_subjects(_auth: Authorized<scope::DataSubjectRead>, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.taxonomy.data_subjects())
}

// ---- policies ----

/// Creates or updates policies by key (at most 50); each item succeeds or fails on its own.
#[utoipa::path(tag = "DSR Policy", request_body = dsr_core::PolicyList,
    responses((status = 200, description = "What was stored and what was refused", body = BulkResponse<Policy>), AuthErrors,
        (status = 422, description = "Not a list of policies, or more than 50", body = ErrorBody)),
    security(("oauth2" = ["policy:create_or_update"])))]
#[patch("/api/v1/dsr/policy")]
pub async fn upsert_policies(
    _auth: Authorized<scope::PolicyWrite>,
    state: web::Data<AppState>,
    body: Json<Vec<PolicyCreate>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.upsert_policies(body.0)).await?))
}

/// Lists policies with their rules and targets.
#[utoipa::path(tag = "DSR Policy", params(PageQuery),
    responses((status = 200, description = "A page of policies", body = FidesPage<Policy>), AuthErrors,
        (status = 422, description = "Invalid page or size", body = ErrorBody)),
    security(("oauth2" = ["policy:read"])))]
#[get("/api/v1/dsr/policy")]
pub async fn list_policies(
    _auth: Authorized<scope::PolicyRead>,
    state: web::Data<AppState>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.0)?;
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.list_policies(page)).await?))
}

/// Gets a policy with its rules and targets.
#[utoipa::path(tag = "DSR Policy", params(("policy_key" = String, Path, description = "Policy key")),
    responses((status = 200, description = "The policy", body = Policy), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["policy:read"])))]
#[get("/api/v1/dsr/policy/{policy_key}")]
pub async fn get_policy(
    _auth: Authorized<scope::PolicyRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.get_policy(&key)).await?))
}

/// Deletes a policy with its rules and targets.
#[utoipa::path(tag = "DSR Policy", params(("policy_key" = String, Path, description = "Policy key")),
    responses((status = 204, description = "Deleted"), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["policy:delete"])))]
#[delete("/api/v1/dsr/policy/{policy_key}")]
pub async fn delete_policy(
    _auth: Authorized<scope::PolicyDelete>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    blocking(&state.policies, move |s| s.delete_policy(&key)).await?;
    Ok(no_content())
}

// ---- rules ----

/// Creates or updates rules of a policy by key (at most 50).
#[utoipa::path(tag = "DSR Policy", params(("policy_key" = String, Path, description = "Policy key")), request_body = dsr_core::RuleList,
    responses((status = 200, description = "What was stored and what was refused", body = BulkResponse<Rule>), AuthErrors,
        (status = 404, description = "Unknown policy", body = ErrorBody), (status = 422, description = "Invalid body", body = ErrorBody)),
    security(("oauth2" = ["rule:create_or_update"])))]
#[patch("/api/v1/dsr/policy/{policy_key}/rule")]
pub async fn upsert_rules(
    _auth: Authorized<scope::RuleWrite>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: Json<Vec<RuleCreate>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.upsert_rules(&key, body.0)).await?))
}

/// Lists a policy's rules with their targets.
#[utoipa::path(tag = "DSR Policy", params(("policy_key" = String, Path, description = "Policy key"), PageQuery),
    responses((status = 200, description = "A page of rules", body = FidesPage<Rule>), AuthErrors, (status = 404, description = "Unknown policy", body = ErrorBody)),
    security(("oauth2" = ["rule:read"])))]
#[get("/api/v1/dsr/policy/{policy_key}/rule")]
pub async fn list_rules(
    _auth: Authorized<scope::RuleRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.0)?;
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.list_rules(&key, page)).await?))
}

/// Gets a rule of a policy.
#[utoipa::path(tag = "DSR Policy",
    params(("policy_key" = String, Path, description = "Policy key"), ("rule_key" = String, Path, description = "Rule key")),
    responses((status = 200, description = "The rule", body = Rule), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["rule:read"])))]
#[get("/api/v1/dsr/policy/{policy_key}/rule/{rule_key}")]
pub async fn get_rule(
    _auth: Authorized<scope::RuleRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (policy, rule) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.get_rule(&policy, &rule)).await?))
}

/// Deletes a rule with its targets.
#[utoipa::path(tag = "DSR Policy",
    params(("policy_key" = String, Path, description = "Policy key"), ("rule_key" = String, Path, description = "Rule key")),
    responses((status = 204, description = "Deleted"), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["rule:delete"])))]
#[delete("/api/v1/dsr/policy/{policy_key}/rule/{rule_key}")]
pub async fn delete_rule(
    _auth: Authorized<scope::RuleDelete>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (policy, rule) = path.into_inner();
    blocking(&state.policies, move |s| s.delete_rule(&policy, &rule)).await?;
    Ok(no_content())
}

// ---- targets ----

/// Creates or updates a rule's targets by key (at most 50); unknown data categories → 422.
#[utoipa::path(tag = "DSR Policy",
    params(("policy_key" = String, Path, description = "Policy key"), ("rule_key" = String, Path, description = "Rule key")),
    request_body = dsr_core::TargetList,
    responses((status = 200, description = "What was stored and what was refused", body = BulkResponse<Target>), AuthErrors,
        (status = 404, description = "Unknown policy or rule", body = ErrorBody),
        (status = 422, description = "Unknown data categories (named), or an invalid body", body = ErrorBody)),
    security(("oauth2" = ["rule:create_or_update"])))]
#[patch("/api/v1/dsr/policy/{policy_key}/rule/{rule_key}/target")]
pub async fn upsert_targets(
    _auth: Authorized<scope::RuleWrite>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<Vec<TargetCreate>>,
) -> Result<HttpResponse, ApiError> {
    let (policy, rule) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.upsert_targets(&policy, &rule, body.0)).await?))
}

/// Lists a rule's targets.
#[utoipa::path(tag = "DSR Policy",
    params(("policy_key" = String, Path, description = "Policy key"), ("rule_key" = String, Path, description = "Rule key"), PageQuery),
    responses((status = 200, description = "A page of targets", body = FidesPage<Target>), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["rule:read"])))]
#[get("/api/v1/dsr/policy/{policy_key}/rule/{rule_key}/target")]
pub async fn list_targets(
    _auth: Authorized<scope::RuleRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (policy, rule) = path.into_inner();
    let page = page_request(query.0)?;
    Ok(HttpResponse::Ok().json(blocking(&state.policies, move |s| s.list_targets(&policy, &rule, page)).await?))
}

/// Deletes a target.
#[utoipa::path(tag = "DSR Policy",
    params(("policy_key" = String, Path, description = "Policy key"), ("rule_key" = String, Path, description = "Rule key"),
        ("rule_target_key" = String, Path, description = "Target key")),
    responses((status = 204, description = "Deleted"), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["rule:delete"])))]
#[delete("/api/v1/dsr/policy/{policy_key}/rule/{rule_key}/target/{rule_target_key}")]
pub async fn delete_target(
    _auth: Authorized<scope::RuleDelete>,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (policy, rule, target) = path.into_inner();
    blocking(&state.policies, move |s| s.delete_target(&policy, &rule, &target)).await?;
    Ok(no_content())
}

// ---- storage destinations ----

/// Creates or updates storage destinations by key (at most 50).
#[utoipa::path(tag = "Storage", request_body = dsr_core::StorageConfigList,
    responses((status = 200, description = "What was stored and what was refused", body = BulkResponse<StorageConfig>), AuthErrors,
        (status = 422, description = "Invalid body (type must be local; format json or csv)", body = ErrorBody)),
    security(("oauth2" = ["storage:create_or_update"])))]
#[patch("/api/v1/storage/config")]
pub async fn upsert_storage(
    _auth: Authorized<scope::StorageWrite>,
    state: web::Data<AppState>,
    body: Json<Vec<StorageConfigCreate>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.storage, move |s| s.upsert_storage(body.0)).await?))
}

/// Lists storage destinations.
#[utoipa::path(tag = "Storage", params(PageQuery),
    responses((status = 200, description = "A page of destinations", body = FidesPage<StorageConfig>), AuthErrors),
    security(("oauth2" = ["storage:read"])))]
#[get("/api/v1/storage/config")]
pub async fn list_storage(
    _auth: Authorized<scope::StorageRead>,
    state: web::Data<AppState>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.0)?;
    Ok(HttpResponse::Ok().json(blocking(&state.storage, move |s| s.list_storage(page)).await?))
}

/// Gets a storage destination.
#[utoipa::path(tag = "Storage", params(("config_key" = String, Path, description = "Destination key")),
    responses((status = 200, description = "The destination", body = StorageConfig), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["storage:read"])))]
#[get("/api/v1/storage/config/{config_key}")]
pub async fn get_storage(
    _auth: Authorized<scope::StorageRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.storage, move |s| s.get_storage(&key)).await?))
}

/// Deletes a storage destination no rule uses (409 otherwise).
#[utoipa::path(tag = "Storage", params(("config_key" = String, Path, description = "Destination key")),
    responses((status = 204, description = "Deleted"), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody),
        (status = 409, description = "Still the destination of rules", body = ErrorBody)),
    security(("oauth2" = ["storage:delete"])))]
#[delete("/api/v1/storage/config/{config_key}")]
pub async fn delete_storage(
    _auth: Authorized<scope::StorageDelete>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    blocking(&state.storage, move |s| s.delete_storage(&key)).await?;
    Ok(no_content())
}

// ---- connections ----

/// Creates or updates connections by key (at most 50); secrets are set with `PUT …/secret`.
#[utoipa::path(tag = "Connections", request_body = dsr_core::ConnectionList,
    responses((status = 200, description = "What was stored and what was refused", body = BulkResponse<Connection>), AuthErrors,
        (status = 422, description = "Invalid body (connection_type postgres or sqlite; access read or write)", body = ErrorBody)),
    security(("oauth2" = ["connection:create_or_update"])))]
#[patch("/api/v1/connection")]
pub async fn upsert_connections(
    _auth: Authorized<scope::ConnectionWrite>,
    state: web::Data<AppState>,
    body: Json<Vec<ConnectionCreate>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.upsert_connections(body.0)).await?))
}

/// Lists connections, secrets masked.
#[utoipa::path(tag = "Connections", params(PageQuery),
    responses((status = 200, description = "A page of connections", body = FidesPage<Connection>), AuthErrors),
    security(("oauth2" = ["connection:read"])))]
#[get("/api/v1/connection")]
pub async fn list_connections(
    _auth: Authorized<scope::ConnectionRead>,
    state: web::Data<AppState>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.0)?;
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.list_connections(page)).await?))
}

/// Gets a connection, secrets masked.
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key")),
    responses((status = 200, description = "The connection", body = Connection), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["connection:read"])))]
#[get("/api/v1/connection/{connection_key}")]
pub async fn get_connection(
    _auth: Authorized<scope::ConnectionRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.get_connection(&key)).await?))
}

/// Deletes a connection.
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key")),
    responses((status = 204, description = "Deleted"), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["connection:delete"])))]
#[delete("/api/v1/connection/{connection_key}")]
pub async fn delete_connection(
    _auth: Authorized<scope::ConnectionDelete>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    blocking(&state.connections, move |s| s.delete_connection(&key)).await?;
    Ok(no_content())
}

/// `?verify=true` also tests the secrets.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// Test the connection after storing the secrets.
    #[param(default = false)]
    pub verify: Option<bool>,
}

/// Sets a connection's secrets: postgres `{host, port?, dbname, username?, password?, db_schema?}`,
/// sqlite `{path}`. Stored sealed with the app key; sensitive values are never returned.
#[utoipa::path(tag = "Connections",
    params(("connection_key" = String, Path, description = "Connection key"), VerifyQuery),
    request_body(content = Object, example = json!({"host": "db.internal", "port": 5432, "dbname": "shop", "username": "lethe", "password": "…"})),
    responses((status = 200, description = "Stored (and the test's outcome with verify=true)", body = TestResult), AuthErrors,
        (status = 404, description = "Unknown connection", body = ErrorBody),
        (status = 422, description = "Secrets that do not fit the connection type", body = ErrorBody)),
    security(("oauth2" = ["connection:create_or_update"])))]
#[put("/api/v1/connection/{connection_key}/secret")]
pub async fn put_connection_secrets(
    _auth: Authorized<scope::ConnectionWrite>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: Query<VerifyQuery>,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let verify = query.0.verify.unwrap_or(false);
    let secrets = serde_json::Value::Object(body.0);
    Ok(HttpResponse::Ok()
        .json(blocking(&state.connections, move |s| s.set_connection_secrets(&key, secrets, verify)).await?))
}

/// Connects with the stored secrets and reports success or the driver's reason.
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key")),
    responses((status = 200, description = "The test's outcome", body = TestResult), AuthErrors,
        (status = 400, description = "No secrets to test", body = ErrorBody),
        (status = 404, description = "Unknown connection", body = ErrorBody)),
    security(("oauth2" = ["connection:read"])))]
#[get("/api/v1/connection/{connection_key}/test")]
pub async fn test_connection(
    _auth: Authorized<scope::ConnectionRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.test_connection(&key)).await?))
}

// ---- SaaS connections ----

/// A `saas_config` body: YAML or JSON (YAML reads JSON too), the config itself or a file whose
/// root is `saas_config:`.
fn saas_config_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let invalid = |message: String| ApiError::validation(vec![Problem::new(validation::loc!["body"], message)]);
    let text = std::str::from_utf8(body).map_err(|_| invalid("Invalid saas_config: not UTF-8 text".to_owned()))?;
    serde_norway::from_str(text).map_err(|e| invalid(format!("Invalid saas_config: {e}")))
}

/// Creates a `saas` connection and its dataset from a SaaS template shipped with Lethe
/// (`GET /connection_type?system_type=saas` lists them), with checked secrets, in one call.
#[utoipa::path(tag = "Connections", params(("saas_connector_type" = String, Path, description = "A template type, such as stripe")),
    request_body(content = dsr_core::SaasInstance, example = json!({"instance_key": "stripe_acme", "secrets": {"domain": "api.stripe.com", "api_key": "sk_test_…"}})),
    responses((status = 200, description = "The connection (secrets masked) and its dataset", body = dsr_core::Instantiated), AuthErrors,
        (status = 400, description = "The instance key is taken", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody),
        (status = 422, description = "Secrets that do not fit the template, or a bad key", body = ErrorBody)),
    security(("oauth2" = ["connection:instantiate"])))]
#[post("/api/v1/connection/instantiate/{saas_connector_type}")]
pub async fn instantiate_connection(
    _auth: Authorized<scope::ConnectionInstantiate>,
    state: web::Data<AppState>,
    kind: web::Path<String>,
    body: Json<dsr_core::SaasInstance>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.instantiate(&kind, body.0)).await?))
}

/// Sets the `saas_config` of a `saas` connection (YAML or JSON; Fides' files load unchanged).
/// The config is checked strictly: an unknown key, a strategy's bad option or anything that
/// would run code (`request_override`) is a 422 naming where it is.
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key")),
    request_body(content = Object, content_type = "application/x-yaml", description = "saas_config:\n  fides_key: ...\n  endpoints: [...]"),
    responses((status = 200, description = "The config as stored", body = Object), AuthErrors,
        (status = 400, description = "Not a saas connection", body = ErrorBody),
        (status = 404, description = "Unknown connection", body = ErrorBody),
        (status = 422, description = "An invalid config (the detail locates each problem)", body = ErrorBody)),
    security(("oauth2" = ["saas_config:create_or_update"])))]
#[patch("/api/v1/connection/{connection_key}/saas_config")]
pub async fn set_saas_config(
    _auth: Authorized<scope::SaasConfigWrite>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let config = saas_config_body(&body)?;
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.set_saas_config(&key, config)).await?))
}

/// Gets the `saas_config` of a connection.
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key")),
    responses((status = 200, description = "The config", body = Object), AuthErrors,
        (status = 404, description = "Unknown connection, or no config", body = ErrorBody)),
    security(("oauth2" = ["saas_config:read"])))]
#[get("/api/v1/connection/{connection_key}/saas_config")]
pub async fn get_saas_config(
    _auth: Authorized<scope::SaasConfigRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.get_saas_config(&key)).await?))
}

/// Removes the `saas_config` of a connection whose dataset and secrets are gone (400 naming
/// what is left otherwise).
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key")),
    responses((status = 204, description = "Removed"), AuthErrors,
        (status = 400, description = "The config's dataset or the secrets are still there", body = ErrorBody),
        (status = 404, description = "Unknown connection, or no config", body = ErrorBody)),
    security(("oauth2" = ["saas_config:delete"])))]
#[delete("/api/v1/connection/{connection_key}/saas_config")]
pub async fn delete_saas_config(
    _auth: Authorized<scope::SaasConfigDelete>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    blocking(&state.connections, move |s| s.delete_saas_config(&key)).await?;
    Ok(no_content())
}

/// Checks a `saas_config` without storing it (the path's connection is not looked up, as in
/// Fides).
#[utoipa::path(tag = "Connections", params(("connection_key" = String, Path, description = "Connection key (not looked up)")),
    request_body(content = Object, content_type = "application/x-yaml", description = "saas_config:\n  fides_key: ...\n  endpoints: [...]"),
    responses((status = 200, description = "The config as read and `validation_details`", body = dsr_core::SaasValidation), AuthErrors,
        (status = 422, description = "An invalid config (the detail locates each problem)", body = ErrorBody)),
    security(("oauth2" = ["saas_config:read"])))]
#[put("/api/v1/connection/{connection_key}/validate_saas_config")]
pub async fn validate_saas_config(
    _auth: Authorized<scope::SaasConfigRead>,
    state: web::Data<AppState>,
    _key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let config = saas_config_body(&body)?;
    Ok(HttpResponse::Ok().json(blocking(&state.connections, move |s| s.validate_saas_config(config)).await?))
}

/// Query of `GET /connection_type`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectionTypeQuery {
    /// Only types whose identifier or name contains this (case-insensitive).
    pub search: Option<String>,
    /// Only `database` or only `manual` types.
    pub system_type: Option<SystemType>,
    /// 1-based page (default 1).
    pub page: Option<i64>,
    /// Page size, 1 to 100 (default 100).
    pub size: Option<i64>,
}

/// Lists the connection types Lethe supports and what each can do, for building connection
/// forms (Fides' shape).
#[utoipa::path(tag = "Connections", params(ConnectionTypeQuery),
    responses((status = 200, description = "A page of connection types", body = FidesPage<ConnectionTypeInfo>), AuthErrors,
        (status = 422, description = "A bad query parameter", body = ErrorBody)),
    security(("oauth2" = ["connection_type:read"])))]
#[get("/api/v1/connection_type")]
pub async fn list_connection_types(
    _auth: Authorized<scope::ConnectionTypeRead>,
    query: Query<ConnectionTypeQuery>,
) -> Result<HttpResponse, ApiError> {
    let ConnectionTypeQuery { search, system_type, page, size } = query.0;
    let page = page_request(PageQuery { page, size: Some(size.unwrap_or(100)) })?;
    let types = dsr_core::connection::connection_types(search.as_deref(), system_type);
    let total = i64::try_from(types.len()).unwrap_or(i64::MAX);
    let items = types
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.size).unwrap_or_default())
        .collect();
    Ok(HttpResponse::Ok().json(FidesPage::new(items, total, page)))
}

/// The JSON schema of a connection type's secrets: properties with types, descriptions,
/// defaults and enumerations, `required`, and `"sensitive": true` on values never shown again.
#[utoipa::path(tag = "Connections", params(("connection_type" = String, Path, description = "A connection type identifier")),
    responses((status = 200, description = "The secrets' JSON schema", body = Object), AuthErrors,
        (status = 404, description = "Unknown connection type", body = ErrorBody)),
    security(("oauth2" = ["connection_type:read"])))]
#[get("/api/v1/connection_type/{connection_type}/secret")]
pub async fn connection_type_secrets(
    _auth: Authorized<scope::ConnectionTypeRead>,
    connection_type: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(dsr_core::connection::secrets_schema(&connection_type)?))
}

// ---- datasets ----

/// Creates or updates a connection's fideslang datasets by `fides_key` (at most 1,000); each is
/// validated (references, data categories, data types) with messages naming
/// `dataset.collection.field`.
#[utoipa::path(tag = "Datasets", params(("connection_key" = String, Path, description = "Connection key")),
    request_body = dsr_core::DatasetList,
    responses((status = 200, description = "What was stored and what was refused", body = BulkResponse<Dataset>), AuthErrors,
        (status = 400, description = "A manual_request connection (it has fields, not datasets)", body = ErrorBody),
        (status = 404, description = "Unknown connection", body = ErrorBody), (status = 422, description = "Not a list of datasets", body = ErrorBody)),
    security(("oauth2" = ["dataset:create_or_update"])))]
#[patch("/api/v1/connection/{connection_key}/dataset")]
pub async fn upsert_datasets(
    _auth: Authorized<scope::DatasetWrite>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: Json<Vec<Dataset>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(blocking(&state.datasets, move |s| s.upsert_datasets(&key, body.0)).await?))
}

/// A YAML dataset file: `dataset:` holding the list, as Fides writes them.
/// Same as `PATCH /connection/{key}/dataset`, with a YAML body (`dataset: [...]`), so Fides
/// dataset files load unchanged.
#[utoipa::path(tag = "Datasets", params(("connection_key" = String, Path, description = "Connection key")),
    request_body(content = dsr_core::DatasetFile, content_type = "application/x-yaml", description = "dataset:\n  - fides_key: ...\n    collections: [...]"),
    responses((status = 200, description = "What was stored and what was refused", body = BulkResponse<Dataset>), AuthErrors,
        (status = 400, description = "A manual_request connection (it has fields, not datasets)", body = ErrorBody),
        (status = 404, description = "Unknown connection", body = ErrorBody),
        (status = 422, description = "Not YAML, or not a dataset file (the detail names the line)", body = ErrorBody)),
    security(("oauth2" = ["dataset:create_or_update"])))]
#[patch("/api/v1/yml/connection/{connection_key}/dataset")]
pub async fn upsert_datasets_yaml(
    _auth: Authorized<scope::DatasetWrite>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Strict, as JSON bodies are: a struct only from a mapping.
    let file = <dsr_core::DatasetFile as Deserialize>::deserialize(crate::strict::Strict(
        serde_norway::Deserializer::from_slice(&body),
    ))
    .map_err(|e| {
        ApiError::validation(vec![Problem::new(validation::loc!["body"], format!("Invalid dataset YAML: {e}"))])
    })?;
    Ok(HttpResponse::Ok().json(blocking(&state.datasets, move |s| s.upsert_datasets(&key, file.dataset)).await?))
}

/// Lists a connection's datasets.
#[utoipa::path(tag = "Datasets", params(("connection_key" = String, Path, description = "Connection key"), PageQuery),
    responses((status = 200, description = "A page of datasets", body = FidesPage<Dataset>), AuthErrors, (status = 404, description = "Unknown connection", body = ErrorBody)),
    security(("oauth2" = ["dataset:read"])))]
#[get("/api/v1/connection/{connection_key}/dataset")]
pub async fn list_datasets(
    _auth: Authorized<scope::DatasetRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.0)?;
    Ok(HttpResponse::Ok().json(blocking(&state.datasets, move |s| s.list_datasets(&key, page)).await?))
}

/// Gets a dataset of a connection, as uploaded.
#[utoipa::path(tag = "Datasets",
    params(("connection_key" = String, Path, description = "Connection key"), ("fides_key" = String, Path, description = "Dataset key")),
    responses((status = 200, description = "The dataset", body = Dataset), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["dataset:read"])))]
#[get("/api/v1/connection/{connection_key}/dataset/{fides_key}")]
pub async fn get_dataset(
    _auth: Authorized<scope::DatasetRead>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (connection, dataset) = path.into_inner();
    Ok(HttpResponse::Ok().json(blocking(&state.datasets, move |s| s.get_dataset(&connection, &dataset)).await?))
}

/// Deletes a dataset of a connection.
#[utoipa::path(tag = "Datasets",
    params(("connection_key" = String, Path, description = "Connection key"), ("fides_key" = String, Path, description = "Dataset key")),
    responses((status = 204, description = "Deleted"), AuthErrors, (status = 404, description = "Unknown", body = ErrorBody)),
    security(("oauth2" = ["dataset:delete"])))]
#[delete("/api/v1/connection/{connection_key}/dataset/{fides_key}")]
pub async fn delete_dataset(
    _auth: Authorized<scope::DatasetDelete>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (connection, dataset) = path.into_inner();
    blocking(&state.datasets, move |s| s.delete_dataset(&connection, &dataset)).await?;
    Ok(no_content())
}

/// Answers of `PATCH …/access_manual_request` and its Fides alias.
#[derive(utoipa::IntoResponses)]
pub enum ManualFieldsSaved {
    /// Stored.
    #[response(status = 200, description = "The fields, labels defaulted")]
    Saved(ManualRequest),
    /// Not that kind of connection.
    #[response(status = 400, description = "Not a manual_request connection")]
    NotManual(ErrorBody),
    /// No connection.
    #[response(status = 404, description = "No such connection")]
    NotFound(ErrorBody),
    /// Bad fields.
    #[response(status = 422, description = "Invalid fields (named)")]
    Invalid(ErrorBody),
}

/// Answers of `GET …/access_manual_request` and its Fides alias.
#[derive(utoipa::IntoResponses)]
pub enum ManualFieldsRead {
    /// The fields.
    #[response(status = 200, description = "The fields")]
    Found(ManualRequest),
    /// Not that kind of connection.
    #[response(status = 400, description = "Not a manual_request connection")]
    NotManual(ErrorBody),
    /// Nothing there.
    #[response(status = 404, description = "No such connection, or no fields set")]
    NotFound(ErrorBody),
}

/// Answers of `DELETE …/access_manual_request` and its Fides alias.
#[derive(utoipa::IntoResponses)]
pub enum ManualFieldsRemoved {
    /// Gone.
    #[response(status = 204, description = "Removed")]
    Removed,
    /// Not that kind of connection.
    #[response(status = 400, description = "Not a manual_request connection")]
    NotManual(ErrorBody),
    /// Nothing there.
    #[response(status = 404, description = "No such connection, or no fields set")]
    NotFound(ErrorBody),
}

async fn save_manual_fields(
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: Json<ManualFieldsUpdate>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let fields = body.0.fields;
    let saved = blocking(&state.manual_fields, move |s| s.set_manual_fields(&key, fields)).await?;
    Ok(HttpResponse::Ok().json(saved))
}

async fn read_manual_fields(state: web::Data<AppState>, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let found = blocking(&state.manual_fields, move |s| s.get_manual_fields(&key)).await?;
    Ok(HttpResponse::Ok().json(found))
}

async fn remove_manual_fields(state: web::Data<AppState>, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    blocking(&state.manual_fields, move |s| s.delete_manual_fields(&key)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets the fields a `manual_request` connection asks people for: `pii_field` is what they are
/// asked, `dsr_package_label` the key in the subject's package (snake_case of `pii_field` when
/// null). Empty or repeated names → 422 naming the field.
#[utoipa::path(tag = "Manual requests", params(("connection_key" = String, Path, description = "A manual_request connection")),
    request_body = ManualFieldsUpdate,
    responses(ManualFieldsSaved, AuthErrors),
    security(("oauth2" = ["webhook:create_or_update"])))]
#[patch("/api/v1/connection/{connection_key}/access_manual_request")]
pub async fn set_manual_fields(
    _auth: Authorized<scope::WebhookWrite>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: Json<ManualFieldsUpdate>,
) -> Result<HttpResponse, ApiError> {
    save_manual_fields(state, key, body).await
}

/// Fides' name of the manual request fields.
#[utoipa::path(tag = "Manual requests", operation_id = "set_manual_fields_webhook",
    params(("connection_key" = String, Path, description = "A manual_request connection")),
    request_body = ManualFieldsUpdate,
    responses(ManualFieldsSaved, AuthErrors),
    security(("oauth2" = ["webhook:create_or_update"])))]
#[patch("/api/v1/connection/{connection_key}/access_manual_webhook")]
pub async fn set_manual_fields_webhook(
    _auth: Authorized<scope::WebhookWrite>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: Json<ManualFieldsUpdate>,
) -> Result<HttpResponse, ApiError> {
    save_manual_fields(state, key, body).await
}

/// The fields a `manual_request` connection asks for.
#[utoipa::path(tag = "Manual requests", params(("connection_key" = String, Path, description = "A manual_request connection")),
    responses(ManualFieldsRead, AuthErrors),
    security(("oauth2" = ["webhook:read"])))]
#[get("/api/v1/connection/{connection_key}/access_manual_request")]
pub async fn get_manual_fields(
    _auth: Authorized<scope::WebhookRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read_manual_fields(state, key).await
}

/// Fides' name of the manual request fields.
#[utoipa::path(tag = "Manual requests", operation_id = "get_manual_fields_webhook",
    params(("connection_key" = String, Path, description = "A manual_request connection")),
    responses(ManualFieldsRead, AuthErrors),
    security(("oauth2" = ["webhook:read"])))]
#[get("/api/v1/connection/{connection_key}/access_manual_webhook")]
pub async fn get_manual_fields_webhook(
    _auth: Authorized<scope::WebhookRead>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read_manual_fields(state, key).await
}

/// Removes a manual request's fields: requests stop waiting for it.
#[utoipa::path(tag = "Manual requests", params(("connection_key" = String, Path, description = "A manual_request connection")),
    responses(ManualFieldsRemoved, AuthErrors),
    security(("oauth2" = ["webhook:delete"])))]
#[delete("/api/v1/connection/{connection_key}/access_manual_request")]
pub async fn delete_manual_fields(
    _auth: Authorized<scope::WebhookDelete>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    remove_manual_fields(state, key).await
}

/// Fides' name of the manual request fields.
#[utoipa::path(tag = "Manual requests", operation_id = "delete_manual_fields_webhook",
    params(("connection_key" = String, Path, description = "A manual_request connection")),
    responses(ManualFieldsRemoved, AuthErrors),
    security(("oauth2" = ["webhook:delete"])))]
#[delete("/api/v1/connection/{connection_key}/access_manual_webhook")]
pub async fn delete_manual_fields_webhook(
    _auth: Authorized<scope::WebhookDelete>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    remove_manual_fields(state, key).await
}
