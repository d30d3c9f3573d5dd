//! AI pre-fill: questions the inventory cannot answer get a draft from an OpenAI-compatible
//! chat model, built from the system's facts. Drafts are `ai_analysis` answers with status
//! `partial` until a person confirms them; a call that fails leaves its question `needs_input`
//! and is reported on the task, never failing the generation.

use std::collections::HashMap;

use messaging::{ChatMessage, ChatModel, LlmError};

use crate::facts::Facts;
use crate::template::{QuestionDef, TemplateDef};

/// Calls made at once by one generation (the client also bounds calls across the process).
const PARALLEL: usize = 4;
/// Longest draft kept.
const MAX_DRAFT_CHARS: usize = 4_000;

/// What the model drafted for one assessment.
#[derive(Debug, Default)]
pub(crate) struct Drafts {
    /// Draft answers by question id.
    pub(crate) answers: HashMap<String, String>,
    /// Questions the model could not draft, with why.
    pub(crate) failures: Vec<(String, LlmError)>,
}

impl Drafts {
    /// A note for the task when some drafts failed.
    pub(crate) fn summary(&self) -> Option<String> {
        let (first_question, first_error) = self.failures.first()?;
        let questions: Vec<&str> = self.failures.iter().map(|(q, _)| q.as_str()).collect();
        Some(format!(
            "AI drafts unavailable for {} question(s) ({}), left needs_input: {first_error} ({first_question})",
            self.failures.len(),
            questions.join(", ")
        ))
    }
}

/// The conversation asking for one question's draft.
pub(crate) fn prompt(template: &TemplateDef, facts: &Facts, question: &QuestionDef) -> Vec<ChatMessage> {
    let system = format!(
        "You are a privacy analyst drafting answers for a {}. Answer the question from the facts \
         given, in plain text of at most 150 words. Do not invent facts: where the facts do not \
         settle the answer, say what must be confirmed and by whom.",
        template.name
    );
    let user = format!(
        "Facts about the system (JSON):\n{}\n\nQuestion ({}): {}\nGuidance: {}",
        facts.snapshot(),
        question.id,
        question.text,
        question.guidance
    );
    vec![ChatMessage::system(system), ChatMessage::user(user)]
}

/// Drafts answers to `questions`, a few calls at a time.
pub(crate) fn draft(
    model: &dyn ChatModel,
    model_name: &str,
    template: &TemplateDef,
    facts: &Facts,
    questions: &[&'static QuestionDef],
) -> Drafts {
    let mut drafts = Drafts::default();
    for chunk in questions.chunks(PARALLEL) {
        let results: Vec<(&str, Result<String, LlmError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|q| {
                    let messages = prompt(template, facts, q);
                    (q.id, scope.spawn(move || model.complete(model_name, &messages)))
                })
                .collect();
            handles
                .into_iter()
                .map(|(id, handle)| {
                    let result = handle
                        .join()
                        .unwrap_or_else(|_| Err(LlmError::Malformed("the drafting thread panicked".to_owned())));
                    (id, result)
                })
                .collect()
        });
        for (id, result) in results {
            match result {
                Ok(text) => {
                    drafts.answers.insert(id.to_owned(), text.chars().take(MAX_DRAFT_CHARS).collect());
                }
                Err(e) => {
                    tracing::warn!(question = id, error = %e, "AI draft failed");
                    drafts.failures.push((id.to_owned(), e));
                }
            }
        }
    }
    drafts
}
