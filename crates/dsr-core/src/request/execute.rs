//! Execution of one privacy request: wait for manual input if some is missing, traverse the
//! graph, query each collection, filter the rows per access rule, render, redact, encrypt and
//! store the packages, mask what the erasure rules target, then complete. Logs are written with
//! the outcome in one transaction.
//!
//! Access results are kept (sealed) before anything is written to the subject's stores and
//! whenever a later step fails, so a retry or a take-over after a crash resumes from them:
//! erasure masks the rows the first access found (masking an identity would otherwise make the
//! subject's rows unfindable) with the same per-request secrets, so running it twice writes
//! the same values. A cancel is checked before each collection, and packages are published and
//! rows masked only inside a transaction that holds the request as still running.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use db::Database;
use redaction::RedactionService;
use serde_json::{Map, Value};

use super::identity::Identity;
use super::log::{self, EXECUTION, Log, TRAVERSAL, UPLOAD};
use super::manual::ManualInputs;
use super::model::{FieldAffected, LogStatus, RequestStatus};
use super::repo::{self, ResultFile};
use super::settings::RequestSettings;
use super::vault::Vault;
use crate::connection::AccessLevel;
use crate::connection::secrets;
use crate::dataset::repo as dataset_repo;
use crate::dataset::{Dataset, Field};
use crate::error::{DsrError, Result, StoreError};
use crate::filter::{filter_rows, targeted_paths};
use crate::graph::{self, Address, Graph, Input, Node, Step, covers};
use crate::masking::{MaskingSecrets, MaskingStrategy, Strategy};
use crate::package::{self, ResponseFormat};
use crate::policy::repo::{self as policy_repo, PolicyId, RuleId};
use crate::policy::{ActionType, Policy};
use connectors::{Collection, Column, Connector, FieldInput, RowUpdate, Stores};

