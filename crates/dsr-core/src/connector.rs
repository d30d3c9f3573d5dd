//! Queries against the subject's data stores. Every value is bound as a parameter and every
//! identifier quoted; rows come back as JSON objects built by the database itself
//! (`row_to_json` on PostgreSQL, `json_object` on SQLite), so any column type reads without a
//! per-type mapping. Only the fields a dataset declares are ever selected.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Bool, Double, Text};
use diesel::sqlite::Sqlite;
use diesel::{Connection as _, PgConnection, RunQueryDsl, SqliteConnection};
use serde_json::Value;

use crate::connection::secrets::Secrets;
use crate::error::StoreError;
use crate::graph::Node;

/// Idle connections kept per data store.
const MAX_IDLE: usize = 8;

enum Conn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// One of the subject's data stores with a few reusable connections. Connections are opened on
/// demand, so a store that is down fails the query at once with the driver's message.
pub struct Store {
    secrets: Secrets,
    idle: Mutex<Vec<Conn>>,
    /// Set when the connection was deleted or its secrets changed: nothing is pooled any more.
    closed: std::sync::atomic::AtomicBool,
}

#[derive(diesel::QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    lethe_row: String,
}

/// The column type used to bind a field's input values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BindType {
    Int,
    Float,
    Bool,
    Text,
}

