//! Execution of one privacy request: traverse the graph, query each collection, filter the
//! rows per access rule, render, redact, encrypt and store the packages, then complete. Logs
//! are written with the outcome in one transaction. A request whose upload fails keeps its
//! access results (sealed) so a retry resumes at the upload without querying again; a worker
//! that dies mid-run leaves the request in_processing and the job is taken over when its
//! lease expires: reads run again, nothing is written twice.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::repo::{self, LogRow};
use super::service::{DieselRequestService, ResultFile, new_id};
use crate::connector::{FieldInput, Store};
use crate::datasets::{Dataset, Field};
use crate::error::{DsrError, Result};
use crate::filter::{filter_rows, targeted_paths};
use crate::graph::{self, Address, Graph, Input};
use crate::model::{ActionType, Policy, ResponseFormat};
use crate::package;
use crate::repo as config_repo;
use crate::request::model::{FieldAffected, RequestStatus};
use crate::service::{DieselDsrService, open_secrets};

/// Name under which traversal problems are logged (as Fides).
const TRAVERSAL: &str = "Dataset traversal";
/// Name under which a request given up after repeated failures is logged.
const EXECUTION: &str = "Request execution";
/// Name under which upload problems are logged.
const UPLOAD: &str = "Access package upload";

/// One log entry before it is stored.
struct Log {
    dataset: String,
    collection: Option<String>,
    connection: Option<String>,
    status: &'static str,
    message: String,
    fields: Vec<FieldAffected>,
}

/// Why a step failed: the collection (if one) and the message.
struct StepFailure {
    collection: Option<Address>,
    message: String,
}

/// What execution needs from the configuration: the graph, the stores and the datasets.
struct World {
    graph: Graph,
    datasets: Vec<Dataset>,
    stores: HashMap<String, std::result::Result<Arc<Store>, String>>,
}

fn entity_rules(datasets: &[Dataset]) -> redaction::EntityRules {
    fn redacts(meta: Option<&Value>) -> bool {
        meta.and_then(|m| m.get("redact")).and_then(Value::as_str) == Some("name")
    }
    fn fields(prefix: &str, list: &[Field], rules: &mut redaction::EntityRules) {
        for field in list {
            let key = format!("{prefix}.{}", field.name);
            if field.fides_meta.as_ref().and_then(|m| m.other.get("redact")).and_then(Value::as_str) == Some("name") {
                rules.set(key.clone(), redaction::EntityRedaction::Redact);
            }
            fields(&key, field.fields.as_deref().unwrap_or_default(), rules);
        }
    }
    let mut rules = redaction::EntityRules::new();
    for dataset in datasets {
        if redacts(dataset.fides_meta.as_ref()) {
            rules.set(dataset.fides_key.clone(), redaction::EntityRedaction::Redact);
        }
        for collection in &dataset.collections {
            let key = format!("{}.{}", dataset.fides_key, collection.name);
            if redacts(collection.fides_meta.as_ref()) {
                rules.set(key.clone(), redaction::EntityRedaction::Redact);
            }
            fields(&key, &collection.fields, &mut rules);
        }
    }
    rules
}

impl DieselRequestService {
    fn world(&self) -> Result<std::result::Result<World, String>> {
        let mut conn = self.inner.db.conn()?;
        let rows = config_repo::enabled_datasets(&mut conn)?;
        drop(conn);
        let mut datasets = Vec::new();
        let mut pairs = Vec::new();
        let mut stores = HashMap::new();
        for (dataset_row, connection_row) in rows {
            let dataset = DieselDsrService::parse_dataset(&dataset_row)?;
            pairs.push((dataset.clone(), connection_row.key.clone()));
            datasets.push(dataset);
            if stores.contains_key(&connection_row.key) {
                continue;
            }
            let store = match open_secrets(&self.inner.key, &connection_row)? {
                Some(secrets) => Ok(self.inner.stores.get(
                    &connection_row.key,
                    connection_row.secrets.as_deref().unwrap_or_default(),
                    || secrets,
                )),
                None => Err(format!("connection {} has no secrets", connection_row.key)),
            };
            stores.insert(connection_row.key.clone(), store);
        }
        Ok(Graph::build(&pairs).map(|graph| World { graph, datasets, stores }))
    }

