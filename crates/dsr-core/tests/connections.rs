//! Connection secrets at rest: sealed with the app key, never stored in clear.

use db::testing::TestDb;
use diesel::prelude::*;
use dsr_core::*;

#[test]
fn secrets_are_sealed_at_rest_and_readable_only_with_the_app_key() {
    let db = TestDb::new();
    let key = crypto::AppKey::generate();
    let service = DieselConnectionService::new(db.database().clone(), key);
    let created = service
        .upsert_connections(vec![ConnectionCreate {
            key: Some("pg".into()),
            name: "PG".into(),
            connection_type: ConnectionType::Postgres,
            access: AccessLevel::Write,
            disabled: false,
            description: None,
            saas_connector_type: None,
            secrets: None,
        }])
        .unwrap();
    assert_eq!(created.succeeded.len(), 1);
    service
        .set_connection_secrets(
            "pg",
            serde_json::json!({"host": "db.example", "dbname": "shop", "password": "clear-text-pw"}),
            false,
        )
        .unwrap();

    let mut conn = db.database().conn().unwrap();
    let stored: Option<Vec<u8>> = db::schema::connections::table
        .filter(db::schema::connections::key.eq("pg"))
        .select(db::schema::connections::secrets)
        .first(&mut **conn)
        .unwrap();
    let stored = stored.unwrap();
    let as_text = String::from_utf8_lossy(&stored);
    assert!(!as_text.contains("clear-text-pw") && !as_text.contains("db.example"), "sealed, not plain");
    assert_eq!(service.get_connection("pg").unwrap().secrets.unwrap()["password"], "**********");

    // Another key cannot read them: the failure is loud, not a silent empty secret.
    let other = DieselConnectionService::new(db.database().clone(), crypto::AppKey::generate());
    assert!(matches!(other.get_connection("pg"), Err(DsrError::Db(_))));

    // Changing the type drops secrets that no longer fit.
    service
        .upsert_connections(vec![ConnectionCreate {
            key: Some("pg".into()),
            name: "PG".into(),
            connection_type: ConnectionType::Sqlite,
            access: AccessLevel::Read,
            disabled: true,
            description: None,
            saas_connector_type: None,
            secrets: None,
        }])
        .unwrap();
    let changed = service.get_connection("pg").unwrap();
    assert_eq!(changed.secrets, None);
    assert!(changed.disabled);
}
