//! TLS to customer databases and to Lethe's own store, against real servers the tests start
//! (PostgreSQL and MariaDB in temporary directories, certificates from a CA made per test): each
//! mode does what it promises, and failures say why.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::tls::{
    MARIADB_BIN, MARIADB_PASSWORD, PG_BIN, TestCa, TestMariadb, TestPostgres, Tls, server_binaries,
};
use lethe_tests::{TestApp, bearer, send};
use secrecy::SecretString;
use serde_json::{Value, json};

/// Tests a connection of `kind` with `secrets`: `Ok` or the driver's reason.
fn test(kind: &str, secrets: Value) -> Result<(), String> {
    let kind = connectors::registry::find(kind).unwrap();
    let secrets = kind.check(secrets).map_err(|p| format!("{p:?}"))?;
    kind.open(&secrets).and_then(|c| c.test()).map_err(|e| e.0)
}

fn postgres(port: u16, mode: &str, ca: Option<&str>) -> Value {
    let mut secrets =
        json!({"host": "127.0.0.1", "port": port, "dbname": "postgres", "username": "postgres", "ssl_mode": mode});
    if let Some(ca) = ca {
        secrets["ssl_root_cert"] = json!(ca);
    }
    secrets
}

#[test]
fn postgres_tls_modes_verify_what_they_promise() {
    let Some(bin) = server_binaries(PG_BIN, "PostgreSQL server binaries for TLS servers") else { return };
    let ca = TestCa::new("Lethe test CA");
    let other_ca = TestCa::new("Someone else's CA");
    let only = TestPostgres::start(&bin, &ca.server(&["localhost", "127.0.0.1"]), Tls::Only);

    for mode in ["require", "prefer", "allow"] {
        assert_eq!(test("postgres", postgres(only.port, mode, None)), Ok(()), "{mode}");
    }
    assert_eq!(test("postgres", postgres(only.port, "verify-full", Some(&ca.pem))), Ok(()));
    assert_eq!(test("postgres", postgres(only.port, "verify-ca", Some(&ca.pem))), Ok(()));
    let untrusted = test("postgres", postgres(only.port, "verify-ca", Some(&other_ca.pem))).unwrap_err();
    assert!(untrusted.contains("certificate verify failed"), "{untrusted}");
    // Without a CA the system's roots are used, and they do not know the test CA.
    let unknown = test("postgres", postgres(only.port, "verify-full", None)).unwrap_err();
    assert!(unknown.contains("certificate verify failed"), "{unknown}");
    // A server that only takes TLS refuses plaintext with its own reason.
    let plaintext = test("postgres", postgres(only.port, "disable", None)).unwrap_err();
    assert!(plaintext.contains("no pg_hba.conf entry") && plaintext.contains("no encryption"), "{plaintext}");

    // A certificate for another host: verify-full says so; verify-ca only checks the CA.
    let elsewhere = TestPostgres::start(&bin, &ca.server(&["db.other.example"]), Tls::Only);
    let mismatch = test("postgres", postgres(elsewhere.port, "verify-full", Some(&ca.pem))).unwrap_err();
    assert!(mismatch.contains("does not match host name \"127.0.0.1\""), "{mismatch}");
    assert_eq!(test("postgres", postgres(elsewhere.port, "verify-ca", Some(&ca.pem))), Ok(()));

    // A server without TLS: require fails, prefer and disable connect.
    let plain = TestPostgres::start(&bin, &ca.server(&["127.0.0.1"]), Tls::Off);
    let required = test("postgres", postgres(plain.port, "require", None)).unwrap_err();
    assert!(required.contains("server does not support SSL"), "{required}");
    assert_eq!(test("postgres", postgres(plain.port, "prefer", None)), Ok(()));
    assert_eq!(test("postgres", postgres(plain.port, "disable", None)), Ok(()));
}

