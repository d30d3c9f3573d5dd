//! Errors of the notices and RoPA crate.

use validation::Problem;

/// What can go wrong with notices, purposes, the catalog and RoPA.
#[derive(Debug, thiserror::Error)]
pub enum NoticesError {
    /// The thing does not exist (or not in the space it was looked up through).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique slug is taken.
    #[error("{0}")]
    Conflict(String),
    /// Request fields failed validation, each problem located below the input.
    #[error("invalid request: {}", .0.iter().map(|p| p.msg.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] db::DbError),
}

impl From<diesel::result::Error> for NoticesError {
    fn from(e: diesel::result::Error) -> Self {
        NoticesError::Db(e.into())
    }
}

impl NoticesError {
    /// One invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> NoticesError {
        NoticesError::Invalid(vec![Problem::new(validation::loc![field], message)])
    }
}

/// Result of an operation of this crate.
pub type Result<T> = std::result::Result<T, NoticesError>;
