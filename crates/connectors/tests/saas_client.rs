//! The SaaS HTTP client against local HTTP servers (wiremock): the address guard, redirects,
//! retries and the response limit.

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

mod common;

use std::time::{Duration, Instant};

use common::runtime;

use connectors::saas::client::{Call, CallError, ClientSettings, SaasClient};
use connectors::saas::config::Method;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(allowed: &[&str]) -> SaasClient {
    SaasClient::new(ClientSettings {
        allowed_hosts: allowed.iter().map(|s| (*s).to_owned()).collect(),
        backoff: Duration::from_millis(50),
        max_response_bytes: 1_000,
        ..ClientSettings::default()
    })
    .unwrap()
}

fn get(base: String, path: &str) -> Call {
    Call { method: Method::Get, base, path: path.to_owned(), query: Vec::new(), headers: Vec::new(), body: None }
}

#[test]
fn loopback_is_refused_unless_its_host_is_allowed() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(path("/v1/customers"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&server),
    );
    let port = server.address().port();
    // An IP literal and a name resolving to loopback are both refused, naming the setting.
    for base in [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")] {
        let refused = client(&[]).send(&get(base.clone(), "/v1/customers")).unwrap_err();
        let CallError::Refused(why) = &refused else { panic!("{base}: {refused:?}") };
        assert!(why.contains("is not safe") && why.contains("LETHE__SAAS__ALLOWED_HOSTS"), "{why}");
        assert!(why.contains("loopback"), "{why}");
    }
    // Allowing one host lets only that host through.
    let reply = client(&["localhost"]).send(&get(format!("http://localhost:{port}"), "/v1/customers")).unwrap();
    assert_eq!((reply.status, reply.body.as_slice()), (200, b"{}".as_slice()));
    assert!(matches!(
        client(&["localhost"]).send(&get(format!("http://127.0.0.1:{port}"), "/v1/customers")),
        Err(CallError::Refused(_))
    ));
    assert!(client(&["127.0.0.1"]).send(&get(format!("http://127.0.0.1:{port}"), "/v1/customers")).is_ok());
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 2);
}

#[test]
fn redirects_are_followed_on_the_same_host_only() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let port = server.address().port();
    rt.block_on(async {
        Mock::given(path("/moved"))
            .respond_with(ResponseTemplate::new(302).insert_header("Location", "/here"))
            .mount(&server)
            .await;
        Mock::given(path("/here")).respond_with(ResponseTemplate::new(200).set_body_string("[1]")).mount(&server).await;
        Mock::given(path("/away"))
            .respond_with(ResponseTemplate::new(307).insert_header("Location", format!("http://127.0.0.1:{port}/here")))
            .mount(&server)
            .await;
    });
    let client = client(&["localhost", "127.0.0.1"]);
    let base = format!("http://localhost:{port}");
    assert_eq!(client.send(&get(base.clone(), "/moved")).unwrap().body, b"[1]");
    assert_eq!(client.send(&get(base, "/away")).unwrap_err(), CallError::Redirected("127.0.0.1".to_owned()));
    // /moved, /here, /away: the other host's /here was never asked for.
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 3);
}

#[test]
fn busy_apis_are_retried_after_what_they_ask_and_large_replies_refused() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/busy"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/busy")).respond_with(ResponseTemplate::new(200).set_body_string("ok")).mount(&server).await;
        Mock::given(path("/down")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
        Mock::given(path("/gone")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
        Mock::given(path("/big"))
            .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(1_001)))
            .mount(&server)
            .await;
    });
    let client = client(&["localhost"]);
    let base = format!("http://localhost:{}", server.address().port());
    let started = Instant::now();
    let reply = client.send_retrying(&get(base.clone(), "/busy"), |_| false).unwrap();
    assert_eq!((reply.status, reply.body.as_slice()), (200, b"ok".as_slice()));
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was not waited for");
    // Without Retry-After: three retries, then the last answer is returned.
    assert_eq!(client.send_retrying(&get(base.clone(), "/down"), |_| false).unwrap().status, 503);
    // An ignored status is returned at once, other errors are not retried.
    assert_eq!(client.send_retrying(&get(base.clone(), "/down"), |s| s == 503).unwrap().status, 503);
    assert_eq!(client.send_retrying(&get(base.clone(), "/gone"), |_| false).unwrap().status, 404);
    let counts =
        |p: &str| rt.block_on(server.received_requests()).unwrap().iter().filter(|r| r.url.path() == p).count();
    assert_eq!((counts("/busy"), counts("/down"), counts("/gone")), (2, 5, 1));
    let large = client.send(&get(base, "/big")).unwrap_err();
    assert_eq!(large, CallError::TooLarge("GET /big".to_owned(), 1_000));
}
