//! PostgreSQL through libpq (built from source with OpenSSL): rows come back as JSON built by
//! the server (`row_to_json`), so every column type reads without a per-type mapping; input
//! values are bound as typed arrays (`= ANY($1)`, `&&` for array columns), text values cast to
//! their column's type where text does not convert implicitly (`= ANY($1::uuid[])`; the types
//! come from the catalog once per table). TLS follows libpq's `sslmode`, with the CA from the
//! secrets or the system's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Bool, Double, Text};
use diesel::{Connection as _, PgConnection, RunQueryDsl};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use validation::Problem;

use crate::idle::Idle;
use crate::registry::{StoreSecrets, not_empty, root_cert_problem};
use crate::sql::{self, BindType, JsonRow, as_bool, as_float, as_int, as_text, quote_double};
use crate::tls::RootCerts;
use crate::{Collection, Connector, ConnectorError, FieldInput, MaskBatch, MaskFailure, RowSink, Scope};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PgSslMode {
    /// Never TLS.
    Disable,
    /// Plaintext first; TLS when the server demands it.
    Allow,
    /// TLS when the server offers it, unverified (libpq's default).
    #[default]
    Prefer,
    /// TLS or fail; the certificate is verified against `ssl_root_cert` when one is given.
    Require,
    /// TLS, certificate signed by a trusted CA.
    VerifyCa,
    /// TLS, trusted CA, and the certificate names `host`.
    VerifyFull,
}

impl PgSslMode {
    fn as_str(self) -> &'static str {
        match self {
            PgSslMode::Disable => "disable",
            PgSslMode::Allow => "allow",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyCa => "verify-ca",
            PgSslMode::VerifyFull => "verify-full",
        }
    }
}

/// Secrets of a PostgreSQL connection (Fides' `postgres` schema, with TLS verification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresSecrets {
    /// Host name or address.
    pub host: String,
    /// Port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Database name.
    pub dbname: String,
    /// User (default `postgres`).
    #[serde(default)]
    pub username: Option<String>,
    /// Password.
    #[serde(default)]
    #[schemars(extend("sensitive" = true))]
    pub password: Option<String>,
    /// Schema the datasets' collections live in when their dataset names none (default: the
    /// search path).
    #[serde(default)]
    pub db_schema: Option<String>,
    /// TLS: `disable`, `allow`, `prefer` (default), `require`, `verify-ca`, `verify-full`, as libpq.
    #[serde(default)]
    pub ssl_mode: PgSslMode,
    /// The CA certificate(s) to trust, PEM; without it the system's CA bundle is used.
    #[serde(default)]
    #[schemars(extend("sensitive" = true))]
    pub ssl_root_cert: Option<String>,
}

fn default_port() -> u16 {
    5432
}

impl StoreSecrets for PostgresSecrets {
    fn problems(&self) -> Vec<Problem> {
        let mut problems = not_empty(&[("host", &self.host), ("dbname", &self.dbname)]);
        problems.extend(root_cert_problem(self.ssl_root_cert.as_deref()));
        problems
    }

    fn open(self) -> Result<Box<dyn Connector>, ConnectorError> {
        Ok(Box::new(Postgres::new(self)?))
    }
}

/// Quotes a libpq keyword value, so any character is safe.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl PostgresSecrets {
    /// A libpq keyword/value connection string.
    fn connection_string(&self, roots: Option<&RootCerts>) -> String {
        let mut parts = vec![
            format!("host={}", quote(&self.host)),
            format!("port={}", self.port),
            format!("dbname={}", quote(&self.dbname)),
            format!("user={}", quote(self.username.as_deref().unwrap_or("postgres"))),
            "connect_timeout=5".to_owned(),
            format!("sslmode={}", self.ssl_mode.as_str()),
        ];
        if let Some(password) = &self.password {
            parts.push(format!("password={}", quote(password)));
        }
        if let Some(roots) = roots {
            parts.push(format!("sslrootcert={}", quote(&roots.path().display().to_string())));
        }
        parts.join(" ")
    }
}

