//! What an assessment's answers rest on: the evidence of a question group (inventory facts and
//! Slack threads), and the audit log of everything that changed it.

use db::{Database, utc};

use super::model::{AuditEntry, EvidenceByType, EvidenceItem};
use super::repo;
use super::view;
use crate::error::{AssessmentError, Result};
use crate::kinds::EvidenceKind;

/// Reads evidence and audit entries.
#[derive(Clone)]
pub(crate) struct Evidence {
    db: Database,
}

impl Evidence {
    pub(crate) fn new(db: Database) -> Evidence {
        Evidence { db }
    }

    /// The audit log of assessment `id`, oldest first.
    pub(crate) fn audit_log(&self, id: &str) -> Result<Vec<AuditEntry>> {
        let mut conn = self.db.conn()?;
        view::assessment(&mut conn, id)?;
        repo::audit_of(&mut conn, id)?
            .into_iter()
            .map(|a| {
                Ok(AuditEntry {
                    details: db::stored_json(&a.details, "audit entry details")?,
                    timestamp: utc(a.created_at),
                    actor: a.actor,
                    action: a.action,
                    question_id: a.question_id,
                })
            })
            .collect()
    }

    /// The evidence of question group `group_id` of assessment `id`, by kind.
    pub(crate) fn of_group(&self, id: &str, group_id: &str) -> Result<EvidenceByType> {
        let mut conn = self.db.conn()?;
        let row = view::assessment(&mut conn, id)?;
        let template = view::template_of(&row)?;
        if template.group(group_id).is_none() {
            return Err(AssessmentError::NotFound(format!(
                "Question group '{group_id}' is not part of template '{}'",
                template.id
            )));
        }
        let mut out = EvidenceByType::default();
        for e in repo::evidence_of_group(&mut conn, id, group_id)? {
            let item = EvidenceItem {
                kind: e.kind,
                label: e.label,
                value: e.value,
                source_id: e.source_id,
                question_id: e.question_id,
                created_at: utc(e.created_at),
            };
            match e.kind {
                EvidenceKind::System => out.system.push(item),
                EvidenceKind::PrivacyDeclaration => out.privacy_declaration.push(item),
                EvidenceKind::DataUse => out.data_use.push(item),
                EvidenceKind::Dataset => out.dataset.push(item),
                EvidenceKind::TeamInput => out.team_input.push(item),
            }
        }
        Ok(out)
    }
}
