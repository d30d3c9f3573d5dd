//! The shipped HubSpot template over HTTPS: bearer auth, a POST search with a JSON body, link
//! pagination from the body, a "list everything" endpoint filtered to the subject, and the
//! PATCH update carrying `<masked_object_fields>`.

mod common;

use std::sync::Arc;

use connectors::saas::connection::SaasConnection;
use connectors::saas::mask::MaskedRecord;
use connectors::saas::read::Inputs;
use connectors::saas::templates;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

#[test]
fn hubspot_searches_pages_filters_and_updates_the_subject() {
    let rt = common::runtime();
    let server = common::HttpsServer::start(&rt);
    let hubspot = |mock: MockBuilder, reply: ResponseTemplate| {
        rt.block_on(mock.and(header("Authorization", "Bearer pat-1")).respond_with(reply).mount(&server.mock));
    };
    let search = json!({"filterGroups": [{"filters": [{"value": "jane@example.com", "propertyName": "email", "operator": "EQ"}]}]});
    let contact = json!({"id": "101", "properties": {"email": "jane@example.com", "firstname": "Jane"}});
    hubspot(
        Mock::given(method("POST"))
            .and(path("/crm/v3/objects/contacts/search"))
            .and(query_param("limit", "100"))
            .and(header("Content-Type", "application/json"))
            .and(body_json(&search)),
        ResponseTemplate::new(200).set_body_json(json!({"total": 1, "results": [contact]})),
    );
    // Owners: every owner, two pages linked from the body; only the subject is kept.
    hubspot(
        Mock::given(method("GET")).and(path("/crm/v3/owners")).and(query_param_is_missing("after")),
        ResponseTemplate::new(200).set_body_json(json!({
            "results": [{"id": "o1", "email": "boss@example.com"}],
            "paging": {"next": {"after": "o1", "link": "https://elsewhere.example/crm/v3/owners?limit=100&after=o1"}}})),
    );
    hubspot(
        Mock::given(method("GET")).and(path("/crm/v3/owners")).and(query_param("after", "o1")),
        ResponseTemplate::new(200).set_body_json(json!({"results": [{"id": "o2", "email": "jane@example.com"}]})),
    );
    hubspot(
        Mock::given(method("PATCH"))
            .and(path("/crm/v3/objects/contacts/101"))
            .and(body_json(json!({"properties": {"firstname": "MASKED"}}))),
        ResponseTemplate::new(200).set_body_json(json!({"id": "101"})),
    );

    let (config, _) = templates::find("hubspot").unwrap().instantiate("hubspot_1").unwrap();
    let secrets = json!({"domain": format!("localhost:{}", server.port), "private_app_token": "pat-1"});
    let connection = SaasConnection::new(config, secrets, Arc::new(server.client()));
    let jane = common::Jane::new();
    let subject = jane.subject();
    let contacts = connection.read("contacts", subject, &Inputs::default()).unwrap();
    assert_eq!(contacts, std::slice::from_ref(&contact));
    let owners = connection.read("owners", subject, &Inputs::default()).unwrap();
    assert_eq!(owners, [json!({"id": "o2", "email": "jane@example.com"})]);
    let records = [MaskedRecord {
        record: contact,
        object: None,
        masked: vec![("properties.firstname".to_owned(), json!("MASKED"))],
    }];
    assert_eq!(connection.mask("contacts", subject, &records, &Inputs::default()).unwrap(), 1);
    let asked = server.received(&rt);
    // One search, two owner pages (the link's host ignored: both went to the local server), one update.
    assert_eq!(asked.len(), 4);
    assert_eq!(asked.iter().filter(|r| r.method.as_str() == "PATCH").count(), 1);
}