/// A PostgreSQL store.
pub(crate) struct Postgres {
    secrets: PostgresSecrets,
    /// The CA file, for the modes that read one (`require` only with a given CA, as libpq).
    roots: Option<RootCerts>,
    idle: Idle<PgConnection>,
    /// Column types by table, read from the catalog once per table (see [`ColumnTypes`]).
    types: Mutex<HashMap<String, Arc<ColumnTypes>>>,
}

/// The columns of one table whose type a text value does not convert to implicitly (uuid,
/// inet, an enum, a date…), with that type. Values reach Lethe as JSON, so such a column's
/// values are strings; bound as text they would not compare (`uuid = text` has no operator),
/// so the placeholder carries a cast (`$1::uuid`), as PostgreSQL does for a quoted literal.
#[derive(Default)]
struct ColumnTypes(HashMap<String, String>);

impl ColumnTypes {
    /// Whether text converts to `ty` without a cast (assignment casts included).
    fn text_like(ty: &str) -> bool {
        ["text", "character varying", "character", "name", "citext", "\"char\"", "bpchar", "varchar"].contains(&ty)
    }

    /// The cast a text value for `column` needs, if any.
    fn cast(&self, column: &str) -> Option<&str> {
        self.0.get(column).map(String::as_str).filter(|ty| !Self::text_like(ty) && !ty.ends_with("[]"))
    }

    /// `$n`, with the cast a text value for `column` needs.
    fn placeholder(&self, n: usize, column: &str, value: &Value) -> String {
        match self.cast(column) {
            Some(ty) if value.is_string() => format!("${n}::{ty}"),
            _ => format!("${n}"),
        }
    }
}

#[derive(diesel::QueryableByName)]
struct ColumnType {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
}

impl Postgres {
    fn new(secrets: PostgresSecrets) -> Result<Postgres, ConnectorError> {
        let roots = match secrets.ssl_mode {
            PgSslMode::VerifyCa | PgSslMode::VerifyFull => Some(RootCerts::new(secrets.ssl_root_cert.as_deref())?),
            _ if secrets.ssl_root_cert.is_some() => Some(RootCerts::new(secrets.ssl_root_cert.as_deref())?),
            _ => None,
        };
        Ok(Postgres { secrets, roots, idle: Idle::default(), types: Mutex::default() })
    }

    fn connect(&self) -> Result<PgConnection, ConnectorError> {
        PgConnection::establish(&self.secrets.connection_string(self.roots.as_ref()))
            .map_err(ConnectorError::from_driver)
    }

    fn table(&self, collection: &Collection) -> String {
        let table = quote_double(&collection.name);
        match collection.namespace.as_deref().or(self.secrets.db_schema.as_deref()) {
            Some(schema) => format!("{}.{table}", quote_double(schema)),
            None => table,
        }
    }

    /// The column types of `table` (quoted), from the catalog the first time.
    fn column_types(&self, conn: &mut PgConnection, table: &str) -> Result<Arc<ColumnTypes>, diesel::result::Error> {
        if let Some(types) = self.types.lock().ok().and_then(|t| t.get(table).cloned()) {
            return Ok(types);
        }
        let rows = diesel::sql_query(
            "SELECT a.attname::text AS name, format_type(a.atttypid, NULL) AS ty FROM pg_attribute a \
             WHERE a.attrelid = CAST($1 AS regclass) AND a.attnum > 0 AND NOT a.attisdropped",
        )
        .bind::<Text, _>(table)
        .load::<ColumnType>(conn)?;
        let types = Arc::new(ColumnTypes(rows.into_iter().map(|r| (r.name, r.ty)).collect()));
        if let Ok(mut cache) = self.types.lock() {
            cache.insert(table.to_owned(), Arc::clone(&types));
        }
        Ok(types)
    }

