//! The execution graph: each collection of an enabled connection's datasets is a node, each
//! field reference an edge. Traversal starts from the fields the request's identities seed and
//! follows references (`to`, `from`, or both ways), as Fides does: a both-ways edge carries data
//! away from the endpoint reached first, a directed edge always in its direction, so a node
//! waits for every reached node that feeds it. `after` adds ordering without data. The result
//! is a [`Plan`]: the nodes to query in a dependency order, each with its inputs.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

use serde_json::Value;

use crate::dataset::model::{Dataset, Field};

/// `dataset:collection`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    /// Dataset key.
    pub dataset: String,
    /// Collection name.
    pub collection: String,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.dataset, self.collection)
    }
}

/// A field of a collection, as the engine needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    /// Column (or object key) name.
    pub name: String,
    /// The field's own data categories.
    pub categories: Vec<String>,
    /// Sub-fields of an object field.
    pub fields: Vec<FieldSpec>,
    /// Declared data type (`string`, `integer`, …, optionally `[]`).
    pub data_type: Option<String>,
    /// Part of the primary key.
    pub primary_key: bool,
    /// The identity that seeds this field.
    pub identity: Option<String>,
    /// Filled from a custom request field (not supported by Lethe: such collections are left out).
    pub custom_request_field: bool,
    /// Never masked by erasure.
    pub read_only: bool,
    /// Masked values are cut to this many characters.
    pub length: Option<usize>,
    /// A strategy replacing the rule's for this field.
    pub masking_override: Option<crate::masking::MaskingStrategy>,
}

impl FieldSpec {
    fn from_field(field: &Field) -> FieldSpec {
        let meta = field.fides_meta.clone().unwrap_or_default();
        FieldSpec {
            name: field.name.clone(),
            categories: field.data_categories.clone().unwrap_or_default(),
            fields: field.fields.iter().flatten().map(FieldSpec::from_field).collect(),
            data_type: meta.data_type,
            primary_key: meta.primary_key.unwrap_or(false),
            identity: meta.identity,
            custom_request_field: meta.other.get("custom_request_field").is_some_and(|v| !v.is_null()),
            read_only: meta.read_only.unwrap_or(false),
            length: meta.length.and_then(|l| usize::try_from(l).ok()),
            masking_override: meta.masking_strategy_override,
        }
    }

    /// Every category of this field and its sub-fields.
    fn all_categories<'a>(&'a self, out: &mut Vec<&'a str>) {
        out.extend(self.categories.iter().map(String::as_str));
        for sub in &self.fields {
            sub.all_categories(out);
        }
    }
}

/// A collection of a dataset on a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where it is.
    pub address: Address,
    /// The connection holding it.
    pub connection: String,
    /// Schema from the dataset's `fides_meta.namespace.schema`.
    pub schema: Option<String>,
    /// Collection-level categories (they cover whole rows).
    pub categories: Vec<String>,
    /// Top-level fields.
    pub fields: Vec<FieldSpec>,
    /// Collections this one is erased after.
    pub erase_after: Vec<Address>,
    /// Fields whose values are kept together per upstream row (a SaaS read's
    /// `grouped_inputs`); empty for tables.
    pub grouped_inputs: Vec<String>,
    after: Vec<Address>,
    after_datasets: Vec<String>,
}

impl Node {
    /// Every data category of the collection and its fields.
    pub fn all_categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.categories.iter().map(String::as_str).collect();
        for field in &self.fields {
            field.all_categories(&mut out);
        }
        out
    }

    /// A top-level field by name.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Edge {
    /// Data flows from the first endpoint to the second.
    Directed((usize, String), (usize, String)),
    /// Data flows away from whichever endpoint is reached first.
    Both((usize, String), (usize, String)),
}

/// The graph of every collection of the given datasets.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Nodes, ordered by address.
    pub nodes: Vec<Node>,
    edges: Vec<Edge>,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value.and_then(Value::as_array).into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