#[actix_web::test]
async fn lethes_own_store_runs_over_verify_full() {
    let Some(bin) = server_binaries(PG_BIN, "PostgreSQL server binaries for TLS servers") else { return };
    let ca = TestCa::new("Lethe test CA");
    let server = TestPostgres::start(&bin, &ca.server(&["127.0.0.1"]), Tls::Only);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}",
        server.port,
        ca_file.display()
    );
    let app = TestApp::with(|s| s.database.url = Some(SecretString::from(url)));
    let service = app.service().await;
    let health = send(&service, TestRequest::get().uri("/health")).await;
    assert_eq!(health.status, StatusCode::OK, "{:?}", health.body);
    assert_eq!(health.body["database"], "healthy");
    assert_eq!(health.body["database_backend"], "postgresql");
    // Migrated and writable over TLS (the server takes nothing else).
    let root = app.root_token();
    let saved = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/dsr/policy")
            .insert_header(bearer(&root))
            .set_json(json!([{"name": "Over TLS", "key": "over_tls"}])),
    )
    .await;
    assert_eq!(saved.body["failed"], json!([]), "{:?}", saved.body);
    let got = send(&service, TestRequest::get().uri("/api/v1/dsr/policy/over_tls").insert_header(bearer(&root))).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);

    // The same store behind a certificate for another name is refused, saying why.
    let elsewhere = TestPostgres::start(&bin, &ca.server(&["db.other.example"]), Tls::Only);
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}",
        elsewhere.port,
        ca_file.display()
    );
    let mut settings = gateway::Settings::default();
    settings.server.data_dir = dir.path().to_path_buf();
    settings.database.url = Some(SecretString::from(url));
    settings.security.app_encryption_key = Some(SecretString::from(lethe_tests::APP_KEY));
    settings.security.root_client_secret = Some(SecretString::from(lethe_tests::ROOT_SECRET));
    let refused = gateway::Application::build(settings).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("does not match host name"), "{refused}");
}

fn mariadb(port: u16, mode: &str, ca: Option<&str>) -> Value {
    let mut secrets = json!({
        "host": "127.0.0.1", "port": port, "dbname": "shop", "username": "lethe",
        "password": MARIADB_PASSWORD, "ssl_mode": mode
    });
    if let Some(ca) = ca {
        secrets["ssl_root_cert"] = json!(ca);
    }
    secrets
}

#[test]
fn mariadb_tls_modes_verify_what_they_promise() {
    let Some(bin) = server_binaries(MARIADB_BIN, "MariaDB server binaries for TLS servers") else { return };
    let ca = TestCa::new("Lethe test CA");
    let other_ca = TestCa::new("Someone else's CA");
    let only = TestMariadb::start(&bin, &ca, &ca.server(&["localhost", "127.0.0.1"]), Tls::Only);

    for mode in ["required", "preferred", "REQUIRED", ""] {
        assert_eq!(test("mariadb", mariadb(only.port, mode, None)), Ok(()), "{mode}");
    }
    assert_eq!(test("mariadb", mariadb(only.port, "verify_identity", Some(&ca.pem))), Ok(()));
    assert_eq!(test("mysql", mariadb(only.port, "verify_ca", Some(&ca.pem))), Ok(()));
    let untrusted = test("mariadb", mariadb(only.port, "verify_ca", Some(&other_ca.pem))).unwrap_err();
    assert!(untrusted.contains("invalid peer certificate"), "{untrusted}");
    let unknown = test("mariadb", mariadb(only.port, "verify_identity", None)).unwrap_err();
    assert!(unknown.contains("invalid peer certificate"), "{unknown}");
    let plaintext = test("mariadb", mariadb(only.port, "disabled", None)).unwrap_err();
    assert!(plaintext.contains("Access denied") && plaintext.contains("requires TLS"), "{plaintext}");
    let wrong = test(
        "mariadb",
        json!({"host": "127.0.0.1", "port": only.port, "dbname": "shop", "username": "lethe", "password": "nope"}),
    )
    .unwrap_err();
    assert!(wrong.contains("Access denied for user 'lethe'"), "{wrong}");

    let elsewhere = TestMariadb::start(&bin, &ca, &ca.server(&["db.other.example"]), Tls::Only);
    let mismatch = test("mariadb", mariadb(elsewhere.port, "verify_identity", Some(&ca.pem))).unwrap_err();
    assert!(mismatch.contains("not valid for name"), "{mismatch}");
    assert_eq!(test("mariadb", mariadb(elsewhere.port, "verify_ca", Some(&ca.pem))), Ok(()));

    let plain = TestMariadb::start(&bin, &ca, &ca.server(&["127.0.0.1"]), Tls::Off);
    let required = test("mariadb", mariadb(plain.port, "required", None)).unwrap_err();
    assert!(required.contains("does not support TLS"), "{required}");
    assert_eq!(test("mariadb", mariadb(plain.port, "preferred", None)), Ok(()));
    assert_eq!(test("mariadb", mariadb(plain.port, "disabled", None)), Ok(()));
}