    fn select<'a>(
        &self,
        collection: &Collection,
        inputs: &[FieldInput],
        types: &ColumnTypes,
    ) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
        let columns: Vec<String> = collection.columns.iter().map(|c| quote_double(&c.name)).collect();
        let mut query = diesel::sql_query(format!(
            "SELECT row_to_json(t)::text AS lethe_row FROM (SELECT {} FROM {} WHERE ",
            columns.join(", "),
            self.table(collection)
        ))
        .into_boxed::<Pg>();
        for (i, input) in inputs.iter().enumerate() {
            let data_type = collection.data_type(&input.field);
            let operator = if data_type.is_some_and(|t| t.ends_with("[]")) { "&&" } else { "= ANY" };
            let values = &input.values;
            let bind_type = BindType::of(data_type, values);
            let cast = match (bind_type, types.cast(&input.field)) {
                (BindType::Text, Some(ty)) => format!("::{ty}[]"),
                _ => String::new(),
            };
            let clause = format!(
                "{}{} {operator}(${}{cast})",
                if i > 0 { " OR " } else { "" },
                quote_double(&input.field),
                i + 1
            );
            query = query.sql(clause);
            query = match bind_type {
                BindType::Int => query.bind::<Array<BigInt>, _>(values.iter().filter_map(as_int).collect::<Vec<_>>()),
                BindType::Float => {
                    query.bind::<Array<Double>, _>(values.iter().filter_map(as_float).collect::<Vec<_>>())
                }
                BindType::Bool => query.bind::<Array<Bool>, _>(values.iter().filter_map(as_bool).collect::<Vec<_>>()),
                BindType::Text => query.bind::<Array<Text>, _>(values.iter().filter_map(as_text).collect::<Vec<_>>()),
            };
        }
        query.sql(") t")
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn bind<'a>(query: BoxedSqlQuery<'a, Pg, SqlQuery>, value: Value) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
    match value {
        Value::Bool(b) => query.bind::<Bool, _>(b),
        Value::Number(n) if n.is_i64() => query.bind::<BigInt, _>(n.as_i64().unwrap_or_default()),
        Value::Number(n) => query.bind::<Double, _>(n.as_f64().unwrap_or_default()),
        other => query.bind::<Text, _>(as_text(&other).unwrap_or_else(|| other.to_string())),
    }
}

impl Connector for Postgres {
    fn test(&self) -> Result<(), ConnectorError> {
        let mut conn = self.connect()?;
        conn.batch_execute("SELECT 1").map_err(ConnectorError::from_driver)?;
        if let Some(schema) = &self.secrets.db_schema {
            let found =
                diesel::sql_query("SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = $1")
                    .bind::<Text, _>(schema)
                    .get_result::<Count>(&mut conn)
                    .map_err(ConnectorError::from_driver)?
                    .n;
            if found == 0 {
                return Err(ConnectorError(format!("schema \"{schema}\" does not exist")));
            }
        }
        Ok(())
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
                    let types =
                        self.column_types(conn, &self.table(collection)).map_err(ConnectorError::from_driver)?;
                    let rows = self
                        .select(collection, statement, &types)
                        .load_iter::<JsonRow, diesel::pg::PgRowByRowLoadingMode>(conn)
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
                        let table = self.table(batch.collection);
                        let types = self.column_types(c, &table)?;
                        let placeholder = |n: usize, column: &str, value: &Value| types.placeholder(n, column, value);
                        let mut count = 0;
                        for (sql, binds) in sql::update_statements(
                            &table,
                            batch.updates,
                            quote_double,
                            &placeholder,
                            sql::Batch::Values,
                        ) {
                            count +=
                                binds.into_iter().fold(diesel::sql_query(sql).into_boxed::<Pg>(), bind).execute(c)?;
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
    fn connection_strings_quote_every_value_and_carry_the_tls_mode() {
        let pg = PostgresSecrets {
            host: "db".into(),
            port: 5433,
            dbname: "shop".into(),
            username: Some("o'brien".into()),
            password: Some("p w\\x".into()),
            db_schema: None,
            ssl_mode: PgSslMode::VerifyFull,
            ssl_root_cert: None,
        };
        assert_eq!(
            pg.connection_string(None),
            "host='db' port=5433 dbname='shop' user='o\\'brien' connect_timeout=5 sslmode=verify-full password='p w\\\\x'"
        );
    }
}
