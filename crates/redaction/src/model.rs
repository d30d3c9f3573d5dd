//! Wire types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The global redaction patterns: regular expressions matched case-insensitively against
/// dataset, collection and field names in DSR package reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"patterns": ["sensitive_.*", ".*_private", "^email$", "customer.*", ".*user.*"]}))]
pub struct RedactionPatterns {
    /// At most 100 patterns of at most 500 characters each; every one must be a valid regex.
    pub patterns: Vec<String>,
}