impl Graph {
    /// Builds the graph of `datasets` (each with its connection's key). A reference to a
    /// collection or field that does not exist (or is skipped) is an error naming it.
    pub fn build(datasets: &[(Dataset, String)]) -> Result<Graph, TraversalError> {
        let mut nodes = Vec::new();
        let mut skipped = BTreeSet::new();
        for (dataset, connection) in datasets {
            let meta = dataset.fides_meta.as_ref();
            let schema = meta
                .and_then(|m| m.get("namespace"))
                .and_then(|n| n.get("schema"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let after_datasets = strings(meta.and_then(|m| m.get("after")));
            for collection in &dataset.collections {
                let address = Address { dataset: dataset.fides_key.clone(), collection: collection.name.clone() };
                let cmeta = collection.fides_meta.as_ref();
                if cmeta.and_then(|m| m.get("skip_processing")).and_then(Value::as_bool) == Some(true) {
                    skipped.insert(address);
                    continue;
                }
                let addresses = |key: &str| -> Vec<Address> {
                    strings(cmeta.and_then(|m| m.get(key)))
                        .iter()
                        .filter_map(|a| a.split_once('.'))
                        .map(|(d, c)| Address { dataset: d.to_owned(), collection: c.to_owned() })
                        .collect()
                };
                let after = addresses("after");
                let erase_after = addresses("erase_after");
                let grouped_inputs = strings(cmeta.and_then(|m| m.get("grouped_inputs")));
                nodes.push(Node {
                    grouped_inputs,
                    address,
                    connection: connection.clone(),
                    schema: schema.clone(),
                    categories: collection.data_categories.clone().unwrap_or_default(),
                    fields: collection.fields.iter().map(FieldSpec::from_field).collect(),
                    erase_after,
                    after,
                    after_datasets: after_datasets.clone(),
                });
            }
        }
        nodes.sort_by(|a, b| a.address.cmp(&b.address));
        let index: HashMap<Address, usize> = nodes.iter().enumerate().map(|(i, n)| (n.address.clone(), i)).collect();
        let mut edges = Vec::new();
        for (dataset, _) in datasets {
            for collection in &dataset.collections {
                let here = Address { dataset: dataset.fides_key.clone(), collection: collection.name.clone() };
                let Some(&from) = index.get(&here) else { continue };
                for field in &collection.fields {
                    let references = field.fides_meta.as_ref().and_then(|m| m.references.as_ref());
                    for reference in references.into_iter().flatten() {
                        let (target_collection, target_field) =
                            reference.field.split_once('.').unwrap_or((reference.field.as_str(), ""));
                        let target =
                            Address { dataset: reference.dataset.clone(), collection: target_collection.to_owned() };
                        let origin = format!("{}.{}.{}", dataset.fides_key, collection.name, field.name);
                        let named = format!("{}.{}", reference.dataset, reference.field);
                        if skipped.contains(&target) {
                            return Err(TraversalError(format!(
                                "{origin}: referenced collection {target} is skipped (skip_processing)"
                            )));
                        }
                        let Some(&to) = index.get(&target) else {
                            return Err(TraversalError(format!("{origin}: referenced object {named} does not exist")));
                        };
                        // A dotted path is looked up in the upstream rows (API records nest);
                        // its top field must be declared.
                        let top = target_field.split('.').next().unwrap_or(target_field);
                        if nodes[to].field(top).is_none() {
                            return Err(TraversalError(format!("{origin}: referenced object {named} does not exist")));
                        }
                        let a = (from, field.name.clone());
                        let b = (to, target_field.to_owned());
                        edges.push(match reference.direction.as_deref() {
                            Some("to") => Edge::Directed(a, b),
                            Some("from") => Edge::Directed(b, a),
                            _ => Edge::Both(a, b),
                        });
                    }
                }
            }
        }
        Ok(Graph { nodes, edges })
    }

    /// The node at an address.
    pub fn node(&self, address: &Address) -> Option<&Node> {
        self.nodes.iter().find(|n| &n.address == address)
    }

    /// Nodes reached from the fields seeded by `identities`, in visit order.
    fn reach(&self, identities: &dyn Fn(&str) -> bool) -> Vec<Option<usize>> {
        let mut order = vec![None; self.nodes.len()];
        let mut queue = VecDeque::new();
        let mut next = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            if node.fields.iter().any(|f| f.identity.as_deref().is_some_and(identities)) {
                order[i] = Some(next);
                next += 1;
                queue.push_back(i);
            }
        }
        while let Some(current) = queue.pop_front() {
            for edge in &self.edges {
                let neighbour = match edge {
                    Edge::Directed((a, _), (b, _)) if *a == current => Some(*b),
                    Edge::Both((a, _), (b, _)) if *a == current => Some(*b),
                    Edge::Both((a, _), (b, _)) if *b == current => Some(*a),
                    _ => None,
                };
                if let Some(n) = neighbour
                    && order[n].is_none()
                {
                    order[n] = Some(next);
                    next += 1;
                    queue.push_back(n);
                }
            }
        }
        order
    }
}

/// Where a node's input values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The request's identity `identity` seeds local field `field`.
    Seed {
        /// Local field.
        field: String,
        /// Identity key.
        identity: String,
    },
    /// Values of `parent_field` in the rows of node `parent` feed local field `field`.
    Edge {
        /// Parent node index.
        parent: usize,
        /// Parent's field.
        parent_field: String,
        /// Local field.
        field: String,
    },
}

