//! The renaming engine: hides dataset, collection and field *names* in a DSR package, numbering
//! what it hides as Fides does (`dataset_N`, `collection_N`, `field_N`). Values never change.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::patterns::PatternSet;

/// A dataset's own redaction setting for one entity (dataset, collection or field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityRedaction {
    /// Always hide this name (`fides_meta.redact: name`).
    Redact,
    /// Never hide this name, even when a pattern matches it.
    Keep,
}

/// Entity settings from datasets, keyed by hierarchical name: `dataset`, `dataset.collection`,
/// `dataset.collection.field` and `dataset.collection.field.sub…` for nested fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityRules(HashMap<String, EntityRedaction>);

impl EntityRules {
    /// No settings.
    pub fn new() -> EntityRules {
        EntityRules::default()
    }

    /// Sets the rule of one entity.
    pub fn set(&mut self, key: impl Into<String>, rule: EntityRedaction) -> &mut Self {
        self.0.insert(key.into(), rule);
        self
    }

    /// The rule of one entity, if a dataset set one.
    pub fn get(&self, key: &str) -> Option<EntityRedaction> {
        self.0.get(key).copied()
    }

    /// True when no entity has a setting.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Decides which names to hide and rewrites packages accordingly.
#[derive(Debug, Clone)]
pub struct Redactor {
    patterns: PatternSet,
    entities: EntityRules,
}

/// How hidden dataset and collection names are numbered so far in one package.
#[derive(Debug, Default)]
pub struct PackageNames {
    datasets: Vec<String>,
    collections: HashMap<String, Vec<String>>,
}

/// A package key as written, and the key its fields' settings are looked up under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionName {
    /// The key in the package (`dataset_1:collection_2` when both are hidden).
    pub key: String,
    /// `dataset.collection`, for [`Redactor::redact_row`].
    pub fields: String,
}

/// Key of file attachments in a package; never renamed.
const ATTACHMENTS: &str = "attachments";
/// Dataset name for manual data whose rows carry no `system_name`.
const MANUAL: &str = "manual";

impl Redactor {
    /// A redactor over the global patterns and the datasets' entity settings.
    pub fn new(patterns: PatternSet, entities: EntityRules) -> Redactor {
        Redactor { patterns, entities }
    }

    /// True when there is nothing to hide: packages pass through untouched.
    pub fn is_inactive(&self) -> bool {
        self.patterns.is_empty() && self.entities.is_empty()
    }

    /// Whether to hide `name`, whose hierarchical key is `key`. A dataset's own setting wins over
    /// the patterns in both directions; otherwise any matching pattern hides the name.
    pub fn should_redact(&self, name: &str, key: &str) -> bool {
        match self.entities.get(key) {
            Some(EntityRedaction::Redact) => true,
            Some(EntityRedaction::Keep) => false,
            None => self.patterns.is_match(name),
        }
    }

    /// Renames hidden names in a package keyed `"dataset:collection"` → rows.
    ///
    /// Numbering follows Fides: datasets by order of first appearance among all datasets,
    /// collections by order of first appearance within their dataset, top-level fields by
    /// position in their row, nested fields by order of first appearance under their path.
    /// Keys without `:` (manual data) become `"<system_name or manual>:<key>"`.
    pub fn redact_package(&self, package: Map<String, Value>) -> Map<String, Value> {
        if self.is_inactive() {
            return package;
        }
        let mut names = PackageNames::default();
        let mut out = Map::with_capacity(package.len());
        for (key, rows) in package {
            match self.collection_name(&mut names, &key, system_name(&rows)) {
                None => {
                    out.insert(key, rows);
                }
                Some(name) => {
                    out.insert(name.key, self.redact_rows(rows, &name.fields));
                }
            }
        }
        out
    }