    /// Runs the access step: every planned collection queried in order.
    fn access(
        &self,
        world: &World,
        identity: &super::Identity,
        targets: &[String],
        logs: &mut Vec<Log>,
    ) -> std::result::Result<BTreeMap<usize, Vec<Value>>, StepFailure> {
        let keys: Vec<&str> = identity.keys().collect();
        let plan =
            graph::plan(&world.graph, &keys, targets).map_err(|e| StepFailure { collection: None, message: e.0 })?;
        for (address, message) in plan.skipped {
            logs.push(Log {
                dataset: address.dataset.clone(),
                collection: Some(address.collection.clone()),
                connection: world.graph.node(&address).map(|n| n.connection.clone()),
                status: "skipped",
                message,
                fields: Vec::new(),
            });
        }
        let mut results: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
        for step in plan.steps {
            let node = &world.graph.nodes[step.node];
            let mut by_field: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
            for input in &step.inputs {
                match input {
                    Input::Seed { field, identity: key } => {
                        by_field.entry(field).or_default().extend(identity.values(key));
                    }
                    Input::Edge { parent, parent_field, field } => {
                        let values = results.get(parent).into_iter().flatten().filter_map(|row| row.get(parent_field));
                        by_field.entry(field).or_default().extend(values.cloned());
                    }
                }
            }
            let inputs: Vec<FieldInput> =
                by_field.into_iter().map(|(field, values)| FieldInput::new(field.to_owned(), values)).collect();
            let fail = |message: String| StepFailure { collection: Some(node.address.clone()), message };
            let store = match world.stores.get(&node.connection) {
                Some(Ok(store)) => Arc::clone(store),
                Some(Err(message)) => return Err(fail(message.clone())),
                None => return Err(fail(format!("connection {} is unknown", node.connection))),
            };
            let rows = store.select(node, &inputs).map_err(fail)?;
            let fields = match targeted_paths(node, targets) {
                Some(paths) => paths
                    .into_iter()
                    .map(|p| FieldAffected {
                        path: format!("{}:{}", node.address, p.path.join(".")),
                        field_name: p.path.join("."),
                        data_categories: p.categories,
                    })
                    .collect(),
                None => node
                    .fields
                    .iter()
                    .map(|f| FieldAffected {
                        path: format!("{}:{}", node.address, f.name),
                        field_name: f.name.clone(),
                        data_categories: f.categories.clone(),
                    })
                    .collect(),
            };
            logs.push(Log {
                dataset: node.address.dataset.clone(),
                collection: Some(node.address.collection.clone()),
                connection: Some(node.connection.clone()),
                status: "complete",
                message: format!("Found {} row(s)", rows.len()),
                fields,
            });
            results.insert(step.node, rows);
        }
        Ok(results)
    }

    /// Renders and stores one package per access rule.
    fn upload(
        &self,
        id: &str,
        world: &World,
        policy: &Policy,
        results: &BTreeMap<String, Vec<Value>>,
        key: Option<&[u8]>,
    ) -> std::result::Result<Vec<ResultFile>, String> {
        let redactor =
            self.inner.redaction.redactor(entity_rules(&world.datasets)).map_err(|e| format!("redaction: {e}"))?;
        let mut files = Vec::new();
        for rule in policy.rules.iter().filter(|r| r.action_type == ActionType::Access) {
            let targets: Vec<String> = rule.targets.iter().map(|t| t.data_category.clone()).collect();
            let mut package = Map::new();
            for (address, rows) in results {
                let Some((dataset, collection)) = address.split_once(':') else { continue };
                let address = Address { dataset: dataset.to_owned(), collection: collection.to_owned() };
                let Some(node) = world.graph.node(&address) else { continue };
                if let Some(rows) = filter_rows(node, rows, &targets) {
                    package.insert(address.to_string(), Value::Array(rows));
                }
            }
            let package = redactor.redact_package(package);
            let format = rule.storage_destination.as_ref().map_or(ResponseFormat::Json, |s| s.format);
            let rendered = package::render(&package, format, key)?;
            let file = format!("{}.{}", rule.key, rendered.extension);
            package::write_atomically(&self.inner.settings.storage_dir.join(id), &file, &rendered.bytes)
                .map_err(|e| format!("writing {file}: {e}"))?;
            files.push(ResultFile { rule: rule.key.clone(), file });
        }
        Ok(files)
    }

