//! What a template is made of: groups of questions, each with the rule that answers it from the
//! inventory and how much of the answer that gives.

use crate::kinds::Coverage;
use crate::prefill::Rule;

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
pub(crate) const fn q(
    id: &'static str,
    text: &'static str,
    guidance: &'static str,
    required: bool,
    rule: Rule,
    coverage: Coverage,
) -> QuestionDef {
    QuestionDef { id, text, guidance, required, rule, coverage }
}