fn bind_type(data_type: Option<&str>, values: &[Value]) -> BindType {
    match data_type.map(|t| t.trim_end_matches("[]")) {
        Some("integer") => BindType::Int,
        Some("float") => BindType::Float,
        Some("boolean") => BindType::Bool,
        Some(_) => BindType::Text,
        None if values.iter().all(|v| v.is_i64()) => BindType::Int,
        None if values.iter().all(Value::is_number) => BindType::Float,
        None if values.iter().all(Value::is_boolean) => BindType::Bool,
        None => BindType::Text,
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_int(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn as_float(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn as_bool(value: &Value) -> Option<bool> {
    value.as_bool().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `"name"` with embedded quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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
    /// Collects values for `field`, dropping nulls and duplicates.
    pub fn new(field: String, values: impl IntoIterator<Item = Value>) -> FieldInput {
        let mut seen = HashSet::new();
        let values = values.into_iter().filter(|v| !v.is_null() && seen.insert(v.to_string())).collect();
        FieldInput { field, values }
    }
}

impl Store {
    /// A store for validated secrets; nothing is opened yet.
    pub fn new(secrets: Secrets) -> Store {
        Store { secrets, idle: Mutex::new(Vec::new()), closed: std::sync::atomic::AtomicBool::new(false) }
    }

    /// Closes the idle connections now; those in use are closed when they are returned.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }

    fn checkout(&self) -> Result<Conn, StoreError> {
        if let Some(conn) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(conn);
        }
        match &self.secrets {
            Secrets::Postgres(pg) => {
                PgConnection::establish(&pg.connection_string()).map(Conn::Pg).map_err(StoreError::from_driver)
            }
            Secrets::Sqlite(sqlite) => {
                let mut conn = sqlite.open()?;
                diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 5000;")
                    .map_err(StoreError::from_driver)?;
                Ok(Conn::Sqlite(conn))
            }
        }
    }

    fn checkin(&self, conn: Conn) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
            && !self.closed.load(std::sync::atomic::Ordering::SeqCst)
        {
            idle.push(conn);
        }
    }

    /// Rows of `node` where any input field has any of its values; `Err` carries the driver's
    /// message. With no input values nothing is queried.
    pub fn select(&self, node: &Node, inputs: &[FieldInput]) -> Result<Vec<Value>, StoreError> {
        let inputs: Vec<&FieldInput> = inputs.iter().filter(|i| !i.values.is_empty()).collect();
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.checkout()?;
        let result = match (&mut conn, &self.secrets) {
            (Conn::Pg(pg), Secrets::Postgres(secrets)) => {
                let schema = node.schema.as_deref().or(secrets.db_schema.as_deref());
                postgres_query(node, schema, &inputs).load::<JsonRow>(pg)
            }
            (Conn::Sqlite(sqlite), _) => sqlite_query(node, &inputs).load::<JsonRow>(sqlite),
            _ => return Err(StoreError("connection type changed while in use".to_owned())),
        };
        match result {
            Ok(rows) => {
                self.checkin(conn);
                rows.into_iter()
                    .map(|r| {
                        serde_json::from_str(&r.lethe_row).map_err(|e| StoreError(format!("row is not JSON: {e}")))
                    })
                    .collect()
            }
            // The connection may be broken; drop it rather than reuse it.
            Err(e) => Err(StoreError::from_driver(e)),
        }
    }
}

/// One row's masking: new values for `set`, the row found by `filter` (column = value, AND).
#[derive(Debug, Clone, PartialEq)]
pub struct RowUpdate {
    /// Columns and their masked values (null writes NULL).
    pub set: Vec<(String, Value)>,
    /// Columns and the row's values identifying it; never empty.
    pub filter: Vec<(String, Value)>,
}

/// `UPDATE … SET … WHERE …` with placeholders from `placeholder(n)` and the values to bind, in
/// order. Nulls in SET are written as `NULL` (a typed NULL parameter would not fit every
/// column type); the filter never holds nulls.
fn update_sql(table: &str, update: &RowUpdate, placeholder: fn(usize) -> String) -> (String, Vec<Value>) {
    let mut binds = Vec::new();
    let mut next = |value: &Value| {
        binds.push(value.clone());
        placeholder(binds.len())
    };
    let set: Vec<String> = update
        .set
        .iter()
        .map(|(column, value)| {
            let rhs = if value.is_null() { "NULL".to_owned() } else { next(value) };
            format!("{} = {rhs}", quote_ident(column))
        })
        .collect();
    let filter: Vec<String> =
        update.filter.iter().map(|(column, value)| format!("{} = {}", quote_ident(column), next(value))).collect();
    (format!("UPDATE {table} SET {} WHERE {}", set.join(", "), filter.join(" AND ")), binds)
}

fn bind_pg<'a>(query: BoxedSqlQuery<'a, Pg, SqlQuery>, value: Value) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
    match value {
        Value::Bool(b) => query.bind::<Bool, _>(b),
        Value::Number(n) if n.is_i64() => query.bind::<BigInt, _>(n.as_i64().unwrap_or_default()),
        Value::Number(n) => query.bind::<Double, _>(n.as_f64().unwrap_or_default()),
        other => query.bind::<Text, _>(as_text(&other).unwrap_or_else(|| other.to_string())),
    }
}

fn bind_sqlite<'a>(query: BoxedSqlQuery<'a, Sqlite, SqlQuery>, value: Value) -> BoxedSqlQuery<'a, Sqlite, SqlQuery> {
    match value {
        Value::Bool(b) => query.bind::<Bool, _>(b),
        Value::Number(n) if n.is_i64() => query.bind::<BigInt, _>(n.as_i64().unwrap_or_default()),
        Value::Number(n) => query.bind::<Double, _>(n.as_f64().unwrap_or_default()),
        other => query.bind::<Text, _>(as_text(&other).unwrap_or_else(|| other.to_string())),
    }
}

