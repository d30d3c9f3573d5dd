//! Privacy assessments of inventory systems against a template, one file per step: `generate`
//! (create and queue, re-evaluate, retry, and the generation job), `catalog` (read and delete),
//! `answer` (people's answers as versions), `evidence` (evidence by group, the audit log),
//! `questionnaire` (Slack), `report` (PDF) and `schedule` (the reassessment cron as durable
//! jobs). Each step is its own struct holding only what it needs; [`DieselAssessmentService`]
//! composes them behind [`AssessmentService`]. [`MarkOutdated`] is what system changes do to
//! assessments.

mod answer;
mod catalog;
mod changes;
mod evaluate;
mod evidence;
mod generate;
pub(crate) mod model;
mod outdated;
mod questionnaire;
mod repo;
mod report;
mod schedule;
mod view;
mod wake;

use std::sync::Arc;

use db::jobs::{Job, JobFailure, JobHandler, JobSignal};
use db::{Database, Page, Window};
use dsr_core::Taxonomy;
use messaging::ChatModel;

pub use answer::MAX_ANSWER_CHARS;
pub use changes::{AI_ACTOR, SYSTEM_ACTOR};
pub use generate::{MAX_SYSTEMS, MAX_TEMPLATES, QUEUE};
pub use model::{
    AnswerChanged, AnswerRevert, AnswerText, AnswerUpdate, AnswerVersion, Assessment, AssessmentCreate,
    AssessmentFilter, AssessmentGroup, AssessmentQuestion, AssessmentSummary, AuditEntry, EvidenceByType, EvidenceItem,
    QuestionnaireQuestion, QuestionnaireSend, QuestionnaireStatus, ReEvaluate, RemindersSent, Task,
};
pub use outdated::MarkOutdated;
pub use questionnaire::{POLL_QUEUE, QuestionnairePoller, SlackSetup};
pub use report::{ExportMode, PdfReport};
pub use schedule::{REASSESS_QUEUE, SCHEDULE_QUEUE, ScheduleCheck, ScheduledReassessment};

use crate::error::Result;
use answer::Answers;
use catalog::Catalog;
use evidence::Evidence;
use generate::Generator;
use questionnaire::Questionnaires;
use report::Reports;
use schedule::Schedule;
use wake::Wake;

/// Privacy assessments: create, read, answer, evidence, tasks, questionnaires, reports, schedule.
pub trait AssessmentService: Send + Sync {
    /// Creates an assessment per (system, template) and queues their generation.
    fn create_assessments(&self, actor: &str, request: AssessmentCreate) -> Result<Vec<AssessmentSummary>>;
    /// One window of the assessments `filter` selects, newest first.
    fn list_assessments(&self, filter: &AssessmentFilter, window: Window) -> Result<Page<AssessmentSummary>>;
    /// One assessment with its questions and answers.
    fn get_assessment(&self, id: &str) -> Result<Assessment>;
    /// Deletes an assessment with everything recorded about it.
    fn delete_assessment(&self, id: &str) -> Result<()>;

    /// A person's answer to one question (a new version).
    fn update_answer(&self, actor: &str, id: &str, question_id: &str, answer: String) -> Result<AnswerChanged>;
    /// Every version of one answer, oldest first.
    fn answer_history(&self, id: &str, question_id: &str) -> Result<Vec<AnswerVersion>>;
    /// Restores an earlier version of one answer (as a new version).
    fn revert_answer(&self, actor: &str, id: &str, question_id: &str, version_id: &str) -> Result<AnswerChanged>;
    /// The audit log, oldest first.
    fn audit_log(&self, id: &str) -> Result<Vec<AuditEntry>>;
    /// The evidence of one question group, by kind.
    fn group_evidence(&self, id: &str, group_id: &str) -> Result<EvidenceByType>;

    /// Queues re-evaluation of the named assessments (every outdated one when none is named).
    fn re_evaluate(&self, actor: &str, request: ReEvaluate) -> Result<Vec<Task>>;
    /// One window of the tasks, newest first.
    fn list_tasks(&self, window: Window) -> Result<Page<Task>>;
    /// One task.
    fn get_task(&self, id: &str) -> Result<Task>;
    /// Queues a failed task again.
    fn retry_task(&self, actor: &str, id: &str) -> Result<Task>;

    /// Posts the questions that need input to Slack.
    fn send_questionnaire(&self, actor: &str, id: &str, request: QuestionnaireSend) -> Result<QuestionnaireStatus>;
    /// The latest questionnaire of an assessment.
    fn questionnaire_status(&self, id: &str) -> Result<QuestionnaireStatus>;
    /// Reminds every thread without a reply.
    fn send_reminders(&self, actor: &str, id: &str) -> Result<RemindersSent>;

    /// The PDF report.
    fn pdf_report(&self, id: &str, mode: ExportMode) -> Result<PdfReport>;

    /// Claims the reassessment firing due at `at`, if any, and queues its job (what the schedule
    /// check job does); false when none is due or another gateway claimed it.
    fn fire_due_reassessment(&self, worker: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool>;
}

/// [`AssessmentService`] over the database; also the job handler of [`QUEUE`].
#[derive(Clone)]
pub struct DieselAssessmentService {
    db: Database,
    taxonomy: Arc<Taxonomy>,
    llm: Option<Arc<dyn ChatModel>>,
    slack: Option<SlackSetup>,
    wake: Wake,
}

impl DieselAssessmentService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselAssessmentService {
        DieselAssessmentService {
            db,
            taxonomy: Arc::new(Taxonomy::embedded()),
            llm: None,
            slack: None,
            wake: Wake::default(),
        }
    }

