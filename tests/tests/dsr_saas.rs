//! SaaS connections through the API: the shipped templates listed with their secrets schemas,
//! a Stripe connection instantiated with checked secrets, its `saas_config` read, replaced,
//! validated and guarded against removal, the connection test giving the API's reason, and an
//! access + erasure request run by the graph against a local HTTPS server speaking Stripe's wire
//! format (records across cursor pages in the package, one form-encoded update of the subject's
//! customer, nothing asked for anyone else).

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use connectors::testing::wiremock::matchers::{
    body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use connectors::testing::wiremock::{Mock, MockBuilder, ResponseTemplate};
use connectors::testing::{HttpsServer, runtime};
use lethe_tests::shop::{
    CustomerDb, Kind, create_policy, create_request, download_packages, own_saas_connection, register, wait_done,
};
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

/// A Stripe API for Jane (customer cus_1, three charges over two pages); every other list is
/// empty. Requests without the key get Stripe's 401.
fn stripe_server(rt: &tokio::runtime::Runtime) -> HttpsServer {
    let server = HttpsServer::start(rt);
    let mount = |mock: MockBuilder, reply: ResponseTemplate, priority: u8| {
        let authenticated = mock.and(header("Authorization", "Bearer sk_test_1"));
        rt.block_on(authenticated.respond_with(reply).with_priority(priority).mount(&server.mock));
    };
    let customer = json!({
        "id": "cus_1", "object": "customer", "email": "jane@example.com", "name": "Jane Doe",
        "address": {"city": "Berlin"}
    });
    mount(
        Mock::given(method("GET")).and(path("/v1/customers")).and(query_param("email", "jane@example.com")),
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [customer], "has_more": false})),
        1,
    );
    let page = |ids: &[&str], more: bool| {
        let data: Vec<Value> =
            ids.iter().map(|id| json!({"id": id, "object": "charge", "customer": "cus_1", "amount": 100})).collect();
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data, "has_more": more}))
    };
    let charges = || Mock::given(method("GET")).and(path("/v1/charges")).and(query_param("customer", "cus_1"));
    mount(charges().and(query_param_is_missing("starting_after")), page(&["ch_1", "ch_2"], true), 1);
    mount(charges().and(query_param("starting_after", "ch_2")), page(&["ch_3"], false), 1);
    mount(
        Mock::given(method("POST")).and(path("/v1/customers/cus_1")),
        ResponseTemplate::new(200).set_body_json(json!({"id": "cus_1"})),
        1,
    );
    // Every other list the template reads (invoices, cards, disputes, …) is empty.
    mount(
        Mock::given(method("GET")),
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [], "has_more": false})),
        10,
    );
    rt.block_on(
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "error": {"message": "Invalid API Key provided: sk_wrong", "type": "invalid_request_error"}
            })))
            .with_priority(20)
            .mount(&server.mock),
    );
    server
}

/// An app whose SaaS client trusts the server's CA and may call localhost.
fn app_for(server: &HttpsServer) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let app = TestApp::with(|settings| {
        settings.saas.allowed_hosts = vec!["localhost".to_owned()];
        settings.saas.extra_root_certs = Some(ca);
    });
    (app, dir)
}

/// Creates a connection from the shipped template `kind` as `instance` with `secrets`.
async fn instantiate<S, B>(service: &S, root: &str, kind: &str, instance: &str, secrets: Value)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let created = send(
        service,
        TestRequest::post()
            .uri(&format!("/api/v1/connection/instantiate/{kind}"))
            .insert_header(bearer(root))
            .set_json(json!({"instance_key": instance, "secrets": secrets})),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
}

/// Runs Jane's request under a new policy `key` of `rules`; returns its id and her access package.
async fn janes_package<S, B>(service: &S, root: &str, key: &str, rules: Value) -> (String, Value)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    create_policy(service, root, key, rules).await;
    let request =
        create_request(service, root, json!({"identity": {"email": "jane@example.com"}, "policy_key": key})).await;
    let done = wait_done(service, root, &request).await;
    assert_eq!(done["status"], "complete", "{done}");
    let packages = download_packages(service, root, &request).await;
    let package = serde_json::from_slice(&packages[0].1).unwrap();
    (request, package)
}

