//! The job that generates or re-evaluates assessments. One job carries a batch of tasks (the
//! assessments one request created, a few at a time) and settles them in one transaction with
//! the answers they wrote, so a job that runs again after a crash finds its tasks complete and
//! does nothing twice, and a batch costs one commit instead of one per assessment.

use std::collections::HashMap;

use db::DbConn;
use db::jobs::{Job, JobFailure, JobHandler};
use db::now;

use crate::ai;
use crate::config;
use crate::error::AssessmentError;
use crate::evaluate;
use crate::facts::Facts;
use crate::model::AnswerSource;
use crate::model::TaskStatus;
use crate::prefill::{self, Context};
use crate::repo::{self, AssessmentRow, TaskRow};
use crate::risk::screen;
use crate::service::{DieselAssessmentService, template_of};
use crate::system::System;
use crate::templates::QuestionDef;

/// Most tasks one job carries.
pub(crate) const BATCH: usize = 16;

/// Why a task cannot be done now; retrying the same task will not help until someone acts.
struct Refusal(String);

impl DieselAssessmentService {
    /// Runs the open tasks among `task_ids`; a storage error fails the whole batch (retried).
    fn run_tasks(&self, task_ids: &[String]) -> Result<(), AssessmentError> {
        let mut conn = self.db.conn()?;
        let open: Vec<TaskRow> = repo::find_tasks(&mut conn, task_ids)?
            .into_iter()
            .filter(|t| t.status == TaskStatus::Pending || t.status == TaskStatus::Running)
            .collect();
        if open.is_empty() {
            return Ok(()); // done before, or deleted with their assessments
        }
        let ids: Vec<String> = open.iter().map(|t| t.id.clone()).collect();
        repo::set_tasks(&mut conn, &ids, TaskStatus::Running, 10.0, None, now())?;
        // The model is asked before the write transaction: its calls take seconds, and the
        // transaction holds the assessments' locks (on SQLite, the database's write lock).
        let mut drafts: HashMap<String, ai::Drafts> = HashMap::new();
        if self.llm.is_some() {
            let model_name = config::view(repo::find_config(&mut conn)?.as_ref()).assessment_model;
            for task in &open {
                if let Some(d) = self.ai_drafts(&mut conn, task, &model_name)? {
                    drafts.insert(task.id.clone(), d);
                }
            }
        }
        conn.write_transaction(|conn| {
            let mut systems: HashMap<String, Option<Facts>> = HashMap::new();
            for task in &open {
                let Some(row) = repo::lock_assessment(conn, &task.assessment_id)? else { continue };
                match self.run_one(conn, task, &row, &mut systems, drafts.get(&task.id))? {
                    Ok(()) => {}
                    Err(Refusal(message)) => {
                        tracing::warn!(task = %task.id, assessment = %row.id, error = %message, "assessment task failed");
                        repo::set_tasks(conn, std::slice::from_ref(&task.id), TaskStatus::Failed, 0.0, Some(&message), now())?;
                    }
                }
            }
            Ok(())
        })
    }

    fn run_one(
        &self,
        conn: &mut DbConn,
        task: &TaskRow,
        row: &AssessmentRow,
        systems: &mut HashMap<String, Option<Facts>>,
        drafts: Option<&ai::Drafts>,
    ) -> Result<Result<(), Refusal>, AssessmentError> {
        let template = template_of(row)?;
        if !systems.contains_key(&row.system_id) {
            // The four templates of one system usually share a batch: read its facts once.
            let facts = match repo::find_system(conn, &row.system_id)? {
                Some(stored) => match serde_json::from_str::<System>(&stored.body) {
                    Ok(system) => Some(Facts::load(conn, system)?),
                    Err(e) => return Ok(Err(Refusal(format!("System '{}' cannot be read: {e}", row.system_id)))),
                },
                None => None,
            };
            systems.insert(row.system_id.clone(), facts);
        }
        let Some(Some(facts)) = systems.get(&row.system_id) else {
            return Ok(Err(Refusal(format!(
                "System '{}' no longer exists; add it back to the inventory, then retry this task",
                row.system_id
            ))));
        };
        let at = now();
        let no_drafts = HashMap::new();
        let inputs = evaluate::Inputs {
            template,
            facts,
            taxonomy: &self.taxonomy,
            ai_drafts: drafts.map_or(&no_drafts, |d| &d.answers),
        };
        let outcome = evaluate::evaluate(conn, row, &inputs, &task.id, at)?;
        repo::set_tasks(conn, std::slice::from_ref(&task.id), TaskStatus::Complete, 100.0, None, at)?;
        if let Some(note) = drafts.and_then(ai::Drafts::summary) {
            repo::set_task_message(conn, &task.id, &note)?;
        }
        tracing::debug!(
            assessment = %row.id, template = %row.template_id, system = %row.system_id,
            generated = outcome.generated, kept = outcome.kept, cleared = outcome.cleared,
            "assessment evaluated"
        );
        Ok(Ok(()))
    }