    /// Executes request `id` if it is runnable. `Err` only for failures of Lethe's own
    /// database (the job is retried); failures of the subject's stores end in status `error`.
    pub(super) fn run(&self, id: &str) -> Result<()> {
        let started = std::time::Instant::now();
        let mut conn = self.inner.db.conn()?;
        let Some(row) = repo::find_request(&mut conn, id)? else { return Ok(()) };
        let at = db::now();
        if !repo::start_processing(&mut conn, id, at, row.started_processing_at.unwrap_or(at))? {
            return Ok(());
        }
        // A first run has no logs or checkpoint yet; retries and take-overs may.
        let resumed = row.started_processing_at.is_some();
        let policy_rows = config_repo::policies_by_ids(&mut conn, std::slice::from_ref(&row.policy_id))?;
        let policy = config_repo::assemble_policies(&mut conn, policy_rows)?
            .pop()
            .ok_or_else(|| DsrError::Db(db::DbError::Corrupt(format!("policy of {id} is missing"))))?;
        let checkpoint = if row.failed_step.as_deref() == Some("upload_access") {
            repo::load_checkpoint(&mut conn, id)?
        } else {
            None
        };
        drop(conn);

        let identity = self.open_identity(&row)?;
        let key = self.open_encryption_key(&row)?;
        let targets: Vec<String> = policy
            .rules
            .iter()
            .filter(|r| r.action_type == ActionType::Access)
            .flat_map(|r| r.targets.iter().map(|t| t.data_category.clone()))
            .collect();
        let mut logs = Vec::new();
        let prepared = started.elapsed();
        let world = match self.world()? {
            Ok(world) => world,
            Err(message) => {
                logs.push(Log::error(TRAVERSAL, None, None, message));
                return self.record_failure(id, "access", None, logs, None);
            }
        };
        let results: BTreeMap<String, Vec<Value>> = match checkpoint {
            Some(sealed) => {
                let plain = crypto::open(&self.inner.key, &sealed)
                    .map_err(|_| DsrError::Db(db::DbError::Corrupt(format!("checkpoint of {id}"))))?;
                serde_json::from_slice(&plain)
                    .map_err(|_| DsrError::Db(db::DbError::Corrupt(format!("checkpoint of {id}"))))?
            }
            None => match self.access(&world, &identity, &targets, &mut logs) {
                Ok(results) => results
                    .into_iter()
                    .map(|(node, rows)| (world.graph.nodes[node].address.to_string(), rows))
                    .collect(),
                Err(failure) => {
                    let (dataset, collection, connection) = match &failure.collection {
                        Some(address) => (
                            address.dataset.clone(),
                            Some(address.collection.clone()),
                            world.graph.node(address).map(|n| n.connection.clone()),
                        ),
                        None => (TRAVERSAL.to_owned(), None, None),
                    };
                    logs.push(Log::error(&dataset, collection, connection, failure.message));
                    let failed = failure.collection.map(|a| a.to_string());
                    return self.record_failure(id, "access", failed.as_deref(), logs, None);
                }
            },
        };
        let queried = started.elapsed();
        match self.upload(id, &world, &policy, &results, key.as_deref()) {
            Ok(files) => {
                let uploaded = started.elapsed();
                self.record_success(id, &files, logs, resumed)?;
                tracing::debug!(
                    privacy_request_id = id,
                    prepare_ms = prepared.as_secs_f64() * 1e3,
                    access_ms = (queried - prepared).as_secs_f64() * 1e3,
                    upload_ms = (uploaded - queried).as_secs_f64() * 1e3,
                    total_ms = started.elapsed().as_secs_f64() * 1e3,
                    "privacy request complete"
                );
                Ok(())
            }
            Err(message) => {
                logs.push(Log::error(UPLOAD, None, None, format!("Access package upload failed: {message}")));
                let plain = serde_json::to_vec(&results).map_err(|e| DsrError::BadRequest(e.to_string()))?;
                let sealed = crypto::seal(&self.inner.key, &plain);
                self.record_failure(id, "upload_access", None, logs, Some(sealed))
            }
        }
    }

