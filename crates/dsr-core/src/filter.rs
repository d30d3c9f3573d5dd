//! Filtering access results down to what a rule targets (Fides' `filter_data_categories`):
//! a collection whose own categories are targeted passes whole rows; otherwise each row keeps
//! only the field paths whose categories are targeted (nested objects and arrays keep their
//! shape); a collection with no targeted field is left out.

use serde_json::{Map, Value};

use crate::graph::{FieldSpec, Node, covers};
use crate::raw::RawFields;

/// A targeted field path with its categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetedPath {
    /// Path segments from the top-level field down.
    pub path: Vec<String>,
    /// The field's categories.
    pub categories: Vec<String>,
}

fn collect(fields: &[FieldSpec], prefix: &[String], targets: &[String], out: &mut Vec<TargetedPath>) {
    for field in fields {
        let mut path = prefix.to_vec();
        path.push(field.name.clone());
        if field.categories.iter().any(|c| targets.iter().any(|t| covers(t, c))) {
            out.push(TargetedPath { path, categories: field.categories.clone() });
        } else {
            collect(&field.fields, &path, targets, out);
        }
    }
}

/// The field paths of `node` that `targets` select; `None` when the whole row is selected.
pub fn targeted_paths(node: &Node, targets: &[String]) -> Option<Vec<TargetedPath>> {
    if node.categories.iter().any(|c| targets.iter().any(|t| covers(t, c))) {
        return None;
    }
    let mut out = Vec::new();
    collect(&node.fields, &[], targets, &mut out);
    Some(out)
}

/// Copies the value at `path` of `source` into `target`, keeping objects and arrays as they are.
fn copy_path(source: &Value, path: &[String], target: &mut Value) {
    let Some((head, rest)) = path.split_first() else { return };
    match source {
        Value::Object(object) => {
            let Some(value) = object.get(head) else { return };
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let Some(slot) = target.as_object_mut() else { return };
            if rest.is_empty() {
                slot.insert(head.clone(), value.clone());
            } else {
                let entry = slot.entry(head.clone()).or_insert(Value::Null);
                copy_nested(value, rest, entry);
            }
        }
        Value::Array(_) => copy_nested(source, path, target),
        _ => {}
    }
}

fn copy_nested(value: &Value, rest: &[String], slot: &mut Value) {
    match value {
        Value::Array(items) => {
            if !slot.is_array() {
                *slot = Value::Array(vec![Value::Null; items.len()]);
            }
            if let Some(out) = slot.as_array_mut() {
                for (item, target) in items.iter().zip(out.iter_mut()) {
                    copy_path(item, rest, target);
                }
            }
        }
        other => copy_path(other, rest, slot),
    }
}

/// Removes empty objects and arrays (and array holes) left by partial copies.
fn prune(value: &mut Value) -> bool {
    match value {
        Value::Object(object) => {
            object.retain(|_, v| !matches!(v, Value::Object(_) | Value::Array(_)) || prune(v));
            !object.is_empty()
        }
        Value::Array(items) => {
            items.retain_mut(|v| !v.is_null() && (!matches!(v, Value::Object(_) | Value::Array(_)) || prune(v)));
            !items.is_empty()
        }
        _ => true,
    }
}

/// What a rule returns of one collection's rows, row by row.
#[derive(Debug, Clone)]
pub enum RowFilter {
    /// The collection's own categories are targeted: whole rows.
    Whole,
    /// Only these field paths; rows left with none are dropped.
    Paths {
        /// The targeted paths.
        paths: Vec<TargetedPath>,
        /// Every path is one distinct top-level field (rows can then be filtered on their text).
        top_level: bool,
    },
}

impl RowFilter {
    /// The filter of `node` for a rule targeting `targets`; `None` leaves the collection out.
    pub fn new(node: &Node, targets: &[String]) -> Option<RowFilter> {
        match targeted_paths(node, targets) {
            None => Some(RowFilter::Whole),
            Some(paths) if paths.is_empty() => None,
            Some(paths) => {
                let top_level = paths
                    .iter()
                    .enumerate()
                    .all(|(i, p)| p.path.len() == 1 && !paths[..i].iter().any(|q| q.path == p.path));
                Some(RowFilter::Paths { paths, top_level })
            }
        }
    }

