//! Execution of one privacy request: wait for manual input if some is missing, traverse the
//! graph, query each collection, filter the rows per access rule, render, redact, encrypt and
//! store the packages, mask what the erasure rules target, then complete. Logs are written with
//! the outcome in one transaction.
//!
//! Access results are kept (sealed) before anything is written to the subject's stores and
//! whenever a later step fails, so a retry or a take-over after a crash resumes from them:
//! erasure masks the rows the first access found (masking an identity would otherwise make the
//! subject's rows unfindable) with the same per-request secrets, so running it twice writes
//! the same values.

use super::model::LogStatus;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::repo::{self, LogRow};
use super::service::{DieselRequestService, ResultFile};
use crate::connector::{FieldInput, RowUpdate, Store};
use crate::datasets::{Dataset, Field};
use crate::error::{DsrError, Result};
use crate::filter::{filter_rows, targeted_paths};
use crate::graph::{self, Address, Graph, Input, Node, Step, covers};
use crate::masking::{MaskingSecrets, Strategy};
use crate::model::{ActionType, Policy, ResponseFormat};
use crate::package;
use crate::repo as config_repo;
use crate::request::model::{FieldAffected, RequestStatus};
use crate::service::{DieselDsrService, open_secrets};
use db::id::new_id;

/// Name under which traversal problems are logged (as Fides).
const TRAVERSAL: &str = "Dataset traversal";
/// Name under which a request given up after repeated failures is logged.
const EXECUTION: &str = "Request execution";
/// Name under which upload problems are logged.
const UPLOAD: &str = "Access package upload";

/// One log entry before it is stored.
pub(super) struct Log {
    dataset: String,
    collection: Option<String>,
    connection: Option<String>,
    status: LogStatus,
    message: String,
    fields: Vec<FieldAffected>,
    action: ActionType,
}

/// Why a step ended early: it failed, the request was canceled meanwhile, or Lethe's own
/// database failed (the job is retried).
enum Stop {
    Failed(StepFailure),
    Canceled,
    Db(DsrError),
}

impl From<StepFailure> for Stop {
    fn from(failure: StepFailure) -> Stop {
        Stop::Failed(failure)
    }
}

impl From<DsrError> for Stop {
    fn from(e: DsrError) -> Stop {
        Stop::Db(e)
    }
}

impl From<db::DbError> for Stop {
    fn from(e: db::DbError) -> Stop {
        Stop::Db(e.into())
    }
}

/// Why a step failed: the collection (if one) and the message.
struct StepFailure {
    collection: Option<Address>,
    message: String,
}

impl StepFailure {
    /// The error entry: under the failed collection, or under the traversal when none failed.
    fn log(self, world: &World, action: ActionType) -> Log {
        let (dataset, collection, connection) = match &self.collection {
            Some(address) => (
                address.dataset.clone(),
                Some(address.collection.clone()),
                world.graph.node(address).map(|n| n.connection.clone()),
            ),
            None => (TRAVERSAL.to_owned(), None, None),
        };
        Log::error(&dataset, collection, connection, self.message).in_step(action)
    }
}

/// What execution needs from the configuration: the graph, the stores and the datasets.
struct World {
    graph: Graph,
    datasets: Vec<Dataset>,
    stores: HashMap<String, std::result::Result<Arc<Store>, String>>,
    /// Connections with `write` access, which erasure may change.
    writable: Vec<String>,
}

impl World {
    /// The store holding `node`, or why it cannot be used.
    fn store(&self, node: &Node) -> std::result::Result<Arc<Store>, String> {
        match self.stores.get(&node.connection) {
            Some(Ok(store)) => Ok(Arc::clone(store)),
            Some(Err(message)) => Err(message.clone()),
            None => Err(format!("connection {} is unknown", node.connection)),
        }
    }
}

/// What a request's packages are made of.
#[derive(Clone, Copy)]
struct PackageSource<'a> {
    world: &'a World,
    policy: &'a Policy,
    results: &'a BTreeMap<String, Vec<Value>>,
    manual: &'a [(String, Value)],
    key: Option<&'a [u8]>,
}

