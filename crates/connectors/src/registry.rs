//! The store types Lethe reaches, one line each in [`KINDS`]. A type is its secrets struct:
//! serde says how they are read, schemars gives the JSON schema clients build forms from
//! (`"sensitive": true` marks values never shown again), and [`StoreSecrets`] checks what types
//! cannot say and opens the connector.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use validation::{Loc, Problem};

use crate::{Connector, ConnectorError, mysql, postgres, sqlite};

/// Every store type, in the order they are listed to clients.
pub static KINDS: [Kind; 4] = [
    Kind::of::<postgres::PostgresSecrets>("postgres", "PostgreSQL"),
    Kind::of::<mysql::MysqlSecrets>("mysql", "MySQL"),
    Kind::of::<mysql::MariadbSecrets>("mariadb", "MariaDB"),
    Kind::of::<sqlite::SqliteSecrets>("sqlite", "SQLite"),
];

/// The store type named `identifier`.
pub fn find(identifier: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.identifier == identifier)
}

/// What a store type's secrets are and do.
pub trait StoreSecrets: DeserializeOwned + Serialize + JsonSchema {
    /// Adjusts the secrets as sent before they are read (accepting another product's spelling).
    fn prepare(_value: &mut Value) {}

    /// What the types cannot say: empty required values, a CA that is not a certificate.
    fn problems(&self) -> Vec<Problem>;

    /// A connector for these secrets; nothing is opened yet.
    fn open(self) -> Result<Box<dyn Connector>, ConnectorError>;
}

/// A store type.
pub struct Kind {
    /// The `connection_type` value.
    pub identifier: &'static str,
    /// Its name for people.
    pub human_readable: &'static str,
    check: fn(Value) -> Result<Value, Vec<Problem>>,
    open: fn(&Value) -> Result<Box<dyn Connector>, ConnectorError>,
    schema: fn(&str) -> Value,
    /// The schema, built once: masking reads its `sensitive` flags for every connection shown.
    built: OnceLock<Value>,
}

/// What sensitive values are shown as.
pub const MASK: &str = "**********";

impl Kind {
    const fn of<S: StoreSecrets>(identifier: &'static str, human_readable: &'static str) -> Kind {
        Kind {
            identifier,
            human_readable,
            check: check::<S>,
            open: open::<S>,
            schema: schema::<S>,
            built: OnceLock::new(),
        }
    }

    /// The secrets as stored: read, checked and completed with defaults; every problem found,
    /// each located relative to the secrets object.
    pub fn check(&self, secrets: Value) -> Result<Value, Vec<Problem>> {
        (self.check)(secrets)
    }

    /// A connector for secrets [`Kind::check`] accepted.
    pub fn open(&self, secrets: &Value) -> Result<Box<dyn Connector>, ConnectorError> {
        (self.open)(secrets)
    }

    /// The JSON schema of the secrets (`required`, `sensitive` flags, enumerations, defaults).
    pub fn secrets_schema(&self) -> Value {
        self.schema_ref().clone()
    }

    fn schema_ref(&self) -> &Value {
        self.built.get_or_init(|| (self.schema)(self.human_readable))
    }

    /// The secrets with sensitive values replaced by [`MASK`].
    pub fn masked(&self, secrets: &Value) -> Value {
        let schema = self.schema_ref();
        let mut shown = secrets.clone();
        if let (Some(object), Some(properties)) = (shown.as_object_mut(), schema["properties"].as_object()) {
            for (name, property) in properties {
                if property["sensitive"] == true && object.get(name).is_some_and(|v| !v.is_null()) {
                    object.insert(name.clone(), Value::String(MASK.to_owned()));
                }
            }
        }
        shown
    }
}

fn check<S: StoreSecrets>(mut value: Value) -> Result<Value, Vec<Problem>> {
    S::prepare(&mut value);
    let secrets: S = serde_path_to_error::deserialize(value).map_err(|e| vec![problem(&e)])?;
    let problems = secrets.problems();
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::to_value(&secrets).map_err(|e| vec![Problem::new(Vec::new(), e.to_string())])
}

pub(crate) fn problem(e: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let mut loc: Vec<Loc> = e
        .path()
        .iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(Loc::from(key.as_str())),
            serde_path_to_error::Segment::Seq { index } => Some(Loc::from(*index)),
            _ => None,
        })
        .collect();
    let message = e.inner().to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    let named = |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).map(str::to_owned);
    if let Some(field) = named("missing field `") {
        loc.push(Loc::from(field));
        return Problem::new(loc, message).of_kind(validation::problem::MISSING);
    }
    if let Some(field) = named("unknown field `")
        && loc.last() != Some(&Loc::from(field.as_str()))
    {
        loc.push(Loc::from(field));
    }
    let kind = if message.starts_with("unknown variant") {
        validation::problem::ENUM
    } else {
        validation::problem::VALUE_ERROR
    };
    Problem::new(loc, message).of_kind(kind)
}

