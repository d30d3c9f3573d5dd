//! The connection pool and the database handle: connect (failing with the driver's own
//! message), migrate, check out, ping.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::R2D2Connection;

use crate::conn::{Backend, DbConn, establish};
use crate::error::{DbError, Result};

/// A connection validated on check-out only when it has been idle in the pool longer than this
/// (as HikariCP's alive-bypass window): one that was just given back is trusted, which saves a
/// round trip per check-out under load. A connection that died within the window fails its next
/// statement, which marks it broken, and the pool then drops it instead of taking it back.
const TRUSTED_IDLE: Duration = Duration::from_millis(500);

/// Opens connections of the backend the URL names (never by trial and error, which would hide
/// the driver's real error behind "invalid connection url").
#[derive(Debug)]
pub struct ConnectionManager {
    backend: Backend,
    target: String,
}

/// A pooled connection and when it was last given back; derefs to [`DbConn`].
pub struct PoolConn {
    conn: DbConn,
    given_back: Option<Instant>,
}

impl Deref for PoolConn {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = PoolConn;
    type Error = DbError;

    fn connect(&self) -> Result<PoolConn> {
        Ok(PoolConn { conn: establish(self.backend, &self.target)?, given_back: None })
    }

    fn is_valid(&self, conn: &mut PoolConn) -> Result<()> {
        match conn.given_back {
            Some(at) if at.elapsed() < TRUSTED_IDLE => Ok(()),
            _ => conn.conn.ping().map_err(DbError::from),
        }
    }

    /// Called as the connection is given back: stamps the time (and drops a broken one).
    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        conn.given_back = Some(Instant::now());
        conn.conn.is_broken()
    }
}

/// The connection pool.
pub type DbPool = r2d2::Pool<ConnectionManager>;
/// A connection checked out of the pool; derefs to [`PoolConn`], and so to [`DbConn`].
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// A handle on the database: the pool plus what backend it serves. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Database {
    pool: DbPool,
    backend: Backend,
}

impl Database {
    /// Connects to `url` with a pool of at most `pool_size` connections.
    ///
    /// One connection is opened directly first, so an unreachable database fails here with the
    /// driver's own message instead of a pool time-out. A SQLite file's directory is created.
    /// Migrations are not applied: call [`Database::migrate`].
    pub fn connect(url: &str, pool_size: u32) -> Result<Database> {
        let (backend, target) = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            create_parent_dir(&target)?;
        }
        // r2d2 would retry a failing connect until its time-out and report only that.
        drop(establish(backend, &target)?);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .build_unchecked(ConnectionManager { backend, target });
        Ok(Database { pool, backend })
    }

    /// Applies pending migrations and returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        crate::migrations::run(&mut conn)
    }

    /// Checks a connection out of the pool.
    pub fn conn(&self) -> Result<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// The backend this database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Round-trips a trivial query: is the database answering?
    pub fn ping(&self) -> Result<()> {
        let mut conn = self.conn()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// The pool, for callers that manage connections themselves.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }
}

fn create_parent_dir(path: &str) -> Result<()> {
    // URI filenames (`file:...`) are left to SQLite.
    if path.starts_with("file:") {
        return Ok(());
    }
    if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            DbError::Connect(diesel::ConnectionError::BadConnection(format!(
                "cannot create directory {}: {e}",
                parent.display()
            )))
        })?;
    }
    Ok(())
}
