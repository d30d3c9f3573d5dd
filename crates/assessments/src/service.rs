//! The assessments service: the seam the gateway and other Rust programs call.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::Timelike;

use db::jobs::{JobSignal, NewJob};
use db::{Database, DbConn, now, utc};
use dsr_core::Taxonomy;
use messaging::ChatModel;
use serde_json::json;
use validation::{Loc, Problem};

use crate::config::{self, ConfigDefaults};
use crate::error::{AssessmentError, Result};
use crate::evaluate::{self, Changes};
use crate::facts::{Facts, changed_facts};
use crate::model::{
    AnswerChanged, AnswerSource, AnswerStatus, AnswerVersion, Assessment, AssessmentCreate, AssessmentFilter,
    AssessmentGroup, AssessmentQuestion, AssessmentStatus, AssessmentSummary, AuditEntry, Config, ConfigUpdate,
    EvidenceByType, EvidenceItem, EvidenceKind, QuestionnaireSend, QuestionnaireStatus, ReEvaluate, RemindersSent,
    SystemDeleted, Task, TaskAction, TaskStatus, Template, TemplateGroup, TemplateQuestion, Tone,
};
use crate::questionnaire::SlackSetup;
use crate::repo::{self, AnswerRow, AssessmentRow, SystemRow, TaskRow};
use crate::risk::{RiskLevel, screen};
use crate::system::System;
use crate::templates::{self, TemplateDef};
use crate::{QUEUE, new_id};

/// Most templates in one create request.
pub const MAX_TEMPLATES: usize = 20;
/// Most systems (or assessment ids) in one request.
pub const MAX_SYSTEMS: usize = 10_000;
/// Longest answer accepted.
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// Systems inventory and privacy assessments.
pub trait AssessmentService: Send + Sync {
    /// Adds a system (409 when the key is taken).
    fn create_system(&self, system: System) -> Result<System>;
    /// Every system, by key.
    fn list_systems(&self) -> Result<Vec<System>>;
    /// One system.
    fn get_system(&self, fides_key: &str) -> Result<System>;
    /// Replaces a system; assessments generated from different facts become outdated.
    fn update_system(&self, actor: &str, system: System) -> Result<System>;
    /// Removes a system; its assessments become outdated.
    fn delete_system(&self, actor: &str, fides_key: &str) -> Result<SystemDeleted>;

    /// Every template.
    fn templates(&self) -> Vec<Template>;
    /// One template.
    fn template(&self, id: &str) -> Result<Template>;

    /// Creates one assessment per (template, system) and queues its generation.
    fn create_assessments(&self, actor: &str, request: AssessmentCreate) -> Result<Vec<AssessmentSummary>>;
    /// Assessments matching `filter`, newest first.
    fn list_assessments(&self, filter: &AssessmentFilter) -> Result<Vec<AssessmentSummary>>;
    /// One assessment with its questions and answers.
    fn get_assessment(&self, id: &str) -> Result<Assessment>;
    /// Deletes an assessment with its answers, versions, evidence, audit log and tasks.
    fn delete_assessment(&self, id: &str) -> Result<()>;

    /// Answers a question (a new version with source `user_input`).
    fn update_answer(&self, actor: &str, id: &str, question_id: &str, answer: String) -> Result<AnswerChanged>;
    /// Versions of a question's answer, newest first.
    fn answer_history(&self, id: &str, question_id: &str) -> Result<Vec<AnswerVersion>>;
    /// Restores an earlier version's text as a new version.
    fn revert_answer(&self, actor: &str, id: &str, question_id: &str, version_id: &str) -> Result<AnswerChanged>;
    /// Every change, newest first.
    fn audit_log(&self, id: &str) -> Result<Vec<AuditEntry>>;
    /// Evidence of a question group, by type.
    fn group_evidence(&self, id: &str, group_id: &str) -> Result<EvidenceByType>;

    /// Queues re-evaluation of the given assessments, or of every outdated one.
    fn re_evaluate(&self, actor: &str, request: ReEvaluate) -> Result<Vec<Task>>;
    /// Every task, newest first.
    fn list_tasks(&self) -> Result<Vec<Task>>;
    /// One task.
    fn get_task(&self, id: &str) -> Result<Task>;
    /// Queues a new task doing what a failed one did.
    fn retry_task(&self, actor: &str, id: &str) -> Result<Task>;

