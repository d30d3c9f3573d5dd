//! Answers written by people (the API, the Slack questionnaire) or restored from an earlier
//! version: each write is a new version, audited, with the assessment's completeness and status
//! recomputed in the same transaction.

use std::collections::HashMap;

use db::{Database, DbConn, now, utc};
use serde_json::json;
use validation::Loc;

use super::changes::{self, Changes};
use super::model::{AnswerChanged, AnswerVersion};
use super::repo::{self, AnswerRow};
use super::view;
use crate::error::{AssessmentError, Result};
use crate::kinds::{AnswerSource, AnswerStatus};

/// Longest answer accepted.
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// A new answer: its text, source and status, the audit action and the audit details.
pub(crate) type NewAnswer = (String, AnswerSource, AnswerStatus, &'static str, serde_json::Value);

/// Writes and reads answers.
#[derive(Clone)]
pub(crate) struct Answers {
    db: Database,
}

impl Answers {
    pub(crate) fn new(db: Database) -> Answers {
        Answers { db }
    }

    /// A person's answer to question `question_id` of assessment `id`.
    pub(crate) fn update(&self, actor: &str, id: &str, question_id: &str, answer: String) -> Result<AnswerChanged> {
        let text = answer.trim().to_owned();
        if text.is_empty() {
            return Err(AssessmentError::invalid(vec![Loc::Key("answer".into())], "The answer must not be empty"));
        }
        // The length counts the text as given, as the schema's maxLength does.
        if answer.chars().count() > MAX_ANSWER_CHARS {
            return Err(AssessmentError::invalid(
                vec![Loc::Key("answer".into())],
                format!("The answer must be at most {MAX_ANSWER_CHARS} characters"),
            ));
        }
        self.write(actor, id, question_id, move |_| {
            Ok((text, AnswerSource::UserInput, AnswerStatus::Complete, "answer_updated", json!({})))
        })
    }

    /// Every version of one answer, oldest first.
    pub(crate) fn history(&self, id: &str, question_id: &str) -> Result<Vec<AnswerVersion>> {
        let mut conn = self.db.conn()?;
        let row = view::assessment(&mut conn, id)?;
        view::question_of(view::template_of(&row)?, question_id)?;
        Ok(repo::versions_of(&mut conn, id, question_id)?
            .into_iter()
            .map(|v| AnswerVersion {
                source: v.source,
                status: v.status,
                created_at: utc(v.created_at),
                version_number: v.version_number,
                answer: v.answer,
                created_by: v.created_by,
                id: v.id.into(),
            })
            .collect())
    }

    /// Restores version `version_id` of an answer as a new version.
    pub(crate) fn revert(&self, actor: &str, id: &str, question_id: &str, version_id: &str) -> Result<AnswerChanged> {
        let version_id = version_id.to_owned();
        let (assessment, question) = (id.to_owned(), question_id.to_owned());
        self.write(actor, id, question_id, move |conn| {
            let version = repo::find_version(conn, &version_id)?
                .filter(|v| v.assessment_id == assessment && v.question_id == question)
                .ok_or_else(|| {
                    AssessmentError::NotFound(format!(
                        "No version '{version_id}' of question '{question}' in this assessment"
                    ))
                })?;
            let details = json!({"restored_version_id": version.id, "restored_version_number": version.version_number});
            Ok((version.answer, version.source, version.status, "answer_reverted", details))
        })
    }

    /// Writes a new version of one answer (what `new` returns, in the write transaction) and
    /// updates completeness and status.
    pub(crate) fn write(
        &self,
        actor: &str,
        id: &str,
        question_id: &str,
        new: impl FnOnce(&mut DbConn) -> Result<NewAnswer>,
    ) -> Result<AnswerChanged> {
        self.db.conn()?.write_transaction(|conn| {
            let row = repo::lock_assessment(conn, id)?.ok_or_else(|| view::not_found(id))?;
            let template = view::template_of(&row)?;
            let def = view::question_of(template, question_id)?;
            let (text, source, status, action, mut details) = new(conn)?;
            let at = now();
            let previous = repo::find_answer(conn, id, question_id)?;
            let answer = AnswerRow {
                assessment_id: id.to_owned().into(),
                question_id: question_id.to_owned(),
                answer: text,
                source,
                status,
                version_number: previous.as_ref().map_or(1, |p| p.version_number + 1),
                updated_at: at,
            };
            if previous.is_some() {
                repo::update_answer(conn, &answer)?;
            } else {
                repo::insert_answers(conn, std::slice::from_ref(&answer))?;
            }
            let mut changes = Changes::start(conn, id, at)?;
            let version_id = changes.version(&answer, actor);
            if let Some(details) = details.as_object_mut() {
                details.insert("version_id".into(), json!(version_id));
                details.insert("version_number".into(), json!(answer.version_number));
                details.insert("previous_source".into(), json!(previous.as_ref().map(|p| p.source)));
            }
            changes.audit(actor, action, Some(question_id), details);
            let statuses: HashMap<String, AnswerStatus> =
                repo::answers_of(conn, id)?.into_iter().map(|a| (a.question_id, a.status)).collect();
            let completeness = changes::completeness(template, |q| statuses.get(q).copied());
            let status = changes::status_for(row.status, completeness);
            changes.status_change(actor, row.status, status, json!({"question_id": question_id}));
            changes.save(conn)?;
            repo::set_progress(conn, id, completeness, status, at)?;
            Ok::<_, AssessmentError>(AnswerChanged {
                question: view::question(def, Some(&answer)),
                version_id: version_id.into(),
                completeness,
                status,
            })
        })
    }
}
