//! Results expire: `LETHE__EXECUTION__RESULT_TTL_SECONDS` after completion a durable job deletes
//! a request's packages, manual uploads, checkpoint and identities; its links then answer 410.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::shop::{CustomerDb, Kind, create_request, register, wait_done, wait_status};
use lethe_tests::{TestApp, bearer, send};
use serde_json::json;

/// Every path under `dir`.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            out.push(path.display().to_string());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

/// Rows of `table` whose `privacy_request_id` is `id`.
fn rows_of(app: &TestApp, table: &str, id: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.database().conn().unwrap();
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE privacy_request_id = '{id}'");
    diesel::sql_query(sql).get_result::<Count>(&mut **conn).unwrap().n
}

#[actix_web::test]
async fn expired_results_are_deleted_and_their_links_answer_410() {
    let app = TestApp::with(|s| {
        s.execution.result_ttl_seconds = 3;
        s.security.subject_request_download_link_ttl_seconds = 3;
    });
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let manual = send(
        &service,
        TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(json!([
            {"name": "CRM export", "key": "crm", "connection_type": "manual_request", "access": "read"}
        ])),
    )
    .await;
    assert_eq!(manual.body["failed"], json!([]));
    send(
        &service,
        TestRequest::patch()
            .uri("/api/v1/connection/crm/access_manual_request")
            .insert_header(bearer(&root))
            .set_json(json!({"fields": [{"pii_field": "Segment"}]})),
    )
    .await;

    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-1@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    wait_status(&service, &root, &id, &["requires_input"]).await;
    let uploaded = send(
        &service,
        TestRequest::patch()
            .uri(&format!("/api/v1/privacy-request/{id}/access_manual_request/crm"))
            .insert_header(bearer(&root))
            .set_json(json!({"segment": "gold"})),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{:?}", uploaded.body);
    send(
        &service,
        TestRequest::post()
            .uri(&format!("/api/v1/privacy-request/{id}/resume_from_requires_input"))
            .insert_header(bearer(&root)),
    )
    .await;
    let done = wait_done(&service, &root, &id).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["data_purged_at"], json!(null));

    // Before expiry: the package is on disk, the upload and identities in the database.
    let storage = app.app.settings().storage_path();
    assert!(listing(&storage).iter().any(|p| p.contains(&id)));
    assert_eq!(rows_of(&app, "manual_request_inputs", &id), 1);
    assert_eq!(rows_of(&app, "privacy_request_identities", &id), 1);
    let links = send(
        &service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/access-results")).insert_header(bearer(&root)),
    )
    .await;
    let link = links.body["access_result_urls"][0].as_str().unwrap().to_owned();
    let path = link[link.find("/api/").unwrap()..].to_owned();
    let response = actix_web::test::call_service(&service, TestRequest::get().uri(&path).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);

    // After: nothing of the subject is left, on disk or in the database.
    let mut purged = json!(null);
    for _ in 0..300 {
        let got = send(
            &service,
            TestRequest::get()
                .uri(&format!("/api/v1/privacy-request/{id}?include_identities=true"))
                .insert_header(bearer(&root)),
        )
        .await;
        if !got.body["data_purged_at"].is_null() {
            purged = got.body;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(purged["data_purged_at"].is_string(), "the results were not deleted in time");
    assert_eq!(purged["status"], "complete");
    assert_eq!(purged["identity"], json!({}));
    let left: Vec<String> = listing(&storage).into_iter().filter(|p| p.contains(&id)).collect();
    assert!(left.is_empty(), "{left:?}");
    for table in ["manual_request_inputs", "privacy_request_identities", "privacy_request_checkpoints"] {
        assert_eq!(rows_of(&app, table, &id), 0, "{table}");
    }
    {
        use db::schema::privacy_requests as r;
        use diesel::prelude::*;
        let mut conn = app.db.database().conn().unwrap();
        let (key, secrets): (Option<Vec<u8>>, Option<Vec<u8>>) =
            r::table.find(&id).select((r::encryption_key, r::masking_secrets)).first(&mut **conn).unwrap();
        assert!(key.is_none() && secrets.is_none());
    }
    let logs = send(
        &service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/log?size=100")).insert_header(bearer(&root)),
    )
    .await;
    let text = logs.body.to_string();
    assert!(!text.contains("customer-1@example.com") && !text.contains("gold"), "{text}");
    assert!(text.contains("Deleted the access packages, checkpoint, manual uploads and identities"), "{text}");

    // The links say what happened.
    let gone = send(
        &service,
        TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}/access-results")).insert_header(bearer(&root)),
    )
    .await;
    assert_eq!(gone.status, StatusCode::GONE);
    let detail = gone.body["detail"].as_str().unwrap();
    assert!(detail.contains("were deleted on") && detail.contains("kept 3 second(s) after completion"), "{detail}");
    let old_link = send(&service, TestRequest::get().uri(&path)).await;
    assert!(matches!(old_link.status, StatusCode::GONE | StatusCode::FORBIDDEN), "{:?}", old_link.status);
}

#[actix_web::test]
async fn the_hourly_sweep_purges_results_no_job_covers() {
    let app = TestApp::with(|s| {
        s.execution.result_ttl_seconds = 1;
        s.security.subject_request_download_link_ttl_seconds = 1;
    });
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;
    let id = create_request(
        &service,
        &root,
        json!({"identity": {"email": "customer-2@example.com"}, "policy_key": "default_access_policy"}),
    )
    .await;
    assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
    // As for a request completed before retention existed: no purge job of its own.
    {
        use db::schema::jobs;
        use diesel::prelude::*;
        let mut conn = app.db.database().conn().unwrap();
        let removed = diesel::delete(
            jobs::table.filter(jobs::queue.eq(dsr_core::PURGE_QUEUE)).filter(jobs::payload.like(format!("%{id}%"))),
        )
        .execute(&mut **conn)
        .unwrap();
        assert_eq!(removed, 1, "the completion queued exactly one purge");
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    let storage = app.app.settings().storage_path();
    assert!(listing(&storage).iter().any(|p| p.contains(&id)), "nothing deleted it yet");
    // The start-up queued the next hour's sweep; bring it forward.
    {
        use db::schema::jobs;
        use diesel::prelude::*;
        let mut conn = app.db.database().conn().unwrap();
        let moved = diesel::update(jobs::table.filter(jobs::unique_key.like("purge-sweep:%")))
            .set(jobs::run_at.eq(db::now()))
            .execute(&mut **conn)
            .unwrap();
        assert_eq!(moved, 1, "one sweep is queued");
    }
    let mut purged = json!(null);
    for _ in 0..200 {
        let got = send(
            &service,
            TestRequest::get().uri(&format!("/api/v1/privacy-request/{id}")).insert_header(bearer(&root)),
        )
        .await;
        if !got.body["data_purged_at"].is_null() {
            purged = got.body;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(purged["data_purged_at"].is_string(), "the sweep did not purge it");
    assert!(!listing(&storage).iter().any(|p| p.contains(&id)));
    // And it queued the next one.
    {
        use db::schema::jobs;
        use diesel::prelude::*;
        let mut conn = app.db.database().conn().unwrap();
        let queued: i64 = jobs::table
            .filter(jobs::unique_key.like("purge-sweep:%"))
            .filter(jobs::status.eq("queued"))
            .count()
            .get_result(&mut **conn)
            .unwrap();
        assert_eq!(queued, 1);
    }
}