    /// The name package key `key` is written under (numbered in `names`, the package's order so
    /// far), or `None` when it is never renamed (attachments). `system_name` names the dataset of
    /// manual data (keys without `:`). Its rows then go through [`Self::redact_row`] with
    /// [`CollectionName::fields`]: this is [`Self::redact_package`] one collection and one row at
    /// a time, for packages streamed from disk.
    pub fn collection_name(
        &self,
        names: &mut PackageNames,
        key: &str,
        system_name: Option<&str>,
    ) -> Option<CollectionName> {
        if key == ATTACHMENTS {
            return None;
        }
        let (dataset, collection) = match key.split_once(':') {
            Some((dataset, collection)) => (dataset.to_owned(), collection.to_owned()),
            None => (system_name.unwrap_or(MANUAL).to_owned(), key.to_owned()),
        };
        let dataset_pos = position(&mut names.datasets, &dataset);
        let collection_pos = position(names.collections.entry(dataset.clone()).or_default(), &collection);
        let dataset_out =
            if self.should_redact(&dataset, &dataset) { format!("dataset_{dataset_pos}") } else { dataset.clone() };
        let fields = format!("{dataset}.{collection}");
        let collection_out =
            if self.should_redact(&collection, &fields) { format!("collection_{collection_pos}") } else { collection };
        Some(CollectionName { key: format!("{dataset_out}:{collection_out}"), fields })
    }

    fn redact_rows(&self, rows: Value, collection_key: &str) -> Value {
        match rows {
            Value::Array(rows) => {
                Value::Array(rows.into_iter().map(|row| self.redact_row(row, collection_key)).collect())
            }
            row @ Value::Object(_) => self.redact_row(row, collection_key),
            other => other,
        }
    }

    /// One row of the collection whose fields are keyed `collection_key` (see
    /// [`Self::collection_name`]), its hidden field names renamed.
    pub fn redact_row(&self, row: Value, collection_key: &str) -> Value {
        if self.is_inactive() {
            return row;
        }
        let Value::Object(fields) = row else { return row };
        let mut out = Map::with_capacity(fields.len());
        for (index, (field, value)) in fields.into_iter().enumerate() {
            let field_key = format!("{collection_key}.{field}");
            // Numbering of nested names restarts for every top-level value.
            let mut seen: HashMap<String, Vec<String>> = HashMap::new();
            let value = self.redact_nested(value, &field_key, &mut seen);
            let name = if self.should_redact(&field, &field_key) { format!("field_{}", index + 1) } else { field };
            out.insert(name, value);
        }
        Value::Object(out)
    }

    fn redact_nested(&self, value: Value, path: &str, seen: &mut HashMap<String, Vec<String>>) -> Value {
        match value {
            Value::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (field, inner) in fields {
                    let key = format!("{path}.{field}");
                    let n = position(seen.entry(path.to_owned()).or_default(), &field);
                    let inner = self.redact_nested(inner, &key, seen);
                    let name = if self.should_redact(&field, &key) { format!("field_{n}") } else { field };
                    out.insert(name, inner);
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|item| self.redact_nested(item, path, seen)).collect())
            }
            other => other,
        }
    }
}

/// 1-based position of `name` in `order`, appending it when new.
fn position(order: &mut Vec<String>, name: &str) -> usize {
    match order.iter().position(|n| n == name) {
        Some(i) => i + 1,
        None => {
            order.push(name.to_owned());
            order.len()
        }
    }
}

