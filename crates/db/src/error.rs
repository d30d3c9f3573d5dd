//! The storage error type shared by every repository.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Everything that can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database URL names no backend this build supports.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// Opening a connection failed; carries the driver's own message.
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    /// A query failed.
    #[error(transparent)]
    Query(DieselError),
    /// No pooled connection became free in time.
    #[error("database connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A stored value could not be decoded (corrupt JSON in a text column, say).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<DieselError> for DbError {
    /// A stored value a row type could not read (a text enum meeting an unknown value) is
    /// corrupt data, not a failed query.
    fn from(e: DieselError) -> DbError {
        match e {
            DieselError::DeserializationError(inner) => {
                // Diesel wraps the row type's error with the field's name; say both.
                let mut causes = vec![inner.to_string()];
                let mut source = inner.source();
                while let Some(cause) = source {
                    causes.push(cause.to_string());
                    source = cause.source();
                }
                causes.dedup();
                DbError::Corrupt(causes.join(": "))
            }
            other => DbError::Query(other),
        }
    }
}

impl DbError {
    /// True when the query matched no row.
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(DieselError::NotFound))
    }

    /// True when an insert or update broke a unique constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)))
    }

    /// True when the database is unavailable rather than the query wrong (pool timeout,
    /// lost connection), so a caller may answer 503 instead of 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            DbError::Pool(_)
                | DbError::Connect(_)
                | DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _))
        )
    }
}

/// Result of a storage operation.
pub type Result<T> = std::result::Result<T, DbError>;
