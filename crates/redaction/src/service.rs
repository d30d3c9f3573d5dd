//! The redaction service: the seam the gateway and the DSR engine call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use db::Database;
use db::changes::{ChangeFeed, TtlCache};

use crate::engine::{EntityRules, Redactor};
use crate::error::Result;
use crate::patterns::PatternSet;
use crate::repo;

/// Manages the global redaction patterns and builds redactors from them.
pub trait RedactionService: Send + Sync {
    /// The stored patterns, in the order they were given.
    fn patterns(&self) -> Result<Vec<String>>;

    /// Validates `patterns` and replaces the whole stored set with them; returns the stored set.
    /// Nothing changes when any pattern is rejected.
    fn replace_patterns(&self, patterns: Vec<String>) -> Result<Vec<String>>;

    /// A redactor over the current patterns and the given dataset entity rules.
    fn redactor(&self, entities: EntityRules) -> Result<Redactor>;
}

/// Change-feed topic of pattern changes.
const TOPIC: &str = "redaction_patterns";
/// How long the pattern list is cached; see `db::changes` for how other processes learn of
/// changes sooner.
const CACHE_TTL: Duration = Duration::from_secs(2);

/// [`RedactionService`] over the database.
pub struct DieselRedactionService {
    db: Database,
    /// The stored list, so reading it needs no database round trip.
    stored: Arc<TtlCache<(), Vec<String>>>,
    /// The last compiled set, reused while the stored list is unchanged: compiling 100
    /// patterns costs far more than reading them.
    compiled: Mutex<Option<PatternSet>>,
}

impl DieselRedactionService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselRedactionService {
        DieselRedactionService { db, stored: Arc::new(TtlCache::new(CACHE_TTL)), compiled: Mutex::new(None) }
    }

    /// Clears the cached list when another process changes the patterns.
    pub fn with_change_feed(self, feed: &ChangeFeed) -> DieselRedactionService {
        let stored = Arc::clone(&self.stored);
        feed.on(TOPIC, move || stored.clear());
        self
    }

    fn compiled(&self, stored: Vec<String>) -> Result<PatternSet> {
        if let Ok(cache) = self.compiled.lock()
            && let Some(set) = cache.as_ref().filter(|set| set.patterns() == stored.as_slice())
        {
            return Ok(set.clone());
        }
        let set = PatternSet::parse(stored)?;
        if let Ok(mut cache) = self.compiled.lock() {
            *cache = Some(set.clone());
        }
        Ok(set)
    }
}

impl RedactionService for DieselRedactionService {
    fn patterns(&self) -> Result<Vec<String>> {
        if let Some(patterns) = self.stored.get(&()) {
            return Ok(patterns);
        }
        let mut conn = self.db.conn()?;
        let patterns = repo::list(&mut conn)?;
        self.stored.insert((), patterns.clone());
        Ok(patterns)
    }

    fn replace_patterns(&self, patterns: Vec<String>) -> Result<Vec<String>> {
        let set = PatternSet::parse(patterns)?;
        let mut conn = self.db.conn()?;
        let written = conn.write_transaction(|c| {
            repo::replace(c, set.patterns())?;
            ChangeFeed::publish(c, TOPIC)
        });
        // Cleared after the commit (or the failure), so no reader re-caches the old list.
        self.stored.clear();
        written?;
        let stored = set.patterns().to_vec();
        if let Ok(mut cache) = self.compiled.lock() {
            *cache = Some(set);
        }
        Ok(stored)
    }

    fn redactor(&self, entities: EntityRules) -> Result<Redactor> {
        let stored = self.patterns()?;
        Ok(Redactor::new(self.compiled(stored)?, entities))
    }
}
