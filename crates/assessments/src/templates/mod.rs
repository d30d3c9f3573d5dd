//! The built-in templates: stable ids, questions in our own words from the regulations, and for
//! each question the inventory facts that can answer it (its [`Rule`]) and how much of the answer
//! those facts give ([`Coverage`]).

mod cpra;
mod fria;
mod gdpr;
mod uk;

use crate::prefill::Rule;

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

/// A template question.
#[derive(Debug)]
pub struct QuestionDef {
    /// Stable id, e.g. `dpia_1_2`.
    pub id: &'static str,
    /// The question.
    pub text: &'static str,
    /// How to answer it.
    pub guidance: &'static str,
    /// Counts towards completeness.
    pub required: bool,
    /// How the inventory answers it.
    pub rule: Rule,
    /// How much of the answer the inventory gives.
    pub coverage: Coverage,
}

/// A group of questions (one requirement of the regulation).
#[derive(Debug)]
pub struct GroupDef {
    /// Stable id, e.g. `systematic_description`.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Questions in order.
    pub questions: &'static [QuestionDef],
}

/// A template.
#[derive(Debug)]
pub struct TemplateDef {
    /// Stable id, e.g. `gdpr_dpia`.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// What it is for and where it comes from.
    pub description: &'static str,
    /// Groups in order.
    pub groups: &'static [GroupDef],
}

impl TemplateDef {
    /// Every question with its group id, in order.
    pub fn questions(&self) -> impl Iterator<Item = (&'static str, &'static QuestionDef)> + '_ {
        self.groups.iter().flat_map(|g| g.questions.iter().map(move |q| (g.id, q)))
    }

    /// The question `id` with its group id.
    pub fn question(&self, id: &str) -> Option<(&'static str, &'static QuestionDef)> {
        self.questions().find(|(_, q)| q.id == id)
    }

    /// The group `id`.
    pub fn group(&self, id: &str) -> Option<&'static GroupDef> {
        self.groups.iter().find(|g| g.id == id)
    }
}

/// A question; `required` and `coverage` are the common case unless stated.
const fn q(
    id: &'static str,
    text: &'static str,
    guidance: &'static str,
    required: bool,
    rule: Rule,
    coverage: Coverage,
) -> QuestionDef {
    QuestionDef { id, text, guidance, required, rule, coverage }
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
