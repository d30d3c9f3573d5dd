//! Storage destinations: where access packages go (`local` files, `json` or `csv`). A
//! destination still named by a rule cannot be deleted.

pub(crate) mod model;
pub(crate) mod repo;

use db::Database;

pub use model::{StorageConfig, StorageConfigCreate, StorageConfigList, StorageType};

use crate::bulk::{BulkResponse, MAX_BULK, refuse, save_each};
use crate::error::{DsrError, Result};
use crate::keys;
use crate::page::{FidesPage, PageRequest};
use repo::{StorageId, StorageRow};

/// Storage destinations of access packages.
pub trait StorageService: Send + Sync {
    /// Creates or updates destinations by key (at most 50); each item succeeds or fails alone.
    fn upsert_storage(&self, items: Vec<StorageConfigCreate>) -> Result<BulkResponse<StorageConfig>>;
    /// A page of destinations, by key.
    fn list_storage(&self, page: PageRequest) -> Result<FidesPage<StorageConfig>>;
    /// One destination.
    fn get_storage(&self, key: &str) -> Result<StorageConfig>;
    /// Deletes a destination no rule names.
    fn delete_storage(&self, key: &str) -> Result<()>;
}

/// [`StorageService`] over the database.
pub struct DieselStorageService {
    db: Database,
}

impl DieselStorageService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselStorageService {
        DieselStorageService { db }
    }
}

fn not_found(key: &str) -> DsrError {
    DsrError::NotFound(format!("No StorageConfig found for key {key}."))
}

impl StorageService for DieselStorageService {
    fn upsert_storage(&self, items: Vec<StorageConfigCreate>) -> Result<BulkResponse<StorageConfig>> {
        save_each(&self.db, MAX_BULK, items, |c, item| {
            if item.name.trim().is_empty() {
                return refuse("name must not be empty");
            }
            let key = keys::key_or_name(item.key.as_deref(), &item.name)?;
            let existing = repo::find_storage(c, &key)?;
            let now = db::now();
            let exists = existing.is_some();
            let row = StorageRow {
                id: existing.as_ref().map_or_else(StorageId::new, |s| s.id.clone()),
                created_at: existing.as_ref().map_or(now, |s| s.created_at),
                key,
                name: item.name.trim().to_owned(),
                storage_type: item.storage_type,
                format: item.format,
                updated_at: now,
            };
            repo::save_storage(c, &row, exists)?;
            Ok(row.into())
        })
    }

    fn list_storage(&self, page: PageRequest) -> Result<FidesPage<StorageConfig>> {
        let rows = repo::list_storage(&mut *self.db.conn()?, page.window())?;
        Ok(FidesPage::of(rows.map(StorageConfig::from), page))
    }

    fn get_storage(&self, key: &str) -> Result<StorageConfig> {
        repo::find_storage(&mut *self.db.conn()?, key)?.map(StorageConfig::from).ok_or_else(|| not_found(key))
    }

    fn delete_storage(&self, key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = repo::find_storage(c, key)?.ok_or_else(|| not_found(key))?;
            let users = repo::rules_using_storage(c, key)?;
            if !users.is_empty() {
                return Err(DsrError::Conflict(format!(
                    "StorageConfig {key} is the destination of rules {}; change them first",
                    users.join(", ")
                )));
            }
            repo::delete_storage(c, &row.id)?;
            Ok(())
        })
    }
}
