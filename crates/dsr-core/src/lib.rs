#![doc = include_str!("../README.md")]

pub mod connections;
pub mod connector;
pub mod datasets;
mod error;
pub mod filter;
pub mod graph;
pub mod keys;
pub mod manual;
pub mod masking;
mod model;
pub mod package;
mod repo;
pub mod request;
mod service;
pub mod taxonomy;

pub use connections::{AccessLevel, Connection, ConnectionCreate, ConnectionType, TestResult, TestStatus};
pub use datasets::{Dataset, StoredDataset};
pub use error::{DsrError, InvalidInput, Loc, Result};
pub use manual::{ManualField, ManualFieldsUpdate, ManualInput, ManualRequest};
pub use model::{
    ActionType, BulkFailure, BulkResponse, FidesPage, MAX_BULK, MaskingStrategy, MaskingStrategyResponse, PageQuery,
    PageRequest, Policy, PolicyCreate, ResponseFormat, Rule, RuleCreate, StorageConfig, StorageConfigCreate,
    StorageType, Target, TargetCreate,
};
pub use request::{
    AccessResultUrls, CodeDelivery, DieselRequestService, ExecutionLog, PackageDownload, PrivacyRequest,
    PrivacyRequestCreate, QUEUE, RequestFilter, RequestService, RequestSettings, RequestStatus, ReviewRequestIds,
    ReviewWithReason, SortDirection, SortField, VERIFICATION_ATTEMPTS, VerificationCode,
};
pub use service::{DieselDsrService, DsrService, MASKING_STRATEGIES, MAX_DATASETS};
pub use taxonomy::{Taxonomy, TaxonomyItem};
