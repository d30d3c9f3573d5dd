//! Lethe's reach into the subject's data stores.
//!
//! One trait, [`Connector`], is all the request engine knows of a store: test it, read a
//! collection's declared fields for a set of input values (in bounded statements, rows handed
//! over batch by batch), and mask rows of one or several collections in one transaction. Each
//! store type is one module (`postgres`, `mysql` — MySQL and MariaDB —, `sqlite`) and one line
//! of [`registry::KINDS`],
//! which also gives each type's secrets: how they are checked, which are sensitive, and their
//! JSON schema for clients building connection forms. [`saas`] reads Fides' declarative
//! `saas_config` files and calls the APIs they describe; [`saas::SaasConnector`] puts a config
//! behind [`Connector`], so requests run API endpoints as they run tables.
//!
//! ```
//! use connectors::{registry, Collection, Column, FieldInput};
//!
//! let kind = registry::find("mariadb").expect("a known type");
//! // Secrets are checked and completed with their defaults before they are stored.
//! let secrets = kind.check(serde_json::json!({"host": "db.internal", "dbname": "shop"})).unwrap();
//! assert_eq!(secrets["port"], 3306);
//! assert_eq!(secrets["ssl_mode"], "preferred");
//! // A bad TLS mode names the field.
//! let problems = kind.check(serde_json::json!({"host": "h", "dbname": "d", "ssl_mode": "on"})).unwrap_err();
//! assert_eq!(problems[0].loc, validation::loc!["ssl_mode"]);
//!
//! // What a read asks for: the declared columns, and the values to match.
//! let customers = Collection::new("customer", None, vec![Column::new("id", Some("integer")), Column::new("email", None)]);
//! let inputs = [FieldInput::new("email", [serde_json::json!("jane@example.com")])];
//! # let _ = (customers, inputs);
//! ```

use std::collections::HashSet;

use serde_json::{Map, Value};

mod idle;
mod mysql;
mod postgres;
pub mod registry;
pub mod saas;
mod seen;
mod sql;
mod sqlite;
#[cfg(feature = "test-support")]
pub mod testing;
mod tls;
mod value;

pub use registry::{Kind, Stores};
pub use seen::{Seen, digest};

/// Why a store could not be reached or queried: the driver's reason, for logs and the
/// connection test's `failure_reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConnectorError(pub String);

impl ConnectorError {
    /// The driver's error, as its reason.
    pub fn from_driver(e: impl std::fmt::Display) -> ConnectorError {
        ConnectorError(e.to_string())
    }
}

/// A declared column of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Declared data type (`string`, `integer`, `float`, `boolean`, …, optionally `[]`).
    pub data_type: Option<String>,
    /// Never written back: APIs that take records back whole are sent them without it.
    pub read_only: bool,
}

impl Column {
    /// A column and its declared type.
    pub fn new(name: &str, data_type: Option<&str>) -> Column {
        Column { name: name.to_owned(), data_type: data_type.map(str::to_owned), read_only: false }
    }

    /// The column, marked read-only.
    pub fn read_only(mut self, read_only: bool) -> Column {
        self.read_only = read_only;
        self
    }
}

/// A collection (table) as a connector reads it: only its declared columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// Table name.
    pub name: String,
    /// Schema (PostgreSQL) the table lives in; stores without schemas ignore it.
    pub namespace: Option<String>,
    /// The declared columns, in the dataset's order.
    pub columns: Vec<Column>,
}

impl Collection {
    /// A collection of `columns` in table `name`.
    pub fn new(name: &str, namespace: Option<&str>, columns: Vec<Column>) -> Collection {
        Collection { name: name.to_owned(), namespace: namespace.map(str::to_owned), columns }
    }

    /// The declared type of `column`.
    pub fn data_type(&self, column: &str) -> Option<&str> {
        self.columns.iter().find(|c| c.name == column).and_then(|c| c.data_type.as_deref())
    }
}

/// One field's input values, deduplicated, without nulls.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInput {
    /// Local field (column).
    pub field: String,
    /// Values to match.
    pub values: Vec<Value>,
}

impl FieldInput {
    /// Collects values for `field`, dropping nulls and duplicates (first occurrence kept).
    pub fn new(field: &str, values: impl IntoIterator<Item = Value>) -> FieldInput {
        let mut seen = HashSet::new();
        let values = values.into_iter().filter(|v| !v.is_null() && seen.insert(v.to_string())).collect();
        FieldInput { field: field.to_owned(), values }
    }
}

