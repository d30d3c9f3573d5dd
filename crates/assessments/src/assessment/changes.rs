//! What one change to an assessment writes besides the change itself: answer versions and audit
//! entries (numbered after those stored), and the completeness and status the answers give.

use chrono::NaiveDateTime;
use db::DbConn;
use serde_json::json;

use super::repo::{self, AnswerRow, AssessmentId, AuditId, AuditRow, VersionId, VersionRow};
use crate::error::Result;
use crate::kinds::{AnswerStatus, AssessmentStatus};
use crate::template::TemplateDef;

/// Who writes answers drafted from the inventory.
pub const SYSTEM_ACTOR: &str = "system";

/// Who writes answers drafted by the language model.
pub const AI_ACTOR: &str = "ai_agent";

/// Share of required questions whose answer is complete, 0–100 with one decimal.
pub fn completeness(template: &TemplateDef, status_of: impl Fn(&str) -> Option<AnswerStatus>) -> f64 {
    let required: Vec<&str> = template.questions().filter(|(_, q)| q.required).map(|(_, q)| q.id).collect();
    if required.is_empty() {
        return 100.0;
    }
    let done = required.iter().filter(|id| status_of(id) == Some(AnswerStatus::Complete)).count();
    ((done as f64) * 1000.0 / (required.len() as f64)).round() / 10.0
}

/// The status an assessment has with this completeness (an outdated one stays outdated until
/// re-evaluated).
pub fn status_for(current: AssessmentStatus, completeness: f64) -> AssessmentStatus {
    match current {
        AssessmentStatus::Outdated => AssessmentStatus::Outdated,
        _ if completeness >= 100.0 => AssessmentStatus::Completed,
        _ => AssessmentStatus::InProgress,
    }
}

/// Audit entries and versions of one transaction, numbered after what is stored.
pub(crate) struct Changes {
    assessment_id: AssessmentId,
    at: NaiveDateTime,
    next_seq: i64,
    audit: Vec<AuditRow>,
    versions: Vec<VersionRow>,
}

impl Changes {
    pub(crate) fn start(conn: &mut DbConn, assessment_id: &str, at: NaiveDateTime) -> Result<Changes> {
        let next_seq = repo::next_audit_seq(conn, assessment_id)?;
        Ok(Changes {
            assessment_id: AssessmentId::from(assessment_id.to_owned()),
            at,
            next_seq,
            audit: Vec::new(),
            versions: Vec::new(),
        })
    }

    /// Changes of an assessment created in this transaction (nothing stored yet).
    pub(crate) fn start_new(assessment_id: &str, at: NaiveDateTime) -> Changes {
        Changes {
            assessment_id: AssessmentId::from(assessment_id.to_owned()),
            at,
            next_seq: 0,
            audit: Vec::new(),
            versions: Vec::new(),
        }
    }

    /// The audit rows, to insert with other assessments' in one statement.
    pub(crate) fn into_audit(self) -> Vec<AuditRow> {
        self.audit
    }

    pub(crate) fn audit(&mut self, actor: &str, action: &str, question_id: Option<&str>, details: serde_json::Value) {
        self.audit.push(AuditRow {
            id: AuditId::new(),
            assessment_id: self.assessment_id.clone(),
            seq: self.next_seq,
            actor: actor.to_owned(),
            action: action.to_owned(),
            question_id: question_id.map(str::to_owned),
            details: details.to_string(),
            created_at: self.at,
        });
        self.next_seq += 1;
    }

    /// Records a new version of `answer` (already numbered) and returns its id.
    pub(crate) fn version(&mut self, answer: &AnswerRow, created_by: &str) -> VersionId {
        let id = VersionId::new();
        self.versions.push(VersionRow {
            id: id.clone(),
            assessment_id: answer.assessment_id.clone(),
            question_id: answer.question_id.clone(),
            version_number: answer.version_number,
            answer: answer.answer.clone(),
            source: answer.source,
            status: answer.status,
            created_by: created_by.to_owned(),
            created_at: self.at,
        });
        id
    }

    /// Records a status change, if there is one.
    pub(crate) fn status_change(
        &mut self,
        actor: &str,
        from: AssessmentStatus,
        to: AssessmentStatus,
        details: serde_json::Value,
    ) {
        if from != to {
            let mut all = json!({"from": from, "to": to});
            if let (Some(all), Some(extra)) = (all.as_object_mut(), details.as_object()) {
                all.extend(extra.clone());
            }
            self.audit(actor, "status_changed", None, all);
        }
    }

    pub(crate) fn save(self, conn: &mut DbConn) -> Result<()> {
        repo::insert_versions(conn, &self.versions)?;
        repo::insert_audit(conn, &self.audit)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template as templates;

    #[test]
    fn completeness_counts_required_questions_with_complete_answers() {
        let template = templates::find("gdpr_dpia").unwrap_or_else(|| panic!("template"));
        let required = template.questions().filter(|(_, q)| q.required).count();
        assert_eq!(completeness(template, |_| None), 0.0);
        assert_eq!(completeness(template, |_| Some(AnswerStatus::Complete)), 100.0);
        assert_eq!(completeness(template, |_| Some(AnswerStatus::Partial)), 0.0);
        let one = completeness(template, |id| (id == "dpia_1_2").then_some(AnswerStatus::Complete));
        assert_eq!(one, ((1000.0 / required as f64).round()) / 10.0);
        assert_eq!(completeness(template, |id| (id == "dpia_0_3").then_some(AnswerStatus::Complete)), 0.0, "optional");
    }

    #[test]
    fn outdated_stays_outdated_until_re_evaluated() {
        assert_eq!(status_for(AssessmentStatus::Outdated, 100.0), AssessmentStatus::Outdated);
        assert_eq!(status_for(AssessmentStatus::InProgress, 100.0), AssessmentStatus::Completed);
        assert_eq!(status_for(AssessmentStatus::Completed, 50.0), AssessmentStatus::InProgress);
    }
}
