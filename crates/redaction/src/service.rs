//! The redaction service: the seam the gateway and the DSR engine call.

use std::sync::Mutex;

use db::Database;

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

/// [`RedactionService`] over the database.
pub struct DieselRedactionService {
    db: Database,
    /// The last compiled set, reused while the stored list is unchanged: compiling 100
    /// patterns costs far more than reading them.
    compiled: Mutex<Option<PatternSet>>,
}

impl DieselRedactionService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselRedactionService {
        DieselRedactionService { db, compiled: Mutex::new(None) }
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
        let mut conn = self.db.conn()?;
        Ok(repo::list(&mut conn)?)
    }

    fn replace_patterns(&self, patterns: Vec<String>) -> Result<Vec<String>> {
        let set = PatternSet::parse(patterns)?;
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| repo::replace(c, set.patterns()))?;
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
