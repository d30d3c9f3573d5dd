//! The DSR service: the seam the gateway calls.

use crypto::AppKey;
use db::changes::ChangeFeed;
use db::id::new_id;
use db::{Database, DbConn};
use serde::Serialize;

use crate::connections::{Connection, ConnectionCreate, ConnectionType, Secrets, TestResult, TestStatus};
use crate::connector::Stores;
use crate::datasets::MAX_DATASETS;
use crate::datasets::{self, Dataset};
use validation::Problem;

use crate::error::{DsrError, Result};
use crate::keys;
use crate::manual::{self, ManualField, ManualRequest};
use crate::model::{
    ActionType, BulkFailure, BulkResponse, MAX_BULK, Policy, PolicyCreate, Rule, RuleCreate, StorageConfig,
    StorageConfigCreate, Target, TargetCreate,
};
use crate::repo::{self, ConnectionRow, DatasetRow, PolicyRow, RuleRow, StorageRow, TargetRow};
use crate::taxonomy::{Taxonomy, is_same_or_ancestor};

/// Masking strategies erasure rules may name.
pub const MASKING_STRATEGIES: &[&str] = crate::masking::STRATEGY_NAMES;

/// Policies, rules, targets and storage destinations of data-subject requests.
pub trait DsrService: Send + Sync {
    /// The data taxonomy.
    fn taxonomy(&self) -> &Taxonomy;

    /// Creates or updates policies by key; each item succeeds or fails on its own.
    fn upsert_policies(&self, items: Vec<PolicyCreate>) -> Result<BulkResponse<Policy>>;
    /// Every policy with its rules, by key.
    fn list_policies(&self) -> Result<Vec<Policy>>;
    /// One policy.
    fn get_policy(&self, key: &str) -> Result<Policy>;
    /// Deletes a policy with its rules and targets.
    fn delete_policy(&self, key: &str) -> Result<()>;

    /// Creates or updates rules of a policy by key.
    fn upsert_rules(&self, policy: &str, items: Vec<RuleCreate>) -> Result<BulkResponse<Rule>>;
    /// A policy's rules.
    fn list_rules(&self, policy: &str) -> Result<Vec<Rule>>;
    /// One rule of a policy.
    fn get_rule(&self, policy: &str, rule: &str) -> Result<Rule>;
    /// Deletes a rule with its targets.
    fn delete_rule(&self, policy: &str, rule: &str) -> Result<()>;

    /// Creates or updates targets of a rule by key. Unknown data categories refuse the whole
    /// request.
    fn upsert_targets(&self, policy: &str, rule: &str, items: Vec<TargetCreate>) -> Result<BulkResponse<Target>>;
    /// A rule's targets.
    fn list_targets(&self, policy: &str, rule: &str) -> Result<Vec<Target>>;
    /// Deletes a target.
    fn delete_target(&self, policy: &str, rule: &str, target: &str) -> Result<()>;

    /// Creates or updates storage destinations by key.
    fn upsert_storage(&self, items: Vec<StorageConfigCreate>) -> Result<BulkResponse<StorageConfig>>;
    /// Every storage destination.
    fn list_storage(&self) -> Result<Vec<StorageConfig>>;
    /// One storage destination.
    fn get_storage(&self, key: &str) -> Result<StorageConfig>;
    /// Deletes a storage destination no rule uses.
    fn delete_storage(&self, key: &str) -> Result<()>;

    /// Creates or updates connections by key (secrets are set separately).
    fn upsert_connections(&self, items: Vec<ConnectionCreate>) -> Result<BulkResponse<Connection>>;
    /// Every connection, secrets masked.
    fn list_connections(&self) -> Result<Vec<Connection>>;
    /// One connection, secrets masked.
    fn get_connection(&self, key: &str) -> Result<Connection>;
    /// Deletes a connection.
    fn delete_connection(&self, key: &str) -> Result<()>;
    /// Validates and stores (sealed) a connection's secrets; with `verify`, also tests them.
    fn set_connection_secrets(&self, key: &str, secrets: serde_json::Value, verify: bool) -> Result<TestResult>;
    /// Connects with the stored secrets and reports the outcome.
    fn test_connection(&self, key: &str) -> Result<TestResult>;

