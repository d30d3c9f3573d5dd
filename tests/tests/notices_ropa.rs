//! Privacy notices, purposes, the catalog and the RoPA over HTTP, as spec 004 describes them.

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use auth::scopes;
use lethe_tests::{Reply, TestApp, bearer, send};
use serde_json::{Value, json};

const V: &str = "/api/v1.0";

struct Api<S> {
    service: S,
    token: String,
}

impl<S, B> Api<S>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    async fn get(&self, path: &str) -> Reply {
        send(&self.service, TestRequest::get().uri(&format!("{V}{path}")).insert_header(bearer(&self.token))).await
    }
    async fn post(&self, path: &str, body: Value) -> Reply {
        send(
            &self.service,
            TestRequest::post().uri(&format!("{V}{path}")).insert_header(bearer(&self.token)).set_json(body),
        )
        .await
    }
    async fn put(&self, path: &str, body: Value) -> Reply {
        send(
            &self.service,
            TestRequest::put().uri(&format!("{V}{path}")).insert_header(bearer(&self.token)).set_json(body),
        )
        .await
    }
    async fn delete(&self, path: &str) -> Reply {
        send(&self.service, TestRequest::delete().uri(&format!("{V}{path}")).insert_header(bearer(&self.token))).await
    }
}

macro_rules! api {
    ($app:expr) => {
        Api { service: test::init_service(gateway::build_app($app.state())).await, token: $app.root_token() }
    };
}

