//! The built-in templates: stable ids, questions in our own words from the regulations, and for
//! each question the inventory facts that can answer it (its [`Rule`](crate::prefill::Rule)) and how much of the answer
//! those facts give ([`Coverage`]).

mod cpra;
mod def;
mod fria;
mod gdpr;
mod uk;

use serde::Serialize;
use utoipa::ToSchema;

pub use def::{GroupDef, QuestionDef, TemplateDef};

use crate::error::{AssessmentError, Result};
use crate::kinds::Coverage;
#[cfg(test)]
use crate::prefill::Rule;

/// A template question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateQuestion {
    /// Stable id, used in answer paths.
    #[schema(example = "dpia_1_2")]
    pub id: &'static str,
    /// The question.
    pub text: &'static str,
    /// How to answer it.
    pub guidance: &'static str,
    /// Counts towards completeness.
    pub required: bool,
    /// Inventory fields that can answer it (empty: only a person can).
    pub sources: &'static [&'static str],
    /// How much of the answer the inventory gives.
    pub coverage: Coverage,
}

/// A template question group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateGroup {
    /// Stable id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Questions in order.
    pub questions: Vec<TemplateQuestion>,
}

/// An assessment template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    /// Template identifier.
    #[schema(example = "gdpr_dpia")]
    pub id: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    /// What it assesses and its regulatory context.
    pub description: &'static str,
    /// Question groups in order.
    pub question_groups: Vec<TemplateGroup>,
}

/// Every built-in template, in display order.
pub static TEMPLATES: &[&TemplateDef] = &[&gdpr::TEMPLATE, &uk::TEMPLATE, &cpra::TEMPLATE, &fria::TEMPLATE];

/// The template `id`.
pub fn find(id: &str) -> Option<&'static TemplateDef> {
    TEMPLATES.iter().copied().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_every_template_has_required_questions() {
        let mut templates = HashSet::new();
        for template in TEMPLATES {
            assert!(templates.insert(template.id), "template {} twice", template.id);
            let mut groups = HashSet::new();
            let mut questions = HashSet::new();
            for group in template.groups {
                assert!(groups.insert(group.id), "{}: group {} twice", template.id, group.id);
                assert!(!group.questions.is_empty(), "{}: group {} is empty", template.id, group.id);
                for question in group.questions {
                    assert!(questions.insert(question.id), "{}: question {} twice", template.id, question.id);
                    assert!(question.text.ends_with('?'), "{}: {} is not a question", template.id, question.id);
                    assert!(
                        question.coverage == Coverage::None || question.rule != Rule::None,
                        "{}: {} claims coverage without a rule",
                        template.id,
                        question.id
                    );
                }
            }
            assert!(template.questions().any(|(_, q)| q.required));
        }
        assert_eq!(TEMPLATES.len(), 4);
    }
}

/// The OpenAPI schema of a template id: one of [`TEMPLATES`].
#[derive(Debug, Clone, Copy)]
pub struct TemplateId;

impl utoipa::PartialSchema for TemplateId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        validation::text::one_of("A template id (`GET /templates`)", TEMPLATES.iter().map(|t| t.id))
    }
}

impl utoipa::ToSchema for TemplateId {}

/// A template as the API shows it.
pub fn view(t: &TemplateDef) -> Template {
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

/// Every built-in template, as the API shows them.
pub fn all() -> Vec<Template> {
    TEMPLATES.iter().map(|t| view(t)).collect()
}

/// The template `id`, as the API shows it (404 for an unknown id).
pub fn get(id: &str) -> Result<Template> {
    find(id).map(view).ok_or_else(|| AssessmentError::NotFound(format!("No assessment template found with id '{id}'")))
}
