//! Marker types naming the scopes a route requires, for [`crate::extract::Authorized`].

use auth::scopes;

use crate::extract::RequiredScopes;

macro_rules! required_scopes {
    ($($(#[$doc:meta])* $name:ident => [$($scope:expr),+];)+) => {$(
        $(#[$doc])*
        pub struct $name;
        impl RequiredScopes for $name {
            const SCOPES: &'static [&'static str] = &[$($scope),+];
        }
    )+};
}

required_scopes! {
    /// `privacy-request-redaction-patterns:read`
    RedactionPatternsRead => [scopes::REDACTION_PATTERNS_READ];
    /// `privacy-request-redaction-patterns:update`
    RedactionPatternsUpdate => [scopes::REDACTION_PATTERNS_UPDATE];
    /// `client:create`
    ClientCreate => [scopes::CLIENT_CREATE];
    /// `client:read`
    ClientRead => [scopes::CLIENT_READ];
    /// `client:update`
    ClientUpdate => [scopes::CLIENT_UPDATE];
    /// `client:delete`
    ClientDelete => [scopes::CLIENT_DELETE];
    /// `scope:read`
    ScopeRead => [scopes::SCOPE_READ];
    /// `catalog:read`
    CatalogRead => [scopes::CATALOG_READ];
    /// `catalog:create_or_update`
    CatalogWrite => [scopes::CATALOG_CREATE_OR_UPDATE];
    /// `catalog:delete`
    CatalogDelete => [scopes::CATALOG_DELETE];
    /// `privacy-notice:read`
    NoticeRead => [scopes::PRIVACY_NOTICE_READ];
    /// `privacy-notice:create_or_update`
    NoticeWrite => [scopes::PRIVACY_NOTICE_CREATE_OR_UPDATE];
    /// `privacy-notice:delete`
    NoticeDelete => [scopes::PRIVACY_NOTICE_DELETE];
    /// `ropa:read`
    RopaRead => [scopes::ROPA_READ];
    /// `data_category:read`
    DataCategoryRead => [scopes::DATA_CATEGORY_READ];
    /// `data_use:read`
    DataUseRead => [scopes::DATA_USE_READ];
    /// `data_subject:read`
    DataSubjectRead => [scopes::DATA_SUBJECT_READ];
    /// `policy:read`
    PolicyRead => ["policy:read"];
    /// `policy:create_or_update`
    PolicyWrite => ["policy:create_or_update"];
    /// `policy:delete`
    PolicyDelete => ["policy:delete"];
    /// `rule:read`
    RuleRead => ["rule:read"];
    /// `rule:create_or_update`
    RuleWrite => ["rule:create_or_update"];
    /// `rule:delete`
    RuleDelete => ["rule:delete"];
    /// `storage:read`
    StorageRead => ["storage:read"];
    /// `storage:create_or_update`
    StorageWrite => ["storage:create_or_update"];
    /// `storage:delete`
    StorageDelete => ["storage:delete"];
    /// `connection:read`
    ConnectionRead => ["connection:read"];
    /// `connection:authorize`
    ConnectionAuthorize => ["connection:authorize"];
    /// `connection:create_or_update`
    ConnectionWrite => ["connection:create_or_update"];
    /// `connection:delete`
    ConnectionDelete => ["connection:delete"];
    /// `connection_type:read`
    ConnectionTypeRead => ["connection_type:read"];
    /// `connection:instantiate`
    ConnectionInstantiate => ["connection:instantiate"];
    /// `saas_config:read`
    SaasConfigRead => ["saas_config:read"];
    /// `saas_config:create_or_update`
    SaasConfigWrite => ["saas_config:create_or_update"];
    /// `saas_config:delete`
    SaasConfigDelete => ["saas_config:delete"];
    /// `dataset:read`
    DatasetRead => ["dataset:read"];
    /// `dataset:create_or_update`
    DatasetWrite => ["dataset:create_or_update"];
    /// `dataset:delete`
    DatasetDelete => ["dataset:delete"];
    /// `privacy-request:create`
    PrivacyRequestCreate => ["privacy-request:create"];
    /// `privacy-request:read`
    PrivacyRequestRead => ["privacy-request:read"];
    /// `privacy-request:resume`
    PrivacyRequestResume => ["privacy-request:resume"];
    /// `privacy-request:review`
    PrivacyRequestReview => ["privacy-request:review"];
    /// `privacy-request:upload_data`
    PrivacyRequestUploadData => ["privacy-request:upload_data"];
    /// `privacy-request:view_data`
    PrivacyRequestViewData => ["privacy-request:view_data"];
    /// `messaging-template:update` (Fides asks it for reading templates too)
    MessagingTemplateUpdate => ["messaging-template:update"];
    /// `webhook:read`
    WebhookRead => ["webhook:read"];
    /// `webhook:create_or_update`
    WebhookWrite => ["webhook:create_or_update"];
    /// `webhook:delete`
    WebhookDelete => ["webhook:delete"];
    /// `privacy-request-access-results:read`
    AccessResultsRead => ["privacy-request-access-results:read"];
    /// `system:read`
    SystemRead => ["system:read"];
    /// `system:create_or_update`
    SystemWrite => ["system:create_or_update"];
    /// `system:delete`
    SystemDelete => ["system:delete"];
    /// `privacy-assessment:read`
    AssessmentRead => ["privacy-assessment:read"];
    /// `privacy-assessment:create`
    AssessmentCreate => ["privacy-assessment:create"];
    /// `privacy-assessment:update`
    AssessmentUpdate => ["privacy-assessment:update"];
    /// `privacy-assessment:delete`
    AssessmentDelete => ["privacy-assessment:delete"];
    /// `privacy-assessment-config:read`
    AssessmentConfigRead => ["privacy-assessment-config:read"];
    /// `privacy-assessment-config:update`
    AssessmentConfigUpdate => ["privacy-assessment-config:update"];
}
