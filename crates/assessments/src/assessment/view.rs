//! Assessments as the API shows them, and the lookups every step starts from (the assessment, its
//! template, one of its questions) with their 404s.

use std::collections::{HashMap, HashSet};

use db::{DbConn, utc};
use validation::{Loc, Problem};

use super::model::{AssessmentQuestion, AssessmentSummary, Task};
use super::repo::{self, AnswerRow, AssessmentId, AssessmentRow, TaskId, TaskRow};
use crate::error::{AssessmentError, Result};
use crate::kinds::AnswerStatus;
use crate::risk::RiskLevel;
use crate::template::{self, QuestionDef, TemplateDef};

/// The 404 of an assessment.
pub(crate) fn not_found(id: &str) -> AssessmentError {
    AssessmentError::NotFound(format!("No privacy assessment found with id '{id}'"))
}

/// Assessment `id`, or a 404.
pub(crate) fn assessment(conn: &mut DbConn, id: &str) -> Result<AssessmentRow> {
    repo::find_assessment(conn, id)?.ok_or_else(|| not_found(id))
}

/// The template an assessment was made from.
pub(crate) fn template_of(row: &AssessmentRow) -> Result<&'static TemplateDef> {
    template::find(&row.template_id)
        .ok_or_else(|| AssessmentError::Db(db::DbError::Corrupt(format!("unknown template {}", row.template_id))))
}

/// Question `question_id` of `template`, or a 404.
pub(crate) fn question_of(template: &TemplateDef, question_id: &str) -> Result<&'static QuestionDef> {
    template.question(question_id).map(|(_, q)| q).ok_or_else(|| {
        AssessmentError::NotFound(format!("Question '{question_id}' is not part of template '{}'", template.id))
    })
}

/// An assessment's summary; `task_id` is its latest task.
pub(crate) fn summary(row: &AssessmentRow, task_id: Option<String>) -> AssessmentSummary {
    AssessmentSummary {
        id: row.id.to_string(),
        status: row.status,
        risk_level: row.risk_level.map(RiskLevel::as_str),
        completeness: row.completeness,
        template_id: row.template_id.clone(),
        template_name: template::find(&row.template_id).map_or_else(|| row.template_id.clone(), |t| t.name.to_owned()),
        system_id: row.system_id.clone(),
        system_name: row.system_name.clone(),
        task_id,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

/// Summaries of `rows` with their latest tasks (one query for all).
pub(crate) fn summaries(conn: &mut DbConn, rows: &[AssessmentRow]) -> Result<Vec<AssessmentSummary>> {
    let ids: Vec<AssessmentId> = rows.iter().map(|r| r.id.clone()).collect();
    // Ordered oldest first, so the last insert per assessment is its latest task.
    let latest: HashMap<AssessmentId, TaskId> = repo::latest_tasks(conn, &ids)?.into_iter().collect();
    Ok(rows.iter().map(|r| summary(r, latest.get(&r.id).map(ToString::to_string))).collect())
}

/// A task as the API shows it.
pub(crate) fn task(row: TaskRow) -> Task {
    Task {
        action_type: row.action_type,
        status: row.status,
        progress: row.progress,
        error: row.error,
        assessment_id: row.assessment_id.into(),
        retry_of: row.retry_of,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        message: row.message,
        id: row.id.into(),
    }
}

/// A question with its answer (an empty answer is none).
pub(crate) fn question(def: &QuestionDef, answer: Option<&AnswerRow>) -> AssessmentQuestion {
    let answer = answer.filter(|a| !a.answer.is_empty());
    AssessmentQuestion {
        id: def.id.to_owned(),
        text: def.text.to_owned(),
        guidance: def.guidance.to_owned(),
        required: def.required,
        answer: answer.map(|a| a.answer.clone()),
        answer_source: answer.map(|a| a.source),
        answer_status: answer.map_or(AnswerStatus::NeedsInput, |a| a.status),
        updated_at: answer.map(|a| utc(a.updated_at)),
    }
}

/// Keeps the first of each repeated value, refusing lists longer than `max`.
pub(crate) fn distinct(values: &[String], field: &str, max: usize) -> Result<Vec<String>> {
    if values.len() > max {
        return Err(AssessmentError::invalid(
            vec![Loc::Key(field.to_owned())],
            format!("At most {max} items are allowed"),
        ));
    }
    let mut seen = HashSet::new();
    Ok(values.iter().filter(|v| seen.insert(v.as_str())).cloned().collect())
}

/// Names, by position in the request, every value of `requested` that `known` does not know.
pub(crate) fn report_unknown(
    requested: &[String],
    field: &str,
    noun: &str,
    known: impl Fn(&str) -> bool,
    problems: &mut Vec<Problem>,
) {
    for (i, value) in requested.iter().enumerate() {
        if !known(value) {
            problems.push(Problem::new(
                vec![Loc::Key(field.to_owned()), Loc::Index(i)],
                format!("Unknown {noun} '{value}'"),
            ));
        }
    }
}
