//! MySQL and MariaDB through the pure-Rust `mysql` driver (TLS by rustls). Table *and* column
//! names are quoted with backticks, every value is bound (prepared statements), `IN (…)` lists
//! are bounded, and rows stream from the server a batch at a time. Values become JSON as Fides
//! writes them ([`crate::value::mysql_json`]). Sessions run in UTC with `CLIENT_FOUND_ROWS`, so a
//! masking UPDATE counts the rows it matched, as PostgreSQL does.

use std::time::Duration;

use mysql::consts::CapabilityFlags;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, SslOpts, TxOpts};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use validation::Problem;

use crate::idle::Idle;
use crate::registry::{StoreSecrets, not_empty, root_cert_problem};
use crate::sql::{self, BindType, quote_backtick};
use crate::tls::{RootCerts, install_provider};
use crate::{Collection, Connector, ConnectorError, FieldInput, MaskBatch, MaskFailure, RowSink, Scope};

/// TLS modes, as the `mysql` client's `--ssl-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MysqlSslMode {
    /// Never TLS.
    Disabled,
    /// TLS when the server offers it, unverified; plaintext otherwise (the default).
    #[default]
    Preferred,
    /// TLS or fail; the certificate is verified against `ssl_root_cert` when one is given.
    Required,
    /// TLS, certificate signed by a trusted CA (`ssl_root_cert`, else the Mozilla roots).
    VerifyCa,
    /// TLS, trusted CA, and the certificate names `host`.
    VerifyIdentity,
}

/// Secrets of a MySQL or MariaDB connection (Fides' schemas; TLS on both, verified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MysqlSecrets {
    /// Host name or address.
    pub host: String,
    /// Port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Database name.
    pub dbname: String,
    /// User (default `root`).
    #[serde(default)]
    pub username: Option<String>,
    /// Password.
    #[serde(default)]
    #[schemars(extend("sensitive" = true))]
    pub password: Option<String>,
    /// TLS: `disabled`, `preferred` (default), `required`, `verify_ca`, `verify_identity`
    /// (case-insensitive; Fides' empty value means the default).
    #[serde(default)]
    pub ssl_mode: MysqlSslMode,
    /// The CA certificate(s) to trust, PEM (added to the Mozilla roots).
    #[serde(default)]
    #[schemars(extend("sensitive" = true))]
    pub ssl_root_cert: Option<String>,
}

/// MariaDB's secrets are MySQL's.
pub type MariadbSecrets = MysqlSecrets;

fn default_port() -> u16 {
    3306
}

impl StoreSecrets for MysqlSecrets {
    fn prepare(value: &mut Value) {
        if let Some(mode) = value.get_mut("ssl_mode")
            && let Some(text) = mode.as_str()
        {
            *mode = if text.trim().is_empty() { Value::Null } else { Value::String(text.trim().to_lowercase()) };
        }
        if value.get("ssl_mode").is_some_and(Value::is_null)
            && let Some(object) = value.as_object_mut()
        {
            object.remove("ssl_mode");
        }
    }

    fn problems(&self) -> Vec<Problem> {
        let mut problems = not_empty(&[("host", &self.host), ("dbname", &self.dbname)]);
        problems.extend(root_cert_problem(self.ssl_root_cert.as_deref()));
        problems
    }

    fn open(self) -> Result<Box<dyn Connector>, ConnectorError> {
        let roots = self.ssl_root_cert.as_deref().map(|pem| RootCerts::new(Some(pem))).transpose()?;
        Ok(Box::new(Mysql { secrets: self, roots, idle: Idle::default() }))
    }
}

/// A MySQL or MariaDB store.
struct Mysql {
    secrets: MysqlSecrets,
    roots: Option<RootCerts>,
    idle: Idle<Conn>,
}

