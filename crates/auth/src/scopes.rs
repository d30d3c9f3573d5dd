//! The scope registry: every scope a route can require, with Fides' names.

/// Read the redaction patterns.
pub const REDACTION_PATTERNS_READ: &str = "privacy-request-redaction-patterns:read";
/// Replace the redaction patterns.
pub const REDACTION_PATTERNS_UPDATE: &str = "privacy-request-redaction-patterns:update";
/// Create OAuth clients.
pub const CLIENT_CREATE: &str = "client:create";
/// Read a client's scopes.
pub const CLIENT_READ: &str = "client:read";
/// Change a client's scopes.
pub const CLIENT_UPDATE: &str = "client:update";
/// Delete clients.
pub const CLIENT_DELETE: &str = "client:delete";
/// List the scope registry.
pub const SCOPE_READ: &str = "scope:read";
/// Read organisations, spaces and catalog products.
pub const CATALOG_READ: &str = "catalog:read";
/// Create and change organisations, spaces and catalog products.
pub const CATALOG_CREATE_OR_UPDATE: &str = "catalog:create_or_update";
/// Delete catalog products.
pub const CATALOG_DELETE: &str = "catalog:delete";
/// Read privacy notices and purposes.
pub const PRIVACY_NOTICE_READ: &str = "privacy-notice:read";
/// Create and change privacy notices and purposes.
pub const PRIVACY_NOTICE_CREATE_OR_UPDATE: &str = "privacy-notice:create_or_update";
/// Delete privacy notices and purposes.
pub const PRIVACY_NOTICE_DELETE: &str = "privacy-notice:delete";
/// Read the data-category taxonomy.
pub const DATA_CATEGORY_READ: &str = "data_category:read";
/// Read the data-use taxonomy.
pub const DATA_USE_READ: &str = "data_use:read";
/// Read the data-subject taxonomy.
pub const DATA_SUBJECT_READ: &str = "data_subject:read";
/// Read the RoPA reports, summaries and exports.
pub const ROPA_READ: &str = "ropa:read";

/// Every scope, sorted. The root client holds all of them.
pub const ALL: &[&str] = &[
    CATALOG_CREATE_OR_UPDATE,
    CATALOG_DELETE,
    CATALOG_READ,
    CLIENT_CREATE,
    CLIENT_DELETE,
    CLIENT_READ,
    CLIENT_UPDATE,
    "config:read",
    "config:update",
    "connection:authorize",
    "connection:create_or_update",
    "connection:delete",
    "connection:instantiate",
    "connection:read",
    "connection_type:read",
    "ctl_dataset:create",
    "ctl_dataset:delete",
    "ctl_dataset:read",
    "ctl_dataset:update",
    DATA_CATEGORY_READ,
    DATA_SUBJECT_READ,
    DATA_USE_READ,
    "dataset:create_or_update",
    "dataset:delete",
    "dataset:read",
    "dataset:test",
    "encryption:exec",
    "masking:exec",
    "masking:read",
    "messaging-template:update",
    "policy:create_or_update",
    "policy:delete",
    "policy:read",
    "privacy-assessment-config:read",
    "privacy-assessment-config:update",
    "privacy-assessment:create",
    "privacy-assessment:delete",
    "privacy-assessment:read",
    "privacy-assessment:update",
    PRIVACY_NOTICE_CREATE_OR_UPDATE,
    PRIVACY_NOTICE_DELETE,
    PRIVACY_NOTICE_READ,
    "privacy-request-access-results:read",
    "privacy-request-email-integrations:send",
    "privacy-request-notifications:create_or_update",
    "privacy-request-notifications:read",
    REDACTION_PATTERNS_READ,
    REDACTION_PATTERNS_UPDATE,
    "privacy-request:create",
    "privacy-request:delete",
    "privacy-request:manual-steps:respond",
    "privacy-request:manual-steps:review",
    "privacy-request:read",
    "privacy-request:resume",
    "privacy-request:review",
    "privacy-request:transfer",
    "privacy-request:upload_data",
    "privacy-request:view_data",
    ROPA_READ,
    "rule:create_or_update",
    "rule:delete",
    "rule:read",
    "saas_config:create_or_update",
    "saas_config:delete",
    "saas_config:read",
    SCOPE_READ,
    "storage:create_or_update",
    "storage:delete",
    "storage:read",
    "system:create_or_update",
    "system:delete",
    "system:read",
    "webhook:create_or_update",
    "webhook:delete",
    "webhook:read",
];

/// True when `scope` is in the registry.
pub fn is_known(scope: &str) -> bool {
    ALL.binary_search(&scope).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_unique_so_lookups_work() {
        assert!(ALL.windows(2).all(|w| w[0] < w[1]), "keep scopes::ALL sorted and free of duplicates");
        assert!(is_known(REDACTION_PATTERNS_READ));
        assert!(!is_known("privacy-request:destroy"));
    }
}

/// The OpenAPI schema of a scope name: one of [`ALL`].
#[derive(Debug, Clone, Copy)]
pub struct ScopeName;

impl utoipa::PartialSchema for ScopeName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        validation::text::one_of("A scope of the registry (`GET /api/v1/oauth/scope`)", ALL.iter().copied())
    }
}

impl utoipa::ToSchema for ScopeName {}

/// The OpenAPI schema of a list of scope names.
#[derive(Debug, Clone, Copy)]
pub struct ScopeNames;

impl utoipa::PartialSchema for ScopeNames {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name(<ScopeName as utoipa::ToSchema>::name()))
            .into()
    }
}

impl utoipa::ToSchema for ScopeNames {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        use utoipa::PartialSchema;
        schemas.push((ScopeName::name().into_owned(), ScopeName::schema()));
    }
}
