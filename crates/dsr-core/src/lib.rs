#![doc = include_str!("../README.md")]

pub mod connections;
pub mod datasets;
mod error;
pub mod keys;
mod model;
mod repo;
mod service;
pub mod taxonomy;

pub use connections::{AccessLevel, Connection, ConnectionCreate, ConnectionType, TestResult, TestStatus};
pub use datasets::Dataset;
pub use error::{DsrError, Result};
pub use model::{
    ActionType, BulkFailure, BulkResponse, FidesPage, MAX_BULK, MaskingStrategy, MaskingStrategyResponse, PageQuery,
    PageRequest, Policy, PolicyCreate, ResponseFormat, Rule, RuleCreate, StorageConfig, StorageConfigCreate,
    StorageType, Target, TargetCreate,
};
pub use service::{DieselDsrService, DsrService, MASKING_STRATEGIES, MAX_DATASETS};
pub use taxonomy::{Taxonomy, TaxonomyItem};
