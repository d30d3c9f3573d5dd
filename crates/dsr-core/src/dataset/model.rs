//! Datasets in the fideslang format: typed where Lethe needs the meaning, everything else kept
//! as given (so Fides users' files load and come back unchanged), and validated at upload with
//! messages naming `dataset.collection.field`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::taxonomy::Taxonomy;

/// Most datasets one upload takes (as Fides).
pub const MAX_DATASETS: usize = 1_000;

/// A bulk body of datasets (at most [`MAX_DATASETS`]).
pub type DatasetList = crate::bulk::BulkBody<Dataset, MAX_DATASETS>;

/// A dataset file as Fides users keep them (`dataset: [...]`), the YAML upload's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DatasetFile {
    /// The datasets (at most [`MAX_DATASETS`]).
    #[schema(value_type = DatasetList)]
    pub dataset: Vec<Dataset>,
}

/// A fideslang dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Dataset {
    /// Unique key; collections are addressed as `<fides_key>:<collection>`.
    pub fides_key: String,
    /// Collections (tables).
    pub collections: Vec<Collection>,
    /// Dataset-level data categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_categories: Option<Vec<String>>,
    /// Dataset metadata (`after`, `namespace`, `redact`); `fidesops_meta` is accepted too.
    #[serde(
        default,
        alias = "fidesops_meta",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "validation::json::optional_object"
    )]
    #[schema(value_type = Option<Object>)]
    pub fides_meta: Option<Value>,
    /// Everything else (name, description, tags, …), kept as given.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

/// A collection (table) of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Collection {
    /// Table name.
    pub name: String,
    /// Fields (columns).
    pub fields: Vec<Field>,
    /// Collection-level data categories (apply to whole rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_categories: Option<Vec<String>>,
    /// Collection metadata (`after`, `erase_after`, `skip_processing`, `redact`).
    #[serde(
        default,
        alias = "fidesops_meta",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "validation::json::optional_object"
    )]
    #[schema(value_type = Option<Object>)]
    pub fides_meta: Option<Value>,
    /// Everything else, kept as given.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

/// A field (column), possibly with nested sub-fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Field {
    /// Column name.
    pub name: String,
    /// Data categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_categories: Option<Vec<String>>,
    /// Sub-fields of an object field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub fields: Option<Vec<Field>>,
    /// Field metadata (`identity`, `references`, `primary_key`, `data_type`, `length`, …).
    #[serde(default, alias = "fidesops_meta", skip_serializing_if = "Option::is_none")]
    pub fides_meta: Option<FieldMeta>,
    /// Everything else, kept as given.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

/// Field metadata Lethe reads; other keys are kept as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldMeta {
    /// The identity (`email`, `phone_number`, …) this field can be looked up by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Edges to fields of other collections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<Reference>>,
    /// Used in erasure `WHERE` clauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<bool>,
    /// `string`, `integer`, `float`, `boolean`, `object_id`, `object`, optionally with `[]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// Masked values are truncated to this length.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "validation::integer::optional")]
    pub length: Option<i64>,
    /// Never masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// Masks this field with another strategy than the rule's (one that needs no secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masking_strategy_override: Option<crate::masking::MaskingStrategy>,
    /// Everything else, kept as given.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

/// A reference to another collection's field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reference {
    /// The referenced dataset's key.
    pub dataset: String,
    /// `collection.field[.sub…]`.
    pub field: String,
    /// `from`, `to`, or absent (both ways).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

const DATA_TYPES: &[&str] = &["string", "integer", "float", "boolean", "object_id", "object"];

fn valid_data_type(data_type: &str) -> bool {
    DATA_TYPES.contains(&data_type.strip_suffix("[]").unwrap_or(data_type))
}

/// A stored dataset with the key of the connection it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDataset {
    /// The dataset.
    pub dataset: Dataset,
    /// Its connection's key.
    pub connection_key: String,
}

impl Dataset {
    /// The dataset's `name`, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.other.get("name").and_then(Value::as_str)
    }

    /// The dataset's `description`, if it has one.
    pub fn description(&self) -> Option<&str> {
        self.other.get("description").and_then(Value::as_str)
    }

    /// Every data category named anywhere in the dataset, sorted and without repeats.
    pub fn all_categories(&self) -> Vec<String> {
        fn walk(fields: &[Field], out: &mut std::collections::BTreeSet<String>) {
            for field in fields {
                out.extend(field.data_categories.iter().flatten().cloned());
                if let Some(sub) = &field.fields {
                    walk(sub, out);
                }
            }
        }
        let mut out = std::collections::BTreeSet::new();
        out.extend(self.data_categories.iter().flatten().cloned());
        for collection in &self.collections {
            out.extend(collection.data_categories.iter().flatten().cloned());
            walk(&collection.fields, &mut out);
        }
        out.into_iter().collect()
    }

    fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.name == name)
    }

    /// True when `collection.field[.sub…]` names a field of this dataset.
    pub fn has_field_path(&self, path: &str) -> bool {
        let mut parts = path.split('.');
        let Some(collection) = parts.next().and_then(|c| self.collection(c)) else { return false };
        let mut fields = Some(&collection.fields);
        let mut found = false;
        for part in parts {
            let Some(field) = fields.and_then(|fs| fs.iter().find(|f| f.name == part)) else { return false };
            fields = field.fields.as_ref();
            found = true;
        }
        found
    }
}

