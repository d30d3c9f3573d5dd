//! Generating assessments: create one per (system, template) and queue their generation; queue
//! re-evaluations; retry failed tasks; and the job that runs them. One job carries a batch of
//! tasks and settles them in one transaction with the answers they wrote, so a job that runs
//! again after a crash finds its tasks complete and does nothing twice, and a batch costs one
//! commit instead of one per assessment.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use db::jobs::{Job, JobFailure, JobHandler, NewJob};
use db::{Database, DbConn, now};
use dsr_core::Taxonomy;
use messaging::ChatModel;
use serde_json::json;
use validation::{Loc, Problem};

use super::changes::Changes;
use super::evaluate::{self, Inputs};
use super::model::{AssessmentCreate, AssessmentSummary, ReEvaluate, Task};
use super::repo::{self, AssessmentId, AssessmentRow, TaskId, TaskRow};
use super::view;
use super::wake::Wake;
use crate::ai;
use crate::config::model as config;
use crate::config::repo as config_repo;
use crate::error::{AssessmentError, Result};
use crate::facts::Facts;
use crate::kinds::{AnswerSource, AssessmentStatus, TaskAction, TaskStatus};
use crate::prefill::{self, Context};
use crate::risk::{RiskLevel, screen};
use crate::system::System;
use crate::system::repo as system_repo;
use crate::template::{self, QuestionDef};

/// The job queue of generation and re-evaluation.
pub const QUEUE: &str = "assessments.generate";
/// Most templates in one create request.
pub const MAX_TEMPLATES: usize = 20;
/// Most systems (or assessment ids) in one request.
pub const MAX_SYSTEMS: usize = 10_000;
/// Most tasks one job carries.
const BATCH: usize = 16;

/// Why a task cannot be done now; retrying the same task will not help until someone acts.
struct Refusal(String);

/// Creates assessments, queues their generation and runs it.
#[derive(Clone)]
pub(crate) struct Generator {
    db: Database,
    taxonomy: Arc<Taxonomy>,
    llm: Option<Arc<dyn ChatModel>>,
    wake: Wake,
}

/// Queues one task per assessment, in the caller's transaction.
fn queue_tasks(
    conn: &mut DbConn,
    actor: &str,
    action: TaskAction,
    assessment_ids: &[AssessmentId],
    retry_of: Option<&str>,
) -> Result<Vec<TaskRow>> {
    let at = now();
    let rows: Vec<TaskRow> = assessment_ids
        .iter()
        .map(|assessment_id| TaskRow {
            id: TaskId::new(),
            action_type: action,
            status: TaskStatus::Pending,
            progress: 0.0,
            error: None,
            assessment_id: assessment_id.clone(),
            retry_of: retry_of.map(str::to_owned),
            created_by: actor.to_owned(),
            created_at: at,
            updated_at: at,
            message: None,
        })
        .collect();
    repo::insert_tasks(conn, &rows)?;
    for batch in rows.chunks(BATCH) {
        let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
        db::jobs::enqueue(conn, &NewJob::new(QUEUE, json!({"task_ids": ids})))?;
    }
    Ok(rows)
}

/// The templates a create request names, each once; problems are collected.
fn requested_templates(request: &AssessmentCreate, problems: &mut Vec<Problem>) -> Result<Vec<String>> {
    let template_ids = view::distinct(&request.template_ids, "template_ids", MAX_TEMPLATES)?;
    if template_ids.is_empty() {
        problems.push(Problem::new(vec![Loc::Key("template_ids".into())], "At least one template is required"));
    }
    for (i, id) in request.template_ids.iter().enumerate() {
        if template::find(id).is_none() {
            let known: Vec<&str> = template::TEMPLATES.iter().map(|t| t.id).collect();
            problems.push(Problem::new(
                vec![Loc::Key("template_ids".into()), Loc::Index(i)],
                format!("Unknown template '{id}'; available: {}", known.join(", ")),
            ));
        }
    }
    Ok(template_ids)
}

/// The systems a create request names (every system when it names none); problems are collected.
fn requested_systems(
    conn: &mut DbConn,
    request: &AssessmentCreate,
    problems: &mut Vec<Problem>,
) -> Result<Vec<System>> {
    let Some(requested) = &request.system_ids else {
        return system_repo::list_systems(conn)?.iter().map(system_repo::parse).collect();
    };
    if requested.is_empty() {
        problems.push(Problem::new(
            vec![Loc::Key("system_ids".into())],
            "Name at least one system, or omit system_ids to assess every system",
        ));
        return Ok(Vec::new());
    }
    let ids = view::distinct(requested, "system_ids", MAX_SYSTEMS)?;
    let mut rows: HashMap<String, system_repo::SystemRow> =
        system_repo::find_systems(conn, &ids)?.into_iter().map(|r| (r.fides_key.clone(), r)).collect();
    view::report_unknown(requested, "system_ids", "system", |key| rows.contains_key(key), problems);
    ids.iter().filter_map(|key| rows.remove(key)).map(|row| system_repo::parse(&row)).collect()
}

