//! Wire types of storage destinations.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bulk::BulkBody;
use crate::package::ResponseFormat;

db::text_enum! {
    /// Kind of storage destination.
    #[derive(Default)]
    pub enum StorageType {
        /// Files under `LETHE__STORAGE__PATH`, served by signed links.
        #[default]
        Local => "local",
    }
}

/// A storage destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StorageConfig {
    /// Unique key.
    pub key: String,
    /// Name.
    pub name: String,
    /// `local`.
    #[serde(rename = "type")]
    pub storage_type: StorageType,
    /// `json` or `csv`.
    pub format: ResponseFormat,
}

/// A storage destination to create or update (by key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StorageConfigCreate {
    /// Unique key; derived from `name` when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// `local`.
    #[serde(rename = "type", default)]
    pub storage_type: StorageType,
    /// `json` (default) or `csv`.
    #[serde(default)]
    pub format: ResponseFormat,
}

/// A bulk body of storage destinations.
pub type StorageConfigList = BulkBody<StorageConfigCreate>;
