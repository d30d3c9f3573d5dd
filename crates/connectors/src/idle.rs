//! A few reusable connections per store: taken when a statement runs, given back when it
//! succeeded (a connection that failed may be broken and is dropped), none kept once closed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Idle connections kept per data store.
const MAX_IDLE: usize = 8;

/// Idle connections of one store.
pub(crate) struct Idle<C> {
    idle: Mutex<Vec<C>>,
    /// Set when the connection was deleted or its secrets changed: nothing is pooled any more.
    closed: AtomicBool,
}

impl<C> Default for Idle<C> {
    fn default() -> Self {
        Idle { idle: Mutex::new(Vec::new()), closed: AtomicBool::new(false) }
    }
}

impl<C> Idle<C> {
    /// An idle connection, else a new one from `open`.
    pub(crate) fn take<E>(&self, open: impl FnOnce() -> Result<C, E>) -> Result<C, E> {
        match self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(conn) => Ok(conn),
            None => open(),
        }
    }

    /// Keeps `conn` for the next statement, unless enough are kept or the store was closed.
    pub(crate) fn give_back(&self, conn: C) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
            && !self.closed.load(Ordering::SeqCst)
        {
            idle.push(conn);
        }
    }

    /// Runs `work` on a connection, giving it back only when `work` succeeded.
    pub(crate) fn with<T, E>(
        &self,
        open: impl FnOnce() -> Result<C, E>,
        work: impl FnOnce(&mut C) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.take(open)?;
        let out = work(&mut conn)?;
        self.give_back(conn);
        Ok(out)
    }

    /// Drops the idle connections and keeps none from now on.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}
