//! Reading a shipped template's endpoints (Mailchimp: basic auth, offset pagination, an
//! identity-rooted "list everything" endpoint filtered by the subject, a reference from one
//! endpoint to another) against a local server speaking its wire format.

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

mod common;

use std::sync::Arc;

use common::runtime;
use connectors::saas::client::{ClientSettings, SaasClient};
use connectors::saas::connection::SaasConnection;
use connectors::saas::read::Inputs;
use connectors::saas::templates;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The Mailchimp template over plain HTTP to `server` (the HTTPS servers are in the other
/// template tests), with API key `api_key`.
fn mailchimp(server: &MockServer, api_key: &str) -> SaasConnection {
    let (mut config, _) = templates::find("mailchimp").unwrap().instantiate("mailchimp_1").unwrap();
    config.client_config.protocol = "http".to_owned();
    let secrets =
        json!({"domain": format!("localhost:{}", server.address().port()), "username": "user", "api_key": api_key});
    let client =
        SaasClient::new(ClientSettings { allowed_hosts: vec!["localhost".to_owned()], ..ClientSettings::default() })
            .unwrap();
    SaasConnection::new(config, secrets, Arc::new(client))
}

/// `Basic base64("user:key-123")`, computed with coreutils' base64.
const BASIC: &str = "Basic dXNlcjprZXktMTIz";

fn mount(rt: &tokio::runtime::Runtime, server: &MockServer, mock: Mock) {
    rt.block_on(mock.mount(server));
}

fn reply(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

#[test]
fn mailchimp_reads_exactly_the_subjects_records_across_pages() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let auth = || header("Authorization", BASIC);
    mount(&rt, &server, Mock::given(method("GET")).and(path("/3.0/search-members")).and(query_param("query", "jane@example.com")).and(auth())
        .respond_with(reply(json!({"exact_matches": {"members": [{"id": "m1", "list_id": "l1", "email_address": "jane@example.com"}]},
                                   "full_search": {"members": [{"id": "m9", "email_address": "janet@example.com"}]}}))));
    for (offset, ids) in [("0", vec!["c1", "c2"]), ("1000", vec!["c3"]), ("2000", vec![])] {
        let conversations: Vec<Value> = ids.iter().map(|id| json!({"id": id, "subject": "hello"})).collect();
        mount(
            &rt,
            &server,
            Mock::given(path("/3.0/conversations"))
                .and(query_param("count", "1000"))
                .and(query_param("offset", offset))
                .and(auth())
                .respond_with(reply(json!({"conversations": conversations}))),
        );
    }
    let messages = |list: Value| reply(json!({"conversation_messages": list}));
    mount(
        &rt,
        &server,
        Mock::given(path("/3.0/conversations/c1/messages")).and(auth()).respond_with(messages(json!([
        {"id": "a", "from_email": "jane@example.com"}, {"id": "b", "from_email": "someone@example.com"}]))),
    );
    mount(
        &rt,
        &server,
        Mock::given(path("/3.0/conversations/c2/messages")).and(auth()).respond_with(messages(json!([]))),
    );
    mount(
        &rt,
        &server,
        Mock::given(path("/3.0/conversations/c3/messages")).and(auth()).respond_with(messages(json!([
        {"id": "c", "from_email": "jane@example.com"}]))),
    );

    let connection = mailchimp(&server, "key-123");
    let jane = common::Jane::new();
    let reader = |endpoint: &str, inputs: &Inputs| connection.read(endpoint, jane.subject(), inputs);
    let members = reader("member", &Inputs::default()).unwrap();
    assert_eq!(members, [json!({"id": "m1", "list_id": "l1", "email_address": "jane@example.com"})]);
    let conversations = reader("conversations", &Inputs::default()).unwrap();
    let ids: Vec<&str> = conversations.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);
    let inputs = Inputs {
        values: json!({"conversation_id": ["c1", "c2", "c3"]}).as_object().unwrap().clone(),
        groups: Vec::new(),
        ..Inputs::default()
    };
    let found = reader("messages", &inputs).unwrap();
    let ids: Vec<&str> = found.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "c"], "only the subject's messages pass the filter");
    // Without upstream values there is nothing to ask for.
    assert_eq!(reader("messages", &Inputs::default()).unwrap(), Vec::<Value>::new());
    let asked = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(asked.len(), 1 + 3 + 3, "one search, three conversation pages, three message lists");
}

