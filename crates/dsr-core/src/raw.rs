//! Rows as serde_json's compact writer wrote them (spool lines), read without building a
//! [`serde_json::Value`]: the top-level fields with their keys borrowed and values unparsed.

use serde::Deserialize;
use serde_json::value::RawValue;

/// A row's top-level fields in order, keys borrowed, values as written.
pub(crate) struct RawFields<'a>(pub(crate) Vec<(&'a str, &'a RawValue)>);

impl<'a> RawFields<'a> {
    /// The fields of the object `text`; `None` if it is not an object or a key has escapes
    /// (it cannot be borrowed): parse such a row as a `Value`.
    pub(crate) fn of(text: &'a [u8]) -> Option<RawFields<'a>> {
        serde_json::from_slice(text).ok()
    }

    /// The value of `key` (the first, if the object repeats it).
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

impl<'de> Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = RawFields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
                    fields.push(entry);
                }
                Ok(RawFields(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The CSV cell of a value as written: empty for null, a string's contents, other values as
/// their JSON text (what `Value::to_string` gives for them).
pub(crate) fn cell(value: &RawValue) -> std::borrow::Cow<'_, str> {
    let text = value.get();
    match text.as_bytes().first() {
        Some(b'n') if text == "null" => "".into(),
        Some(b'"') => match serde_json::from_str::<&str>(text) {
            Ok(borrowed) => borrowed.into(),
            Err(_) => serde_json::from_str::<String>(text).map_or_else(|_| text.into(), Into::into),
        },
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn fields_and_cells_read_as_from_a_parsed_row() {
        let row = json!({"s": "a\"b\n", "plain": "x", "n": null, "i": -3, "f": 1.5, "b": true, "o": {"k": [1, "2"]}});
        let text = serde_json::to_vec(&row).unwrap();
        let fields = RawFields::of(&text).unwrap();
        let keys: Vec<&str> = fields.0.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["s", "plain", "n", "i", "f", "b", "o"]);
        for (key, value) in row.as_object().unwrap() {
            let expected = match value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(cell(fields.get(key).unwrap()), expected, "{key}");
        }
        assert!(RawFields::of(br#"{"k\u0065y":1}"#).is_none());
        assert!(RawFields::of(b"[1]").is_none());
    }
}
