//! The secrets of a SaaS connection: one per connector param (a string, an integer, or a list
//! for multiselect params) and one per external reference (`{dataset, field, direction}`), as
//! Fides keeps them. Keys outside the schema are kept (OAuth 2 stores its tokens there) but
//! never shown.

use serde_json::{Map, Value, json};
use validation::{Loc, Problem, loc};

use super::SaasConfig;
use super::config::{ConnectorParam, ParamType};
use crate::registry::MASK;

/// `api_key` → `Api Key`: a param's title when it has no label.
fn title(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The JSON schema of the secrets (Fides' shape: `<type>_schema`, params in order then external
/// references, `sensitive`, `options`, `multiselect`, `allowed_values`, `required`).
pub fn schema(config: &SaasConfig) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in &config.connector_params {
        let mut property = json!({
            "title": param.label.clone().unwrap_or_else(|| title(&param.name)),
            "type": "string",
            "sensitive": param.sensitive,
            "multiselect": param.multiselect,
        });
        if let Some(description) = &param.description {
            property["description"] = description.clone().into();
        }
        if let Some(default) = &param.default_value {
            property["default"] = default.to_value();
        }
        if let Some(options) = &param.options {
            property["options"] = json!(options);
        }
        if param.param_type == Some(ParamType::Endpoint) {
            property["param_type"] = "endpoint".into();
        }
        if let Some(allowed) = &param.allowed_values {
            property["allowed_values"] = json!(allowed);
        }
        if param.is_required() {
            required.push(param.name.clone());
        }
        properties.insert(param.name.clone(), property);
    }
    for reference in &config.external_references {
        let mut property = json!({
            "title": reference.label.clone().unwrap_or_else(|| title(&reference.name)),
            "type": "object",
            "external_reference": true,
            "sensitive": false,
        });
        if let Some(description) = &reference.description {
            property["description"] = description.clone().into();
        }
        required.push(reference.name.clone());
        properties.insert(reference.name.clone(), property);
    }
    json!({"title": format!("{}_schema", config.kind), "type": "object", "properties": properties, "required": required})
}

fn is_given(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Number(_) | Value::Bool(true)) => true,
    }
}

fn param_problems(param: &ConnectorParam, value: &Value, trusted: &[String]) -> Option<String> {
    let single = |value: &Value| -> Option<String> {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
            _ => return Some("must be a string or an integer".to_owned()),
        };
        if let Some(options) = &param.options
            && !options.contains(&text)
        {
            return Some(format!("'{text}' is not one of the options: {}", options.join(", ")));
        }
        // Empty `trusted` would mean any host: only given patterns widen `allowed_values`.
        let trusted_host = || !trusted.is_empty() && super::hosts::allowed(trusted, &text);
        if let Some(allowed) = &param.allowed_values
            && !super::hosts::allowed(allowed, &text)
            && !trusted_host()
        {
            return Some(format!("'{text}' is not an allowed host for {}: {}", param.name, allowed.join(", ")));
        }
        None
    };
    match value {
        Value::Array(items) if param.multiselect => items.iter().find_map(single),
        Value::Array(_) => Some("must be a single value (the param is not multiselect)".to_owned()),
        other => single(other),
    }
}

fn reference_problem(value: &Value) -> Option<String> {
    let Some(object) = value.as_object() else {
        return Some("must be an object {\"dataset\", \"field\", \"direction\"}".to_owned());
    };
    let text = |key: &str| object.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    if text("dataset").is_none() {
        return Some("dataset is required".to_owned());
    }
    match text("field") {
        Some(field) if field.contains('.') => {}
        _ => return Some("field must be 'collection.field'".to_owned()),
    }
    match object.get("direction").and_then(Value::as_str) {
        None | Some("from") => None,
        Some(other) => Some(format!("direction '{other}' is not supported: use 'from'")),
    }
}

/// The secrets as stored: defaults filled in, every required secret present, values within
/// their options and allowed hosts, external references well formed. Problems are located at
/// the secret they concern.
pub fn check(config: &SaasConfig, secrets: Value) -> Result<Value, Vec<Problem>> {
    check_trusting(config, secrets, &[])
}

/// [`check`], with hosts matching `trusted` (the operator's `LETHE__SAAS__ALLOWED_HOSTS`)
/// accepted for endpoint params besides their `allowed_values`: an API inside the company
/// network, or a test server.
pub fn check_trusting(config: &SaasConfig, secrets: Value, trusted: &[String]) -> Result<Value, Vec<Problem>> {
    let Value::Object(mut secrets) = secrets else {
        return Err(vec![Problem::new(loc![], "secrets must be an object").of_kind(validation::problem::TYPE_ERROR)]);
    };
    for param in &config.connector_params {
        if !is_given(secrets.get(&param.name))
            && let Some(default) = param.default_value.as_ref().filter(|d| d.is_set())
        {
            secrets.insert(param.name.clone(), default.to_value());
        }
    }
    let names = config.connector_params.iter().map(|p| p.name.as_str());
    let missing: Vec<&str> = names
        .chain(config.external_references.iter().map(|r| r.name.as_str()))
        .filter(|name| !is_given(secrets.get(*name)))
        .collect();
    let mut problems: Vec<Problem> = missing
        .iter()
        .map(|name| {
            Problem::new(
                vec![Loc::from(*name)],
                format!("{}_schema must be supplied all of: [{}].", config.kind, missing.join(", ")),
            )
            .of_kind(validation::problem::MISSING)
        })
        .collect();
    for param in &config.connector_params {
        if let Some(value) = secrets.get(&param.name).filter(|v| is_given(Some(v)))
            && let Some(msg) = param_problems(param, value, trusted)
        {
            problems.push(Problem::new(vec![Loc::from(param.name.as_str())], msg));
        }
    }
    for reference in &config.external_references {
        if let Some(value) = secrets.get(&reference.name).filter(|v| is_given(Some(v)))
            && let Some(msg) = reference_problem(value)
        {
            problems.push(Problem::new(vec![Loc::from(reference.name.as_str())], msg));
        }
    }
    if problems.is_empty() { Ok(Value::Object(secrets)) } else { Err(problems) }
}