/// One node to query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Node index in the graph.
    pub node: usize,
    /// Its inputs; the query matches rows where any input field has any input value.
    pub inputs: Vec<Input>,
}

/// What a request will query, in order, and what it leaves out and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Nodes in dependency order.
    pub steps: Vec<Step>,
    /// Nodes left out with the reason to log.
    pub skipped: Vec<(Address, String)>,
}

/// Why a request's graph cannot be traversed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TraversalError(pub String);

/// Whether `category` equals `target` or lies under it (`user` covers `user.contact.email`).
pub fn covers(target: &str, category: &str) -> bool {
    category == target
        || (category.len() > target.len() && category.starts_with(target) && category.as_bytes()[target.len()] == b'.')
}

/// Per node: the visit rank when it is reached, or `None`.
type Reached = Vec<Option<usize>>;
/// Per node: its inputs, and the nodes it takes values from.
type DataFlow = (BTreeMap<usize, Vec<Input>>, BTreeMap<usize, BTreeSet<usize>>);

/// Plans the traversal for a request carrying `identities`, whose policy targets `targets`.
/// Collections the policy does not target are queried only when a targeted one needs their
/// values; unreachable ones fail the plan unless Fides' rules excuse them (reachable only
/// through an identity not given, not targeted, or filled from custom request fields).
pub fn plan(graph: &Graph, identities: &[&str], targets: &[String]) -> Result<Plan, TraversalError> {
    let given = |key: &str| identities.contains(&key);
    let reached = graph.reach(&given);
    let applies = |node: &Node| node.all_categories().iter().any(|c| targets.iter().any(|t| covers(t, c)));
    let skipped = unreached(graph, identities, &reached, &applies)?;
    let (mut inputs, parents) = data_flow(graph, &reached, &given);
    let order = ordered(graph, &reached, &parents)?;
    // Keep targeted nodes and the nodes whose values they need.
    let mut needed = vec![false; graph.nodes.len()];
    for &node in order.iter().rev() {
        if applies(&graph.nodes[node]) {
            needed[node] = true;
        }
        if needed[node] {
            for parent in parents.get(&node).into_iter().flatten() {
                needed[*parent] = true;
            }
        }
    }
    let steps = order
        .into_iter()
        .filter(|n| needed[*n])
        .map(|node| Step { node, inputs: inputs.remove(&node).unwrap_or_default() })
        .collect();
    Ok(Plan { steps, skipped })
}

/// The nodes not reached: skipped (with why) when an identity not given would reach them,
/// else a failure when the policy targets them (custom request fields excuse both).
fn unreached(
    graph: &Graph,
    identities: &[&str],
    reached: &Reached,
    applies: &dyn Fn(&Node) -> bool,
) -> Result<Vec<(Address, String)>, TraversalError> {
    let reachable_with_all = graph.reach(&|_| true);
    let mut skipped = Vec::new();
    let mut unreachable = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if reached[i].is_some() {
            continue;
        }
        let custom = node.fields.iter().any(|f| f.custom_request_field);
        if reachable_with_all[i].is_some() && !custom {
            let needed: BTreeSet<&str> = node.fields.iter().filter_map(|f| f.identity.as_deref()).collect();
            let needed = needed.into_iter().collect::<Vec<_>>().join("\", \"");
            let provided = identities.join("\", \"");
            skipped.push((
                node.address.clone(),
                format!(
                    "Skipping the \"{}\" collection, it is reachable by the \"{needed}\" identity but only the \"{provided}\" identity was provided",
                    node.address
                ),
            ));
        } else if applies(node) && !custom {
            unreachable.push(node.address.to_string());
        }
    }
    if !unreachable.is_empty() {
        return Err(TraversalError(format!("Some nodes were not reachable: {}", unreachable.join(", "))));
    }
    Ok(skipped)
}

