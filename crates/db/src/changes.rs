//! Change notifications for in-process caches.
//!
//! Services cache read-mostly data (client scopes, redaction patterns) for a short time. After a
//! write they clear their own cache and [`ChangeFeed::publish`] a topic inside the writing
//! transaction. On PostgreSQL that is a `NOTIFY`, delivered at commit to every gateway process
//! listening ([`ChangeFeed::start_listener`]), which runs the callbacks registered for the topic
//! within about [`POLL`]. On SQLite, publishing does nothing beyond the writer's own process; the
//! caches' time-to-live bounds how stale another process sharing the file can be.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::conn::{Backend, DbConn};
use crate::error::Result;
use crate::pool::Database;

/// The PostgreSQL channel all topics travel on.
pub const CHANNEL: &str = "lethe_changes";
/// How often the listener looks for notifications.
pub const POLL: Duration = Duration::from_millis(50);

type Callback = Arc<dyn Fn() + Send + Sync>;

/// Callbacks per topic, and the listener that runs them for changes made by other processes.
#[derive(Default)]
pub struct ChangeFeed {
    callbacks: Mutex<Vec<(String, Callback)>>,
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeFeed")
    }
}

impl ChangeFeed {
    /// An empty feed.
    pub fn new() -> Arc<ChangeFeed> {
        Arc::new(ChangeFeed::default())
    }

    /// Runs `callback` whenever another process publishes `topic` (and after the listener had to
    /// reconnect, when changes may have been missed).
    pub fn on(&self, topic: &str, callback: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut callbacks) = self.callbacks.lock() {
            callbacks.push((topic.to_owned(), Arc::new(callback)));
        }
    }

    /// Announces a change of `topic` to other processes when the surrounding transaction commits.
    /// The payload is `<schema>:<topic>`: the channel is database-wide, and gateways of another
    /// deployment in another schema of the same database are not told.
    pub fn publish(conn: &mut DbConn, topic: &str) -> Result<()> {
        if let DbConn::Postgresql(pg) = conn {
            diesel::sql_query("SELECT pg_notify($1, current_schema() || ':' || $2)")
                .bind::<Text, _>(CHANNEL)
                .bind::<Text, _>(topic)
                .execute(pg)?;
        }
        Ok(())
    }

    fn dispatch(&self, topic: Option<&str>) {
        let callbacks: Vec<Callback> = match self.callbacks.lock() {
            Ok(callbacks) => {
                callbacks.iter().filter(|(t, _)| topic.is_none_or(|topic| t == topic)).map(|(_, c)| c.clone()).collect()
            }
            Err(_) => return,
        };
        for callback in callbacks {
            callback();
        }
    }

    /// On PostgreSQL, starts a thread that listens for changes made by other processes; on
    /// SQLite there is nothing to listen to and `None` is returned.
    pub fn start_listener(self: &Arc<Self>, db: &Database, url: &str) -> Option<ChangeListener> {
        if db.backend() != Backend::Postgres {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let feed = Arc::clone(self);
        let url = url.to_owned();
        let flag = Arc::clone(&stop);
        let thread =
            std::thread::Builder::new().name("change-listener".into()).spawn(move || feed.listen(&url, &flag)).ok()?;
        Some(ChangeListener { stop, thread: Some(thread) })
    }

    fn listen(&self, url: &str, stop: &AtomicBool) {
        let mut backoff = POLL;
        while !stop.load(Ordering::SeqCst) {
            let mut conn = match PgConnection::establish(url)
                .map_err(crate::DbError::from)
                .and_then(|mut c| c.batch_execute(&format!("LISTEN {CHANNEL}")).map(|_| c).map_err(Into::into))
            {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "change listener cannot connect; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            backoff = POLL;
            let schema =
                match diesel::select(diesel::dsl::sql::<Text>("current_schema()")).get_result::<String>(&mut conn) {
                    Ok(schema) => format!("{schema}:"),
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener cannot read its schema; retrying");
                        std::thread::sleep(backoff);
                        continue;
                    }
                };
            // Whatever changed while we were not listening is unknown: start afresh.
            self.dispatch(None);
            'poll: while !stop.load(Ordering::SeqCst) {
                for notification in conn.notifications_iter() {
                    match notification {
                        // Changes of other schemas' deployments are not ours.
                        Ok(n) => {
                            if let Some(topic) = n.payload.strip_prefix(&schema) {
                                self.dispatch(Some(topic));
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "change listener lost its connection; reconnecting");
                            break 'poll;
                        }
                    }
                }
                std::thread::sleep(POLL);
            }
        }
    }
}

/// The running listener thread; stops when dropped.
pub struct ChangeListener {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for ChangeListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A small map whose entries expire after a fixed time: the caches services keep.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// Entries live for `ttl`.
    pub fn new(ttl: Duration) -> TtlCache<K, V> {
        TtlCache { entries: Mutex::new(HashMap::new()), ttl }
    }

    /// A fresh entry, if any.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(_, at)| at.elapsed() < self.ttl).map(|(v, _)| v.clone())
    }

    /// Stores an entry.
    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            // Bound the size: expired entries of clients seen once would otherwise accumulate.
            if entries.len() >= 10_000 {
                let ttl = self.ttl;
                entries.retain(|_, (_, at)| at.elapsed() < ttl);
            }
            entries.insert(key, (value, Instant::now()));
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_entries_expire_and_clear() {
        let cache: TtlCache<String, u32> = TtlCache::new(Duration::from_millis(50));
        cache.insert("a".into(), 1);
        assert_eq!(cache.get("a"), Some(1));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("a"), None);
        cache.insert("b".into(), 2);
        cache.clear();
        assert_eq!(cache.get("b"), None);
    }

    #[test]
    fn dispatch_runs_the_callbacks_of_the_topic_or_all_after_a_gap() {
        let feed = ChangeFeed::new();
        let hits = Arc::new(Mutex::new(Vec::new()));
        for topic in ["auth", "redaction"] {
            let hits = Arc::clone(&hits);
            feed.on(topic, move || hits.lock().unwrap().push(topic));
        }
        feed.dispatch(Some("auth"));
        assert_eq!(*hits.lock().unwrap(), ["auth"]);
        feed.dispatch(None);
        assert_eq!(hits.lock().unwrap().len(), 3);
    }
}
