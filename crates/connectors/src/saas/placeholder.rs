//! Placeholders of a SaaS config: `<name>` (a dotted path into the request's values) and
//! `<name?>` (optional). A value is inserted as text: strings as they are, numbers and booleans
//! in JSON, lists as JSON arrays, objects as their JSON members without the outer braces (so
//! `{ <masked_object_fields> }` becomes an object). Fides inserts values the same way.

use serde_json::Value;

/// The placeholders of `template`, as written between `<` and `>` (`name`, `name?`).
pub fn names(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    scan(template, |token| {
        if let Token::Placeholder(name) = token {
            names.push(name);
        }
    });
    names
}

enum Token<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits `template` into text and placeholders: `<` + one or more characters other than `<`
/// and `>` + `>`.
fn scan<'a>(template: &'a str, mut each: impl FnMut(Token<'a>)) {
    let mut rest = template;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        match after.find(['<', '>']) {
            Some(end) if end > 0 && after.as_bytes()[end] == b'>' => {
                each(Token::Text(&rest[..open]));
                each(Token::Placeholder(&after[..end]));
                rest = &after[end + 1..];
            }
            _ => {
                each(Token::Text(&rest[..=open]));
                rest = after;
            }
        }
    }
    each(Token::Text(rest));
}

/// The value at dotted `path` of `values` (numeric segments index lists); null counts as none.
pub fn lookup<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    let found = path.split('.').try_fold(values, |value, segment| match value {
        Value::Object(object) => object.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })?;
    (!found.is_null()).then_some(found)
}

/// A value as a placeholder inserts it.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            let json = value.to_string();
            json[1..json.len() - 1].to_owned()
        }
        other => other.to_string(),
    }
}

/// `template` with its placeholders filled from `values`. An optional placeholder without a
/// value turns `"<name?>"` (quotes included) into `null` and is otherwise left as written;
/// `Err` names every required placeholder without a value.
pub fn fill(template: &str, values: &Value) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(template.len());
    let mut missing = Vec::new();
    let mut drop_quote = false;
    scan(template, |token| match token {
        Token::Text(text) => {
            let text = if drop_quote { text.strip_prefix('"').unwrap_or(text) } else { text };
            drop_quote = false;
            out.push_str(text);
        }
        Token::Placeholder(name) => {
            let (path, optional) = match name.strip_suffix('?') {
                Some(path) => (path, true),
                None => (name, false),
            };
            match lookup(values, path) {
                Some(value) => out.push_str(&text(value)),
                None if optional && out.ends_with('"') => {
                    out.pop();
                    out.push_str("null");
                    drop_quote = true;
                }
                None if optional => {
                    out.push('<');
                    out.push_str(name);
                    out.push('>');
                }
                None => missing.push(path.to_owned()),
            }
        }
    });
    if missing.is_empty() { Ok(out) } else { Err(missing) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn placeholders_are_found_as_fides_finds_them() {
        assert_eq!(names("/v1/customers/<customer_id>"), ["customer_id"]);
        assert_eq!(names("<a><b?> < c> <> <<d>> x<e.f>"), ["a", "b?", " c", "d", "e.f"]);
        assert_eq!(names("no placeholders < here"), Vec::<&str>::new());
    }

    #[test]
    fn values_are_inserted_as_text() {
        let values = json!({
            "email": "jane@example.com", "n": 42, "yes": true, "list": [1, "a"],
            "masked": {"name": null, "address": {"city": "x"}}, "privacy_request": {"id": "pri_1"}, "none": null,
        });
        assert_eq!(fill("/u/<email>/<n>?ok=<yes>", &values).unwrap(), "/u/jane@example.com/42?ok=true");
        assert_eq!(fill("<list>", &values).unwrap(), r#"[1,"a"]"#);
        assert_eq!(fill("{ <masked> }", &values).unwrap(), r#"{ "name":null,"address":{"city":"x"} }"#);
        assert_eq!(fill("<privacy_request.id>", &values).unwrap(), "pri_1");
        assert_eq!(
            fill(r#"{"a": "<x?>", "b": <y?>, "c": "<email>"}"#, &values).unwrap(),
            r#"{"a": null, "b": <y?>, "c": "jane@example.com"}"#
        );
        assert_eq!(fill("<none>/<gone>/<email>", &values).unwrap_err(), ["none", "gone"]);
        // Inserted text is not scanned again.
        assert_eq!(fill("<v>", &json!({"v": "<email>"})).unwrap(), "<email>");
    }
}
