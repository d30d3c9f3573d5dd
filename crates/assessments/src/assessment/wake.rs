//! Waking this process's job workers once a transaction that queued work has committed (other
//! processes find new jobs by polling).

use std::sync::{Arc, OnceLock};

use db::jobs::JobSignal;

/// Wakes the workers; clones share the (once set) signal.
#[derive(Clone, Default)]
pub(crate) struct Wake {
    signal: Arc<OnceLock<JobSignal>>,
}

impl Wake {
    /// Sets the signal (once, at startup).
    pub(crate) fn signal_with(&self, signal: JobSignal) {
        let _ = self.signal.set(signal);
    }

    /// Wakes the workers.
    pub(crate) fn now(&self) {
        if let Some(signal) = self.signal.get() {
            signal.notify();
        }
    }
}
