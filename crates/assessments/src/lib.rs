#![doc = include_str!("../README.md")]

// Below the aggregates: the crate's text enums and shared logic.
mod error;
pub mod kinds;

// Aggregates and topics, lowest first.
mod ai;
pub mod assessment;
pub mod config;
pub mod facts;
pub mod prefill;
pub mod risk;
pub mod system;
pub mod template;

pub use assessment::{
    AI_ACTOR, AnswerChanged, AnswerRevert, AnswerText, AnswerUpdate, AnswerVersion, Assessment, AssessmentCreate,
    AssessmentFilter, AssessmentGroup, AssessmentQuestion, AssessmentService, AssessmentSummary, AuditEntry,
    DieselAssessmentService, EvidenceByType, EvidenceItem, ExportMode, MAX_ANSWER_CHARS, MAX_SYSTEMS, MAX_TEMPLATES,
    MarkOutdated, POLL_QUEUE, PdfReport, QUEUE, QuestionnairePoller, QuestionnaireQuestion, QuestionnaireSend,
    QuestionnaireStatus, REASSESS_QUEUE, ReEvaluate, RemindersSent, SCHEDULE_QUEUE, SYSTEM_ACTOR, ScheduleCheck,
    ScheduledReassessment, SlackSetup, Task,
};
pub use config::{
    Config, ConfigDefaults, ConfigService, ConfigUpdate, DEFAULT_REASSESSMENT_CRON, DEFAULT_TONE_PROMPT,
    DieselConfigService, MAX_TONE_CHARS, Tone, parse_cron,
};
pub use error::{AssessmentError, Result};
pub use kinds::{AnswerSource, AnswerStatus, AssessmentStatus, Coverage, EvidenceKind, TaskAction, TaskStatus};
pub use risk::Criterion;
pub use system::{DieselSystemService, PrivacyDeclaration, System, SystemChanges, SystemDeleted, SystemService};
pub use template::{Template, TemplateGroup, TemplateQuestion};
