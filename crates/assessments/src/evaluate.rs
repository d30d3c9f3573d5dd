//! Generating and re-evaluating an assessment from the inventory, inside one transaction:
//! answers written from facts (new versions only where the text changed), human answers kept,
//! evidence replaced, completeness, status, risk and snapshot recomputed, every change audited.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use db::DbConn;
use dsr_core::Taxonomy;
use serde_json::json;

use crate::facts::Facts;
use crate::model::{AnswerSource, AnswerStatus, AssessmentStatus};
use crate::prefill::{self, Context, Prefill, RelatedAssessment};
use crate::repo::{self, AnswerRow, AssessmentRow, AuditRow, EvidenceRow, VersionRow};
use crate::risk::{RiskLevel, screen};
use crate::templates::TemplateDef;
use crate::{Result, new_id};

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
    assessment_id: String,
    at: NaiveDateTime,
    next_seq: i64,
    audit: Vec<AuditRow>,
    versions: Vec<VersionRow>,
}

impl Changes {
    pub(crate) fn start(conn: &mut DbConn, assessment_id: &str, at: NaiveDateTime) -> Result<Changes> {
        let next_seq = repo::next_audit_seq(conn, assessment_id)?;
        Ok(Changes { assessment_id: assessment_id.to_owned(), at, next_seq, audit: Vec::new(), versions: Vec::new() })
    }

    /// Changes of an assessment created in this transaction (nothing stored yet).
    pub(crate) fn start_new(assessment_id: &str, at: NaiveDateTime) -> Changes {
        Changes { assessment_id: assessment_id.to_owned(), at, next_seq: 0, audit: Vec::new(), versions: Vec::new() }
    }

    /// The audit rows, to insert with other assessments' in one statement.
    pub(crate) fn into_audit(self) -> Vec<AuditRow> {
        self.audit
    }

