//! Connection secrets: checked by their store type ([`connectors::registry`]), sealed at rest
//! with the application key, masked in responses, and a real connection test that reports the
//! driver's reason.

use connectors::{Connector, Kind};
use crypto::AppKey;

use super::model::ConnectionType;
use super::repo::ConnectionRow;
use crate::error::{DsrError, Result, StoreError};

/// Secrets a store type accepted: complete (defaults filled in), as stored.
#[derive(Clone)]
pub struct Secrets {
    kind: &'static Kind,
    value: serde_json::Value,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").field("kind", &self.kind.identifier).field("value", &self.masked()).finish()
    }
}

impl Secrets {
    /// Checks the secrets of a connection type; every problem is named, located relative to
    /// the secrets object.
    pub fn parse(connection_type: ConnectionType, value: serde_json::Value) -> Result<Secrets> {
        let kind = kind(connection_type)?;
        let value = kind.check(value).map_err(DsrError::Invalid)?;
        Ok(Secrets { kind, value })
    }

    /// The secrets as stored (JSON, before sealing).
    pub fn to_json(&self) -> &serde_json::Value {
        &self.value
    }

    /// The secrets as shown: sensitive values masked.
    pub fn masked(&self) -> serde_json::Value {
        self.kind.masked(&self.value)
    }

    /// A connector for these secrets; nothing is opened yet.
    pub fn connector(&self) -> std::result::Result<Box<dyn Connector>, StoreError> {
        self.kind.open(&self.value)
    }

    /// Connects and runs a trivial query; `Err` carries the driver's reason.
    pub fn test(&self) -> std::result::Result<(), StoreError> {
        self.connector()?.test()
    }
}

/// The store type of a connection type; manual connections have none.
fn kind(connection_type: ConnectionType) -> Result<&'static Kind> {
    connection_type.store_kind().ok_or_else(|| {
        DsrError::invalid(Vec::new(), "manual_request connections take no secrets: people upload their data")
    })
}

/// The secrets sealed with the application key, as stored.
pub(crate) fn seal(key: &AppKey, secrets: &Secrets) -> Result<Vec<u8>> {
    let plain = serde_json::to_vec(secrets.to_json()).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))?;
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
    fn secrets_are_checked_per_type_and_completed() {
        let pg = Secrets::parse(
            ConnectionType::Postgres,
            serde_json::json!({"host": "db", "dbname": "shop", "password": "pw"}),
        )
        .unwrap();
        assert_eq!(pg.to_json()["port"], 5432);
        assert_eq!(pg.to_json()["ssl_mode"], "prefer");
        let Err(DsrError::Invalid(problems)) =
            Secrets::parse(ConnectionType::Postgres, serde_json::json!({"dbname": "x"}))
        else {
            panic!("missing host accepted")
        };
        assert_eq!(problems[0].msg, "missing field `host`");
        let Err(DsrError::Invalid(problems)) =
            Secrets::parse(ConnectionType::Sqlite, serde_json::json!({"path": "/x", "host": "y"}))
        else {
            panic!("unknown field accepted")
        };
        assert!(problems[0].msg.contains("unknown field"));
        assert!(Secrets::parse(ConnectionType::Sqlite, serde_json::json!({"path": " "})).is_err());
        assert!(Secrets::parse(ConnectionType::ManualRequest, serde_json::json!({})).is_err());
    }

    #[test]
    fn sensitive_values_are_masked() {
        let secrets = Secrets::parse(
            ConnectionType::Mariadb,
            serde_json::json!({"host": "db", "dbname": "shop", "password": "hunter2"}),
        )
        .unwrap();
        let masked = secrets.masked();
        assert_eq!(masked["password"], "**********");
        assert_eq!(masked["host"], "db");
        assert!(!masked.to_string().contains("hunter2"));
        assert!(!format!("{secrets:?}").contains("hunter2"));
    }
}
