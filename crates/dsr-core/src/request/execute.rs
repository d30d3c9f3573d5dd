//! Execution of one privacy request: wait for manual input if some is missing, traverse the
//! graph, query each collection, filter the rows per access rule, render, redact, encrypt and
//! store the packages, mask what the erasure rules target, then complete. Logs are written with
//! the outcome in one transaction.
//!
//! Rows stream through: each collection's rows go, batch by batch, to a sealed file of the run's
//! spool as the store returns them; later collections are reached through values read back
//! from it, packages are written from it row by row, and erasure masks from it in bounded
//! batches, so memory does not grow with the subject's data.
//!
//! Access results are kept in a sealed checkpoint (the rows themselves when the spool holds at
//! most 256 KiB, else the spool's name once its files are synced to disk) before anything is
//! written to the subject's stores and whenever a later step fails, so a retry or a take-over
//! after a crash resumes from them: erasure masks the rows the first access found (masking an
//! identity would otherwise make the subject's rows unfindable) with the same per-request
//! secrets, so running it twice writes the same values. A cancel is looked for between
//! collections (at most every 100 ms), and packages are published and rows masked only inside a
//! transaction that holds the request as still running.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use db::Database;
use redaction::RedactionService;
use serde_json::Value;

use super::identity::Identity;
use super::inputs::{self, Source};
use super::log::{self, EXECUTION, Log, TRAVERSAL, UPLOAD};
use super::manual::ManualInputs;
use super::model::{FieldAffected, LogStatus, RequestStatus};
use super::notify::Notices;
use super::repo::{self, ResultFile};
use super::retention::Expiry;
use super::settings::RequestSettings;
use super::spool::{Checkpoint, INLINE_CHECKPOINT_BYTES, Spool, SpoolError, Spooled, StoredCheckpoint};
use super::vault::Vault;
use super::webhooks::{Described, PreOutcome, Webhooks, described_request};
use crate::connection::secrets;
use crate::connection::{AccessLevel, ConnectionType};
use crate::dataset::repo as dataset_repo;
use crate::dataset::saas as dataset_saas;
use crate::dataset::{Dataset, Field};
use crate::error::{DsrError, Result, StoreError};
use crate::filter::{Compacted, RowFilter, targeted_paths};
use crate::graph::{self, Address, Graph, Input, Node, Step, covers};
use crate::masking::{MaskingSecrets, MaskingStrategy, Strategy};
use crate::package::{self, Entry, RenderError, ResponseFormat, Row, RowSink, RowSource};
use crate::policy::repo as policy_repo;
use crate::policy::{ActionType, Policy};
use connectors::{Collection, Column, Connector, MaskBatch, MaskFailure, RowUpdate, Seen, Stores};

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
/// access results, when they must be kept; `forget` drops those kept before, when nothing was
/// written from them yet).
struct Failure {
    step: &'static str,
    collection: Option<String>,
    entry: Log,
    checkpoint: Option<Vec<u8>>,
    forget: bool,
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
            forget: false,
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

impl From<SpoolError> for StepStop {
    fn from(e: SpoolError) -> StepStop {
        StepStop::Failed(StepFailure::traversal(e.to_string()))
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

/// A batch of row updates for one collection, waiting for the next hold of the request.
struct PendingMask<'g> {
    /// Which collection's count it adds to.
    slot: usize,
    node: &'g Node,
    store: Arc<dyn Connector>,
    updates: Vec<RowUpdate>,
}

/// Batches to make together, and the rows each masked collection changed so far.
#[derive(Default)]
struct PendingMasks<'g> {
    batches: Vec<PendingMask<'g>>,
    rows: usize,
    changed: Vec<usize>,
}

impl<'g> PendingMasks<'g> {
    fn add(&mut self, batch: PendingMask<'g>) {
        self.rows += batch.updates.len();
        self.batches.push(batch);
    }
}

/// What a completed request's policy did: the completion emails it gets.
#[derive(Clone, Copy)]
struct Completed {
    access: bool,
    erasure: bool,
}

/// A collection's masking log entry, told its count once every batch ran.
struct MaskedLog {
    slot: usize,
    log: Log,
    left: Option<String>,
}

/// How often access looks for a cancel between collections. Reads only stop sooner on a
/// cancel: packages are published, and rows masked, only while the request is held as running,
/// so a coarser check loses nothing and saves a database round trip per collection.
const CANCEL_CHECK: Duration = Duration::from_millis(100);

/// A graph node as its connector reads it: the table, its schema and the declared columns.
fn collection(node: &Node) -> Collection {
    let columns =
        node.fields.iter().map(|f| Column::new(&f.name, f.data_type.as_deref()).read_only(f.read_only)).collect();
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
    /// Every pre-execution webhook has run.
    pre_done: bool,
    /// Pre-execution webhooks at or before this position have run.
    pre_after: Option<i32>,
    /// The request's fields webhooks are told.
    described: Value,
    /// Identities webhooks derived so far (already merged into `identity`).
    derived: Identity,
    /// The policy's webhooks.
    webhooks: crate::webhook::call::PolicyWebhooks,
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

    /// The request as webhooks are told about it.
    fn described<'a>(&'a self, id: &'a str) -> Described<'a> {
        Described {
            id,
            policy: &self.policy,
            identity: &self.identity,
            request: self.described.clone(),
            pre_after: self.pre_after,
        }
    }
}

/// What a request's packages are made of.
#[derive(Clone, Copy)]
struct PackageSource<'a> {
    world: &'a World,
    policy: &'a Policy,
    found: &'a Found,
    manual: &'a [(String, Value)],
    key: Option<&'a [u8]>,
}

