//! Assessments go outdated when their system changes: an assessment whose snapshot no longer
//! matches the system's facts is marked `outdated` (audited with the facts that changed), in
//! the transaction that changed the system.

use db::{DbConn, now};
use serde_json::json;

use super::changes::Changes;
use super::repo;
use crate::error::Result;
use crate::facts::{Facts, changed_facts};
use crate::kinds::AssessmentStatus;
use crate::system::{System, SystemChanges};

/// Marks the assessments of a changed (or deleted) system outdated; the system service's
/// listener ([`crate::system::DieselSystemService::notifying`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkOutdated;

impl SystemChanges for MarkOutdated {
    fn system_changed(&self, conn: &mut DbConn, actor: &str, key: &str, system: Option<&System>) -> Result<()> {
        let facts = match system {
            Some(system) => Some(Facts::load(conn, system.clone())?),
            None => None,
        };
        let marked = mark(conn, actor, key, facts.as_ref())?;
        if marked > 0 {
            tracing::info!(system = %key, assessments = marked, "system changed: assessments outdated");
        }
        Ok(())
    }
}

/// Marks the system's assessments outdated where their snapshot no longer matches
/// (`facts` is `None` when the system was deleted); returns how many.
fn mark(conn: &mut DbConn, actor: &str, key: &str, facts: Option<&Facts>) -> Result<usize> {
    let hash = facts.map(Facts::snapshot_hash);
    let mut marked = 0;
    for row in repo::lock_assessments_of_system(conn, key)? {
        let (Some(stored), Some(snapshot)) = (&row.snapshot_hash, &row.snapshot) else { continue };
        if row.status == AssessmentStatus::Outdated || hash.as_ref() == Some(stored) {
            continue;
        }
        let at = now();
        let (reason, changed) = match facts {
            Some(facts) => ("system_changed", changed_facts(snapshot, facts)),
            None => ("system_deleted", Vec::new()),
        };
        repo::set_status(conn, &row.id, AssessmentStatus::Outdated, at)?;
        let mut changes = Changes::start(conn, &row.id, at)?;
        changes.status_change(
            actor,
            row.status,
            AssessmentStatus::Outdated,
            json!({"reason": reason, "system_id": key, "changed_facts": changed}),
        );
        changes.save(conn)?;
        marked += 1;
    }
    Ok(marked)
}
