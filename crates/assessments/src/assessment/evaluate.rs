//! Generating and re-evaluating an assessment from the inventory, inside one transaction:
//! answers written from facts (new versions only where the text changed), human answers kept,
//! evidence replaced, completeness, status, risk and snapshot recomputed, every change audited.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use db::DbConn;
use dsr_core::Taxonomy;
use serde_json::json;

use super::changes::{AI_ACTOR, Changes, SYSTEM_ACTOR, completeness};
use super::repo::{self, AnswerRow, AssessmentRow, EvidenceId, EvidenceRow};
use crate::error::Result;
use crate::facts::Facts;
use crate::kinds::{AnswerSource, AnswerStatus, AssessmentStatus};
use crate::prefill::{self, Context, Prefill, RelatedAssessment};
use crate::risk::{RiskLevel, screen};
use crate::template::TemplateDef;

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

/// What a question should say now: its text, status, source and who writes it.
type Candidate = (String, AnswerStatus, AnswerSource, &'static str);

/// One evaluation in progress: the answers to insert, the evidence, the audit and the counts.
struct Evaluation<'a> {
    row: &'a AssessmentRow,
    task_id: &'a str,
    at: NaiveDateTime,
    changes: Changes,
    inserts: Vec<AnswerRow>,
    evidence: Vec<EvidenceRow>,
    outcome: Outcome,
}

impl Evaluation<'_> {
    /// Records the facts an answer cites as the question's evidence.
    fn cite(&mut self, group_id: &str, question_id: &str, drafted: &Prefill) {
        for citation in &drafted.citations {
            self.evidence.push(EvidenceRow {
                id: EvidenceId::new(),
                assessment_id: self.row.id.clone(),
                group_id: group_id.to_owned(),
                question_id: question_id.to_owned(),
                seq: i32::try_from(self.evidence.len()).unwrap_or(i32::MAX),
                kind: citation.kind,
                label: citation.label.clone(),
                value: citation.value.clone(),
                source_id: citation.source_id.clone(),
                created_at: self.at,
            });
        }
    }

    fn audit_answer(&mut self, actor: &str, action: &str, question_id: &str, answer: &AnswerRow, version_id: &str) {
        self.changes.audit(
            actor,
            action,
            Some(question_id),
            json!({"version_id": version_id, "version_number": answer.version_number, "task_id": self.task_id,
                   "answer_status": answer.status, "source": answer.source}),
        );
    }

    /// Brings one question's stored answer (if any) to what it should say now; human answers
    /// were kept before this is called.
    fn settle(
        &mut self,
        conn: &mut DbConn,
        question_id: &str,
        existing: Option<&mut AnswerRow>,
        candidate: Option<Candidate>,
    ) -> Result<()> {
        match (existing, candidate) {
            (None, None) => {}
            (None, Some((text, status, source, actor))) => {
                let answer = AnswerRow {
                    assessment_id: self.row.id.clone(),
                    question_id: question_id.to_owned(),
                    answer: text,
                    source,
                    status,
                    version_number: 1,
                    updated_at: self.at,
                };
                let version_id = self.changes.version(&answer, actor);
                self.audit_answer(actor, "answer_generated", question_id, &answer, &version_id);
                self.inserts.push(answer);
                self.outcome.generated += 1;
            }
            (Some(answer), None) if answer.answer.is_empty() || answer.source == AnswerSource::AiAnalysis => {
                // Nothing to withdraw, or an earlier draft the model could not improve on now.
            }
            (Some(answer), candidate) => {
                let cleared = candidate.is_none();
                let (text, status, source, actor) =
                    candidate.unwrap_or((String::new(), AnswerStatus::NeedsInput, AnswerSource::System, SYSTEM_ACTOR));
                if answer.answer == text && answer.status == status && answer.source == source {
                    return Ok(());
                }
                answer.answer = text;
                answer.status = status;
                answer.source = source;
                answer.version_number += 1;
                answer.updated_at = self.at;
                let version_id = self.changes.version(answer, actor);
                let action = if cleared { "answer_cleared" } else { "answer_generated" };
                self.audit_answer(actor, action, question_id, answer, &version_id);
                repo::update_answer(conn, answer)?;
                if cleared {
                    self.outcome.cleared += 1;
                } else {
                    self.outcome.generated += 1;
                }
            }
        }
        Ok(())
    }
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
    let changes = Changes::start(conn, &row.id, at)?;
    let mut run = Evaluation {
        row,
        task_id,
        at,
        changes,
        inserts: Vec::new(),
        evidence: Vec::new(),
        outcome: Outcome::default(),
    };
    for (group_id, question) in template.questions() {
        let drafted = prefill::answer(question.rule, question.coverage, &cx);
        if let Some(drafted) = &drafted {
            run.cite(group_id, question.id, drafted);
        }
        let existing = current.get_mut(question.id);
        if existing.as_ref().is_some_and(|a| matches!(a.source, AnswerSource::UserInput | AnswerSource::TeamInput)) {
            run.outcome.kept += 1;
            continue;
        }
        // What the question should say now: the inventory's answer, else the model's draft.
        let candidate = match (&drafted, ai_drafts.get(question.id)) {
            (Some(p), _) => Some((p.answer.clone(), p.status, AnswerSource::System, SYSTEM_ACTOR)),
            (None, Some(text)) => Some((text.clone(), AnswerStatus::Partial, AnswerSource::AiAnalysis, AI_ACTOR)),
            (None, None) => None,
        };
        run.settle(conn, question.id, existing, candidate)?;
    }
    repo::insert_answers(conn, &run.inserts)?;
    repo::replace_evidence(conn, &row.id, &run.evidence)?;
    for answer in std::mem::take(&mut run.inserts) {
        current.insert(answer.question_id.clone(), answer);
    }
    let completeness = completeness(template, |id| current.get(id).map(|a| a.status));
    finish(conn, run, facts, &screening, completeness)
}

/// Records the evaluation's outcome: status, risk, completeness, snapshot and the audit.
fn finish(
    conn: &mut DbConn,
    mut run: Evaluation<'_>,
    facts: &Facts,
    screening: &crate::risk::Screening,
    completeness: f64,
) -> Result<Outcome> {
    let (row, task_id, at, outcome) = (run.row, run.task_id, run.at, run.outcome);
    let status = if completeness >= 100.0 { AssessmentStatus::Completed } else { AssessmentStatus::InProgress };
    let risk_level = screening.is_high().then_some(RiskLevel::High);
    run.changes.status_change(SYSTEM_ACTOR, row.status, status, json!({"task_id": task_id}));
    if risk_level != row.risk_level {
        run.changes.audit(SYSTEM_ACTOR, "risk_changed", None, json!({"from": row.risk_level, "to": risk_level}));
    }
    let action = if row.last_evaluated_at.is_some() { "re_evaluated" } else { "generated" };
    run.changes.audit(
        SYSTEM_ACTOR,
        action,
        None,
        json!({"task_id": task_id, "answers_generated": outcome.generated, "human_answers_kept": outcome.kept,
               "answers_cleared": outcome.cleared, "completeness": completeness}),
    );
    run.changes.save(conn)?;
    let risk_criteria =
        serde_json::to_string(&screening.all()).map_err(|e| crate::AssessmentError::BadRequest(e.to_string()))?;
    repo::save_evaluation(
        conn,
        &AssessmentRow {
            system_name: facts.system.display_name().to_owned(),
            status,
            risk_level,
            risk_criteria,
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
            id: a.id.into(),
            template_id: a.template_id,
            status: a.status,
            completeness: a.completeness,
        })
        .collect())
}