    /// Drafts answers the inventory cannot give with `model` (for assessments with `ai_enabled`),
    /// and phrases questionnaire messages with it.
    pub fn with_llm(mut self, model: Arc<dyn ChatModel>) -> DieselAssessmentService {
        self.llm = Some(model);
        self
    }

    /// Sends questionnaires to Slack.
    pub fn with_slack(mut self, slack: SlackSetup) -> DieselAssessmentService {
        self.slack = Some(slack);
        self
    }

    /// Wakes this process's workers when generation is queued.
    pub fn with_job_signal(self, signal: JobSignal) -> DieselAssessmentService {
        self.wake.signal_with(signal);
        self
    }

    /// The job handler of [`POLL_QUEUE`].
    pub fn questionnaire_poller(&self) -> QuestionnairePoller {
        QuestionnairePoller(self.questionnaires())
    }

    /// The job handler of [`SCHEDULE_QUEUE`].
    pub fn schedule_check(&self) -> ScheduleCheck {
        ScheduleCheck(self.schedule())
    }

    /// The job handler of [`REASSESS_QUEUE`].
    pub fn scheduled_reassessment(&self) -> ScheduledReassessment {
        ScheduledReassessment(self.generator())
    }

    /// Queues the first schedule check; checks then follow every `every` (once for all
    /// gateways on one database).
    pub fn start_schedule(&self, every: std::time::Duration) -> Result<()> {
        self.schedule().start(every)
    }

    fn generator(&self) -> Generator {
        Generator::new(self.db.clone(), Arc::clone(&self.taxonomy), self.llm.clone(), self.wake.clone())
    }

    fn answers(&self) -> Answers {
        Answers::new(self.db.clone())
    }

    fn questionnaires(&self) -> Questionnaires {
        Questionnaires::new(self.db.clone(), self.slack.clone(), self.llm.clone(), self.answers(), self.wake.clone())
    }

    fn schedule(&self) -> Schedule {
        Schedule::new(self.db.clone(), self.wake.clone())
    }

    fn catalog(&self) -> Catalog {
        Catalog::new(self.db.clone())
    }
}

impl AssessmentService for DieselAssessmentService {
    fn create_assessments(&self, actor: &str, request: AssessmentCreate) -> Result<Vec<AssessmentSummary>> {
        self.generator().create(actor, request)
    }

    fn list_assessments(&self, filter: &AssessmentFilter, window: Window) -> Result<Page<AssessmentSummary>> {
        self.catalog().list(filter, window)
    }

    fn get_assessment(&self, id: &str) -> Result<Assessment> {
        self.catalog().get(id)
    }

    fn delete_assessment(&self, id: &str) -> Result<()> {
        self.catalog().delete(id)
    }

    fn update_answer(&self, actor: &str, id: &str, question_id: &str, answer: String) -> Result<AnswerChanged> {
        self.answers().update(actor, id, question_id, answer)
    }

    fn answer_history(&self, id: &str, question_id: &str) -> Result<Vec<AnswerVersion>> {
        self.answers().history(id, question_id)
    }

    fn revert_answer(&self, actor: &str, id: &str, question_id: &str, version_id: &str) -> Result<AnswerChanged> {
        self.answers().revert(actor, id, question_id, version_id)
    }

    fn audit_log(&self, id: &str) -> Result<Vec<AuditEntry>> {
        Evidence::new(self.db.clone()).audit_log(id)
    }

    fn group_evidence(&self, id: &str, group_id: &str) -> Result<EvidenceByType> {
        Evidence::new(self.db.clone()).of_group(id, group_id)
    }

    fn re_evaluate(&self, actor: &str, request: ReEvaluate) -> Result<Vec<Task>> {
        self.generator().re_evaluate(actor, request)
    }

    fn list_tasks(&self, window: Window) -> Result<Page<Task>> {
        self.catalog().tasks(window)
    }

    fn get_task(&self, id: &str) -> Result<Task> {
        self.catalog().task(id)
    }

    fn retry_task(&self, actor: &str, id: &str) -> Result<Task> {
        self.generator().retry(actor, id)
    }

    fn send_questionnaire(&self, actor: &str, id: &str, request: QuestionnaireSend) -> Result<QuestionnaireStatus> {
        self.questionnaires().send(actor, id, request)
    }

    fn questionnaire_status(&self, id: &str) -> Result<QuestionnaireStatus> {
        self.questionnaires().status(id)
    }

    fn send_reminders(&self, actor: &str, id: &str) -> Result<RemindersSent> {
        self.questionnaires().remind(actor, id)
    }

    fn pdf_report(&self, id: &str, mode: ExportMode) -> Result<PdfReport> {
        Reports::new(self.db.clone()).pdf(id, mode)
    }

    fn fire_due_reassessment(&self, worker: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool> {
        self.schedule().fire_due(worker, at)
    }
}

impl JobHandler for DieselAssessmentService {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        self.generator().run(job)
    }
}