    /// What the rule returns of `row`; `None` drops it.
    pub fn apply(&self, row: Value) -> Option<Value> {
        match self {
            RowFilter::Whole => Some(row),
            RowFilter::Paths { paths, .. } => {
                let mut out = Value::Object(Map::new());
                for path in paths {
                    copy_path(&row, &path.path, &mut out);
                }
                prune(&mut out).then_some(out)
            }
        }
    }
}

/// What [`RowFilter::apply_compact`] made of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compacted<'a> {
    /// The filtered row, as compact serde_json text.
    Row(&'a [u8]),
    /// The rule returns nothing of the row.
    Dropped,
    /// Not decided without parsing the row: use [`RowFilter::apply`].
    Parse,
}

impl RowFilter {
    /// What [`Self::apply`] returns of the row whose compact serde_json text is `text` (a spool
    /// line), without building the row as a [`Value`] where that gives the same answer: whole
    /// rows are passed as they are, and a filter of top-level fields only copies their texts
    /// (a field that is an empty object or array is left out, as pruning does; any other object
    /// or array, an escaped or repeated key, or text that is not an object answers
    /// [`Compacted::Parse`]).
    pub fn apply_compact<'a>(&self, text: &'a [u8], buffer: &'a mut Vec<u8>) -> Compacted<'a> {
        let paths = match self {
            RowFilter::Whole => return Compacted::Row(text),
            RowFilter::Paths { paths, top_level: true } => paths,
            RowFilter::Paths { top_level: false, .. } => return Compacted::Parse,
        };
        let Some(RawFields(fields)) = RawFields::of(text) else { return Compacted::Parse };
        buffer.clear();
        buffer.push(b'{');
        let mut count = 0;
        for path in paths {
            let name = path.path[0].as_str();
            let Some(at) = fields.iter().position(|(k, _)| *k == name) else { continue };
            if fields[at + 1..].iter().any(|(k, _)| *k == name) {
                return Compacted::Parse;
            }
            let (key, value) = fields[at];
            let value = value.get();
            match value.as_bytes().first() {
                Some(b'{' | b'[') if value.len() == 2 => continue,
                Some(b'{' | b'[') => return Compacted::Parse,
                _ => {}
            }
            if count > 0 {
                buffer.push(b',');
            }
            count += 1;
            if serde_json::to_writer(&mut *buffer, key).is_err() {
                return Compacted::Parse;
            }
            buffer.push(b':');
            buffer.extend_from_slice(value.as_bytes());
        }
        if count == 0 {
            return Compacted::Dropped;
        }
        buffer.push(b'}');
        Compacted::Row(buffer)
    }
}