    pub(crate) fn audit(&mut self, actor: &str, action: &str, question_id: Option<&str>, details: serde_json::Value) {
        self.audit.push(AuditRow {
            id: new_id("aud"),
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
    pub(crate) fn version(&mut self, answer: &AnswerRow, created_by: &str) -> String {
        let id = new_id("ver");
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

/// What one evaluation changed, for the task and the logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Answers written from the inventory.
    pub generated: usize,
    /// Human answers left as they were.
    pub kept: usize,
    /// Inventory answers withdrawn because the facts are gone.
    pub cleared: usize,
}

/// What one assessment is evaluated against.
#[derive(Clone, Copy)]
pub(crate) struct Inputs<'a> {
    /// Its template.
    pub(crate) template: &'static TemplateDef,
    /// Its system's facts.
    pub(crate) facts: &'a Facts,
    /// Names for taxonomy keys.
    pub(crate) taxonomy: &'a Taxonomy,
    /// Answers the model drafted, by question id (for questions the inventory cannot answer).
    pub(crate) ai_drafts: &'a HashMap<String, String>,
}

/// Evaluates `row` (locked by the caller) and stores the result.
pub(crate) fn evaluate(
    conn: &mut DbConn,
    row: &AssessmentRow,
    inputs: &Inputs<'_>,
    task_id: &str,
    at: NaiveDateTime,
) -> Result<Outcome> {
    let Inputs { template, facts, taxonomy, ai_drafts } = *inputs;
    let related = related_assessments(conn, row, template)?;
    let screening = screen(facts);
    let cx = Context { facts, screening: &screening, taxonomy, related: &related };
    let mut current: HashMap<String, AnswerRow> =
        repo::answers_of(conn, &row.id)?.into_iter().map(|a| (a.question_id.clone(), a)).collect();
    let mut changes = Changes::start(conn, &row.id, at)?;
    let mut inserts = Vec::new();
    let mut evidence = Vec::new();
    let mut outcome = Outcome::default();

    for (group_id, question) in template.questions() {
        let drafted = prefill::answer(question.rule, question.coverage, &cx);
        if let Some(Prefill { citations, .. }) = &drafted {
            for citation in citations {
                evidence.push(EvidenceRow {
                    id: new_id("evi"),
                    assessment_id: row.id.clone(),
                    group_id: group_id.to_owned(),
                    question_id: question.id.to_owned(),
                    seq: i32::try_from(evidence.len()).unwrap_or(i32::MAX),
                    kind: citation.kind,
                    label: citation.label.clone(),
                    value: citation.value.clone(),
                    source_id: citation.source_id.clone(),
                    created_at: at,
                });
            }
        }
        let existing = current.get_mut(question.id);
        let human = existing
            .as_ref()
            .is_some_and(|a| matches!(Some(a.source), Some(AnswerSource::UserInput | AnswerSource::TeamInput)));
        if human {
            outcome.kept += 1;
            continue;
        }
        // What the question should say now: the inventory's answer, else the model's draft.
        let candidate = match (&drafted, ai_drafts.get(question.id)) {
            (Some(p), _) => Some((p.answer.clone(), p.status, AnswerSource::System, SYSTEM_ACTOR)),
            (None, Some(text)) => Some((text.clone(), AnswerStatus::Partial, AnswerSource::AiAnalysis, AI_ACTOR)),
            (None, None) => None,
        };
        match (existing, candidate) {
            (None, None) => {}
            (None, Some((text, status, source, actor))) => {
                let answer = AnswerRow {
                    assessment_id: row.id.clone(),
                    question_id: question.id.to_owned(),
                    answer: text,
                    source,
                    status,
                    version_number: 1,
                    updated_at: at,
                };
                let version_id = changes.version(&answer, actor);
                changes.audit(
                    actor,
                    "answer_generated",
                    Some(question.id),
                    json!({"version_id": version_id, "version_number": 1, "task_id": task_id, "answer_status": answer.status, "source": answer.source}),
                );
                inserts.push(answer);
                outcome.generated += 1;
            }
            (Some(answer), None) if answer.answer.is_empty() || answer.source == AnswerSource::AiAnalysis => {
                // Nothing to withdraw, or an earlier draft the model could not improve on now.
            }
            (Some(answer), candidate) => {
                let cleared = candidate.is_none();
                let (text, status, source, actor) =
                    candidate.unwrap_or((String::new(), AnswerStatus::NeedsInput, AnswerSource::System, SYSTEM_ACTOR));
                if answer.answer == text && answer.status == status && answer.source == source {
                    continue;
                }
                answer.answer = text;
                answer.status = status;
                answer.source = source;
                answer.version_number += 1;
                answer.updated_at = at;
                let version_id = changes.version(answer, actor);
                changes.audit(
                    actor,
                    if cleared { "answer_cleared" } else { "answer_generated" },
                    Some(question.id),
                    json!({"version_id": version_id, "version_number": answer.version_number, "task_id": task_id, "answer_status": answer.status, "source": answer.source}),
                );
                repo::update_answer(conn, answer)?;
                if cleared {
                    outcome.cleared += 1;
                } else {
                    outcome.generated += 1;
                }
            }
        }
    }
    repo::insert_answers(conn, &inserts)?;
    repo::replace_evidence(conn, &row.id, &evidence)?;

    for answer in inserts {
        current.insert(answer.question_id.clone(), answer);
    }
    let completeness = completeness(template, |id| current.get(id).map(|a| a.status));
    let status = if completeness >= 100.0 { AssessmentStatus::Completed } else { AssessmentStatus::InProgress };
    let risk_level = screening.is_high().then_some(RiskLevel::High);
    changes.status_change(SYSTEM_ACTOR, row.status, status, json!({"task_id": task_id}));
    if risk_level != row.risk_level {
        changes.audit(SYSTEM_ACTOR, "risk_changed", None, json!({"from": row.risk_level, "to": risk_level}));
    }
    let action = if row.last_evaluated_at.is_some() { "re_evaluated" } else { "generated" };
    changes.audit(
        SYSTEM_ACTOR,
        action,
        None,
        json!({"task_id": task_id, "answers_generated": outcome.generated, "human_answers_kept": outcome.kept,
               "answers_cleared": outcome.cleared, "completeness": completeness}),
    );
    changes.save(conn)?;
    repo::save_evaluation(
        conn,
        &AssessmentRow {
            system_name: facts.system.display_name().to_owned(),
            status,
            risk_level,
            risk_criteria: serde_json::to_string(&screening.all()).unwrap_or_else(|_| "[]".to_owned()),
            completeness,
            snapshot: Some(facts.snapshot()),
            snapshot_hash: Some(facts.snapshot_hash()),
            last_evaluated_at: Some(at),
            updated_at: at,
            ..row.clone()
        },
    )?;
    Ok(outcome)
}

/// Other assessments of the same system, read only by templates that cite them (the FRIA's
/// link to the DPIA).
fn related_assessments(
    conn: &mut DbConn,
    row: &AssessmentRow,
    template: &TemplateDef,
) -> Result<Vec<RelatedAssessment>> {
    if !template.questions().any(|(_, q)| q.rule == prefill::Rule::ExistingDpia) {
        return Ok(Vec::new());
    }
    Ok(repo::assessments_of_system(conn, &row.system_id)?
        .into_iter()
        .filter(|a| a.id != row.id)
        .map(|a| RelatedAssessment {
            id: a.id,
            template_id: a.template_id,
            status: a.status,
            completeness: a.completeness,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates;

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
