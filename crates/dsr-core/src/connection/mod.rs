//! Connections to the subject's data stores (PostgreSQL, MySQL/MariaDB, SQLite, SaaS APIs
//! described by a `saas_config`, and `manual_request`
//! connections a person answers): secrets validated per type, sealed with the application key
//! (AES-256-GCM), masked in every response, and a real connection test that reports the
//! driver's reason. Open customer stores ([`Stores`]) are closed as soon as their connection is
//! deleted or given new secrets; [`CONNECTIONS_TOPIC`] tells other gateway processes.

pub(crate) mod model;
mod oauth;
pub(crate) mod repo;
mod saas;
pub mod secrets;
pub mod types;

use crypto::AppKey;
use db::Database;
use db::changes::ChangeFeed;

pub use model::{
    AccessLevel, Connection, ConnectionCreate, ConnectionList, ConnectionType, SaasConfigSummary, SaasInstance,
    TestResult, TestStatus,
};
pub use oauth::OAuthCallback;
pub(crate) use oauth::save_renewed;
pub use saas::{Instantiated, SaasValidation};
pub use types::{ConnectionTypeInfo, SystemType, connection_types, secrets_schema};

use crate::bulk::{BulkResponse, ItemError, MAX_BULK, refuse, save_each};
use crate::error::{DsrError, Result};
use crate::keys;
use crate::page::{FidesPage, PageRequest};
use connectors::Stores;
use connectors::saas::SaasConfig;
use connectors::saas::client::SharedClient;
use repo::{ConnectionId, ConnectionRow};
use secrets::Secrets;

/// An item's refusal: what was wrong with it, unless Lethe's own database failed.
fn refused(e: DsrError) -> ItemError {
    match e {
        DsrError::Db(_) => ItemError::Failed(e),
        other => ItemError::Refused(other.to_string()),
    }
}

/// Change-feed topic: a connection was deleted or got new secrets; other processes close their
/// stores (they reopen with the current secrets when next needed).
pub const CONNECTIONS_TOPIC: &str = "connections";

/// Connections to the subject's data stores.
pub trait ConnectionService: Send + Sync {
    /// Creates or updates connections by key (at most 50); changing a connection's type clears
    /// its secrets.
    fn upsert_connections(&self, items: Vec<ConnectionCreate>) -> Result<BulkResponse<Connection>>;
    /// A page of connections (secrets masked), by key.
    fn list_connections(&self, page: PageRequest) -> Result<FidesPage<Connection>>;
    /// One connection (secrets masked).
    fn get_connection(&self, key: &str) -> Result<Connection>;
    /// Deletes a connection with its datasets.
    fn delete_connection(&self, key: &str) -> Result<()>;
    /// Replaces a connection's secrets (validated for its type); `verify` tests them too.
    fn set_connection_secrets(&self, key: &str, secrets: serde_json::Value, verify: bool) -> Result<TestResult>;
    /// Connects with the stored secrets and reports the outcome (a SaaS connection runs its
    /// config's `test_request`).
    fn test_connection(&self, key: &str) -> Result<TestResult>;
    /// Sets (or replaces) the `saas_config` of a `saas` connection; the config is checked
    /// strictly and returned as stored.
    fn set_saas_config(&self, key: &str, config: serde_json::Value) -> Result<SaasConfig>;
    /// The `saas_config` of a connection.
    fn get_saas_config(&self, key: &str) -> Result<SaasConfig>;
    /// Removes the `saas_config` of a connection with no dataset of the config's key and no
    /// secrets.
    fn delete_saas_config(&self, key: &str) -> Result<()>;
    /// Checks a config without storing it.
    fn validate_saas_config(&self, config: serde_json::Value) -> Result<SaasValidation>;
    /// Creates a `saas` connection and its dataset from the shipped template `kind`, with
    /// checked secrets, in one transaction.
    fn instantiate(&self, kind: &str, instance: SaasInstance) -> Result<Instantiated>;
    /// The authorize page of an `oauth2_authorization_code` connection (a fresh state, used
    /// once, valid ten minutes); `referer` is where the person is sent back afterwards.
    fn authorize_url(&self, key: &str, referer: Option<String>) -> Result<String>;
    /// Completes an authorization: the `code` exchanged for tokens (stored sealed), then the
    /// connection tested.
    fn oauth_callback(&self, code: &str, state: &str) -> Result<OAuthCallback>;
}

/// [`ConnectionService`] over the database; secrets are sealed with the application key.
pub struct DieselConnectionService {
    db: Database,
    key: AppKey,
    /// The request service's open stores, closed here when their connection changes.
    stores: Stores,
    /// The client SaaS connection tests call their APIs with.
    saas: SharedClient,
    taxonomy: crate::Taxonomy,
}