#[test]
fn stripe_connections_are_instantiated_managed_and_run_by_requests() {
    let rt = runtime();
    let server = stripe_server(&rt);
    let (app, _ca) = app_for(&server);
    let domain = format!("localhost:{}", server.port);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        let get = |uri: String| TestRequest::get().uri(&uri).insert_header(bearer(&root));

        // The nine templates are connection types with their secrets schemas.
        let types = send(&service, get("/api/v1/connection_type?system_type=saas".into())).await;
        assert_eq!(types.status, StatusCode::OK, "{:?}", types.body);
        assert_eq!(types.body["total"], 9, "{:?}", types.body);
        let stripe = types.body["items"].as_array().unwrap().iter().find(|t| t["identifier"] == "stripe").unwrap();
        assert_eq!(stripe["type"], "saas");
        assert_eq!(stripe["supported_actions"], json!(["access", "erasure"]));
        let schema = send(&service, get("/api/v1/connection_type/stripe/secret".into())).await;
        assert_eq!(schema.body["required"], json!(["api_key"]), "{:?}", schema.body);
        assert_eq!(schema.body["properties"]["domain"]["default"], "api.stripe.com");

        // Instantiation checks the secrets against the template, then creates both.
        let instantiate_stripe = |body: Value| {
            TestRequest::post().uri("/api/v1/connection/instantiate/stripe").insert_header(bearer(&root)).set_json(body)
        };
        let missing = send(&service, instantiate_stripe(json!({"instance_key": "stripe_acme", "secrets": {}}))).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", missing.body);
        assert_eq!(missing.body["detail"][0]["loc"][1], "secrets", "{:?}", missing.body);
        assert!(missing.body["detail"][0]["msg"].as_str().unwrap().contains("api_key"), "{:?}", missing.body);
        let unknown = send(
            &service,
            TestRequest::post()
                .uri("/api/v1/connection/instantiate/zendesk")
                .insert_header(bearer(&root))
                .set_json(json!({"instance_key": "z", "secrets": {}})),
        )
        .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(unknown.body["detail"].as_str().unwrap().contains("SaaS connector type 'zendesk'"), "{:?}", unknown.body);
        let body = json!({"instance_key": "stripe_acme", "secrets": {"domain": domain, "api_key": "sk_wrong"}});
        let created = send(&service, instantiate_stripe(body.clone())).await;
        assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
        assert_eq!(created.body["connection"]["key"], "stripe_acme");
        assert_eq!(created.body["connection"]["connection_type"], "saas");
        assert_eq!(created.body["connection"]["access"], "write");
        assert_eq!(created.body["connection"]["secrets"]["api_key"], "**********");
        assert_eq!(
            created.body["connection"]["saas_config"],
            json!({"fides_key": "stripe_acme", "name": "Stripe", "type": "stripe"})
        );
        assert_eq!(created.body["dataset"]["fides_key"], "stripe_acme");
        let again = send(&service, instantiate_stripe(body)).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert_eq!(again.body["detail"], "SaaS connector instance key 'stripe_acme' already exists.");

        // The connection test runs the config's test_request: a wrong key gives Stripe's reason.
        let tested = send(&service, get("/api/v1/connection/stripe_acme/test".into())).await;
        assert_eq!(tested.body["test_status"], "failed", "{:?}", tested.body);
        let reason = tested.body["failure_reason"].as_str().unwrap();
        assert!(reason.contains("Invalid API Key provided"), "{reason}");
        let fixed = send(
            &service,
            TestRequest::put()
                .uri("/api/v1/connection/stripe_acme/secret?verify=true")
                .insert_header(bearer(&root))
                .set_json(json!({"domain": domain, "api_key": "sk_test_1"})),
        )
        .await;
        assert_eq!(fixed.body["test_status"], "succeeded", "{:?}", fixed.body);

        // The config: read, validated, refused with code in it, and kept while in use.
        let config = send(&service, get("/api/v1/connection/stripe_acme/saas_config".into())).await;
        assert_eq!(config.body["fides_key"], "stripe_acme");
        let mut overridden = config.body.clone();
        overridden["test_request"]["request_override"] = json!("my_function");
        let refused = send(
            &service,
            TestRequest::patch()
                .uri("/api/v1/connection/stripe_acme/saas_config")
                .insert_header(bearer(&root))
                .set_json(overridden),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
        assert_eq!(refused.body["detail"][0]["loc"], json!(["body", "test_request", "request_override"]));
        let yaml = format!("saas_config:\n  {}", serde_json::to_string(&config.body).unwrap());
        let validated = send(
            &service,
            TestRequest::put()
                .uri("/api/v1/connection/anything/validate_saas_config")
                .insert_header(bearer(&root))
                .insert_header(("Content-Type", "application/x-yaml"))
                .set_payload(yaml),
        )
        .await;
        assert_eq!(validated.status, StatusCode::OK, "{:?}", validated.body);
        assert_eq!(validated.body["validation_details"]["msg"], "Validation successful");
        let kept = send(
            &service,
            TestRequest::delete().uri("/api/v1/connection/stripe_acme/saas_config").insert_header(bearer(&root)),
        )
        .await;
        assert_eq!(kept.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            kept.body["detail"],
            "Must delete the dataset with fides_key 'stripe_acme' before deleting this SaaS config. Must clear the \
             secrets from this connection config before deleting the SaaS config."
        );

        // A request: the package holds Jane's customer and her three charges, and erasure
        // sends her customer back with the name masked.
        let (request, package) = janes_package(&service, &root, "stripe_policy", json!([
                {"key": "stripe_access", "action_type": "access", "targets": ["user", "system"]},
                {"key": "stripe_erasure", "action_type": "erasure", "masking_strategy": {"strategy": "null_rewrite"}, "targets": ["user.name"]}
            ])).await;
        let customers = package["stripe_acme:customer"].as_array().unwrap();
        assert_eq!(customers.len(), 1, "{package}");
        assert_eq!(customers[0]["email"], "jane@example.com");
        assert_eq!(customers[0]["name"], "Jane Doe");
        let charges: Vec<&str> =
            package["stripe_acme:charge"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(charges, ["ch_1", "ch_2", "ch_3"], "{package}");
        let log = send(&service, get(format!("/api/v1/privacy-request/{request}/log?size=100"))).await;
        let erased = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action_type"] == "erasure" && e["collection_name"] == "customer")
            .unwrap_or_else(|| panic!("{}", log.body))
            .clone();
        assert!(erased["message"].as_str().unwrap().starts_with("Masked 1 row(s)"), "{erased}");
    });

    let received = server.received(&rt);
    let updates: Vec<&connectors::testing::wiremock::Request> =
        received.iter().filter(|r| r.method.as_str() == "POST").collect();
    assert_eq!(updates.len(), 1, "one update, for Jane's one customer");
    assert_eq!(updates[0].url.path(), "/v1/customers/cus_1");
    // Stripe's form encoding of the customer: the declared fields that may be written (id and
    // object are read-only), name masked to null, nested address in brackets.
    let form: Vec<(String, String)> = form_urlencoded::parse(&updates[0].body).into_owned().collect();
    let expected = [("email", "jane@example.com"), ("name", ""), ("address[city]", "Berlin")];
    assert_eq!(form, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    // Every data call carried Jane's values: customers by her email, charges by her customer id
    // (the two connection tests' GET /v1/customers has no query).
    let customers: Vec<Option<&str>> =
        received.iter().filter(|r| r.url.path() == "/v1/customers").map(|r| r.url.query()).collect();
    assert_eq!(customers, [None, None, Some("email=jane%40example.com")]);
    let charges: Vec<Option<&str>> =
        received.iter().filter(|r| r.url.path() == "/v1/charges").map(|r| r.url.query()).collect();
    // Cursor pages (Stripe's starting_after) go on until a page is empty.
    let pages =
        ["", "&starting_after=ch_2", "&starting_after=ch_3"].map(|after| format!("customer=cus_1&limit=100{after}"));
    assert_eq!(charges, pages.iter().map(|p| Some(p.as_str())).collect::<Vec<_>>());
}

/// HubSpot's contacts nest the subject's fields under `properties`: erasure masks the nested
/// fields the rule targets and PATCHes exactly those (`<masked_object_fields>`), and the
/// "list everything" owners endpoint keeps only the subject's owner in the package.
#[test]
fn hubspot_nested_fields_are_masked_through_the_api() {
    let rt = runtime();
    let server = HttpsServer::start(&rt);
    let mount = |mock: MockBuilder, reply: ResponseTemplate, priority: u8| {
        let authenticated = mock.and(header("Authorization", "Bearer pat-1"));
        rt.block_on(authenticated.respond_with(reply).with_priority(priority).mount(&server.mock));
    };
    let contact =
        json!({"id": "101", "properties": {"email": "jane@example.com", "firstname": "Jane", "company": "Acme"}});
    mount(
        Mock::given(method("POST")).and(path("/crm/v3/objects/contacts/search")),
        ResponseTemplate::new(200).set_body_json(json!({"total": 1, "results": [contact]})),
        1,
    );
    mount(
        Mock::given(method("GET")).and(path("/crm/v3/owners")),
        ResponseTemplate::new(200).set_body_json(json!({"results": [
            {"id": "o1", "email": "boss@example.com", "firstName": "Boss"},
            {"id": "o2", "email": "jane@example.com", "firstName": "Jane"}
        ]})),
        1,
    );
    mount(Mock::given(method("PATCH")), ResponseTemplate::new(200).set_body_json(json!({"id": "101"})), 1);
    mount(Mock::given(method("GET")), ResponseTemplate::new(200).set_body_json(json!({"results": []})), 10);
    let (app, _ca) = app_for(&server);
    let domain = format!("localhost:{}", server.port);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        instantiate(
            &service,
            &root,
            "hubspot",
            "hubspot_acme",
            json!({"domain": domain, "private_app_token": "pat-1"}),
        )
        .await;
        let (_, package) = janes_package(
            &service,
            &root,
            "hubspot_policy",
            json!([
                {"key": "hubspot_access", "action_type": "access", "targets": ["user"]},
                {"key": "hubspot_erasure", "action_type": "erasure",
                 "masking_strategy": {"strategy": "string_rewrite", "configuration": {"rewrite_value": "MASKED"}},
                 "targets": ["user.name"]}
            ]),
        )
        .await;
        assert_eq!(package["hubspot_acme:contacts"][0]["properties"]["firstname"], "Jane", "{package}");
        let owners: Vec<&str> =
            package["hubspot_acme:owners"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
        assert_eq!(owners, ["o2"], "only the subject's owner: {package}");
    });
    let patches: Vec<connectors::testing::wiremock::Request> =
        server.received(&rt).into_iter().filter(|r| r.method.as_str() == "PATCH").collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].url.path(), "/crm/v3/objects/contacts/101");
    // Only the targeted field the contact has (firstname; it has no lastname), nested back.
    let body: Value = serde_json::from_slice(&patches[0].body).unwrap();
    assert_eq!(body, json!({"properties": {"firstname": "MASKED"}}));
}

