//! The crate's text enums, below everything that uses them: where an assessment, answer and
//! task stand, where an answer came from, what evidence cites, and how much of a question the
//! inventory covers. Stored as text and sent as the same text (`db::text_enum!`).

db::text_enum! {
    /// Where an assessment stands.
    pub enum AssessmentStatus {
        /// Some required question lacks a complete answer.
        InProgress => "in_progress",
        /// Every required question has a complete answer.
        Completed => "completed",
        /// The system changed since the answers were generated; re-evaluate.
        Outdated => "outdated",
    }
}

db::text_enum! {
    /// Where an answer came from.
    pub enum AnswerSource {
        /// Written from inventory facts.
        System => "system",
        /// Drafted by the language model.
        AiAnalysis => "ai_analysis",
        /// Typed by a person through the API.
        UserInput => "user_input",
        /// Given by the team in the Slack questionnaire.
        TeamInput => "team_input",
    }
}

db::text_enum! {
    /// How settled an answer is.
    pub enum AnswerStatus {
        /// Answered.
        Complete => "complete",
        /// A draft a person must confirm.
        Partial => "partial",
        /// Nobody has answered yet.
        NeedsInput => "needs_input",
    }
}

db::text_enum! {
    /// The kind of record a piece of evidence cites.
    pub enum EvidenceKind {
        /// A system field.
        System => "system",
        /// A privacy declaration (processing activity).
        PrivacyDeclaration => "privacy_declaration",
        /// A data use of the taxonomy.
        DataUse => "data_use",
        /// A dataset.
        Dataset => "dataset",
        /// A Slack questionnaire thread.
        TeamInput => "team_input",
    }
}

db::text_enum! {
    /// Where a task stands.
    pub enum TaskStatus {
        /// Waiting for a worker.
        Pending => "pending",
        /// A worker is generating.
        Running => "running",
        /// Done.
        Complete => "complete",
        /// Gave up; see `error`. Retry with `POST /tasks/{id}/retry`.
        Failed => "failed",
    }
}

db::text_enum! {
    /// What a task does.
    pub enum TaskAction {
        /// First generation of an assessment.
        Generate => "generate",
        /// Refresh from the current inventory, keeping human answers.
        ReEvaluate => "re_evaluate",
    }
}

db::text_enum! {
    /// How much of an answer the inventory can give.
    pub enum Coverage {
        /// The facts answer the question: the answer is `complete`.
        Full => "full",
        /// The facts give a draft a person must confirm: the answer is `partial`.
        Partial => "partial",
        /// Only a person can answer.
        None => "none",
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    fn wire<T: Serialize>(value: T) -> String {
        serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    #[test]
    fn stored_text_is_the_wire_text_for_every_value() {
        macro_rules! check {
            ($($name:ident),+) => {$(
                for value in $name::ALL {
                    assert_eq!(wire(value), value.as_str(), "{value:?}");
                    assert_eq!($name::parse(value.as_str()), Some(*value));
                }
            )+};
        }
        check!(AssessmentStatus, AnswerSource, AnswerStatus, EvidenceKind, TaskStatus, TaskAction, Coverage);
    }

    #[test]
    fn the_schema_lists_the_wire_text() {
        let schema = serde_json::to_value(<TaskStatus as utoipa::PartialSchema>::schema()).unwrap_or_default();
        assert_eq!(schema["enum"], serde_json::json!(["pending", "running", "complete", "failed"]));
    }
}