/// What access found: each collection's rows in the run's spool, by address. `kept` says a
/// checkpoint in the database names the spool (it then outlives a failed run).
struct Found {
    spool: Spool,
    collections: BTreeMap<String, Spooled>,
    kept: bool,
}

impl Found {
    fn checkpoint(&self) -> Checkpoint {
        self.spool.checkpoint(&self.collections)
    }

    /// The checkpoint to store for these results: small ones inline, others naming the spool
    /// once its files are durable.
    fn stored(&self) -> std::result::Result<StoredCheckpoint, SpoolError> {
        match self.spool.inline(&self.collections, INLINE_CHECKPOINT_BYTES)? {
            Some(results) => Ok(StoredCheckpoint::Inline(results)),
            None => {
                self.spool.sync(&self.collections)?;
                Ok(StoredCheckpoint::Spooled(self.checkpoint()))
            }
        }
    }
}

/// One collection of a package: its spooled rows, filtered for the rule and name-redacted as
/// they are read.
struct PackageRows<'a> {
    spool: &'a Spool,
    spooled: &'a Spooled,
    filter: RowFilter,
    redactor: &'a redaction::Redactor,
    fields: String,
}

impl RowSource for PackageRows<'_> {
    fn rows(&self, each: &mut RowSink<'_>) -> std::result::Result<(), RenderError> {
        let parsed =
            |row: Value| self.filter.apply(row).map(|row| Row::Value(self.redactor.redact_row(row, &self.fields)));
        if !self.redactor.is_inactive() {
            return self.spool.for_each(self.spooled, |row| parsed(row).map_or(Ok(()), &mut *each));
        }
        // No names to hide: rows the filter can decide on their text are handed over unparsed.
        let mut buffer = Vec::new();
        self.spool.for_each_text(self.spooled, |text| match self.filter.apply_compact(text, &mut buffer) {
            Compacted::Row(row) => each(Row::Compact(row)),
            Compacted::Dropped => Ok(()),
            Compacted::Parse => {
                let row =
                    serde_json::from_slice(text).map_err(|e| RenderError::Failed(format!("a spooled row: {e}")))?;
                parsed(row).map_or(Ok(()), &mut *each)
            }
        })
    }
}

impl From<SpoolError> for RenderError {
    fn from(e: SpoolError) -> RenderError {
        RenderError::Failed(e.to_string())
    }
}

/// An erasure rule: its strategy and targets.
struct ErasureRule {
    strategy: Strategy,
    targets: Vec<String>,
}

/// A field erasure masks, at `path` (dotted below the collection for nested values).
struct MaskedField<'a> {
    field: &'a graph::FieldSpec,
    path: String,
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
/// targeted ones left alone with why. With `nested` (API records, which are sent back whole),
/// sub-fields are masked too; tables mask their columns.
fn fields_to_mask<'a>(node: &'a Node, rules: &[ErasureRule], nested: bool) -> (Vec<MaskedField<'a>>, Vec<String>) {
    fn visit<'a>(
        fields: &'a [graph::FieldSpec],
        prefix: Option<&str>,
        rules: &[ErasureRule],
        nested: bool,
        masked: &mut Vec<MaskedField<'a>>,
        left: &mut Vec<String>,
    ) {
        for field in fields {
            let path = prefix.map_or_else(|| field.name.clone(), |p| format!("{p}.{}", field.name));
            if nested && !field.fields.is_empty() {
                visit(&field.fields, Some(&path), rules, nested, masked, left);
                continue;
            }
            let targeted = |r: &&ErasureRule| field.categories.iter().any(|c| r.targets.iter().any(|t| covers(t, c)));
            let Some(rule) = rules.iter().find(targeted) else { continue };
            if field.read_only {
                left.push(format!("{path} is read_only"));
                continue;
            }
            if field.primary_key {
                left.push(format!("{path} is a primary key"));
                continue;
            }
            let strategy = match field.masking_override.as_ref().map(Strategy::parse) {
                Some(Ok(strategy)) => strategy,
                Some(Err(e)) => {
                    left.push(format!("{path}: {e}"));
                    continue;
                }
                None => rule.strategy.clone(),
            };
            if !strategy.supports(field.data_type.as_deref()) {
                left.push(format!(
                    "{path} has data_type {}; {} masks only string fields",
                    field.data_type.as_deref().unwrap_or("(none)"),
                    strategy.name()
                ));
                continue;
            }
            masked.push(MaskedField { field, path, strategy });
        }
    }
    let mut masked = Vec::new();
    let mut left = Vec::new();
    visit(&node.fields, None, rules, nested, &mut masked, &mut left);
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

/// Where the input values of a step come from, per field: identity values for seeds, a field
/// of an earlier collection's spooled rows for edges.
fn step_sources<'a>(
    graph: &Graph,
    step: &Step,
    identity: &Identity,
    collections: &'a BTreeMap<String, Spooled>,
) -> Vec<(String, Vec<Source<'a>>)> {
    let mut by_field: BTreeMap<String, Vec<Source<'a>>> = BTreeMap::new();
    for input in &step.inputs {
        match input {
            Input::Seed { field, identity: key } => {
                by_field.entry(field.clone()).or_default().push(Source::Values(identity.values(key)));
            }
            Input::Edge { parent, parent_field, field } => {
                if let Some(spooled) = collections.get(&graph.nodes[*parent].address.to_string()) {
                    let source = Source::Rows { spooled, field: parent_field.clone() };
                    by_field.entry(field.clone()).or_default().push(source);
                }
            }
        }
    }
    by_field.into_iter().collect()
}

