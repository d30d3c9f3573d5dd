//! The assessment configuration: models, and the reassessment schedule (a five-field cron
//! expression checked with `croner`).

use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use validation::Loc;

use super::repo::ConfigRow;
use crate::error::{AssessmentError, Result};

/// Model used for generation when none is configured.
pub const DEFAULT_ASSESSMENT_MODEL: &str = "gpt-4o-mini";
/// Model used for questionnaire chat when none is configured.
pub const DEFAULT_CHAT_MODEL: &str = "gpt-4o-mini";
/// Daily at 09:00 UTC, as Fides.
pub const DEFAULT_REASSESSMENT_CRON: &str = "0 9 * * *";
/// How questionnaire questions are phrased unless told otherwise.
pub const DEFAULT_TONE_PROMPT: &str = "Rephrase the question for a busy colleague who knows the system but not \
privacy law: friendly, plain words, one or two sentences, no legal jargon, and end by asking them to \
reply in this thread.";
/// Longest tone prompt accepted.
pub const MAX_TONE_CHARS: usize = 2_000;
/// Longest model identifier accepted.
const MAX_MODEL_CHARS: usize = 200;

/// `GET /config/defaults`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConfigDefaults {
    /// Default generation model.
    pub assessment_model: &'static str,
    /// Default chat model.
    pub chat_model: &'static str,
    /// Reassessment is off by default.
    pub reassessment_enabled: bool,
    /// Default schedule.
    pub reassessment_cron: &'static str,
}

/// The defaults.
pub fn defaults() -> ConfigDefaults {
    ConfigDefaults {
        assessment_model: DEFAULT_ASSESSMENT_MODEL,
        chat_model: DEFAULT_CHAT_MODEL,
        reassessment_enabled: false,
        reassessment_cron: DEFAULT_REASSESSMENT_CRON,
    }
}

/// The configuration in force given the stored row (defaults where nothing is stored).
pub(crate) fn view(row: Option<&ConfigRow>) -> Config {
    Config {
        assessment_model: row
            .and_then(|r| r.assessment_model.clone())
            .unwrap_or_else(|| DEFAULT_ASSESSMENT_MODEL.to_owned()),
        chat_model: row.and_then(|r| r.chat_model.clone()).unwrap_or_else(|| DEFAULT_CHAT_MODEL.to_owned()),
        reassessment_enabled: row.is_some_and(|r| r.reassessment_enabled),
        reassessment_cron: row.map_or_else(|| DEFAULT_REASSESSMENT_CRON.to_owned(), |r| r.reassessment_cron.clone()),
    }
}

/// The tone prompt in force.
pub(crate) fn tone(row: Option<&ConfigRow>) -> String {
    row.and_then(|r| r.tone_prompt.clone()).unwrap_or_else(|| DEFAULT_TONE_PROMPT.to_owned())
}

/// The row to store next: what is stored now (defaults where nothing is), stamped now.
fn next_row(existing: Option<&ConfigRow>) -> ConfigRow {
    match existing {
        Some(row) => ConfigRow { updated_at: db::now(), ..row.clone() },
        None => ConfigRow {
            id: "default".to_owned(),
            assessment_model: None,
            chat_model: None,
            reassessment_enabled: false,
            reassessment_cron: DEFAULT_REASSESSMENT_CRON.to_owned(),
            updated_at: db::now(),
            tone_prompt: None,
        },
    }
}

/// The stored row with `tone` as the tone prompt (`None`: the default).
pub(crate) fn with_tone(existing: Option<&ConfigRow>, tone: Option<String>) -> ConfigRow {
    ConfigRow { tone_prompt: tone, ..next_row(existing) }
}

/// Checks a tone prompt: required, non-blank, at most [`MAX_TONE_CHARS`].
pub(crate) fn check_tone(tone: &str) -> Result<String> {
    // The length counts the text as given, as the schema's maxLength does.
    let given = tone.chars().count();
    let tone = tone.trim();
    if tone.is_empty() || given > MAX_TONE_CHARS {
        return Err(AssessmentError::invalid(
            vec![Loc::Key("tone_prompt".into())],
            format!("The tone prompt must be 1-{MAX_TONE_CHARS} characters"),
        ));
    }
    Ok(tone.to_owned())
}

/// Why a cron expression was refused: the message names the expression and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidCron(pub String);

/// Parses a five-field cron expression (minute hour day-of-month month day-of-week).
pub fn parse_cron(expression: &str) -> std::result::Result<croner::Cron, InvalidCron> {
    let fields = expression.split_whitespace().count();
    if fields != 5 {
        return Err(InvalidCron(format!(
            "Invalid cron expression '{expression}': expected 5 fields (minute hour day-of-month month day-of-week), got {fields}"
        )));
    }
    croner::Cron::from_str(expression).map_err(|e| InvalidCron(format!("Invalid cron expression '{expression}': {e}")))
}