/// Fides' other way in: `PATCH /connection` items of type `saas` naming a template create the
/// connection and its dataset; secrets are checked per item and never echoed, not even back
/// in `failed`.
#[actix_web::test]
async fn bulk_upserts_instantiate_templates_and_check_their_secrets() {
    let (_app, service, root) = lethe_tests::ready().await;
    let upsert =
        |items: Value| TestRequest::patch().uri("/api/v1/connection").insert_header(bearer(&root)).set_json(items);
    let item = |key: &str, secrets: Value| {
        json!({"key": key, "name": "Stripe (bulk)", "connection_type": "saas", "saas_connector_type": "stripe",
               "access": "read", "secrets": secrets})
    };
    let saved = send(
        &service,
        upsert(json!([
            item("stripe_bulk", json!({"api_key": "sk_live_secret"})),
            item("stripe_bad", json!({"api_key": ""}))
        ])),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    let created = &saved.body["succeeded"][0];
    assert_eq!(created["key"], "stripe_bulk");
    assert_eq!(created["access"], "read");
    assert_eq!(created["saas_config"]["type"], "stripe");
    assert_eq!(created["secrets"], json!({"domain": "api.stripe.com", "api_key": "**********"}));
    let failed = &saved.body["failed"][0];
    assert!(
        failed["message"].as_str().unwrap().contains("stripe_schema must be supplied all of: [api_key]"),
        "{failed}"
    );
    assert!(failed["data"].get("secrets").is_none(), "{failed}");
    assert!(!saved.body.to_string().contains("sk_live_secret"));
    let datasets =
        send(&service, TestRequest::get().uri("/api/v1/connection/stripe_bulk/dataset").insert_header(bearer(&root)))
            .await;
    assert_eq!(datasets.body["items"][0]["fides_key"], "stripe_bulk", "{:?}", datasets.body);
    assert_eq!(datasets.body["total"], 1);
    let missing =
        send(&service, TestRequest::get().uri("/api/v1/connection/stripe_bad").insert_header(bearer(&root))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "a refused item leaves nothing");
    // Secrets are an object, or the body is refused naming them.
    let list = send(&service, upsert(json!([item("stripe_list", json!(["sk_live_secret"]))]))).await;
    assert_eq!(list.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", list.body);
    assert_eq!(list.body["detail"][0]["loc"], json!(["body", 0, "secrets"]), "{:?}", list.body);
    // An existing connection takes new secrets, checked against its config.
    let updated =
        send(&service, upsert(json!([item("stripe_bulk", json!({"api_key": "sk_2", "domain": "evil.io"}))]))).await;
    assert!(
        updated.body["failed"][0]["message"].as_str().unwrap().contains("not an allowed host"),
        "{:?}",
        updated.body
    );
    let updated = send(&service, upsert(json!([item("stripe_bulk", json!({"api_key": "sk_2"}))]))).await;
    assert_eq!(updated.body["succeeded"][0]["secrets"]["api_key"], "**********", "{:?}", updated.body);
}

/// Grouped inputs through the graph (Shopify's comments take a blog and an article together):
/// each upstream article gives one call with its own blog, never a blog crossed with another
/// blog's article, and the identity filter keeps only the subject's comments.
#[test]
fn grouped_inputs_keep_each_upstream_record_together() {
    let rt = runtime();
    let server = HttpsServer::start(&rt);
    let mount = |mock: MockBuilder, reply: ResponseTemplate, priority: u8| {
        let authenticated = mock.and(header("X-Shopify-Access-Token", "shpat_1"));
        rt.block_on(authenticated.respond_with(reply).with_priority(priority).mount(&server.mock));
    };
    let api = "/admin/api/2022-07";
    mount(
        Mock::given(method("GET")).and(path(format!("{api}/blogs.json"))),
        ResponseTemplate::new(200).set_body_json(json!({"blogs": [{"id": "b1"}, {"id": "b2"}]})),
        1,
    );
    for (blog, article) in [("b1", "a1"), ("b2", "a2")] {
        mount(
            Mock::given(method("GET")).and(path(format!("{api}/blogs/{blog}/articles.json"))),
            ResponseTemplate::new(200).set_body_json(json!({"articles": [{"id": article, "blog_id": blog}]})),
            1,
        );
    }
    mount(
        Mock::given(method("GET")).and(path(format!("{api}/comments.json"))),
        ResponseTemplate::new(200).set_body_json(json!({"comments": [
            {"id": "c1", "email": "jane@example.com", "body": "Nice"},
            {"id": "c2", "email": "bob@example.com", "body": "Meh"}
        ]})),
        1,
    );
    mount(Mock::given(method("GET")), ResponseTemplate::new(200).set_body_json(json!({})), 10);
    let (app, _ca) = app_for(&server);
    let domain = format!("localhost:{}", server.port);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        instantiate(&service, &root, "shopify", "shopify_acme", json!({"domain": domain, "access_token": "shpat_1"}))
            .await;
        let (_, package) = janes_package(
            &service,
            &root,
            "shopify_policy",
            json!([{"key": "shopify_access", "action_type": "access", "targets": ["user"]}]),
        )
        .await;
        let comments = package["shopify_acme:blog_article_comments"].as_array().unwrap();
        // Jane's comment, once per article it was returned for; Bob's never.
        assert!(comments.iter().all(|c| c["email"] == "jane@example.com"), "{package}");
        assert!(!comments.is_empty(), "{package}");
    });
    let mut asked: Vec<String> = server
        .received(&rt)
        .iter()
        .filter(|r| r.url.path().ends_with("/comments.json"))
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    asked.sort();
    assert_eq!(asked, ["blog_id=b1&article_id=a1", "blog_id=b2&article_id=a2"]);
}

