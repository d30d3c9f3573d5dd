#![doc = include_str!("../README.md")]

pub mod connections;
pub mod connector;
pub mod datasets;
mod error;
pub mod filter;
pub mod graph;
pub mod keys;
pub use keys::FidesKeyText;
pub mod manual;
pub mod masking;
mod model;
pub mod package;
mod repo;
pub mod request;
mod service;
pub mod taxonomy;

pub use connections::{
    AccessLevel, Connection, ConnectionCreate, ConnectionList, ConnectionType, TestResult, TestStatus,
};
pub use datasets::{Dataset, DatasetFile, DatasetList, MAX_DATASETS, StoredDataset};
pub use error::{DsrError, Result};
pub use manual::{ManualField, ManualFieldsUpdate, ManualInput, ManualRequest};
pub use model::{
    ActionType, BulkBody, BulkFailure, BulkResponse, FidesPage, MAX_BULK, MaskingStrategy, MaskingStrategyResponse,
    PageQuery, PageRequest, Policy, PolicyCreate, PolicyList, ResponseFormat, Rule, RuleCreate, RuleList,
    StorageConfig, StorageConfigCreate, StorageConfigList, StorageType, Target, TargetCreate, TargetList,
};
pub use request::{
    AccessResultUrls, CodeDelivery, DieselRequestService, ExecutionLog, PackageDownload, PrivacyRequest,
    PrivacyRequestCreate, PrivacyRequestList, QUEUE, RequestFilter, RequestService, RequestSettings, RequestStatus,
    ReviewRequestIds, ReviewWithReason, SortDirection, SortField, VERIFICATION_ATTEMPTS, VerificationCode,
};
pub use service::{CONNECTIONS_TOPIC, DieselDsrService, DsrService, MASKING_STRATEGIES};
pub use taxonomy::{DataCategoryKey, DataSubjectKey, DataUseKey, Taxonomy, TaxonomyItem};