    fn log_rows(conn: &mut db::DbConn, id: &str, logs: Vec<Log>, resumed: bool) -> Result<Vec<LogRow>> {
        let first = if resumed { repo::next_log_seq(conn, id)? } else { 0 };
        let at = db::now();
        Ok(logs
            .into_iter()
            .zip(first..)
            .map(|(log, seq)| LogRow {
                id: new_id("exe"),
                privacy_request_id: id.to_owned(),
                seq,
                dataset_name: Some(log.dataset),
                collection_name: log.collection,
                connection_key: log.connection,
                action_type: ActionType::Access.as_str().to_owned(),
                status: log.status.to_owned(),
                message: Some(log.message),
                fields_affected: serde_json::to_string(&log.fields).unwrap_or_else(|_| "[]".to_owned()),
                created_at: at,
                updated_at: at,
            })
            .collect())
    }

    fn record_success(&self, id: &str, files: &[ResultFile], logs: Vec<Log>, resumed: bool) -> Result<()> {
        let files = serde_json::to_string(files).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        let mut conn = self.inner.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            let rows = Self::log_rows(c, id, logs, resumed)?;
            repo::insert_logs(c, &rows)?;
            repo::finish(c, id, db::now(), &files)?;
            if resumed {
                repo::delete_checkpoint(c, id)?;
            }
            Ok(())
        })
    }

    fn record_failure(
        &self,
        id: &str,
        step: &str,
        collection: Option<&str>,
        logs: Vec<Log>,
        checkpoint: Option<Vec<u8>>,
    ) -> Result<()> {
        let mut conn = self.inner.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            let rows = Self::log_rows(c, id, logs, true)?;
            repo::insert_logs(c, &rows)?;
            repo::fail(c, id, db::now(), step, collection)?;
            if let Some(sealed) = &checkpoint {
                repo::save_checkpoint(c, id, sealed, db::now())?;
            }
            Ok(())
        })
    }

    /// Marks a request whose job ran out of attempts as failed (best effort).
    pub(super) fn give_up(&self, id: &str, message: &str) {
        let logs =
            vec![Log::error(EXECUTION, None, None, format!("Execution gave up after repeated failures: {message}"))];
        let still_running = self
            .inner
            .db
            .conn()
            .ok()
            .and_then(|mut c| repo::find_request(&mut c, id).ok().flatten())
            .is_some_and(|r| r.status == RequestStatus::InProcessing.as_str());
        if still_running && let Err(e) = self.record_failure(id, "access", None, logs, None) {
            tracing::error!(error = %e, privacy_request_id = id, "could not mark the request failed");
        }
    }
}

impl Log {
    fn error(dataset: &str, collection: Option<String>, connection: Option<String>, message: String) -> Log {
        Log { dataset: dataset.to_owned(), collection, connection, status: "error", message, fields: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn redact_flags_are_collected_at_every_level() {
        let dataset: Dataset = serde_json::from_value(json!({
            "fides_key": "crm",
            "fides_meta": {"redact": "name"},
            "collections": [{"name": "people", "fides_meta": {"redact": "name"}, "fields": [
                {"name": "profile", "fides_meta": {"redact": "name"}, "fields": [{"name": "ssn", "fides_meta": {"redact": "name"}}]},
                {"name": "plain"}]}]
        }))
        .unwrap();
        let rules = entity_rules(&[dataset]);
        for key in ["crm", "crm.people", "crm.people.profile", "crm.people.profile.ssn"] {
            assert_eq!(rules.get(key), Some(redaction::EntityRedaction::Redact), "{key}");
        }
        assert_eq!(rules.get("crm.people.plain"), None);
    }
}