impl Mysql {
    fn options(&self, tls: Option<SslOpts>) -> OptsBuilder {
        let secrets = &self.secrets;
        OptsBuilder::new()
            .ip_or_hostname(Some(secrets.host.clone()))
            .tcp_port(secrets.port)
            .user(Some(secrets.username.clone().unwrap_or_else(|| "root".to_owned())))
            .pass(secrets.password.clone())
            .db_name(Some(secrets.dbname.clone()))
            // Never switch to a local socket the server names: TLS and the host would not apply.
            .prefer_socket(false)
            .tcp_connect_timeout(Some(Duration::from_secs(5)))
            .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS)
            .init(vec!["SET time_zone = '+00:00'"])
            .ssl_opts(tls)
    }

    /// The TLS options of the mode; `None` for plaintext.
    fn tls(&self) -> Option<SslOpts> {
        let root = self.roots.as_ref().map(|r| r.path().to_path_buf());
        let verified = SslOpts::default().with_root_cert_path(root.clone());
        match self.secrets.ssl_mode {
            MysqlSslMode::Disabled => None,
            MysqlSslMode::Preferred => Some(SslOpts::default().with_danger_accept_invalid_certs(true)),
            MysqlSslMode::Required if root.is_some() => Some(verified.with_danger_skip_domain_validation(true)),
            MysqlSslMode::Required => Some(SslOpts::default().with_danger_accept_invalid_certs(true)),
            MysqlSslMode::VerifyCa => Some(verified.with_danger_skip_domain_validation(true)),
            MysqlSslMode::VerifyIdentity => Some(verified),
        }
    }

    fn connect(&self) -> Result<Conn, ConnectorError> {
        install_provider();
        let tls = self.tls();
        let encrypted = tls.is_some();
        match Conn::new(self.options(tls)) {
            Ok(conn) => Ok(conn),
            // `preferred`: the server offers no TLS, so plaintext it is.
            Err(mysql::Error::DriverError(mysql::DriverError::TlsNotSupported))
                if encrypted && self.secrets.ssl_mode == MysqlSslMode::Preferred =>
            {
                Conn::new(self.options(None)).map_err(reason)
            }
            // MariaDB answers "access denied" to plaintext when it requires secure transport.
            Err(mysql::Error::MySqlError(e)) if e.code == ACCESS_DENIED && !encrypted => Err(ConnectorError(format!(
                "{e} (ssl_mode is disabled: a server that requires TLS refuses plaintext logins this way)"
            ))),
            Err(e) => Err(reason(e)),
        }
    }
}

/// The server's "access denied" error code.
const ACCESS_DENIED: u16 = 1045;

/// The driver's error as the reason people read (`TlsNotSupported` says which mode needs it).
fn reason(e: mysql::Error) -> ConnectorError {
    match e {
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported) => ConnectorError(
            "the server does not support TLS, but ssl_mode requires it (set ssl_mode to preferred or disabled to \
             connect without)"
                .to_owned(),
        ),
        other => ConnectorError::from_driver(other),
    }
}

