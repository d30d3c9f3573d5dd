//! The connection types Lethe supports, for clients building connection forms: each with what
//! it can do and the JSON schema of its secrets (from [`connectors::registry`], or a SaaS
//! template's connector params), in Fides' `/connection_type` shapes. Each SaaS template shipped
//! in the binary is a type of its own (`stripe`, `mailchimp`, …), as in Fides.

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
        /// An HTTP API described by a `saas_config`.
        Saas => "saas",
    }
}

/// A supported connection type (Fides' `ConnectionSystemTypeMap`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectionTypeInfo {
    /// The `connection_type` value, or for SaaS the template's type (`saas_connector_type`).
    pub identifier: String,
    /// `database`, `manual` or `saas`.
    #[serde(rename = "type")]
    pub system_type: SystemType,
    /// Its name for people.
    pub human_readable: String,
    /// An icon (none are shipped).
    pub encoded_icon: Option<String>,
    /// Whether connecting needs an OAuth authorization first.
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
    let info = |identifier: &str, system_type, human_readable: &str, actions: Vec<ActionType>| ConnectionTypeInfo {
        identifier: identifier.to_owned(),
        system_type,
        human_readable: human_readable.to_owned(),
        encoded_icon: None,
        authorization_required: false,
        user_guide: None,
        supported_actions: actions,
    };
    let both = || vec![ActionType::Access, ActionType::Erasure];
    // `saas` is listed by its templates; `https` (a webhook target, not a data store) not at all, as in Fides.
    let listed = |t: &&ConnectionType| !matches!(**t, ConnectionType::Saas | ConnectionType::Https);
    let stores = ConnectionType::ALL.iter().filter(listed).map(|&identifier| match identifier.store_kind() {
        Some(kind) => info(identifier.as_str(), SystemType::Database, kind.human_readable, both()),
        None => info(identifier.as_str(), SystemType::Manual, "Manual request", both()),
    });
    let templates = connectors::saas::templates::TEMPLATES.iter().filter_map(|template| {
        let (config, _) = template.instantiate(template.kind).ok()?;
        let actions = config
            .supported_actions()
            .iter()
            .filter_map(|a| match *a {
                "access" => Some(ActionType::Access),
                "erasure" => Some(ActionType::Erasure),
                _ => None,
            })
            .collect();
        let mut item = info(template.kind, SystemType::Saas, &config.name, actions);
        item.authorization_required = matches!(
            config.client_config.authentication,
            Some(connectors::saas::config::Authentication::OAuth2AuthorizationCode { .. })
        );
        item.user_guide = config.user_guide.clone();
        Some(item)
    });
    stores
        .chain(templates)
        .filter(|t| system_type.is_none_or(|wanted| t.system_type == wanted))
        .filter(|t| {
            search.as_deref().is_none_or(|s| t.identifier.contains(s) || t.human_readable.to_lowercase().contains(s))
        })
        .collect()
}

/// The JSON schema of a connection type's secrets: `properties` with types, descriptions,
/// defaults and enumerations, `required`, and `"sensitive": true` on values never shown again.
pub fn secrets_schema(identifier: &str) -> Result<serde_json::Value> {
    let not_found = || DsrError::NotFound(format!("No connection type found with name '{identifier}'."));
    if let Some(template) = connectors::saas::templates::find(identifier) {
        let (config, _) = template.instantiate(template.kind).map_err(DsrError::Invalid)?;
        return Ok(connectors::saas::secrets::schema(&config));
    }
    // `saas` itself is no type a form is built for: its secrets follow the config.
    let connection_type =
        ConnectionType::parse(identifier).filter(|t| *t != ConnectionType::Saas).ok_or_else(not_found)?;
    if connection_type == ConnectionType::Https {
        return Ok(super::secrets::https_schema());
    }
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
        // Every type but `saas` itself and `https`, and the nine shipped templates.
        assert_eq!(all.len(), ConnectionType::ALL.len() - 2 + 9);
        let databases = connection_types(None, Some(SystemType::Database));
        assert!(databases.iter().all(|t| ConnectionType::parse(&t.identifier).and_then(|c| c.store_kind()).is_some()));
        let maria = connection_types(Some("MARIA"), None);
        assert_eq!(maria.iter().map(|t| t.identifier.as_str()).collect::<Vec<_>>(), vec!["mariadb"]);
        let saas = connection_types(None, Some(SystemType::Saas));
        let kinds: Vec<&str> = saas.iter().map(|t| t.identifier.as_str()).collect();
        assert_eq!(
            kinds,
            ["auth0", "braintree", "gorgias", "hubspot", "mailchimp", "segment", "shopify", "stripe", "surveymonkey"]
        );
        let stripe = saas.iter().find(|t| t.identifier == "stripe").unwrap();
        assert_eq!(stripe.human_readable, "Stripe");
        assert_eq!(stripe.supported_actions, vec![ActionType::Access, ActionType::Erasure]);
        let schema = secrets_schema("stripe").unwrap();
        assert_eq!(schema["title"], "stripe_schema");
        assert_eq!(schema["properties"]["api_key"]["sensitive"], true);
        assert!(secrets_schema("saas").is_err());
        assert_eq!(secrets_schema("https").unwrap()["required"], serde_json::json!(["url", "authorization"]));
        assert!(connection_types(Some("https"), None).is_empty());
        let schema = secrets_schema("mysql").unwrap();
        assert_eq!(schema["required"], serde_json::json!(["host", "dbname"]));
        assert_eq!(schema["properties"]["password"]["sensitive"], true);
        assert_eq!(schema["properties"]["port"]["default"], 3306);
        assert!(
            secrets_schema("oracle").unwrap_err().to_string().contains("No connection type found with name 'oracle'")
        );
    }
}
