//! Datasets in the fideslang format, uploaded per connection and validated at upload (taxonomy
//! categories, data types, references to other datasets of this upload or stored ones).

pub(crate) mod model;
pub(crate) mod repo;
pub(crate) mod saas;

use std::collections::HashMap;

use db::{Database, DbConn};

pub use model::{
    Collection, Dataset, DatasetFile, DatasetList, Field, FieldMeta, MAX_DATASETS, Reference, StoredDataset, validate,
};

use crate::bulk::{BulkResponse, ItemError, refuse, save_each};
use crate::connection::model::ConnectionType;
use crate::connection::repo::{ConnectionRow, connection_row};
use crate::error::{DsrError, Result};
use crate::page::{FidesPage, PageRequest};
use crate::taxonomy::Taxonomy;
use repo::{DatasetId, DatasetRow};

/// The datasets of connections.
pub trait DatasetService: Send + Sync {
    /// Creates or updates datasets of `connection` by `fides_key` (at most 1,000); each item
    /// succeeds or fails alone, with every problem it has.
    fn upsert_datasets(&self, connection: &str, items: Vec<Dataset>) -> Result<BulkResponse<Dataset>>;
    /// A page of the datasets of `connection`, by key.
    fn list_datasets(&self, connection: &str, page: PageRequest) -> Result<FidesPage<Dataset>>;
    /// One dataset of `connection`.
    fn get_dataset(&self, connection: &str, fides_key: &str) -> Result<Dataset>;
    /// Deletes a dataset of `connection`.
    fn delete_dataset(&self, connection: &str, fides_key: &str) -> Result<()>;
}

/// [`DatasetService`] over the database, validating against the embedded taxonomy.
pub struct DieselDatasetService {
    db: Database,
    taxonomy: Taxonomy,
}

impl DieselDatasetService {
    /// A service over `db` with the embedded fideslang taxonomy.
    pub fn new(db: Database) -> DieselDatasetService {
        DieselDatasetService { db, taxonomy: Taxonomy::embedded() }
    }
}

/// Loads the stored dataset `fides_key`, whichever connection holds it, in the caller's
/// transaction (other domains, such as assessments, cite datasets as evidence).
pub fn find_stored(conn: &mut DbConn, fides_key: &str) -> Result<Option<StoredDataset>> {
    let Some((row, connection)) = repo::find_dataset_with_connection(conn, fides_key)? else {
        return Ok(None);
    };
    let dataset = repo::parse(&row)?;
    Ok(Some(StoredDataset { dataset, connection_key: connection.key }))
}

fn dataset_row(conn: &mut DbConn, connection: &ConnectionRow, fides_key: &str) -> Result<DatasetRow> {
    repo::find_dataset(conn, fides_key)?.filter(|d| d.connection_id == connection.id).ok_or_else(|| {
        DsrError::NotFound(format!("No dataset with fides_key '{fides_key}' on connection '{}'", connection.key))
    })
}

/// Keys of the other datasets a dataset's references and ordering name.
fn referenced_datasets(dataset: &Dataset) -> Vec<String> {
    fn walk(fields: &[model::Field], out: &mut Vec<String>) {
        for field in fields {
            for reference in field.fides_meta.iter().flat_map(|m| m.references.iter().flatten()) {
                out.push(reference.dataset.clone());
            }
            if let Some(sub) = &field.fields {
                walk(sub, out);
            }
        }
    }
    let mut out = Vec::new();
    for collection in &dataset.collections {
        walk(&collection.fields, &mut out);
        for key in ["after", "erase_after"] {
            let listed = collection.fides_meta.as_ref().and_then(|m| m.get(key)).and_then(|v| v.as_array());
            for entry in listed.into_iter().flatten() {
                if let Some((d, _)) = entry.as_str().and_then(|t| t.split_once('.')) {
                    out.push(d.to_owned());
                }
            }
        }
    }
    out.retain(|d| d != &dataset.fides_key);
    out.sort();
    out.dedup();
    out
}

impl DatasetService for DieselDatasetService {
    fn upsert_datasets(&self, connection: &str, items: Vec<Dataset>) -> Result<BulkResponse<Dataset>> {
        let connection = connection_row(&mut *self.db.conn()?, connection)?;
        if connection.connection_type == ConnectionType::ManualRequest {
            return Err(DsrError::BadRequest(format!(
                "Connection {} is a manual_request connection: it has fields, not datasets",
                connection.key
            )));
        }
        if connection.connection_type == ConnectionType::Https {
            return Err(DsrError::BadRequest(format!(
                "Connection {} is an https connection: policy webhooks call it, it holds no datasets",
                connection.key
            )));
        }
        // References may point at datasets uploaded in the same request or stored before; both
        // are looked up once, not per item.
        let batch: HashMap<String, Dataset> = items.iter().map(|d| (d.fides_key.clone(), d.clone())).collect();
        let mut stored: HashMap<String, Dataset> = HashMap::new();
        save_each(&self.db, MAX_DATASETS, items, |c, item| {
            for reference in referenced_datasets(item) {
                if !batch.contains_key(&reference)
                    && !stored.contains_key(&reference)
                    && let Some(row) = repo::find_dataset(c, &reference)?
                {
                    stored.insert(reference, repo::parse(&row)?);
                }
            }
            let problems = validate(item, &self.taxonomy, &|key| batch.get(key).or_else(|| stored.get(key)));
            if !problems.is_empty() {
                return refuse(problems.join("; "));
            }
            let existing = repo::find_dataset(c, &item.fides_key)?;
            if existing.as_ref().is_some_and(|d| d.connection_id != connection.id) {
                return refuse(format!("Dataset {} belongs to another connection", item.fides_key));
            }
            let now = db::now();
            let exists = existing.is_some();
            let row = DatasetRow {
                id: existing.as_ref().map_or_else(DatasetId::new, |d| d.id.clone()),
                created_at: existing.as_ref().map_or(now, |d| d.created_at),
                fides_key: item.fides_key.clone(),
                connection_id: connection.id.clone(),
                body: serde_json::to_string(item).map_err(|e| ItemError::Refused(e.to_string()))?,
                updated_at: now,
            };
            repo::save_dataset(c, &row, exists)?;
            Ok(item.clone())
        })
    }

    fn list_datasets(&self, connection: &str, page: PageRequest) -> Result<FidesPage<Dataset>> {
        let mut conn = self.db.conn()?;
        let connection = connection_row(&mut conn, connection)?;
        let rows = repo::datasets_of(&mut conn, &connection.id, page.window())?;
        Ok(FidesPage::of(rows.try_map(|row| repo::parse(&row))?, page))
    }

    fn get_dataset(&self, connection: &str, fides_key: &str) -> Result<Dataset> {
        let mut conn = self.db.conn()?;
        let connection = connection_row(&mut conn, connection)?;
        repo::parse(&dataset_row(&mut conn, &connection, fides_key)?)
    }

    fn delete_dataset(&self, connection: &str, fides_key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let connection = connection_row(c, connection)?;
            let row = dataset_row(c, &connection, fides_key)?;
            repo::delete_dataset(c, &row.id)?;
            Ok(())
        })
    }
}
