//! The customer database of Fides' sample project (tests/fixtures/shop.sql, turned into MySQL's
//! dialect for MariaDB), created for real on PostgreSQL or MariaDB (a fresh database on the test
//! server, dropped afterwards) or as a SQLite file, and registered with a Lethe app as a
//! connection with the fixture dataset.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use serde_json::{Value, json};

use crate::{bearer, send};

/// The fixture's SQL.
pub const SHOP_SQL: &str = include_str!("../fixtures/shop.sql");
/// `sql` (the fixture's dialect) in MySQL/MariaDB's: tables InnoDB (so masking is transactional)
/// and utf8mb4, DATETIME for TIMESTAMP (a MariaDB TIMESTAMP column updates itself on every UPDATE).
pub fn mysql_dialect(sql: &str) -> String {
    sql.lines()
        .map(|line| {
            let line = line.replace(" TIMESTAMP", " DATETIME");
            match line.strip_suffix(");") {
                Some(table) if line.starts_with("CREATE TABLE") => {
                    format!("{table}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;")
                }
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
/// The fixture's dataset (Fides YAML), keyed `postgres_example_test_dataset`.
pub const SHOP_DATASET_YAML: &str = include_str!("../fixtures/shop_dataset.yml");
/// The dataset key in the YAML.
pub const SHOP_DATASET_KEY: &str = "postgres_example_test_dataset";

/// The variable saying where the PostgreSQL server for customer databases is (a URL of its
/// maintenance database, `postgres://postgres@127.0.0.1:5432/postgres`).
pub const CUSTOMER_PG: &str = "LETHE_TEST_CUSTOMER_PG";

/// The PostgreSQL server customer databases are created on, when [`CUSTOMER_PG`] names one;
/// otherwise `None`, with one line saying what the test leaves out.
pub fn postgres_server() -> Option<String> {
    db::testing::outside_service(CUSTOMER_PG, "customer stores on PostgreSQL")
}

/// The variable saying where the MariaDB (or MySQL) server for customer databases is (a URL,
/// `mysql://root@127.0.0.1:3306/test`).
pub const CUSTOMER_MARIADB: &str = "LETHE_TEST_MARIADB";

/// The MariaDB server customer databases are created on, when [`CUSTOMER_MARIADB`] names one;
/// otherwise `None`, with one line saying what the test leaves out.
pub fn mariadb_server() -> Option<String> {
    db::testing::outside_service(CUSTOMER_MARIADB, "customer stores on MariaDB")
}

fn mariadb_server_url() -> String {
    std::env::var(CUSTOMER_MARIADB)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .expect("LETHE_TEST_MARIADB is set (ask shop::kinds() or shop::mariadb_server() first)")
}

fn mariadb(database: Option<&str>) -> mysql::Conn {
    let opts = mysql::Opts::from_url(&mariadb_server_url()).expect("LETHE_TEST_MARIADB is a mysql:// URL");
    let opts = mysql::OptsBuilder::from_opts(opts).db_name(database).prefer_socket(false);
    mysql::Conn::new(opts).expect("reach the MariaDB server")
}

fn postgres_server_url() -> String {
    std::env::var(CUSTOMER_PG)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .expect("LETHE_TEST_CUSTOMER_PG is set (ask shop::kinds() or shop::postgres_server() first)")
}

/// The kinds of customer database this run reaches: SQLite always, PostgreSQL when
/// [`CUSTOMER_PG`] and MariaDB when [`CUSTOMER_MARIADB`] say where their servers are.
pub fn kinds() -> Vec<Kind> {
    let mut kinds = Vec::new();
    if postgres_server().is_some() {
        kinds.push(Kind::Postgres);
    }
    if mariadb_server().is_some() {
        kinds.push(Kind::Mariadb);
    }
    kinds.push(Kind::Sqlite);
    kinds
}

/// Which kind of customer database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A database on the PostgreSQL test server.
    Postgres,
    /// A database on the MariaDB test server.
    Mariadb,
    /// A SQLite file.
    Sqlite,
}

/// A customer database filled with the fixture; removed on drop.
pub struct CustomerDb {
    /// Its kind.
    pub kind: Kind,
    /// PostgreSQL database name or SQLite file path.
    pub name: String,
    _dir: Option<tempfile::TempDir>,
}

impl CustomerDb {
    /// Creates and fills a database of `kind`.
    pub fn create(kind: Kind) -> CustomerDb {
        if kind == Kind::Mariadb {
            Self::create_with(kind, &mysql_dialect(SHOP_SQL))
        } else {
            Self::create_with(kind, SHOP_SQL)
        }
    }

    /// Creates a database of `kind` and runs `sql` in it.
    pub fn create_with(kind: Kind, sql: &str) -> CustomerDb {
        match kind {
            Kind::Postgres => {
                let name = format!("lethe_shop_{}", crypto::random_hex(6));
                let mut admin = PgConnection::establish(&postgres_server_url()).expect("reach the PostgreSQL server");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create the customer database");
                let mut conn = PgConnection::establish(&Self::pg_url(&name)).expect("open the customer database");
                conn.batch_execute(sql).expect("load the fixture");
                CustomerDb { kind, name, _dir: None }
            }
            Kind::Mariadb => {
                let name = format!("lethe_shop_{}", crypto::random_hex(6));
                mysql::prelude::Queryable::query_drop(&mut mariadb(None), format!("CREATE DATABASE {name}"))
                    .expect("create the customer database");
                let db = CustomerDb { kind, name, _dir: None };
                db.execute(sql);
                db
            }
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path = dir.path().join("shop.db").display().to_string();
                let mut conn = SqliteConnection::establish(&path).expect("create the SQLite file");
                conn.batch_execute(sql).expect("load the fixture");
                CustomerDb { kind, name: path, _dir: Some(dir) }
            }
        }
    }

    fn pg_url(name: &str) -> String {
        let server = postgres_server_url();
        let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
        format!("{base}/{name}")
    }

    /// Runs SQL in the customer database (to change data, or break it).
    pub fn execute(&self, sql: &str) {
        let outcome = match self.kind {
            Kind::Postgres => PgConnection::establish(&Self::pg_url(&self.name))
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
            Kind::Mariadb => {
                let mut conn = mariadb(Some(&self.name));
                // Statement by statement (the fixtures end theirs at line ends), so an error names its statement.
                let sql: String =
                    sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
                sql.split(";\n").map(|s| s.trim().trim_end_matches(';')).filter(|s| !s.is_empty()).try_for_each(
                    |statement| {
                        mysql::prelude::Queryable::query_drop(&mut conn, statement)
                            .map_err(|e| format!("{e}: {statement}"))
                    },
                )
            }
            Kind::Sqlite => SqliteConnection::establish(&self.name)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
        };
        if let Err(e) = outcome {
            panic!("run SQL in the customer database: {e}");
        }
    }

    /// The first column of the first row of `sql` as text (NULL → `None`); cast non-text
    /// columns with `CAST(x AS TEXT)` (written as `CAST(x AS CHAR)` on MariaDB).
    pub fn text(&self, sql: &str) -> Option<String> {
        #[derive(diesel::QueryableByName)]
        struct One {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            v: Option<String>,
        }
        let query = diesel::sql_query(format!("SELECT ({sql}) AS v"));
        match self.kind {
            Kind::Postgres => {
                let mut conn = PgConnection::establish(&Self::pg_url(&self.name)).expect("open the customer database");
                diesel::RunQueryDsl::get_result::<One>(query, &mut conn).expect("query the customer database").v
            }
            Kind::Mariadb => {
                let sql = format!("SELECT ({}) AS v", sql.replace(" AS TEXT)", " AS CHAR)"));
                let row: Option<Option<String>> =
                    mysql::prelude::Queryable::query_first(&mut mariadb(Some(&self.name)), &sql)
                        .unwrap_or_else(|e| panic!("query the customer database: {e}: {sql}"));
                row.flatten()
            }
            Kind::Sqlite => {
                let mut conn = self.sqlite();
                diesel::RunQueryDsl::get_result::<One>(query, &mut conn).expect("query the customer database").v
            }
        }
    }

    /// A connection to the SQLite file that waits for Lethe's writes instead of failing.
    fn sqlite(&self) -> SqliteConnection {
        let mut conn = SqliteConnection::establish(&self.name).expect("open the customer database");
        conn.batch_execute("PRAGMA busy_timeout = 10000").expect("set the busy timeout");
        conn
    }

    /// Every value of the one text column `v` that `sql` selects (`SELECT … AS v FROM …`).
    pub fn texts(&self, sql: &str) -> Vec<Option<String>> {
        #[derive(diesel::QueryableByName)]
        struct One {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            v: Option<String>,
        }
        let query = diesel::sql_query(sql);
        let rows: Vec<One> = match self.kind {
            Kind::Postgres => {
                let mut conn = PgConnection::establish(&Self::pg_url(&self.name)).expect("open the customer database");
                diesel::RunQueryDsl::load(query, &mut conn).expect("query the customer database")
            }
            Kind::Mariadb => {
                return mysql::prelude::Queryable::query(&mut mariadb(Some(&self.name)), sql)
                    .unwrap_or_else(|e| panic!("query the customer database: {e}: {sql}"));
            }
            Kind::Sqlite => {
                let mut conn = self.sqlite();
                diesel::RunQueryDsl::load(query, &mut conn).expect("query the customer database")
            }
        };
        rows.into_iter().map(|r| r.v).collect()
    }

    /// The connection type Lethe knows it by.
    pub fn connection_type(&self) -> &'static str {
        match self.kind {
            Kind::Postgres => "postgres",
            Kind::Mariadb => "mariadb",
            Kind::Sqlite => "sqlite",
        }
    }

    /// Connection secrets reaching this database.
    pub fn secrets(&self) -> Value {
        match self.kind {
            Kind::Postgres => {
                let (host, port, username, password) = url_parts(&postgres_server_url());
                let mut secrets = json!({"host": host, "port": port, "dbname": self.name, "username": username});
                if let Some(password) = password {
                    secrets["password"] = json!(password);
                }
                secrets
            }
            Kind::Mariadb => {
                let opts = mysql::Opts::from_url(&mariadb_server_url()).expect("a mysql:// URL");
                let mut secrets = json!({
                    "host": opts.get_ip_or_hostname(),
                    "port": opts.get_tcp_port(),
                    "dbname": self.name,
                    "username": opts.get_user().unwrap_or("root"),
                });
                if let Some(password) = opts.get_pass() {
                    secrets["password"] = json!(password);
                }
                secrets
            }
            Kind::Sqlite => json!({"path": self.name}),
        }
    }
}

/// A lock held on a customer database until released: every table (PostgreSQL, `ACCESS
/// EXCLUSIVE`) or the whole file (SQLite, `BEGIN EXCLUSIVE`), so the next query Lethe sends
/// there waits.
pub enum HeldLock {
    /// An open PostgreSQL transaction.
    Postgres(PgConnection),
    /// A MariaDB session holding `LOCK TABLES … WRITE`.
    Mariadb(mysql::Conn),
    /// An open SQLite transaction.
    Sqlite(SqliteConnection),
}

impl HeldLock {
    /// Commits, letting waiting queries go on.
    pub fn release(self) {
        match self {
            HeldLock::Postgres(mut c) => c.batch_execute("COMMIT").expect("release the lock"),
            HeldLock::Mariadb(mut c) => {
                mysql::prelude::Queryable::query_drop(&mut c, "UNLOCK TABLES").expect("release the lock");
            }
            HeldLock::Sqlite(mut c) => c.batch_execute("COMMIT").expect("release the lock"),
        }
    }
}

impl CustomerDb {
    /// Takes a lock that makes Lethe's next query here wait until [`HeldLock::release`].
    pub fn hold_lock(&self) -> HeldLock {
        match self.kind {
            Kind::Postgres => {
                let mut conn = PgConnection::establish(&Self::pg_url(&self.name)).expect("open the customer database");
                #[derive(diesel::QueryableByName)]
                struct Table {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    tablename: String,
                }
                let tables: Vec<Table> = diesel::RunQueryDsl::load(
                    diesel::sql_query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"),
                    &mut conn,
                )
                .expect("list the tables");
                let names: Vec<String> = tables.into_iter().map(|t| format!("\"{}\"", t.tablename)).collect();
                conn.batch_execute(&format!("BEGIN; LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", names.join(", ")))
                    .expect("lock the tables");
                HeldLock::Postgres(conn)
            }
            Kind::Mariadb => {
                let mut conn = mariadb(Some(&self.name));
                let tables: Vec<String> =
                    mysql::prelude::Queryable::query(&mut conn, "SHOW TABLES").expect("list the tables");
                let locks: Vec<String> = tables.iter().map(|t| format!("`{t}` WRITE")).collect();
                mysql::prelude::Queryable::query_drop(&mut conn, format!("LOCK TABLES {}", locks.join(", ")))
                    .expect("lock the tables");
                HeldLock::Mariadb(conn)
            }
            Kind::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.name).expect("open the SQLite file");
                conn.batch_execute("BEGIN EXCLUSIVE").expect("lock the file");
                HeldLock::Sqlite(conn)
            }
        }
    }

    /// Connections open to this database now: PostgreSQL backends (as the server counts them),
    /// or this process's file descriptors of the SQLite file (Linux).
    pub fn open_connections(&self) -> usize {
        match self.kind {
            Kind::Postgres => {
                #[derive(diesel::QueryableByName)]
                struct Count {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let mut admin = PgConnection::establish(&postgres_server_url()).expect("reach the PostgreSQL server");
                let count: Count = diesel::RunQueryDsl::get_result(
                    diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1")
                        .bind::<diesel::sql_types::Text, _>(&self.name),
                    &mut admin,
                )
                .expect("count the backends");
                usize::try_from(count.n).unwrap_or_default()
            }
            Kind::Mariadb => {
                // Less this helper's own session.
                let count: Option<usize> = mysql::prelude::Queryable::exec_first(
                    &mut mariadb(None),
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
                    (&self.name,),
                )
                .expect("count the sessions");
                count.unwrap_or_default()
            }
            Kind::Sqlite => {
                let target = std::fs::canonicalize(&self.name).expect("the SQLite file");
                std::fs::read_dir("/proc/self/fd")
                    .expect("/proc/self/fd")
                    .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
                    .filter(|link| *link == target)
                    .count()
            }
        }
    }

    /// Secrets that reach no database: PostgreSQL on port 1, a SQLite file in a missing directory.
    pub fn unreachable_secrets(&self) -> Value {
        match self.kind {
            Kind::Postgres => {
                let mut secrets = self.secrets();
                secrets["port"] = json!(1);
                secrets
            }
            Kind::Mariadb => {
                let mut secrets = self.secrets();
                secrets["port"] = json!(1);
                secrets
            }
            Kind::Sqlite => json!({"path": format!("{}.missing/shop.db", self.name)}),
        }
    }

    /// What the driver says for [`Self::unreachable_secrets`].
    pub fn unreachable_reason(&self) -> &'static str {
        match self.kind {
            Kind::Postgres | Kind::Mariadb => "Connection refused",
            Kind::Sqlite => "no SQLite database file at",
        }
    }
}