/// An erasure rule: its strategy and targets.
struct ErasureRule {
    strategy: Strategy,
    targets: Vec<String>,
}

/// A field erasure masks.
struct MaskedField<'a> {
    field: &'a graph::FieldSpec,
    strategy: Strategy,
}

/// The fields of `node` the erasure rules mask (field-level categories only, as Fides), and the
/// targeted ones left alone with why.
fn fields_to_mask<'a>(node: &'a Node, rules: &[ErasureRule]) -> (Vec<MaskedField<'a>>, Vec<String>) {
    let mut masked = Vec::new();
    let mut left = Vec::new();
    for field in &node.fields {
        let Some(rule) = rules.iter().find(|r| field.categories.iter().any(|c| r.targets.iter().any(|t| covers(t, c))))
        else {
            continue;
        };
        if field.read_only {
            left.push(format!("{} is read_only", field.name));
            continue;
        }
        if field.primary_key {
            left.push(format!("{} is a primary key", field.name));
            continue;
        }
        let strategy = match field.masking_override.as_ref().map(Strategy::parse) {
            Some(Ok(strategy)) => strategy,
            Some(Err(message)) => {
                left.push(format!("{}: {message}", field.name));
                continue;
            }
            None => rule.strategy.clone(),
        };
        if !strategy.supports(field.data_type.as_deref()) {
            left.push(format!(
                "{} has data_type {}; {} masks only string fields",
                field.name,
                field.data_type.as_deref().unwrap_or("(none)"),
                strategy.name()
            ));
            continue;
        }
        masked.push(MaskedField { field, strategy });
    }
    (masked, left)
}