#[test]
fn a_wrong_credential_gives_the_apis_reason() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    mount(
        &rt,
        &server,
        Mock::given(path("/3.0/search-members")).respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"title": "API Key Invalid", "detail": "Your API key may be invalid"})),
        ),
    );
    let connection = mailchimp(&server, "wrong");
    let jane = common::Jane::new();
    let error = connection.read("member", jane.subject(), &Inputs::default()).unwrap_err().0;
    assert!(error.contains("401") && error.contains("API Key Invalid"), "{error}");
    assert!(!error.contains("wrong"), "the secret is not in the error: {error}");
}

/// A config of one's own using `output` templates (rows rebuilt from each record, and rows made
/// without a call) and `<field_list>`.
fn output_config(server: &MockServer) -> SaasConnection {
    let reference = json!([{"dataset": "out_1", "field": "people.id", "direction": "from"}]);
    let config = connectors::saas::from_value(json!({
        "fides_key": "out_1", "name": "Out", "type": "out", "description": "output templates", "version": "0.0.1",
        "connector_params": [{"name": "domain"}],
        "client_config": {"protocol": "http", "host": "<domain>"},
        "test_request": {"method": "GET", "path": "/ping"},
        "endpoints": [
            {"name": "people", "requests": {"read": {
                "method": "GET", "path": "/people",
                "query_params": [{"name": "email", "value": "<email>"}, {"name": "fields", "value": "<field_list>"}],
                "param_values": [{"name": "email", "identity": "email"}],
                "output": "{<all_object_fields>, \"source\": \"people-api\", \"request\": \"<privacy_request_id>\"}"
            }}},
            {"name": "ids", "requests": {
                "read": {"method": "GET", "output": "{\"id\": \"<user_id>\"}",
                         "param_values": [{"name": "user_id", "references": reference}]},
                "delete": {"method": "DELETE", "path": "/people/<user_id>",
                           "param_values": [{"name": "user_id", "references": reference}]}
            }}
        ]
    }))
    .unwrap();
    let secrets = json!({"domain": format!("localhost:{}", server.address().port())});
    let client =
        SaasClient::new(ClientSettings { allowed_hosts: vec!["localhost".to_owned()], ..ClientSettings::default() })
            .unwrap();
    SaasConnection::new(config, secrets, Arc::new(client))
}

#[test]
fn output_templates_rebuild_records_and_make_rows_without_a_call() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    mount(
        &rt,
        &server,
        Mock::given(method("GET"))
            .and(path("/people"))
            .and(query_param("email", "jane@example.com"))
            .and(query_param("fields", "id,email"))
            .respond_with(reply(json!([{"id": "p1", "email": "jane@example.com"}]))),
    );
    let connection = output_config(&server);
    let identities = json!({"email": "jane@example.com"}).as_object().unwrap().clone();
    let references = serde_json::Map::new();
    let subject = connectors::saas::connection::Subject {
        identities: &identities,
        references: &references,
        privacy_request_id: "pri_1",
    };
    let inputs = Inputs { field_list: "id,email".to_owned(), ..Inputs::default() };
    let people = connection.read("people", subject, &inputs).unwrap();
    assert_eq!(people, [json!({"id": "p1", "email": "jane@example.com", "source": "people-api", "request": "pri_1"})]);
    // No path: one row per upstream value, no call made.
    let upstream =
        Inputs { values: json!({"user_id": ["p1", "p2"]}).as_object().unwrap().clone(), ..Inputs::default() };
    let calls_before = rt.block_on(server.received_requests()).unwrap().len();
    let ids = connection.read("ids", subject, &upstream).unwrap();
    assert_eq!(ids, [json!({"id": "p1"}), json!({"id": "p2"})]);
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), calls_before);
}
