//! Wire types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The OpenAPI schema of one pattern's text.
#[derive(Debug, Clone, Copy)]
pub struct PatternLength;

impl utoipa::PartialSchema for PatternLength {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        validation::text::length(
            "A regular expression (Rust `regex` syntax), 1 to 500 characters",
            1,
            crate::MAX_PATTERN_LENGTH,
        )
    }
}

impl ToSchema for PatternLength {
    fn name() -> std::borrow::Cow<'static, str> {
        "RedactionPattern".into()
    }
}

/// The global redaction patterns: regular expressions matched case-insensitively against
/// dataset, collection and field names in DSR package reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"patterns": ["sensitive_.*", ".*_private", "^email$", "customer.*", ".*user.*"]}))]
pub struct RedactionPatterns {
    /// At most 100 patterns of at most 500 characters each; every one must be a valid regex
    /// (Rust `regex` syntax).
    #[schema(value_type = Vec<PatternLength>, max_items = 100)]
    pub patterns: Vec<String>,
}
