//! Text rules: blank means only whitespace (Rust's `char::is_whitespace`, Unicode White_Space),
//! and the schema markers that state bounded, non-blank text in the OpenAPI document.
//!
//! A marker is used as a field's schema: `#[schema(value_type = validation::text::NameString)]` (or
//! `Option<…>`); the field stays a `String`. The server checks the same rule with [`is_blank`]
//! and [`chars`], on the untrimmed text, so that schema and server agree on every input.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// The characters Rust's `char::is_whitespace` (and `str::trim`) treats as whitespace, as a
/// regular-expression class body that ECMA-262, Python and Rust read alike.
pub const WHITESPACE_CLASS: &str = r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// A pattern matching text with at least one character that is not whitespace.
pub fn not_blank_pattern() -> String {
    format!("[^{WHITESPACE_CLASS}]")
}

/// Fides' `FidesKey`: non-empty, at most 200 of `[A-Za-z0-9_.<>-]`.
pub fn is_fides_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 200 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.<>-".contains(&b))
}

/// Whether `text` is empty or only whitespace.
pub fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// How many characters (Unicode scalar values, as JSON Schema's `maxLength` counts) `text` has.
pub fn chars(text: &str) -> usize {
    text.chars().count()
}

fn string(description: &str, max: Option<usize>, not_blank: bool, pattern: Option<String>) -> RefOr<Schema> {
    let pattern = pattern.or_else(|| not_blank.then(not_blank_pattern));
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(not_blank.then_some(1))
        .max_length(max)
        .pattern(pattern)
        .into()
}

/// Schema marker: text with at least one non-whitespace character and at most `MAX`
/// characters (`MAX` 0: no bound). Use through an alias (`type Label = NonBlank<200>;`): utoipa
/// reads a plain path in `value_type`.
#[derive(Debug, Clone, Copy)]
pub struct NonBlank<const MAX: usize>;

/// Schema marker: text of at most `MAX` characters.
#[derive(Debug, Clone, Copy)]
pub struct MaxChars<const MAX: usize>;

fn bound(max: usize) -> Option<usize> {
    (max > 0).then_some(max)
}

impl<const MAX: usize> utoipa::PartialSchema for NonBlank<MAX> {
    fn schema() -> RefOr<Schema> {
        let description = match bound(MAX) {
            Some(max) => format!("Text with at least one non-whitespace character, at most {max} characters"),
            None => "Text with at least one non-whitespace character".to_owned(),
        };
        string(&description, bound(MAX), true, None)
    }
}

impl<const MAX: usize> utoipa::ToSchema for NonBlank<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        match bound(MAX) {
            Some(max) => format!("NonBlankString{max}").into(),
            None => "NonBlankString".into(),
        }
    }
}

impl<const MAX: usize> utoipa::PartialSchema for MaxChars<MAX> {
    fn schema() -> RefOr<Schema> {
        string(&format!("Text of at most {MAX} characters"), Some(MAX), false, None)
    }
}

impl<const MAX: usize> utoipa::ToSchema for MaxChars<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("String{MAX}").into()
    }
}

/// Most characters in a name.
pub const NAME_MAX: usize = 500;
/// Most characters in a free text.
pub const TEXT_MAX: usize = 2000;

/// A name: at least one non-whitespace character, at most [`NAME_MAX`] characters.
pub type NameString = NonBlank<NAME_MAX>;
/// A free text of at most [`TEXT_MAX`] characters.
pub type TextString = MaxChars<TEXT_MAX>;
/// A non-blank free text of at most [`TEXT_MAX`] characters.
pub type NonBlankTextString = NonBlank<TEXT_MAX>;
/// A non-blank text of any length.
pub type NonBlankString = NonBlank<0>;

/// Schema of a string that is one of `values`.
pub fn one_of<I: IntoIterator<Item = T>, T: Into<serde_json::Value>>(description: &str, values: I) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).description(Some(description)).enum_values(Some(values)).into()
}

/// Schema of a string of `min` to `max` characters.
pub fn length(description: &str, min: usize, max: usize) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(min))
        .max_length(Some(max))
        .into()
}

/// Schema of a string matching `pattern`, at most `max` characters.
pub fn pattern(description: &str, pattern: &str, max: Option<usize>) -> RefOr<Schema> {
    string(description, max, false, Some(pattern.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_class_is_exactly_rusts_whitespace() {
        let class = regex::Regex::new(&format!("^[{WHITESPACE_CLASS}]$")).unwrap_or_else(|e| panic!("{e}"));
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            assert_eq!(class.is_match(c.encode_utf8(&mut [0; 4])), c.is_whitespace(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn blank_is_only_whitespace() {
        for blank in ["", " ", "\t\n", "\u{3000}\u{85}"] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for text in ["a", " a ", "\u{feff}", "\u{1c}"] {
            assert!(!is_blank(text), "{text:?}");
        }
        let not_blank = regex::Regex::new(&not_blank_pattern()).unwrap_or_else(|e| panic!("{e}"));
        for text in ["", " ", "\u{3000}\u{85}", "a", "\u{feff}", "\u{1c}"] {
            assert_eq!(not_blank.is_match(text), !is_blank(text), "{text:?}");
        }
    }

    #[test]
    fn markers_state_their_bounds() {
        let name = serde_json::to_value(<NameString as utoipa::PartialSchema>::schema()).unwrap_or_default();
        assert_eq!(name["type"], "string");
        assert_eq!(name["maxLength"], 500);
        assert_eq!(name["minLength"], 1);
        assert_eq!(name["pattern"], not_blank_pattern());
        let text = serde_json::to_value(<TextString as utoipa::PartialSchema>::schema()).unwrap_or_default();
        assert_eq!(text["maxLength"], 2000);
        assert!(text.get("pattern").is_none());
        assert_eq!(<NameString as utoipa::ToSchema>::name(), "NonBlankString500");
        let any = serde_json::to_value(<NonBlankString as utoipa::PartialSchema>::schema()).unwrap_or_default();
        assert!(any.get("maxLength").is_none());
    }
}
