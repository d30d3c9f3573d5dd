//! Stand-ins for external HTTP APIs (an OpenAI-compatible chat-completions endpoint, the Slack
//! Web API) on `wiremock`: a real HTTP/1.1 server on a local port that records every request and
//! answers with whatever the test's handler returns, optionally after a delay.

#![expect(clippy::expect_used, reason = "test helper")]

use std::collections::HashMap;
use std::time::Duration;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Headers, names lowercased.
    pub headers: HashMap<String, String>,
    /// Body text.
    pub body: String,
}

impl Recorded {
    fn of(request: &Request) -> Recorded {
        let url = &request.url;
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Recorded {
            method: request.method.to_string(),
            target,
            headers: request
                .headers
                .iter()
                .map(|(name, value)| (name.as_str().to_lowercase(), value.to_str().unwrap_or_default().to_owned()))
                .collect(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
        }
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

/// What to answer.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// JSON or text body.
    pub body: String,
    /// Wait this long before answering (to provoke client timeouts).
    pub delay: Duration,
}

impl Answer {
    /// 200 with a JSON body.
    pub fn json(value: serde_json::Value) -> Answer {
        Answer { status: 200, body: value.to_string(), delay: Duration::ZERO }
    }

    /// A status with a body.
    pub fn status(status: u16, body: &str) -> Answer {
        Answer { status, body: body.to_owned(), delay: Duration::ZERO }
    }
}

/// The running server; it stops when dropped.
pub struct FakeHttp {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    server: MockServer,
}

impl FakeHttp {
    /// Starts a server answering every request with `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> FakeHttp {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(move |request: &Request| {
                let answer = handler(&Recorded::of(request));
                ResponseTemplate::new(answer.status)
                    .set_body_raw(answer.body, "application/json")
                    .set_delay(answer.delay)
            })
            .mount(&server)
            .await;
        FakeHttp { url: server.uri(), server }
    }

    /// Every request so far, in arrival order.
    pub async fn requests(&self) -> Vec<Recorded> {
        self.server.received_requests().await.expect("requests are recorded").iter().map(Recorded::of).collect()
    }
}