async fn setup<S, B>(api: &Api<S>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    assert_eq!(api.post("/orgs", json!({"slug": "acme", "name": "Acme"})).await.status, StatusCode::CREATED);
    for space in ["marketing", "support"] {
        let r = api.post("/spaces", json!({"slug": space, "name": format!("{space} team"), "org_slug": "acme"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
}

#[actix_web::test]
async fn a_notice_is_created_with_defaults_versioned_and_deleted_with_its_purposes() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;

    let created = api
        .post(
            "/spaces/marketing/privacy-notices",
            json!({"name": "Global Privacy Policy", "version": "v1.0", "content_url": "https://example.com/privacy-policy", "valid_from": "2026-03-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let notice = created.body;
    assert_eq!(notice["status"], "DRAFT");
    assert_eq!(notice["valid_from"], "2026-03-01T00:00:00Z");
    assert_eq!(notice["valid_to"], Value::Null);
    assert_eq!(notice["space_name"], Value::Null);
    assert_eq!(notice["purposes"], json!([]));
    let id = notice["id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID");

    let purpose = api
        .post(
            &format!("/spaces/marketing/privacy-notices/{id}/purposes"),
            json!({"name": "Marketing Analytics", "description": "Campaigns"}),
        )
        .await;
    assert_eq!(purpose.status, StatusCode::CREATED);
    assert_eq!(purpose.body["is_essential"], false);
    assert_eq!(purpose.body["notice_id"], id);
    let purpose_id = purpose.body["id"].as_str().unwrap().to_owned();

    let updated = api.put(&format!("/spaces/marketing/privacy-notices/{id}"), json!({"status": "ACTIVE"})).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["status"], "ACTIVE");
    assert_eq!(updated.body["name"], "Global Privacy Policy", "partial update keeps other fields");
    assert_eq!(updated.body["purposes"][0]["id"], purpose_id.as_str());

    let purpose_update = api
        .put(&format!("/spaces/marketing/privacy-notices/{id}/purposes/{purpose_id}"), json!({"is_essential": true}))
        .await;
    assert_eq!(purpose_update.body["is_essential"], true);
    assert_eq!(purpose_update.body["description"], "Campaigns");

    let listed = api.get("/spaces/marketing/privacy-notices").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);

    let deleted = api.delete(&format!("/spaces/marketing/privacy-notices/{id}")).await;
    assert_eq!(deleted.body, json!({"message": "Privacy notice deleted"}));
    assert_eq!(api.get(&format!("/spaces/marketing/privacy-notices/{id}")).await.status, StatusCode::NOT_FOUND);
    let gone =
        api.put(&format!("/spaces/marketing/privacy-notices/{id}/purposes/{purpose_id}"), json!({"name": "x"})).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "purposes went with their notice");
}

#[actix_web::test]
async fn notices_and_purposes_looked_up_through_another_space_are_404() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;
    let notice = api.post("/spaces/marketing/privacy-notices", json!({"name": "N", "version": "1"})).await.body;
    let id = notice["id"].as_str().unwrap();
    let purpose =
        api.post(&format!("/spaces/marketing/privacy-notices/{id}/purposes"), json!({"name": "P"})).await.body;
    let pid = purpose["id"].as_str().unwrap();

    for reply in [
        api.get(&format!("/spaces/support/privacy-notices/{id}")).await,
        api.put(&format!("/spaces/support/privacy-notices/{id}"), json!({"name": "x"})).await,
        api.delete(&format!("/spaces/support/privacy-notices/{id}")).await,
        api.post(&format!("/spaces/support/privacy-notices/{id}/purposes"), json!({"name": "x"})).await,
        api.put(&format!("/spaces/support/privacy-notices/{id}/purposes/{pid}"), json!({"name": "x"})).await,
        api.delete(&format!("/spaces/support/privacy-notices/{id}/purposes/{pid}")).await,
        api.get("/spaces/nowhere/privacy-notices").await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);
        assert!(reply.body["detail"].is_string());
    }
    let deleted = api.delete(&format!("/spaces/marketing/privacy-notices/{id}/purposes/{pid}")).await;
    assert_eq!(deleted.body, json!({"message": "Processing purpose deleted"}));
}

#[actix_web::test]
async fn invalid_notice_fields_get_422_naming_the_field() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;
    let bad_status =
        api.post("/spaces/marketing/privacy-notices", json!({"name": "N", "version": "1", "status": "LIVE"})).await;
    assert_eq!(bad_status.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_status.body["detail"][0]["loc"], json!(["body", "status"]));
    let msg = bad_status.body["detail"][0]["msg"].as_str().unwrap();
    assert!(msg.contains("DRAFT") && msg.contains("ACTIVE") && msg.contains("ARCHIVED"), "{msg}");

    for url in ["ftp://example.com/p", "not a url", "http://localhost/p", "http://192.168.1.10/p", "http://[::1]/p"] {
        let reply = api
            .post("/spaces/marketing/privacy-notices", json!({"name": "N", "version": "1", "content_url": url}))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "content_url"]), "{url}");
    }
    let missing = api.post("/spaces/marketing/privacy-notices", json!({"name": "N"})).await;
    assert_eq!(missing.body["detail"][0]["loc"], json!(["body", "version"]));
    let blank = api.post("/spaces/marketing/privacy-notices", json!({"name": " ", "version": "1"})).await;
    assert_eq!(blank.body["detail"][0]["loc"], json!(["body", "name"]));
    let backwards = api
        .post(
            "/spaces/marketing/privacy-notices",
            json!({"name": "N", "version": "1", "valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(backwards.body["detail"][0]["loc"], json!(["body", "valid_to"]));
    assert_eq!(api.get("/spaces/marketing/privacy-notices").await.body, json!([]), "nothing was half-written");
}

#[actix_web::test]
async fn slugs_are_validated_unique_and_org_is_reserved() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;
    assert_eq!(api.post("/orgs", json!({"slug": "acme", "name": "Again"})).await.status, StatusCode::CONFLICT);
    let reserved = api.post("/spaces", json!({"slug": "org", "name": "x", "org_slug": "acme"})).await;
    assert_eq!(reserved.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = api.post("/orgs", json!({"slug": "Not Valid", "name": "x"})).await;
    assert_eq!(bad.body["detail"][0]["loc"], json!(["body", "slug"]));
    assert_eq!(
        api.post("/spaces", json!({"slug": "support", "name": "x", "org_slug": "acme"})).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(api.get("/orgs/acme").await.body["name"], "Acme");
    assert_eq!(api.get("/spaces/support").await.body["org_slug"], "acme");
    assert_eq!(api.get("/spaces").await.body.as_array().unwrap().len(), 2);
    assert_eq!(api.get("/orgs/none").await.status, StatusCode::NOT_FOUND);
}

async fn seed_products<S, B>(api: &Api<S>) -> (String, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let notice = api
        .post("/spaces/marketing/privacy-notices", json!({"name": "Global Privacy Policy", "version": "v2.1"}))
        .await
        .body;
    let nid = notice["id"].as_str().unwrap().to_owned();
    let purpose = api
        .post(&format!("/spaces/marketing/privacy-notices/{nid}/purposes"), json!({"name": "Marketing Analytics"}))
        .await
        .body;
    let pid = purpose["id"].as_str().unwrap().to_owned();
    let products = [
        json!({"name": "Customer Events", "product_type": "table", "product_kind": "dataset", "source_id": "src-1",
               "path": "warehouse.analytics.customer_events", "environment": "production", "sensitivity": "PII",
               "data_categories": ["PII"], "owner_id": "u1", "owner_name": "Alex Kim", "processing_purpose_id": pid,
               "lawful_basis": "Legitimate Interest", "retention_period": "36 months",
               "data_subject_categories": ["Customers", "Prospects"], "recipients": ["Campaign Reporting"]}),
        json!({"name": "=cmd|' /C calc'!A0", "sensitivity": "PII", "environment": "staging"}),
        json!({"name": "Billing", "sensitivity": "PHI", "lawful_basis": "Contract", "environment": "production"}),
    ];
    for product in products {
        let reply = api.post("/spaces/marketing/products", product).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    api.post("/spaces/support/products", json!({"name": "Tickets", "sensitivity": "PII"})).await;
    (nid, pid)
}

#[actix_web::test]
async fn ropa_report_has_every_field_filters_and_pagination_headers() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;
    let (nid, pid) = seed_products(&api).await;

    let report = api.get("/spaces/marketing/ropa-report?mapping_status=mapped").await;
    assert_eq!(report.status, StatusCode::OK);
    let row = &report.body[0];
    let expected_keys = [
        "product_id",
        "product_name",
        "product_type",
        "product_kind",
        "product_source_id",
        "path",
        "environment",
        "space_slug",
        "space_name",
        "lawful_basis",
        "retention_period",
        "data_subject_categories",
        "processing_purpose_id",
        "processing_purpose_name",
        "privacy_notice_id",
        "privacy_notice_name",
        "sensitivity",
        "data_categories",
        "recipients",
        "owner_id",
        "owner_name",
        "has_compliance_gap",
    ];
    let mut keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    let mut want = expected_keys.to_vec();
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(row["product_source_id"], "src-1");
    assert_eq!(row["processing_purpose_id"], pid.as_str());
    assert_eq!(row["privacy_notice_id"], nid.as_str());
    assert_eq!(row["privacy_notice_name"], "Global Privacy Policy");
    assert_eq!(row["space_slug"], Value::Null);
    assert_eq!(row["has_compliance_gap"], false);

    let page = api.get("/spaces/marketing/ropa-report?limit=2").await;
    assert_eq!(page.header("x-total-count"), Some("3"));
    assert_eq!(page.header("x-page"), Some("1"));
    assert_eq!(page.header("x-has-more"), Some("true"));
    let names: Vec<&str> = page.body.as_array().unwrap().iter().map(|r| r["product_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["=cmd|' /C calc'!A0", "Billing"]);
    let next = api.get("/spaces/marketing/ropa-report?limit=2&offset=2").await;
    assert_eq!(next.header("x-page"), Some("2"));
    assert_eq!(next.header("x-has-more"), Some("false"));
    assert_eq!(next.body[0]["product_name"], "Customer Events");

    let gap = api.get("/spaces/marketing/ropa-report?search=CMD").await;
    assert_eq!(gap.body[0]["has_compliance_gap"], true);
    let combined =
        api.get("/spaces/marketing/ropa-report?environment=production&mapping_status=unmapped&limit=1").await;
    assert_eq!(combined.header("x-total-count"), Some("1"));
    assert_eq!(combined.body[0]["product_name"], "Billing");
    let by_purpose = api.get("/spaces/marketing/ropa-report?search=marketing%20analytics").await;
    assert_eq!(by_purpose.header("x-total-count"), Some("1"));
    let by_basis = api.get("/spaces/marketing/ropa-report?lawful_basis=Contract").await;
    assert_eq!(by_basis.body[0]["product_name"], "Billing");
    let by_sensitivity = api.get("/spaces/marketing/ropa-report?sensitivity=PHI").await;
    assert_eq!(by_sensitivity.header("x-total-count"), Some("1"));

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("mapping_status=some", "mapping_status"),
    ] {
        let reply = api.get(&format!("/spaces/marketing/ropa-report?{query}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.body["detail"][0]["loc"], json!(["query", field]), "{query}");
    }
    assert_eq!(api.get("/spaces/nowhere/ropa-report").await.status, StatusCode::NOT_FOUND);

    let summary = api.get("/spaces/marketing/ropa-summary").await;
    assert_eq!(
        summary.body,
        json!({"total": 3, "mapped": 1, "unmapped": 2, "missing_basis": 1, "with_compliance_gap": 1})
    );
    let org_summary = api.get("/spaces/org/acme/ropa-summary").await;
    assert_eq!(
        org_summary.body,
        json!({"total": 4, "mapped": 1, "unmapped": 3, "missing_basis": 2, "with_compliance_gap": 2})
    );

    let org = api.get("/spaces/org/acme/ropa-report?search=tickets").await;
    assert_eq!(org.body[0]["space_slug"], "support");
    assert_eq!(org.body[0]["space_name"], "support team");
    assert_eq!(api.get("/spaces/org/nobody/ropa-report").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn csv_exports_have_the_spec_header_filename_and_neutralised_cells() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;
    seed_products(&api).await;

    let export = api.get("/spaces/marketing/ropa-export").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(export.header("content-disposition"), Some("attachment; filename=\"ropa-report-marketing.csv\""));
    let text = export.body.as_str().unwrap();
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "product_name,space_slug,environment,sensitivity,lawful_basis,retention_period,data_subject_categories,processing_purpose_name,privacy_notice_name,data_categories,recipients,owner_name,has_compliance_gap"
    );
    assert_eq!(lines.next().unwrap(), "'=cmd|' /C calc'!A0,marketing,staging,PII,,,,,,,,,true");
    assert_eq!(lines.next().unwrap(), "Billing,marketing,production,PHI,Contract,,,,,,,,false");
    assert_eq!(
        lines.next().unwrap(),
        "Customer Events,marketing,production,PII,Legitimate Interest,36 months,Customers; Prospects,Marketing Analytics,Global Privacy Policy,PII,Campaign Reporting,Alex Kim,false"
    );

    let org = api.get("/spaces/org/acme/ropa-export").await;
    assert_eq!(org.header("content-disposition"), Some("attachment; filename=\"ropa-report-acme-all-spaces.csv\""));
    assert_eq!(org.body.as_str().unwrap().split("\r\n").filter(|l| !l.is_empty()).count(), 5);
    let missing = api.get("/spaces/nowhere/ropa-export").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body["detail"].is_string());
}

#[actix_web::test]
async fn products_map_only_to_purposes_of_their_space_and_unmap_when_the_purpose_goes() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;
    let (nid, pid) = seed_products(&api).await;
    let foreign = api.post("/spaces/support/products", json!({"name": "X", "processing_purpose_id": pid})).await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign.body["detail"][0]["loc"], json!(["body", "processing_purpose_id"]));

    let listed = api.get("/spaces/marketing/products?limit=1").await;
    assert_eq!(listed.header("x-total-count"), Some("3"));
    assert_eq!(listed.header("x-has-more"), Some("true"));
    let first = listed.body[0]["id"].as_str().unwrap().to_owned();
    let updated = api
        .put(
            &format!("/spaces/marketing/products/{first}"),
            json!({"lawful_basis": "Consent", "processing_purpose_id": pid}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["has_compliance_gap"], false, "a lawful basis closes the gap");
    assert_eq!(api.get(&format!("/spaces/support/products/{first}")).await.status, StatusCode::NOT_FOUND);

    api.delete(&format!("/spaces/marketing/privacy-notices/{nid}/purposes/{pid}")).await;
    let after = api.get("/spaces/marketing/ropa-summary").await;
    assert_eq!(after.body["mapped"], 0, "products of a deleted purpose become unmapped");
    let report = api.get("/spaces/marketing/ropa-report").await;
    assert!(report.body.as_array().unwrap().iter().all(|r| r["processing_purpose_id"].is_null()));

    let deleted = api.delete(&format!("/spaces/marketing/products/{first}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(api.get(&format!("/spaces/marketing/products/{first}")).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn organisation_notices_are_aggregated_and_read_only() {
    let app = TestApp::new();
    let api = api!(app);
    setup(&api).await;
    api.post("/spaces/marketing/privacy-notices", json!({"name": "M", "version": "1"})).await;
    api.post("/spaces/support/privacy-notices", json!({"name": "S", "version": "1"})).await;
    let all = api.get("/spaces/org/acme/privacy-notices").await;
    let spaces: Vec<&str> = all.body.as_array().unwrap().iter().map(|n| n["space_name"].as_str().unwrap()).collect();
    assert_eq!(spaces, ["marketing team", "support team"]);

    let id = all.body[0]["id"].as_str().unwrap();
    for reply in [
        api.post("/spaces/org/acme/privacy-notices", json!({"name": "x", "version": "1"})).await,
        api.put(&format!("/spaces/org/acme/privacy-notices/{id}"), json!({"name": "x"})).await,
        api.delete(&format!("/spaces/org/acme/privacy-notices/{id}")).await,
        api.post(&format!("/spaces/org/acme/privacy-notices/{id}/purposes"), json!({"name": "x"})).await,
    ] {
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{:?}", reply.body);
        assert!(reply.body["detail"].as_str().unwrap().contains("read-only"));
    }
}

#[actix_web::test]
async fn each_area_needs_its_own_scope() {
    let app = TestApp::new();
    let service = app.service().await;
    let root = Api { service, token: app.root_token() };
    setup(&root).await;
    let catalog_only = app.token_with(&[scopes::CATALOG_READ, scopes::CATALOG_CREATE_OR_UPDATE]);
    let ropa_only = app.token_with(&[scopes::ROPA_READ]);
    let get = |token: &str, path: &str| TestRequest::get().uri(&format!("{V}{path}")).insert_header(bearer(token));
    assert_eq!(send(&root.service, get(&catalog_only, "/spaces/marketing/products")).await.status, StatusCode::OK);
    assert_eq!(
        send(&root.service, get(&catalog_only, "/spaces/marketing/ropa-summary")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&root.service, get(&catalog_only, "/spaces/marketing/privacy-notices")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(send(&root.service, get(&ropa_only, "/spaces/marketing/ropa-export")).await.status, StatusCode::OK);
    let write = TestRequest::post()
        .uri(&format!("{V}/spaces/marketing/privacy-notices"))
        .insert_header(bearer(&catalog_only))
        .set_json(json!({"name": "N", "version": "1"}));
    let denied = send(&root.service, write).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.body["detail"].as_str().unwrap().contains("privacy-notice:create_or_update"));
}
