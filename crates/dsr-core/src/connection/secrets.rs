//! Connection secrets: validated per connection type, sealed at rest with the application key,
//! masked in responses, and a real connection test that reports the driver's reason.

use crypto::AppKey;
use diesel::connection::SimpleConnection;
use diesel::{Connection as _, PgConnection, RunQueryDsl, SqliteConnection};
use serde::{Deserialize, Serialize};

use super::model::ConnectionType;
use super::repo::ConnectionRow;
use crate::error::{DsrError, Result, StoreError};

/// Secrets of a PostgreSQL connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSecrets {
    /// Host name or address.
    pub host: String,
    /// Port (default 5432).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Database name.
    pub dbname: String,
    /// User (default `postgres`).
    #[serde(default)]
    pub username: Option<String>,
    /// Password.
    #[serde(default)]
    pub password: Option<String>,
    /// Schema the datasets' collections live in (default: the search path).
    #[serde(default)]
    pub db_schema: Option<String>,
}

fn default_port() -> u16 {
    5432
}

/// Secrets of a SQLite connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqliteSecrets {
    /// Path of an existing database file.
    pub path: String,
}

/// Validated secrets of either type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secrets {
    /// PostgreSQL.
    Postgres(PostgresSecrets),
    /// SQLite.
    Sqlite(SqliteSecrets),
}

/// Fields never shown again once stored.
const SENSITIVE: &[&str] = &["password"];

const MASK: &str = "**********";

impl Secrets {
    /// Parses the secrets of a connection type; the error names the problem.
    pub fn parse(connection_type: ConnectionType, value: serde_json::Value) -> Result<Secrets> {
        let message = |e: serde_json::Error| {
            let text = e.to_string();
            DsrError::invalid(Vec::new(), text.split(" at line ").next().unwrap_or(&text))
        };
        let secrets = match connection_type {
            ConnectionType::Postgres => Secrets::Postgres(serde_json::from_value(value).map_err(message)?),
            ConnectionType::Sqlite => Secrets::Sqlite(serde_json::from_value(value).map_err(message)?),
            ConnectionType::ManualRequest => {
                return Err(DsrError::invalid(
                    Vec::new(),
                    "manual_request connections take no secrets: people upload their data",
                ));
            }
        };
        match &secrets {
            Secrets::Postgres(pg) if pg.host.trim().is_empty() || pg.dbname.trim().is_empty() => {
                Err(DsrError::invalid(Vec::new(), "host and dbname must not be empty"))
            }
            Secrets::Sqlite(sqlite) if sqlite.path.trim().is_empty() => {
                Err(DsrError::invalid(Vec::new(), "path must not be empty"))
            }
            _ => Ok(secrets),
        }
    }

    /// The secrets as stored (JSON, before sealing).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Secrets::Postgres(pg) => serde_json::to_value(pg),
            Secrets::Sqlite(sqlite) => serde_json::to_value(sqlite),
        }
        .unwrap_or_default()
    }

    /// The secrets as shown: sensitive values masked.
    pub fn masked(&self) -> serde_json::Value {
        let mut value = self.to_json();
        if let Some(object) = value.as_object_mut() {
            for field in SENSITIVE {
                if object.get(*field).is_some_and(|v| !v.is_null()) {
                    object.insert((*field).to_owned(), serde_json::Value::String(MASK.to_owned()));
                }
            }
        }
        value
    }

    /// Connects and runs a trivial query; `Err` carries the driver's reason.
    pub fn test(&self) -> std::result::Result<(), StoreError> {
        match self {
            Secrets::Postgres(pg) => {
                let mut conn = PgConnection::establish(&pg.connection_string()).map_err(StoreError::from_driver)?;
                conn.batch_execute("SELECT 1").map_err(StoreError::from_driver)?;
                if let Some(schema) = &pg.db_schema {
                    let found: i64 = diesel::sql_query(
                        "SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = $1",
                    )
                    .bind::<diesel::sql_types::Text, _>(schema)
                    .get_result::<Count>(&mut conn)
                    .map_err(StoreError::from_driver)?
                    .n;
                    if found == 0 {
                        return Err(StoreError(format!("schema \"{schema}\" does not exist")));
                    }
                }
                Ok(())
            }
            Secrets::Sqlite(sqlite) => {
                let mut conn = sqlite.open()?;
                // Reading the schema fails on a file that is not a SQLite database.
                conn.batch_execute("SELECT count(*) FROM sqlite_master").map_err(StoreError::from_driver)
            }
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl PostgresSecrets {
    /// A libpq keyword/value connection string (values quoted, so any character is safe).
    pub fn connection_string(&self) -> String {
        let mut parts = vec![
            format!("host={}", quote(&self.host)),
            format!("port={}", self.port),
            format!("dbname={}", quote(&self.dbname)),
            format!("user={}", quote(self.username.as_deref().unwrap_or("postgres"))),
            "connect_timeout=5".to_owned(),
        ];
        if let Some(password) = &self.password {
            parts.push(format!("password={}", quote(password)));
        }
        parts.join(" ")
    }
}

impl SqliteSecrets {
    /// Opens the existing database read-write; never creates a file.
    pub fn open(&self) -> std::result::Result<SqliteConnection, StoreError> {
        let path = std::path::Path::new(&self.path);
        if !path.is_file() {
            return Err(StoreError(format!("no SQLite database file at {}", self.path)));
        }
        let encoded: String = self
            .path
            .chars()
            .map(|c| match c {
                '%' => "%25".to_owned(),
                '?' => "%3f".to_owned(),
                '#' => "%23".to_owned(),
                other => other.to_string(),
            })
            .collect();
        SqliteConnection::establish(&format!("file:{encoded}?mode=rw")).map_err(StoreError::from_driver)
    }
}

/// The secrets sealed with the application key, as stored.
pub(crate) fn seal(key: &AppKey, secrets: &Secrets) -> Result<Vec<u8>> {
    let plain = serde_json::to_vec(&secrets.to_json()).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))?;
    Ok(crypto::seal(key, &plain))
}

