//! Datasets over HTTP: Fides' JSON and YAML forms, validated at upload, returned as given.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::{bearer, send};
use serde_json::json;

const FIDES_YAML: &str = r#"
# A dataset file as Fides users keep them.
dataset:
  - fides_key: postgres_example
    name: Postgres Example Test Dataset
    description: Example of a Postgres dataset containing a variety of related tables
    collections:
      - name: customer
        fields:
          - name: email
            data_categories: [user.contact.email]
            fidesops_meta:
              identity: email
              data_type: string
          - name: id
            data_categories: [system.operations]
            fidesops_meta:
              primary_key: True
          - name: name
            data_categories: [user.name]
            fidesops_meta:
              data_type: string
              length: 40
      - name: orders
        fields:
          - name: customer_id
            data_categories: [system.operations]
            fidesops_meta:
              references:
                - dataset: postgres_example
                  field: customer.id
                  direction: from
          - name: id
            data_categories: [system.operations]
            fidesops_meta:
              primary_key: True
"#;

#[actix_web::test]
async fn fides_yaml_loads_unchanged_and_comes_back_as_given() {
    let (_app, service, root) = lethe_tests::ready().await;
    send(
        &service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
            {"key": "pg", "name": "PG", "connection_type": "postgres", "access": "write"},
            {"key": "other", "name": "Other", "connection_type": "sqlite", "access": "read"}
        ])),
    )
    .await;

    let uploaded = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/yml/connection/pg/dataset")
            .insert_header(bearer(&root))
            .insert_header(("content-type", "application/x-yaml"))
            .set_payload(FIDES_YAML),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{:?}", uploaded.body);
    assert_eq!(uploaded.body["failed"], json!([]), "{:?}", uploaded.body);

    let got = send(
        &service,
        TestRequest::get().uri("/api/v1/connection/pg/dataset/postgres_example").insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(got.body["description"], "Example of a Postgres dataset containing a variety of related tables");
    assert_eq!(got.body["collections"][0]["fields"][0]["fides_meta"]["identity"], "email");
    assert_eq!(got.body["collections"][0]["fields"][2]["fides_meta"]["length"], 40);
    let listed =
        send(&service, TestRequest::get().uri("/api/v1/connection/pg/dataset").insert_header(bearer(&root))).await;
    assert_eq!(listed.body["total"], 1);

    let stolen = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/connection/other/dataset")
            .insert_header(bearer(&root))
            .set_json(json!([got.body.clone()])),
    )
    .await;
    assert_eq!(stolen.body["failed"][0]["message"], "Dataset postgres_example belongs to another connection");

    let bad_yaml = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/yml/connection/pg/dataset")
            .insert_header(bearer(&root))
            .set_payload("dataset: [unclosed"),
    )
    .await;
    assert_eq!(bad_yaml.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_yaml.body["detail"][0]["msg"].as_str().unwrap().starts_with("Invalid dataset YAML"));

    let deleted = send(
        &service,
        TestRequest::delete().uri("/api/v1/connection/pg/dataset/postgres_example").insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = send(
        &service,
        TestRequest::get().uri("/api/v1/connection/pg/dataset/postgres_example").insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let no_connection =
        send(&service, TestRequest::get().uri("/api/v1/connection/nope/dataset").insert_header(bearer(&root))).await;
    assert_eq!(no_connection.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn invalid_datasets_are_refused_with_messages_naming_the_field() {
    let (_app, service, root) = lethe_tests::ready().await;
    send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/connection")
            .insert_header(bearer(&root))
            .set_json(json!([{"key": "pg", "name": "PG", "connection_type": "postgres", "access": "write"}])),
    )
    .await;
    let reply = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection/pg/dataset").insert_header(bearer(&root)).set_json(json!([
            {"fides_key": "good", "collections": [{"name": "c", "fields": [{"name": "email", "fides_meta": {"identity": "email"}}]}]},
            {"fides_key": "bad", "collections": [
                {"name": "customer", "fields": [
                    {"name": "email", "data_categories": ["user.mind_reading"]},
                    {"name": "age", "fides_meta": {"data_type": "number"}}
                ]},
                {"name": "orders", "fields": [
                    {"name": "customer_id", "fides_meta": {"references": [{"dataset": "bad", "field": "customer.id", "direction": "from"}]}}
                ]}
            ]}
        ])),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["succeeded"][0]["fides_key"], "good");
    let message = reply.body["failed"][0]["message"].as_str().unwrap();
    assert!(message.contains("bad.customer.email: unknown data category 'user.mind_reading'"), "{message}");
    assert!(message.contains("bad.customer.age: unknown data_type 'number'"), "{message}");
    assert!(message.contains("bad.orders.customer_id: references bad.customer.id, which does not exist"), "{message}");
    assert_eq!(reply.body["failed"][0]["data"]["fides_key"], "bad");

    let not_datasets = send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/connection/pg/dataset")
            .insert_header(bearer(&root))
            .set_json(json!([{"collections": []}])),
    )
    .await;
    assert_eq!(not_datasets.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_datasets.body["detail"][0]["loc"], json!(["body", 0, "fides_key"]));
}
