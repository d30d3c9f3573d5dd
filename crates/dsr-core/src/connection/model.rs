//! Wire types of connections.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bulk::BulkBody;

db::text_enum! {
    /// Kind of data store.
    pub enum ConnectionType {
        /// A PostgreSQL database.
        Postgres => "postgres",
        /// A MySQL database.
        Mysql => "mysql",
        /// A MariaDB database.
        Mariadb => "mariadb",
        /// A SQLite database file.
        Sqlite => "sqlite",
        /// An HTTP API described by a Fides `saas_config` (Stripe, Mailchimp, HubSpot, …).
        Saas => "saas",
        /// Data a person looks up and uploads per request (Fides' `manual_webhook` is an alias).
        ManualRequest => "manual_request" | "manual_webhook",
        /// An HTTPS endpoint policy webhooks call before or after a request runs (no data of
        /// its own).
        Https => "https",
    }
}

impl ConnectionType {
    /// The database type behind a connection of this type; `None` for manual and SaaS
    /// connections (a SaaS connection's secrets follow its `saas_config`).
    pub fn store_kind(self) -> Option<&'static connectors::Kind> {
        match self {
            ConnectionType::ManualRequest | ConnectionType::Saas | ConnectionType::Https => None,
            store => connectors::registry::find(store.as_str()),
        }
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
pub type ConnectionList = BulkBody<ConnectionCreate>;

/// A connection to create or update (by key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConnectionCreate {
    /// Unique key; derived from `name` when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// `postgres`, `mysql`, `mariadb`, `sqlite`, `saas`, `manual_request` or `https`.
    pub connection_type: ConnectionType,
    /// `read` or `write`.
    pub access: AccessLevel,
    /// Leave out of request execution.
    #[serde(default)]
    pub disabled: bool,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// With `connection_type: saas`, a template (`stripe`, `hubspot`, …): a new key creates
    /// the connection and its dataset from it, as `POST /connection/instantiate/{type}` does.
    #[serde(default)]
    pub saas_connector_type: Option<String>,
    /// Secrets to check and store with the connection (as `PUT …/secret`); never echoed back,
    /// not even in `failed`.
    #[serde(default, skip_serializing_if = "never_shown")]
    #[schema(value_type = Option<Object>)]
    pub secrets: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Secrets given with a connection are never serialized back (bulk failures echo the item).
fn never_shown(_: &Option<serde_json::Map<String, serde_json::Value>>) -> bool {
    true
}

/// A connection as returned: secrets masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Connection {
    /// Unique key.
    pub key: String,
    /// Name.
    pub name: String,
    /// `postgres`, `mysql`, `mariadb`, `sqlite`, `saas`, `manual_request` or `https`.
    pub connection_type: ConnectionType,
    /// `read` or `write`.
    pub access: AccessLevel,
    /// Left out of request execution.
    pub disabled: bool,
    /// Description.
    pub description: Option<String>,
    /// Which API a `saas` connection calls (null until its `saas_config` is set).
    pub saas_config: Option<SaasConfigSummary>,
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

/// The `saas_config` of a connection, in short (Fides' `SaaSConfigBase`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SaasConfigSummary {
    /// The dataset the config's endpoints belong to.
    pub fides_key: String,
    /// The API's name.
    pub name: String,
    /// The connector type (the template it came from).
    #[serde(rename = "type")]
    pub kind: String,
}

/// Body of `POST /connection/instantiate/{saas_connector_type}` (Fides' `SaasConnectionTemplateValues`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaasInstance {
    /// Key of the dataset (and of the connection, unless `key` is given).
    pub instance_key: String,
    /// The connection's secrets, checked against the template's connector params.
    #[schema(value_type = Object)]
    pub secrets: serde_json::Map<String, serde_json::Value>,
    /// Connection name (default: the template's name).
    #[serde(default)]
    pub name: Option<String>,
    /// Connection key (default: `instance_key`).
    #[serde(default)]
    pub key: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

db::text_enum! {
    /// Outcome of a connection test.
    pub enum TestStatus {
        /// Connected.
        Succeeded => "succeeded",
        /// Could not connect; see `failure_reason`.
        Failed => "failed",
        /// Nothing to test: an `https` connection is only called by policy webhooks.
        Skipped => "skipped",
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
    fn every_store_type_of_the_registry_is_a_connection_type_and_back() {
        let registered: Vec<&str> = connectors::registry::KINDS.iter().map(|k| k.identifier).collect();
        let stores: Vec<&str> =
            ConnectionType::ALL.iter().filter(|t| t.store_kind().is_some()).map(|t| t.as_str()).collect();
        let mut sorted_registered = registered.clone();
        sorted_registered.sort_unstable();
        let mut sorted_stores = stores.clone();
        sorted_stores.sort_unstable();
        assert_eq!(sorted_registered, sorted_stores);
        for store in stores {
            assert!(ConnectionType::parse(store).and_then(ConnectionType::store_kind).is_some(), "{store}");
        }
    }
}
