//! Test databases: a fresh SQLite file per test, or — when `TEST_DATABASE_URL` is set — a fresh
//! PostgreSQL schema per test, dropped when the [`TestDb`] is dropped. Migrations are applied.

#![expect(clippy::expect_used, reason = "test helpers: a test cannot run without its database")]

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::pool::Database;

/// A migrated, private database for one test.
pub struct TestDb {
    database: Database,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[expect(dead_code, reason = "kept alive so the directory outlives the test")] tempfile::TempDir),
    Postgres { admin_url: String, schema: String },
}

impl TestDb {
    /// Creates and migrates a database for one test.
    ///
    /// # Panics
    /// When the database cannot be created: a test cannot run without one.
    pub fn new() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(admin_url),
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let database = Database::connect(&url, 4).expect("open the SQLite test database");
        database.migrate().expect("migrate the SQLite test database");
        TestDb { database, url, cleanup: Cleanup::Sqlite(dir) }
    }

    /// A fresh, migrated schema on the PostgreSQL server at `admin_url`, whatever
    /// `TEST_DATABASE_URL` says (for tests of PostgreSQL-only behaviour).
    ///
    /// # Panics
    /// When the schema cannot be created.
    pub fn on_postgres(admin_url: &str) -> TestDb {
        Self::postgres(admin_url.to_owned())
    }

    fn postgres(admin_url: String) -> TestDb {
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin =
            PgConnection::establish(&admin_url).unwrap_or_else(|e| panic!("connect to TEST_DATABASE_URL: {e}"));
        admin.batch_execute(&format!("CREATE SCHEMA \"{schema}\"")).expect("create the test schema");
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
        let database = Database::connect(&url, 4).expect("open the PostgreSQL test schema");
        database.migrate().expect("migrate the PostgreSQL test schema");
        TestDb { database, url, cleanup: Cleanup::Postgres { admin_url, schema } }
    }

    /// The database handle (pool).
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The URL this database is reachable at, for starting a server process on it.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl TestDb {
    /// Blocks until `feed`'s listener hears notifications (PostgreSQL), so a test does not race
    /// the listener's connection. Returns at once on SQLite, which has no listener.
    ///
    /// # Panics
    /// When nothing is heard within 20 seconds.
    pub fn wait_for_listener(&self, feed: &crate::changes::ChangeFeed) {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        if self.database.backend() != crate::Backend::Postgres {
            return;
        }
        let topic = format!("probe-{}", uuid::Uuid::new_v4().simple());
        let heard = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&heard);
        feed.on(&topic, move || flag.store(true, Ordering::SeqCst));
        let started = std::time::Instant::now();
        let mut conn = self.database.conn().expect("a connection");
        while !heard.load(Ordering::SeqCst) {
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "the change listener never heard");
            crate::changes::ChangeFeed::publish(&mut conn, &topic).expect("publish a probe");
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
}

impl Default for TestDb {
    fn default() -> TestDb {
        TestDb::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, schema } = &self.cleanup {
            // Pooled connections hold no locks once idle; DROP ... CASCADE removes everything.
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
            }
        }
    }
}

/// Where an outside service a test needs is, from the environment variable `variable`
/// (`LETHE_TEST_CUSTOMER_PG`, `LETHE_TEST_MARIADB`, …).
///
/// Set, non-empty and (for a `scheme://host:port/…` URL) accepting connections → `Some(value)`.
/// Unset, or a server that cannot be reached → `None`, after writing one line to the terminal
/// naming the test, what it leaves out (`what`) and why; the line is written past the test
/// harness's output capture so that it is seen on a passing run.
///
/// # Panics
/// When the service is left out and `CI` is set: CI must run everything rather than skip.
pub fn outside_service(variable: &str, what: &str) -> Option<String> {
    use std::io::Write;
    let value = std::env::var(variable).ok().filter(|v| !v.trim().is_empty());
    let why = match &value {
        None => format!("set {variable} to run it"),
        Some(value) => match unreachable(value) {
            None => return Some(value.clone()),
            Some(reason) => format!("{variable} names a server that cannot be reached: {reason}"),
        },
    };
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    assert!(!in_ci(), "{test} needs {what}: CI must provide it ({why})");
    // Past libtest's capture (which only catches the print macros), so a passing run shows it.
    let _ = writeln!(std::io::stderr().lock(), "skipped in {test}: {what} ({why})");
    None
}

/// Why the server a `scheme://host[:port]/…` URL names does not accept connections (one second
/// at most); `None` when it does, or when `value` is not such a URL (a path, a command).
fn unreachable(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    let host = url.host_str()?;
    let port = url.port().or(match url.scheme() {
        "postgres" | "postgresql" => Some(5432),
        "mysql" | "mariadb" => Some(3306),
        _ => None,
    })?;
    let addresses: Vec<std::net::SocketAddr> = match std::net::ToSocketAddrs::to_socket_addrs(&(host, port)) {
        Ok(addresses) => addresses.collect(),
        Err(e) => return Some(format!("{host}:{port}: {e}")),
    };
    let timeout = std::time::Duration::from_secs(1);
    let mut last = format!("{host}:{port}: no address");
    for address in addresses {
        match std::net::TcpStream::connect_timeout(&address, timeout) {
            Ok(_) => return None,
            Err(e) => last = format!("{host}:{port}: {e}"),
        }
    }
    Some(last)
}

/// A PostgreSQL server for a test of PostgreSQL-only behaviour (`what` says which): Lethe's
/// own store's when `TEST_DATABASE_URL` is set, else the customer stores' (`LETHE_TEST_CUSTOMER_PG`,
/// as [`outside_service`]: `None` after one line saying what is left out, a failure in CI).
pub fn postgres_server(what: &str) -> Option<String> {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => outside_service("LETHE_TEST_CUSTOMER_PG", what),
    }
}

/// Whether the tests run in CI (`CI` set to anything but empty, `0` or `false`), where nothing
/// may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}