/// The masking of the rows access found in one collection: rows are found by their primary key,
/// or without one by the fields the collection was reached through. With `whole`, each update
/// also carries its row, for APIs that take records back whole.
fn row_updates(
    node: &Node,
    step: &Step,
    rows: &[Value],
    masked: &[MaskedField<'_>],
    secrets: &MaskingSecrets,
    whole: bool,
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
                .filter_map(|m| {
                    let found = inputs::value_at(row, &m.path);
                    // A record sent back whole is changed only where it has the field.
                    if whole && found.is_none() {
                        return None;
                    }
                    let value = found.unwrap_or(&Value::Null);
                    Some((m.path.clone(), m.strategy.mask(value, secrets, m.field.length)))
                })
                .collect();
            Some(RowUpdate { set, filter, row: whole.then(|| row.clone()) })
        })
        .collect()
}

/// Why packages could not be staged.
enum StageFailure {
    /// A package outgrew the size limit while `address` (if a collection) was written.
    TooLarge { address: Option<Address>, message: String },
    /// Anything else (redaction settings, the file system).
    Other(String),
}

/// Who a run is for, as stores see it: the request's id and the subject's identities.
struct Subject<'a> {
    request_id: &'a str,
    identity: &'a Identity,
    identities: serde_json::Map<String, Value>,
}

impl<'a> Subject<'a> {
    fn new(request_id: &'a str, identity: &'a Identity) -> Subject<'a> {
        Subject { request_id, identity, identities: identity.values_map() }
    }

    fn scope<'s>(
        &'s self,
        groups: &'s [serde_json::Map<String, Value>],
        references: &'s serde_json::Map<String, Value>,
    ) -> connectors::Scope<'s> {
        connectors::Scope { request_id: self.request_id, identities: &self.identities, groups, references }
    }
}

/// The grouped inputs of a SaaS read: one map per row of the upstream collection, each with the
/// values of the grouped fields that row gives (so values of different rows are never crossed).
fn grouped_inputs(
    graph: &Graph,
    node: &Node,
    step: &Step,
    found: &Found,
) -> std::result::Result<Vec<serde_json::Map<String, Value>>, SpoolError> {
    if node.grouped_inputs.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_parent: BTreeMap<usize, Vec<(&str, &str)>> = BTreeMap::new();
    for input in &step.inputs {
        if let Input::Edge { parent, parent_field, field } = input
            && node.grouped_inputs.contains(field)
        {
            by_parent.entry(*parent).or_default().push((field.as_str(), parent_field.as_str()));
        }
    }
    let mut groups = Vec::new();
    for (parent, fields) in by_parent {
        let Some(spooled) = found.collections.get(&graph.nodes[parent].address.to_string()) else { continue };
        for row in found.spool.rows(spooled)? {
            let row = row?;
            let group: serde_json::Map<String, Value> = fields
                .iter()
                .filter_map(|(field, path)| {
                    let value = inputs::value_at(&row, path).filter(|v| !v.is_null())?;
                    Some(((*field).to_owned(), value.clone()))
                })
                .collect();
            if !group.is_empty() {
                groups.push(group);
            }
        }
    }
    Ok(groups)
}