/// (host, port, user, password) of a `postgres://user[:password]@host[:port]/db` URL.
fn url_parts(url: &str) -> (String, u16, String, Option<String>) {
    let rest = url.trim_start_matches("postgres://").trim_start_matches("postgresql://");
    let (auth, rest) = rest.split_once('@').unwrap_or(("postgres", rest));
    let (user, password) = auth.split_once(':').map_or((auth, None), |(u, p)| (u, Some(p.to_owned())));
    let hostport = rest.split(['/', '?']).next().unwrap_or("127.0.0.1:5432");
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    (host.to_owned(), port.parse().unwrap_or(5432), user.to_owned(), password)
}

impl Drop for CustomerDb {
    fn drop(&mut self) {
        if self.kind == Kind::Mariadb {
            let opts = mysql::Opts::from_url(&mariadb_server_url()).ok();
            if let Some(mut admin) =
                opts.and_then(|o| mysql::Conn::new(mysql::OptsBuilder::from_opts(o).prefer_socket(false)).ok())
            {
                let _ =
                    mysql::prelude::Queryable::query_drop(&mut admin, format!("DROP DATABASE IF EXISTS {}", self.name));
            }
        }
        if self.kind == Kind::Postgres
            && let Ok(mut admin) = PgConnection::establish(&postgres_server_url())
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The masking secrets Lethe generated for request `id`, read from its database and opened with
/// the application key: what lets a test compute the exact masked values.
pub fn masking_secrets(app: &crate::TestApp, id: &str) -> Value {
    use db::schema::privacy_requests;
    use diesel::{QueryDsl, RunQueryDsl};
    let mut conn = app.db.database().conn().expect("the app's database");
    let sealed: Option<Vec<u8>> = privacy_requests::table
        .find(id)
        .select(privacy_requests::masking_secrets)
        .first(&mut **conn)
        .expect("the request's row");
    let key = crypto::AppKey::from_text(crate::APP_KEY).expect("the test key");
    let plain = crypto::open(&key, &sealed.expect("masking secrets")).expect("sealed with the app key");
    serde_json::from_slice(&plain).expect("masking secrets are JSON")
}

/// The secrets of connection `key` as stored (opened with the application key): what shows a
/// test the tokens Lethe keeps, which responses never show.
pub fn stored_secrets(app: &crate::TestApp, key: &str) -> Value {
    use db::schema::connections;
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    let mut conn = app.db.database().conn().expect("the app's database");
    let sealed: Option<Vec<u8>> = connections::table
        .filter(connections::key.eq(key))
        .select(connections::secrets)
        .first(&mut **conn)
        .expect("the connection's row");
    let app_key = crypto::AppKey::from_text(crate::APP_KEY).expect("the test key");
    let plain = crypto::open(&app_key, &sealed.expect("secrets")).expect("sealed with the app key");
    serde_json::from_slice(&plain).expect("secrets are JSON")
}

/// Creates the `saas` connection `key` (read access) from a `saas_config` file of one's own
/// (YAML) and its `dataset` (a list of one); secrets are set separately.
pub async fn own_saas_connection<S, B>(service: &S, token: &str, key: &str, yaml: &str, dataset: Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let created = send(
        service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(token)).set_json(serde_json::json!([
            {"key": key, "name": key, "connection_type": "saas", "access": "read"}
        ])),
    )
    .await;
    assert_eq!(created.body["succeeded"].as_array().map(Vec::len), Some(1), "{:?}", created.body);
    let config = send(
        service,
        TestRequest::patch()
            .uri(&format!("/api/v1/connection/{key}/saas_config"))
            .insert_header(bearer(token))
            .insert_header(("Content-Type", "application/yaml"))
            .set_payload(yaml.to_owned()),
    )
    .await;
    assert_eq!(config.status, actix_web::http::StatusCode::OK, "{:?}", config.body);
    let uploaded = send(
        service,
        TestRequest::patch()
            .uri(&format!("/api/v1/connection/{key}/dataset"))
            .insert_header(bearer(token))
            .set_json(dataset),
    )
    .await;
    assert_eq!(uploaded.body["succeeded"].as_array().map(Vec::len), Some(1), "{:?}", uploaded.body);
}

/// Registers `db` with the app as connection `key` holding the fixture dataset as `dataset_key`.
pub async fn register<S, B>(service: &S, token: &str, db: &CustomerDb, key: &str, dataset_key: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let yaml = SHOP_DATASET_YAML.replace(SHOP_DATASET_KEY, dataset_key);
    register_with(service, token, db, key, "write", &yaml).await;
}

/// Registers `db` as connection `key` with `access` (`read` or `write`) and a dataset YAML.
pub async fn register_with<S, B>(service: &S, token: &str, db: &CustomerDb, key: &str, access: &str, yaml: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let created = send(
        service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(token)).set_json(json!([
            {"key": key, "name": key, "connection_type": db.connection_type(), "access": access}
        ])),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    let secrets = send(
        service,
        TestRequest::put()
            .uri(&format!("/api/v1/connection/{key}/secret?verify=true"))
            .insert_header(bearer(token))
            .set_json(db.secrets()),
    )
    .await;
    assert_eq!(secrets.body["test_status"], "succeeded", "{:?}", secrets.body);
    let uploaded = send(
        service,
        TestRequest::patch()
            .uri(&format!("/api/v1/yml/connection/{key}/dataset"))
            .insert_header(bearer(token))
            .insert_header(("Content-Type", "application/x-yaml"))
            .set_payload(yaml.to_owned()),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{:?}", uploaded.body);
    assert_eq!(uploaded.body["failed"], json!([]), "{:?}", uploaded.body);
}

/// Creates one request through the authenticated route and returns its id.
pub async fn create_request<S, B>(service: &S, token: &str, item: Value) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let created = send(
        service,
        TestRequest::post()
            .uri("/api/v1/privacy-request/authenticated")
            .insert_header(bearer(token))
            .set_json(json!([item])),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    assert_eq!(created.body["failed"], json!([]), "{:?}", created.body);
    created.body["succeeded"][0]["id"].as_str().expect("an id").to_owned()
}

/// Retries a failed request (`POST /privacy-request/{id}/retry`), which must be accepted.
pub async fn retry_request<S, B>(service: &S, token: &str, id: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let retried = send(
        service,
        TestRequest::post().uri(&format!("/api/v1/privacy-request/{id}/retry")).insert_header(bearer(token)),
    )
    .await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
}

/// Polls a request until it is complete or failed (at most 20 s) and returns it.
pub async fn wait_done<S, B>(service: &S, token: &str, id: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    wait_status(service, token, id, &["complete", "error"]).await
}

/// Polls a request until its status is one of `statuses` (at most 20 s) and returns it.
pub async fn wait_status<S, B>(service: &S, token: &str, id: &str, statuses: &[&str]) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    wait_status_for(service, token, id, statuses, 20).await
}

/// Polls a request until its status is one of `statuses` (at most `seconds`) and returns it.
pub async fn wait_status_for<S, B>(service: &S, token: &str, id: &str, statuses: &[&str], seconds: u64) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    for _ in 0..seconds * 20 {
        let got = send(
            service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}?verbose=true")).insert_header(bearer(token)),
        )
        .await;
        let status = got.body["status"].as_str().unwrap_or_default().to_owned();
        if statuses.contains(&status.as_str()) {
            return got.body;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("privacy request {id} did not reach {statuses:?} in {seconds} s");
}

/// Downloads every access package of a complete request: (content type, bytes) per link.
pub async fn download_packages<S, B>(service: &S, token: &str, id: &str) -> Vec<(String, Vec<u8>)>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let links = send(
        service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/access-results")).insert_header(bearer(token)),
    )
    .await;
    assert_eq!(links.status, StatusCode::OK, "{:?}", links.body);
    let mut out = Vec::new();
    for url in links.body["access_result_urls"].as_array().expect("urls") {
        let url = url.as_str().expect("a url");
        let path = &url[url.find("/api/").expect("an API path")..];
        let response = actix_web::test::call_service(service, TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let bytes = actix_web::test::read_body(response).await.to_vec();
        out.push((content_type, bytes));
    }
    out
}

/// Creates a policy `key` with one rule per item of `rules` (`{key, action_type,
/// masking_strategy?, targets: [categories]}`).
pub async fn create_policy<S, B>(service: &S, token: &str, key: &str, rules: Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let created = send(
        service,
        TestRequest::patch()
            .uri("/api/v1/dsr/policy")
            .insert_header(bearer(token))
            .set_json(json!([{"name": key, "key": key}])),
    )
    .await;
    assert_eq!(created.body["failed"], json!([]), "{:?}", created.body);
    for rule in rules.as_array().expect("a list of rules") {
        let rule_key = rule["key"].as_str().expect("a rule key");
        let mut body = json!({"name": rule_key, "key": rule_key, "action_type": rule["action_type"]});
        if !rule["masking_strategy"].is_null() {
            body["masking_strategy"] = rule["masking_strategy"].clone();
        }
        let saved = send(
            service,
            TestRequest::patch()
                .uri(&format!("/api/v1/dsr/policy/{key}/rule"))
                .insert_header(bearer(token))
                .set_json(json!([body])),
        )
        .await;
        assert_eq!(saved.body["failed"], json!([]), "{:?}", saved.body);
        let targets: Vec<Value> =
            rule["targets"].as_array().expect("targets").iter().map(|c| json!({"data_category": c})).collect();
        let saved = send(
            service,
            TestRequest::patch()
                .uri(&format!("/api/v1/dsr/policy/{key}/rule/{rule_key}/target"))
                .insert_header(bearer(token))
                .set_json(Value::Array(targets)),
        )
        .await;
        assert_eq!(saved.body["failed"], json!([]), "{:?}", saved.body);
    }
}

/// The messages of a request's execution log, oldest first.
pub async fn log_messages<S, B>(service: &S, token: &str, id: &str) -> Vec<String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let logs = send(
        service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/log?size=100")).insert_header(bearer(token)),
    )
    .await;
    logs.body["items"]
        .as_array()
        .expect("log items")
        .iter()
        .filter_map(|l| l["message"].as_str().map(str::to_owned))
        .collect()
}
