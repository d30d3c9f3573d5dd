//! Errors of the notices and RoPA crate.

/// A rejected field of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The field, e.g. `content_url`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldIssue {
    /// An issue with `field`.
    pub fn new(field: &str, message: impl Into<String>) -> FieldIssue {
        FieldIssue { field: field.to_owned(), message: message.into() }
    }
}

/// What can go wrong with notices, purposes, the catalog and RoPA.
#[derive(Debug, thiserror::Error)]
pub enum NoticesError {
    /// The thing does not exist (or not in the space it was looked up through).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique slug is taken.
    #[error("{0}")]
    Conflict(String),
    /// Request fields failed validation.
    #[error("invalid request: {}", .0.iter().map(|i| format!("{}: {}", i.field, i.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldIssue>),
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
        NoticesError::Invalid(vec![FieldIssue::new(field, message)])
    }
}

/// Result of an operation of this crate.
pub type Result<T> = std::result::Result<T, NoticesError>;
