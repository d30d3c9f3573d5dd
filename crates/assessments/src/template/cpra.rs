//! `us_ca_cpra_risk_assessment`: a risk assessment under the CCPA/CPRA regulations of the
//! California Privacy Protection Agency (Cal. Code Regs. tit. 11, §§ 7150–7157; in force for
//! processing from 1 January 2026).

use super::def::{GroupDef, TemplateDef, q};
use crate::kinds::Coverage::*;
use crate::prefill::Rule;

pub(super) static TEMPLATE: TemplateDef = TemplateDef {
    id: "us_ca_cpra_risk_assessment",
    name: "California CPRA Risk Assessment",
    description: "The risk assessment California's privacy regulations require before processing that \
                  presents significant risk to consumers' privacy: selling or sharing personal information, \
                  processing sensitive personal information, automated decision-making for significant \
                  decisions, and related inferences and training. Weighs benefits against negative impacts \
                  and records safeguards, the decision to proceed, and who reviewed and approved it.",
    groups: &[
        GroupDef {
            id: "significant_risk_determination",
            title: "Is a risk assessment required?",
            questions: &[
                q(
                    "cpra_t_1",
                    "Does the business sell or share consumers' personal information?",
                    "Sharing includes disclosure for cross-context behavioural advertising.",
                    true,
                    Rule::SaleShare,
                    Full,
                ),
                q(
                    "cpra_t_2",
                    "Does the business process sensitive personal information?",
                    "Government identifiers, account credentials, financial accounts, precise geolocation, racial or ethnic origin, religion, union membership, private communications, genetic, biometric, health and sex-life data.",
                    true,
                    Rule::SensitivePi,
                    Full,
                ),
                q(
                    "cpra_t_3",
                    "Is automated decision-making technology used to make significant decisions about consumers?",
                    "Decisions on financial services, housing, education, employment or healthcare.",
                    true,
                    Rule::AutomatedDecisions,
                    Partial,
                ),
                q(
                    "cpra_t_4",
                    "Does the business infer consumers' traits through systematic observation or their presence at sensitive locations, or train such technology?",
                    "Covers applicants, students, employees and contractors, and training identification or profiling technology.",
                    false,
                    Rule::None,
                    None,
                ),
            ],
        },
        GroupDef {
            id: "processing_scope",
            title: "Purpose and personal information",
            questions: &[
                q(
                    "cpra_1_1",
                    "What is the specific purpose of the processing?",
                    "Be specific; a generic purpose such as 'to improve services' is not enough.",
                    true,
                    Rule::Purposes,
                    Partial,
                ),
                q(
                    "cpra_2_1",
                    "Which categories of personal information are processed?",
                    "List each category.",
                    true,
                    Rule::DataCategories,
                    Full,
                ),
                q(
                    "cpra_2_2",
                    "Which categories of sensitive personal information are processed?",
                    "List each sensitive category, or state that none is processed.",
                    true,
                    Rule::SensitivePi,
                    Full,
                ),
                q(
                    "cpra_2_3",
                    "Why is each category the minimum necessary for the purpose?",
                    "Explain what would be lost without it.",
                    true,
                    Rule::None,
                    None,
                ),
            ],
        },
        GroupDef {
            id: "operational_elements",
            title: "Operational elements",
            questions: &[
                q(
                    "cpra_3_1",
                    "How and from where is the personal information collected?",
                    "Sources and methods of collection.",
                    true,
                    Rule::DataFlows,
                    Partial,
                ),
                q(
                    "cpra_3_2",
                    "How long is each category of personal information kept?",
                    "Give a period for each category, or the criteria used.",
                    true,
                    Rule::Retention,
                    Partial,
                ),
                q(
                    "cpra_3_3",
                    "Approximately how many consumers are affected?",
                    "An order of magnitude is enough.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "cpra_3_4",
                    "Which service providers, contractors and third parties receive the information?",
                    "Name each recipient and its role.",
                    true,
                    Rule::Recipients,
                    Partial,
                ),
                q(
                    "cpra_3_5",
                    "Which technology is used, including the logic and outputs of any automated decision-making?",
                    "Describe models, rules and how outputs are used.",
                    false,
                    Rule::None,
                    None,
                ),
            ],
        },
        GroupDef {
            id: "benefits_vs_risks",
            title: "Benefits and negative impacts",
            questions: &[
                q(
                    "cpra_4_1",
                    "What are the benefits of the processing to the business, consumers, other stakeholders and the public?",
                    "Be specific about each.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "cpra_5_1",
                    "What are the negative impacts on consumers' privacy?",
                    "Unauthorised access or loss, discrimination, dark patterns, loss of control, economic, physical or psychological harm.",
                    true,
                    Rule::None,
                    None,
                ),
            ],
        },
        GroupDef {
            id: "technical_safeguards",
            title: "Safeguards",
            questions: &[
                q(
                    "cpra_6_1",
                    "Which safeguards address the negative impacts?",
                    "Encryption, access control, de-identification, bias testing and similar measures.",
                    true,
                    Rule::SecurityMeasures,
                    Partial,
                ),
                q(
                    "cpra_6_2",
                    "How are consumers' rights to know, delete, correct and opt out honoured?",
                    "Describe the request route and how requests reach each system.",
                    true,
                    Rule::RightsFulfilment,
                    Partial,
                ),
            ],
        },
        GroupDef {
            id: "review_approval",
            title: "Decision, review and approval",
            questions: &[
                q(
                    "cpra_7_1",
                    "Will the business go ahead with the processing?",
                    "The processing must not go ahead if the risks outweigh the benefits.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "cpra_8_1",
                    "Who contributed to the assessment, inside and outside the business?",
                    "Names or roles, and why any external party was or was not consulted.",
                    true,
                    Rule::Accountability,
                    Partial,
                ),
                q(
                    "cpra_9_1",
                    "Who reviewed and approved the assessment, with their positions and the date?",
                    "Include the executive responsible for the attestation.",
                    true,
                    Rule::None,
                    None,
                ),
            ],
        },
        GroupDef {
            id: "review_cadence",
            title: "Updates and submission",
            questions: &[
                q(
                    "cpra_10_1",
                    "Which changes would require the assessment to be updated?",
                    "A material change requires an update within 45 days; review at least every three years.",
                    true,
                    Rule::ReviewTriggers,
                    Partial,
                ),
                q(
                    "cpra_10_2",
                    "Who is the point of contact for submission to the CPPA?",
                    "Name and contact details.",
                    false,
                    Rule::None,
                    None,
                ),
            ],
        },
    ],
};
