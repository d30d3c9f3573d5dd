//! The shipped Segment template over HTTPS: a second host with its own authentication per
//! request (`client_config` on the request), connector params as param values, a 404 the
//! config ignores, an object at `data_path`, and the top-level `data_protection_request` that
//! erases a collection without an update.

mod common;

use std::sync::Arc;

use connectors::saas::connection::SaasConnection;
use connectors::saas::mask::MaskedRecord;
use connectors::saas::read::Inputs;
use connectors::saas::templates;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

/// `Basic base64("sec_1:")` (an empty password), computed with coreutils' base64.
const PROFILES_AUTH: &str = "Basic c2VjXzE6";

#[test]
fn segment_reads_profiles_on_their_host_and_files_a_deletion_regulation() {
    let rt = common::runtime();
    let server = common::HttpsServer::start(&rt);
    let mount = |mock: Mock| rt.block_on(mock.mount(&server.mock));
    let profiles = "/v1/spaces/spa_1/collections/users/profiles";
    mount(
        Mock::given(method("GET"))
            .and(path(format!("{profiles}/user_id:jane@example.com/metadata")))
            .and(header("Authorization", PROFILES_AUTH))
            .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "not found"}))),
    );
    mount(
        Mock::given(method("GET"))
            .and(path(format!("{profiles}/email:jane@example.com/metadata")))
            .and(header("Authorization", PROFILES_AUTH))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"segment_id": "seg_1", "created_at": "2026-01-01"})),
            ),
    );
    mount(
        Mock::given(method("GET"))
            .and(path(format!("{profiles}/seg_1/traits")))
            .and(header("Authorization", PROFILES_AUTH))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"traits": {"user_id": "u1", "email": "jane@example.com"}, "cursor": {"url": ""}}),
            )),
    );
    let regulation =
        json!({"regulation_type": "Suppress_With_Delete", "attributes": {"name": "userId", "values": ["u1"]}});
    mount(
        Mock::given(method("POST"))
            .and(path("/v1beta/workspaces/ws_1/regulations"))
            .and(header("Authorization", "Bearer tok_1"))
            .and(body_json(&regulation))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"regulate_id": "r1"}}))),
    );

    let (config, _) = templates::find("segment").unwrap().instantiate("segment_1").unwrap();
    let host = format!("localhost:{}", server.port);
    let secrets = json!({"domain": host, "personas_domain": host, "workspace": "ws_1", "access_token": "tok_1",
                         "namespace_id": "spa_1", "access_secret": "sec_1"});
    let connection = SaasConnection::new(config, secrets, Arc::new(server.client()));
    let jane = common::Jane::new();
    let subject = jane.subject();
    let users = connection.read("segment_user", subject, &Inputs::default()).unwrap();
    assert_eq!(users, [json!({"segment_id": "seg_1", "created_at": "2026-01-01"})], "the 404 is read as no data");
    let inputs = Inputs {
        values: json!({"segment_id": ["seg_1"]}).as_object().unwrap().clone(),
        groups: Vec::new(),
        ..Inputs::default()
    };
    let traits = connection.read("traits", subject, &inputs).unwrap();
    assert_eq!(traits, [json!({"user_id": "u1", "email": "jane@example.com"})]);
    // segment_user has no update: the data protection request runs once for its record.
    let records = [MaskedRecord { record: users[0].clone(), object: None, masked: Vec::new() }];
    let upstream = Inputs {
        values: json!({"user_id": ["u1"]}).as_object().unwrap().clone(),
        groups: Vec::new(),
        ..Inputs::default()
    };
    assert_eq!(connection.mask("segment_user", subject, &records, &upstream).unwrap(), 1);
    let asked = server.received(&rt);
    assert_eq!(asked.len(), 2 + 1 + 1);
    let posts: Vec<&wiremock::Request> = asked.iter().filter(|r| r.method.as_str() == "POST").collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].headers.get("content-type").unwrap(), "application/json");
}