/// Every problem with `dataset`, each naming `dataset.collection.field`. `other` looks up
/// another stored (or co-uploaded) dataset by key for cross-dataset references; references to
/// datasets not uploaded yet are accepted and checked when requests run.
pub fn validate<'a>(
    dataset: &Dataset,
    taxonomy: &Taxonomy,
    other: &dyn Fn(&str) -> Option<&'a Dataset>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let ds = &dataset.fides_key;
    if !crate::keys::is_fides_key(ds) {
        problems.push(format!("{ds}: invalid fides_key"));
    }
    check_categories(ds, &dataset.data_categories, taxonomy, &mut problems);
    if dataset.collections.is_empty() {
        problems.push(format!("{ds}: a dataset needs at least one collection"));
    }
    let mut names = HashSet::new();
    for collection in &dataset.collections {
        let path = format!("{ds}.{}", collection.name);
        if collection.name.trim().is_empty() || !names.insert(collection.name.as_str()) {
            problems.push(format!("{path}: collection names must be non-empty and unique"));
        }
        check_categories(&path, &collection.data_categories, taxonomy, &mut problems);
        for key in ["after", "erase_after"] {
            let listed = collection.fides_meta.as_ref().and_then(|m| m.get(key)).and_then(Value::as_array);
            for entry in listed.into_iter().flatten() {
                let target = entry.as_str().unwrap_or_default();
                let known = match target.split_once('.') {
                    Some((d, c)) if d == ds => dataset.collection(c).is_some(),
                    Some((d, c)) => other(d).is_none_or(|o| o.collection(c).is_some()),
                    None => false,
                };
                if !known {
                    problems.push(format!("{path}: {key} names '{target}', which is not a known dataset.collection"));
                }
            }
        }
        check_fields(dataset, &collection.name, &path, &collection.fields, taxonomy, other, &mut problems);
    }
    problems
}

fn check_categories(path: &str, categories: &Option<Vec<String>>, taxonomy: &Taxonomy, problems: &mut Vec<String>) {
    for category in categories.iter().flatten() {
        if !taxonomy.is_data_category(category) {
            problems.push(format!("{path}: unknown data category '{category}'"));
        }
    }
}