/// Why a run ended before completing.
enum Stop {
    /// A step failed.
    Failed(Box<Failure>),
    /// The request was canceled while step `0` ran.
    Canceled(&'static str),
    /// Lethe's own database failed: the job is retried.
    Db(DsrError),
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

/// A failed step: `entry` says why; a retry resumes from `step` (with `checkpoint`, the sealed
/// access results, when they must be kept).
struct Failure {
    step: &'static str,
    collection: Option<String>,
    entry: Log,
    checkpoint: Option<Vec<u8>>,
}

/// Why a step failed: the collection (if one) and the message.
struct StepFailure {
    collection: Option<Address>,
    message: String,
}

impl StepFailure {
    fn traversal(message: String) -> StepFailure {
        StepFailure { collection: None, message }
    }

    /// The stop of `step`, logged under the failed collection, or under the traversal when no
    /// collection failed.
    fn stop(self, world: &World, step: &'static str, action: ActionType) -> Stop {
        let (dataset, collection, connection) = match &self.collection {
            Some(address) => (
                address.dataset.clone(),
                Some(address.collection.clone()),
                world.graph.node(address).map(|n| n.connection.clone()),
            ),
            None => (TRAVERSAL.to_owned(), None, None),
        };
        Stop::Failed(Box::new(Failure {
            step,
            collection: self.collection.as_ref().map(Address::to_string),
            entry: Log::error(&dataset, collection, connection, self.message).in_step(action),
            checkpoint: None,
        }))
    }
}

/// A step's outcome before its stop is located in the world.
enum StepStop {
    Failed(StepFailure),
    Canceled,
    Db(DsrError),
}

impl From<StepFailure> for StepStop {
    fn from(failure: StepFailure) -> StepStop {
        StepStop::Failed(failure)
    }
}

impl From<DsrError> for StepStop {
    fn from(e: DsrError) -> StepStop {
        StepStop::Db(e)
    }
}

impl From<db::DbError> for StepStop {
    fn from(e: db::DbError) -> StepStop {
        StepStop::Db(e.into())
    }
}

impl StepStop {
    fn located(self, world: &World, step: &'static str, action: ActionType) -> Stop {
        match self {
            StepStop::Failed(failure) => failure.stop(world, step, action),
            StepStop::Canceled => Stop::Canceled(step),
            StepStop::Db(e) => Stop::Db(e),
        }
    }
}

/// Rows masked in one transaction on a store.
const MASK_BATCH: usize = 1_000;

/// A graph node as its connector reads it: the table, its schema and the declared columns.
fn collection(node: &Node) -> Collection {
    let columns = node.fields.iter().map(|f| Column::new(&f.name, f.data_type.as_deref())).collect();
    Collection::new(&node.address.collection, node.schema.as_deref(), columns)
}

/// What execution needs from the configuration: the graph, the stores and the datasets.
struct World {
    graph: Graph,
    datasets: Vec<Dataset>,
    stores: HashMap<String, std::result::Result<Arc<dyn Connector>, StoreError>>,
    /// Connections with `write` access, which erasure may change.
    writable: Vec<String>,
}

impl World {
    /// The store holding `node`, or why it cannot be used.
    fn store(&self, node: &Node) -> std::result::Result<Arc<dyn Connector>, StoreError> {
        match self.stores.get(&node.connection) {
            Some(Ok(store)) => Ok(Arc::clone(store)),
            Some(Err(e)) => Err(e.clone()),
            None => Err(StoreError(format!("connection {} is unknown", node.connection))),
        }
    }
}

/// What a runnable request is executed with, read before anything runs.
struct Run {
    resumed: bool,
    policy: Policy,
    erasure_rules: Vec<ErasureRule>,
    checkpoint: Option<Vec<u8>>,
    manual: Vec<(String, Value)>,
    identity: Identity,
    key: Option<Vec<u8>>,
    targets: Vec<String>,
    masking_secrets: Option<Vec<u8>>,
}

impl Run {
    fn has_access(&self) -> bool {
        self.policy.rules.iter().any(|r| r.action_type == ActionType::Access)
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

/// When each phase of a run ended, for the debug log.
#[derive(Default)]
struct Marks {
    prepared: Duration,
    queried: Duration,
    uploaded: Duration,
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
            Some(Err(e)) => {
                left.push(format!("{}: {e}", field.name));
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
fn erasure_order<'a>(graph: &Graph, steps: &'a [Step]) -> std::result::Result<Vec<&'a Step>, StepFailure> {
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
            return Err(StepFailure::traversal(format!("erase_after forms a cycle among: {}", names.join(", "))));
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

/// The log entry of a collection's access: the fields it returned (those the rules target, or
/// all when a rule targets the whole collection).
fn access_fields(node: &Node, targets: &[String]) -> Vec<FieldAffected> {
    match targeted_paths(node, targets) {
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
    }
}

/// The input values of a step: identity values for seeds, values of earlier rows for edges.
fn step_inputs(step: &Step, identity: &Identity, results: &BTreeMap<usize, Vec<Value>>) -> Vec<FieldInput> {
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
    by_field.into_iter().map(|(field, values)| FieldInput::new(field, values)).collect()
}

/// The masking of the rows access found in one collection: rows are found by their primary key,
/// or without one by the fields the collection was reached through.
fn row_updates(
    node: &Node,
    step: &Step,
    rows: &[Value],
    masked: &[MaskedField<'_>],
    secrets: &MaskingSecrets,
) -> Vec<RowUpdate> {
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
    rows.iter()
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
        .collect()
}

/// Runs requests (the job handler of the request queue calls it).
#[derive(Clone)]
pub(crate) struct Executor {
    db: Database,
    vault: Vault,
    storage_dir: PathBuf,
    redaction: Arc<dyn RedactionService>,
    stores: Stores,
    manual: ManualInputs,
}

impl Executor {
    pub(crate) fn new(
        db: Database,
        vault: Vault,
        settings: &RequestSettings,
        redaction: Arc<dyn RedactionService>,
        manual: ManualInputs,
    ) -> Executor {
        Executor { db, vault, storage_dir: settings.storage_dir.clone(), redaction, stores: Stores::default(), manual }
    }

    /// The open customer stores.
    pub(crate) fn stores(&self) -> Stores {
        self.stores.clone()
    }

    /// Executes request `id` if it is runnable. `Err` only for failures of Lethe's own
    /// database (the job is retried); failures of the subject's stores end in status `error`.
    pub(crate) fn run(&self, id: &str) -> Result<()> {
        let started = Instant::now();
        let Some(run) = self.prepare(id)? else { return Ok(()) };
        let mut logs = Vec::new();
        let world = match self.world()? {
            Ok(world) => world,
            Err(message) => {
                logs.push(Log::error(TRAVERSAL, None, None, message));
                return self.record_failure(id, "access", None, logs, None);
            }
        };
        let mut marks = Marks { prepared: started.elapsed(), ..Marks::default() };
        let files = match self.execute(id, &run, &world, &mut logs, &mut marks, started) {
            Ok(files) => files,
            Err(Stop::Failed(failure)) => {
                let Failure { step, collection, entry, checkpoint } = *failure;
                logs.push(entry);
                return self.record_failure(id, step, collection.as_deref(), logs, checkpoint);
            }
            Err(Stop::Canceled(step)) => return self.record_canceled(id, step, logs),
            Err(Stop::Db(e)) => return Err(e),
        };
        self.record_success(id, &files, logs, run.resumed || !run.erasure_rules.is_empty())?;
        tracing::debug!(
            privacy_request_id = id,
            prepare_ms = marks.prepared.as_secs_f64() * 1e3,
            access_ms = (marks.queried - marks.prepared).as_secs_f64() * 1e3,
            upload_ms = (marks.uploaded - marks.queried).as_secs_f64() * 1e3,
            erasure_ms = (started.elapsed() - marks.uploaded).as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "privacy request complete"
        );
        Ok(())
    }

    /// Claims request `id` and reads what it runs with; `None` when it is not runnable (or now
    /// waits for manual input).
    fn prepare(&self, id: &str) -> Result<Option<Run>> {
        let mut conn = self.db.conn()?;
        let Some(row) = repo::find_request(&mut conn, id)? else { return Ok(None) };
        let at = db::now();
        if !repo::start_processing(&mut conn, id, at, row.started_processing_at.unwrap_or(at))? {
            return Ok(None);
        }
        // A first run has no logs or checkpoint yet; retries, resumptions and take-overs may.
        let resumed = row.started_processing_at.is_some();
        let policy_rows = policy_repo::policies_by_ids(&mut conn, std::slice::from_ref(&row.policy_id))?;
        let policy = policy_repo::assemble_policies(&mut conn, policy_rows)?
            .pop()
            .ok_or_else(|| DsrError::Db(db::DbError::Corrupt(format!("policy of {id} is missing"))))?;
        let has_access = policy.rules.iter().any(|r| r.action_type == ActionType::Access);
        let erasure_rules = erasure_rules(&mut conn, &row.policy_id)?;
        let uploaded = if has_access { repo::manual_inputs_of(&mut conn, id)? } else { Vec::new() };
        if has_access {
            let missing = ManualInputs::missing(&mut conn, &uploaded)?;
            if !missing.is_empty() {
                drop(conn);
                self.manual.wait_for_input(id, &missing)?;
                return Ok(None);
            }
        }
        let checkpoint = if resumed { repo::load_checkpoint(&mut conn, id)? } else { None };
        drop(conn);
        let targets: Vec<String> = policy
            .rules
            .iter()
            .filter(|r| matches!(r.action_type, ActionType::Access | ActionType::Erasure))
            .flat_map(|r| r.targets.iter().map(|t| t.data_category.clone()))
            .collect();
        Ok(Some(Run {
            resumed,
            erasure_rules,
            checkpoint,
            manual: self.manual.package_entries(&uploaded)?,
            identity: self.vault.open_identity(&row)?,
            key: self.vault.open_encryption_key(&row)?,
            targets,
            masking_secrets: row.masking_secrets,
            policy,
        }))
    }

    /// Access (or the checkpoint's results), the checkpoint before erasure writes, the packages,
    /// then erasure.
    fn execute(
        &self,
        id: &str,
        run: &Run,
        world: &World,
        logs: &mut Vec<Log>,
        marks: &mut Marks,
        started: Instant,
    ) -> std::result::Result<Vec<ResultFile>, Stop> {
        let from_checkpoint = run.checkpoint.is_some();
        let results: BTreeMap<String, Vec<Value>> = match &run.checkpoint {
            Some(sealed) => self.vault.open_json(sealed, &format!("checkpoint of {id}"))?,
            None => self
                .access(id, world, &run.identity, &run.targets, logs)
                .map_err(|stop| stop.located(world, "access", ActionType::Access))?
                .into_iter()
                .map(|(node, rows)| (world.graph.nodes[node].address.to_string(), rows))
                .collect(),
        };
        let secrets = self.keep_for_erasure(id, run, &results, from_checkpoint)?;
        marks.queried = started.elapsed();
        let files = if run.has_access() {
            let source = PackageSource {
                world,
                policy: &run.policy,
                results: &results,
                manual: &run.manual,
                key: run.key.as_deref(),
            };
            self.upload(id, &source)?
        } else {
            Vec::new()
        };
        marks.uploaded = started.elapsed();
        if let Some(secrets) = &secrets {
            let keys: Vec<&str> = run.identity.keys().collect();
            self.erase(id, world, &keys, run, &results, secrets, logs)
                .map_err(|stop| stop.located(world, "erasure", ActionType::Erasure))?;
        }
        Ok(files)
    }

    /// Before the first write to the subject's stores: the results erasure works from, and the
    /// secrets it masks with, are stored, so a crash or a retry masks the same rows the same way.
    /// `None` when the policy erases nothing.
    fn keep_for_erasure(
        &self,
        id: &str,
        run: &Run,
        results: &BTreeMap<String, Vec<Value>>,
        from_checkpoint: bool,
    ) -> Result<Option<MaskingSecrets>> {
        if run.erasure_rules.is_empty() {
            return Ok(None);
        }
        let (secrets, generated) = match &run.masking_secrets {
            Some(sealed) => (self.vault.open_json(sealed, &format!("masking secrets of {id}"))?, None),
            None => {
                let secrets = MaskingSecrets::generate();
                let sealed = self.vault.seal_json(&secrets)?;
                (secrets, Some(sealed))
            }
        };
        if !from_checkpoint || generated.is_some() {
            let sealed = self.vault.seal_json(results)?;
            let mut conn = self.db.conn()?;
            conn.write_transaction(|c| -> Result<()> {
                repo::save_checkpoint(c, id, &sealed, db::now())?;
                if let Some(generated) = &generated {
                    repo::save_masking_secrets(c, id, generated)?;
                }
                Ok(())
            })?;
        }
        Ok(Some(secrets))
    }

    fn world(&self) -> Result<std::result::Result<World, String>> {
        let mut conn = self.db.conn()?;
        let rows = dataset_repo::enabled_datasets(&mut conn)?;
        drop(conn);
        let mut datasets = Vec::new();
        let mut pairs = Vec::new();
        let mut stores = HashMap::new();
        let mut writable = Vec::new();
        for (dataset_row, connection_row) in rows {
            let dataset = dataset_repo::parse(&dataset_row)?;
            pairs.push((dataset.clone(), connection_row.key.clone()));
            datasets.push(dataset);
            if stores.contains_key(&connection_row.key) {
                continue;
            }
            if connection_row.access == AccessLevel::Write {
                writable.push(connection_row.key.clone());
            }
            let store = match secrets::open(self.vault.key(), &connection_row)? {
                Some(secrets) => {
                    self.stores.get(&connection_row.key, connection_row.secrets.as_deref().unwrap_or_default(), || {
                        secrets.connector()
                    })
                }
                None => Err(StoreError(format!("connection {} has no secrets", connection_row.key))),
            };
            stores.insert(connection_row.key.clone(), store);
        }
        Ok(Graph::build(&pairs).map(|graph| World { graph, datasets, stores, writable }).map_err(|e| e.0))
    }

    /// Whether request `id` is still executing (checked between steps: a cancel stops it).
    fn still_running(&self, id: &str) -> Result<bool> {
        Ok(repo::is_running(&mut *self.db.conn()?, id)?)
    }

    /// Runs the access step: every planned collection queried in order, stopping before the
    /// next one when the request was canceled.
    fn access(
        &self,
        id: &str,
        world: &World,
        identity: &Identity,
        targets: &[String],
        logs: &mut Vec<Log>,
    ) -> std::result::Result<BTreeMap<usize, Vec<Value>>, StepStop> {
        let keys: Vec<&str> = identity.keys().collect();
        let plan = graph::plan(&world.graph, &keys, targets).map_err(|e| StepFailure::traversal(e.0))?;
        for (address, message) in plan.skipped {
            let connection = world.graph.node(&address).map(|n| n.connection.clone());
            logs.push(Log::collection(&address, connection, LogStatus::Skipped, message, ActionType::Access));
        }
        let mut results: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
        for step in plan.steps {
            if !self.still_running(id)? {
                return Err(StepStop::Canceled);
            }
            let node = &world.graph.nodes[step.node];
            let inputs = step_inputs(&step, identity, &results);
            let fail = |e: StoreError| StepFailure { collection: Some(node.address.clone()), message: e.0 };
            let rows =
                connectors::read_all(&*world.store(node).map_err(fail)?, &collection(node), &inputs).map_err(fail)?;
            let message = format!("Found {} row(s)", rows.len());
            let connection = Some(node.connection.clone());
            logs.push(
                Log::collection(&node.address, connection, LogStatus::Complete, message, ActionType::Access)
                    .with_fields(access_fields(node, targets)),
            );
            results.insert(step.node, rows);
        }
        Ok(results)
    }

    /// Renders one package per access rule and stores them: written under temporary names,
    /// then published together while the request is held as still running, so a canceled
    /// request leaves no package.
    fn upload(&self, id: &str, source: &PackageSource<'_>) -> std::result::Result<Vec<ResultFile>, Stop> {
        let failed = |message: String| -> Result<Stop> {
            Ok(Stop::Failed(Box::new(Failure {
                step: "upload_access",
                collection: None,
                entry: Log::error(UPLOAD, None, None, format!("Access package upload failed: {message}")),
                checkpoint: Some(self.vault.seal_json(source.results)?),
            })))
        };
        let staged = match self.stage_packages(id, source) {
            Ok(staged) => staged,
            Err(message) => return Err(failed(message)?),
        };
        let mut conn = self.db.conn()?;
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
        match published? {
            Ok(Some(files)) => Ok(files),
            Ok(None) => Err(Stop::Canceled("upload_access")),
            Err(message) => Err(failed(message)?),
        }
    }

    /// Renders and stages one package per access rule.
    fn stage_packages(
        &self,
        id: &str,
        source: &PackageSource<'_>,
    ) -> std::result::Result<Vec<(ResultFile, package::Staged)>, String> {
        let PackageSource { world, policy, results, manual, key } = *source;
        let redactor = self.redaction.redactor(entity_rules(&world.datasets)).map_err(|e| format!("redaction: {e}"))?;
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
            let rendered = package::render(&package, format, key).map_err(|e| e.to_string())?;
            let file = format!("{}.{}", rule.key, rendered.extension);
            let staged = match package::stage(&self.storage_dir.join(id), &file, &rendered.bytes) {
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
    /// found; each collection's rows change in transactions of at most [`MASK_BATCH`] rows on
    /// its store, each made while the request is held as still running, so nothing is masked
    /// once a cancel has committed.
    #[expect(clippy::too_many_arguments, reason = "the step's inputs, all borrowed from execute")]
    fn erase(
        &self,
        id: &str,
        world: &World,
        identity_keys: &[&str],
        run: &Run,
        results: &BTreeMap<String, Vec<Value>>,
        secrets: &MaskingSecrets,
        logs: &mut Vec<Log>,
    ) -> std::result::Result<(), StepStop> {
        let plan = graph::plan(&world.graph, identity_keys, &run.targets).map_err(|e| StepFailure::traversal(e.0))?;
        for step in erasure_order(&world.graph, &plan.steps)? {
            let node = &world.graph.nodes[step.node];
            let (masked, left) = fields_to_mask(node, &run.erasure_rules);
            let entry = |status: LogStatus, message: String| {
                Log::collection(&node.address, Some(node.connection.clone()), status, message, ActionType::Erasure)
            };
            if masked.is_empty() {
                if !left.is_empty() {
                    logs.push(entry(LogStatus::Skipped, format!("No values were erased: {}", left.join("; "))));
                }
                continue;
            }
            let fail = |message: String| StepFailure { collection: Some(node.address.clone()), message };
            if !world.writable.contains(&node.connection) {
                return Err(StepStop::Failed(fail(format!(
                    "No values were erased since this connection {} has not been given write access",
                    node.connection
                ))));
            }
            let rows = results.get(&node.address.to_string()).map(Vec::as_slice).unwrap_or_default();
            let updates = row_updates(node, step, rows, &masked, secrets);
            let store = world.store(node).map_err(|e| fail(e.0))?;
            let collection = collection(node);
            let mut changed = 0;
            // Bounded batches, each one transaction on the store, each made while the request is
            // held as still running.
            for batch in updates.chunks(MASK_BATCH) {
                let mut conn = self.db.conn()?;
                let masked_rows =
                    conn.write_transaction(|c| -> Result<Option<std::result::Result<usize, StoreError>>> {
                        if !repo::lock_if_running(c, id)? {
                            return Ok(None);
                        }
                        Ok(Some(store.mask(&collection, batch)))
                    })?;
                drop(conn);
                changed += match masked_rows {
                    None => return Err(StepStop::Canceled),
                    Some(outcome) => outcome.map_err(|e| fail(e.0))?,
                };
            }
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
            logs.push(entry(LogStatus::Complete, message).with_fields(fields));
        }
        Ok(())
    }

    fn record_success(&self, id: &str, files: &[ResultFile], logs: Vec<Log>, checkpointed: bool) -> Result<()> {
        let files = serde_json::to_string(files).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            log::append(c, id, logs)?;
            repo::finish(c, id, db::now(), &files)?;
            if checkpointed {
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
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            log::append(c, id, logs)?;
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
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| log::append(c, id, logs))?;
        tracing::info!(privacy_request_id = id, step, "stopped: the request was canceled");
        Ok(())
    }

    /// Marks a request whose job ran out of attempts as failed (best effort).
    pub(crate) fn give_up(&self, id: &str, message: &str) {
        let logs =
            vec![Log::error(EXECUTION, None, None, format!("Execution gave up after repeated failures: {message}"))];
        let still_running = self
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

/// The policy's erasure rules with their full strategies (responses never carry the
/// configuration), in rule order.
fn erasure_rules(conn: &mut db::DbConn, policy_id: &PolicyId) -> Result<Vec<ErasureRule>> {
    let rows: Vec<_> = policy_repo::rules_of(conn, std::slice::from_ref(policy_id))?
        .into_iter()
        .filter(|r| r.action_type == ActionType::Erasure)
        .collect();
    let ids: Vec<RuleId> = rows.iter().map(|r| r.id.clone()).collect();
    let targets = policy_repo::targets_of(conn, &ids)?;
    rows.into_iter()
        .map(|rule| {
            let corrupt = |what: String| DsrError::Db(db::DbError::Corrupt(format!("rule {}: {what}", rule.key)));
            let spec: MaskingStrategy = match rule.masking_strategy.as_deref() {
                Some(json) => db::stored_json(json, &format!("masking strategy of rule {}", rule.key))?,
                None => return Err(corrupt("an erasure rule without a masking strategy".to_owned())),
            };
            Ok(ErasureRule {
                strategy: Strategy::parse(&spec).map_err(|e| corrupt(e.to_string()))?,
                targets: targets.iter().filter(|t| t.rule_id == rule.id).map(|t| t.data_category.clone()).collect(),
            })
        })
        .collect()
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
