//! Errors of the DSR crate.

use validation::Problem;

/// What can go wrong with policies, rules, targets and storage destinations.
#[derive(Debug, thiserror::Error)]
pub enum DsrError {
    /// The thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with stored data (e.g. a destination still in use).
    #[error("{0}")]
    Conflict(String),
    /// The request cannot be carried out as asked (e.g. testing a connection without secrets).
    #[error("{0}")]
    BadRequest(String),
    /// Not allowed (e.g. an expired download link).
    #[error("{0}")]
    Forbidden(String),
    /// It existed and was deleted for good (results past their retention).
    #[error("{0}")]
    Gone(String),
    /// Invalid input, each problem located below the input it was found in (`["fields", 0,
    /// "pii_field"]`; the gateway puts `body` in front).
    #[error("{}", .0.iter().map(|p| p.msg.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] db::DbError),
}

impl DsrError {
    /// One invalid value at `loc`.
    pub fn invalid(loc: Vec<validation::Loc>, message: impl Into<String>) -> DsrError {
        DsrError::Invalid(vec![Problem::new(loc, message)])
    }
}

impl From<diesel::result::Error> for DsrError {
    fn from(e: diesel::result::Error) -> Self {
        DsrError::Db(e.into())
    }
}

/// Why a value given in a request was refused (a key, a masking strategy, an identity): the
/// message for the client, which names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Why a customer store (the subject's database) could not be reached or read: the driver's
/// reason, shown to the privacy team in connection tests and execution logs. Never a failure of
/// Lethe's own database, which is a [`DsrError::Db`].
pub use connectors::ConnectorError as StoreError;

/// Result of a DSR operation.
pub type Result<T> = std::result::Result<T, DsrError>;
