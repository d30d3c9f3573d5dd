//! The privacy center's configuration, in the shape of Fides' Privacy Center `config.json`:
//! `title`, `description`, `logo_path` and `actions[]` (`policy_key`, `title`, `description`,
//! `icon_path`, `identity_inputs`, `custom_privacy_request_fields`). Other top-level keys of a
//! Fides file (`links`, `consent`, …) are accepted and unused; inside an action every key is
//! checked. A file that cannot work stops start-up with a message naming the field.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether an identity input is asked for and must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// Must be filled.
    Required,
    /// May be left empty.
    Optional,
}

/// Which identities an action asks for (absent: not asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityInputs {
    /// The email address.
    #[serde(default)]
    pub email: Option<Requirement>,
    /// The phone number (E.164).
    #[serde(default)]
    pub phone: Option<Requirement>,
    /// The subject's name (shown, never sent, as in Fides).
    #[serde(default)]
    pub name: Option<Requirement>,
}

/// A custom field's input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Free text.
    #[default]
    Text,
    /// One of `options`.
    Select,
    /// Any of `options`.
    Multiselect,
}

/// A custom privacy request field (stored on the request as `custom_privacy_request_fields`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    /// The label shown and stored.
    pub label: String,
    /// Must be filled (default true, as in Fides).
    #[serde(default = "yes")]
    pub required: bool,
    /// The value when the subject gives none (and the only value of a hidden field).
    #[serde(default)]
    pub default_value: Option<Value>,
    /// Not shown; sent with its default value.
    #[serde(default)]
    pub hidden: bool,
    /// The input.
    #[serde(default)]
    pub field_type: FieldType,
    /// The choices of a select or multiselect.
    #[serde(default)]
    pub options: Option<Vec<String>>,
    /// Fides' prefill from the page's query string (accepted, unused).
    #[serde(default)]
    pub query_param_key: Option<String>,
}

fn yes() -> bool {
    true
}

/// One action offered (an access or erasure request under a policy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Action {
    /// The policy requests of this action use.
    #[serde(rename = "policy_key")]
    pub policy_key: String,
    /// Its title.
    pub title: String,
    /// What it does.
    pub description: String,
    /// An icon (a URL, same-origin or https).
    #[serde(rename = "icon_path", default)]
    pub icon_path: Option<String>,
    /// Further lines of description (accepted, unused).
    #[serde(rename = "description_subtext", default)]
    pub description_subtext: Option<Vec<String>>,
    /// The submit button's text.
    #[serde(default)]
    pub confirm_button_text: Option<String>,
    /// The cancel link's text (accepted, unused: the locale's wording is shown).
    #[serde(default)]
    pub cancel_button_text: Option<String>,
    /// Which identities are asked for (absent: an optional email, as in Fides).
    #[serde(rename = "identity_inputs", default)]
    pub identity_inputs: Option<IdentityInputs>,
    /// Extra fields, in the order shown.
    #[serde(rename = "custom_privacy_request_fields", default)]
    pub custom_privacy_request_fields: serde_json::Map<String, Value>,
}

/// The privacy center's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CenterConfig {
    /// The page title.
    pub title: String,
    /// The introduction on the home page.
    pub description: String,
    /// The logo (a URL, same-origin or https).
    pub logo_path: String,
    /// The actions offered.
    pub actions: Vec<Action>,
}

/// A checked action: its custom fields parsed, in order.
#[derive(Debug, Clone)]
pub struct CheckedAction {
    /// The action as configured.
    pub action: Action,
    /// Which identities are asked for.
    pub identities: IdentityInputs,
    /// Its custom fields, in order.
    pub fields: Vec<(String, CustomField)>,
}

/// Lethe's default: access and erasure with the seeded default policies, a required email.
pub const DEFAULT_CONFIG: &str = include_str!("../../privacy-center/default-config.json");

fn url_like(text: &str) -> bool {
    text.starts_with('/') || text.starts_with("https://")
}

