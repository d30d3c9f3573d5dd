//! MySQL/MariaDB specifics against the real MariaDB server (`LETHE_TEST_MARIADB`): values in
//! packages as Fides writes them, reserved words as table and column names, injection attempts,
//! the driver's reason on a wrong password, and TLS modes checked when secrets are saved. (The
//! shop fixture's access, erasure, retries and take-over run on MariaDB in the dsr_* suites.)

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::shop::{
    CustomerDb, Kind, create_policy, create_request, download_packages, mariadb_server, register_with, wait_done,
};
use lethe_tests::{bearer, send};
use serde_json::{Value, json};

const TYPES_SQL: &str = "CREATE TABLE `order` (`id` INT PRIMARY KEY, `key` VARCHAR(40), `email` VARCHAR(100), \
    `flag` TINYINT(1), `big` BIGINT UNSIGNED, `price` DECIMAL(10, 2), `ratio` FLOAT, `share` DOUBLE, \
    `placed` DATETIME(6), `day` DATE, `took` TIME, `doc` JSON, `raw` VARBINARY(8), `kind` ENUM('a', 'b'), \
    `year` YEAR) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
    INSERT INTO `order` VALUES (1, 'k-1', 'jane@example.com', 1, 18446744073709551615, 12.50, 0.1, 2.25, \
    '2024-02-29 13:05:09.000120', '2024-02-29', '25:00:01', '{\"a\": [1, 2]}', X'00FF41', 'b', 2024), \
    (2, 'k-2', 'someone@example.com', 0, 1, 1.00, 1.5, 1.0, '2024-01-01 00:00:00', '2024-01-01', '-01:00:00', \
    NULL, NULL, 'a', 2023);\n";

const TYPES_YAML: &str = r#"
dataset:
  - fides_key: typed
    name: typed
    collections:
      - name: order
        fields:
          - name: id
            data_categories: [system.operations]
            fides_meta: {primary_key: true, data_type: integer}
          - name: key
            data_categories: [user.unique_id]
            fides_meta: {data_type: string}
          - name: email
            data_categories: [user.contact.email]
            fides_meta: {identity: email, data_type: string}
          - {name: flag, data_categories: [user.content]}
          - {name: big, data_categories: [user.content]}
          - {name: price, data_categories: [user.content]}
          - {name: ratio, data_categories: [user.content]}
          - {name: share, data_categories: [user.content]}
          - {name: placed, data_categories: [user.content]}
          - {name: day, data_categories: [user.content]}
          - {name: took, data_categories: [user.content]}
          - {name: doc, data_categories: [user.content]}
          - {name: raw, data_categories: [user.content]}
          - {name: kind, data_categories: [user.content]}
          - {name: year, data_categories: [user.content]}
"#;