/// The secrets as responses show them: sensitive values masked, keys outside the schema left out.
pub fn shown(config: &SaasConfig, secrets: &Value) -> Value {
    let mut shown = Map::new();
    for param in &config.connector_params {
        if let Some(value) = secrets.get(&param.name).filter(|v| !v.is_null()) {
            let value = if param.sensitive { Value::String(MASK.to_owned()) } else { value.clone() };
            shown.insert(param.name.clone(), value);
        }
    }
    for reference in &config.external_references {
        if let Some(value) = secrets.get(&reference.name) {
            shown.insert(reference.name.clone(), value.clone());
        }
    }
    Value::Object(shown)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::saas::templates;

    fn stripe() -> SaasConfig {
        templates::find("stripe").unwrap().instantiate("stripe_1").unwrap().0
    }

    #[test]
    fn the_schema_lists_params_in_order_with_fides_flags() {
        let schema = schema(&stripe());
        assert_eq!(schema["title"], "stripe_schema");
        let keys: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["domain", "api_key"]);
        assert_eq!(schema["properties"]["api_key"]["title"], "API key");
        assert_eq!(schema["properties"]["api_key"]["sensitive"], true);
        assert_eq!(schema["properties"]["domain"]["default"], "api.stripe.com");
        assert_eq!(schema["properties"]["domain"]["allowed_values"], json!(["api.stripe.com"]));
        assert_eq!(schema["required"], json!(["api_key"]));
        let braintree = templates::find("braintree").unwrap().instantiate("b").unwrap().0;
        let schema = super::schema(&braintree);
        assert_eq!(schema["properties"]["braintree_user_id"]["external_reference"], true);
        assert_eq!(schema["properties"]["domain"]["title"], "Domain");
    }

    #[test]
    fn secrets_get_defaults_and_are_refused_naming_the_secret() {
        let config = stripe();
        let stored = check(&config, json!({"api_key": "sk_test_1", "access_token": "kept"})).unwrap();
        assert_eq!(stored, json!({"api_key": "sk_test_1", "access_token": "kept", "domain": "api.stripe.com"}));
        let missing = check(&config, json!({"api_key": ""})).unwrap_err();
        assert_eq!(missing[0].loc, validation::loc!["api_key"]);
        assert_eq!(missing[0].msg, "stripe_schema must be supplied all of: [api_key].");
        let host = check(&config, json!({"api_key": "k", "domain": "127.0.0.1"})).unwrap_err();
        assert_eq!(host[0].loc, validation::loc!["domain"]);
        assert!(host[0].msg.contains("not an allowed host"), "{}", host[0].msg);
        let braintree = templates::find("braintree").unwrap().instantiate("b").unwrap().0;
        let mut secrets = json!({"domain": "d", "public_key": "p", "private_key": "s",
                                 "braintree_user_id": {"dataset": "pg", "field": "users", "direction": "from"}});
        let bad = check(&braintree, secrets.clone()).unwrap_err();
        assert_eq!(
            (bad[0].loc.clone(), bad[0].msg.as_str()),
            (validation::loc!["braintree_user_id"], "field must be 'collection.field'")
        );
        secrets["braintree_user_id"]["field"] = "users.braintree_id".into();
        assert!(check(&braintree, secrets).is_ok());
    }

    #[test]
    fn hosts_the_operator_trusts_widen_allowed_values_and_nothing_else() {
        let config = stripe();
        let at = |domain: &str| json!({"domain": domain, "api_key": "sk"});
        assert!(check(&config, at("localhost:8443")).is_err(), "stripe allows api.stripe.com only");
        let trusted = ["localhost".to_owned()];
        assert_eq!(check_trusting(&config, at("localhost:8443"), &trusted).unwrap()["domain"], "localhost:8443");
        assert!(check_trusting(&config, at("evil.io"), &trusted).is_err());
        assert!(check_trusting(&config, at("api.stripe.com:443"), &[]).is_ok(), "a port is not part of the host");
    }

    #[test]
    fn shown_secrets_mask_sensitive_values_and_drop_unknown_keys() {
        let config = stripe();
        let shown = shown(&config, &json!({"api_key": "sk_test_1", "domain": "api.stripe.com", "access_token": "t"}));
        assert_eq!(shown, json!({"domain": "api.stripe.com", "api_key": MASK}));
    }
}
