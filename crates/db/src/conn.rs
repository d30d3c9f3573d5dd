//! The connection type over both backends and how one is opened.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::result::Error as DieselError;
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::error::{DbError, Result};

mod multi {
    #![expect(missing_docs, reason = "diesel's MultiConnection derive generates undocumented items")]
    use diesel::{PgConnection, SqliteConnection};

    /// One database connection, PostgreSQL or SQLite, picked from the URL scheme at run time.
    ///
    /// Queries written with the Diesel DSL against [`crate::schema`] run on either variant; code
    /// that needs backend-specific SQL (upserts, `FOR UPDATE SKIP LOCKED`) matches on the variant.
    #[derive(diesel::MultiConnection)]
    pub enum DbConn {
        /// A PostgreSQL connection (libpq, bundled).
        Postgresql(PgConnection),
        /// A SQLite connection (bundled), with foreign keys, WAL and a busy timeout.
        Sqlite(SqliteConnection),
    }
}

pub use multi::DbConn;
/// The backend type of [`DbConn`] queries.
pub use multi::MultiBackend;

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`
    Postgres,
    /// `sqlite://PATH` or `sqlite:PATH`
    Sqlite,
}

impl Backend {
    /// Reads the backend from a URL scheme; the second value is what the driver gets
    /// (the file path for SQLite, the URL unchanged for PostgreSQL).
    pub fn from_url(url: &str) -> Result<(Backend, String)> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok((Backend::Postgres, url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| DbError::UnsupportedUrl(redact_url(url)))?;
        if path.is_empty() || path == ":memory:" {
            // Every pooled connection would get its own empty in-memory database.
            return Err(DbError::UnsupportedUrl(redact_url(url)));
        }
        Ok((Backend::Sqlite, path.to_owned()))
    }

    /// The lowercase name used in health output and logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Hides a password in a database URL so it can go into logs and error messages.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

pub(crate) fn establish(backend: Backend, target: &str) -> Result<DbConn> {
    match backend {
        Backend::Postgres => Ok(DbConn::Postgresql(PgConnection::establish(target)?)),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(target)?;
            // busy_timeout first, so that everything after it (switching a new file to WAL
            // takes a lock, and the pool opens connections in parallel) waits for a lock instead
            // of failing with "database is locked"; WAL lets readers run beside the single
            // writer; foreign keys are off by default in SQLite.
            conn.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON;",
            )?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

impl DbConn {
    /// Which backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgresql(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Lets the current transaction commit without waiting for its WAL flush (PostgreSQL's
    /// `synchronous_commit = off` for this transaction; nothing on SQLite). Only for transactions
    /// whose loss in a server crash is the same as never having run them, because what follows
    /// is idempotent: a later synchronous commit flushes them anyway. Call inside a transaction.
    pub fn relax_commit(&mut self) -> diesel::QueryResult<()> {
        match self {
            DbConn::Postgresql(pg) => {
                diesel::connection::SimpleConnection::batch_execute(pg, "SET LOCAL synchronous_commit = off")
            }
            DbConn::Sqlite(_) => Ok(()),
        }
    }

    /// Runs `f` in a transaction meant to write.
    ///
    /// On SQLite the transaction starts with `BEGIN IMMEDIATE`, taking the write lock up front so
    /// that `busy_timeout` applies: a deferred transaction that reads and then writes fails at
    /// once with "database is locked" when another writer committed in between. Nested calls
    /// become savepoints, as with [`Connection::transaction`].
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> std::result::Result<T, E>,
        E: From<DieselError>,
    {
        let DbConn::Sqlite(inner) = self else {
            return self.transaction(f);
        };
        let depth = AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()?;
        if depth.is_some() {
            return self.transaction(f);
        }
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
        let result = f(self);
        let DbConn::Sqlite(inner) = self else {
            // The closure cannot swap the variant behind a `&mut`; keep the compiler satisfied.
            return result;
        };
        match result {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(inner)?;
                Ok(value)
            }
            Err(err) => {
                if let Err(rollback) = AnsiTransactionManager::rollback_transaction(inner) {
                    tracing::error!(error = %rollback, "rollback failed");
                }
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_picked_from_the_url_scheme() {
        assert_eq!(Backend::from_url("sqlite://data/x.db").unwrap(), (Backend::Sqlite, "data/x.db".into()));
        assert_eq!(Backend::from_url("sqlite:///abs/x.db").unwrap(), (Backend::Sqlite, "/abs/x.db".into()));
        assert_eq!(Backend::from_url("sqlite:x.db").unwrap(), (Backend::Sqlite, "x.db".into()));
        let pg = "postgres://u@127.0.0.1/db";
        assert_eq!(Backend::from_url(pg).unwrap(), (Backend::Postgres, pg.into()));
        assert!(Backend::from_url("postgresql://h/db").is_ok());
    }

    #[test]
    fn unsupported_urls_are_refused_without_leaking_passwords() {
        let err = Backend::from_url("mysql://root:hunter2@h/db").unwrap_err().to_string();
        assert!(err.contains("mysql://root:***@h/db"), "{err}");
        assert!(!err.contains("hunter2"));
        assert!(Backend::from_url("sqlite://:memory:").is_err());
        assert!(Backend::from_url("sqlite://").is_err());
    }
}