/// Reads and checks a configuration; the error names the field (`actions[0].policy_key: …`).
pub fn parse(text: &str) -> Result<(CenterConfig, Vec<CheckedAction>), String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let config: CenterConfig = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        if path == "." { e.inner().to_string() } else { format!("{path}: {}", e.inner()) }
    })?;
    if config.title.trim().is_empty() {
        return Err("title: must not be empty".to_owned());
    }
    if !url_like(&config.logo_path) {
        return Err("logo_path: must be a path on this site (/…) or an https:// URL".to_owned());
    }
    if config.actions.is_empty() {
        return Err("actions: must offer at least one action".to_owned());
    }
    let mut checked = Vec::with_capacity(config.actions.len());
    for (i, action) in config.actions.iter().enumerate() {
        let at = |field: &str| format!("actions[{i}].{field}");
        if action.policy_key.trim().is_empty() {
            return Err(format!("{}: must not be empty", at("policy_key")));
        }
        if action.title.trim().is_empty() {
            return Err(format!("{}: must not be empty", at("title")));
        }
        if action.icon_path.as_deref().is_some_and(|p| !url_like(p)) {
            return Err(format!("{}: must be a path on this site (/…) or an https:// URL", at("icon_path")));
        }
        let identities = action.identity_inputs.clone().unwrap_or(IdentityInputs {
            email: Some(Requirement::Optional),
            phone: None,
            name: None,
        });
        if identities.email.is_none() && identities.phone.is_none() {
            return Err(format!("{}: must ask for an email or a phone number", at("identity_inputs")));
        }
        let mut fields = Vec::with_capacity(action.custom_privacy_request_fields.len());
        for (key, value) in &action.custom_privacy_request_fields {
            let field_at = at(&format!("custom_privacy_request_fields.{key}"));
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("{field_at}: keys are letters, digits and underscores"));
            }
            let field: CustomField = serde_json::from_value(value.clone()).map_err(|e| format!("{field_at}: {e}"))?;
            let options = field.options.as_deref().unwrap_or_default();
            match field.field_type {
                FieldType::Select | FieldType::Multiselect if options.is_empty() => {
                    return Err(format!("{field_at}.options: a select or multiselect needs options"));
                }
                FieldType::Text if !options.is_empty() => {
                    return Err(format!("{field_at}.options: only a select or multiselect has options"));
                }
                _ => {}
            }
            if field.hidden && field.default_value.is_none() {
                return Err(format!("{field_at}.default_value: a hidden field needs one"));
            }
            fields.push((key.clone(), field));
        }
        checked.push(CheckedAction { action: action.clone(), identities, fields });
    }
    Ok((config, checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_offers_access_and_erasure_with_a_required_email() {
        let (config, actions) = parse(DEFAULT_CONFIG).unwrap();
        let keys: Vec<&str> = config.actions.iter().map(|a| a.policy_key.as_str()).collect();
        assert_eq!(keys, ["default_access_policy", "default_erasure_policy"]);
        assert!(actions.iter().all(|a| a.identities.email == Some(Requirement::Required)));
    }

    #[test]
    fn fides_files_load_and_bad_ones_name_the_field() {
        let fides = r#"{"title": "Take control", "description": "d", "logo_path": "/logo.svg",
            "links": [{"label": "x", "url": "https://x"}], "includeConsent": false,
            "actions": [{"policy_key": "default_access_policy", "icon_path": "/download.svg", "title": "Access",
              "description": "Get a copy", "confirmButtonText": "Continue",
              "identity_inputs": {"email": "required", "phone": "optional"},
              "custom_privacy_request_fields": {"tenant_id": {"label": "Tenant", "hidden": true, "default_value": "t1"},
                "reason": {"label": "Why", "required": false, "field_type": "select", "options": ["a", "b"]}}}]}"#;
        let (_, actions) = parse(fides).unwrap();
        let keys: Vec<&str> = actions[0].fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["tenant_id", "reason"], "order kept");

        let bad = |text: &str| parse(text).unwrap_err();
        let base = |action: &str| {
            format!(r#"{{"title": "t", "description": "d", "logo_path": "/l.svg", "actions": [{action}]}}"#)
        };
        assert!(
            bad(&base(
                r#"{"policy_key": "p", "title": "t", "description": "d", "identity_inputs": {"email": "requried"}}"#
            ))
            .starts_with("actions[0].identity_inputs.email: unknown variant `requried`")
        );
        let typo = bad(&base(r#"{"policy_key": "p", "title": "t", "description": "d", "polcy": 1}"#));
        assert!(typo.starts_with("actions[0]"), "{typo}");
        assert!(typo.contains("unknown field `polcy`"), "{typo}");
        assert_eq!(
            bad(&base(
                r#"{"policy_key": "p", "title": "t", "description": "d", "custom_privacy_request_fields": {"x": {"label": "X", "field_type": "select"}}}"#
            )),
            "actions[0].custom_privacy_request_fields.x.options: a select or multiselect needs options"
        );
        assert_eq!(
            bad(&base(
                r#"{"policy_key": "p", "title": "t", "description": "d", "custom_privacy_request_fields": {"x": {"label": "X", "hidden": true}}}"#
            )),
            "actions[0].custom_privacy_request_fields.x.default_value: a hidden field needs one"
        );
        assert_eq!(
            bad(&base(
                r#"{"policy_key": "p", "title": "t", "description": "d", "identity_inputs": {"name": "required"}}"#
            )),
            "actions[0].identity_inputs: must ask for an email or a phone number"
        );
        assert!(bad(r#"{"title": "t", "description": "d", "actions": []}"#).contains("logo_path"));
        assert_eq!(
            bad(r#"{"title": "t", "description": "d", "logo_path": "javascript:x", "actions": []}"#),
            "logo_path: must be a path on this site (/…) or an https:// URL"
        );
    }
}