/// Plan steps in erasure order: plan order, each collection after those its `erase_after` names.
fn erasure_order<'a>(graph: &Graph, steps: &'a [Step]) -> std::result::Result<Vec<&'a Step>, String> {
    let mut remaining: Vec<&Step> = steps.iter().collect();
    let mut order: Vec<&Step> = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|step| {
            graph.nodes[step.node]
                .erase_after
                .iter()
                .all(|before| !remaining.iter().any(|other| &graph.nodes[other.node].address == before))
        });
        let Some(position) = ready else {
            let names: Vec<String> = remaining.iter().map(|s| graph.nodes[s.node].address.to_string()).collect();
            return Err(format!("erase_after forms a cycle among: {}", names.join(", ")));
        };
        order.push(remaining.remove(position));
    }
    Ok(order)
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
        let mut writable = Vec::new();
        for (dataset_row, connection_row) in rows {
            let dataset = DieselDsrService::parse_dataset(&dataset_row)?;
            pairs.push((dataset.clone(), connection_row.key.clone()));
            datasets.push(dataset);
            if stores.contains_key(&connection_row.key) {
                continue;
            }
            if connection_row.access == crate::AccessLevel::Write {
                writable.push(connection_row.key.clone());
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
        Ok(Graph::build(&pairs).map(|graph| World { graph, datasets, stores, writable }))
    }

    /// Whether request `id` is still executing (checked between steps: a cancel stops it).
    fn still_running(&self, id: &str) -> Result<bool> {
        Ok(repo::is_running(&mut *self.inner.db.conn()?, id)?)
    }

    /// Runs the access step: every planned collection queried in order, stopping before the
    /// next one when the request was canceled.
    fn access(
        &self,
        id: &str,
        world: &World,
        identity: &super::Identity,
        targets: &[String],
        logs: &mut Vec<Log>,
    ) -> std::result::Result<BTreeMap<usize, Vec<Value>>, Stop> {
        let keys: Vec<&str> = identity.keys().collect();
        let plan =
            graph::plan(&world.graph, &keys, targets).map_err(|e| StepFailure { collection: None, message: e.0 })?;
        for (address, message) in plan.skipped {
            logs.push(Log {
                dataset: address.dataset.clone(),
                collection: Some(address.collection.clone()),
                connection: world.graph.node(&address).map(|n| n.connection.clone()),
                status: LogStatus::Skipped,
                message,
                fields: Vec::new(),
                action: ActionType::Access,
            });
        }
        let mut results: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
        for step in plan.steps {
            if !self.still_running(id)? {
                return Err(Stop::Canceled);
            }
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
            let rows = world.store(node).map_err(fail)?.select(node, &inputs).map_err(fail)?;
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
                status: LogStatus::Complete,
                message: format!("Found {} row(s)", rows.len()),
                fields,
                action: ActionType::Access,
            });
            results.insert(step.node, rows);
        }
        Ok(results)
    }

    /// Renders one package per access rule and stores them: written under temporary names,
    /// then published together while the request is held as still running, so a canceled
    /// request leaves no package. `Ok(Ok(None))`: canceled meanwhile; `Ok(Err(message))`: the
    /// packages could not be written.
    fn upload(
        &self,
        id: &str,
        source: &PackageSource<'_>,
    ) -> Result<std::result::Result<Option<Vec<ResultFile>>, String>> {
        let staged = match self.stage_packages(id, source) {
            Ok(staged) => staged,
            Err(message) => return Ok(Err(message)),
        };
        let mut conn = self.inner.db.conn()?;
        let mut staged = Some(staged);
        let published = conn.write_transaction(|c| -> Result<std::result::Result<Option<Vec<ResultFile>>, String>> {
            let staged = staged.take().unwrap_or_default();
            if !repo::lock_if_running(c, id)? {
                staged.into_iter().for_each(|(_, package)| package.discard());
                return Ok(Ok(None));
            }
            let mut files = Vec::new();
            let mut packages = staged.into_iter();
            for (file, package) in packages.by_ref() {
                if let Err(e) = package.commit() {
                    packages.for_each(|(_, rest)| rest.discard());
                    return Ok(Err(format!("writing {}: {e}", file.file)));
                }
                files.push(file);
            }
            Ok(Ok(Some(files)))
        });
        if let Some(left) = staged {
            // The transaction never ran the closure: nothing was published.
            left.into_iter().for_each(|(_, package)| package.discard());
        }
        published
    }

    /// Renders and stages one package per access rule.
    fn stage_packages(
        &self,
        id: &str,
        source: &PackageSource<'_>,
    ) -> std::result::Result<Vec<(ResultFile, package::Staged)>, String> {
        let PackageSource { world, policy, results, manual, key } = *source;
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
            let mut package = redactor.redact_package(package);
            // Manual data goes to the subject as uploaded: unfiltered, under the connection key.
            for (connection, rows) in manual {
                package.insert(connection.clone(), rows.clone());
            }
            let format = rule.storage_destination.as_ref().map_or(ResponseFormat::Json, |s| s.format);
            let rendered = package::render(&package, format, key)?;
            let file = format!("{}.{}", rule.key, rendered.extension);
            let staged = match package::stage(&self.inner.settings.storage_dir.join(id), &file, &rendered.bytes) {
                Ok(staged) => staged,
                Err(e) => {
                    files.into_iter().for_each(|(_, staged): (ResultFile, package::Staged)| staged.discard());
                    return Err(format!("writing {file}: {e}"));
                }
            };
            files.push((ResultFile { rule: rule.key.clone(), file }, staged));
        }
        Ok(files)
    }

    /// Masks, collection by collection, the fields the erasure rules target in the rows access
    /// found; each collection's rows change in one transaction on its store, made while the
    /// request is held as still running, so nothing is masked once a cancel has committed.
    #[expect(clippy::too_many_arguments, reason = "the step's inputs, all borrowed from run")]
    fn erase(
        &self,
        id: &str,
        world: &World,
        identity_keys: &[&str],
        all_targets: &[String],
        rules: &[ErasureRule],
        results: &BTreeMap<String, Vec<Value>>,
        secrets: &MaskingSecrets,
        logs: &mut Vec<Log>,
    ) -> std::result::Result<(), Stop> {
        let plan = graph::plan(&world.graph, identity_keys, all_targets)
            .map_err(|e| StepFailure { collection: None, message: e.0 })?;
        let order =
            erasure_order(&world.graph, &plan.steps).map_err(|message| StepFailure { collection: None, message })?;
        for step in order {
            let node = &world.graph.nodes[step.node];
            let (masked, left) = fields_to_mask(node, rules);
            let log = |status: LogStatus, message: String, fields: Vec<FieldAffected>| Log {
                dataset: node.address.dataset.clone(),
                collection: Some(node.address.collection.clone()),
                connection: Some(node.connection.clone()),
                status,
                message,
                fields,
                action: ActionType::Erasure,
            };
            if masked.is_empty() {
                if !left.is_empty() {
                    logs.push(log(
                        LogStatus::Skipped,
                        format!("No values were erased: {}", left.join("; ")),
                        Vec::new(),
                    ));
                }
                continue;
            }
            let fail = |message: String| StepFailure { collection: Some(node.address.clone()), message };
            if !world.writable.contains(&node.connection) {
                return Err(Stop::Failed(fail(format!(
                    "No values were erased since this connection {} has not been given write access",
                    node.connection
                ))));
            }
            // Rows are found by their primary key, or without one by the fields the collection
            // was reached through.
            let mut keys: Vec<&str> = node.fields.iter().filter(|f| f.primary_key).map(|f| f.name.as_str()).collect();
            if keys.is_empty() {
                for input in &step.inputs {
                    let field = match input {
                        Input::Seed { field, .. } | Input::Edge { field, .. } => field.as_str(),
                    };
                    if !keys.contains(&field) {
                        keys.push(field);
                    }
                }
            }
            let rows = results.get(&node.address.to_string()).map(Vec::as_slice).unwrap_or_default();
            let updates: Vec<RowUpdate> = rows
                .iter()
                .filter_map(|row| {
                    let filter: Vec<(String, Value)> = keys
                        .iter()
                        .filter_map(|k| row.get(*k).filter(|v| !v.is_null()).map(|v| ((*k).to_owned(), v.clone())))
                        .collect();
                    if filter.is_empty() {
                        return None;
                    }
                    let set = masked
                        .iter()
                        .map(|m| {
                            let value = row.get(&m.field.name).unwrap_or(&Value::Null);
                            (m.field.name.clone(), m.strategy.mask(value, secrets, m.field.length))
                        })
                        .collect();
                    Some(RowUpdate { set, filter })
                })
                .collect();
            let store = world.store(node).map_err(fail)?;
            let mut conn = self.inner.db.conn()?;
            let masked_rows = conn.write_transaction(|c| -> Result<Option<std::result::Result<usize, String>>> {
                if !repo::lock_if_running(c, id)? {
                    return Ok(None);
                }
                Ok(Some(store.update(node, &updates)))
            })?;
            drop(conn);
            let changed = match masked_rows {
                None => return Err(Stop::Canceled),
                Some(outcome) => outcome.map_err(fail)?,
            };
            let mut message = format!("Masked {changed} row(s)");
            if !left.is_empty() {
                message.push_str(&format!("; left alone: {}", left.join("; ")));
            }
            let fields = masked
                .iter()
                .map(|m| FieldAffected {
                    path: format!("{}:{}", node.address, m.field.name),
                    field_name: m.field.name.clone(),
                    data_categories: m.field.categories.clone(),
                })
                .collect();
            logs.push(log(LogStatus::Complete, message, fields));
        }
        Ok(())
    }

    /// The policy's erasure rules with their full strategies (responses never carry the
    /// configuration), in rule order.
    fn erasure_rules(conn: &mut db::DbConn, policy_id: &str) -> Result<Vec<ErasureRule>> {
        let rows: Vec<_> = config_repo::rules_of(conn, &[policy_id.to_owned()])?
            .into_iter()
            .filter(|r| r.action() == ActionType::Erasure)
            .collect();
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let targets = config_repo::targets_of(conn, &ids)?;
        rows.into_iter()
            .map(|rule| {
                let corrupt = |what: String| DsrError::Db(db::DbError::Corrupt(format!("rule {}: {what}", rule.key)));
                let spec: crate::model::MaskingStrategy =
                    serde_json::from_str(rule.masking_strategy.as_deref().unwrap_or("null"))
                        .map_err(|e| corrupt(e.to_string()))?;
                Ok(ErasureRule {
                    strategy: Strategy::parse(&spec).map_err(corrupt)?,
                    targets: targets.iter().filter(|t| t.rule_id == rule.id).map(|t| t.data_category.clone()).collect(),
                })
            })
            .collect()
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
        // A first run has no logs or checkpoint yet; retries, resumptions and take-overs may.
        let resumed = row.started_processing_at.is_some();
        let policy_rows = config_repo::policies_by_ids(&mut conn, std::slice::from_ref(&row.policy_id))?;
        let policy = config_repo::assemble_policies(&mut conn, policy_rows)?
            .pop()
            .ok_or_else(|| DsrError::Db(db::DbError::Corrupt(format!("policy of {id} is missing"))))?;
        let has_access = policy.rules.iter().any(|r| r.action_type == ActionType::Access);
        let erasure_rules = Self::erasure_rules(&mut conn, &row.policy_id)?;
        let uploaded = if has_access { repo::manual_inputs_of(&mut conn, id)? } else { Vec::new() };
        if has_access {
            let missing = Self::missing_manual_input(&mut conn, &uploaded)?;
            if !missing.is_empty() {
                drop(conn);
                self.wait_for_input(id, &missing)?;
                return Ok(());
            }
        }
        let checkpoint = if resumed { repo::load_checkpoint(&mut conn, id)? } else { None };
        let manual = self.manual_package_entries(&uploaded)?;
        drop(conn);

        let identity = self.open_identity(&row)?;
        let key = self.open_encryption_key(&row)?;
        let targets: Vec<String> = policy
            .rules
            .iter()
            .filter(|r| matches!(r.action_type, ActionType::Access | ActionType::Erasure))
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
        let from_checkpoint = checkpoint.is_some();
        let results: BTreeMap<String, Vec<Value>> = match checkpoint {
            Some(sealed) => self.open_json(&sealed, &format!("checkpoint of {id}"))?,
            None => match self.access(id, &world, &identity, &targets, &mut logs) {
                Ok(results) => results
                    .into_iter()
                    .map(|(node, rows)| (world.graph.nodes[node].address.to_string(), rows))
                    .collect(),
                Err(Stop::Failed(failure)) => {
                    let failed = failure.collection.as_ref().map(Address::to_string);
                    logs.push(failure.log(&world, ActionType::Access));
                    return self.record_failure(id, "access", failed.as_deref(), logs, None);
                }
                Err(Stop::Canceled) => return self.record_canceled(id, "access", logs),
                Err(Stop::Db(e)) => return Err(e),
            },
        };
        // Before the first write to the subject's stores: the results erasure works from, and
        // the secrets it masks with, are stored, so a crash or a retry masks the same rows the
        // same way.
        let secrets = if erasure_rules.is_empty() {
            None
        } else {
            let (secrets, generated) = match &row.masking_secrets {
                Some(sealed) => (self.open_json(sealed, &format!("masking secrets of {id}"))?, None),
                None => {
                    let secrets = MaskingSecrets::generate();
                    let sealed = self.seal_json(&secrets)?;
                    (secrets, Some(sealed))
                }
            };
            if !from_checkpoint || generated.is_some() {
                let sealed = self.seal_json(&results)?;
                let mut conn = self.inner.db.conn()?;
                conn.write_transaction(|c| -> Result<()> {
                    repo::save_checkpoint(c, id, &sealed, db::now())?;
                    if let Some(generated) = &generated {
                        repo::save_masking_secrets(c, id, generated)?;
                    }
                    Ok(())
                })?;
            }
            Some(secrets)
        };
        let queried = started.elapsed();
        let files = if has_access {
            let source = PackageSource {
                world: &world,
                policy: &policy,
                results: &results,
                manual: &manual,
                key: key.as_deref(),
            };
            match self.upload(id, &source)? {
                Ok(Some(files)) => files,
                Ok(None) => return self.record_canceled(id, "upload_access", logs),
                Err(message) => {
                    logs.push(Log::error(UPLOAD, None, None, format!("Access package upload failed: {message}")));
                    let sealed = self.seal_json(&results)?;
                    return self.record_failure(id, "upload_access", None, logs, Some(sealed));
                }
            }
        } else {
            Vec::new()
        };
        let uploaded = started.elapsed();
        if let Some(secrets) = &secrets {
            let keys: Vec<&str> = identity.keys().collect();
            match self.erase(id, &world, &keys, &targets, &erasure_rules, &results, secrets, &mut logs) {
                Ok(()) => {}
                Err(Stop::Failed(failure)) => {
                    let failed = failure.collection.as_ref().map(Address::to_string);
                    logs.push(failure.log(&world, ActionType::Erasure));
                    return self.record_failure(id, "erasure", failed.as_deref(), logs, None);
                }
                Err(Stop::Canceled) => return self.record_canceled(id, "erasure", logs),
                Err(Stop::Db(e)) => return Err(e),
            }
        }
        self.record_success(id, &files, logs, resumed, secrets.is_some())?;
        tracing::debug!(
            privacy_request_id = id,
            prepare_ms = prepared.as_secs_f64() * 1e3,
            access_ms = (queried - prepared).as_secs_f64() * 1e3,
            upload_ms = (uploaded - queried).as_secs_f64() * 1e3,
            erasure_ms = (started.elapsed() - uploaded).as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "privacy request complete"
        );
        Ok(())
    }

    /// Appends log entries after those a request already has.
    pub(super) fn append_logs(conn: &mut db::DbConn, id: &str, logs: Vec<Log>) -> Result<()> {
        let rows = Self::log_rows(conn, id, logs, true)?;
        repo::insert_logs(conn, &rows)?;
        Ok(())
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
                action_type: log.action,
                status: log.status,
                message: Some(log.message),
                fields_affected: serde_json::to_string(&log.fields).unwrap_or_else(|_| "[]".to_owned()),
                created_at: at,
                updated_at: at,
            })
            .collect())
    }

    fn record_success(
        &self,
        id: &str,
        files: &[ResultFile],
        logs: Vec<Log>,
        resumed: bool,
        checkpointed: bool,
    ) -> Result<()> {
        let files = serde_json::to_string(files).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        let mut conn = self.inner.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            let rows = Self::log_rows(c, id, logs, resumed)?;
            repo::insert_logs(c, &rows)?;
            repo::finish(c, id, db::now(), &files)?;
            if resumed || checkpointed {
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

    /// Keeps the log of what ran before a cancel stopped the request, and says where it stopped;
    /// the request stays canceled.
    fn record_canceled(&self, id: &str, step: &str, mut logs: Vec<Log>) -> Result<()> {
        logs.push(Log::status(
            EXECUTION,
            LogStatus::Canceled,
            format!("Execution stopped before the {step} step went on: the request was canceled"),
        ));
        let mut conn = self.inner.db.conn()?;
        conn.write_transaction(|c| Self::append_logs(c, id, logs))?;
        tracing::info!(privacy_request_id = id, step, "stopped: the request was canceled");
        Ok(())
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
            .is_some_and(|r| r.status == RequestStatus::InProcessing);
        if still_running && let Err(e) = self.record_failure(id, "access", None, logs, None) {
            tracing::error!(error = %e, privacy_request_id = id, "could not mark the request failed");
        }
    }
}

impl Log {
    fn error(dataset: &str, collection: Option<String>, connection: Option<String>, message: String) -> Log {
        Log {
            dataset: dataset.to_owned(),
            collection,
            connection,
            status: LogStatus::Error,
            message,
            fields: Vec::new(),
            action: ActionType::Access,
        }
    }

    /// An entry about the request as a whole (review, manual input), under `name`.
    pub(super) fn status(name: &str, status: LogStatus, message: String) -> Log {
        Log {
            dataset: name.to_owned(),
            collection: None,
            connection: None,
            status,
            message,
            fields: Vec::new(),
            action: ActionType::Access,
        }
    }

    fn in_step(mut self, action: ActionType) -> Log {
        self.action = action;
        self
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
