//! Connections over HTTP: secrets validated, sealed and masked; tests against a real SQLite file
//! and, when `LETHE_TEST_CUSTOMER_PG` says where one is, a real PostgreSQL server.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::shop::{CustomerDb, Kind, create_request, kinds, postgres_server, register, wait_done};
use lethe_tests::{bearer, send};
use serde_json::json;

#[actix_web::test]
async fn connections_store_masked_secrets_and_test_real_databases() {
    let (app, service, root) = lethe_tests::ready().await;
    let sqlite_file = app.dir.path().join("customers.db");
    db::Database::connect(&format!("sqlite://{}", sqlite_file.display()), 1).unwrap().migrate().unwrap();

    let created = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
            {"key": "app_pg", "name": "App PostgreSQL", "connection_type": "postgres", "access": "write"},
            {"key": "legacy", "name": "Legacy SQLite", "connection_type": "sqlite", "access": "read", "description": "old shop"},
        ])),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["succeeded"].as_array().unwrap().len(), 2);
    assert_eq!(created.body["succeeded"][0]["secrets"], serde_json::Value::Null);

    let put = |key: &str, query: &str, body: serde_json::Value| {
        TestRequest::put()
            .uri(&format!("/api/v1/connection/{key}/secret{query}"))
            .insert_header(bearer(&root))
            .set_json(body)
    };
    let missing_host = send(&service, put("app_pg", "", json!({"dbname": "postgres"}))).await;
    assert_eq!(missing_host.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing_host.body["detail"][0]["msg"], "missing field `host`");

    // A real PostgreSQL server verifies the secrets when LETHE_TEST_CUSTOMER_PG says where one is.
    let customer_pg = postgres_server().map(|_| CustomerDb::create(Kind::Postgres));
    let mut pg_secrets = match &customer_pg {
        Some(db) => db.secrets(),
        None => json!({"host": "127.0.0.1", "port": 5432, "dbname": "postgres", "username": "postgres"}),
    };
    if pg_secrets.get("password").is_none() {
        // Trust authentication ignores it; it is here to be masked.
        pg_secrets["password"] = json!("s3cret-pw");
    }
    let password = pg_secrets["password"].as_str().unwrap().to_owned();
    let verify = if customer_pg.is_some() { "?verify=true" } else { "" };
    let verified = send(&service, put("app_pg", verify, pg_secrets.clone())).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(verified.body["msg"], "Secrets updated for ConnectionConfig with key: app_pg.");
    if customer_pg.is_some() {
        assert_eq!(verified.body["test_status"], "succeeded", "{:?}", verified.body);
    }

    let shown = send(&service, TestRequest::get().uri("/api/v1/connection/app_pg").insert_header(bearer(&root))).await;
    assert_eq!(shown.body["secrets"]["password"], "**********");
    assert_eq!(shown.body["secrets"]["host"], pg_secrets["host"]);
    if customer_pg.is_some() {
        assert_eq!(shown.body["last_test_succeeded"], true);
    }
    assert!(!shown.body.to_string().contains(&password));

    let unreachable =
        send(&service, put("app_pg", "?verify=true", json!({"host": "127.0.0.1", "port": 1, "dbname": "postgres"})))
            .await;
    assert_eq!(unreachable.body["test_status"], "failed");
    assert!(
        unreachable.body["failure_reason"].as_str().unwrap().contains("Connection refused"),
        "{:?}",
        unreachable.body
    );

    let no_secrets_yet =
        send(&service, TestRequest::get().uri("/api/v1/connection/legacy/test").insert_header(bearer(&root))).await;
    assert_eq!(no_secrets_yet.status, StatusCode::BAD_REQUEST);
    send(&service, put("legacy", "", json!({"path": sqlite_file.display().to_string()}))).await;
    let tested =
        send(&service, TestRequest::get().uri("/api/v1/connection/legacy/test").insert_header(bearer(&root))).await;
    assert_eq!(tested.body["test_status"], "succeeded", "{:?}", tested.body);
    send(&service, put("legacy", "", json!({"path": app.dir.path().join("nope.db").display().to_string()}))).await;
    let missing =
        send(&service, TestRequest::get().uri("/api/v1/connection/legacy/test").insert_header(bearer(&root))).await;
    assert_eq!(missing.body["test_status"], "failed");
    assert!(!app.dir.path().join("nope.db").exists(), "testing never creates a database");

    let listed = send(&service, TestRequest::get().uri("/api/v1/connection?size=1").insert_header(bearer(&root))).await;
    assert_eq!(listed.body["total"], 2);
    assert_eq!(listed.body["items"][0]["key"], "app_pg");
    let deleted =
        send(&service, TestRequest::delete().uri("/api/v1/connection/legacy").insert_header(bearer(&root))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = send(&service, TestRequest::get().uri("/api/v1/connection/legacy").insert_header(bearer(&root))).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    let reader = app.token_with(&["connection:read"]);
    let denied = send(
        &service,
        TestRequest::put()
            .uri("/api/v1/connection/app_pg/secret")
            .insert_header(bearer(&reader))
            .set_json(json!({"host": "x", "dbname": "y"})),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

/// Polls until `db` has no connection open (PostgreSQL ends a backend shortly after the client
/// closes it).
async fn wait_closed(db: &CustomerDb) -> usize {
    for _ in 0..100 {
        if db.open_connections() == 0 {
            return 0;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    db.open_connections()
}

#[actix_web::test]
async fn deleting_a_connection_or_changing_its_secrets_closes_its_pooled_store_connections() {
    for kind in kinds() {
        let (_app, service, root) = lethe_tests::ready().await;
        let db = CustomerDb::create(kind);
        register(&service, &root, &db, "shop", "shop_db").await;
        // On PostgreSQL a secrets change is also announced to every gateway (this one included),
        // which closes its stores when it hears it: let that pass before counting.
        let settle = || actix_web::rt::time::sleep(std::time::Duration::from_millis(500));
        settle().await;
        let run = || {
            create_request(
                &service,
                &root,
                json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
            )
        };
        let id = run().await;
        assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
        assert!(db.open_connections() > 0, "{kind:?}: a finished request leaves its connection pooled");

        let secrets = send(
            &service,
            TestRequest::put()
                .uri("/api/v1/connection/shop/secret")
                .insert_header(bearer(&root))
                .set_json(db.secrets()),
        )
        .await;
        assert_eq!(secrets.status, StatusCode::OK);
        assert_eq!(wait_closed(&db).await, 0, "{kind:?}: new secrets close the old connections at once");
        settle().await;

        let id = run().await;
        assert_eq!(
            wait_done(&service, &root, &id).await["status"],
            "complete",
            "{kind:?}: reopened with the new secrets"
        );
        assert!(db.open_connections() > 0);
        let deleted =
            send(&service, TestRequest::delete().uri("/api/v1/connection/shop").insert_header(bearer(&root))).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(wait_closed(&db).await, 0, "{kind:?}: a deleted connection keeps nothing open");
    }
}

#[actix_web::test]
async fn connection_types_and_their_secrets_schemas_are_discoverable() {
    let (app, service, root) = lethe_tests::ready().await;
    let get = |uri: &str, token: &str| TestRequest::get().uri(uri).insert_header(bearer(token));
    let listed = send(&service, get("/api/v1/connection_type", &root)).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let identifiers: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|t| t["identifier"].as_str().unwrap()).collect();
    // The databases, manual requests, then each shipped SaaS template.
    assert_eq!(
        identifiers,
        [
            "postgres",
            "mysql",
            "mariadb",
            "sqlite",
            "manual_request",
            "auth0",
            "braintree",
            "gorgias",
            "hubspot",
            "mailchimp",
            "segment",
            "shopify",
            "stripe",
            "surveymonkey"
        ]
    );
    assert_eq!(listed.body["total"], 14);
    assert_eq!(
        listed.body["items"][2],
        json!({"identifier": "mariadb", "type": "database", "human_readable": "MariaDB", "encoded_icon": null,
               "authorization_required": false, "user_guide": null, "supported_actions": ["access", "erasure"]})
    );
    let manual = send(&service, get("/api/v1/connection_type?system_type=manual", &root)).await;
    assert_eq!(manual.body["items"][0]["identifier"], "manual_request");
    assert_eq!(manual.body["total"], 1);
    let searched = send(&service, get("/api/v1/connection_type?search=SQL&size=2", &root)).await;
    assert_eq!(searched.body["total"], 3, "PostgreSQL, MySQL and SQLite: {:?}", searched.body);
    assert_eq!(searched.body["items"].as_array().unwrap().len(), 2);
    let bad = send(&service, get("/api/v1/connection_type?system_type=api", &root)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let schema = send(&service, get("/api/v1/connection_type/postgres/secret", &root)).await;
    assert_eq!(schema.status, StatusCode::OK);
    let body = &schema.body;
    assert_eq!(body["required"], json!(["host", "dbname"]));
    assert_eq!(body["properties"]["port"]["default"], 5432);
    assert_eq!(body["properties"]["password"]["sensitive"], true);
    assert_eq!(body["properties"]["ssl_root_cert"]["sensitive"], true);
    assert!(body["properties"]["host"].get("sensitive").is_none());
    let modes = body["properties"]["ssl_mode"].to_string();
    for mode in ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] {
        assert!(modes.contains(&format!("\"{mode}\"")), "{modes}");
    }
    let mysql = send(&service, get("/api/v1/connection_type/mysql/secret", &root)).await;
    assert!(mysql.body["properties"]["ssl_mode"].to_string().contains("verify_identity"), "{:?}", mysql.body);
    let unknown = send(&service, get("/api/v1/connection_type/oracle/secret", &root)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["detail"], "No connection type found with name 'oracle'.");

    let reader = app.token_with(&["connection:read"]);
    let denied = send(&service, get("/api/v1/connection_type", &reader)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}