#[actix_web::test]
async fn values_reserved_words_and_injections_on_mariadb() {
    if mariadb_server().is_none() {
        return;
    }
    let (_app, service, root) = lethe_tests::ready().await;
    let db = CustomerDb::create_with(Kind::Mariadb, TYPES_SQL);
    register_with(&service, &root, &db, "typed_db", "write", TYPES_YAML).await;
    create_policy(&service, &root, "everything", json!([{"key": "all", "action_type": "access", "targets": ["user"]}]))
        .await;
    let id =
        create_request(&service, &root, json!({"identity": {"email": "jane@example.com"}, "policy_key": "everything"}))
            .await;
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    let packages = download_packages(&service, &root, &id).await;
    let got: Value = serde_json::from_slice(&packages[0].1).unwrap();
    // Fides' values (booleans 0/1, DECIMAL and JSON as strings, bytes quote-encoded, TIME as a
    // Python timedelta), except that DATETIME keeps its microseconds and DATE stays a date.
    assert_eq!(
        got["typed:order"],
        json!([{
            "key": "k-1", "email": "jane@example.com", "flag": 1, "big": 18_446_744_073_709_551_615_u64,
            "price": "12.50", "ratio": 0.1, "share": 2.25, "placed": "2024-02-29T13:05:09.000120",
            "day": "2024-02-29", "took": "1 day, 1:00:01", "doc": "{\"a\": [1, 2]}",
            "raw": "quote_encoded_%00%FFA", "kind": "b", "year": 2024
        }]),
        "{got}"
    );

    // Erasure through backticked names: `order` and `key` are reserved words.
    create_policy(
        &service,
        &root,
        "forget",
        json!([{"key": "forget_ids", "action_type": "erasure", "masking_strategy": {"strategy": "null_rewrite", "configuration": {}}, "targets": ["user.unique_id"]}]),
    )
    .await;
    let id =
        create_request(&service, &root, json!({"identity": {"email": "jane@example.com"}, "policy_key": "forget"}))
            .await;
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(db.text("SELECT `key` FROM `order` WHERE id = 1"), None);
    assert_eq!(db.text("SELECT `key` FROM `order` WHERE id = 2").as_deref(), Some("k-2"));

    // Identities that look like SQL are values.
    for attempt in ["x'or'1'='1@example.com", "a`b);drop_table_order;--@example.com", "jane@example.com'--"] {
        let id =
            create_request(&service, &root, json!({"identity": {"email": attempt}, "policy_key": "everything"})).await;
        let done = wait_done(&service, &root, &id).await;
        assert_eq!(done["status"], "complete", "{done}");
        let packages = download_packages(&service, &root, &id).await;
        let got: Value = serde_json::from_slice(&packages[0].1).unwrap();
        assert_eq!(got["typed:order"], json!([]), "{attempt}");
    }
    assert_eq!(db.text("SELECT CAST(COUNT(*) AS TEXT) FROM `order`").as_deref(), Some("2"));
}

#[actix_web::test]
async fn a_wrong_password_gives_the_servers_reason_and_bad_tls_modes_are_refused() {
    if mariadb_server().is_none() {
        return;
    }
    let (_app, service, root) = lethe_tests::ready().await;
    let db = CustomerDb::create(Kind::Mariadb);
    send(
        &service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
            {"key": "maria", "name": "maria", "connection_type": "mariadb", "access": "read"}
        ])),
    )
    .await;
    let put = |secrets: Value| {
        TestRequest::put()
            .uri("/api/v1/connection/maria/secret?verify=false")
            .insert_header(bearer(&root))
            .set_json(secrets)
    };
    let mut secrets = db.secrets();
    secrets["username"] = json!("lethe_nobody");
    secrets["password"] = json!("wrong-password");
    let saved = send(&service, put(secrets.clone())).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    let tested =
        send(&service, TestRequest::get().uri("/api/v1/connection/maria/test").insert_header(bearer(&root))).await;
    assert_eq!(tested.body["test_status"], "failed", "{:?}", tested.body);
    let reason = tested.body["failure_reason"].as_str().unwrap();
    assert!(reason.contains("Access denied for user 'lethe_nobody'"), "{reason}");
    assert!(!tested.body.to_string().contains("wrong-password"));

    for (mode, field) in [("verify-full", "ssl_mode"), ("on", "ssl_mode")] {
        secrets["ssl_mode"] = json!(mode);
        let refused = send(&service, put(secrets.clone())).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
        assert_eq!(refused.body["detail"][0]["loc"], json!(["body", field]), "{:?}", refused.body);
    }
    secrets["ssl_mode"] = json!("required");
    secrets["ssl_root_cert"] = json!("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
    let refused = send(&service, put(secrets.clone())).await;
    assert_eq!(refused.body["detail"][0]["loc"], json!(["body", "ssl_root_cert"]), "{:?}", refused.body);
    // Nothing of the refused secrets was stored.
    let shown = send(&service, TestRequest::get().uri("/api/v1/connection/maria").insert_header(bearer(&root))).await;
    assert_eq!(shown.body["secrets"]["ssl_mode"], "preferred", "{:?}", shown.body);
    assert_eq!(shown.body["secrets"]["password"], "**********");
}