fn open<S: StoreSecrets>(value: &Value) -> Result<Box<dyn Connector>, ConnectorError> {
    let secrets: S =
        serde_json::from_value(value.clone()).map_err(|e| ConnectorError(format!("secrets do not fit: {e}")))?;
    secrets.open()
}

fn schema<S: StoreSecrets>(human_readable: &str) -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<S>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.insert("title".into(), Value::String(format!("{human_readable} secrets")));
        object.entry("required").or_insert_with(|| Value::Array(Vec::new()));
    }
    schema
}

/// Problems of required text values that are empty (or only spaces).
pub(crate) fn not_empty(values: &[(&str, &str)]) -> Vec<Problem> {
    values
        .iter()
        .filter(|(_, value)| value.trim().is_empty())
        .map(|(name, _)| Problem::new(validation::loc![*name], format!("{name} must not be empty")))
        .collect()
}

/// The problem of a CA certificate that is not one.
pub(crate) fn root_cert_problem(pem: Option<&str>) -> Option<Problem> {
    let problem = crate::tls::pem_problem(pem?)?;
    Some(Problem::new(validation::loc!["ssl_root_cert"], format!("ssl_root_cert {problem}")))
}

/// An open connector and the fingerprint of the secrets it was opened with.
type Open = (Vec<u8>, Arc<dyn Connector>);

/// Open connectors by connection key, replaced when a connection's secrets change. A handle:
/// clones share the same connectors (the request engine opens them, the connection service
/// closes them).
#[derive(Clone, Default)]
pub struct Stores {
    open: Arc<Mutex<HashMap<String, Open>>>,
}

impl Stores {
    /// Closes the pooled connections of `connection` (deleted, or given new secrets).
    pub fn close(&self, connection: &str) {
        let closed = self.open.lock().ok().and_then(|mut open| open.remove(connection));
        if let Some((_, connector)) = closed {
            connector.close();
        }
    }

    /// Closes every pooled connection (another process changed a connection).
    pub fn close_all(&self) {
        let closed: Vec<Open> = match self.open.lock() {
            Ok(mut open) => open.drain().map(|(_, open)| open).collect(),
            Err(_) => return,
        };
        for (_, connector) in closed {
            connector.close();
        }
    }

    /// The connector of `connection`, reusing the open one while `fingerprint` (the sealed
    /// secrets) is unchanged.
    pub fn get(
        &self,
        connection: &str,
        fingerprint: &[u8],
        open: impl FnOnce() -> Result<Box<dyn Connector>, ConnectorError>,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let Ok(mut cache) = self.open.lock() else { return open().map(Arc::from) };
        if let Some((seen, connector)) = cache.get(connection)
            && seen.as_slice() == fingerprint
        {
            return Ok(Arc::clone(connector));
        }
        let connector: Arc<dyn Connector> = Arc::from(open()?);
        if let Some((_, replaced)) = cache.insert(connection.to_owned(), (fingerprint.to_vec(), Arc::clone(&connector)))
        {
            replaced.close();
        }
        Ok(connector)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn identifiers_are_unique_and_found() {
        let mut seen: Vec<&str> = KINDS.iter().map(|k| k.identifier).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), KINDS.len());
        assert_eq!(find("mysql").map(|k| k.human_readable), Some("MySQL"));
        assert!(find("oracle").is_none());
    }

    #[test]
    fn problems_name_the_field() {
        let pg = find("postgres").unwrap();
        let missing = pg.check(json!({"dbname": "x"})).unwrap_err();
        assert_eq!(missing[0].loc, validation::loc!["host"]);
        assert_eq!(missing[0].kind, "missing");
        let unknown = pg.check(json!({"host": "h", "dbname": "x", "colour": 1})).unwrap_err();
        assert_eq!(unknown[0].loc, validation::loc!["colour"]);
        let mode = pg.check(json!({"host": "h", "dbname": "x", "ssl_mode": "verify_full"})).unwrap_err();
        assert_eq!(mode[0].loc, validation::loc!["ssl_mode"]);
        assert!(mode[0].msg.contains("verify-full"), "{}", mode[0].msg);
        let port = pg.check(json!({"host": "h", "dbname": "x", "port": 70000})).unwrap_err();
        assert_eq!(port[0].loc, validation::loc!["port"]);
        let empty = pg.check(json!({"host": " ", "dbname": ""})).unwrap_err();
        assert_eq!(empty.len(), 2);
        let ca = pg.check(json!({"host": "h", "dbname": "x", "ssl_root_cert": "hello"})).unwrap_err();
        assert_eq!(ca[0].loc, validation::loc!["ssl_root_cert"]);
    }

    #[test]
    fn sensitive_values_are_masked_per_schema() {
        let pg = find("postgres").unwrap();
        let secrets = pg.check(json!({"host": "db", "dbname": "shop", "password": "hunter2"})).unwrap();
        let masked = pg.masked(&secrets);
        assert_eq!(masked["password"], MASK);
        assert_eq!(masked["host"], "db");
        assert_eq!(masked["ssl_root_cert"], Value::Null);
        assert!(!masked.to_string().contains("hunter2"));
    }
}