impl Store {
    /// Applies `updates` to rows of `node` in one transaction: all rows are masked or none.
    /// Returns the number of rows changed; `Err` carries the driver's message.
    pub fn update(&self, node: &Node, updates: &[RowUpdate]) -> Result<usize, StoreError> {
        if updates.is_empty() {
            return Ok(0);
        }
        let mut conn = self.checkout()?;
        let result = match (&mut conn, &self.secrets) {
            (Conn::Pg(pg), Secrets::Postgres(secrets)) => {
                let table = table_name(node, node.schema.as_deref().or(secrets.db_schema.as_deref()));
                pg.transaction(|c| {
                    let mut changed = 0;
                    for update in updates {
                        let (sql, binds) = update_sql(&table, update, |n| format!("${n}"));
                        let query = binds.into_iter().fold(diesel::sql_query(sql).into_boxed::<Pg>(), bind_pg);
                        changed += query.execute(c)?;
                    }
                    Ok::<usize, diesel::result::Error>(changed)
                })
            }
            (Conn::Sqlite(sqlite), _) => {
                let table = table_name(node, None);
                sqlite.transaction(|c| {
                    let mut changed = 0;
                    for update in updates {
                        let (sql, binds) = update_sql(&table, update, |_| "?".to_owned());
                        let query = binds.into_iter().fold(diesel::sql_query(sql).into_boxed::<Sqlite>(), bind_sqlite);
                        changed += query.execute(c)?;
                    }
                    Ok::<usize, diesel::result::Error>(changed)
                })
            }
            _ => return Err(StoreError("connection type changed while in use".to_owned())),
        };
        match result {
            Ok(changed) => {
                self.checkin(conn);
                Ok(changed)
            }
            Err(e) => Err(StoreError::from_driver(e)),
        }
    }
}

fn table_name(node: &Node, schema: Option<&str>) -> String {
    let table = quote_ident(&node.address.collection);
    match schema {
        Some(schema) => format!("{}.{table}", quote_ident(schema)),
        None => table,
    }
}

fn postgres_query<'a>(node: &Node, schema: Option<&str>, inputs: &[&FieldInput]) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
    let columns: Vec<String> = node.fields.iter().map(|f| quote_ident(&f.name)).collect();
    let mut query = diesel::sql_query(format!(
        "SELECT row_to_json(t)::text AS lethe_row FROM (SELECT {} FROM {} WHERE ",
        columns.join(", "),
        table_name(node, schema)
    ))
    .into_boxed::<Pg>();
    for (i, input) in inputs.iter().enumerate() {
        let data_type = node.field(&input.field).and_then(|f| f.data_type.as_deref());
        let operator = if data_type.is_some_and(|t| t.ends_with("[]")) { "&&" } else { "= ANY" };
        let clause = format!("{}{} {operator}(${})", if i > 0 { " OR " } else { "" }, quote_ident(&input.field), i + 1);
        query = query.sql(clause);
        query = match bind_type(data_type, &input.values) {
            BindType::Int => query.bind::<Array<BigInt>, _>(input.values.iter().filter_map(as_int).collect::<Vec<_>>()),
            BindType::Float => {
                query.bind::<Array<Double>, _>(input.values.iter().filter_map(as_float).collect::<Vec<_>>())
            }
            BindType::Bool => query.bind::<Array<Bool>, _>(input.values.iter().filter_map(as_bool).collect::<Vec<_>>()),
            BindType::Text => query.bind::<Array<Text>, _>(input.values.iter().filter_map(as_text).collect::<Vec<_>>()),
        };
    }
    query.sql(") t")
}

fn sqlite_query<'a>(node: &Node, inputs: &[&FieldInput]) -> BoxedSqlQuery<'a, Sqlite, SqlQuery> {
    let pairs: Vec<String> =
        node.fields.iter().map(|f| format!("{}, {}", quote_literal(&f.name), quote_ident(&f.name))).collect();
    let mut query = diesel::sql_query(format!(
        "SELECT json_object({}) AS lethe_row FROM {} WHERE ",
        pairs.join(", "),
        table_name(node, None)
    ))
    .into_boxed::<Sqlite>();
    let mut first = true;
    for input in inputs {
        let data_type = node.field(&input.field).and_then(|f| f.data_type.as_deref());
        let kind = bind_type(data_type, &input.values);
        let mut placeholders = Vec::new();
        let mut binds: Vec<Value> = Vec::new();
        for value in &input.values {
            let converted = match kind {
                BindType::Int => as_int(value).map(Value::from),
                BindType::Float => as_float(value).map(Value::from),
                BindType::Bool => as_bool(value).map(Value::from),
                BindType::Text => as_text(value).map(Value::from),
            };
            if let Some(v) = converted {
                placeholders.push("?");
                binds.push(v);
            }
        }
        if binds.is_empty() {
            continue;
        }
        query = query.sql(format!(
            "{}{} IN ({})",
            if first { "" } else { " OR " },
            quote_ident(&input.field),
            placeholders.join(", ")
        ));
        first = false;
        for value in binds {
            query = bind_sqlite(query, value);
        }
    }
    if first {
        // Every value failed conversion to the field's type: match nothing.
        query = query.sql("0");
    }
    query
}