    /// Creates or updates a connection's datasets by `fides_key` (at most 1,000), each validated.
    fn upsert_datasets(&self, connection: &str, items: Vec<Dataset>) -> Result<BulkResponse<Dataset>>;
    /// A connection's datasets, by key.
    fn list_datasets(&self, connection: &str) -> Result<Vec<Dataset>>;
    /// One dataset of a connection.
    fn get_dataset(&self, connection: &str, fides_key: &str) -> Result<Dataset>;
    /// Deletes a dataset of a connection.
    fn delete_dataset(&self, connection: &str, fides_key: &str) -> Result<()>;

    /// Sets the fields a `manual_request` connection asks for (replacing earlier ones).
    fn set_manual_fields(&self, connection: &str, fields: Vec<ManualField>) -> Result<ManualRequest>;
    /// The fields a `manual_request` connection asks for.
    fn get_manual_fields(&self, connection: &str) -> Result<ManualRequest>;
    /// Removes a `manual_request` connection's fields: requests no longer wait for it.
    fn delete_manual_fields(&self, connection: &str) -> Result<()>;
}

/// [`DsrService`] over the database; connection secrets are sealed with the application key.
pub struct DieselDsrService {
    db: Database,
    key: AppKey,
    taxonomy: Taxonomy,
    /// The request service's open stores, closed here when their connection changes.
    stores: Stores,
}

/// Change-feed topic: a connection was deleted or got new secrets; other processes close their
/// stores (they reopen with the current secrets when next needed).
pub const CONNECTIONS_TOPIC: &str = "connections";

/// Why one bulk item failed: a message for the client, or a storage error that fails the call.
enum ItemError {
    Refused(String),
    Failed(DsrError),
}

impl From<diesel::result::Error> for ItemError {
    fn from(e: diesel::result::Error) -> Self {
        ItemError::Failed(e.into())
    }
}

impl From<DsrError> for ItemError {
    fn from(e: DsrError) -> Self {
        ItemError::Failed(e)
    }
}

fn refuse<T>(message: impl Into<String>) -> std::result::Result<T, ItemError> {
    Err(ItemError::Refused(message.into()))
}

/// A connection's secrets, opened with the application key.
pub(crate) fn open_secrets(key: &AppKey, row: &ConnectionRow) -> Result<Option<Secrets>> {
    let Some(sealed) = &row.secrets else { return Ok(None) };
    let corrupt = |what: &str| DsrError::Db(db::DbError::Corrupt(format!("secrets of connection {}: {what}", row.key)));
    let plain = crypto::open(key, sealed).map_err(|_| corrupt("cannot be decrypted with the current app key"))?;
    let value: serde_json::Value = serde_json::from_slice(&plain).map_err(|_| corrupt("not JSON"))?;
    Secrets::parse(row.connection_type, value).map(Some).map_err(|e| corrupt(&e))
}

impl DieselDsrService {
    /// A service over `db` with the embedded taxonomy, sealing secrets with `key`.
    pub fn new(db: Database, key: AppKey) -> DieselDsrService {
        DieselDsrService { db, key, taxonomy: Taxonomy::embedded(), stores: Stores::default() }
    }

    /// Closes `stores` (the request service's, [`crate::DieselRequestService::stores`]) when a
    /// connection is deleted or given new secrets.
    pub fn with_stores(mut self, stores: Stores) -> DieselDsrService {
        self.stores = stores;
        self
    }

    fn connection_row(conn: &mut DbConn, key: &str) -> Result<ConnectionRow> {
        repo::find_connection(conn, key)?
            .ok_or_else(|| DsrError::NotFound(format!("No connection config with key '{key}'")))
    }