impl Generator {
    pub(crate) fn new(db: Database, taxonomy: Arc<Taxonomy>, llm: Option<Arc<dyn ChatModel>>, wake: Wake) -> Generator {
        Generator { db, taxonomy, llm, wake }
    }

    /// Creates an assessment per (system, template) and queues their generation.
    pub(crate) fn create(&self, actor: &str, request: AssessmentCreate) -> Result<Vec<AssessmentSummary>> {
        let mut problems = Vec::new();
        let template_ids = requested_templates(&request, &mut problems)?;
        let mut conn = self.db.conn()?;
        let systems = requested_systems(&mut conn, &request, &mut problems)?;
        if !problems.is_empty() {
            return Err(AssessmentError::Invalid(problems));
        }
        let created = conn.write_transaction(|conn| {
            let at = now();
            let mut rows = Vec::new();
            for system in systems {
                let facts = Facts::load(conn, system)?;
                let screening = screen(&facts);
                if request.high_risk_only && !screening.is_high() {
                    continue;
                }
                let risk_criteria =
                    serde_json::to_string(&screening.all()).map_err(|e| AssessmentError::BadRequest(e.to_string()))?;
                for template_id in &template_ids {
                    rows.push(AssessmentRow {
                        id: AssessmentId::new(),
                        template_id: template_id.clone(),
                        system_id: facts.system.fides_key.clone(),
                        system_name: facts.system.display_name().to_owned(),
                        status: AssessmentStatus::InProgress,
                        risk_level: screening.is_high().then_some(RiskLevel::High),
                        risk_criteria: risk_criteria.clone(),
                        completeness: 0.0,
                        ai_enabled: request.ai_enabled,
                        snapshot: None,
                        snapshot_hash: None,
                        last_evaluated_at: None,
                        created_by: actor.to_owned(),
                        created_at: at,
                        updated_at: at,
                    });
                }
            }
            repo::insert_assessments(conn, &rows)?;
            let ids: Vec<AssessmentId> = rows.iter().map(|r| r.id.clone()).collect();
            let tasks = queue_tasks(conn, actor, TaskAction::Generate, &ids, None)?;
            let mut audit = Vec::new();
            for (row, task) in rows.iter().zip(&tasks) {
                let mut changes = Changes::start_new(&row.id, at);
                changes.audit(
                    actor,
                    "assessment_created",
                    None,
                    json!({"template_id": row.template_id, "system_id": row.system_id, "task_id": task.id,
                           "ai_enabled": row.ai_enabled, "risk_level": row.risk_level}),
                );
                audit.extend(changes.into_audit());
            }
            repo::insert_audit(conn, &audit)?;
            Ok::<_, AssessmentError>(
                rows.iter().zip(tasks).map(|(row, task)| view::summary(row, Some(task.id.into()))).collect::<Vec<_>>(),
            )
        })?;
        self.wake.now();
        Ok(created)
    }

    /// Queues re-evaluation of the named assessments (every outdated one when none is named).
    pub(crate) fn re_evaluate(&self, actor: &str, request: ReEvaluate) -> Result<Vec<Task>> {
        let mut conn = self.db.conn()?;
        let ids: Vec<AssessmentId> = match &request.assessment_ids {
            Some(requested) => {
                let ids = view::distinct(requested, "assessment_ids", MAX_SYSTEMS)?;
                let stored: HashSet<String> = repo::existing_assessments(&mut conn, &ids)?.into_iter().collect();
                let mut problems = Vec::new();
                view::report_unknown(
                    requested,
                    "assessment_ids",
                    "assessment",
                    |id| stored.contains(id),
                    &mut problems,
                );
                if !problems.is_empty() {
                    return Err(AssessmentError::Invalid(problems));
                }
                ids.into_iter().map(AssessmentId::from).collect()
            }
            None => repo::list_assessments(&mut conn, Some(AssessmentStatus::Outdated), None, None, db::Window::ALL)?
                .items
                .into_iter()
                .map(|r| r.id)
                .collect(),
        };
        let tasks = conn.write_transaction(|conn| queue_tasks(conn, actor, TaskAction::ReEvaluate, &ids, None))?;
        self.wake.now();
        Ok(tasks.into_iter().map(view::task).collect())
    }

