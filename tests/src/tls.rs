//! Real TLS servers for tests: a CA generated per test (rcgen), and PostgreSQL and MariaDB
//! instances started from the machine's server binaries in temporary directories, with a
//! certificate from that CA. `LETHE_TEST_PG_BIN` names PostgreSQL's binaries
//! (`/usr/lib/postgresql/15/bin`), `LETHE_TEST_MARIADB_BIN` MariaDB's (`/usr/sbin`, holding
//! `mariadbd`, with `mariadb-install-db` on the PATH or beside it).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// The variable naming PostgreSQL's server binaries.
pub const PG_BIN: &str = "LETHE_TEST_PG_BIN";
/// The variable naming MariaDB's server binaries.
pub const MARIADB_BIN: &str = "LETHE_TEST_MARIADB_BIN";

/// A certificate authority made for one test.
pub struct TestCa {
    /// The CA certificate, PEM.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate and its key, PEM.
pub struct ServerCert {
    /// Certificate.
    pub cert: String,
    /// Private key.
    pub key: String,
}

impl TestCa {
    /// A new CA.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("a CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let pem = params.self_signed(&key).expect("the CA certificate").pem();
        TestCa { pem, issuer: Issuer::new(params, key) }
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn server(&self, names: &[&str]) -> ServerCert {
        let key = KeyPair::generate().expect("a server key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).expect("parameters");
        params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("server"));
        let cert = params.signed_by(&key, &self.issuer).expect("the server certificate").pem();
        ServerCert { cert, key: key.serialize_pem() }
    }
}

/// The server binaries directory `variable` names, or `None` with one line saying what the
/// test leaves out.
pub fn server_binaries(variable: &str, what: &str) -> Option<PathBuf> {
    db::testing::outside_service(variable, what).map(PathBuf::from)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// The uid and gid of `user` from /etc/passwd.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user)).then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))?
    })
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write a key file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("make it private");
}

fn wait_for_port(port: u16, child: &mut Child, log: &Path) {
    wait_until(&format!("listen on {port}"), child, log, || std::net::TcpStream::connect(("127.0.0.1", port)).ok());
}

/// Retries `ready` every 50 ms for up to 30 s, failing at once if the server exits meanwhile.
fn wait_until<T>(what: &str, child: &mut Child, log: &Path, mut ready: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(done) = ready() {
            return done;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited ({status}): {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not {what} in 30 s: {}", std::fs::read_to_string(log).unwrap_or_default());
}

/// Whether and how a server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// No TLS at all.
    Off,
    /// TLS offered; plaintext allowed.
    Offered,
    /// Only TLS connections are accepted.
    Only,
}

/// A PostgreSQL server in a temporary directory, stopped and removed on drop. User `postgres`,
/// no password (trust), database `postgres`.
pub struct TestPostgres {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TestPostgres {
    /// Starts a server from the binaries in `bin` with `cert` (from a [`TestCa`]) and `tls`.
    pub fn start(bin: &Path, cert: &ServerCert, tls: Tls) -> TestPostgres {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        // PostgreSQL refuses to run as root: as root, run it as the `postgres` user.
        let owner = running_as_root().then(|| user_ids("postgres").expect("a postgres user to run the server as"));
        let command = |program: &str| {
            let mut command = Command::new(bin.join(program));
            if let Some((uid, gid)) = owner {
                std::os::unix::process::CommandExt::uid(&mut command, uid);
                std::os::unix::process::CommandExt::gid(&mut command, gid);
            }
            command
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("hand the directory to postgres");
        }
        let status = command("initdb")
            .args(["-D", &data.display().to_string(), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed");
        let port = free_port();
        write_private(&data.join("server.key"), &cert.key);
        std::fs::write(data.join("server.crt"), &cert.cert).expect("write the certificate");
        let ssl = if tls == Tls::Off { "off" } else { "on" };
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\nssl = {ssl}\n\
             ssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nfsync = off\n",
            dir.path().display()
        );
        let mut config = std::fs::read_to_string(data.join("postgresql.conf")).unwrap_or_default();
        config.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), config).expect("configure");
        let host = if tls == Tls::Only { "hostssl" } else { "host" };
        std::fs::write(data.join("pg_hba.conf"), format!("local all all trust\n{host} all all 127.0.0.1/32 trust\n"))
            .expect("configure access");
        if let Some((uid, gid)) = owner {
            for file in ["server.key", "server.crt", "postgresql.conf", "pg_hba.conf"] {
                std::os::unix::fs::chown(data.join(file), Some(uid), Some(gid)).expect("hand the file to postgres");
            }
        }
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).expect("a log file");
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&log, Some(uid), Some(gid)).expect("hand the log to postgres");
        }
        let mut child = command("postgres")
            .args(["-D", &data.display().to_string()])
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start postgres");
        // Listening comes a moment before accepting logins: wait until pg_isready says it accepts.
        let host = dir.path().display().to_string();
        wait_until("accept connections", &mut child, &log, || {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", &host, "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            ready.then_some(())
        });
        TestPostgres { port, child, _dir: dir }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// A MariaDB server in a temporary directory, stopped and removed on drop, with user `lethe`