/// The `system_name` of the first row that has one (how Fides names manual data's dataset).
fn system_name(rows: &Value) -> Option<&str> {
    match rows {
        Value::Array(rows) => rows.iter().find_map(|row| row.get("system_name")?.as_str()),
        Value::Object(row) => row.get("system_name")?.as_str(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn redactor(patterns: &[&str], rules: &[(&str, EntityRedaction)]) -> Redactor {
        let patterns = PatternSet::parse(patterns.iter().map(|p| p.to_string()).collect()).unwrap();
        let mut entities = EntityRules::new();
        for (key, rule) in rules {
            entities.set(*key, *rule);
        }
        Redactor::new(patterns, entities)
    }

    fn package(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else { panic!("not an object") };
        map
    }

    fn keys(map: &Map<String, Value>) -> Vec<&str> {
        map.keys().map(String::as_str).collect()
    }

    #[test]
    fn without_patterns_or_rules_the_package_is_untouched() {
        let input = package(json!({"db:users": [{"email": "a@b.c"}], "manual_key": [{"x": 1}]}));
        assert_eq!(redactor(&[], &[]).redact_package(input.clone()), input);
    }

    #[test]
    fn fides_example_renames_the_matching_dataset_by_its_position() {
        let out = redactor(&["crm"], &[]).redact_package(package(json!({
            "db:users": [{"id": 1}],
            "crm:contacts": [{"id": 2}],
        })));
        assert_eq!(keys(&out), ["db:users", "dataset_2:contacts"]);
        assert_eq!(out["dataset_2:contacts"], json!([{"id": 2}]));
    }

    #[test]
    fn collections_are_numbered_within_their_dataset() {
        let out = redactor(&["^secret"], &[]).redact_package(package(json!({
            "db:users": [],
            "db:secret_notes": [],
            "other:secret_stuff": [],
        })));
        assert_eq!(keys(&out), ["db:users", "db:collection_2", "other:collection_1"]);
    }

    #[test]
    fn top_level_fields_take_their_position_in_the_row_and_values_stay() {
        let out = redactor(&["^email$", "phone"], &[]).redact_package(package(json!({
            "db:users": [
                {"id": 1, "email": "a@example.com", "mobile_phone": "555"},
                {"email": "b@example.com", "id": 2},
            ],
        })));
        assert_eq!(
            out["db:users"],
            json!([
                {"id": 1, "field_2": "a@example.com", "field_3": "555"},
                {"field_1": "b@example.com", "id": 2},
            ])
        );
    }

    #[test]
    fn matching_ignores_case() {
        let out = redactor(&["EMAIL"], &[]).redact_package(package(json!({"db:users": [{"Email": "x"}]})));
        assert_eq!(out["db:users"], json!([{"field_1": "x"}]));
    }

    #[test]
    fn nested_fields_are_numbered_per_path_and_lists_share_the_counter() {
        let out = redactor(&["ssn", "^pin$"], &[]).redact_package(package(json!({
            "db:users": [{
                "id": 1,
                "profile": {"name": "A", "ssn": "123", "card": {"pin": "0000"}},
                "history": [{"ssn": "1"}, {"note": "n", "ssn": "2"}],
            }],
        })));
        assert_eq!(
            out["db:users"],
            json!([{
                "id": 1,
                "profile": {"name": "A", "field_2": "123", "card": {"field_1": "0000"}},
                "history": [{"field_1": "1"}, {"note": "n", "field_1": "2"}],
            }])
        );
    }

    #[test]
    fn entity_rules_override_patterns_in_both_directions() {
        let r = redactor(
            &["email"],
            &[
                ("db.users.email", EntityRedaction::Keep),
                ("db.users.nickname", EntityRedaction::Redact),
                ("db", EntityRedaction::Redact),
            ],
        );
        let out = r.redact_package(package(json!({
            "db:users": [{"email": "a", "nickname": "b", "work_email": "c"}],
        })));
        assert_eq!(keys(&out), ["dataset_1:users"]);
        assert_eq!(out["dataset_1:users"], json!([{"email": "a", "field_2": "b", "field_3": "c"}]));
    }

    #[test]
    fn entity_rules_alone_activate_redaction_of_nested_paths() {
        let r = redactor(&[], &[("db.users.profile.ssn", EntityRedaction::Redact)]);
        let out = r.redact_package(package(json!({"db:users": [{"profile": {"a": 1, "ssn": 2}}]})));
        assert_eq!(out["db:users"], json!([{"profile": {"a": 1, "field_2": 2}}]));
    }

    #[test]
    fn manual_keys_gain_a_dataset_and_attachments_pass_through() {
        let out = redactor(&["zzz"], &[]).redact_package(package(json!({
            "paper_files": [{"system_name": "Filing cabinet", "box": "3"}],
            "notes": [{"x": 1}],
            "attachments": [{"file_name": "zzz.pdf"}],
        })));
        assert_eq!(keys(&out), ["Filing cabinet:paper_files", "manual:notes", "attachments"]);
        assert_eq!(out["attachments"], json!([{"file_name": "zzz.pdf"}]));
    }
}
