//! The systems inventory: Fides `System` documents with their privacy declarations, checked
//! against the fideslang taxonomy and Fides' enumerations at the boundary. What changing a
//! system means for other records (assessments go outdated) is told to the
//! [`SystemChanges`] listeners, inside the transaction that changed it.

pub(crate) mod model;
pub(crate) mod repo;

use std::sync::Arc;

use db::{Database, DbConn, Page, Window};
use dsr_core::Taxonomy;

pub use model::{DataFlow, PrivacyDeclaration, System, SystemDeleted, SystemMetadata};

use crate::error::{AssessmentError, Result};

/// Systems inventory.
pub trait SystemService: Send + Sync {
    /// Adds a system (409 when its key exists).
    fn create_system(&self, system: System) -> Result<System>;
    /// One window of the systems, by key.
    fn list_systems(&self, window: Window) -> Result<Page<System>>;
    /// One system.
    fn get_system(&self, fides_key: &str) -> Result<System>;
    /// Replaces a system; `actor` is recorded where the change is felt (outdated assessments).
    fn update_system(&self, actor: &str, system: System) -> Result<System>;
    /// Deletes a system, answered with it as it was (Fides' shape).
    fn delete_system(&self, actor: &str, fides_key: &str) -> Result<SystemDeleted>;
}

/// Told about every change to a system, in the transaction that made it.
pub trait SystemChanges: Send + Sync {
    /// System `key` changed (`system` is what it is now) or was deleted (`None`).
    fn system_changed(&self, conn: &mut DbConn, actor: &str, key: &str, system: Option<&System>) -> Result<()>;
}

/// [`SystemService`] over the database.
#[derive(Clone)]
pub struct DieselSystemService {
    db: Database,
    taxonomy: Arc<Taxonomy>,
    listeners: Vec<Arc<dyn SystemChanges>>,
}

fn not_found(key: &str) -> AssessmentError {
    AssessmentError::NotFound(format!("No system found with fides_key '{key}'"))
}

impl DieselSystemService {
    /// A service over `db`, checking systems against the embedded fideslang taxonomy.
    pub fn new(db: Database) -> DieselSystemService {
        DieselSystemService { db, taxonomy: Arc::new(Taxonomy::embedded()), listeners: Vec::new() }
    }

    /// Tells `listener` about every change (the gateway passes
    /// [`crate::assessment::MarkOutdated`], so changed systems' assessments go outdated).
    pub fn notifying(mut self, listener: Arc<dyn SystemChanges>) -> DieselSystemService {
        self.listeners.push(listener);
        self
    }

    fn changed(&self, conn: &mut DbConn, actor: &str, key: &str, system: Option<&System>) -> Result<()> {
        self.listeners.iter().try_for_each(|l| l.system_changed(conn, actor, key, system))
    }
}

impl SystemService for DieselSystemService {
    fn create_system(&self, mut system: System) -> Result<System> {
        system.validate(&self.taxonomy).map_err(AssessmentError::Invalid)?;
        let row = repo::row_of(&system, db::now())?;
        self.db.conn()?.write_transaction(|conn| {
            if repo::find_system(conn, &system.fides_key)?.is_some() {
                return Err(AssessmentError::Conflict(format!(
                    "A system with fides_key '{}' already exists",
                    system.fides_key
                )));
            }
            repo::insert_system(conn, &row)?;
            Ok(())
        })?;
        Ok(system)
    }

    fn list_systems(&self, window: Window) -> Result<Page<System>> {
        repo::systems_page(&mut *self.db.conn()?, window)?.try_map(|row| repo::parse(&row))
    }

    fn get_system(&self, fides_key: &str) -> Result<System> {
        let row = repo::find_system(&mut *self.db.conn()?, fides_key)?.ok_or_else(|| not_found(fides_key))?;
        repo::parse(&row)
    }

    fn update_system(&self, actor: &str, mut system: System) -> Result<System> {
        system.validate(&self.taxonomy).map_err(AssessmentError::Invalid)?;
        self.db.conn()?.write_transaction(|conn| {
            let existing = repo::find_system(conn, &system.fides_key)?.ok_or_else(|| not_found(&system.fides_key))?;
            repo::update_system(conn, &repo::row_of(&system, existing.created_at)?)?;
            self.changed(conn, actor, &system.fides_key, Some(&system))
        })?;
        Ok(system)
    }

    fn delete_system(&self, actor: &str, fides_key: &str) -> Result<SystemDeleted> {
        let system = self.db.conn()?.write_transaction(|conn| {
            let row = repo::find_system(conn, fides_key)?.ok_or_else(|| not_found(fides_key))?;
            let system = repo::parse(&row)?;
            repo::delete_system(conn, fides_key)?;
            self.changed(conn, actor, fides_key, None)?;
            Ok::<_, AssessmentError>(system)
        })?;
        Ok(SystemDeleted { message: "resource deleted".to_owned(), resource: system })
    }
}
