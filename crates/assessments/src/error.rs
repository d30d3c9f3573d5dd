//! Errors of the assessments crate.

use dsr_core::DsrError;
use validation::{Loc, Problem};

/// What can go wrong with systems, assessments, answers, tasks and configuration.
#[derive(Debug, thiserror::Error)]
pub enum AssessmentError {
    /// The thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with stored data (a system key taken).
    #[error("{0}")]
    Conflict(String),
    /// The request cannot be carried out in the current state (retrying a task that did not fail).
    #[error("{0}")]
    BadRequest(String),
    /// An external service (Slack) refused or failed; the message names its error code.
    #[error("{0}")]
    Upstream(String),
    /// Invalid input, each problem located below the body (`["template_ids", 1]`).
    #[error("{}", .0.iter().map(|p| p.msg.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] db::DbError),
}

impl AssessmentError {
    /// One invalid value at `loc` below the body.
    pub fn invalid(loc: Vec<Loc>, message: impl Into<String>) -> AssessmentError {
        AssessmentError::Invalid(vec![Problem::new(loc, message)])
    }

    /// Reading datasets through `dsr-core` can only fail in storage.
    pub(crate) fn from_dsr(e: DsrError) -> AssessmentError {
        match e {
            DsrError::Db(db) => AssessmentError::Db(db),
            other => AssessmentError::Db(db::DbError::Corrupt(other.to_string())),
        }
    }
}

impl From<diesel::result::Error> for AssessmentError {
    fn from(e: diesel::result::Error) -> Self {
        AssessmentError::Db(e.into())
    }
}

/// Result of an assessments operation.
pub type Result<T> = std::result::Result<T, AssessmentError>;
