//! The connection types Lethe supports, for clients building connection forms: each with what
//! it can do and the JSON schema of its secrets (from [`connectors::registry`]), in Fides'
//! `/connection_type` shapes.

use serde::Serialize;
use utoipa::ToSchema;

use super::model::ConnectionType;
use crate::error::{DsrError, Result};
use crate::policy::ActionType;

db::text_enum! {
    /// What kind of system a connection type reaches.
    pub enum SystemType {
        /// A database Lethe queries.
        Database => "database",
        /// People who look the data up and upload it.
        Manual => "manual",
    }
}

/// A supported connection type (Fides' `ConnectionSystemTypeMap`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectionTypeInfo {
    /// The `connection_type` value.
    pub identifier: ConnectionType,
    /// `database` or `manual`.
    #[serde(rename = "type")]
    pub system_type: SystemType,
    /// Its name for people.
    pub human_readable: String,
    /// An icon (none are shipped).
    pub encoded_icon: Option<String>,
    /// Whether connecting needs an OAuth authorization first (never, for these types).
    pub authorization_required: bool,
    /// A link to a user guide (none).
    pub user_guide: Option<String>,
    /// What requests it serves.
    pub supported_actions: Vec<ActionType>,
}

/// Every connection type, optionally only those whose identifier or name contains `search`
/// (case-insensitive) and of `system_type`.
pub fn connection_types(search: Option<&str>, system_type: Option<SystemType>) -> Vec<ConnectionTypeInfo> {
    let search = search.map(str::to_lowercase).filter(|s| !s.trim().is_empty());
    ConnectionType::ALL
        .iter()
        .map(|&identifier| {
            let (system_type, human_readable) = match identifier.store_kind() {
                Some(kind) => (SystemType::Database, kind.human_readable),
                None => (SystemType::Manual, "Manual request"),
            };
            ConnectionTypeInfo {
                identifier,
                system_type,
                human_readable: human_readable.to_owned(),
                encoded_icon: None,
                authorization_required: false,
                user_guide: None,
                supported_actions: vec![ActionType::Access, ActionType::Erasure],
            }
        })
        .filter(|t| system_type.is_none_or(|wanted| t.system_type == wanted))
        .filter(|t| {
            search
                .as_deref()
                .is_none_or(|s| t.identifier.as_str().contains(s) || t.human_readable.to_lowercase().contains(s))
        })
        .collect()
}

/// The JSON schema of a connection type's secrets: `properties` with types, descriptions,
/// defaults and enumerations, `required`, and `"sensitive": true` on values never shown again.
pub fn secrets_schema(identifier: &str) -> Result<serde_json::Value> {
    let not_found = || DsrError::NotFound(format!("No connection type found with name '{identifier}'."));
    let connection_type = ConnectionType::parse(identifier).ok_or_else(not_found)?;
    Ok(match connection_type.store_kind() {
        Some(kind) => kind.secrets_schema(),
        // Manual connections take no secrets: people upload the data.
        None => serde_json::json!({
            "title": "Manual request secrets", "type": "object", "properties": {}, "required": [],
            "additionalProperties": false
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_listed_filtered_and_described() {
        let all = connection_types(None, None);
        assert_eq!(all.len(), ConnectionType::ALL.len());
        let databases = connection_types(None, Some(SystemType::Database));
        assert!(databases.iter().all(|t| t.identifier.store_kind().is_some()));
        let maria = connection_types(Some("MARIA"), None);
        assert_eq!(maria.iter().map(|t| t.identifier).collect::<Vec<_>>(), vec![ConnectionType::Mariadb]);
        let schema = secrets_schema("mysql").unwrap();
        assert_eq!(schema["required"], serde_json::json!(["host", "dbname"]));
        assert_eq!(schema["properties"]["password"]["sensitive"], true);
        assert_eq!(schema["properties"]["port"]["default"], 3306);
        assert!(
            secrets_schema("oracle").unwrap_err().to_string().contains("No connection type found with name 'oracle'")
        );
    }
}
