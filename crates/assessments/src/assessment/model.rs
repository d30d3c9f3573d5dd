//! Wire types of assessments: create bodies, summaries, questions and answers, versions, audit
//! entries, evidence, tasks and questionnaires.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::kinds::{AnswerSource, AnswerStatus, AssessmentStatus, EvidenceKind, TaskAction, TaskStatus};
use crate::risk::Criterion;

/// Schema of an answer's text: non-blank, at most [`crate::MAX_ANSWER_CHARS`] characters.
pub type AnswerText = validation::text::NonBlank<20_000>;

/// `POST /` — generate assessments.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentCreate {
    /// Templates to generate (at least one).
    #[schema(value_type = Vec<crate::template::TemplateId>, min_items = 1, max_items = 20, example = json!(["gdpr_dpia"]))]
    pub template_ids: Vec<String>,
    /// Systems to assess (at least one when given); omitted or null means every system.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 10000)]
    pub system_ids: Option<Vec<String>>,
    /// Draft answers with the language model where one is configured.
    #[serde(default = "yes")]
    pub ai_enabled: bool,
    /// Only systems the screening finds high-risk.
    #[serde(default)]
    pub high_risk_only: bool,
}

fn yes() -> bool {
    true
}

/// An assessment in lists and create answers (without its questions).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AssessmentSummary {
    /// `pri_…`.
    pub id: String,
    /// `in_progress`, `completed` or `outdated`.
    pub status: AssessmentStatus,
    /// `high` when the system met the high-risk rules, else null.
    #[schema(value_type = Option<String>, example = "high")]
    pub risk_level: Option<&'static str>,
    /// Share of required questions with a complete answer, 0–100.
    pub completeness: f64,
    /// The template.
    pub template_id: String,
    /// The template's name.
    pub template_name: String,
    /// The system's `fides_key`.
    pub system_id: String,
    /// The system's name.
    pub system_name: String,
    /// The latest generation or re-evaluation task.
    pub task_id: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A question of an assessment with its current answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AssessmentQuestion {
    /// Stable question id.
    pub id: String,
    /// The question.
    pub text: String,
    /// How to answer it.
    pub guidance: String,
    /// Counts towards completeness.
    pub required: bool,
    /// The current answer, if any.
    pub answer: Option<String>,
    /// Where the current answer came from.
    pub answer_source: Option<AnswerSource>,
    /// `complete`, `partial` or `needs_input`.
    pub answer_status: AnswerStatus,
    /// When the answer last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A question group of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AssessmentGroup {
    /// Stable group id (for the evidence route).
    pub id: String,
    /// Title.
    pub title: String,
    /// Questions in order.
    pub questions: Vec<AssessmentQuestion>,
}

/// An assessment with all its questions and answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Assessment {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: AssessmentSummary,
    /// The high-risk criteria the system met when last evaluated.
    pub risk_criteria: Vec<Criterion>,
    /// When answers were last generated from the inventory.
    pub last_evaluated_at: Option<DateTime<Utc>>,
    /// Question groups with current answers.
    pub question_groups: Vec<AssessmentGroup>,
}

/// Filters of `GET /`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssessmentFilter {
    /// Only this status.
    #[param(inline)]
    pub status: Option<AssessmentStatus>,
    /// Only this template.
    pub template_id: Option<String>,
    /// Only this system.
    pub system_id: Option<String>,
}

/// `PUT /{id}/questions/{question_id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerUpdate {
    /// The new answer text.
    #[schema(value_type = AnswerText)]
    pub answer: String,
}

/// `POST /{id}/questions/{question_id}/revert`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRevert {
    /// The version whose text to restore.
    pub version_id: String,
}

/// The result of changing an answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnswerChanged {
    /// The question with its new answer.
    pub question: AssessmentQuestion,
    /// The new version's id.
    pub version_id: String,
    /// The assessment's completeness now.
    pub completeness: f64,
    /// The assessment's status now.
    pub status: AssessmentStatus,
}

/// One version of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnswerVersion {
    /// Version id.
    pub id: String,
    /// 1, 2, … per question.
    pub version_number: i32,
    /// Answer text at this version (empty when the inventory no longer answers it).
    pub answer: String,
    /// `system`, `ai_analysis`, `user_input` or `team_input`.
    pub source: AnswerSource,
    /// Answer status at this version.
    pub status: AnswerStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Client id, `system` or `ai_agent`.
    pub created_by: String,
}

/// An audit log entry.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Client id, `system` or `ai_agent`.
    pub actor: String,
    /// `assessment_created`, `answer_generated`, `answer_updated`, `answer_reverted`,
    /// `answer_cleared`, `status_changed`, `risk_changed`, `re_evaluated`.
    pub action: String,
    /// The question changed, if any.
    pub question_id: Option<String>,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// Context (versions, statuses, changed facts).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EvidenceItem {
    /// `system`, `privacy_declaration`, `data_use` or `dataset`.
    #[serde(rename = "type")]
    pub kind: EvidenceKind,
    /// Display label.
    pub label: String,
    /// The cited value.
    pub value: String,
    /// Key of the record cited.
    pub source_id: String,
    /// The question it supports.
    pub question_id: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// Evidence of a question group, by type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct EvidenceByType {
    /// System fields.
    pub system: Vec<EvidenceItem>,
    /// Privacy declarations.
    pub privacy_declaration: Vec<EvidenceItem>,
    /// Data uses.
    pub data_use: Vec<EvidenceItem>,
    /// Datasets.
    pub dataset: Vec<EvidenceItem>,
    /// Slack threads the team answered in.
    pub team_input: Vec<EvidenceItem>,
}

/// A generation or re-evaluation task.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Task {
    /// Task id.
    pub id: String,
    /// `generate` or `re_evaluate`.
    pub action_type: TaskAction,
    /// `pending`, `running`, `complete` or `failed`.
    pub status: TaskStatus,
    /// 0–100.
    pub progress: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// The assessment it works on.
    pub assessment_id: String,
    /// The failed task this one retries.
    pub retry_of: Option<String>,
    /// Reservations of a completed task, e.g. AI drafts that could not be had.
    pub message: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// `POST /re-evaluate`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReEvaluate {
    /// Assessments to re-evaluate; omitted or null means every outdated one.
    #[serde(default)]
    pub assessment_ids: Option<Vec<String>>,
}

/// `POST /{id}/questionnaire`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireSend {
    /// Slack channel id (or name); default: the configured channel.
    #[serde(default)]
    pub channel: Option<String>,
    /// Questions to send; default: every `needs_input` question.
    #[serde(default)]
    pub question_ids: Option<Vec<String>>,
}

/// One question of a questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionnaireQuestion {
    /// The template question.
    pub question_id: String,
    /// When it was posted.
    pub sent_at: DateTime<Utc>,
    /// Someone replied in its thread.
    pub responded: bool,
    /// When the first reply was taken.
    pub response_received_at: Option<DateTime<Utc>>,
    /// Reminders posted in its thread.
    pub reminder_count: i32,
}

/// The state of an assessment's (latest) questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionnaireStatus {
    /// The assessment.
    pub assessment_id: String,
    /// The questionnaire.
    pub questionnaire_id: String,
    /// Slack channel id.
    pub channel: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The questions posted, in order.
    pub questions: Vec<QuestionnaireQuestion>,
}

/// `POST /{id}/questionnaire/reminders`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RemindersSent {
    /// Reminders posted.
    pub sent: usize,
    /// The questions reminded about.
    pub question_ids: Vec<String>,
    /// Slack channel id.
    pub channel: String,
}
