//! `uk_gdpr_dpia`: a DPIA under the UK GDPR, in the seven steps of the ICO's guidance, with the
//! Age Appropriate Design Code check for services children are likely to use.

use super::def::{GroupDef, TemplateDef, q};
use crate::kinds::Coverage::*;
use crate::prefill::Rule;

pub(super) static TEMPLATE: TemplateDef = TemplateDef {
    id: "uk_gdpr_dpia",
    name: "UK GDPR Data Protection Impact Assessment (ICO)",
    description: "A DPIA under UK GDPR Art. 35 and the Data Protection Act 2018, structured as the ICO's \
                  seven steps: identify the need, describe the processing, consult, assess necessity and \
                  proportionality, identify and assess risks, identify measures, and sign off. Includes the \
                  Children's Code screening.",
    groups: &[
        GroupDef {
            id: "identify_need",
            title: "Step 1: Identify the need for a DPIA",
            questions: &[q(
                "ico_1_1",
                "What does the project aim to achieve, and why is a DPIA needed?",
                "Summarise the processing and the high-risk indicators that apply, including the ICO's own list (children, invisible processing, tracking).",
                true,
                Rule::HighRiskCriteria,
                Partial,
            )],
        },
        GroupDef {
            id: "describe_processing",
            title: "Step 2: Describe the processing",
            questions: &[
                q(
                    "ico_2_1",
                    "What is the nature of the processing: how is data collected, used, stored, shared and deleted?",
                    "Include the sources of the data and a flow diagram if you have one.",
                    true,
                    Rule::DataFlows,
                    Partial,
                ),
                q(
                    "ico_2_2",
                    "What is the scope: which data, how much, how often, kept how long, about how many people?",
                    "Note any special-category or criminal offence data.",
                    true,
                    Rule::DataCategories,
                    Partial,
                ),
                q(
                    "ico_2_3",
                    "What is the context: the relationship with the people concerned and what they would expect?",
                    "Consider children and other vulnerable groups, and any public concern.",
                    true,
                    Rule::DataSubjects,
                    Partial,
                ),
                q(
                    "ico_2_4",
                    "What are the purposes: the intended effect on people and the benefits of the processing?",
                    "State what you want to achieve and for whom.",
                    true,
                    Rule::Purposes,
                    Full,
                ),
                q(
                    "ico_2_5",
                    "How long is each kind of data kept?",
                    "Give the retention period for each processing activity.",
                    true,
                    Rule::Retention,
                    Full,
                ),
            ],
        },
        GroupDef {
            id: "consultation",
            title: "Step 3: Consultation",
            questions: &[q(
                "ico_3_1",
                "Whom have you consulted, inside and outside the organisation, and what did they say?",
                "People affected, security experts, processors, the DPO.",
                true,
                Rule::None,
                None,
            )],
        },
        GroupDef {
            id: "necessity_proportionality",
            title: "Step 4: Necessity and proportionality",
            questions: &[
                q(
                    "ico_4_1",
                    "What is the lawful basis for the processing?",
                    "Name the Art. 6 basis, and the Art. 9 and Schedule 1 conditions where relevant.",
                    true,
                    Rule::LawfulBasis,
                    Full,
                ),
                q(
                    "ico_4_2",
                    "Does the processing achieve the purpose, and is there a less intrusive way to do it?",
                    "Explain how function creep is prevented.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "ico_4_3",
                    "How are data quality and minimisation ensured?",
                    "Describe checks on accuracy and why each category is needed.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "ico_4_4",
                    "How are people informed and how do they exercise their rights?",
                    "Privacy information, and the route for access, erasure and objection requests.",
                    true,
                    Rule::RightsFulfilment,
                    Partial,
                ),
                q(
                    "ico_4_5",
                    "How are processors held to their obligations, and how are international transfers safeguarded?",
                    "Contracts, audits, transfer mechanisms.",
                    true,
                    Rule::Transfers,
                    Partial,
                ),
            ],
        },
        GroupDef {
            id: "identify_risks",
            title: "Step 5: Identify and assess risks",
            questions: &[
                q(
                    "ico_5_1",
                    "What risks to individuals does the processing pose, and how likely and severe is each?",
                    "Likelihood: remote, possible or probable. Severity: minimal, significant or severe. Give the overall risk.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "ico_5_2",
                    "Which special categories or otherwise sensitive data raise the stakes?",
                    "Sensitive data makes harm more severe.",
                    false,
                    Rule::SpecialCategoryCondition,
                    Partial,
                ),
            ],
        },
        GroupDef {
            id: "mitigation",
            title: "Step 6: Identify measures to reduce risk",
            questions: &[
                q(
                    "ico_6_1",
                    "Which measures reduce or eliminate each risk, and what is the residual risk?",
                    "For each measure: the risk it addresses, its effect (eliminated, reduced, accepted) and whether it is approved.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "ico_6_2",
                    "Which security measures protect the data?",
                    "Technical and organisational measures under Art. 32.",
                    true,
                    Rule::SecurityMeasures,
                    Partial,
                ),
            ],
        },
        GroupDef {
            id: "sign_off",
            title: "Step 7: Sign off and record outcomes",
            questions: &[
                q(
                    "ico_7_1",
                    "Who approved the measures and the residual risks?",
                    "Name and date; integrate the actions into the project plan.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "ico_7_2",
                    "What was the DPO's advice, and was it accepted or overruled (with reasons)?",
                    "Summarise the advice.",
                    true,
                    Rule::None,
                    None,
                ),
                q(
                    "ico_7_3",
                    "Who will keep the DPIA under review?",
                    "The owner who checks the DPIA still matches the processing.",
                    true,
                    Rule::Accountability,
                    Partial,
                ),
            ],
        },
        GroupDef {
            id: "children_vulnerable",
            title: "Children and vulnerable people",
            questions: &[
                q(
                    "ico_aadc_1",
                    "Is the service likely to be used by under-18s, and which Children's Code standards apply?",
                    "The Age Appropriate Design Code applies to online services likely to be accessed by children.",
                    true,
                    Rule::Children,
                    Partial,
                ),
                q(
                    "ico_aadc_2",
                    "Does the processing concern other vulnerable people?",
                    "Employees, patients, applicants and others with less power to object.",
                    false,
                    Rule::VulnerableGroups,
                    Partial,
                ),
            ],
        },
    ],
};
