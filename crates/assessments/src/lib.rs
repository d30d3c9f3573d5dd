#![doc = include_str!("../README.md")]

mod ai;
mod config;
mod error;
pub mod evaluate;
pub mod facts;
mod generation;
mod model;
pub mod prefill;
pub mod questionnaire;
mod repo;
pub mod report;
pub mod risk;
mod service;
pub mod system;
pub mod templates;

pub use config::{ConfigDefaults, DEFAULT_REASSESSMENT_CRON, DEFAULT_TONE_PROMPT, MAX_TONE_CHARS, parse_cron};
pub use error::{AssessmentError, Result};
pub use model::{
    AnswerChanged, AnswerRevert, AnswerSource, AnswerStatus, AnswerUpdate, AnswerVersion, Assessment, AssessmentCreate,
    AssessmentFilter, AssessmentGroup, AssessmentQuestion, AssessmentStatus, AssessmentSummary, AuditEntry, Config,
    ConfigUpdate, EvidenceByType, EvidenceItem, EvidenceKind, QuestionnaireQuestion, QuestionnaireSend,
    QuestionnaireStatus, ReEvaluate, RemindersSent, SystemDeleted, Task, TaskAction, TaskStatus, Template,
    TemplateGroup, TemplateQuestion, Tone,
};
pub use questionnaire::{POLL_QUEUE, QuestionnairePoller, SlackSetup};
pub use report::{ExportMode, PdfReport};
pub use risk::Criterion;
pub use service::{
    AssessmentService, DieselAssessmentService, MAX_ANSWER_CHARS, MAX_SYSTEMS, MAX_TEMPLATES, REASSESS_QUEUE,
    ScheduledReassessment,
};
pub use system::{PrivacyDeclaration, System};
pub use templates::Coverage;

/// The job queue of generation and re-evaluation.
pub const QUEUE: &str = "assessments.generate";

/// Ids are `db::id::new_id`'s: a readable prefix (`pri_…` for assessments, as in the spec) and a
/// time-ordered UUIDv7, so the hundreds of rows one generation writes land at the end of each
/// index instead of on random pages.
pub(crate) use db::id::new_id;
