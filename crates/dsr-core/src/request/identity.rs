//! Identities of a privacy request: parsed at the boundary (email shape, E.164 phone numbers,
//! custom `{label, value}` identities), kept as seed values for the graph.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Refused;

/// One identity: its label and its value(s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityValue {
    /// Human label (`Email`, or the custom identity's label).
    pub label: String,
    /// A string, a number, or a list of them.
    pub value: Value,
}

/// The identities of one request, by key, non-empty values only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity(pub BTreeMap<String, IdentityValue>);

fn known_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "email" => "Email",
        "phone_number" => "Phone number",
        "ga_client_id" => "GA client ID",
        "ljt_readerID" => "LJT reader ID",
        "fides_user_device_id" => "Fides user device ID",
        "external_id" => "External ID",
        _ => return None,
    })
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// `+1 (555) 555-0100` → `+15555550100`; `None` unless the result is E.164.
fn e164(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '(' | ')' | '-' | '.')).collect();
    let digits = compact.strip_prefix('+')?;
    let valid =
        (2..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    valid.then_some(compact)
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

impl Identity {
    /// Parses a request's `identity` object; the error names the identity key.
    pub fn parse(entries: &Map<String, Value>) -> Result<Identity, Refused> {
        let mut out = BTreeMap::new();
        for (key, value) in entries {
            if !crate::keys::is_fides_key(key) {
                return Err(Refused(format!(
                    "identity key '{key}' may only contain letters, digits, '_', '.', '-', '<', '>'"
                )));
            }
            let (label, value) = match (known_label(key), value) {
                (Some(label), Value::String(_) | Value::Null) => (label.to_owned(), value.clone()),
                (Some(_), _) => return Err(Refused(format!("identity.{key} must be a string"))),
                (None, Value::Object(custom)) => {
                    let label = custom.get("label").and_then(Value::as_str);
                    let inner = custom.get("value").cloned().unwrap_or(Value::Null);
                    let valid_value = is_scalar(&inner)
                        || inner.is_null()
                        || inner.as_array().is_some_and(|items| items.iter().all(is_scalar));
                    match label {
                        Some(label) if valid_value && custom.len() == 2 => (label.to_owned(), inner),
                        _ => {
                            return Err(Refused(format!(
                                "identity.{key} must be {{\"label\": string, \"value\": string, number or a list of them}}"
                            )));
                        }
                    }
                }
                (None, Value::String(_) | Value::Number(_) | Value::Null) => (key.clone(), value.clone()),
                (None, _) => {
                    return Err(Refused(format!("identity.{key} must be a string or {{\"label\", \"value\"}}")));
                }
            };
            if is_empty(&value) {
                continue;
            }
            let value = match (key.as_str(), &value) {
                ("email", Value::String(email)) if !is_email(email.trim()) => {
                    return Err(Refused("identity.email is not a valid email address".to_owned()));
                }
                ("email", Value::String(email)) => Value::String(email.trim().to_owned()),
                ("phone_number", Value::String(phone)) => Value::String(e164(phone).ok_or_else(|| {
                    Refused("identity.phone_number must be an E.164 number such as +15555550100".to_owned())
                })?),
                ("fides_user_device_id", Value::String(id)) if uuid::Uuid::parse_str(id).is_err() => {
                    return Err(Refused("identity.fides_user_device_id must be a UUID".to_owned()));
                }
                _ => value,
            };
            out.insert(key.clone(), IdentityValue { label, value });
        }
        if out.is_empty() {
            return Err(Refused("You must provide at least one identity to process".to_owned()));
        }
        Ok(Identity(out))
    }

    /// The values of one identity key (several for a list), as seeds for the graph.
    pub fn values(&self, key: &str) -> Vec<Value> {
        match self.0.get(key).map(|i| &i.value) {
            Some(Value::Array(items)) => items.clone(),
            Some(value) => vec![value.clone()],
            None => Vec::new(),
        }
    }

    /// The email address codes and subject emails go to: the first `email` value.
    pub fn email(&self) -> Option<String> {
        self.values("email").into_iter().find_map(|v| v.as_str().map(str::to_owned))
    }

    /// Each identity's value by key (a list stays a list), as API placeholders take them.
    pub fn values_map(&self) -> Map<String, Value> {
        self.0.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }

    /// Whether the request carries this identity.
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Identity keys given.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Every value as text, for the identity search digest.
    pub fn texts(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for key in self.0.keys() {
            for value in self.values(key) {
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.push((key.clone(), text));
            }
        }
        out
    }

    /// Fides' response shape: `{key: {"label", "value"}}`.
    pub fn to_response(&self) -> Map<String, Value> {
        self.0.iter().map(|(k, v)| (k.clone(), serde_json::json!({"label": v.label, "value": v.value}))).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn known_and_custom_identities_are_parsed() {
        let identity = Identity::parse(&object(json!({
            "email": " customer-1@example.com ",
            "phone_number": "+1 (123) 456 7891",
            "loyalty_id": {"label": "Loyalty ID", "value": "CH-1"},
            "ga_client_id": "",
        })))
        .unwrap();
        assert_eq!(identity.values("email"), vec![json!("customer-1@example.com")]);
        assert_eq!(identity.values("phone_number"), vec![json!("+11234567891")]);
        assert_eq!(identity.values("loyalty_id"), vec![json!("CH-1")]);
        assert!(!identity.has("ga_client_id"));
        assert_eq!(identity.to_response()["loyalty_id"], json!({"label": "Loyalty ID", "value": "CH-1"}));
    }

    #[test]
    fn bad_identities_are_refused_naming_the_key() {
        let err = |v: Value| Identity::parse(&object(v)).unwrap_err().0;
        assert_eq!(err(json!({})), "You must provide at least one identity to process");
        assert_eq!(err(json!({"email": ""})), "You must provide at least one identity to process");
        assert_eq!(err(json!({"email": "not-an-email"})), "identity.email is not a valid email address");
        assert!(err(json!({"phone_number": "12345"})).starts_with("identity.phone_number"));
        assert!(err(json!({"email": 5})).starts_with("identity.email"));
        assert!(err(json!({"loyalty_id": {"value": "x"}})).starts_with("identity.loyalty_id"));
        assert!(err(json!({"fides_user_device_id": "abc"})).contains("UUID"));
    }
}