/// The shipped Gorgias template end to end: basic auth, cursor pages whose cursor sits in the
/// page's `meta` (not in a record), tickets read through the customer's id and messages through
/// each ticket's, and erasure PUTting each record's masked nested fields back, a message by its
/// ticket and its own id kept together.
#[test]
fn gorgias_reads_cursor_pages_and_masks_customers_tickets_and_messages() {
    let rt = runtime();
    let server = HttpsServer::start(&rt);
    // base64("agent@acme.io:gk_1")
    let basic = "Basic YWdlbnRAYWNtZS5pbzpna18x";
    let mount = |mock: MockBuilder, reply: ResponseTemplate| {
        rt.block_on(mock.and(header("Authorization", basic)).respond_with(reply).mount(&server.mock));
    };
    mount(
        Mock::given(method("GET")).and(path("/api/customers")).and(query_param("email", "jane@example.com")),
        ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": 7, "email": "jane@example.com", "name": "Jane Doe", "firstname": "Jane", "language": "en"}
        ], "meta": {"next_cursor": null}})),
    );
    let ticket = |id: i64| json!({"id": id, "subject": "Help", "customer": {"id": 7, "name": "Jane Doe"}});
    let tickets = || Mock::given(method("GET")).and(path("/api/tickets")).and(query_param("customer_id", "7"));
    mount(
        tickets().and(query_param_is_missing("cursor")),
        ResponseTemplate::new(200).set_body_json(json!({"data": [ticket(70)], "meta": {"next_cursor": "c2"}})),
    );
    mount(
        tickets().and(query_param("cursor", "c2")),
        ResponseTemplate::new(200).set_body_json(json!({"data": [ticket(71)], "meta": {"next_cursor": null}})),
    );
    mount(
        Mock::given(method("GET")).and(path("/api/messages")).and(query_param("ticket_id", "70")),
        ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": 700, "ticket_id": 70, "body_text": "Hi", "sender": {"email": "jane@example.com", "name": "Jane Doe"}}
        ], "meta": {"next_cursor": null}})),
    );
    mount(
        Mock::given(method("GET")).and(path("/api/messages")).and(query_param("ticket_id", "71")),
        ResponseTemplate::new(200).set_body_json(json!({"data": [], "meta": {"next_cursor": null}})),
    );
    mount(Mock::given(method("PUT")), ResponseTemplate::new(200).set_body_json(json!({})));
    let (app, _ca) = app_for(&server);
    let domain = format!("localhost:{}", server.port);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        let secrets = json!({"domain": domain, "username": "agent@acme.io", "api_key": "gk_1"});
        instantiate(&service, &root, "gorgias", "gorgias_acme", secrets).await;
        let (_, package) = janes_package(
            &service,
            &root,
            "gorgias_policy",
            json!([
                {"key": "gorgias_access", "action_type": "access", "targets": ["user"]},
                {"key": "gorgias_erasure", "action_type": "erasure",
                 "masking_strategy": {"strategy": "string_rewrite", "configuration": {"rewrite_value": "MASKED"}},
                 "targets": ["user.name"]}
            ]),
        )
        .await;
        // The rule returns the fields under `user` (ticket and message ids are not).
        let rows = |collection: &str| package[format!("gorgias_acme:{collection}")].as_array().unwrap().len();
        assert_eq!(package["gorgias_acme:customer"][0]["id"], 7, "{package}");
        assert_eq!(rows("tickets"), 2, "both cursor pages: {package}");
        assert_eq!(rows("ticket_messages"), 1, "{package}");
        assert_eq!(package["gorgias_acme:ticket_messages"][0]["sender"]["name"], "Jane Doe");
    });
    let mut puts: Vec<(String, Value)> = server
        .received(&rt)
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| (r.url.path().to_owned(), serde_json::from_slice(&r.body).unwrap()))
        .collect();
    puts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        puts,
        [
            ("/api/customers/7/".to_owned(), json!({"name": "MASKED", "firstname": "MASKED"})),
            ("/api/tickets/70/".to_owned(), json!({"customer": {"name": "MASKED"}})),
            ("/api/tickets/70/messages/700/".to_owned(), json!({"sender": {"name": "MASKED"}})),
            ("/api/tickets/71/".to_owned(), json!({"customer": {"name": "MASKED"}})),
        ]
    );
}