impl DieselConnectionService {
    /// A service over `db`, sealing secrets with `key`.
    pub fn new(db: Database, key: AppKey) -> DieselConnectionService {
        DieselConnectionService {
            db,
            key,
            stores: Stores::default(),
            saas: SharedClient::default(),
            taxonomy: crate::Taxonomy::embedded(),
        }
    }

    /// Tests SaaS connections through `client` (the request service's, so both apply the same
    /// allowed hosts, roots and limits).
    pub fn with_saas_client(mut self, client: SharedClient) -> DieselConnectionService {
        self.saas = client;
        self
    }

    /// Closes `stores` (the request service's, [`crate::DieselRequestService::stores`]) when a
    /// connection is deleted or given new secrets.
    pub fn with_stores(mut self, stores: Stores) -> DieselConnectionService {
        self.stores = stores;
        self
    }

    fn to_connection(&self, row: ConnectionRow) -> Result<Connection> {
        view(&self.key, row)
    }

    /// Saves a connection whose secrets or config changed, tells the other processes, and closes
    /// what was opened with the old ones now rather than when the next request notices.
    fn save_changed(&self, row: &mut ConnectionRow) -> Result<()> {
        row.updated_at = db::now();
        self.db.conn()?.write_transaction(|c| {
            repo::save_connection(c, row, true)?;
            ChangeFeed::publish(c, CONNECTIONS_TOPIC)?;
            Ok::<_, DsrError>(())
        })?;
        self.stores.close(&row.key);
        Ok(())
    }

    /// Runs the test, records its outcome on the connection and words the answer.
    fn run_test(&self, row: &ConnectionRow, secrets: &Secrets, msg: String) -> Result<TestResult> {
        if !secrets.testable() {
            return Ok(TestResult { msg, test_status: Some(TestStatus::Skipped), failure_reason: None });
        }
        let connector = secrets.connector(&self.saas);
        let outcome = connector.as_ref().map_err(Clone::clone).and_then(|c| c.test());
        // A token the test fetched or refreshed is kept (an API may have rotated the refresh token).
        if let Some(renewed) = connector.as_ref().ok().and_then(|c| c.renewed_secrets()) {
            save_renewed(&self.db, &self.key, &row.key, renewed)?;
        }
        repo::record_test(&mut *self.db.conn()?, &row.id, outcome.is_ok())?;
        Ok(match outcome {
            Ok(()) => TestResult { msg, test_status: Some(TestStatus::Succeeded), failure_reason: None },
            Err(reason) => TestResult { msg, test_status: Some(TestStatus::Failed), failure_reason: Some(reason.0) },
        })
    }
}

/// A connection as shown: secrets masked, the SaaS config in short.
pub(crate) fn view(key: &AppKey, row: ConnectionRow) -> Result<Connection> {
    let opened = secrets::open_with_config(key, &row)?;
    let secrets = opened.secrets.map(|s| s.masked());
    let saas_config = opened.saas_config.map(|config| SaasConfigSummary {
        fides_key: config.fides_key.clone(),
        name: config.name.clone(),
        kind: config.kind.clone(),
    });
    Ok(Connection {
        saas_config,
        connection_type: row.connection_type,
        access: row.access,
        secrets,
        last_test_timestamp: row.last_test_at.map(db::utc),
        last_test_succeeded: row.last_test_succeeded,
        created_at: db::utc(row.created_at),
        updated_at: db::utc(row.updated_at),
        key: row.key,
        name: row.name,
        disabled: row.disabled,
        description: row.description,
    })
}