fn param(value: Value) -> mysql::Value {
    match value {
        Value::Bool(b) => mysql::Value::Int(i64::from(b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => mysql::Value::Int(i),
            (None, Some(u), _) => mysql::Value::UInt(u),
            (_, _, f) => mysql::Value::Double(f.unwrap_or_default()),
        },
        Value::String(s) => mysql::Value::Bytes(s.into_bytes()),
        Value::Null => mysql::Value::NULL,
        other => mysql::Value::Bytes(other.to_string().into_bytes()),
    }
}

/// `SELECT` of the declared columns with `IN (?, …)` per field, and its parameters.
fn select(collection: &Collection, inputs: &[FieldInput]) -> (String, Vec<mysql::Value>) {
    let columns: Vec<String> = collection.columns.iter().map(|c| quote_backtick(&c.name)).collect();
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    for input in inputs {
        let kind = BindType::of(collection.data_type(&input.field), &input.values);
        let values: Vec<Value> = input.values.iter().filter_map(|v| kind.convert(v)).collect();
        if values.is_empty() {
            continue;
        }
        clauses.push(format!("{} IN ({})", quote_backtick(&input.field), vec!["?"; values.len()].join(", ")));
        params.extend(values.into_iter().map(param));
    }
    let filter = if clauses.is_empty() { "FALSE".to_owned() } else { clauses.join(" OR ") };
    (format!("SELECT {} FROM {} WHERE {filter}", columns.join(", "), quote_backtick(&collection.name)), params)
}

impl Connector for Mysql {
    fn test(&self) -> Result<(), ConnectorError> {
        let mut conn = self.connect()?;
        conn.query_drop("SELECT 1").map_err(reason)
    }

    fn read(
        &self,
        _scope: &Scope<'_>,
        collection: &Collection,
        inputs: &[FieldInput],
        sink: &mut RowSink<'_>,
    ) -> Result<usize, ConnectorError> {
        sql::read_statements(sql::statements(inputs), sink, |statement, sink| {
            let (query, params) = select(collection, statement);
            self.idle.with(
                || self.connect(),
                |conn| {
                    let result = conn.exec_iter(query, params).map_err(reason)?;
                    let mut batch = Vec::new();
                    for row in result {
                        let row = row.map_err(reason)?;
                        batch.push(crate::value::mysql_row(row));
                        if batch.len() == sql::ROW_BATCH {
                            sink(std::mem::take(&mut batch))?;
                        }
                    }
                    if batch.is_empty() { Ok(()) } else { sink(batch) }
                },
            )
        })
    }

    fn mask(&self, _scope: &Scope<'_>, batches: &[MaskBatch<'_>]) -> Result<Vec<usize>, MaskFailure> {
        if batches.iter().all(|b| b.updates.is_empty()) {
            return Ok(vec![0; batches.len()]);
        }
        self.idle.with(
            || self.connect().map_err(|error| MaskFailure { batch: 0, error }),
            |conn| {
                let failed = |batch: usize| move |e: mysql::Error| MaskFailure { batch, error: reason(e) };
                let mut tx = conn.start_transaction(TxOpts::default()).map_err(failed(0))?;
                let mut matched = Vec::with_capacity(batches.len());
                for (i, batch) in batches.iter().enumerate() {
                    let table = quote_backtick(&batch.collection.name);
                    let mut count = 0;
                    for (query, binds) in sql::update_statements(
                        &table,
                        batch.updates,
                        quote_backtick,
                        &|_, _, _| "?".to_owned(),
                        sql::Batch::Case,
                    ) {
                        // An error drops the transaction, which rolls it back.
                        tx.exec_drop(query, binds.into_iter().map(param).collect::<Vec<_>>()).map_err(failed(i))?;
                        count += usize::try_from(tx.affected_rows()).unwrap_or(usize::MAX);
                    }
                    matched.push(count);
                }
                tx.commit().map_err(failed(batches.len() - 1))?;
                Ok(matched)
            },
        )
    }

    fn close(&self) {
        self.idle.close();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Column;

    #[test]
    fn selects_quote_table_and_columns_and_bind_every_value() {
        let collection = Collection::new(
            "order",
            None,
            vec![Column::new("id", Some("integer")), Column::new("key", None), Column::new("e`vil", None)],
        );
        let inputs = [FieldInput::new("id", [json!("7"), json!("x")]), FieldInput::new("key", [json!("a'; --")])];
        let (query, params) = select(&collection, &inputs);
        assert_eq!(query, "SELECT `id`, `key`, `e``vil` FROM `order` WHERE `id` IN (?) OR `key` IN (?)");
        assert_eq!(params, vec![mysql::Value::Int(7), mysql::Value::Bytes(b"a'; --".to_vec())]);
        let (query, params) = select(&collection, &[FieldInput::new("id", [json!("x")])]);
        assert!(query.ends_with("WHERE FALSE") && params.is_empty());
    }

    #[test]
    fn fides_ssl_modes_are_read() {
        let kind = crate::registry::find("mysql").unwrap();
        let base = json!({"host": "h", "dbname": "d"});
        let with = |mode: Value| {
            let mut secrets = base.clone();
            secrets["ssl_mode"] = mode;
            kind.check(secrets).map(|s| s["ssl_mode"].clone())
        };
        assert_eq!(with(json!("")).unwrap(), "preferred");
        assert_eq!(with(json!("REQUIRED")).unwrap(), "required");
        assert_eq!(with(json!("verify_identity")).unwrap(), "verify_identity");
        assert_eq!(with(Value::Null).unwrap(), "preferred");
        assert!(with(json!("verify-full")).is_err());
    }
}