    /// A connection that must be of type `manual_request`.
    fn manual_connection(conn: &mut DbConn, key: &str) -> Result<ConnectionRow> {
        let row = Self::connection_row(conn, key)?;
        if row.connection_type != ConnectionType::ManualRequest {
            return Err(DsrError::BadRequest(format!(
                "Connection config with key '{key}' is of type {}, not manual_request",
                row.connection_type
            )));
        }
        Ok(row)
    }

    fn secrets_of(&self, row: &ConnectionRow) -> Result<Option<Secrets>> {
        open_secrets(&self.key, row)
    }

    pub(crate) fn parse_dataset(row: &DatasetRow) -> Result<Dataset> {
        serde_json::from_str(&row.body)
            .map_err(|e| DsrError::Db(db::DbError::Corrupt(format!("dataset {}: {e}", row.fides_key))))
    }

    fn dataset_row(conn: &mut DbConn, connection: &ConnectionRow, fides_key: &str) -> Result<DatasetRow> {
        repo::find_dataset(conn, fides_key)?.filter(|d| d.connection_id == connection.id).ok_or_else(|| {
            DsrError::NotFound(format!("No dataset with fides_key '{fides_key}' on connection '{}'", connection.key))
        })
    }

    fn to_connection(&self, row: ConnectionRow) -> Result<Connection> {
        let secrets = self.secrets_of(&row)?.map(|s| s.masked());
        Ok(Connection {
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

    /// Runs the test, records its outcome on the connection and words the answer.
    fn run_test(&self, row: &ConnectionRow, secrets: &Secrets, msg: String) -> Result<TestResult> {
        let outcome = secrets.test();
        repo::record_test(&mut *self.db.conn()?, &row.id, outcome.is_ok())?;
        Ok(match outcome {
            Ok(()) => TestResult { msg, test_status: Some(TestStatus::Succeeded), failure_reason: None },
            Err(reason) => TestResult { msg, test_status: Some(TestStatus::Failed), failure_reason: Some(reason) },
        })
    }

    /// Runs `save` for each item in its own write transaction and sorts the outcomes into a
    /// bulk response; a storage failure (not a refusal) fails the whole call.
    fn bulk<I: Serialize, T>(
        &self,
        items: Vec<I>,
        save: impl FnMut(&mut DbConn, &I) -> std::result::Result<T, ItemError>,
    ) -> Result<BulkResponse<T>> {
        self.bulk_up_to(MAX_BULK, items, save)
    }

    fn bulk_up_to<I: Serialize, T>(
        &self,
        max: usize,
        items: Vec<I>,
        mut save: impl FnMut(&mut DbConn, &I) -> std::result::Result<T, ItemError>,
    ) -> Result<BulkResponse<T>> {
        crate::model::check_bulk(Vec::new(), items.len(), max)?;
        let mut conn = self.db.conn()?;
        let mut response = BulkResponse::default();
        for item in items {
            match conn.write_transaction(|c| save(c, &item)) {
                Ok(saved) => response.succeeded.push(saved),
                Err(ItemError::Refused(message)) => {
                    response.failed.push(BulkFailure { message, data: serde_json::to_value(&item).unwrap_or_default() })
                }
                Err(ItemError::Failed(e)) => return Err(e),
            }
        }
        Ok(response)
    }

    fn policy_row(conn: &mut DbConn, key: &str) -> Result<PolicyRow> {
        repo::find_policy(conn, key)?.ok_or_else(|| DsrError::NotFound(format!("No Policy found for key {key}.")))
    }

    fn rule_row(conn: &mut DbConn, policy: &PolicyRow, key: &str) -> Result<RuleRow> {
        repo::rule_by_key(conn, key)?
            .filter(|rule| rule.policy_id == policy.id)
            .ok_or_else(|| DsrError::NotFound(format!("No Rule found for key {key} on Policy {}.", policy.key)))
    }

    fn one_rule(conn: &mut DbConn, row: RuleRow) -> Result<Rule> {
        let mut rules = repo::assemble_rules(conn, vec![row])?;
        rules.pop().map(|(_, rule)| rule).ok_or_else(|| DsrError::NotFound("Rule not found.".into()))
    }

    /// Erasure targets of one policy may not overlap: one category the ancestor of another.
    fn check_erasure_overlap(conn: &mut DbConn, policy_id: &str) -> std::result::Result<(), ItemError> {
        let erasure: Vec<String> = repo::rules_of(conn, &[policy_id.to_owned()])?
            .into_iter()
            .filter(|r| r.action() == ActionType::Erasure)
            .map(|r| r.id)
            .collect();
        let categories: Vec<String> = repo::targets_of(conn, &erasure)?.into_iter().map(|t| t.data_category).collect();
        for (i, a) in categories.iter().enumerate() {
            for b in &categories[i + 1..] {
                if is_same_or_ancestor(a, b) || is_same_or_ancestor(b, a) {
                    return refuse(format!(
                        "Policy rules are invalid, action conflict in erasure rules detected for categories {a} and {b}"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl DsrService for DieselDsrService {
    fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    fn upsert_policies(&self, items: Vec<PolicyCreate>) -> Result<BulkResponse<Policy>> {
        self.bulk(items, |c, item| {
            if item.name.trim().is_empty() {
                return refuse("name must not be empty");
            }
            let key = keys::key_or_name(item.key.as_deref(), &item.name).map_err(ItemError::Refused)?;
            if item.execution_timeframe.is_some_and(|days| days < 1) {
                return refuse("execution_timeframe must be at least 1 day");
            }
            let now = db::now();
            let existing = repo::find_policy(c, &key)?;
            let exists = existing.is_some();
            let row = PolicyRow {
                id: existing.as_ref().map_or_else(|| new_id("pol"), |p| p.id.clone()),
                created_at: existing.as_ref().map_or(now, |p| p.created_at),
                key,
                name: item.name.trim().to_owned(),
                execution_timeframe: item.execution_timeframe,
                updated_at: now,
            };
            repo::save_policy(c, &row, exists)?;
            Ok(repo::assemble_policies(c, vec![row])?.remove(0))
        })
    }

    fn list_policies(&self) -> Result<Vec<Policy>> {
        let mut conn = self.db.conn()?;
        let rows = repo::list_policies(&mut conn)?;
        Ok(repo::assemble_policies(&mut conn, rows)?)
    }

    fn get_policy(&self, key: &str) -> Result<Policy> {
        let mut conn = self.db.conn()?;
        let row = Self::policy_row(&mut conn, key)?;
        Ok(repo::assemble_policies(&mut conn, vec![row])?.remove(0))
    }

    fn delete_policy(&self, key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = Self::policy_row(c, key)?;
            let used = crate::request::repo::count_using_policy(c, &row.id)?;
            if used > 0 {
                return Err(DsrError::Conflict(format!(
                    "Policy {key} is used by {used} privacy request(s) and cannot be deleted"
                )));
            }
            repo::delete_policy(c, &row.id)?;
            Ok(())
        })
    }

    fn upsert_rules(&self, policy: &str, items: Vec<RuleCreate>) -> Result<BulkResponse<Rule>> {
        let policy = Self::policy_row(&mut *self.db.conn()?, policy)?;
        self.bulk(items, |c, item| {
            let key = keys::key_or_name(item.key.as_deref(), &item.name).map_err(ItemError::Refused)?;
            match item.action_type {
                ActionType::Update | ActionType::Consent => {
                    return refuse(format!("{} Rules are not supported at this time.", item.action_type.as_str()));
                }
                ActionType::Erasure => {
                    let Some(masking) = &item.masking_strategy else {
                        return refuse("Erasure Rules must have masking strategies.");
                    };
                    crate::masking::Strategy::parse(masking).map_err(ItemError::Refused)?;
                    if item.storage_destination_key.is_some() {
                        return refuse("Erasure Rules cannot have storage destinations.");
                    }
                }
                ActionType::Access => {
                    if item.masking_strategy.is_some() {
                        return refuse("Access Rules cannot have masking strategies.");
                    }
                }
            }
            if let Some(destination) = &item.storage_destination_key
                && repo::find_storage(c, destination)?.is_none()
            {
                return refuse(format!("A StorageConfig with key {destination} does not exist"));
            }
            let existing = repo::rule_by_key(c, &key)?;
            if existing.as_ref().is_some_and(|r| r.policy_id != policy.id) {
                return refuse(format!("Rule with identifier {key} belongs to another policy."));
            }
            let now = db::now();
            let exists = existing.is_some();
            let row = RuleRow {
                id: existing.as_ref().map_or_else(|| new_id("rul"), |r| r.id.clone()),
                created_at: existing.as_ref().map_or(now, |r| r.created_at),
                key,
                policy_id: policy.id.clone(),
                name: item.name.trim().to_owned(),
                action_type: item.action_type,
                storage_destination_key: item.storage_destination_key.clone(),
                masking_strategy: item.masking_strategy.as_ref().and_then(|m| serde_json::to_string(m).ok()),
                updated_at: now,
            };
            repo::save_rule(c, &row, exists)?;
            Self::check_erasure_overlap(c, &policy.id)?;
            Ok(Self::one_rule(c, row)?)
        })
    }

    fn list_rules(&self, policy: &str) -> Result<Vec<Rule>> {
        let mut conn = self.db.conn()?;
        let policy = Self::policy_row(&mut conn, policy)?;
        let rows = repo::rules_of(&mut conn, &[policy.id])?;
        Ok(repo::assemble_rules(&mut conn, rows)?.into_iter().map(|(_, rule)| rule).collect())
    }

    fn get_rule(&self, policy: &str, rule: &str) -> Result<Rule> {
        let mut conn = self.db.conn()?;
        let policy = Self::policy_row(&mut conn, policy)?;
        let row = Self::rule_row(&mut conn, &policy, rule)?;
        Self::one_rule(&mut conn, row)
    }

    fn delete_rule(&self, policy: &str, rule: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let policy = Self::policy_row(c, policy)?;
            let row = Self::rule_row(c, &policy, rule)?;
            repo::delete_rule(c, &row.id)?;
            Ok(())
        })
    }

    fn upsert_targets(&self, policy: &str, rule: &str, items: Vec<TargetCreate>) -> Result<BulkResponse<Target>> {
        let unknown: Vec<Problem> = items
            .iter()
            .enumerate()
            .filter(|(_, t)| !self.taxonomy.is_data_category(&t.data_category))
            .map(|(i, t)| {
                Problem::new(
                    validation::loc![i, "data_category"],
                    format!("Invalid data categories: [{}]", t.data_category),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(DsrError::Invalid(unknown));
        }
        let (policy, rule) = {
            let mut conn = self.db.conn()?;
            let policy = Self::policy_row(&mut conn, policy)?;
            let rule = Self::rule_row(&mut conn, &policy, rule)?;
            (policy, rule)
        };
        self.bulk(items, |c, item| {
            let key = match &item.key {
                Some(key) => keys::key_or_name(Some(key), "").map_err(ItemError::Refused)?,
                None => keys::from_name(&format!("{} {}", rule.key, item.data_category)),
            };
            let existing: Vec<TargetRow> = repo::targets_of(c, std::slice::from_ref(&rule.id))?;
            if let Some(other) = existing.iter().find(|t| t.data_category == item.data_category && t.key != key) {
                return refuse(format!(
                    "DataCategory {} is already specified on Rule with ID {} (target {})",
                    item.data_category, rule.key, other.key
                ));
            }
            let current = existing.into_iter().find(|t| t.key == key);
            let now = db::now();
            let exists = current.is_some();
            let row = TargetRow {
                id: current.as_ref().map_or_else(|| new_id("rul"), |t| t.id.clone()),
                created_at: current.as_ref().map_or(now, |t| t.created_at),
                name: item.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| key.clone()),
                key,
                rule_id: rule.id.clone(),
                data_category: item.data_category.clone(),
                updated_at: now,
            };
            repo::save_target(c, &row, exists)?;
            Self::check_erasure_overlap(c, &policy.id)?;
            Ok(row.into())
        })
    }

    fn list_targets(&self, policy: &str, rule: &str) -> Result<Vec<Target>> {
        let mut conn = self.db.conn()?;
        let policy = Self::policy_row(&mut conn, policy)?;
        let rule = Self::rule_row(&mut conn, &policy, rule)?;
        Ok(repo::targets_of(&mut conn, &[rule.id])?.into_iter().map(Target::from).collect())
    }

    fn delete_target(&self, policy: &str, rule: &str, target: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let policy = Self::policy_row(c, policy)?;
            let rule = Self::rule_row(c, &policy, rule)?;
            let row = repo::targets_of(c, &[rule.id])?
                .into_iter()
                .find(|t| t.key == target)
                .ok_or_else(|| DsrError::NotFound(format!("No RuleTarget found for key {target}.")))?;
            repo::delete_target(c, &row.id)?;
            Ok(())
        })
    }

    fn upsert_storage(&self, items: Vec<StorageConfigCreate>) -> Result<BulkResponse<StorageConfig>> {
        self.bulk(items, |c, item| {
            if item.name.trim().is_empty() {
                return refuse("name must not be empty");
            }
            let key = keys::key_or_name(item.key.as_deref(), &item.name).map_err(ItemError::Refused)?;
            let existing = repo::find_storage(c, &key)?;
            let now = db::now();
            let exists = existing.is_some();
            let row = StorageRow {
                id: existing.as_ref().map_or_else(|| new_id("sto"), |s| s.id.clone()),
                created_at: existing.as_ref().map_or(now, |s| s.created_at),
                key,
                name: item.name.trim().to_owned(),
                storage_type: item.storage_type,
                format: item.format,
                updated_at: now,
            };
            repo::save_storage(c, &row, exists)?;
            Ok(row.into())
        })
    }

    fn list_storage(&self) -> Result<Vec<StorageConfig>> {
        Ok(repo::list_storage(&mut *self.db.conn()?)?.into_iter().map(StorageConfig::from).collect())
    }

    fn get_storage(&self, key: &str) -> Result<StorageConfig> {
        repo::find_storage(&mut *self.db.conn()?, key)?
            .map(StorageConfig::from)
            .ok_or_else(|| DsrError::NotFound(format!("No StorageConfig found for key {key}.")))
    }

    fn delete_storage(&self, key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = repo::find_storage(c, key)?
                .ok_or_else(|| DsrError::NotFound(format!("No StorageConfig found for key {key}.")))?;
            let users = repo::rules_using_storage(c, key)?;
            if !users.is_empty() {
                return Err(DsrError::Conflict(format!(
                    "StorageConfig {key} is the destination of rules {}; change them first",
                    users.join(", ")
                )));
            }
            repo::delete_storage(c, &row.id)?;
            Ok(())
        })
    }

    fn upsert_connections(&self, items: Vec<ConnectionCreate>) -> Result<BulkResponse<Connection>> {
        let saved = self.bulk(items, |c, item| {
            if item.name.trim().is_empty() {
                return refuse("name must not be empty");
            }
            let key = keys::key_or_name(item.key.as_deref(), &item.name).map_err(ItemError::Refused)?;
            let existing = repo::find_connection(c, &key)?;
            let now = db::now();
            let exists = existing.is_some();
            // Secrets of another type no longer fit: changing the type clears them.
            let secrets =
                existing.as_ref().filter(|e| e.connection_type == item.connection_type).and_then(|e| e.secrets.clone());
            let row = ConnectionRow {
                id: existing.as_ref().map_or_else(|| new_id("con"), |e| e.id.clone()),
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
                updated_at: now,
            };
            repo::save_connection(c, &row, exists)?;
            Ok(row)
        })?;
        let mut response = BulkResponse { succeeded: Vec::new(), failed: saved.failed };
        for row in saved.succeeded {
            response.succeeded.push(self.to_connection(row)?);
        }
        Ok(response)
    }

    fn list_connections(&self) -> Result<Vec<Connection>> {
        let rows = repo::list_connections(&mut *self.db.conn()?)?;
        rows.into_iter().map(|row| self.to_connection(row)).collect()
    }

    fn get_connection(&self, key: &str) -> Result<Connection> {
        let row = Self::connection_row(&mut *self.db.conn()?, key)?;
        self.to_connection(row)
    }

    fn delete_connection(&self, key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = Self::connection_row(c, key)?;
            repo::delete_connection(c, &row.id)?;
            ChangeFeed::publish(c, CONNECTIONS_TOPIC)?;
            Ok::<_, DsrError>(())
        })?;
        self.stores.close(key);
        Ok(())
    }

    fn set_connection_secrets(&self, key: &str, secrets: serde_json::Value, verify: bool) -> Result<TestResult> {
        let mut row = Self::connection_row(&mut *self.db.conn()?, key)?;
        let secrets =
            Secrets::parse(row.connection_type, secrets).map_err(|message| DsrError::invalid(Vec::new(), message))?;
        let plain = serde_json::to_vec(&secrets.to_json()).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))?;
        row.secrets = Some(crypto::seal(&self.key, &plain));
        row.updated_at = db::now();
        self.db.conn()?.write_transaction(|c| {
            repo::save_connection(c, &row, true)?;
            ChangeFeed::publish(c, CONNECTIONS_TOPIC)?;
            Ok::<_, DsrError>(())
        })?;
        // Connections opened with the old secrets go now, not when the next request notices.
        self.stores.close(key);
        let msg = format!("Secrets updated for ConnectionConfig with key: {key}.");
        if verify {
            self.run_test(&row, &secrets, msg)
        } else {
            Ok(TestResult { msg, test_status: None, failure_reason: None })
        }
    }

    fn test_connection(&self, key: &str) -> Result<TestResult> {
        let row = Self::connection_row(&mut *self.db.conn()?, key)?;
        let secrets = self
            .secrets_of(&row)?
            .ok_or_else(|| DsrError::BadRequest(format!("Connection config with key {key} has no secrets to test")))?;
        self.run_test(&row, &secrets, format!("Test completed for ConnectionConfig with key: {key}."))
    }

    fn upsert_datasets(&self, connection: &str, items: Vec<Dataset>) -> Result<BulkResponse<Dataset>> {
        let connection = Self::connection_row(&mut *self.db.conn()?, connection)?;
        if connection.connection_type == ConnectionType::ManualRequest {
            return Err(DsrError::BadRequest(format!(
                "Connection {} is a manual_request connection: it has fields, not datasets",
                connection.key
            )));
        }
        // References may point at datasets uploaded in the same request or stored before; both
        // are looked up once, not per item.
        let batch: std::collections::HashMap<String, Dataset> =
            items.iter().map(|d| (d.fides_key.clone(), d.clone())).collect();
        let mut stored: std::collections::HashMap<String, Dataset> = std::collections::HashMap::new();
        self.bulk_up_to(MAX_DATASETS, items, |c, item| {
            for reference in referenced_datasets(item) {
                if !batch.contains_key(&reference)
                    && !stored.contains_key(&reference)
                    && let Some(row) = repo::find_dataset(c, &reference)?
                {
                    stored.insert(reference, Self::parse_dataset(&row)?);
                }
            }
            let problems = datasets::validate(item, &self.taxonomy, &|key| batch.get(key).or_else(|| stored.get(key)));
            if !problems.is_empty() {
                return refuse(problems.join("; "));
            }
            let existing = repo::find_dataset(c, &item.fides_key)?;
            if existing.as_ref().is_some_and(|d| d.connection_id != connection.id) {
                return refuse(format!("Dataset {} belongs to another connection", item.fides_key));
            }
            let now = db::now();
            let exists = existing.is_some();
            let row = DatasetRow {
                id: existing.as_ref().map_or_else(|| new_id("dat"), |d| d.id.clone()),
                created_at: existing.as_ref().map_or(now, |d| d.created_at),
                fides_key: item.fides_key.clone(),
                connection_id: connection.id.clone(),
                body: serde_json::to_string(item).map_err(|e| ItemError::Refused(e.to_string()))?,
                updated_at: now,
            };
            repo::save_dataset(c, &row, exists)?;
            Ok(item.clone())
        })
    }

    fn list_datasets(&self, connection: &str) -> Result<Vec<Dataset>> {
        let mut conn = self.db.conn()?;
        let connection = Self::connection_row(&mut conn, connection)?;
        repo::datasets_of(&mut conn, &connection.id)?.iter().map(Self::parse_dataset).collect()
    }

    fn get_dataset(&self, connection: &str, fides_key: &str) -> Result<Dataset> {
        let mut conn = self.db.conn()?;
        let connection = Self::connection_row(&mut conn, connection)?;
        Self::parse_dataset(&Self::dataset_row(&mut conn, &connection, fides_key)?)
    }

    fn set_manual_fields(&self, connection: &str, fields: Vec<ManualField>) -> Result<ManualRequest> {
        let fields = manual::normalise(fields).map_err(DsrError::Invalid)?;
        let json = serde_json::to_string(&fields).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            let row = Self::manual_connection(c, connection)?;
            repo::save_manual_fields(c, &row.id, &json, db::now())?;
            Ok(())
        })?;
        self.get_manual_fields(connection)
    }

    fn get_manual_fields(&self, connection: &str) -> Result<ManualRequest> {
        Ok(manual_request(&mut *self.db.conn()?, connection)?.1)
    }

    fn delete_manual_fields(&self, connection: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = Self::manual_connection(c, connection)?;
            if repo::delete_manual_fields(c, &row.id)? == 0 {
                return Err(DsrError::NotFound(format!(
                    "No access manual request exists for connection config with key '{connection}'"
                )));
            }
            Ok(())
        })
    }

    fn delete_dataset(&self, connection: &str, fides_key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let connection = Self::connection_row(c, connection)?;
            let row = Self::dataset_row(c, &connection, fides_key)?;
            repo::delete_dataset(c, &row.id)?;
            Ok(())
        })
    }
}

