//! Blocking HTTP calls on threads that own their `reqwest` clients: the one HTTP client layer of
//! Lethe's outbound calls (Slack, the language model; the SaaS and webhook connectors are to
//! use it too).
//!
//! Why this and not reqwest's async client on a runtime owned here: every caller is synchronous
//! (job worker threads, actix's blocking pool), so an async client would need a runtime plus a
//! `block_on` bridge per call, which is this pool with more moving parts. A blocking client runs
//! a private async runtime, which panics when dropped inside another runtime (an actix handler,
//! an async test); keeping the clients on these threads means they are always dropped here. The
//! thread count is the concurrency cap (calls beyond it wait their turn), each client carries
//! the per-request time-out, and connections are pooled per thread by reqwest.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Call = Box<dyn FnOnce(&reqwest::blocking::Client) + Send>;

/// Why the pool could not start: a thread could not be spawned, or a client not built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    /// The operating system refused a thread.
    #[error("cannot start an HTTP thread: {0}")]
    Spawn(#[from] std::io::Error),
    /// reqwest could not build a client (TLS backend, settings).
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
}

/// A few threads making HTTP calls.
pub(crate) struct HttpPool {
    calls: Mutex<Sender<Call>>,
}

impl HttpPool {
    /// Starts `threads` threads, each with a client using `timeout` per request.
    pub(crate) fn new(name: &str, threads: usize, timeout: Duration) -> Result<HttpPool, PoolError> {
        let (calls, queue) = mpsc::channel::<Call>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let (ready, started) = mpsc::channel();
            std::thread::Builder::new().name(format!("{name}-{n}")).spawn(move || {
                let client = match reqwest::blocking::Client::builder().timeout(timeout).build() {
                    Ok(client) => {
                        let _ = ready.send(Ok(()));
                        client
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e.to_string()));
                        return;
                    }
                };
                serve(&queue, &client);
            })?;
            started
                .recv()
                .map_err(|_| PoolError::Client("the HTTP thread stopped while starting".to_owned()))?
                .map_err(PoolError::Client)?;
        }
        Ok(HttpPool { calls: Mutex::new(calls) })
    }

    /// Runs `call` on a pool thread and waits for its result; `None` when the pool is gone.
    pub(crate) fn run<R: Send + 'static>(
        &self,
        call: impl FnOnce(&reqwest::blocking::Client) -> R + Send + 'static,
    ) -> Option<R> {
        let (reply, result) = mpsc::channel();
        let job: Call = Box::new(move |client| {
            let _ = reply.send(call(client));
        });
        self.calls.lock().ok()?.send(job).ok()?;
        result.recv().ok()
    }
}

fn serve(queue: &Mutex<Receiver<Call>>, client: &reqwest::blocking::Client) {
    loop {
        // The lock is held only while waiting for the next call, not while making it.
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            Ok(call) => call(client),
            Err(_) => return, // the pool was dropped
        }
    }
}
