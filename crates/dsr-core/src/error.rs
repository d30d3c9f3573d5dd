//! Errors of the DSR crate.

/// What can go wrong with policies, rules, targets and storage destinations.
#[derive(Debug, thiserror::Error)]
pub enum DsrError {
    /// The thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with stored data (e.g. a destination still in use).
    #[error("{0}")]
    Conflict(String),
    /// A bulk write with more items than allowed.
    #[error("A bulk request takes at most {max} items")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// Unknown data categories, with their positions in the request.
    #[error("Invalid data categories: [{}]", .0.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownCategories(Vec<(usize, String)>),
    /// The request cannot be carried out as asked (e.g. testing a connection without secrets).
    #[error("{0}")]
    BadRequest(String),
    /// Not allowed (e.g. an expired download link).
    #[error("{0}")]
    Forbidden(String),
    /// Connection secrets that do not fit the connection type.
    #[error("{0}")]
    InvalidSecrets(String),
    /// Invalid input, each problem located in the body (`["fields", 0, "pii_field"]`).
    #[error("{}", .0.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<InvalidInput>),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] db::DbError),
}

/// One part of a location in the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// An object key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// One problem with the input, and where it is (below `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// Path below the body.
    pub loc: Vec<Loc>,
    /// What is wrong.
    pub message: String,
}

impl InvalidInput {
    /// A problem at `loc`.
    pub fn new(loc: Vec<Loc>, message: impl Into<String>) -> InvalidInput {
        InvalidInput { loc, message: message.into() }
    }
}

impl From<diesel::result::Error> for DsrError {
    fn from(e: diesel::result::Error) -> Self {
        DsrError::Db(e.into())
    }
}

/// Result of a DSR operation.
pub type Result<T> = std::result::Result<T, DsrError>;
