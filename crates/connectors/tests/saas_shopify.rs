//! The shipped Shopify template over HTTPS: an api_key header, `Link: <…>; rel="next"` pages,
//! grouped inputs (one call per upstream article, blog and article kept together, never
//! crossed), the identity filter, and an update wrapping `<masked_object_fields>`.

mod common;

use std::sync::Arc;

use connectors::saas::connection::SaasConnection;
use connectors::saas::mask::MaskedRecord;
use connectors::saas::read::Inputs;
use connectors::saas::templates;
use serde_json::{Map, Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

#[test]
fn shopify_pages_by_link_headers_groups_inputs_and_wraps_the_update() {
    let rt = common::runtime();
    let server = common::HttpsServer::start(&rt);
    let shop = |mock: MockBuilder, reply: ResponseTemplate| {
        rt.block_on(mock.and(header("X-Shopify-Access-Token", "shpat_1")).respond_with(reply).mount(&server.mock));
    };
    let customers = "/admin/api/2022-07/customers.json";
    let next = format!("<https://localhost:{}{customers}?page_info=p2&limit=50>; rel=\"next\"", server.port);
    shop(
        Mock::given(method("GET"))
            .and(path(customers))
            .and(query_param("email", "jane@example.com"))
            .and(query_param_is_missing("page_info")),
        ResponseTemplate::new(200)
            .insert_header("Link", next.as_str())
            .set_body_json(json!({"customers": [{"id": 1, "email": "jane@example.com"}]})),
    );
    shop(
        Mock::given(method("GET"))
            .and(path(customers))
            .and(query_param("page_info", "p2"))
            .and(query_param("limit", "50")),
        ResponseTemplate::new(200).set_body_json(json!({"customers": [{"id": 2, "email": "jane@example.com"}]})),
    );
    let comments = "/admin/api/2022-07/comments.json";
    for (blog, article, who) in [("b1", "a1", "jane@example.com"), ("b2", "a2", "bob@example.com")] {
        shop(
            Mock::given(method("GET"))
                .and(path(comments))
                .and(query_param("blog_id", blog))
                .and(query_param("article_id", article)),
            ResponseTemplate::new(200)
                .set_body_json(json!({"comments": [{"id": format!("{blog}{article}"), "email": who}]})),
        );
    }
    shop(
        Mock::given(method("PUT"))
            .and(path("/admin/api/2022-07/customers/1.json"))
            .and(body_json(json!({"customer": {"first_name": null, "phone": null}}))),
        ResponseTemplate::new(200).set_body_json(json!({"customer": {"id": 1}})),
    );

    let (config, _) = templates::find("shopify").unwrap().instantiate("shopify_1").unwrap();
    let secrets = json!({"domain": format!("localhost:{}", server.port), "access_token": "shpat_1"});
    let connection = SaasConnection::new(config, secrets, Arc::new(server.client()));
    let jane = common::Jane::new();
    let subject = jane.subject();
    let found = connection.read("customers", subject, &Inputs::default()).unwrap();
    let ids: Vec<i64> = found.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2], "both pages");
    // Two upstream articles: two calls with their own blog, not the four combinations.
    let groups = vec![
        json!({"blog_id": ["b1"], "article_id": ["a1"]}).as_object().unwrap().clone(),
        json!({"blog_id": ["b2"], "article_id": ["a2"]}).as_object().unwrap().clone(),
    ];
    let found = connection
        .read("blog_article_comments", subject, &Inputs { values: Map::new(), groups, ..Inputs::default() })
        .unwrap();
    assert_eq!(
        found,
        [json!({"id": "b1a1", "email": "jane@example.com"})],
        "the other person's comment is filtered out"
    );
    let record = MaskedRecord {
        record: json!({"id": 1, "email": "jane@example.com"}),
        object: None,
        masked: vec![("first_name".to_owned(), Value::Null), ("phone".to_owned(), Value::Null)],
    };
    assert_eq!(connection.mask("customers", subject, &[record], &Inputs::default()).unwrap(), 1);
    let asked = server.received(&rt);
    let comment_calls = asked.iter().filter(|r| r.url.path() == comments).count();
    assert_eq!((asked.len(), comment_calls), (2 + 2 + 1, 2));
}