/// The shipped SurveyMonkey template end to end: bearer auth, offset pages (`page` counted up
/// until a page is empty), surveys listed for anyone and narrowed through collectors to the
/// subject's responses, and erasure by delete: the contact, and each response by its collector
/// and its own id kept together.
#[test]
fn surveymonkey_pages_by_offset_and_deletes_the_subjects_records() {
    let rt = runtime();
    let server = HttpsServer::start(&rt);
    let mount = |mock: MockBuilder, reply: ResponseTemplate, priority: u8| {
        let authenticated = mock.and(header("Authorization", "Bearer smt_1"));
        rt.block_on(authenticated.respond_with(reply).with_priority(priority).mount(&server.mock));
    };
    let page_one = |p: &str, data: Value| {
        mount(
            Mock::given(method("GET")).and(path(p)).and(query_param("page", "1")),
            ResponseTemplate::new(200).set_body_json(json!({"data": data})),
            1,
        );
    };
    mount(
        Mock::given(method("GET"))
            .and(path("/v3/contacts"))
            .and(query_param("search_by", "email"))
            .and(query_param("search", "jane@example.com")),
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": [{"id": "c1", "first_name": "Jane", "email": "jane@example.com"}]})),
        1,
    );
    page_one("/v3/surveys", json!([{"id": "s1", "title": "NPS"}]));
    page_one("/v3/surveys/s1/collectors", json!([{"id": "k1", "name": "Web link"}]));
    page_one(
        "/v3/collectors/k1/responses/bulk",
        json!([{"id": "r1", "collector_id": "k1", "first_name": "Jane", "email_address": "jane@example.com"}]),
    );
    // Page 2 of every list is empty.
    mount(Mock::given(method("GET")), ResponseTemplate::new(200).set_body_json(json!({"data": []})), 10);
    mount(Mock::given(method("DELETE")), ResponseTemplate::new(204), 1);
    let (app, _ca) = app_for(&server);
    let domain = format!("localhost:{}", server.port);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        instantiate(&service, &root, "surveymonkey", "surveymonkey_acme", json!({"domain": domain, "api_token": "smt_1"})).await;
        let (_, package) = janes_package(&service, &root, "surveymonkey_policy", json!([
                {"key": "sm_access", "action_type": "access", "targets": ["user"]},
                {"key": "sm_erasure", "action_type": "erasure", "masking_strategy": {"strategy": "null_rewrite"}, "targets": ["user.name"]}
            ])).await;
        assert_eq!(package["surveymonkey_acme:contacts"][0]["first_name"], "Jane", "{package}");
        assert_eq!(package["surveymonkey_acme:survey_responses"][0]["email_address"], "jane@example.com", "{package}");
    });
    let received = server.received(&rt);
    let mut deletes: Vec<&str> =
        received.iter().filter(|r| r.method.as_str() == "DELETE").map(|r| r.url.path()).collect();
    deletes.sort_unstable();
    assert_eq!(deletes, ["/v3/collectors/k1/responses/r1", "/v3/contacts/c1"]);
    // Offset pages: page 1, then page 2 (empty) ends each list.
    let pages = |p: &str| -> Vec<String> {
        received
            .iter()
            .filter(|r| r.url.path() == p)
            .map(|r| r.url.query_pairs().find(|(k, _)| k == "page").map(|(_, v)| v.into_owned()).unwrap_or_default())
            .collect()
    };
    assert_eq!(pages("/v3/surveys"), ["1", "2"]);
    assert_eq!(pages("/v3/collectors/k1/responses/bulk"), ["1", "2"]);
}

