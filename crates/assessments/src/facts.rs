//! What an assessment is generated from: the system with its declarations and the datasets it
//! references (from `dsr-core` when stored there). The snapshot of these facts is kept with the
//! assessment; when a later snapshot differs, the assessment is outdated.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::system::model::System;

/// A dataset the system references, as far as the DSR side knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetFact {
    /// Dataset key.
    pub fides_key: String,
    /// Whether a dataset with this key is stored (uploaded to a connection).
    pub stored: bool,
    /// Its name, when stored and named.
    pub name: Option<String>,
    /// The connection it belongs to, when stored.
    pub connection: Option<String>,
    /// Its collections (tables), when stored.
    pub collections: Vec<String>,
    /// Every data category it declares, when stored.
    pub data_categories: Vec<String>,
}

/// Everything the generation reads about one system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// The system as stored.
    pub system: System,
    /// Referenced datasets, in reference order.
    pub datasets: Vec<DatasetFact>,
}

impl Facts {
    /// Reads the facts of `system` in the caller's transaction.
    pub fn load(conn: &mut db::DbConn, system: System) -> crate::Result<Facts> {
        let mut datasets = Vec::new();
        for key in system.all_dataset_references() {
            let fact = match dsr_core::dataset::find_stored(conn, &key).map_err(crate::AssessmentError::from_dsr)? {
                Some(stored) => DatasetFact {
                    name: stored.dataset.name().map(str::to_owned),
                    collections: stored.dataset.collections.iter().map(|c| c.name.clone()).collect(),
                    data_categories: stored.dataset.all_categories(),
                    connection: Some(stored.connection_key),
                    stored: true,
                    fides_key: key,
                },
                None => DatasetFact {
                    fides_key: key,
                    stored: false,
                    name: None,
                    connection: None,
                    collections: Vec::new(),
                    data_categories: Vec::new(),
                },
            };
            datasets.push(fact);
        }
        Ok(Facts { system, datasets })
    }

    /// The snapshot as stored: JSON with a stable field order.
    pub fn snapshot(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 of the snapshot, hex.
    pub fn snapshot_hash(&self) -> String {
        hash(&self.snapshot())
    }

    /// Every data category the system's declarations name, without repeats, sorted.
    pub fn categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .system
            .privacy_declarations
            .iter()
            .flat_map(|d| d.data_categories.iter().map(String::as_str))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every data subject the system's declarations name, without repeats, sorted.
    pub fn subjects(&self) -> Vec<&str> {
        let mut out: Vec<&str> =
            self.system.privacy_declarations.iter().flat_map(|d| d.data_subjects.iter().map(String::as_str)).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every data use, without repeats, in declaration order.
    pub fn uses(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for declaration in &self.system.privacy_declarations {
            if !out.contains(&declaration.data_use.as_str()) {
                out.push(&declaration.data_use);
            }
        }
        out
    }
}

/// Hex SHA-256 of `text`.
pub fn hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The top-level facts that differ between two snapshots (`system.name`,
/// `system.privacy_declarations`, `datasets`, …), for the audit log.
pub fn changed_facts(before: &str, after: &Facts) -> Vec<String> {
    let Ok(before) = serde_json::from_str::<serde_json::Value>(before) else {
        return vec!["snapshot".to_owned()];
    };
    let Ok(after) = serde_json::to_value(after) else { return vec!["snapshot".to_owned()] };
    let flatten = |value: &serde_json::Value| -> BTreeMap<String, serde_json::Value> {
        let mut out = BTreeMap::new();
        if let Some(system) = value.get("system").and_then(|s| s.as_object()) {
            for (k, v) in system {
                out.insert(format!("system.{k}"), v.clone());
            }
        }
        out.insert("datasets".to_owned(), value.get("datasets").cloned().unwrap_or_default());
        out
    };
    let (before, after) = (flatten(&before), flatten(&after));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| before.get(*k) != after.get(*k)).cloned().collect()
}
