//! `eu_ai_act_fria`: a fundamental rights impact assessment under Art. 27 of the AI Act, for
//! deployers of high-risk AI systems.

use super::def::{GroupDef, TemplateDef, q};
use crate::kinds::Coverage::*;
use crate::prefill::Rule;

pub(super) static TEMPLATE: TemplateDef = TemplateDef {
    id: "eu_ai_act_fria",
    name: "EU AI Act Fundamental Rights Impact Assessment",
    description: "The assessment AI Act Art. 27 requires of public bodies, providers of public services and \
                  deployers of credit-scoring or life and health insurance pricing systems before they first \
                  use a high-risk AI system listed in Annex III (applies from 2 August 2026). It complements \
                  the DPIA (Art. 27(4)) and is notified to the market surveillance authority.",
    groups: &[
        GroupDef {
            id: "process_and_purpose",
            title: "Deployer's processes and intended purpose",
            questions: &[
                q(
                    "fria_0_1",
                    "Must the deployer carry out a FRIA: is it a public body or public-service provider, or is the system used for credit scoring or insurance pricing?",
                    "Annex III point 2 (critical infrastructure) is excluded.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "fria_1_1",
                    "In which of the deployer's processes is the AI system used, and does that match its intended purpose (Art. 27(1)(a))?",
                    "Describe the process and the decisions the system supports.",
                    true,
                    Rule::Description,
                    Partial,
                ),
                q(
                    "fria_1_2",
                    "Which personal data does the AI system use?",
                    "Input data, training data held by the deployer, and outputs about people.",
                    true,
                    Rule::DataCategories,
                    Full,
                ),
                q(
                    "fria_1_3",
                    "Which data protection impact assessment does this FRIA complement (Art. 27(4))?",
                    "Link the DPIA of the same system.",
                    false,
                    Rule::ExistingDpia,
                    Full,
                ),
            ],
        },
        GroupDef {
            id: "duration_and_frequency",
            title: "Period and frequency of use",
            questions: &[q(
                "fria_2_1",
                "For how long, and how often, will the AI system be used (Art. 27(1)(b))?",
                "Give the period and frequency of use.",
                true,
                Rule::None,
                None,
            )],
        },
        GroupDef {
            id: "affected_populations",
            title: "People and groups affected",
            questions: &[
                q(
                    "fria_3_1",
                    "Which categories of people and groups are likely to be affected (Art. 27(1)(c))?",
                    "Include people affected indirectly.",
                    true,
                    Rule::DataSubjects,
                    Partial,
                ),
                q(
                    "fria_3_2",
                    "Are vulnerable groups affected, and at what scale?",
                    "Children, employees, patients, people in precarious situations.",
                    true,
                    Rule::VulnerableGroups,
                    Partial,
                ),
            ],
        },
        GroupDef {
            id: "risk_identification",
            title: "Specific risks of harm",
            questions: &[
                q(
                    "fria_4_1",
                    "What specific risks of harm to those people's fundamental rights are likely (Art. 27(1)(d))?",
                    "Use the provider's instructions for use (Art. 13): non-discrimination, privacy, expression, access to services.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "fria_4_2",
                    "Does the system profile people or decide automatically with legal or similar effects?",
                    "Such decisions carry the highest risk to rights.",
                    true,
                    Rule::AutomatedDecisions,
                    Partial,
                ),
            ],
        },
        GroupDef {
            id: "human_oversight",
            title: "Human oversight",
            questions: &[q(
                "fria_5_1",
                "How is human oversight carried out, following the instructions for use (Art. 27(1)(e))?",
                "Who can override the system, with what training and authority.",
                true,
                Rule::None,
                None,
            )],
        },
        GroupDef {
            id: "mitigation_and_governance",
            title: "Measures, governance and notification",
            questions: &[
                q(
                    "fria_6_1",
                    "What will be done if the risks materialise, including internal governance and complaint mechanisms (Art. 27(1)(f))?",
                    "Name the owner and the complaint route.",
                    true,
                    Rule::Accountability,
                    Partial,
                ),
                q(
                    "fria_7_1",
                    "Has the market surveillance authority been notified of the results (Art. 27(3))?",
                    "Use the AI Office's template questionnaire; note any Art. 46(1) exemption.",
                    true,
                    Rule::None,
                    None,
                ),
            ],
        },
    ],
};
