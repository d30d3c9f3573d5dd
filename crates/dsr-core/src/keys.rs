//! FidesKeys: `^[a-zA-Z0-9_.<>-]+$`, derived from names when not given.

pub use validation::text::is_fides_key;

/// The OpenAPI schema of a `FidesKey`: 1 to 200 of `[A-Za-z0-9_.<>-]`.
#[derive(Debug, Clone, Copy)]
pub struct FidesKeyText;

impl utoipa::PartialSchema for FidesKeyText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        validation::text::pattern(
            "A FidesKey: letters, digits, `_`, `.`, `<`, `>` and `-`, at most 200",
            "^[A-Za-z0-9_.<>-]+$",
            Some(200),
        )
    }
}

impl utoipa::ToSchema for FidesKeyText {
    fn name() -> std::borrow::Cow<'static, str> {
        "FidesKey".into()
    }
}

/// A key from a name, as Fides does: lowercase, runs of other characters become `_`.
pub fn from_name(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') {
            key.push('_');
        }
    }
    key.trim_matches('_').to_owned()
}

/// The given key, or one derived from `name`; fails with a message when invalid.
pub(crate) fn key_or_name(key: Option<&str>, name: &str) -> Result<String, crate::error::Refused> {
    let key = match key {
        Some(key) => key.to_owned(),
        None => from_name(name),
    };
    if is_fides_key(&key) {
        Ok(key)
    } else {
        Err(crate::error::Refused(format!(
            "FidesKeys must only contain alphanumeric characters, '.', '_', '<', '>' or '-'. Value provided: {key}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_derived_from_names_and_validated() {
        assert_eq!(from_name("Customer Access  Policy!"), "customer_access_policy");
        assert_eq!(from_name("  Émail rule "), "mail_rule");
        assert!(is_fides_key("default_access_policy"));
        assert!(is_fides_key("a.b-c<d>"));
        assert!(!is_fides_key("has space"));
        assert!(!is_fides_key(""));
        assert!(key_or_name(None, "!!!").is_err());
        assert_eq!(key_or_name(Some("k"), "ignored").unwrap(), "k");
    }
}