/// The values of earlier collections' fields a read filters by (`dataset.collection.field`,
/// dotted below the collection), each a list of the distinct non-null values access found;
/// fields of collections not read (yet) are left out, so such a filter keeps nothing.
fn referenced_values(
    fields: &[String],
    found: &Found,
) -> std::result::Result<serde_json::Map<String, Value>, SpoolError> {
    let mut out = serde_json::Map::new();
    for reference in fields {
        let mut parts = reference.splitn(3, '.');
        let (Some(dataset), Some(collection), Some(field)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Some(spooled) = found.collections.get(&format!("{dataset}:{collection}")) else { continue };
        let mut values: Vec<Value> = Vec::new();
        for row in found.spool.rows(spooled)? {
            if let Some(value) = inputs::value_at(&row?, field).filter(|v| !v.is_null())
                && !values.contains(value)
            {
                values.push(value.clone());
            }
        }
        out.insert(reference.clone(), Value::Array(values));
    }
    Ok(out)
}

/// Reads one collection into the spool: statement by statement, rows written as the store
/// hands them over (a row matched by several statements of the step once).
fn read_collection(
    world: &World,
    node: &Node,
    step: &Step,
    subject: &Subject<'_>,
    found: &Found,
) -> std::result::Result<Spooled, StepStop> {
    let fail = |message: String| StepFailure { collection: Some(node.address.clone()), message };
    let store = world.store(node).map_err(|e| fail(e.0))?;
    let collection = collection(node);
    let mut writer = found.spool.writer(&step.node.to_string()).map_err(|e| fail(e.to_string()))?;
    let sources = step_sources(&world.graph, step, subject.identity, &found.collections);
    let groups = grouped_inputs(&world.graph, node, step, found).map_err(|e| fail(e.to_string()))?;
    let references =
        referenced_values(&store.referenced_fields(&collection), found).map_err(|e| fail(e.to_string()))?;
    let scope = subject.scope(&groups, &references);
    let mut seen = Seen::default();
    inputs::each_statement(&found.spool, sources, |statement, several| -> std::result::Result<(), StepStop> {
        let mut spool_error = None;
        let read = store.read(&scope, &collection, statement, &mut |rows| {
            for row in rows {
                if several && !seen.first_time(&row) {
                    continue;
                }
                if let Err(e) = writer.push(&row) {
                    spool_error = Some(e);
                    return Err(StoreError("the access results could not be written".to_owned()));
                }
            }
            Ok(())
        });
        if let Some(e) = spool_error {
            return Err(fail(e.to_string()).into());
        }
        read.map_err(|e| fail(e.0))?;
        seen.end_statement();
        Ok(())
    })?;
    writer.finish().map_err(|e| fail(e.to_string()).into())
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
    max_package_bytes: Option<u64>,
    saas: connectors::saas::client::SharedClient,
    webhooks: Webhooks,
    notices: Notices,
    expiry: Expiry,
}

impl Executor {
    pub(crate) fn new(
        db: Database,
        vault: Vault,
        settings: &RequestSettings,
        redaction: Arc<dyn RedactionService>,
        manual: ManualInputs,
        webhooks: Webhooks,
        notices: Notices,
    ) -> Executor {
        Executor {
            db,
            vault,
            storage_dir: settings.storage_dir.clone(),
            redaction,
            stores: Stores::default(),
            manual,
            max_package_bytes: settings.max_package_bytes,
            saas: settings.saas_client.clone(),
            webhooks,
            notices,
            expiry: Expiry::new(settings.result_ttl),
        }
    }

    /// The open customer stores.
    pub(crate) fn stores(&self) -> Stores {
        self.stores.clone()
    }

    /// Executes request `id` if it is runnable. `Err` only for failures of Lethe's own
    /// database (the job is retried); failures of the subject's stores end in status `error`.
    pub(crate) fn run(&self, id: &str) -> Result<()> {
        let started = Instant::now();
        let Some(mut run) = self.prepare(id)? else { return Ok(()) };
        if !run.pre_done {
            match self.webhooks.pre(&run.described(id), &run.webhooks.pre, run.derived.clone())? {
                PreOutcome::Proceed(identity) => run.identity = identity,
                PreOutcome::Paused => return Ok(()),
                PreOutcome::Failed(logs) => return self.record_failure(id, "pre_webhooks", None, logs, None, false),
            }
        }
        let mut logs = Vec::new();
        let world = match self.world()? {
            Ok(world) => world,
            Err(message) => {
                logs.push(Log::error(TRAVERSAL, None, None, message));
                return self.record_failure(id, "access", None, logs, None, false);
            }
        };
        let mut marks = Marks { prepared: started.elapsed(), ..Marks::default() };
        let mut found = None;
        let outcome = self.execute(id, &run, &world, &mut logs, &mut marks, started, &mut found);
        self.save_renewed(&world);
        // The spool outlives the run only when a checkpoint names it.
        let was_kept = found.as_ref().is_some_and(|f| f.kept);
        let keep = |kept: bool| {
            if let Some(found) = &found
                && !kept
            {
                found.spool.remove();
            }
        };
        let files = match outcome {
            Ok(files) => files,
            Err(Stop::Failed(failure)) => {
                let Failure { step, collection, entry, checkpoint, forget } = *failure;
                logs.push(entry);
                let kept = !forget && (checkpoint.is_some() || was_kept);
                let recorded = self.record_failure(id, step, collection.as_deref(), logs, checkpoint, forget);
                // A failed write changed nothing: the database names the spool as it did before.
                keep(if recorded.is_ok() { kept } else { was_kept });
                return recorded;
            }
            Err(Stop::Canceled(step)) => {
                keep(was_kept);
                return self.record_canceled(id, step, logs);
            }
            // The job is retried: a checkpoint that names the spool still needs it.
            Err(Stop::Db(e)) => {
                keep(was_kept);
                return Err(e);
            }
        };
        // Post-execution webhooks, before the request completes; one that fails fails it (the
        // results a retry masks from are kept as for any later failure).
        match self.webhooks.post(&run.described(id), &run.webhooks.post) {
            Ok(called) => logs.extend(called),
            Err(called) => {
                logs.extend(called);
                let recorded = self.record_failure(id, "post_webhooks", None, logs, None, false);
                keep(was_kept);
                return recorded;
            }
        }
        let completed = Completed { access: run.has_access(), erasure: !run.erasure_rules.is_empty() };
        self.record_success(id, &files, logs, run.resumed || completed.erasure, completed)?;
        keep(false);
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
        let policy_repo::RunPolicy { policy, rules, targets } = policy_repo::policy_for_run(&mut conn, &row.policy_id)?
            .ok_or_else(|| DsrError::Db(db::DbError::Corrupt(format!("policy of {id} is missing"))))?;
        let has_access = policy.rules.iter().any(|r| r.action_type == ActionType::Access);
        let erasure_rules = erasure_rules(rules, &targets)?;
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
        let webhooks = self.webhooks.load(&mut conn, &row.policy_id)?;
        drop(conn);
        let targets: Vec<String> = policy
            .rules
            .iter()
            .filter(|r| matches!(r.action_type, ActionType::Access | ActionType::Erasure))
            .flat_map(|r| r.targets.iter().map(|t| t.data_category.clone()))
            .collect();
        let derived = self.webhooks.derived(&row)?;
        let identity = self.vault.open_identity(&row)?;
        let mut merged = identity.clone();
        merged.0.extend(derived.0.clone());
        Ok(Some(Run {
            resumed,
            pre_done: row.pre_webhooks_done,
            pre_after: row.pre_webhooks_after,
            described: described_request(&row),
            derived,
            webhooks,
            erasure_rules,
            checkpoint,
            manual: self.manual.package_entries(&uploaded)?,
            identity: merged,
            key: self.vault.open_encryption_key(&row)?,
            targets,
            masking_secrets: row.masking_secrets,
            policy,
        }))
    }

    /// Access (or the checkpoint's results), the checkpoint before erasure writes, the packages,
    /// then erasure. What access found is left in `found`, for the caller to keep or remove.
    #[expect(clippy::too_many_arguments, reason = "the run's parts, all borrowed from run")]
    fn execute(
        &self,
        id: &str,
        run: &Run,
        world: &World,
        logs: &mut Vec<Log>,
        marks: &mut Marks,
        started: Instant,
        found: &mut Option<Found>,
    ) -> std::result::Result<Vec<ResultFile>, Stop> {
        let from_checkpoint = run.checkpoint.is_some();
        let spool_failed = |e: SpoolError| StepStop::from(e).located(world, "access", ActionType::Access);
        let results: &mut Found = match &run.checkpoint {
            Some(sealed) => match self.vault.open_json::<StoredCheckpoint>(sealed, &format!("checkpoint of {id}"))? {
                StoredCheckpoint::Spooled(checkpoint) => found.insert(Found {
                    spool: Spool::open(&self.storage_dir, id, &checkpoint, &self.vault),
                    collections: checkpoint.collections,
                    kept: true,
                }),
                StoredCheckpoint::Inline(results) => {
                    let spool = Spool::create(&self.storage_dir, id, &self.vault).map_err(spool_failed)?;
                    // Respooled from the database's copy, which stays until it is replaced.
                    let slot = found.insert(Found { spool, collections: BTreeMap::new(), kept: false });
                    for (i, (address, rows)) in results.into_iter().enumerate() {
                        let mut writer = slot.spool.writer(&i.to_string()).map_err(spool_failed)?;
                        rows.iter().try_for_each(|row| writer.push(row)).map_err(spool_failed)?;
                        slot.collections.insert(address, writer.finish().map_err(spool_failed)?);
                    }
                    slot
                }
            },
            None => {
                let spool = Spool::create(&self.storage_dir, id, &self.vault).map_err(spool_failed)?;
                let slot = found.insert(Found { spool, collections: BTreeMap::new(), kept: false });
                self.access(id, world, &run.identity, &run.targets, slot, logs)
                    .map_err(|stop| stop.located(world, "access", ActionType::Access))?;
                slot
            }
        };
        let secrets = self.keep_for_erasure(id, run, results, spool_failed)?;
        marks.queried = started.elapsed();
        let files = if run.has_access() {
            let source = PackageSource {
                world,
                policy: &run.policy,
                found: results,
                manual: &run.manual,
                key: run.key.as_deref(),
            };
            self.upload(id, &source, from_checkpoint)?
        } else {
            Vec::new()
        };
        marks.uploaded = started.elapsed();
        if let Some(secrets) = &secrets {
            let keys: Vec<&str> = run.identity.keys().collect();
            self.erase(id, world, &keys, run, results, secrets, logs)
                .map_err(|stop| stop.located(world, "erasure", ActionType::Erasure))?;
        }
        Ok(files)
    }

    /// Before the first write to the subject's stores: the results erasure works from (in a
    /// sealed checkpoint, see [`Found::stored`]), and the secrets it masks with, are stored, so a
    /// crash or a retry masks the same rows the same way. `None` when the policy erases nothing.
    fn keep_for_erasure(
        &self,
        id: &str,
        run: &Run,
        found: &mut Found,
        spool_failed: impl Fn(SpoolError) -> Stop,
    ) -> std::result::Result<Option<MaskingSecrets>, Stop> {
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
        if !found.kept || generated.is_some() {
            let stored = found.stored().map_err(spool_failed)?;
            let names_spool = matches!(stored, StoredCheckpoint::Spooled(_));
            let sealed = self.vault.seal_json(&stored)?;
            let mut conn = self.db.conn()?;
            conn.write_transaction(|c| -> Result<()> {
                repo::save_checkpoint(c, id, &sealed, db::now())?;
                if let Some(generated) = &generated {
                    repo::save_masking_secrets(c, id, generated)?;
                }
                Ok(())
            })?;
            // Inline results need the spool no longer than this run.
            found.kept = names_spool;
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
        // Each connection's secrets (and SaaS config) are opened once, however many datasets it has.
        let mut opened: HashMap<String, secrets::Opened> = HashMap::new();
        for (dataset_row, connection_row) in rows {
            let mut dataset = dataset_repo::parse(&dataset_row)?;
            let key = connection_row.key.clone();
            if !opened.contains_key(&key) {
                let open = secrets::open_with_config(self.vault.key(), &connection_row)?;
                if connection_row.access == AccessLevel::Write {
                    writable.push(key.clone());
                }
                let store = match &open.secrets {
                    Some(secrets) => {
                        // The config is part of what the open connector was made from.
                        let mut fingerprint = connection_row.secrets.clone().unwrap_or_default();
                        fingerprint.extend(connection_row.saas_config.as_deref().unwrap_or_default().as_bytes());
                        self.stores.get(&key, &fingerprint, || secrets.connector(&self.saas))
                    }
                    None => Err(StoreError(format!("connection {key} has no secrets"))),
                };
                stores.insert(key.clone(), store);
                opened.insert(key.clone(), open);
            }
            if connection_row.connection_type == ConnectionType::Saas {
                // The endpoints' params become the collections' identity fields and edges.
                let open = &opened[&key];
                let Some(config) = &open.saas_config else {
                    return Ok(Err(format!("connection {key} has no saas_config")));
                };
                let given = open.secrets.as_ref().map_or(&Value::Null, |s| s.to_json());
                if let Err(message) = dataset_saas::merge(&mut dataset, config, given) {
                    return Ok(Err(format!("connection {key}: {message}")));
                }
            }
            pairs.push((dataset.clone(), key));
            datasets.push(dataset);
        }
        Ok(Graph::build(&pairs).map(|graph| World { graph, datasets, stores, writable }).map_err(|e| e.0))
    }

    /// Stores the tokens the run's SaaS connections fetched or refreshed (best effort: a
    /// connection that cannot store them fetches again next time).
    fn save_renewed(&self, world: &World) {
        for (key, store) in &world.stores {
            let Some(renewed) = store.as_ref().ok().and_then(|s| s.renewed_secrets()) else { continue };
            if let Err(e) = crate::connection::save_renewed(&self.db, self.vault.key(), key, renewed) {
                tracing::warn!(connection = key, error = %e, "renewed OAuth tokens could not be stored");
            }
        }
    }

    /// Whether request `id` is still executing (checked between steps: a cancel stops it).
    fn still_running(&self, id: &str) -> Result<bool> {
        Ok(repo::is_running(&mut *self.db.conn()?, id)?)
    }

    /// Runs the access step: every planned collection queried in order, its rows written to the
    /// spool as they arrive, stopping before the next one when the request was canceled.
    fn access(
        &self,
        id: &str,
        world: &World,
        identity: &Identity,
        targets: &[String],
        found: &mut Found,
        logs: &mut Vec<Log>,
    ) -> std::result::Result<(), StepStop> {
        let keys: Vec<&str> = identity.keys().collect();
        let plan = graph::plan(&world.graph, &keys, targets).map_err(|e| StepFailure::traversal(e.0))?;
        for (address, message) in plan.skipped {
            let connection = world.graph.node(&address).map(|n| n.connection.clone());
            logs.push(Log::collection(&address, connection, LogStatus::Skipped, message, ActionType::Access));
        }
        let subject = Subject::new(id, identity);
        let mut checked: Option<Instant> = None;
        for step in plan.steps {
            if checked.is_none_or(|at| at.elapsed() >= CANCEL_CHECK) {
                if !self.still_running(id)? {
                    return Err(StepStop::Canceled);
                }
                checked = Some(Instant::now());
            }
            let node = &world.graph.nodes[step.node];
            let spooled = read_collection(world, node, &step, &subject, found)?;
            let message = format!("Found {} row(s)", spooled.rows);
            let connection = Some(node.connection.clone());
            logs.push(
                Log::collection(&node.address, connection, LogStatus::Complete, message, ActionType::Access)
                    .with_fields(access_fields(node, targets)),
            );
            found.collections.insert(node.address.to_string(), spooled);
        }
        Ok(())
    }

    /// Renders one package per access rule and stores them: written under temporary names,
    /// then published together while the request is held as still running, so a canceled
    /// request leaves no package. A package over the size limit fails the request and leaves
    /// nothing behind (nor the results it was written from, unless a retry still needs them).
    fn upload(
        &self,
        id: &str,
        source: &PackageSource<'_>,
        from_checkpoint: bool,
    ) -> std::result::Result<Vec<ResultFile>, Stop> {
        let failed = |message: String| -> Result<Stop> {
            Ok(Stop::Failed(Box::new(Failure {
                step: "upload_access",
                collection: None,
                entry: Log::error(UPLOAD, None, None, format!("Access package upload failed: {message}")),
                // Named only once durable; else a retry reads the stores again.
                checkpoint: match source.found.stored() {
                    Ok(stored) => Some(self.vault.seal_json(&stored)?),
                    Err(e) => {
                        tracing::warn!(privacy_request_id = id, error = %e, "the spool could not be synced");
                        None
                    }
                },
                forget: false,
            })))
        };
        let staged = match self.stage_packages(id, source) {
            Ok(staged) => staged,
            Err(StageFailure::Other(message)) => return Err(failed(message)?),
            Err(StageFailure::TooLarge { address, message }) => {
                let entry = match &address {
                    Some(at) => {
                        let connection = source.world.graph.node(at).map(|n| n.connection.clone());
                        Log::error(&at.dataset, Some(at.collection.clone()), connection, message)
                    }
                    None => Log::error(UPLOAD, None, None, message),
                };
                return Err(Stop::Failed(Box::new(Failure {
                    step: "upload_access",
                    collection: address.as_ref().map(Address::to_string),
                    entry: entry.in_step(ActionType::Access),
                    checkpoint: None,
                    // Nothing was masked from these results yet, unless an earlier run did.
                    forget: !from_checkpoint,
                })));
            }
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

    /// Renders and stages one package per access rule, each streamed from the spool.
    fn stage_packages(
        &self,
        id: &str,
        source: &PackageSource<'_>,
    ) -> std::result::Result<Vec<(ResultFile, package::Staged)>, StageFailure> {
        let PackageSource { world, policy, found, manual, key } = *source;
        let redactor = self
            .redaction
            .redactor(entity_rules(&world.datasets))
            .map_err(|e| StageFailure::Other(format!("redaction: {e}")))?;
        let mut files: Vec<(ResultFile, package::Staged)> = Vec::new();
        let discard = |files: Vec<(ResultFile, package::Staged)>| files.into_iter().for_each(|(_, s)| s.discard());
        for rule in policy.rules.iter().filter(|r| r.action_type == ActionType::Access) {
            let targets: Vec<String> = rule.targets.iter().map(|t| t.data_category.clone()).collect();
            let mut names = redaction::PackageNames::default();
            // (key in the package, address, rows)
            let mut collections: Vec<(String, Address, PackageRows<'_>)> = Vec::new();
            for (address, spooled) in &found.collections {
                let Some((dataset, collection)) = address.split_once(':') else { continue };
                let at = Address { dataset: dataset.to_owned(), collection: collection.to_owned() };
                let Some(node) = world.graph.node(&at) else { continue };
                let Some(filter) = RowFilter::new(node, &targets) else { continue };
                let (key, fields) = match redactor.collection_name(&mut names, address, None) {
                    Some(name) => (name.key, name.fields),
                    None => (address.clone(), format!("{dataset}.{collection}")),
                };
                let rows = PackageRows { spool: &found.spool, spooled, filter, redactor: &redactor, fields };
                collections.push((key, at, rows));
            }
            let mut entries: Vec<(String, Entry<'_>)> =
                collections.iter().map(|(key, _, rows)| (key.clone(), Entry::Rows(rows as &dyn RowSource))).collect();
            // Manual data goes to the subject as uploaded: unfiltered, under the connection key.
            entries.extend(manual.iter().map(|(connection, rows)| (connection.clone(), Entry::Value(rows))));
            let format = rule.storage_destination.as_ref().map_or(ResponseFormat::Json, |s| s.format);
            let file = format!("{}.{}", rule.key, package::extension(format));
            let written = package::stage_with(&self.storage_dir.join(id), &file, |out| {
                package::write(out, &entries, format, key, self.max_package_bytes)
            });
            match written {
                Ok((staged, _)) => files.push((ResultFile { rule: rule.key.clone(), file }, staged)),
                Err(RenderError::TooLarge { collection, reached, limit }) => {
                    discard(files);
                    let address = collections.iter().find(|(key, ..)| *key == collection).map(|(_, a, _)| a.clone());
                    let message = format!(
                        "Access package {file} exceeds the size limit of {limit} bytes \
                         (LETHE__EXECUTION__MAX_PACKAGE_BYTES): {reached} bytes were reached while writing {}; \
                         nothing was stored",
                        address.as_ref().map_or(collection, Address::to_string)
                    );
                    return Err(StageFailure::TooLarge { address, message });
                }
                Err(e) => {
                    discard(files);
                    return Err(StageFailure::Other(format!("writing {file}: {e}")));
                }
            }
        }
        Ok(files)
    }

    /// Masks, collection by collection, the fields the erasure rules target in the rows access
    /// found, read back from the spool. Each store changes in transactions of at most
    /// [`MASK_BATCH`] rows; the batches are made while the request is held as still running (so
    /// nothing is masked once a cancel has committed), and the batches of small collections
    /// share one such hold, up to [`MASK_BATCH`] rows in all, so a small subject's erasure
    /// holds the request once rather than once per collection.
    #[expect(clippy::too_many_arguments, reason = "the step's inputs, all borrowed from execute")]
    fn erase(
        &self,
        id: &str,
        world: &World,
        identity_keys: &[&str],
        run: &Run,
        found: &Found,
        secrets: &MaskingSecrets,
        logs: &mut Vec<Log>,
    ) -> std::result::Result<(), StepStop> {
        let plan = graph::plan(&world.graph, identity_keys, &run.targets).map_err(|e| StepFailure::traversal(e.0))?;
        let subject = Subject::new(id, &run.identity);
        let no_references = serde_json::Map::new();
        let scope = subject.scope(&[], &no_references);
        let mut pending = PendingMasks::default();
        // Log entries in collection order; a masking entry gets its count once every batch ran.
        let mut entries: Vec<std::result::Result<Log, MaskedLog>> = Vec::new();
        // A collection refused (no write access, no store) stops the erasure after the batches
        // of the collections before it are made, as when each collection masked on its own.
        let planned = (|| -> std::result::Result<(), StepStop> {
            for step in erasure_order(&world.graph, &plan.steps)? {
                let node = &world.graph.nodes[step.node];
                let entry = |status: LogStatus, message: String| {
                    Log::collection(&node.address, Some(node.connection.clone()), status, message, ActionType::Erasure)
                };
                // APIs take records back whole, nested fields included, and find them by primary key.
                let whole = world.store(node).is_ok_and(|store| store.needs_rows());
                let (masked, left) = fields_to_mask(node, &run.erasure_rules, whole);
                if masked.is_empty() {
                    if !left.is_empty() {
                        entries
                            .push(Ok(entry(LogStatus::Skipped, format!("No values were erased: {}", left.join("; ")))));
                    }
                    continue;
                }
                if whole && !node.fields.iter().any(|f| f.primary_key) {
                    let message = format!(
                        "No values were erased since no primary key was defined for this collection: {}",
                        node.address
                    );
                    entries.push(Ok(entry(LogStatus::Skipped, message)));
                    continue;
                }
                let fail = |message: String| StepFailure { collection: Some(node.address.clone()), message };
                if !world.writable.contains(&node.connection) {
                    return Err(StepStop::Failed(fail(format!(
                        "No values were erased since this connection {} has not been given write access",
                        node.connection
                    ))));
                }
                let store = world.store(node).map_err(|e| fail(e.0))?;
                let slot = pending.changed.len();
                pending.changed.push(0);
                if let Some(spooled) = found.collections.get(&node.address.to_string()) {
                    let mut batch = Vec::with_capacity(MASK_BATCH);
                    let mut add = |batch: &[Value]| -> std::result::Result<(), StepStop> {
                        let updates = row_updates(node, step, batch, &masked, secrets, whole);
                        if !updates.is_empty() {
                            pending.add(PendingMask { slot, node, store: store.clone(), updates });
                        }
                        if pending.rows >= MASK_BATCH {
                            self.flush_masks(id, &scope, &mut pending)?;
                        }
                        Ok(())
                    };
                    for row in found.spool.rows(spooled).map_err(|e| fail(e.to_string()))? {
                        batch.push(row.map_err(|e| fail(e.to_string()))?);
                        if batch.len() == MASK_BATCH {
                            add(&batch)?;
                            batch.clear();
                        }
                    }
                    add(&batch)?;
                }
                let fields = masked
                    .iter()
                    .map(|m| FieldAffected {
                        path: format!("{}:{}", node.address, m.path),
                        field_name: m.path.clone(),
                        data_categories: m.field.categories.clone(),
                    })
                    .collect();
                let left = (!left.is_empty()).then(|| format!("; left alone: {}", left.join("; ")));
                entries.push(Err(MaskedLog {
                    slot,
                    log: entry(LogStatus::Complete, String::new()).with_fields(fields),
                    left,
                }));
            }
            Ok(())
        })();
        self.flush_masks(id, &scope, &mut pending)?;
        planned?;
        logs.extend(entries.into_iter().map(|entry| match entry {
            Ok(log) => log,
            Err(MaskedLog { slot, log, left }) => {
                log.with_message(format!("Masked {} row(s){}", pending.changed[slot], left.unwrap_or_default()))
            }
        }));
        Ok(())
    }

    /// Makes the pending batches in one hold of the request as still running: consecutive
    /// batches on one store are one transaction there (a failure undoes them all, and a retry
    /// masks them again from the checkpoint's values). A cancel committed before stops them all.
    fn flush_masks(
        &self,
        id: &str,
        scope: &connectors::Scope<'_>,
        pending: &mut PendingMasks<'_>,
    ) -> std::result::Result<(), StepStop> {
        if pending.batches.is_empty() {
            return Ok(());
        }
        let batches = std::mem::take(&mut pending.batches);
        pending.rows = 0;
        let mut conn = self.db.conn()?;
        let outcome = conn.write_transaction(|c| -> Result<Option<std::result::Result<(), StepFailure>>> {
            if !repo::lock_if_running(c, id)? {
                return Ok(None);
            }
            // Consecutive batches on one store are one transaction there.
            for group in batches.chunk_by(|a, b| Arc::ptr_eq(&a.store, &b.store)) {
                let collections: Vec<Collection> = group.iter().map(|b| collection(b.node)).collect();
                let parts: Vec<MaskBatch<'_>> = group
                    .iter()
                    .zip(&collections)
                    .map(|(b, collection)| MaskBatch { collection, updates: &b.updates })
                    .collect();
                match group[0].store.mask(scope, &parts) {
                    Ok(counts) => group.iter().zip(counts).for_each(|(b, count)| pending.changed[b.slot] += count),
                    Err(MaskFailure { batch, error }) => {
                        let collection = group.get(batch).map(|b| b.node.address.clone());
                        return Ok(Some(Err(StepFailure { collection, message: error.0 })));
                    }
                }
            }
            Ok(Some(Ok(())))
        })?;
        match outcome {
            None => Err(StepStop::Canceled),
            Some(result) => result.map_err(StepStop::Failed),
        }
    }

    fn record_success(
        &self,
        id: &str,
        files: &[ResultFile],
        logs: Vec<Log>,
        checkpointed: bool,
        completed: Completed,
    ) -> Result<()> {
        let files = serde_json::to_string(files).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        let mut conn = self.db.conn()?;
        let notified = conn.write_transaction(|c| -> Result<bool> {
            log::append(c, id, logs)?;
            let at = db::now();
            let finished = repo::finish(c, id, at, &files)? > 0;
            if checkpointed {
                repo::delete_checkpoint(c, id)?;
            }
            if !finished {
                return Ok(false);
            }
            self.expiry.queue(c, id, at)?;
            self.notices.queue_completion(c, id, completed.access, completed.erasure)
        })?;
        if notified {
            self.notices.wake();
        }
        Ok(())
    }

    fn record_failure(
        &self,
        id: &str,
        step: &str,
        collection: Option<&str>,
        logs: Vec<Log>,
        checkpoint: Option<Vec<u8>>,
        forget: bool,
    ) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            log::append(c, id, logs)?;
            repo::fail(c, id, db::now(), step, collection)?;
            if let Some(sealed) = &checkpoint {
                repo::save_checkpoint(c, id, sealed, db::now())?;
            } else if forget {
                repo::delete_checkpoint(c, id)?;
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
        if still_running && let Err(e) = self.record_failure(id, "access", None, logs, None, false) {
            tracing::error!(error = %e, privacy_request_id = id, "could not mark the request failed");
        }
    }
}

/// The policy's erasure rules with their full strategies (responses never carry the
/// configuration), in rule order.
fn erasure_rules(rules: Vec<policy_repo::RuleRow>, targets: &[policy_repo::TargetRow]) -> Result<Vec<ErasureRule>> {
    rules
        .into_iter()
        .filter(|r| r.action_type == ActionType::Erasure)
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