/// A SaaS collection reached from a database (Braintree's external reference): the operator
/// names the column of their own store that holds Braintree's customer ids, the request reads
/// the subject's row there, then searches Braintree's GraphQL API by that id, and erasure masks
/// the subject in both places, Braintree through its `updateCustomer` mutation.
#[test]
fn an_external_reference_reaches_braintree_from_the_customer_database() {
    let rt = runtime();
    let server = HttpsServer::start(&rt);
    // base64("pub_1:priv_1")
    let mount = |mock: MockBuilder, reply: ResponseTemplate| {
        let authenticated = mock.and(header("Authorization", "Basic cHViXzE6cHJpdl8x"));
        rt.block_on(authenticated.respond_with(reply).mount(&server.mock));
    };
    let graphql = || Mock::given(method("POST")).and(path("/graphql")).and(header("Braintree-Version", "2019-12-17"));
    mount(
        graphql().and(body_string_contains("CustomerSearchInput")).and(body_string_contains(r#""in": ["3"]"#)),
        ResponseTemplate::new(200).set_body_json(json!({"data": {"search": {"customers": {"edges": [
            {"node": {"id": "bt_3", "legacyId": "3", "firstName": "Jane", "lastName": "Customer"}}
        ]}}}})),
    );
    mount(
        graphql().and(body_string_contains("TransactionSearchInput")),
        ResponseTemplate::new(200).set_body_json(json!({"data": {"search": {"transactions": {"edges": []}}}})),
    );
    mount(
        graphql().and(body_string_contains("UpdateCustomer")),
        ResponseTemplate::new(200).set_body_json(json!({"data": {"updateCustomer": {"customer": {}}}})),
    );
    let (app, _ca) = app_for(&server);
    let domain = format!("localhost:{}", server.port);
    let db = CustomerDb::create(Kind::Sqlite);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        register(&service, &root, &db, "shop", "shop_db").await;
        // Braintree's template declares braintree_user_id but its reads name
        // braintree_customer_id (Fides' tests pass both): both are given.
        let reference = json!({"dataset": "shop_db", "field": "customer.id", "direction": "from"});
        let secrets = json!({"domain": domain, "public_key": "pub_1", "private_key": "priv_1",
                             "braintree_user_id": reference, "braintree_customer_id": reference});
        instantiate(&service, &root, "braintree", "braintree_acme", secrets).await;
        let (_, package) = janes_package(
            &service,
            &root,
            "bt_policy",
            json!([
                {"key": "bt_access", "action_type": "access", "targets": ["user"]},
                {"key": "bt_erasure", "action_type": "erasure",
                 "masking_strategy": {"strategy": "string_rewrite", "configuration": {"rewrite_value": "MASKED"}},
                 "targets": ["user.name"]}
            ]),
        )
        .await;
        assert_eq!(package["braintree_acme:customer"][0]["firstName"], "Jane", "{package}");
        assert_eq!(package["shop_db:customer"][0]["name"], "Jane Customer", "{package}");
    });
    assert_eq!(db.text("SELECT name FROM customer WHERE id = 3").as_deref(), Some("MASKED"));
    let updates: Vec<Value> = server
        .received(&rt)
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("UpdateCustomer"))
        .map(|r| r.body.clone())
        .map(|body| {
            // The template's GraphQL text has raw newlines inside its query string, which strict
            // JSON refuses; the variables are what matter.
            let text = String::from_utf8(body).unwrap();
            let variables = &text[text.find("\"variables\"").unwrap()..];
            serde_json::from_str(&format!("{{{}", variables)).unwrap()
        })
        .collect();
    assert_eq!(
        updates,
        [
            json!({"variables": {"input": {"customerId": "bt_3", "customer": {"firstName": "MASKED", "lastName": "MASKED"}}}})
        ]
    );
}