/// A connection's secrets, opened with the application key.
pub(crate) fn open(key: &AppKey, row: &ConnectionRow) -> Result<Option<Secrets>> {
    let Some(sealed) = &row.secrets else { return Ok(None) };
    let corrupt = |what: &str| DsrError::Db(db::DbError::Corrupt(format!("secrets of connection {}: {what}", row.key)));
    let plain = crypto::open(key, sealed)
        .map_err(|e| corrupt(&format!("cannot be decrypted with the current app key ({e})")))?;
    let value: serde_json::Value = serde_json::from_slice(&plain).map_err(|e| corrupt(&format!("not JSON ({e})")))?;
    Secrets::parse(row.connection_type, value).map(Some).map_err(|e| corrupt(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_validated_per_type() {
        let pg = Secrets::parse(
            ConnectionType::Postgres,
            serde_json::json!({"host": "db", "dbname": "shop", "password": "pw"}),
        )
        .unwrap();
        let Secrets::Postgres(pg) = pg else { panic!() };
        assert_eq!(pg.port, 5432);
        assert_eq!(
            Secrets::parse(ConnectionType::Postgres, serde_json::json!({"dbname": "x"})).unwrap_err().to_string(),
            "missing field `host`"
        );
        assert!(
            Secrets::parse(ConnectionType::Sqlite, serde_json::json!({"path": "/x", "host": "y"}))
                .unwrap_err()
                .to_string()
                .contains("unknown field")
        );
        assert!(Secrets::parse(ConnectionType::Sqlite, serde_json::json!({"path": " "})).is_err());
    }

    #[test]
    fn sensitive_values_are_masked() {
        let secrets = Secrets::parse(
            ConnectionType::Postgres,
            serde_json::json!({"host": "db", "dbname": "shop", "password": "hunter2"}),
        )
        .unwrap();
        let masked = secrets.masked();
        assert_eq!(masked["password"], "**********");
        assert_eq!(masked["host"], "db");
        assert!(!masked.to_string().contains("hunter2"));
    }

    #[test]
    fn connection_strings_quote_every_value() {
        let pg = PostgresSecrets {
            host: "db".into(),
            port: 5433,
            dbname: "shop".into(),
            username: Some("o'brien".into()),
            password: Some("p w\\x".into()),
            db_schema: None,
        };
        assert_eq!(
            pg.connection_string(),
            "host='db' port=5433 dbname='shop' user='o\\'brien' connect_timeout=5 password='p w\\\\x'"
        );
    }

    #[test]
    fn sqlite_test_fails_for_missing_or_foreign_files_and_creates_nothing() {
        let dir = std::env::temp_dir().join(format!("lethe-conn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.db");
        let secrets = Secrets::Sqlite(SqliteSecrets { path: missing.display().to_string() });
        assert!(secrets.test().unwrap_err().0.contains("no SQLite database file"));
        assert!(!missing.exists());
        let text = dir.join("notes.txt");
        std::fs::write(&text, "definitely not a database, just some text long enough to fill a header").unwrap();
        let secrets = Secrets::Sqlite(SqliteSecrets { path: text.display().to_string() });
        assert!(secrets.test().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