/// An open store and the fingerprint of the secrets it was opened with.
type OpenStore = (Vec<u8>, Arc<Store>);

/// Open stores by connection key, replaced when a connection's secrets change. A handle: clones
/// share the same stores (the request service opens them, the connection service closes them).
#[derive(Clone, Default)]
pub struct Stores {
    open: Arc<Mutex<HashMap<String, OpenStore>>>,
}

impl Stores {
    /// Closes the pooled connections of `connection` (deleted, or given new secrets).
    pub fn close(&self, connection: &str) {
        let closed = self.open.lock().ok().and_then(|mut open| open.remove(connection));
        if let Some((_, store)) = closed {
            store.close();
        }
    }

    /// Closes every pooled connection (another process changed a connection).
    pub fn close_all(&self) {
        let closed: Vec<OpenStore> = match self.open.lock() {
            Ok(mut open) => open.drain().map(|(_, store)| store).collect(),
            Err(_) => return,
        };
        for (_, store) in closed {
            store.close();
        }
    }

    /// The store of `connection`, reusing the open one while `fingerprint` (the sealed secrets)
    /// is unchanged.
    pub fn get(&self, connection: &str, fingerprint: &[u8], secrets: impl FnOnce() -> Secrets) -> Arc<Store> {
        let Ok(mut open) = self.open.lock() else { return Arc::new(Store::new(secrets())) };
        if let Some((seen, store)) = open.get(connection)
            && seen.as_slice() == fingerprint
        {
            return Arc::clone(store);
        }
        let store = Arc::new(Store::new(secrets()));
        open.insert(connection.to_owned(), (fingerprint.to_vec(), Arc::clone(&store)));
        store
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("a\"; DROP TABLE x; --"), "\"a\"\"; DROP TABLE x; --\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn bind_types_follow_the_data_type_then_the_values() {
        assert_eq!(bind_type(Some("integer"), &[json!("1")]), BindType::Int);
        assert_eq!(bind_type(Some("string"), &[json!(1)]), BindType::Text);
        assert_eq!(bind_type(None, &[json!(1), json!(2)]), BindType::Int);
        assert_eq!(bind_type(None, &[json!(1.5)]), BindType::Float);
        assert_eq!(bind_type(None, &[json!("a"), json!(1)]), BindType::Text);
    }

    #[test]
    fn updates_bind_every_value_and_write_nulls_literally() {
        let update = RowUpdate {
            set: vec![("name".into(), json!("x")), ("phone".into(), Value::Null)],
            filter: vec![("id".into(), json!(7)), ("tenant".into(), json!("a"))],
        };
        let (sql, binds) = update_sql("\"shop\".\"customer\"", &update, |n| format!("${n}"));
        assert_eq!(
            sql,
            "UPDATE \"shop\".\"customer\" SET \"name\" = $1, \"phone\" = NULL WHERE \"id\" = $2 AND \"tenant\" = $3"
        );
        assert_eq!(binds, vec![json!("x"), json!(7), json!("a")]);
    }

    #[test]
    fn inputs_drop_nulls_and_duplicates() {
        let input = FieldInput::new("id".into(), vec![json!(1), json!(null), json!(1), json!(2)]);
        assert_eq!(input.values, vec![json!(1), json!(2)]);
    }
}