/// (password `lethe-pw`) allowed from 127.0.0.1.
pub struct TestMariadb {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

/// The password of the `lethe` user of a [`TestMariadb`].
pub const MARIADB_PASSWORD: &str = "lethe-pw";

impl TestMariadb {
    /// Starts a server from the binaries in `bin` with `cert` (from a [`TestCa`]) and `tls`.
    pub fn start(bin: &Path, ca: &TestCa, cert: &ServerCert, tls: Tls) -> TestMariadb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let install = ["mariadb-install-db", "mysql_install_db"]
            .iter()
            .flat_map(|name| [bin.join(name), PathBuf::from("/usr/bin").join(name)])
            .find(|p| p.is_file())
            .expect("mariadb-install-db beside mariadbd or in /usr/bin");
        let status = Command::new(install)
            .args([
                "--no-defaults",
                &format!("--datadir={}", data.display()),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--user=root",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run mariadb-install-db");
        assert!(status.success(), "mariadb-install-db failed");
        std::fs::write(dir.path().join("ca.pem"), &ca.pem).expect("write the CA");
        std::fs::write(dir.path().join("server.pem"), &cert.cert).expect("write the certificate");
        write_private(&dir.path().join("server-key.pem"), &cert.key);
        let port = free_port();
        let socket = dir.path().join("mariadb.sock");
        let log = dir.path().join("server.log");
        let mut args = vec![
            "--no-defaults".to_owned(),
            format!("--datadir={}", data.display()),
            format!("--port={port}"),
            "--bind-address=127.0.0.1".to_owned(),
            format!("--socket={}", socket.display()),
            format!("--pid-file={}", dir.path().join("mariadb.pid").display()),
            format!("--log-error={}", log.display()),
            "--user=root".to_owned(),
            "--skip-name-resolve".to_owned(),
            "--innodb-buffer-pool-size=16M".to_owned(),
        ];
        if tls != Tls::Off {
            args.push(format!("--ssl-ca={}", dir.path().join("ca.pem").display()));
            args.push(format!("--ssl-cert={}", dir.path().join("server.pem").display()));
            args.push(format!("--ssl-key={}", dir.path().join("server-key.pem").display()));
        }
        if tls == Tls::Only {
            args.push("--require-secure-transport=ON".to_owned());
        }
        let mut child = Command::new(bin.join("mariadbd"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mariadbd");
        wait_for_port(port, &mut child, &log);
        // The `lethe` user, over the local socket (which counts as secure transport). mariadbd
        // listens on TCP a moment before it creates the socket, so that is waited for too.
        let opts = mysql::OptsBuilder::new().socket(Some(socket.display().to_string())).user(Some("root"));
        let mut root =
            wait_until("accept root over its socket", &mut child, &log, || mysql::Conn::new(opts.clone()).ok());
        mysql::prelude::Queryable::query_drop(
            &mut root,
            format!(
                "CREATE USER 'lethe'@'127.0.0.1' IDENTIFIED BY '{MARIADB_PASSWORD}'; \
                 GRANT ALL ON *.* TO 'lethe'@'127.0.0.1'; CREATE DATABASE shop; \
                 CREATE TABLE shop.customer (id INT PRIMARY KEY, email VARCHAR(100), name VARCHAR(100)); \
                 INSERT INTO shop.customer VALUES (1, 'jane@example.com', 'Jane')"
            ),
        )
        .expect("create the lethe user");
        TestMariadb { port, child, _dir: dir }
    }
}

impl Drop for TestMariadb {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}