/// The `manual_request` connection `key` (its id) with its fields; 404 without fields, 400 for
/// a connection of another type.
pub(crate) fn manual_request(conn: &mut DbConn, key: &str) -> Result<(String, ManualRequest)> {
    let row = DieselDsrService::manual_connection(conn, key)?;
    let (fields, created, updated) = repo::find_manual_fields(conn, &row.id)?.ok_or_else(|| {
        DsrError::NotFound(format!("No access manual request exists for connection config with key '{key}'"))
    })?;
    let request = ManualRequest {
        connection_key: row.key,
        fields: parse_manual_fields(&fields)?,
        created_at: db::utc(created),
        updated_at: db::utc(updated),
    };
    Ok((row.id, request))
}

/// Stored manual request fields.
pub(crate) fn parse_manual_fields(json: &str) -> Result<Vec<ManualField>> {
    serde_json::from_str(json).map_err(|e| DsrError::Db(db::DbError::Corrupt(format!("manual request fields: {e}"))))
}

/// Keys of the other datasets a dataset's references and ordering name.
fn referenced_datasets(dataset: &Dataset) -> Vec<String> {
    fn walk(fields: &[crate::datasets::Field], out: &mut Vec<String>) {
        for field in fields {
            for reference in field.fides_meta.iter().flat_map(|m| m.references.iter().flatten()) {
                out.push(reference.dataset.clone());
            }
            if let Some(sub) = &field.fields {
                walk(sub, out);
            }
        }
    }
    let mut out = Vec::new();
    for collection in &dataset.collections {
        walk(&collection.fields, &mut out);
        for key in ["after", "erase_after"] {
            let listed = collection.fides_meta.as_ref().and_then(|m| m.get(key)).and_then(|v| v.as_array());
            for entry in listed.into_iter().flatten() {
                if let Some((d, _)) = entry.as_str().and_then(|t| t.split_once('.')) {
                    out.push(d.to_owned());
                }
            }
        }
    }
    out.retain(|d| d != &dataset.fides_key);
    out.sort();
    out.dedup();
    out
}
