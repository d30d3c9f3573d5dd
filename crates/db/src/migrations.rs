//! Embedded migrations, one tree per backend with identical directory names.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::conn::DbConn;
use crate::error::{DbError, Result};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Serialises migrations of several gateway processes starting at once on one PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x6c65_7468_655f_6d69; // "lethe_mi"

pub(crate) fn run(conn: &mut DbConn) -> Result<Vec<String>> {
    let applied = match conn {
        DbConn::Postgresql(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(pg)?;
            let result = pg
                .run_pending_migrations(POSTGRES)
                .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(pg)?;
            result
        }
        DbConn::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE)
            .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>()),
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}