/// The rows of `node` a rule targeting `targets` returns; `None` leaves the collection out.
pub fn filter_rows(node: &Node, rows: &[Value], targets: &[String]) -> Option<Vec<Value>> {
    let filter = RowFilter::new(node, targets)?;
    Some(rows.iter().filter_map(|row| filter.apply(row.clone())).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dataset::model::Dataset;
    use crate::graph::Graph;

    fn node(collection: Value) -> Node {
        let dataset: Dataset = serde_json::from_value(json!({"fides_key": "d", "collections": [collection]})).unwrap();
        Graph::build(&[(dataset, "c".to_owned())]).unwrap().nodes.remove(0)
    }

    #[test]
    fn compact_rows_are_filtered_as_parsed_ones_are() {
        let node = node(json!({"name": "customer", "fields": [
            {"name": "id", "data_categories": ["system.operations"]},
            {"name": "email", "data_categories": ["user.contact.email"]},
            {"name": "name", "data_categories": ["user.name"]},
            {"name": "tags", "data_categories": ["user.name"]},
            {"name": "address", "fields": [{"name": "city", "data_categories": ["user.contact.address"]}]},
        ]}));
        let rows = [
            json!({"id": 1, "email": "a@x.io", "name": "A \"q\" \u{e9}", "tags": [], "address": {"city": "X"}}),
            json!({"id": 2, "email": null, "tags": {}}),
            json!({"id": 3}),
            json!({"name": "B", "tags": ["x", []], "email": "b@x.io"}),
            json!({"tags": [[], {}], "id": 4}),
            json!({"e\\mail": 1, "name": "escaped key elsewhere"}),
            json!({}),
        ];
        let targets = [vec!["user.contact.email".to_owned(), "user.name".to_owned()], vec!["user".to_owned()]];
        let mut fast = 0;
        for targets in &targets {
            let filter = RowFilter::new(&node, targets).unwrap();
            for row in &rows {
                let text = serde_json::to_vec(row).unwrap();
                let expected = filter.apply(row.clone()).map(|r| serde_json::to_string(&r).unwrap());
                let mut buffer = Vec::new();
                match filter.apply_compact(&text, &mut buffer) {
                    Compacted::Row(got) => {
                        fast += 1;
                        assert_eq!(Some(String::from_utf8(got.to_vec()).unwrap()), expected, "{row}");
                    }
                    Compacted::Dropped => {
                        fast += 1;
                        assert_eq!(expected, None, "{row}");
                    }
                    Compacted::Parse => {}
                }
            }
        }
        // The first filter is of top-level fields: rows 1, 2 (kept), 3 and 7 (dropped) are decided
        // on the text; the second reaches into `address`, so every row is parsed.
        assert_eq!(fast, 4);
        let filter = RowFilter::new(&node, &["user.contact.email".to_owned()]).unwrap();
        assert_eq!(
            filter.apply_compact(br#"{"tags":["x"],"email":"e"}"#, &mut Vec::new()),
            Compacted::Row(br#"{"email":"e"}"#)
        );
        assert_eq!(filter.apply_compact(br#"{"id":1}"#, &mut Vec::new()), Compacted::Dropped);
        assert_eq!(filter.apply_compact(br#"{"email":[1]}"#, &mut Vec::new()), Compacted::Parse);
        assert_eq!(filter.apply_compact(br#"{"em\u0061il":"e"}"#, &mut Vec::new()), Compacted::Parse);
    }

    #[test]
    fn rows_keep_only_targeted_fields() {
        let node = node(json!({"name": "customer", "fields": [
            {"name": "id", "data_categories": ["system.operations"]},
            {"name": "email", "data_categories": ["user.contact.email"]},
            {"name": "name", "data_categories": ["user.name"]},
            {"name": "card", "data_categories": ["user.financial.bank_account"]}]}));
        let rows = vec![json!({"id": 1, "email": "a@x.io", "name": null, "card": "4111"})];
        let out = filter_rows(&node, &rows, &["user.contact".to_owned(), "user.name".to_owned()]).unwrap();
        assert_eq!(out, vec![json!({"email": "a@x.io", "name": null})]);
        assert_eq!(filter_rows(&node, &rows, &["user.demographic".to_owned()]), None);
    }

    #[test]
    fn collection_categories_pass_whole_rows() {
        let node = node(
            json!({"name": "visit", "data_categories": ["user.behavior"], "fields": [{"name": "id"}, {"name": "at"}]}),
        );
        let rows = vec![json!({"id": 1, "at": "now"})];
        assert_eq!(filter_rows(&node, &rows, &["user".to_owned()]).unwrap(), rows);
    }

    #[test]
    fn nested_paths_keep_their_shape() {
        let node = node(json!({"name": "profile", "fields": [
            {"name": "id"},
            {"name": "prefs", "fields": [
                {"name": "color", "data_categories": ["user.preference"]},
                {"name": "internal", "data_categories": ["system.operations"]}]},
            {"name": "kids", "fields": [{"name": "name", "data_categories": ["user.name"]}, {"name": "x"}]}]}));
        let rows = vec![json!({
            "id": 1,
            "prefs": {"color": "red", "internal": 7},
            "kids": [{"name": "Ann", "x": 1}, {"x": 2}]
        })];
        let out = filter_rows(&node, &rows, &["user".to_owned()]).unwrap();
        assert_eq!(out, vec![json!({"prefs": {"color": "red"}, "kids": [{"name": "Ann"}]})]);
    }
}