/// The data-flow edges among reached nodes: identity seeds and reference edges (both-way
/// references run from the node reached first).
fn data_flow(graph: &Graph, reached: &Reached, given: &dyn Fn(&str) -> bool) -> DataFlow {
    let mut inputs: BTreeMap<usize, Vec<Input>> = BTreeMap::new();
    let mut parents: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if reached[i].is_none() {
            continue;
        }
        for field in &node.fields {
            if let Some(identity) = field.identity.as_deref().filter(|k| given(k)) {
                inputs
                    .entry(i)
                    .or_default()
                    .push(Input::Seed { field: field.name.clone(), identity: identity.to_owned() });
            }
        }
    }
    for edge in &graph.edges {
        let (from, to) = match edge {
            Edge::Directed(a, b) => (a, b),
            Edge::Both(a, b) => match (reached[a.0], reached[b.0]) {
                (Some(x), Some(y)) if x <= y => (a, b),
                _ => (b, a),
            },
        };
        if reached[from.0].is_none() || reached[to.0].is_none() || from.0 == to.0 {
            continue;
        }
        inputs.entry(to.0).or_default().push(Input::Edge {
            parent: from.0,
            parent_field: from.1.clone(),
            field: to.1.clone(),
        });
        parents.entry(to.0).or_default().insert(from.0);
    }
    (inputs, parents)
}