    /// The configuration in force.
    fn get_config(&self) -> Result<Config>;
    /// Changes the configuration.
    fn update_config(&self, update: ConfigUpdate) -> Result<Config>;
    /// The defaults.
    fn config_defaults(&self) -> ConfigDefaults;

    /// The questionnaire tone in force.
    fn get_tone(&self) -> Result<Tone>;
    /// Sets the questionnaire tone.
    fn set_tone(&self, tone: Tone) -> Result<Tone>;
    /// Restores the default tone.
    fn reset_tone(&self) -> Result<Tone>;

    /// Posts the selected (default: every `needs_input`) questions to Slack, one message each.
    fn send_questionnaire(&self, actor: &str, id: &str, request: QuestionnaireSend) -> Result<QuestionnaireStatus>;
    /// The latest questionnaire of an assessment.
    fn questionnaire_status(&self, id: &str) -> Result<QuestionnaireStatus>;
    /// Posts a reminder in every thread without a reply.
    fn send_reminders(&self, actor: &str, id: &str) -> Result<RemindersSent>;

    /// The assessment as a PDF report.
    fn pdf_report(&self, id: &str, mode: crate::report::ExportMode) -> Result<crate::report::PdfReport>;

    /// Fires the reassessment schedule if an occurrence is due and no other process has claimed
    /// it: the firing is claimed and a job queued (on [`REASSESS_QUEUE`]) that re-evaluates every
    /// outdated assessment, retried with backoff when that fails. Answers whether it fired here.
    fn fire_due_reassessment(&self, worker: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool>;
}

/// The job queue of scheduled reassessments: one job per cron firing.
pub const REASSESS_QUEUE: &str = "assessments.reassess";
/// Attempts of a scheduled reassessment (2 s, 4 s, 8 s, … apart) before it is given up.
const REASSESS_ATTEMPTS: i32 = 8;

/// Runs the scheduled reassessments queued on [`REASSESS_QUEUE`]: re-evaluates every outdated
/// assessment, retried with backoff when that fails.
pub struct ScheduledReassessment(pub DieselAssessmentService);

impl db::jobs::JobHandler for ScheduledReassessment {
    fn run(&self, job: &db::jobs::Job) -> std::result::Result<(), db::jobs::JobFailure> {
        match self.0.re_evaluate("scheduler", ReEvaluate::default()) {
            Ok(tasks) => {
                tracing::info!(queued = tasks.len(), "scheduled reassessment queued its re-evaluations");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt = job.attempts, "scheduled reassessment failed; it will be retried");
                Err(db::jobs::JobFailure::retry(format!("Scheduled reassessment failed: {e}")))
            }
        }
    }
}

/// [`AssessmentService`] over the database; also the job handler of [`QUEUE`].
#[derive(Clone)]
pub struct DieselAssessmentService {
    pub(crate) db: Database,
    pub(crate) taxonomy: Arc<Taxonomy>,
    signal: Option<JobSignal>,
    pub(crate) llm: Option<Arc<dyn ChatModel>>,
    pub(crate) slack: Option<SlackSetup>,
}

impl DieselAssessmentService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselAssessmentService {
        DieselAssessmentService { db, taxonomy: Arc::new(Taxonomy::embedded()), signal: None, llm: None, slack: None }
    }

    /// Drafts answers the inventory cannot give with `model` (for assessments with `ai_enabled`).
    pub fn with_llm(mut self, model: Arc<dyn ChatModel>) -> DieselAssessmentService {
        self.llm = Some(model);
        self
    }

    /// Wakes this process's workers when generation is queued.
    pub fn with_job_signal(mut self, signal: JobSignal) -> DieselAssessmentService {
        self.signal = Some(signal);
        self
    }

    fn conn(&self) -> Result<db::PooledConn> {
        Ok(self.db.conn()?)
    }

    /// Sends questionnaires to Slack.
    pub fn with_slack(mut self, slack: SlackSetup) -> DieselAssessmentService {
        self.slack = Some(slack);
        self
    }

    /// Wakes this process's job workers (other processes find new jobs by polling).
    pub(crate) fn wake(&self) {
        if let Some(signal) = &self.signal {
            signal.notify();
        }
    }
}

// ---- conversions ----

fn parse_system(row: &SystemRow) -> Result<System> {
    serde_json::from_str(&row.body)
        .map_err(|e| AssessmentError::Db(db::DbError::Corrupt(format!("system {}: {e}", row.fides_key))))
}

