//! JSON values kept as given, with the shape their schema states.

use serde::de::{Deserialize, Deserializer, Error};
use serde_json::Value;

/// A JSON object or `null`, kept as a [`Value`]; anything else is refused (for fields whose
/// schema is an object but whose content is free).
pub fn object_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    match Value::deserialize(deserializer)? {
        value @ (Value::Object(_) | Value::Null) => Ok(value),
        other => Err(D::Error::custom(format!("invalid type: {}, expected an object", kind(&other)))),
    }
}

/// An optional JSON object (absent or `null` → `None`).
pub fn optional_object<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    object_or_null(deserializer).map(|v| Some(v).filter(|v| !v.is_null()))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::object_or_null")]
        config: serde_json::Value,
        #[serde(default, deserialize_with = "super::optional_object")]
        meta: Option<serde_json::Value>,
    }

    #[test]
    fn objects_and_null_pass_and_nothing_else_does() {
        let ok: Body =
            serde_json::from_value(json!({"config": {"a": 1}, "meta": null})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ok.config, ok.meta), (json!({"a": 1}), None));
        let absent: Body = serde_json::from_value(json!({})).unwrap_or_else(|e| panic!("{e}"));
        assert!(absent.config.is_null() && absent.meta.is_none());
        for bad in [json!({"config": "x"}), json!({"config": [1]}), json!({"meta": 3})] {
            let error = serde_json::from_value::<Body>(bad.clone()).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains("expected an object"), "{bad}: {error}");
        }
    }
}
