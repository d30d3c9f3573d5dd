//! The one shape of a problem with client input, as every crate reports it: where it is, what is
//! wrong, and which kind of problem it is (FastAPI's `{loc, msg, type}`).

use serde::Serialize;
use utoipa::ToSchema;

/// One part of where a problem is: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Loc {
    /// An object key (`"patterns"`).
    Key(String),
    /// A list index.
    Index(usize),
}

impl From<&str> for Loc {
    fn from(key: &str) -> Loc {
        Loc::Key(key.to_owned())
    }
}

impl From<String> for Loc {
    fn from(key: String) -> Loc {
        Loc::Key(key)
    }
}

impl From<usize> for Loc {
    fn from(index: usize) -> Loc {
        Loc::Index(index)
    }
}

// Stated in words, not as `string | integer`: generated clients (openapi-generator's Python
// models) turn a typed union here into a wrapper object and then cannot read the plain strings
// and numbers of a `loc` inside the error body's one-of `detail`.
impl utoipa::PartialSchema for Loc {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
            .description(Some(
                "One part of a validation error location: a key (a string, `\"body\"`) or a list index (a \
                 non-negative integer, `0`)",
            ))
            .into()
    }
}

impl ToSchema for Loc {}

/// Builds a location from keys and indexes: `loc!["fields", 0, "pii_field"]`.
#[macro_export]
macro_rules! loc {
    ($($part:expr),* $(,)?) => {
        vec![$($crate::Loc::from($part)),*]
    };
}

/// The kind of a value that breaks a rule.
pub const VALUE_ERROR: &str = "value_error";
/// The kind of a required field left out.
pub const MISSING: &str = "missing";
/// The kind of a value of the wrong type.
pub const TYPE_ERROR: &str = "type_error";
/// The kind of a body that is not JSON.
pub const JSON_INVALID: &str = "json_invalid";
/// The kind of a list with too many items.
pub const TOO_LONG: &str = "too_long";
/// The kind of a value outside an enumeration.
pub const ENUM: &str = "enum";

// `loc` is relative to the input a function was given; the gateway puts where that input came
// from (`body`, `query`, `path`) in front.
/// One validation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ValidationIssue)]
pub struct Problem {
    /// Where: `["body", "patterns", 0]`, `["query", "page"]`, `["path", "id"]`.
    #[schema(inline, example = json!(["body", "patterns", 0]))]
    pub loc: Vec<Loc>,
    /// What is wrong.
    #[schema(example = "Invalid regex pattern: [invalid")]
    pub msg: String,
    /// A machine-readable kind: `value_error`, `missing`, `type_error`, `json_invalid`.
    #[serde(rename = "type")]
    #[schema(example = "value_error")]
    pub kind: String,
}

impl Problem {
    /// A value breaking a rule at `loc`.
    pub fn new(loc: Vec<Loc>, msg: impl Into<String>) -> Problem {
        Problem { loc, msg: msg.into(), kind: VALUE_ERROR.to_owned() }
    }

    /// The same problem, of another kind ([`MISSING`], [`TYPE_ERROR`], …).
    pub fn of_kind(mut self, kind: &str) -> Problem {
        kind.clone_into(&mut self.kind);
        self
    }

    /// The same problem, located under `root` (`["body"]`).
    pub fn under(mut self, root: &[Loc]) -> Problem {
        self.loc.splice(0..0, root.iter().cloned());
        self
    }
}

/// A list that may hold at most `max` items: the problem (at `loc`) when `len` is more.
pub fn at_most(loc: Vec<Loc>, len: usize, max: usize) -> Option<Problem> {
    (len > max).then(|| {
        Problem::new(loc, format!("List should have at most {max} items after validation, not {len}")).of_kind(TOO_LONG)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_serialize_in_fastapis_shape() {
        let problem = Problem::new(crate::loc!["fields", 0, "pii_field"], "too long").under(&[Loc::from("body")]);
        assert_eq!(
            serde_json::to_value(&problem).unwrap_or_default(),
            serde_json::json!({"loc": ["body", "fields", 0, "pii_field"], "msg": "too long", "type": "value_error"})
        );
        assert_eq!(Problem::new(vec![], "x").of_kind(MISSING).kind, "missing");
    }

    #[test]
    fn list_limits_name_the_count() {
        assert_eq!(at_most(crate::loc!["ids"], 50, 50), None);
        let problem = at_most(crate::loc!["ids"], 51, 50).unwrap_or_else(|| Problem::new(vec![], ""));
        assert_eq!(problem.msg, "List should have at most 50 items after validation, not 51");
        assert_eq!(problem.kind, TOO_LONG);
    }
}
