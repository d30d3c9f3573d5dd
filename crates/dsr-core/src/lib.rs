#![doc = include_str!("../README.md")]

// Topics: shared, mostly pure logic the aggregates use.
pub mod bulk;
pub mod duplicates;
mod error;
pub mod filter;
pub mod graph;
pub mod keys;
pub mod masking;
pub mod package;
pub mod page;
mod raw;
pub mod taxonomy;

/// The store connectors (one trait, one module per store type), re-exported.
pub use connectors;

// Aggregates, lowest first: each owns its service, repository and rows.
pub mod connection;
pub mod dataset;
pub mod manual;
pub mod messaging_template;
pub mod policy;
pub mod request;
pub mod storage;
pub mod webhook;

pub use bulk::{BulkBody, BulkFailure, BulkResponse, MAX_BULK};
pub use connection::{
    AccessLevel, CONNECTIONS_TOPIC, Connection, ConnectionCreate, ConnectionList, ConnectionService, ConnectionType,
    ConnectionTypeInfo, DieselConnectionService, Instantiated, OAuthCallback, SaasConfigSummary, SaasInstance,
    SaasValidation, SystemType, TestResult, TestStatus,
};
pub use dataset::{
    Dataset, DatasetFile, DatasetList, DatasetService, DieselDatasetService, MAX_DATASETS, StoredDataset,
};
pub use error::{DsrError, Result, StoreError};
pub use keys::FidesKeyText;
pub use manual::{
    DieselManualFieldService, ManualField, ManualFieldService, ManualFieldsUpdate, ManualInput, ManualRequest,
};
pub use masking::{MASKING_STRATEGIES, MaskingStrategy, MaskingStrategyResponse};
pub use messaging_template::{
    DieselMessagingTemplateService, MessagingActionType, MessagingTemplate, MessagingTemplateDefault,
    MessagingTemplateList, MessagingTemplateService, MessagingTemplateUpdate, TemplateContent, TemplateContentUpdate,
};
pub use package::ResponseFormat;
pub use page::{FidesPage, PageQuery, PageRequest};
pub use policy::{
    ActionType, DieselPolicyService, Policy, PolicyCreate, PolicyList, PolicyService, Rule, RuleCreate, RuleList,
    Target, TargetCreate, TargetList,
};
pub use request::{
    AccessResultUrls, CodeDelivery, DieselRequestService, DuplicateDetection, ExecutionLog, MESSAGE_QUEUE, Messenger,
    NotificationSettings, PURGE_QUEUE, PackageDownload, PrivacyRequest, PrivacyRequestCreate, PrivacyRequestList,
    Purger, QUEUE, RequestFilter, RequestService, RequestSettings, RequestStatus, ReviewRequestIds, ReviewWithReason,
    SortDirection, SortField, VERIFICATION_ATTEMPTS, VerificationCode, package_url,
};
pub use storage::{
    DieselStorageService, StorageConfig, StorageConfigCreate, StorageConfigList, StorageService, StorageType,
};
pub use taxonomy::{DataCategoryKey, DataSubjectKey, DataUseKey, Taxonomy, TaxonomyItem};
pub use webhook::{
    DieselWebhookService, PolicyWebhook, PolicyWebhookCreate, PolicyWebhookUpdate, WebhookDirection, WebhookOrder,
    WebhookService, WebhookTiming, WebhookUpdated, WebhooksReordered,
};