impl ConnectionService for DieselConnectionService {
    fn upsert_connections(&self, items: Vec<ConnectionCreate>) -> Result<BulkResponse<Connection>> {
        let mut new_secrets = Vec::new();
        let saved = save_each(&self.db, MAX_BULK, items, |c, item| {
            if item.name.trim().is_empty() {
                return refuse("name must not be empty");
            }
            let key = keys::key_or_name(item.key.as_deref(), &item.name)?;
            let existing = repo::find_connection(c, &key)?;
            if let (ConnectionType::Saas, None, Some(kind)) =
                (item.connection_type, &existing, item.saas_connector_type.as_deref())
            {
                // A new SaaS connection from a template: the connection and its dataset.
                let instance = SaasInstance {
                    instance_key: key.clone(),
                    secrets: item.secrets.clone().unwrap_or_default(),
                    name: Some(item.name.clone()),
                    key: None,
                    description: item.description.clone(),
                };
                let prepared = self.saas_prepare(kind, instance, item.access, item.disabled).map_err(refused)?;
                saas::saas_store(c, &prepared).map_err(refused)?;
                return Ok(prepared.row);
            }
            let now = db::now();
            let exists = existing.is_some();
            // Secrets (and a saas_config) of another type no longer fit: changing the type
            // clears them.
            let same_type = existing.as_ref().filter(|e| e.connection_type == item.connection_type);
            let secrets = same_type.and_then(|e| e.secrets.clone());
            let saas_config = same_type.and_then(|e| e.saas_config.clone());
            let mut row = ConnectionRow {
                id: existing.as_ref().map_or_else(ConnectionId::new, |e| e.id.clone()),
                created_at: existing.as_ref().map_or(now, |e| e.created_at),
                last_test_at: existing.as_ref().and_then(|e| e.last_test_at),
                last_test_succeeded: existing.as_ref().and_then(|e| e.last_test_succeeded),
                key,
                name: item.name.trim().to_owned(),
                connection_type: item.connection_type,
                access: item.access,
                disabled: item.disabled,
                description: item.description.clone().filter(|d| !d.trim().is_empty()),
                secrets,
                saas_config,
                updated_at: now,
            };
            if let Some(given) = &item.secrets {
                let given = serde_json::Value::Object(given.clone());
                let checked = Secrets::parse_for(&row, given, &self.saas).map_err(refused)?;
                row.secrets = Some(secrets::seal(&self.key, &checked)?);
                ChangeFeed::publish(c, CONNECTIONS_TOPIC).map_err(|e| ItemError::Failed(e.into()))?;
                new_secrets.push(row.key.clone());
            }
            repo::save_connection(c, &row, exists)?;
            Ok(row)
        })?;
        for key in new_secrets {
            self.stores.close(&key);
        }
        let mut response = BulkResponse { succeeded: Vec::new(), failed: saved.failed };
        for row in saved.succeeded {
            response.succeeded.push(self.to_connection(row)?);
        }
        Ok(response)
    }

    fn list_connections(&self, page: PageRequest) -> Result<FidesPage<Connection>> {
        // Only the page's secrets are opened and masked.
        let rows = repo::list_connections(&mut *self.db.conn()?, page.window())?;
        Ok(FidesPage::of(rows.try_map(|row| self.to_connection(row))?, page))
    }

    fn get_connection(&self, key: &str) -> Result<Connection> {
        let row = repo::connection_row(&mut *self.db.conn()?, key)?;
        self.to_connection(row)
    }

    fn delete_connection(&self, key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = repo::connection_row(c, key)?;
            repo::delete_connection(c, &row.id)?;
            ChangeFeed::publish(c, CONNECTIONS_TOPIC)?;
            Ok::<_, DsrError>(())
        })?;
        self.stores.close(key);
        Ok(())
    }

    fn set_connection_secrets(&self, key: &str, secrets: serde_json::Value, verify: bool) -> Result<TestResult> {
        let mut row = repo::connection_row(&mut *self.db.conn()?, key)?;
        let secrets = Secrets::parse_for(&row, secrets, &self.saas)?;
        row.secrets = Some(secrets::seal(&self.key, &secrets)?);
        self.save_changed(&mut row)?;
        let msg = format!("Secrets updated for ConnectionConfig with key: {key}.");
        if verify {
            self.run_test(&row, &secrets, msg)
        } else {
            Ok(TestResult { msg, test_status: None, failure_reason: None })
        }
    }

    fn test_connection(&self, key: &str) -> Result<TestResult> {
        let row = repo::connection_row(&mut *self.db.conn()?, key)?;
        let secrets = secrets::open(&self.key, &row)?
            .ok_or_else(|| DsrError::BadRequest(format!("Connection config with key {key} has no secrets to test")))?;
        self.run_test(&row, &secrets, format!("Test completed for ConnectionConfig with key: {key}."))
    }

    fn set_saas_config(&self, key: &str, config: serde_json::Value) -> Result<SaasConfig> {
        self.saas_set(key, config)
    }

    fn get_saas_config(&self, key: &str) -> Result<SaasConfig> {
        self.saas_get(key)
    }

    fn delete_saas_config(&self, key: &str) -> Result<()> {
        self.saas_delete(key)
    }

    fn validate_saas_config(&self, config: serde_json::Value) -> Result<SaasValidation> {
        DieselConnectionService::saas_validate(config)
    }

    fn instantiate(&self, kind: &str, instance: SaasInstance) -> Result<Instantiated> {
        self.saas_instantiate(kind, instance)
    }

    fn authorize_url(&self, key: &str, referer: Option<String>) -> Result<String> {
        self.oauth_authorize(key, referer)
    }

    fn oauth_callback(&self, code: &str, state: &str) -> Result<OAuthCallback> {
        self.oauth_callback_with(code, state)
    }
}
