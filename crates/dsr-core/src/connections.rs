//! Connections to the subject's data stores: types, secrets (validated per type, sealed at rest,
//! masked in responses) and a real connection test.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection as _, PgConnection, RunQueryDsl, SqliteConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

db::text_enum! {
    /// Kind of data store.
    pub enum ConnectionType {
        /// A PostgreSQL database.
        Postgres => "postgres",
        /// A SQLite database file.
        Sqlite => "sqlite",
        /// Data a person looks up and uploads per request (Fides' `manual_webhook` is an alias).
        ManualRequest => "manual_request" | "manual_webhook",
    }
}

db::text_enum! {
    /// What Lethe may do through a connection.
    pub enum AccessLevel {
        /// Access requests only.
        Read => "read",
        /// Access and erasure.
        Write => "write",
    }
}

/// A bulk body of connections.
pub type ConnectionList = crate::model::BulkBody<ConnectionCreate>;

/// A connection to create or update (by key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConnectionCreate {
    /// Unique key; derived from `name` when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// `postgres`, `sqlite` or `manual_request`.
    pub connection_type: ConnectionType,
    /// `read` or `write`.
    pub access: AccessLevel,
    /// Leave out of request execution.
    #[serde(default)]
    pub disabled: bool,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A connection as returned: secrets masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Connection {
    /// Unique key.
    pub key: String,
    /// Name.
    pub name: String,
    /// `postgres` or `sqlite`.
    pub connection_type: ConnectionType,
    /// `read` or `write`.
    pub access: AccessLevel,
    /// Left out of request execution.
    pub disabled: bool,
    /// Description.
    pub description: Option<String>,
    /// The secrets with sensitive values replaced by `**********`; null until set.
    #[schema(value_type = Option<Object>)]
    pub secrets: Option<serde_json::Value>,
    /// When the connection was last tested.
    pub last_test_timestamp: Option<DateTime<Utc>>,
    /// Whether that test succeeded.
    pub last_test_succeeded: Option<bool>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

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
    pub fn parse(connection_type: ConnectionType, value: serde_json::Value) -> Result<Secrets, String> {
        let message = |e: serde_json::Error| {
            let text = e.to_string();
            text.split(" at line ").next().unwrap_or(&text).to_owned()
        };
        let secrets = match connection_type {
            ConnectionType::Postgres => Secrets::Postgres(serde_json::from_value(value).map_err(message)?),
            ConnectionType::Sqlite => Secrets::Sqlite(serde_json::from_value(value).map_err(message)?),
            ConnectionType::ManualRequest => {
                return Err("manual_request connections take no secrets: people upload their data".to_owned());
            }
        };
        match &secrets {
            Secrets::Postgres(pg) if pg.host.trim().is_empty() || pg.dbname.trim().is_empty() => {
                Err("host and dbname must not be empty".to_owned())
            }
            Secrets::Sqlite(sqlite) if sqlite.path.trim().is_empty() => Err("path must not be empty".to_owned()),
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
    pub fn test(&self) -> Result<(), String> {
        match self {
            Secrets::Postgres(pg) => {
                let mut conn = PgConnection::establish(&pg.connection_string()).map_err(|e| e.to_string())?;
                conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
                if let Some(schema) = &pg.db_schema {
                    let found: i64 = diesel::sql_query(
                        "SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = $1",
                    )
                    .bind::<diesel::sql_types::Text, _>(schema)
                    .get_result::<Count>(&mut conn)
                    .map_err(|e| e.to_string())?
                    .n;
                    if found == 0 {
                        return Err(format!("schema \"{schema}\" does not exist"));
                    }
                }
                Ok(())
            }
            Secrets::Sqlite(sqlite) => {
                let mut conn = sqlite.open()?;
                // Reading the schema fails on a file that is not a SQLite database.
                conn.batch_execute("SELECT count(*) FROM sqlite_master").map_err(|e| e.to_string())
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
    pub fn open(&self) -> Result<SqliteConnection, String> {
        let path = std::path::Path::new(&self.path);
        if !path.is_file() {
            return Err(format!("no SQLite database file at {}", self.path));
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
        SqliteConnection::establish(&format!("file:{encoded}?mode=rw")).map_err(|e| e.to_string())
    }
}

db::text_enum! {
    /// Outcome of a connection test.
    pub enum TestStatus {
        /// Connected.
        Succeeded => "succeeded",
        /// Could not connect; see `failure_reason`.
        Failed => "failed",
    }
}

/// Answer of a secrets update or a connection test (Fides' `TestStatusMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TestResult {
    /// What was done.
    pub msg: String,
    /// The test's outcome; null when no test ran.
    pub test_status: Option<TestStatus>,
    /// The driver's reason when the test failed.
    pub failure_reason: Option<String>,
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
            Secrets::parse(ConnectionType::Postgres, serde_json::json!({"dbname": "x"})).unwrap_err(),
            "missing field `host`"
        );
        assert!(
            Secrets::parse(ConnectionType::Sqlite, serde_json::json!({"path": "/x", "host": "y"}))
                .unwrap_err()
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
        assert!(secrets.test().unwrap_err().contains("no SQLite database file"));
        assert!(!missing.exists());
        let text = dir.join("notes.txt");
        std::fs::write(&text, "definitely not a database, just some text long enough to fill a header").unwrap();
        let secrets = Secrets::Sqlite(SqliteSecrets { path: text.display().to_string() });
        assert!(secrets.test().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