fn check_model(field: &str, value: Option<String>, problems: &mut Vec<validation::Problem>) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    if trimmed.is_empty() || value.chars().count() > MAX_MODEL_CHARS || value.chars().any(char::is_control) {
        problems.push(validation::Problem::new(
            vec![Loc::Key(field.to_owned())],
            format!("A model identifier must be 1-{MAX_MODEL_CHARS} printable characters; send null for the default"),
        ));
    }
    Some(trimmed.to_owned())
}

/// The row after `update`, or every invalid field.
pub(crate) fn apply(existing: Option<&ConfigRow>, update: ConfigUpdate) -> Result<ConfigRow> {
    let mut problems = Vec::new();
    let mut row = next_row(existing);
    if let Some(model) = update.assessment_model {
        row.assessment_model = check_model("assessment_model", model, &mut problems);
    }
    if let Some(model) = update.chat_model {
        row.chat_model = check_model("chat_model", model, &mut problems);
    }
    if let Some(enabled) = update.reassessment_enabled {
        row.reassessment_enabled = enabled;
    }
    if let Some(cron) = update.reassessment_cron {
        let cron = cron.trim().to_owned();
        if let Err(InvalidCron(message)) = parse_cron(&cron) {
            problems.push(validation::Problem::new(vec![Loc::Key("reassessment_cron".into())], message));
        }
        row.reassessment_cron = cron;
    }
    if problems.is_empty() { Ok(row) } else { Err(AssessmentError::Invalid(problems)) }
}

/// The OpenAPI schema of a model identifier: 1 to 200 printable characters, not all blank.
#[derive(Debug, Clone, Copy)]
pub struct ModelName;

impl utoipa::PartialSchema for ModelName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        // No control character anywhere, and one that is not whitespace either.
        let printable = r"[^\u0000-\u001f\u007f-\u009f]";
        let visible = format!(r"[^\u0000-\u001f\u007f-\u009f{}]", validation::text::WHITESPACE_CLASS);
        validation::text::pattern(
            "A model identifier: 1 to 200 printable characters",
            &format!("^{printable}*{visible}{printable}*$"),
            Some(200),
        )
    }
}

impl ToSchema for ModelName {}

/// The OpenAPI schema of a cron expression: five fields separated by whitespace (their values
/// are checked by the server).
#[derive(Debug, Clone, Copy)]
pub struct CronExpression;

impl utoipa::PartialSchema for CronExpression {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let space = format!("[{}]", validation::text::WHITESPACE_CLASS);
        let field = format!("[^{}]+", validation::text::WHITESPACE_CLASS);
        validation::text::pattern(
            "Five cron fields (minute hour day-of-month month day-of-week), UTC",
            &format!("^{space}*{field}{space}+{field}{space}+{field}{space}+{field}{space}+{field}{space}*$"),
            None,
        )
    }
}

impl ToSchema for CronExpression {}

/// The assessment configuration.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Config {
    /// Model for generation.
    pub assessment_model: String,
    /// Model for questionnaire chat.
    pub chat_model: String,
    /// Periodic re-evaluation of outdated assessments.
    pub reassessment_enabled: bool,
    /// When it runs (five-field cron, UTC).
    #[schema(example = "0 9 * * *")]
    pub reassessment_cron: String,
}

/// `PUT /config`: every field optional; a null model goes back to the default.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigUpdate {
    /// Model for generation; null restores the default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ModelName>)]
    pub assessment_model: Option<Option<String>>,
    /// Model for questionnaire chat; null restores the default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ModelName>)]
    pub chat_model: Option<Option<String>>,
    /// Periodic re-evaluation on or off.
    #[serde(default)]
    pub reassessment_enabled: Option<bool>,
    /// Five-field cron expression (minute hour day-of-month month day-of-week), UTC.
    #[serde(default)]
    #[schema(value_type = Option<CronExpression>)]
    pub reassessment_cron: Option<String>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The questionnaire tone: instructions for phrasing questions to the team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tone {
    /// How to phrase questions (1–2,000 characters).
    #[schema(value_type = validation::text::NonBlankTextString)]
    pub tone_prompt: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_need_five_valid_fields() {
        assert!(parse_cron("0 9 * * 1").is_ok());
        assert!(parse_cron("*/15 9-17 * * MON-FRI").is_ok());
        assert!(parse_cron("0 9 * *").is_err_and(|e| e.0.contains("expected 5 fields")));
        assert!(parse_cron("0 0 9 * * *").is_err(), "seconds are not accepted");
        assert!(parse_cron("61 9 * * *").is_err());
        assert!(parse_cron("0 25 * * *").is_err());
    }

    #[test]
    fn null_models_fall_back_to_the_defaults() {
        let update = ConfigUpdate { assessment_model: Some(Some("llama3".into())), ..ConfigUpdate::default() };
        let row = apply(None, update).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(view(Some(&row)).assessment_model, "llama3");
        let reset = ConfigUpdate { assessment_model: Some(None), ..ConfigUpdate::default() };
        let row = apply(Some(&row), reset).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(view(Some(&row)).assessment_model, DEFAULT_ASSESSMENT_MODEL);
    }
}
