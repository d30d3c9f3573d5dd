//! Errors of the redaction crate.

/// What can go wrong managing redaction patterns.
#[derive(Debug, thiserror::Error)]
pub enum RedactionError {
    /// More patterns than allowed.
    #[error("Maximum {max} patterns allowed")]
    TooManyPatterns {
        /// The limit.
        max: usize,
    },
    /// One or more patterns are invalid (each located: `["patterns", 3]`); nothing was stored.
    #[error("invalid redaction patterns: {}", .0.iter().map(|p| p.msg.as_str()).collect::<Vec<_>>().join("; "))]
    InvalidPatterns(Vec<validation::Problem>),
    /// The patterns compile one by one but together exceed the matcher's size limit.
    #[error("The patterns together are too complex to compile; simplify or remove some")]
    SetTooLarge,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] db::DbError),
}

impl From<diesel::result::Error> for RedactionError {
    fn from(e: diesel::result::Error) -> Self {
        RedactionError::Db(e.into())
    }
}

/// Result of a redaction operation.
pub type Result<T> = std::result::Result<T, RedactionError>;