/// The reached nodes in an order where each comes after its parents and what its `after`
/// names (Kahn's algorithm, ties broken by visit order so plans are stable).
fn ordered(
    graph: &Graph,
    reached: &Reached,
    parents: &BTreeMap<usize, BTreeSet<usize>>,
) -> Result<Vec<usize>, TraversalError> {
    // `after`: ordering only.
    let mut waits: BTreeMap<usize, BTreeSet<usize>> = parents.clone();
    for (i, node) in graph.nodes.iter().enumerate() {
        if reached[i].is_none() {
            continue;
        }
        for (j, other) in graph.nodes.iter().enumerate() {
            let ordered = node.after.contains(&other.address) || node.after_datasets.contains(&other.address.dataset);
            if ordered && j != i && reached[j].is_some() {
                waits.entry(i).or_default().insert(j);
            }
        }
    }
    let mut remaining: Vec<usize> = (0..graph.nodes.len()).filter(|i| reached[*i].is_some()).collect();
    remaining.sort_by_key(|i| reached[*i]);
    let mut order = Vec::new();
    let mut done = vec![false; graph.nodes.len()];
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|i| waits.get(i).is_none_or(|w| w.iter().all(|p| done[*p])));
        let Some(position) = ready else {
            let names: Vec<String> = remaining.iter().map(|i| graph.nodes[*i].address.to_string()).collect();
            return Err(TraversalError(format!(
                "Node could not be reached given the specified ordering (a reference or `after` cycle among: {})",
                names.join(", ")
            )));
        };
        let node = remaining.remove(position);
        done[node] = true;
        order.push(node);
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dataset(value: Value) -> (Dataset, String) {
        (serde_json::from_value(value).unwrap(), "db".to_owned())
    }

    fn shop() -> Vec<(Dataset, String)> {
        vec![dataset(json!({
            "fides_key": "shop",
            "collections": [
                {"name": "address", "fields": [
                    {"name": "id", "fides_meta": {"primary_key": true}},
                    {"name": "street", "data_categories": ["user.contact.address.street"]}]},
                {"name": "customer", "fields": [
                    {"name": "id", "fides_meta": {"primary_key": true}},
                    {"name": "email", "data_categories": ["user.contact.email"], "fides_meta": {"identity": "email"}},
                    {"name": "address_id", "fides_meta": {"references": [{"dataset": "shop", "field": "address.id", "direction": "to"}]}}]},
                {"name": "orders", "fields": [
                    {"name": "id"},
                    {"name": "customer_id", "fides_meta": {"references": [{"dataset": "shop", "field": "customer.id", "direction": "from"}]}},
                    {"name": "shipping_address_id", "fides_meta": {"references": [{"dataset": "shop", "field": "address.id", "direction": "to"}]}}]},
                {"name": "order_item", "fields": [
                    {"name": "order_id", "fides_meta": {"references": [{"dataset": "shop", "field": "orders.id", "direction": "from"}]}},
                    {"name": "product_id", "fides_meta": {"references": [{"dataset": "shop", "field": "product.id", "direction": "to"}]}}]},
                {"name": "product", "fields": [{"name": "id"}, {"name": "name", "data_categories": ["system.operations"]}]},
                {"name": "loyalty", "fields": [
                    {"name": "card", "data_categories": ["user.unique_id"], "fides_meta": {"identity": "loyalty_id"}}]}
            ]
        }))]
    }

    fn names(graph: &Graph, plan: &Plan) -> Vec<String> {
        plan.steps.iter().map(|s| graph.nodes[s.node].address.collection.clone()).collect()
    }

    #[test]
    fn address_waits_for_every_node_that_references_it() {
        let graph = Graph::build(&shop()).unwrap();
        let plan = plan(&graph, &["email"], &["user".to_owned()]).unwrap();
        // product holds no user data and feeds nothing targeted: not queried. order_item and
        // orders feed nothing targeted either, except orders feeds address.
        assert_eq!(names(&graph, &plan), vec!["customer", "orders", "address"]);
        let address = plan.steps.iter().find(|s| graph.nodes[s.node].address.collection == "address").unwrap();
        assert_eq!(address.inputs.len(), 2);
        assert_eq!(plan.skipped.len(), 1);
        assert!(plan.skipped[0].1.contains("reachable by the \"loyalty_id\" identity but only the \"email\""));
    }

    #[test]
    fn targeting_product_pulls_in_its_feeders() {
        let graph = Graph::build(&shop()).unwrap();
        let plan = plan(&graph, &["email"], &["system".to_owned()]).unwrap();
        assert_eq!(names(&graph, &plan), vec!["customer", "orders", "order_item", "product"]);
    }

    #[test]
    fn unreachable_targeted_collections_fail_the_plan() {
        let mut datasets = shop();
        datasets[0].0.collections.push(
            serde_json::from_value(
                json!({"name": "orphan", "fields": [{"name": "x", "data_categories": ["user.name"]}]}),
            )
            .unwrap(),
        );
        let graph = Graph::build(&datasets).unwrap();
        let err = plan(&graph, &["email"], &["user".to_owned()]).unwrap_err();
        assert_eq!(err.0, "Some nodes were not reachable: shop:orphan");
        // Not targeted: excused.
        assert!(plan(&graph, &["email"], &["system".to_owned()]).is_ok());
    }

    #[test]
    fn both_way_references_flow_away_from_the_first_reached_end() {
        let datasets = vec![dataset(json!({
            "fides_key": "d",
            "collections": [
                {"name": "a", "fields": [{"name": "id", "fides_meta": {"identity": "email"}}]},
                {"name": "b", "fields": [{"name": "a_id", "data_categories": ["user"], "fides_meta": {"references": [{"dataset": "d", "field": "a.id"}]}}]}
            ]
        }))];
        let graph = Graph::build(&datasets).unwrap();
        let plan = plan(&graph, &["email"], &["user".to_owned()]).unwrap();
        assert_eq!(names(&graph, &plan), vec!["a", "b"]);
        assert_eq!(
            plan.steps[1].inputs,
            vec![Input::Edge { parent: plan.steps[0].node, parent_field: "id".into(), field: "a_id".into() }]
        );
    }

    #[test]
    fn after_orders_nodes_and_cycles_are_reported() {
        let mut datasets = shop();
        datasets[0].0.collections[1].fides_meta = Some(json!({"after": ["shop.orders"]}));
        let graph = Graph::build(&datasets).unwrap();
        let err = plan(&graph, &["email"], &["user".to_owned()]).unwrap_err();
        assert!(err.0.contains("cycle"), "{}", err.0);
    }

    #[test]
    fn references_to_missing_or_skipped_collections_fail_the_build() {
        let mut datasets = shop();
        datasets[0].0.collections[0].fides_meta = Some(json!({"skip_processing": true}));
        let err = Graph::build(&datasets).unwrap_err().0;
        assert!(err.contains("shop.customer.address_id") && err.contains("skip"), "{err}");
    }

    #[test]
    fn covers_matches_whole_segments() {
        assert!(covers("user", "user.contact.email"));
        assert!(covers("user.contact", "user.contact"));
        assert!(!covers("user.contact", "user.contactless"));
        assert!(!covers("user.contact.email", "user.contact"));
    }
}
