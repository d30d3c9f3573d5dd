//! SQLite files: rows come back as JSON built by SQLite (`json_object`), input values bound as
//! `IN (?, …)` lists. A file that does not exist is an error, never created.

use diesel::connection::SimpleConnection;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bool, Double, Text};
use diesel::sqlite::Sqlite;
use diesel::{Connection as _, RunQueryDsl, SqliteConnection};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use validation::Problem;

use crate::idle::Idle;
use crate::registry::{StoreSecrets, not_empty};
use crate::sql::{self, BindType, JsonRow, as_text, quote_double};
use crate::{Collection, Connector, ConnectorError, FieldInput, MaskBatch, MaskFailure, RowSink, Scope};

/// Secrets of a SQLite connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqliteSecrets {
    /// Path of an existing database file.
    pub path: String,
}

impl StoreSecrets for SqliteSecrets {
    fn problems(&self) -> Vec<Problem> {
        not_empty(&[("path", &self.path)])
    }

    fn open(self) -> Result<Box<dyn Connector>, ConnectorError> {
        Ok(Box::new(SqliteStore { secrets: self, idle: Idle::default() }))
    }
}

/// A SQLite store.
struct SqliteStore {
    secrets: SqliteSecrets,
    idle: Idle<SqliteConnection>,
}

impl SqliteStore {
    /// Opens the existing database read-write; never creates a file.
    fn connect(&self) -> Result<SqliteConnection, ConnectorError> {
        let path = std::path::Path::new(&self.secrets.path);
        if !path.is_file() {
            return Err(ConnectorError(format!("no SQLite database file at {}", self.secrets.path)));
        }
        let encoded: String = self
            .secrets
            .path
            .chars()
            .map(|c| match c {
                '%' => "%25".to_owned(),
                '?' => "%3f".to_owned(),
                '#' => "%23".to_owned(),
                other => other.to_string(),
            })
            .collect();
        let mut conn =
            SqliteConnection::establish(&format!("file:{encoded}?mode=rw")).map_err(ConnectorError::from_driver)?;
        conn.batch_execute("PRAGMA busy_timeout = 5000;").map_err(ConnectorError::from_driver)?;
        Ok(conn)
    }
}

fn bind<'a>(query: BoxedSqlQuery<'a, Sqlite, SqlQuery>, value: Value) -> BoxedSqlQuery<'a, Sqlite, SqlQuery> {
    match value {
        Value::Bool(b) => query.bind::<Bool, _>(b),
        Value::Number(n) if n.is_i64() => query.bind::<BigInt, _>(n.as_i64().unwrap_or_default()),
        Value::Number(n) => query.bind::<Double, _>(n.as_f64().unwrap_or_default()),
        other => query.bind::<Text, _>(as_text(&other).unwrap_or_else(|| other.to_string())),
    }
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn select<'a>(collection: &Collection, inputs: &[FieldInput]) -> BoxedSqlQuery<'a, Sqlite, SqlQuery> {
    let pairs: Vec<String> =
        collection.columns.iter().map(|c| format!("{}, {}", quote_literal(&c.name), quote_double(&c.name))).collect();
    let mut query = diesel::sql_query(format!(
        "SELECT json_object({}) AS lethe_row FROM {} WHERE ",
        pairs.join(", "),
        quote_double(&collection.name)
    ))
    .into_boxed::<Sqlite>();
    let mut first = true;
    for input in inputs {
        let kind = BindType::of(collection.data_type(&input.field), &input.values);
        let binds: Vec<Value> = input.values.iter().filter_map(|v| kind.convert(v)).collect();
        if binds.is_empty() {
            continue;
        }
        let placeholders = vec!["?"; binds.len()].join(", ");
        query =
            query.sql(format!("{}{} IN ({placeholders})", if first { "" } else { " OR " }, quote_double(&input.field)));
        first = false;
        query = binds.into_iter().fold(query, bind);
    }
    if first {
        // Every value failed conversion to the field's type: match nothing.
        query = query.sql("0");
    }
    query
}

impl Connector for SqliteStore {
    fn test(&self) -> Result<(), ConnectorError> {
        // Reading the schema fails on a file that is not a SQLite database.
        self.connect()?.batch_execute("SELECT count(*) FROM sqlite_master").map_err(ConnectorError::from_driver)
    }

    fn read(
        &self,
        _scope: &Scope<'_>,
        collection: &Collection,
        inputs: &[FieldInput],
        sink: &mut RowSink<'_>,
    ) -> Result<usize, ConnectorError> {
        sql::read_statements(sql::statements(inputs), sink, |statement, sink| {
            self.idle.with(
                || self.connect(),
                |conn| {
                    let rows = select(collection, statement)
                        .load_iter::<JsonRow, diesel::connection::DefaultLoadingMode>(conn)
                        .map_err(ConnectorError::from_driver)?;
                    sql::stream_json_rows(rows, sink)
                },
            )
        })
    }

    fn mask(&self, _scope: &Scope<'_>, batches: &[MaskBatch<'_>]) -> Result<Vec<usize>, MaskFailure> {
        if batches.iter().all(|b| b.updates.is_empty()) {
            return Ok(vec![0; batches.len()]);
        }
        let mut at = 0;
        self.idle.with(
            || self.connect().map_err(|error| MaskFailure { batch: 0, error }),
            |conn| {
                conn.transaction(|c| {
                    let mut matched = Vec::with_capacity(batches.len());
                    for (i, batch) in batches.iter().enumerate() {
                        at = i;
                        let table = quote_double(&batch.collection.name);
                        let mut count = 0;
                        for (sql, binds) in sql::update_statements(
                            &table,
                            batch.updates,
                            quote_double,
                            &|_, _, _| "?".to_owned(),
                            sql::Batch::Case,
                        ) {
                            count += binds
                                .into_iter()
                                .fold(diesel::sql_query(sql).into_boxed::<Sqlite>(), bind)
                                .execute(c)?;
                        }
                        matched.push(count);
                    }
                    Ok::<Vec<usize>, diesel::result::Error>(matched)
                })
                .map_err(|e| MaskFailure { batch: at, error: ConnectorError::from_driver(e) })
            },
        )
    }

    fn close(&self) {
        self.idle.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_fails_for_missing_or_foreign_files_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.db");
        let store = SqliteSecrets { path: missing.display().to_string() }.open().unwrap();
        assert!(store.test().unwrap_err().0.contains("no SQLite database file"));
        assert!(!missing.exists());
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "definitely not a database, just some text long enough to fill a header").unwrap();
        let store = SqliteSecrets { path: text.display().to_string() }.open().unwrap();
        assert!(store.test().is_err());
    }
}