fn check_fields<'a>(
    dataset: &Dataset,
    collection: &str,
    parent: &str,
    fields: &[Field],
    taxonomy: &Taxonomy,
    other: &dyn Fn(&str) -> Option<&'a Dataset>,
    problems: &mut Vec<String>,
) {
    let mut names = HashSet::new();
    for field in fields {
        let path = format!("{parent}.{}", field.name);
        if field.name.trim().is_empty() || !names.insert(field.name.as_str()) {
            problems.push(format!("{path}: field names must be non-empty and unique"));
        }
        check_categories(&path, &field.data_categories, taxonomy, problems);
        let meta = field.fides_meta.clone().unwrap_or_default();
        if let Some(data_type) = &meta.data_type {
            if !valid_data_type(data_type) {
                problems.push(format!(
                    "{path}: unknown data_type '{data_type}' (use {} or their [] arrays)",
                    DATA_TYPES.join(", ")
                ));
            } else if field.fields.is_some() && data_type.trim_end_matches("[]") != "object" {
                problems.push(format!("{path}: a field with sub-fields must have data_type object, not '{data_type}'"));
            }
        }
        if meta.length.is_some_and(|l| l < 1) {
            problems.push(format!("{path}: length must be a positive integer"));
        }
        if let Some(spec) = &meta.masking_strategy_override {
            match crate::masking::Strategy::parse(spec) {
                Ok(strategy) if strategy.needs_secrets() => problems.push(format!(
                    "{path}: Masking strategy '{}' with required secrets not allowed as an override.",
                    strategy.name()
                )),
                Ok(_) => {}
                Err(message) => problems.push(format!("{path}: masking_strategy_override: {message}")),
            }
        }
        if meta.identity.as_deref().is_some_and(|i| i.trim().is_empty()) {
            problems.push(format!("{path}: identity must name an identity such as email"));
        }
        for reference in meta.references.iter().flatten() {
            let target = format!("{}.{}", reference.dataset, reference.field);
            if let Some(direction) = reference.direction.as_deref().filter(|d| !matches!(*d, "from" | "to")) {
                problems.push(format!("{path}: reference direction must be from or to, not '{direction}'"));
            }
            let referenced_collection = reference.field.split('.').next().unwrap_or_default();
            if reference.dataset == dataset.fides_key {
                if referenced_collection == collection {
                    problems.push(format!(
                        "{path}: references {target} in its own collection (self-reference is not allowed)"
                    ));
                } else if !dataset.has_field_path(&reference.field) {
                    problems.push(format!("{path}: references {target}, which does not exist"));
                }
            } else if let Some(stored) = other(&reference.dataset)
                && !stored.has_field_path(&reference.field)
            {
                problems.push(format!("{path}: references {target}, which does not exist"));
            }
        }
        if let Some(sub) = &field.fields {
            check_fields(dataset, collection, &path, sub, taxonomy, other, problems);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dataset(value: Value) -> Dataset {
        serde_json::from_value(value).unwrap()
    }

    fn shop() -> Dataset {
        dataset(json!({
            "fides_key": "shop",
            "name": "Shop DB",
            "tags": ["prod"],
            "collections": [
                {"name": "customer", "fields": [
                    {"name": "id", "fides_meta": {"primary_key": true, "data_type": "integer"}},
                    {"name": "email", "data_categories": ["user.contact.email"], "fidesops_meta": {"identity": "email", "data_type": "string"}},
                    {"name": "profile", "fides_meta": {"data_type": "object"}, "fields": [{"name": "nickname", "data_categories": ["user.name"]}]}
                ]},
                {"name": "orders", "fields": [
                    {"name": "customer_id", "fides_meta": {"references": [{"dataset": "shop", "field": "customer.id", "direction": "from"}], "custom_flag": 1}}
                ]}
            ]
        }))
    }

    fn none(_: &str) -> Option<&'static Dataset> {
        None
    }

    #[test]
    fn a_fides_style_dataset_is_valid_and_round_trips_unknown_keys() {
        let ds = shop();
        assert!(
            validate(&ds, &Taxonomy::embedded(), &none).is_empty(),
            "{:?}",
            validate(&ds, &Taxonomy::embedded(), &none)
        );
        let back = serde_json::to_value(&ds).unwrap();
        assert_eq!(back["tags"], json!(["prod"]));
        assert_eq!(back["collections"][1]["fields"][0]["fides_meta"]["custom_flag"], 1);
        assert_eq!(
            back["collections"][0]["fields"][1]["fides_meta"]["identity"], "email",
            "fidesops_meta is read as fides_meta"
        );
        assert!(ds.has_field_path("customer.profile.nickname"));
        assert!(!ds.has_field_path("customer.profile.age"));
        assert!(!ds.has_field_path("customer"));
    }

    #[test]
    fn problems_name_the_field() {
        let mut ds = shop();
        ds.collections[0].fields[1].data_categories = Some(vec!["user.telepathy".into()]);
        ds.collections[0].fields[0].fides_meta.as_mut().unwrap().data_type = Some("uuid".into());
        ds.collections[1].fields[0].fides_meta.as_mut().unwrap().references.as_mut().unwrap()[0].field =
            "customer.missing".into();
        ds.collections[0].fields.push(Field {
            name: "self_ref".into(),
            data_categories: None,
            fields: None,
            fides_meta: Some(FieldMeta {
                references: Some(vec![Reference {
                    dataset: "shop".into(),
                    field: "customer.id".into(),
                    direction: None,
                }]),
                ..FieldMeta::default()
            }),
            other: Map::new(),
        });
        let problems = validate(&ds, &Taxonomy::embedded(), &none);
        assert_eq!(
            problems,
            vec![
                "shop.customer.id: unknown data_type 'uuid' (use string, integer, float, boolean, object_id, object or their [] arrays)",
                "shop.customer.email: unknown data category 'user.telepathy'",
                "shop.customer.self_ref: references shop.customer.id in its own collection (self-reference is not allowed)",
                "shop.orders.customer_id: references shop.customer.missing, which does not exist",
            ]
        );
    }

    #[test]
    fn cross_dataset_references_are_checked_when_the_other_dataset_is_known() {
        let crm = dataset(json!({"fides_key": "crm", "collections": [{"name": "contacts", "fields": [
            {"name": "shop_id", "fides_meta": {"references": [{"dataset": "shop", "field": "customer.nope"}]}}
        ]}]}));
        assert!(validate(&crm, &Taxonomy::embedded(), &none).is_empty(), "unknown datasets are checked at execution");
        let stored = shop();
        let lookup = |key: &str| (key == "shop").then_some(&stored);
        assert_eq!(
            validate(&crm, &Taxonomy::embedded(), &lookup),
            vec!["crm.contacts.shop_id: references shop.customer.nope, which does not exist"]
        );
    }
}
