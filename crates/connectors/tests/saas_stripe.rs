//! The shipped Stripe template, unchanged, over HTTPS against a local server speaking Stripe's
//! wire format: api_key headers, lookup by email, cursor pagination of charges, and the
//! erasure update with a form-encoded `<all_object_fields>` body.

mod common;

use connectors::saas::mask::{MaskedRecord, Masker};
use connectors::saas::read::{Inputs, Reader};
use connectors::saas::request::Context;
use connectors::saas::templates;
use serde_json::{Map, Value, json};
use wiremock::matchers::{body_string, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

#[test]
fn stripe_reads_the_subject_over_https_and_masks_the_customer() {
    let rt = common::runtime();
    let server = common::HttpsServer::start(&rt);
    let stripe = |mock: MockBuilder, reply: ResponseTemplate| {
        let authenticated =
            mock.and(header("Authorization", "Bearer sk_test_1")).and(header("Stripe-Version", "2022-08-01"));
        rt.block_on(authenticated.respond_with(reply).mount(&server.mock));
    };
    let customer = json!({"id": "cus_1", "object": "customer", "email": "jane@example.com", "name": "Jane Doe"});
    stripe(
        Mock::given(method("GET")).and(path("/v1/customers")).and(query_param("email", "jane@example.com")),
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [customer], "has_more": false})),
    );
    let page = |ids: &[&str]| {
        let data: Vec<Value> = ids.iter().map(|id| json!({"id": id, "customer": "cus_1", "amount": 100})).collect();
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data, "has_more": !ids.is_empty()}))
    };
    let charges =
        || Mock::given(path("/v1/charges")).and(query_param("customer", "cus_1")).and(query_param("limit", "100"));
    stripe(charges().and(query_param_is_missing("starting_after")), page(&["ch_1", "ch_2"]));
    stripe(charges().and(query_param("starting_after", "ch_2")), page(&["ch_3"]));
    stripe(charges().and(query_param("starting_after", "ch_3")), page(&[]));
    stripe(
        Mock::given(method("POST"))
            .and(path("/v1/customers/cus_1"))
            .and(header("Content-Type", "application/x-www-form-urlencoded"))
            .and(body_string("id=cus_1&object=customer&email=jane%40example.com&name=")),
        ResponseTemplate::new(200).set_body_json(json!({"id": "cus_1"})),
    );

    let (config, _) = templates::find("stripe").unwrap().instantiate("stripe_1").unwrap();
    let secrets = json!({"domain": format!("localhost:{}", server.port), "api_key": "sk_test_1"});
    let identities: Map<String, Value> = json!({"email": "jane@example.com"}).as_object().unwrap().clone();
    let references = Map::new();
    let client = server.client();
    let context = Context { secrets: &secrets, identities: &identities, references: &references };
    let reader = Reader { client: &client, config: &config, context, privacy_request_id: "pri_1" };
    let customers = reader.read("customer", &Inputs::default()).unwrap();
    assert_eq!(customers, std::slice::from_ref(&customer));
    let inputs = Inputs {
        values: json!({"customer_id": ["cus_1"]}).as_object().unwrap().clone(),
        groups: Vec::new(),
        ..Inputs::default()
    };
    let charges = reader.read("charge", &inputs).unwrap();
    let ids: Vec<&str> = charges.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ch_1", "ch_2", "ch_3"]);

    let masker = Masker { client: &client, config: &config, context, privacy_request_id: "pri_1" };
    let records = [MaskedRecord { record: customer, object: None, masked: vec![("name".to_owned(), Value::Null)] }];
    assert_eq!(masker.mask("customer", &records, &Inputs::default()).unwrap(), 1);
    let posts: Vec<wiremock::Request> =
        server.received(&rt).into_iter().filter(|r| r.method.as_str() == "POST").collect();
    assert_eq!(posts.len(), 1, "one update for the one customer");
    // Another subject's customer is never asked for: every GET carried the subject's values.
    assert_eq!(server.received(&rt).len(), 1 + 3 + 1);

    // Without the test CA among its roots, the client refuses the server's certificate.
    let untrusting = connectors::saas::client::SaasClient::new(connectors::saas::client::ClientSettings {
        allowed_hosts: vec!["localhost".to_owned()],
        ..Default::default()
    })
    .unwrap();
    let reader = Reader { client: &untrusting, config: &config, context, privacy_request_id: "pri_1" };
    let error = reader.read("customer", &Inputs::default()).unwrap_err().0;
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(!error.contains("sk_test_1"), "{error}");
}
