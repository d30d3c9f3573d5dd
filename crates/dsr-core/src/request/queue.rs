//! Queuing a request for execution: a durable job in the caller's transaction, and a wake-up
//! for this process's workers once it has committed.

use std::sync::{Arc, OnceLock};

use db::DbConn;
use db::jobs::{self, JobSignal, NewJob};

use super::settings::{JOB_ATTEMPTS, QUEUE};
use crate::error::Result;

/// Queues requests; clones share the (once set) worker signal.
#[derive(Clone, Default)]
pub(crate) struct Queue {
    signal: Arc<OnceLock<JobSignal>>,
}

impl Queue {
    /// Wakes this process's workers when requests are queued (set once, at startup).
    pub(crate) fn signal_with(&self, signal: JobSignal) {
        let _ = self.signal.set(signal);
    }

    /// Queues request `id` in the caller's transaction.
    pub(crate) fn enqueue(&self, conn: &mut DbConn, id: &str) -> Result<()> {
        let job = NewJob::new(QUEUE, serde_json::json!({ "privacy_request_id": id })).max_attempts(JOB_ATTEMPTS);
        jobs::enqueue(conn, &job)?;
        Ok(())
    }

    /// Wakes the workers (after the transaction that queued committed).
    pub(crate) fn notify(&self) {
        if let Some(signal) = self.signal.get() {
            signal.notify();
        }
    }
}
