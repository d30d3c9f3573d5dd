//! A small HTTP/1.1 server for tests that stand in for external APIs (an OpenAI-compatible
//! chat-completions endpoint, the Slack Web API): it records every request and answers with
//! whatever the test's handler returns, optionally after a delay.

#![expect(clippy::expect_used, reason = "test helper")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

type Handler = dyn Fn(&Recorded) -> Answer + Send + Sync;

/// The running server; it stops accepting when dropped (the thread ends with the process).
pub struct FakeHttp {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeHttp {
    /// Starts a server answering with `handler`.
    pub fn start(handler: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> FakeHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, handler) = (Arc::clone(&seen), Arc::clone(&handler));
                std::thread::spawn(move || serve(stream, &seen, handler.as_ref()));
            }
        });
        FakeHttp { url, requests }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests").clone()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Recorded>>, handler: &Handler) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) =
            (parts.next().unwrap_or_default().to_owned(), parts.next().unwrap_or_default().to_owned());
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Recorded { method, target, headers, body: String::from_utf8_lossy(&body).into_owned() };
        seen.lock().expect("requests").push(request.clone());
        let answer = handler(&request);
        std::thread::sleep(answer.delay);
        let response = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{}",
            answer.status,
            answer.body.len(),
            answer.body
        );
        let mut writer = &stream;
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