fn system_row(system: &System, created_at: chrono::NaiveDateTime) -> SystemRow {
    SystemRow {
        fides_key: system.fides_key.clone(),
        name: system.display_name().to_owned(),
        body: serde_json::to_string(system).unwrap_or_default(),
        created_at,
        updated_at: now(),
    }
}

pub(crate) fn template_of(row: &AssessmentRow) -> Result<&'static TemplateDef> {
    templates::find(&row.template_id)
        .ok_or_else(|| AssessmentError::Db(db::DbError::Corrupt(format!("unknown template {}", row.template_id))))
}

fn summary(row: &AssessmentRow, task_id: Option<String>) -> AssessmentSummary {
    AssessmentSummary {
        id: row.id.clone(),
        status: row.status,
        risk_level: row.risk_level.as_ref().map(|_| "high"),
        completeness: row.completeness,
        template_id: row.template_id.clone(),
        template_name: templates::find(&row.template_id).map_or_else(|| row.template_id.clone(), |t| t.name.to_owned()),
        system_id: row.system_id.clone(),
        system_name: row.system_name.clone(),
        task_id,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

fn task(row: TaskRow) -> Task {
    Task {
        action_type: row.action_type,
        status: row.status,
        progress: row.progress,
        error: row.error,
        assessment_id: row.assessment_id,
        retry_of: row.retry_of,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        message: row.message,
        id: row.id,
    }
}

fn question(def: &templates::QuestionDef, answer: Option<&AnswerRow>) -> AssessmentQuestion {
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

fn template_view(t: &TemplateDef) -> Template {
    Template {
        id: t.id,
        name: t.name,
        description: t.description,
        question_groups: t
            .groups
            .iter()
            .map(|g| TemplateGroup {
                id: g.id,
                title: g.title,
                questions: g
                    .questions
                    .iter()
                    .map(|q| TemplateQuestion {
                        id: q.id,
                        text: q.text,
                        guidance: q.guidance,
                        required: q.required,
                        sources: q.rule.sources(),
                        coverage: q.coverage,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn not_found(id: &str) -> AssessmentError {
    AssessmentError::NotFound(format!("No privacy assessment found with id '{id}'"))
}

fn system_not_found(key: &str) -> AssessmentError {
    AssessmentError::NotFound(format!("No system found with fides_key '{key}'"))
}

fn find_question(template: &TemplateDef, question_id: &str) -> Result<&'static templates::QuestionDef> {
    template.question(question_id).map(|(_, q)| q).ok_or_else(|| {
        AssessmentError::NotFound(format!("Question '{question_id}' is not part of template '{}'", template.id))
    })
}

/// Keeps the first of each repeated value, reporting over-long lists.
fn distinct(values: &[String], field: &str, max: usize) -> Result<Vec<String>> {
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
fn report_unknown(
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

/// Queues one task per assessment, in the caller's transaction.
fn queue_tasks(
    conn: &mut DbConn,
    actor: &str,
    action: TaskAction,
    assessment_ids: &[String],
    retry_of: Option<&str>,
) -> Result<Vec<TaskRow>> {
    let at = now();
    let rows: Vec<TaskRow> = assessment_ids
        .iter()
        .map(|assessment_id| TaskRow {
            id: new_id("tsk"),
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
    for batch in rows.chunks(crate::generation::BATCH) {
        let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
        db::jobs::enqueue(conn, &NewJob::new(QUEUE, json!({"task_ids": ids})))?;
    }
    Ok(rows)
}

impl DieselAssessmentService {
    fn load_summaries(&self, conn: &mut DbConn, rows: &[AssessmentRow]) -> Result<Vec<AssessmentSummary>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        // Ordered oldest first, so the last insert per assessment is its latest task.
        let latest: HashMap<String, String> = repo::latest_tasks(conn, &ids)?.into_iter().collect();
        Ok(rows.iter().map(|r| summary(r, latest.get(&r.id).cloned())).collect())
    }

    fn assessment_in(&self, conn: &mut DbConn, id: &str) -> Result<AssessmentRow> {
        repo::find_assessment(conn, id)?.ok_or_else(|| not_found(id))
    }

    /// Marks the system's assessments outdated where their snapshot no longer matches
    /// (`facts` is `None` when the system was deleted).
    fn mark_outdated(&self, conn: &mut DbConn, actor: &str, key: &str, facts: Option<&Facts>) -> Result<usize> {
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

    /// Writes a new version of one answer and updates completeness and status.
    pub(crate) fn write_answer(
        &self,
        actor: &str,
        id: &str,
        question_id: &str,
        new: impl FnOnce(&mut DbConn) -> Result<(String, AnswerSource, AnswerStatus, &'static str, serde_json::Value)>,
    ) -> Result<AnswerChanged> {
        let mut conn = self.conn()?;
        let changed = conn.write_transaction(|conn| {
            let row = repo::lock_assessment(conn, id)?.ok_or_else(|| not_found(id))?;
            let template = template_of(&row)?;
            let def = find_question(template, question_id)?;
            let (text, source, status, action, mut details) = new(conn)?;
            let at = now();
            let previous = repo::find_answer(conn, id, question_id)?;
            let answer = AnswerRow {
                assessment_id: id.to_owned(),
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
            let completeness = evaluate::completeness(template, |q| statuses.get(q).copied());
            let status = evaluate::status_for(row.status, completeness);
            changes.status_change(actor, row.status, status, json!({"question_id": question_id}));
            changes.save(conn)?;
            repo::set_progress(conn, id, completeness, status, at)?;
            Ok::<_, AssessmentError>(AnswerChanged {
                question: question(def, Some(&answer)),
                version_id,
                completeness,
                status,
            })
        })?;
        Ok(changed)
    }
}

impl AssessmentService for DieselAssessmentService {
    fn create_system(&self, mut system: System) -> Result<System> {
        system.validate(&self.taxonomy).map_err(AssessmentError::Invalid)?;
        let mut conn = self.conn()?;
        conn.write_transaction(|conn| {
            if repo::find_system(conn, &system.fides_key)?.is_some() {
                return Err(AssessmentError::Conflict(format!(
                    "A system with fides_key '{}' already exists",
                    system.fides_key
                )));
            }
            repo::insert_system(conn, &system_row(&system, now()))?;
            Ok(())
        })?;
        Ok(system)
    }

    fn list_systems(&self) -> Result<Vec<System>> {
        repo::list_systems(&mut *self.conn()?)?.iter().map(parse_system).collect()
    }

    fn get_system(&self, fides_key: &str) -> Result<System> {
        let row = repo::find_system(&mut *self.conn()?, fides_key)?.ok_or_else(|| system_not_found(fides_key))?;
        parse_system(&row)
    }

    fn update_system(&self, actor: &str, mut system: System) -> Result<System> {
        system.validate(&self.taxonomy).map_err(AssessmentError::Invalid)?;
        let mut conn = self.conn()?;
        conn.write_transaction(|conn| {
            let existing = repo::find_system(conn, &system.fides_key)?.ok_or_else(|| system_not_found(&system.fides_key))?;
            repo::update_system(conn, &system_row(&system, existing.created_at))?;
            let facts = Facts::load(conn, system.clone())?;
            let marked = self.mark_outdated(conn, actor, &system.fides_key, Some(&facts))?;
            if marked > 0 {
                tracing::info!(system = %system.fides_key, assessments = marked, "system changed: assessments outdated");
            }
            Ok::<_, AssessmentError>(())
        })?;
        Ok(system)
    }

    fn delete_system(&self, actor: &str, fides_key: &str) -> Result<SystemDeleted> {
        let mut conn = self.conn()?;
        let system = conn.write_transaction(|conn| {
            let row = repo::find_system(conn, fides_key)?.ok_or_else(|| system_not_found(fides_key))?;
            let system = parse_system(&row)?;
            repo::delete_system(conn, fides_key)?;
            self.mark_outdated(conn, actor, fides_key, None)?;
            Ok::<_, AssessmentError>(system)
        })?;
        Ok(SystemDeleted { message: "resource deleted".to_owned(), resource: system })
    }

    fn templates(&self) -> Vec<Template> {
        templates::TEMPLATES.iter().map(|t| template_view(t)).collect()
    }

    fn template(&self, id: &str) -> Result<Template> {
        templates::find(id)
            .map(template_view)
            .ok_or_else(|| AssessmentError::NotFound(format!("No assessment template found with id '{id}'")))
    }

    fn create_assessments(&self, actor: &str, request: AssessmentCreate) -> Result<Vec<AssessmentSummary>> {
        let template_ids = distinct(&request.template_ids, "template_ids", MAX_TEMPLATES)?;
        let mut problems = Vec::new();
        if template_ids.is_empty() {
            problems.push(Problem::new(vec![Loc::Key("template_ids".into())], "At least one template is required"));
        }
        for (i, id) in request.template_ids.iter().enumerate() {
            if templates::find(id).is_none() {
                let known: Vec<&str> = templates::TEMPLATES.iter().map(|t| t.id).collect();
                problems.push(Problem::new(
                    vec![Loc::Key("template_ids".into()), Loc::Index(i)],
                    format!("Unknown template '{id}'; available: {}", known.join(", ")),
                ));
            }
        }
        let system_ids = match &request.system_ids {
            Some(ids) if ids.is_empty() => {
                problems.push(Problem::new(
                    vec![Loc::Key("system_ids".into())],
                    "Name at least one system, or omit system_ids to assess every system",
                ));
                None
            }
            Some(ids) => Some(distinct(ids, "system_ids", MAX_SYSTEMS)?),
            None => None,
        };
        let mut conn = self.conn()?;
        let systems: Vec<System> = match (&system_ids, &request.system_ids) {
            (Some(ids), Some(requested)) => {
                let mut rows: HashMap<String, SystemRow> =
                    repo::find_systems(&mut conn, ids)?.into_iter().map(|r| (r.fides_key.clone(), r)).collect();
                report_unknown(requested, "system_ids", "system", |key| rows.contains_key(key), &mut problems);
                ids.iter().filter_map(|key| rows.remove(key)).map(|row| parse_system(&row)).collect::<Result<_>>()?
            }
            _ => repo::list_systems(&mut conn)?.iter().map(parse_system).collect::<Result<_>>()?,
        };
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
                for template_id in &template_ids {
                    rows.push(AssessmentRow {
                        id: new_id("pri"),
                        template_id: template_id.clone(),
                        system_id: facts.system.fides_key.clone(),
                        system_name: facts.system.display_name().to_owned(),
                        status: AssessmentStatus::InProgress,
                        risk_level: screening.is_high().then_some(RiskLevel::High),
                        risk_criteria: serde_json::to_string(&screening.all()).unwrap_or_else(|_| "[]".to_owned()),
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
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
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
                rows.iter().zip(tasks).map(|(row, task)| summary(row, Some(task.id))).collect::<Vec<_>>(),
            )
        })?;
        self.wake();
        Ok(created)
    }

    fn list_assessments(&self, filter: &AssessmentFilter) -> Result<Vec<AssessmentSummary>> {
        let mut conn = self.conn()?;
        let rows = repo::list_assessments(
            &mut conn,
            filter.status,
            filter.template_id.as_deref(),
            filter.system_id.as_deref(),
        )?;
        self.load_summaries(&mut conn, &rows)
    }

    fn get_assessment(&self, id: &str) -> Result<Assessment> {
        let mut conn = self.conn()?;
        let row = self.assessment_in(&mut conn, id)?;
        let template = template_of(&row)?;
        let answers: HashMap<String, AnswerRow> =
            repo::answers_of(&mut conn, id)?.into_iter().map(|a| (a.question_id.clone(), a)).collect();
        let summary =
            self.load_summaries(&mut conn, std::slice::from_ref(&row))?.pop().unwrap_or_else(|| summary(&row, None));
        Ok(Assessment {
            summary,
            risk_criteria: db::stored_json(&row.risk_criteria, "assessment risk criteria")?,
            last_evaluated_at: row.last_evaluated_at.map(utc),
            question_groups: template
                .groups
                .iter()
                .map(|g| AssessmentGroup {
                    id: g.id.to_owned(),
                    title: g.title.to_owned(),
                    questions: g.questions.iter().map(|q| question(q, answers.get(q.id))).collect(),
                })
                .collect(),
        })
    }

    fn delete_assessment(&self, id: &str) -> Result<()> {
        let mut conn = self.conn()?;
        conn.write_transaction(|conn| {
            repo::lock_assessment(conn, id)?.ok_or_else(|| not_found(id))?;
            // Answers, versions, evidence, audit entries and tasks go with it (ON DELETE CASCADE).
            repo::delete_assessment(conn, id)?;
            Ok(())
        })
    }

    fn update_answer(&self, actor: &str, id: &str, question_id: &str, answer: String) -> Result<AnswerChanged> {
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
        self.write_answer(actor, id, question_id, move |_| {
            Ok((text, AnswerSource::UserInput, AnswerStatus::Complete, "answer_updated", json!({})))
        })
    }

    fn answer_history(&self, id: &str, question_id: &str) -> Result<Vec<AnswerVersion>> {
        let mut conn = self.conn()?;
        let row = self.assessment_in(&mut conn, id)?;
        find_question(template_of(&row)?, question_id)?;
        Ok(repo::versions_of(&mut conn, id, question_id)?
            .into_iter()
            .map(|v| AnswerVersion {
                source: v.source,
                status: v.status,
                created_at: utc(v.created_at),
                version_number: v.version_number,
                answer: v.answer,
                created_by: v.created_by,
                id: v.id,
            })
            .collect())
    }

    fn revert_answer(&self, actor: &str, id: &str, question_id: &str, version_id: &str) -> Result<AnswerChanged> {
        let version_id = version_id.to_owned();
        let (assessment, question) = (id.to_owned(), question_id.to_owned());
        self.write_answer(actor, id, question_id, move |conn| {
            let version = repo::find_version(conn, &version_id)?
                .filter(|v| v.assessment_id == assessment && v.question_id == question)
                .ok_or_else(|| {
                    AssessmentError::NotFound(format!(
                        "No version '{version_id}' of question '{question}' in this assessment"
                    ))
                })?;
            let source = version.source;
            let status = version.status;
            let details = json!({"restored_version_id": version.id, "restored_version_number": version.version_number});
            Ok((version.answer, source, status, "answer_reverted", details))
        })
    }

    fn audit_log(&self, id: &str) -> Result<Vec<AuditEntry>> {
        let mut conn = self.conn()?;
        self.assessment_in(&mut conn, id)?;
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

    fn group_evidence(&self, id: &str, group_id: &str) -> Result<EvidenceByType> {
        let mut conn = self.conn()?;
        let row = self.assessment_in(&mut conn, id)?;
        let template = template_of(&row)?;
        if template.group(group_id).is_none() {
            return Err(AssessmentError::NotFound(format!(
                "Question group '{group_id}' is not part of template '{}'",
                template.id
            )));
        }
        let mut out = EvidenceByType::default();
        for e in repo::evidence_of_group(&mut conn, id, group_id)? {
            let Some(kind) = Some(e.kind) else { continue };
            let item = EvidenceItem {
                kind,
                label: e.label,
                value: e.value,
                source_id: e.source_id,
                question_id: e.question_id,
                created_at: utc(e.created_at),
            };
            match kind {
                EvidenceKind::System => out.system.push(item),
                EvidenceKind::PrivacyDeclaration => out.privacy_declaration.push(item),
                EvidenceKind::DataUse => out.data_use.push(item),
                EvidenceKind::Dataset => out.dataset.push(item),
                EvidenceKind::TeamInput => out.team_input.push(item),
            }
        }
        Ok(out)
    }

    fn re_evaluate(&self, actor: &str, request: ReEvaluate) -> Result<Vec<Task>> {
        let mut conn = self.conn()?;
        let ids: Vec<String> = match &request.assessment_ids {
            Some(requested) => {
                let ids = distinct(requested, "assessment_ids", MAX_SYSTEMS)?;
                let stored: HashSet<String> = repo::existing_assessments(&mut conn, &ids)?.into_iter().collect();
                let mut problems = Vec::new();
                report_unknown(requested, "assessment_ids", "assessment", |id| stored.contains(id), &mut problems);
                if !problems.is_empty() {
                    return Err(AssessmentError::Invalid(problems));
                }
                ids
            }
            None => repo::list_assessments(&mut conn, Some(AssessmentStatus::Outdated), None, None)?
                .into_iter()
                .map(|r| r.id)
                .collect(),
        };
        let tasks = conn.write_transaction(|conn| queue_tasks(conn, actor, TaskAction::ReEvaluate, &ids, None))?;
        self.wake();
        Ok(tasks.into_iter().map(task).collect())
    }

    fn list_tasks(&self) -> Result<Vec<Task>> {
        Ok(repo::list_tasks(&mut *self.conn()?)?.into_iter().map(task).collect())
    }

    fn get_task(&self, id: &str) -> Result<Task> {
        repo::find_task(&mut *self.conn()?, id)?
            .map(task)
            .ok_or_else(|| AssessmentError::NotFound(format!("No assessment task found with id '{id}'")))
    }

    fn retry_task(&self, actor: &str, id: &str) -> Result<Task> {
        let mut conn = self.conn()?;
        let created = conn.write_transaction(|conn| {
            let old = repo::find_task(conn, id)?
                .ok_or_else(|| AssessmentError::NotFound(format!("No assessment task found with id '{id}'")))?;
            if old.status != TaskStatus::Failed {
                return Err(AssessmentError::BadRequest(format!(
                    "Only failed tasks can be retried; task '{id}' is {}",
                    old.status
                )));
            }
            let action = old.action_type;
            let mut rows = queue_tasks(conn, actor, action, std::slice::from_ref(&old.assessment_id), Some(id))?;
            rows.pop().ok_or_else(|| AssessmentError::Db(db::DbError::Corrupt("no task queued".into())))
        })?;
        self.wake();
        Ok(task(created))
    }

    fn get_config(&self) -> Result<Config> {
        Ok(config::view(repo::find_config(&mut *self.conn()?)?.as_ref()))
    }

    fn update_config(&self, update: ConfigUpdate) -> Result<Config> {
        let mut conn = self.conn()?;
        conn.write_transaction(|conn| {
            let existing = repo::find_config(conn)?;
            let row = config::apply(existing.as_ref(), update)?;
            repo::save_config(conn, &row, existing.is_some())?;
            Ok(config::view(Some(&row)))
        })
    }

    fn config_defaults(&self) -> ConfigDefaults {
        config::defaults()
    }

    fn get_tone(&self) -> Result<Tone> {
        Ok(Tone { tone_prompt: config::tone(repo::find_config(&mut *self.conn()?)?.as_ref()) })
    }

    fn set_tone(&self, tone: Tone) -> Result<Tone> {
        let prompt = config::check_tone(&tone.tone_prompt)?;
        self.store_tone(Some(prompt))
    }

    fn reset_tone(&self) -> Result<Tone> {
        self.store_tone(None)
    }

    fn send_questionnaire(&self, actor: &str, id: &str, request: QuestionnaireSend) -> Result<QuestionnaireStatus> {
        self.send_questionnaire_impl(actor, id, request)
    }

    fn questionnaire_status(&self, id: &str) -> Result<QuestionnaireStatus> {
        self.questionnaire_status_impl(id)
    }

    fn send_reminders(&self, actor: &str, id: &str) -> Result<RemindersSent> {
        self.send_reminders_impl(actor, id)
    }

    fn pdf_report(&self, id: &str, mode: crate::report::ExportMode) -> Result<crate::report::PdfReport> {
        self.pdf_report_impl(id, mode)
    }

    fn fire_due_reassessment(&self, worker: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool> {
        let mut conn = self.conn()?;
        let config = config::view(repo::find_config(&mut conn)?.as_ref());
        if !config.reassessment_enabled {
            return Ok(false);
        }
        let Ok(cron) = config::parse_cron(&config.reassessment_cron) else { return Ok(false) };
        let Ok(fire) = cron.find_previous_occurrence(&at, true) else { return Ok(false) };
        // A firing missed by more than this (every gateway was down) is skipped, not caught up.
        if at - fire > chrono::Duration::minutes(10) {
            return Ok(false);
        }
        let fire = fire.naive_utc().with_nanosecond(0).unwrap_or(fire.naive_utc());
        // The firing is claimed and its job queued together: a re-evaluation that then fails is
        // retried by the job (with backoff), never lost with its claim.
        let claimed = conn.write_transaction(|c| {
            if !repo::claim_firing(c, "reassessment", fire, worker)? {
                return Ok::<_, AssessmentError>(false);
            }
            let job = NewJob::new(REASSESS_QUEUE, serde_json::json!({"fire_at": fire.and_utc().to_rfc3339()}))
                .unique_key(format!("reassessment:{}", fire.and_utc().to_rfc3339()))
                .max_attempts(REASSESS_ATTEMPTS);
            db::jobs::enqueue(c, &job)?;
            Ok(true)
        })?;
        if claimed {
            self.wake();
            tracing::info!(fire_at = %fire, "scheduled reassessment fired");
        }
        Ok(claimed)
    }
}

impl DieselAssessmentService {
    fn store_tone(&self, tone: Option<String>) -> Result<Tone> {
        let mut conn = self.conn()?;
        conn.write_transaction(|conn| {
            let existing = repo::find_config(conn)?;
            let row = config::with_tone(existing.as_ref(), tone);
            repo::save_config(conn, &row, existing.is_some())?;
            Ok(Tone { tone_prompt: config::tone(Some(&row)) })
        })
    }
}