    /// Queues failed task `id` again, as a new task.
    pub(crate) fn retry(&self, actor: &str, id: &str) -> Result<Task> {
        let created = self.db.conn()?.write_transaction(|conn| {
            let old = repo::find_task(conn, id)?.ok_or_else(|| task_not_found(id))?;
            if old.status != TaskStatus::Failed {
                return Err(AssessmentError::BadRequest(format!(
                    "Only failed tasks can be retried; task '{id}' is {}",
                    old.status
                )));
            }
            let mut rows =
                queue_tasks(conn, actor, old.action_type, std::slice::from_ref(&old.assessment_id), Some(id))?;
            rows.pop().ok_or_else(|| AssessmentError::Db(db::DbError::Corrupt("no task queued".into())))
        })?;
        self.wake.now();
        Ok(view::task(created))
    }

    /// Runs the open tasks among `task_ids`; a storage error fails the whole batch (retried).
    fn run_tasks(&self, task_ids: &[TaskId]) -> Result<()> {
        let mut conn = self.db.conn()?;
        let open: Vec<TaskRow> = repo::find_tasks(&mut conn, task_ids)?
            .into_iter()
            .filter(|t| t.status == TaskStatus::Pending || t.status == TaskStatus::Running)
            .collect();
        if open.is_empty() {
            return Ok(()); // done before, or deleted with their assessments
        }
        let ids: Vec<TaskId> = open.iter().map(|t| t.id.clone()).collect();
        repo::set_tasks(&mut conn, &ids, TaskStatus::Running, 10.0, None, now())?;
        // The model is asked before the write transaction: its calls take seconds, and the
        // transaction holds the assessments' locks (on SQLite, the database's write lock).
        let mut drafts: HashMap<TaskId, ai::Drafts> = HashMap::new();
        if self.llm.is_some() {
            let model_name = config::view(config_repo::find_config(&mut conn)?.as_ref()).assessment_model;
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
                if let Err(Refusal(message)) = self.run_one(conn, task, &row, &mut systems, drafts.get(&task.id))? {
                    tracing::warn!(task = %task.id, assessment = %row.id, error = %message, "assessment task failed");
                    repo::set_tasks(
                        conn,
                        std::slice::from_ref(&task.id),
                        TaskStatus::Failed,
                        0.0,
                        Some(&message),
                        now(),
                    )?;
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
    ) -> Result<std::result::Result<(), Refusal>> {
        let template = view::template_of(row)?;
        if !systems.contains_key(&row.system_id) {
            // The four templates of one system usually share a batch: read its facts once.
            let facts = match system_repo::find_system(conn, &row.system_id)? {
                Some(stored) => match system_repo::parse(&stored) {
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
        let inputs =
            Inputs { template, facts, taxonomy: &self.taxonomy, ai_drafts: drafts.map_or(&no_drafts, |d| &d.answers) };
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
    fn ai_drafts(&self, conn: &mut DbConn, task: &TaskRow, model_name: &str) -> Result<Option<ai::Drafts>> {
        let Some(model) = &self.llm else { return Ok(None) };
        let Some(row) = repo::find_assessment(conn, &task.assessment_id)? else { return Ok(None) };
        if !row.ai_enabled {
            return Ok(None);
        }
        let template = view::template_of(&row)?;
        let Some(stored) = system_repo::find_system(conn, &row.system_id)? else { return Ok(None) };
        // A system that cannot be read fails its task in `run_one`, with the reason.
        let Ok(system) = system_repo::parse(&stored) else { return Ok(None) };
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
    fn settle_after_error(&self, task_ids: &[TaskId], status: TaskStatus, message: Option<&str>) {
        let recorded = self.db.conn().map_err(AssessmentError::from).and_then(|mut conn| {
            let open: Vec<TaskId> = repo::find_tasks(&mut conn, task_ids)?
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

/// The 404 of a task.
pub(crate) fn task_not_found(id: &str) -> AssessmentError {
    AssessmentError::NotFound(format!("No assessment task found with id '{id}'"))
}

impl JobHandler for Generator {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        let Some(task_ids) = job.payload.get("task_ids").and_then(|t| t.as_array()) else {
            return Err(JobFailure::permanent("job payload has no task_ids"));
        };
        let task_ids: Vec<TaskId> =
            task_ids.iter().filter_map(|t| t.as_str().map(|id| TaskId::from(id.to_owned()))).collect();
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
