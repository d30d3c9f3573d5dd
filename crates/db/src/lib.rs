#![doc = include_str!("../README.md")]

pub mod changes;
mod conn;
mod error;
pub mod jobs;
mod migrations;
pub mod schema;
#[cfg(feature = "test-util")]
pub mod testing;
mod time;

pub use conn::{Backend, Database, DbConn, DbPool, MultiBackend, PooledConn};
pub use error::{DbError, Result};
pub use time::{now, to_rfc3339, utc};