    /// Drafts, with the language model, the answers of the task's assessment that neither the
    /// inventory nor a person gave; `None` when AI is off for it or no model is configured.
    fn ai_drafts(
        &self,
        conn: &mut DbConn,
        task: &TaskRow,
        model_name: &str,
    ) -> Result<Option<ai::Drafts>, AssessmentError> {
        let Some(model) = &self.llm else { return Ok(None) };
        let Some(row) = repo::find_assessment(conn, &task.assessment_id)? else { return Ok(None) };
        if !row.ai_enabled {
            return Ok(None);
        }
        let template = template_of(&row)?;
        let Some(stored) = repo::find_system(conn, &row.system_id)? else { return Ok(None) };
        let Ok(system) = serde_json::from_str::<System>(&stored.body) else { return Ok(None) };
        let facts = Facts::load(conn, system)?;
        let screening = screen(&facts);
        let cx = Context { facts: &facts, screening: &screening, taxonomy: &self.taxonomy, related: &[] };
        let answers: HashMap<String, AnswerSource> =
            repo::answers_of(conn, &row.id)?.into_iter().map(|a| (a.question_id, a.source)).collect();
        let open: Vec<&'static QuestionDef> = template
            .questions()
            .map(|(_, q)| q)
            .filter(|q| {
                let human =
                    answers.get(q.id).is_some_and(|s| matches!(s, AnswerSource::UserInput | AnswerSource::TeamInput));
                !human && prefill::answer(q.rule, q.coverage, &cx).is_none()
            })
            .collect();
        if open.is_empty() {
            return Ok(None);
        }
        Ok(Some(ai::draft(model.as_ref(), model_name, template, &facts, &open)))
    }

    /// Marks the batch's unfinished tasks pending again (another attempt follows) or failed.
    fn settle_after_error(&self, task_ids: &[String], status: TaskStatus, message: Option<&str>) {
        let recorded = self.db.conn().map_err(AssessmentError::from).and_then(|mut conn| {
            let open: Vec<String> = repo::find_tasks(&mut conn, task_ids)?
                .into_iter()
                .filter(|t| t.status == TaskStatus::Pending || t.status == TaskStatus::Running)
                .map(|t| t.id)
                .collect();
            Ok(repo::set_tasks(&mut conn, &open, status, 0.0, message, now())?)
        });
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the tasks' state after a failed generation");
        }
    }
}

impl JobHandler for DieselAssessmentService {
    fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let Some(task_ids) = job.payload.get("task_ids").and_then(|t| t.as_array()) else {
            return Err(JobFailure::permanent("job payload has no task_ids"));
        };
        let task_ids: Vec<String> = task_ids.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect();
        match self.run_tasks(&task_ids) {
            Ok(()) => Ok(()),
            Err(e) => {
                let message = format!("Generation failed: {e}");
                if job.attempts >= job.max_attempts {
                    self.settle_after_error(&task_ids, TaskStatus::Failed, Some(&message));
                } else {
                    self.settle_after_error(&task_ids, TaskStatus::Pending, None);
                }
                Err(JobFailure::retry(message))
            }
        }
    }
}