/// A helpdesk config of one's own: its tickets are listed by the subject's email, then kept only
/// where the requester is the customer the database holds for her (a filter by
/// `dataset_reference`, read after the table).
const HELPDESK: &str = r#"
saas_config:
  fides_key: helpdesk_1
  name: Helpdesk
  type: helpdesk
  description: Tickets filtered by a customer id of another dataset
  version: 0.0.1
  connector_params:
    - name: domain
    - name: api_key
      sensitive: True
  client_config:
    protocol: https
    host: <domain>
    authentication:
      strategy: bearer
      configuration:
        token: <api_key>
  test_request:
    method: GET
    path: /api/ping
  endpoints:
    - name: tickets
      after: [shop_db.customer]
      requests:
        read:
          method: GET
          path: /api/tickets
          query_params:
            - name: q
              value: <email>
          param_values:
            - name: email
              identity: email
          postprocessors:
            - strategy: filter
              configuration:
                field: requester_id
                value:
                  dataset_reference: shop_db.customer.id
"#;

#[test]
fn filters_by_dataset_reference_keep_the_records_of_the_customer_found_earlier() {
    let rt = runtime();
    let server = HttpsServer::start(&rt);
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/api/tickets"))
            .and(query_param("q", "jane@example.com"))
            .and(header("Authorization", "Bearer key_1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"id": "t1", "requester_id": 3, "subject": "my order"},
                {"id": "t2", "requester_id": 99, "subject": "someone else mentioning jane@example.com"}
            ])))
            .mount(&server.mock),
    );
    let (app, _ca) = app_for(&server);
    let domain = format!("localhost:{}", server.port);
    let db = CustomerDb::create(Kind::Sqlite);
    actix_web::rt::System::new().block_on(async {
        let service = app.service().await;
        let root = app.root_token();
        register(&service, &root, &db, "shop", "shop_db").await;
        let dataset = json!([{"fides_key": "helpdesk_1", "name": "Helpdesk", "collections": [{"name": "tickets", "fields": [
            {"name": "id", "data_categories": ["system.operations"], "fides_meta": {"primary_key": true}},
            {"name": "requester_id", "data_categories": ["user.unique_id"]},
            {"name": "subject", "data_categories": ["user.content"]}]}]}]);
        own_saas_connection(&service, &root, "helpdesk", HELPDESK, dataset).await;
        let set = send(
            &service,
            TestRequest::put()
                .uri("/api/v1/connection/helpdesk/secret")
                .insert_header(bearer(&root))
                .set_json(json!({"domain": domain, "api_key": "key_1"})),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        let (_, package) = janes_package(
            &service,
            &root,
            "helpdesk_policy",
            json!([{"key": "helpdesk_access", "action_type": "access", "targets": ["user"]}]),
        )
        .await;
        assert_eq!(package["shop_db:customer"][0]["id"], 3, "{package}");
        // t2 mentions her address but is someone else's; `id` (system.operations) is not a `user` field.
        assert_eq!(package["helpdesk_1:tickets"], json!([{"requester_id": 3, "subject": "my order"}]));
    });
}