/// One row's masking: new values for `set`, the row found by `filter` (column = value, AND).
#[derive(Debug, Clone, PartialEq)]
pub struct RowUpdate {
    /// Columns (dotted paths for nested values of API records) and their masked values (null
    /// writes NULL).
    pub set: Vec<(String, Value)>,
    /// Columns and the row's values identifying it; never empty.
    pub filter: Vec<(String, Value)>,
    /// The row as read, for stores that send records back whole ([`Connector::needs_rows`]);
    /// `None` for the others.
    pub row: Option<Value>,
}

/// One collection's part of a [`Connector::mask`].
#[derive(Debug, Clone, Copy)]
pub struct MaskBatch<'a> {
    /// The collection whose rows change.
    pub collection: &'a Collection,
    /// Its rows' updates.
    pub updates: &'a [RowUpdate],
}

/// Why a [`Connector::mask`] failed, and at which batch: the one being applied, or the last
/// one when the transaction's commit failed.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskFailure {
    /// The index of the batch in the call.
    pub batch: usize,
    /// The store's reason.
    pub error: ConnectorError,
}

/// Whose data a read or a masking is for. SQL stores need only the input values; APIs (SaaS
/// connectors) also put the request's identities and id into their calls.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The privacy request's id.
    pub request_id: &'a str,
    /// The subject's identities by name (`email`, `phone_number`).
    pub identities: &'a Map<String, Value>,
    /// Inputs kept together per upstream row (a SaaS read's `grouped_inputs`): one map of
    /// field → values per row; empty for other reads.
    pub groups: &'a [Map<String, Value>],
    /// Values of earlier collections a read asked for ([`Connector::referenced_fields`]), by
    /// `dataset.collection.field`, each a list.
    pub references: &'a Map<String, Value>,
}

/// Where a read hands its rows, a batch at a time (each a JSON object of the declared
/// columns); an `Err` stops the read and is returned by it.
pub type RowSink<'a> = dyn FnMut(Vec<Value>) -> Result<(), ConnectorError> + 'a;

/// A data store Lethe reads and masks. Implementations pool their own connections, open them
/// on demand (so a store that is down fails at once with the driver's reason), bind every value
/// and quote every identifier.
pub trait Connector: Send + Sync {
    /// Connects and runs a trivial query; `Err` carries the driver's reason.
    fn test(&self) -> Result<(), ConnectorError>;

    /// Rows of `collection` where any input field has any of its values, handed to `sink` as
    /// the store returns them, in batches of at most 1,000 rows (or 1 MiB of JSON): memory does
    /// not grow with the number of rows. Values are sent in statements of at most
    /// [`MAX_VALUES_PER_STATEMENT`] values; within one call a row matched by several statements
    /// is handed over once ([`Seen`]; callers splitting inputs over several calls use it
    /// too). With no input values nothing is queried. Returns the number of rows handed over.
    fn read(
        &self,
        scope: &Scope<'_>,
        collection: &Collection,
        inputs: &[FieldInput],
        sink: &mut RowSink<'_>,
    ) -> Result<usize, ConnectorError>;

    /// Applies each batch's updates to the rows of its collection, all batches in one
    /// transaction: all or none (an API cannot roll back, so there the calls sent before a
    /// failure stay made). Returns the number of rows matched per batch (calls sent, for APIs).
    fn mask(&self, scope: &Scope<'_>, batches: &[MaskBatch<'_>]) -> Result<Vec<usize>, MaskFailure>;

    /// Whether [`RowUpdate::row`] must carry the row: APIs send whole records back, and find
    /// the values of their calls in them.
    fn needs_rows(&self) -> bool {
        false
    }

    /// Fields of earlier collections (`dataset.collection.field`) a read of `collection` filters
    /// by (a SaaS filter's `dataset_reference`): their values come in [`Scope::references`].
    fn referenced_fields(&self, _collection: &Collection) -> Vec<String> {
        Vec::new()
    }

    /// Secrets the store renewed while it ran (an OAuth 2 token fetched or refreshed), to be
    /// stored with the connection's: `None` when nothing changed.
    fn renewed_secrets(&self) -> Option<serde_json::Map<String, Value>> {
        None
    }

    /// Closes the idle connections now; those in use are closed when they are returned.
    fn close(&self);
}

/// Most input values one statement carries (bounded `IN (…)` lists and arrays; MySQL allows
/// 65,535 placeholders a statement, and large lists slow planners down).
pub const MAX_VALUES_PER_STATEMENT: usize = 1_000;

/// Reads all rows of a collection into memory: a convenience over [`Connector::read`] for
/// callers (and tests) that want a list.
pub fn read_all(
    connector: &dyn Connector,
    scope: &Scope<'_>,
    collection: &Collection,
    inputs: &[FieldInput],
) -> Result<Vec<Value>, ConnectorError> {
    let mut rows = Vec::new();
    connector.read(scope, collection, inputs, &mut |batch| {
        rows.extend(batch);
        Ok(())
    })?;
    Ok(rows)
}
