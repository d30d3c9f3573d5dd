#![doc = include_str!("../README.md")]

// So that `text_enum!` names this crate the same way inside it and outside.
extern crate self as db;

pub mod changes;
mod conn;
mod error;
pub mod id;
pub mod jobs;
mod migrations;
pub mod page;
mod pool;
pub mod schema;
#[cfg(feature = "test-util")]
pub mod testing;
mod text;
mod time;

pub use conn::{Backend, DbConn, MultiBackend};
pub use error::{DbError, Result};
pub use page::{Page, Window};
pub use pool::{ConnectionManager, Database, DbPool, PoolConn, PooledConn};
pub use text::{TextEnum, stored_json};
pub use time::{now, to_rfc3339, utc};

/// What [`text_enum!`] expands to refers to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use diesel;
    pub use serde;
    pub use utoipa;
}
