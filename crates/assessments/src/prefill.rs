//! Deterministic pre-fill: answers written from inventory facts, each citing the facts it read
//! as evidence. A question whose facts are missing stays `needs_input`; a conditional question
//! whose condition does not hold is answered "Not applicable" with the fact that shows it.

use dsr_core::Taxonomy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::facts::Facts;
use crate::kinds::Coverage;
use crate::kinds::{AnswerStatus, AssessmentStatus, EvidenceKind};
use crate::risk::{SPECIAL, Screening, VULNERABLE, under};
use crate::system::model::PrivacyDeclaration;

/// How the inventory answers a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Only a person can answer.
    None,
    /// The WP248 criteria met.
    HighRiskCriteria,
    /// The Art. 35(3) cases that apply.
    MandatoryCase,
    /// Name, description and processing activities.
    Description,
    /// Data uses with their taxonomy names.
    Purposes,
    /// Data categories per activity.
    DataCategories,
    /// Data subjects per activity.
    DataSubjects,
    /// Third parties per activity.
    Recipients,
    /// Retention per activity.
    Retention,
    /// Referenced datasets.
    DataFlows,
    /// Lawful basis per activity.
    LawfulBasis,
    /// Not applicable unless an activity relies on legitimate interests.
    LegitimateInterest,
    /// Not applicable unless special-category data is processed; else the Art. 9 condition.
    SpecialCategoryCondition,
    /// Not applicable unless an activity relies on consent.
    Consent,
    /// Not applicable unless the system profiles with legal effect.
    AutomatedDecisions,
    /// Role and recipients.
    Processors,
    /// International transfers and their mechanisms.
    Transfers,
    /// Data security practices.
    SecurityMeasures,
    /// Department and DPO.
    Accountability,
    /// Datasets Lethe fulfils access and erasure requests against.
    RightsFulfilment,
    /// The facts whose change makes the assessment outdated.
    ReviewTriggers,
    /// Children's data.
    Children,
    /// Vulnerable data subjects.
    VulnerableGroups,
    /// CPRA: selling or sharing.
    SaleShare,
    /// CPRA: sensitive personal information.
    SensitivePi,
    /// FRIA: the DPIA of the same system.
    ExistingDpia,
}

impl Rule {
    /// The inventory fields this rule reads.
    pub fn sources(self) -> &'static [&'static str] {
        entry(self).map_or(&[], |e| e.sources)
    }
}

/// A fact cited by an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Citation {
    /// Which kind of record.
    #[serde(rename = "type")]
    pub kind: EvidenceKind,
    /// What the value is, e.g. `Data categories (Newsletter)`.
    pub label: String,
    /// The value cited.
    pub value: String,
    /// The record's key (system key, `system/activity`, data use key, dataset key).
    pub source_id: String,
}

/// A drafted answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefill {
    /// The answer text.
    pub answer: String,
    /// `complete` or `partial`.
    pub status: AnswerStatus,
    /// The facts it cites.
    pub citations: Vec<Citation>,
}

/// A DPIA of the same system, for the FRIA's Art. 27(4) link.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedAssessment {
    /// Its id.
    pub id: String,
    /// Its template.
    pub template_id: String,
    /// Its status.
    pub status: AssessmentStatus,
    /// Its completeness.
    pub completeness: f64,
}

/// What the rules read.
pub struct Context<'a> {
    /// The system's facts.
    pub facts: &'a Facts,
    /// Its screening.
    pub screening: &'a Screening,
    /// Names for taxonomy keys.
    pub taxonomy: &'a Taxonomy,
    /// Other assessments of the system (DPIAs).
    pub related: &'a [RelatedAssessment],
}

/// CCPA sensitive personal information (fideslang keys and subtrees).
const CCPA_SPI: &[&str] = &[
    "user.government_id",
    "user.authorization.credentials",
    "user.authorization.password",
    "user.financial",
    "user.location.precise",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.content.private",
    "user.health_and_medical",
    "user.biometric",
    "user.authorization.biometric",
];
/// Data uses that sell or share personal information (CPRA).
const SALE_SHARE: &[&str] = &["third_party_sharing", "marketing.advertising.third_party"];

impl Context<'_> {
    fn system_id(&self) -> &str {
        &self.facts.system.fides_key
    }

    fn declarations(&self) -> &[PrivacyDeclaration] {
        &self.facts.system.privacy_declarations
    }

    fn declaration_id(&self, d: &PrivacyDeclaration) -> String {
        format!("{}/{}", self.system_id(), d.label())
    }

    fn named(&self, key: &str) -> String {
        match self.taxonomy.name_of(key) {
            Some(name) => format!("{name} ({key})"),
            None => key.to_owned(),
        }
    }

    fn named_list(&self, keys: &[String]) -> String {
        keys.iter().map(|k| self.named(k)).collect::<Vec<_>>().join(", ")
    }

    fn system_fact(&self, label: &str, value: impl Into<String>) -> Citation {
        Citation {
            kind: EvidenceKind::System,
            label: label.to_owned(),
            value: value.into(),
            source_id: self.system_id().to_owned(),
        }
    }

    fn declaration_fact(&self, d: &PrivacyDeclaration, label: &str, value: impl Into<String>) -> Citation {
        Citation {
            kind: EvidenceKind::PrivacyDeclaration,
            label: format!("{label} ({})", d.label()),
            value: value.into(),
            source_id: self.declaration_id(d),
        }
    }

    fn use_fact(&self, key: &str) -> Citation {
        Citation {
            kind: EvidenceKind::DataUse,
            label: "Data use".to_owned(),
            value: self.named(key),
            source_id: key.to_owned(),
        }
    }

    /// One line per declaration from `value`; `None` when any declaration lacks the value.
    fn per_declaration(
        &self,
        label: &str,
        value: impl Fn(&PrivacyDeclaration) -> Option<String>,
    ) -> Option<(Vec<String>, Vec<Citation>)> {
        if self.declarations().is_empty() {
            return None;
        }
        let mut lines = Vec::new();
        let mut citations = Vec::new();
        for d in self.declarations() {
            let v = value(d)?;
            lines.push(format!("- {}: {v}", d.label()));
            citations.push(self.declaration_fact(d, label, v));
        }
        Some((lines, citations))
    }
}

fn status_for(coverage: Coverage) -> AnswerStatus {
    match coverage {
        Coverage::Full => AnswerStatus::Complete,
        Coverage::Partial | Coverage::None => AnswerStatus::Partial,
    }
}

fn drafted(coverage: Coverage, answer: String, citations: Vec<Citation>) -> Option<Prefill> {
    Some(Prefill { answer, status: status_for(coverage), citations })
}

/// "Not applicable" answers settle the question: they are complete whatever the coverage.
fn not_applicable(reason: String, citations: Vec<Citation>) -> Option<Prefill> {
    Some(Prefill { answer: format!("Not applicable: {reason}"), status: AnswerStatus::Complete, citations })
}

fn non_empty(list: &[String]) -> Option<&[String]> {
    (!list.is_empty()).then_some(list)
}

/// One rule: the inventory fields it reads and how it drafts an answer from them.
struct Entry {
    rule: Rule,
    sources: &'static [&'static str],
    answer: fn(&Context<'_>, Coverage) -> Option<Prefill>,
}

const DECL: &str = "privacy_declarations";

/// Every rule but [`Rule::None`]: adding a rule is a variant, its function and one entry here.
static RULES: &[Entry] = &[
    Entry {
        rule: Rule::HighRiskCriteria,
        sources: &[
            "privacy_declarations.data_use",
            "privacy_declarations.data_categories",
            "privacy_declarations.data_subjects",
            "uses_profiling",
            "requires_data_protection_assessments",
            "dataset_references",
        ],
        answer: high_risk_criteria,
    },
    Entry {
        rule: Rule::MandatoryCase,
        sources: &[
            "privacy_declarations.data_use",
            "privacy_declarations.data_categories",
            "privacy_declarations.data_subjects",
            "uses_profiling",
            "requires_data_protection_assessments",
            "dataset_references",
        ],
        answer: mandatory_case,
    },
    Entry {
        rule: Rule::Description,
        sources: &["name", "description", "privacy_declarations.name", "privacy_declarations.data_use"],
        answer: description,
    },
    Entry { rule: Rule::Purposes, sources: &["privacy_declarations.data_use"], answer: purposes },
    Entry { rule: Rule::DataCategories, sources: &["privacy_declarations.data_categories"], answer: data_categories },
    Entry { rule: Rule::DataSubjects, sources: &["privacy_declarations.data_subjects"], answer: data_subjects },
    Entry {
        rule: Rule::Recipients,
        sources: &[
            "privacy_declarations.third_parties",
            "privacy_declarations.data_shared_with_third_parties",
            "privacy_declarations.shared_categories",
        ],
        answer: recipients,
    },
    Entry { rule: Rule::Retention, sources: &["privacy_declarations.retention_period"], answer: retention },
    Entry {
        rule: Rule::DataFlows,
        sources: &["dataset_references", "privacy_declarations.dataset_references"],
        answer: data_flows,
    },
    Entry {
        rule: Rule::LawfulBasis,
        sources: &["privacy_declarations.legal_basis_for_processing"],
        answer: lawful_basis,
    },
    Entry {
        rule: Rule::LegitimateInterest,
        sources: &["privacy_declarations.legal_basis_for_processing"],
        answer: legitimate_interest,
    },
    Entry { rule: Rule::Consent, sources: &["privacy_declarations.legal_basis_for_processing"], answer: consent },
    Entry {
        rule: Rule::SpecialCategoryCondition,
        sources: &[
            "privacy_declarations.data_categories",
            "privacy_declarations.processes_special_category_data",
            "privacy_declarations.special_category_legal_basis",
        ],
        answer: special_category_condition,
    },
    Entry { rule: Rule::AutomatedDecisions, sources: &["uses_profiling"], answer: automated_decisions },
    Entry {
        rule: Rule::Processors,
        sources: &["responsibility", "privacy_declarations.third_parties"],
        answer: processors,
    },
    Entry {
        rule: Rule::Transfers,
        sources: &["does_international_transfers", "legal_basis_for_transfers"],
        answer: transfers,
    },
    Entry { rule: Rule::SecurityMeasures, sources: &["data_security_practices"], answer: security_measures },
    Entry {
        rule: Rule::Accountability,
        sources: &["legal_name", "legal_address", "joint_controller_info", "administrating_department", "dpo"],
        answer: accountability,
    },
    Entry { rule: Rule::RightsFulfilment, sources: &["dataset_references"], answer: rights_fulfilment },
    Entry {
        rule: Rule::ReviewTriggers,
        sources: &[DECL, "dataset_references", "uses_profiling", "does_international_transfers"],
        answer: review_triggers,
    },
    Entry { rule: Rule::Children, sources: &["privacy_declarations.data_categories"], answer: children },
    Entry { rule: Rule::VulnerableGroups, sources: &["privacy_declarations.data_subjects"], answer: vulnerable_groups },
    Entry { rule: Rule::SaleShare, sources: &["privacy_declarations.data_use"], answer: sale_share },
    Entry { rule: Rule::SensitivePi, sources: &["privacy_declarations.data_categories"], answer: sensitive_pi },
    Entry { rule: Rule::ExistingDpia, sources: &["assessments"], answer: existing_dpia },
];

fn entry(rule: Rule) -> Option<&'static Entry> {
    RULES.iter().find(|e| e.rule == rule)
}

/// Drafts the answer of a question with `rule` and `coverage`, or `None` when the inventory
/// cannot answer it.
pub fn answer(rule: Rule, coverage: Coverage, cx: &Context<'_>) -> Option<Prefill> {
    entry(rule).and_then(|e| (e.answer)(cx, coverage))
}

fn high_risk_criteria(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let all = cx.screening.all();
    let citations = all
        .iter()
        .map(|c| cx.system_fact(&format!("High-risk criterion: {}", c.title), c.evidence.clone()))
        .collect::<Vec<_>>();
    let text = if all.is_empty() {
        "None of the WP248 criteria can be determined from the inventory. Confirm that the processing \
         is not large-scale and involves no other criterion."
            .to_owned()
    } else {
        let lines: Vec<String> = all.iter().map(|c| format!("- {}: {}", c.title, c.evidence)).collect();
        let verdict = if cx.screening.is_high() {
            "The processing is likely to result in a high risk: a DPIA is required."
        } else {
            "One criterion alone does not usually require a DPIA; confirm no other criterion applies."
        };
        format!("Criteria met according to the inventory:\n{}\n{verdict}", lines.join("\n"))
    };
    drafted(coverage, text, citations)
}

fn mandatory_case(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    let text = if cx.screening.mandatory.is_empty() {
        "No Art. 35(3) case can be determined from the inventory. Large-scale processing of special \
         categories and large-scale monitoring of public areas must be confirmed by a person."
            .to_owned()
    } else {
        let lines: Vec<String> =
            cx.screening.mandatory.iter().map(|c| format!("- {} ({})", c.title, c.evidence)).collect();
        format!("Yes:\n{}", lines.join("\n"))
    };
    let citation = cx.system_fact("Uses profiling", system.uses_profiling.to_string());
    drafted(coverage, text, vec![citation])
}

fn description(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    let mut citations = vec![cx.system_fact("Name", system.display_name())];
    let mut text = system.display_name().to_owned();
    if let Some(description) = &system.description {
        text.push_str(&format!(": {description}"));
        citations.push(cx.system_fact("Description", description.clone()));
    } else if cx.declarations().is_empty() {
        return None;
    }
    if !cx.declarations().is_empty() {
        text.push_str("\nProcessing activities:");
        for d in cx.declarations() {
            text.push_str(&format!("\n- {} for {}", d.label(), cx.named(&d.data_use)));
            citations.push(cx.declaration_fact(d, "Data use", d.data_use.clone()));
        }
    }
    drafted(coverage, text, citations)
}

fn purposes(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    if cx.declarations().is_empty() {
        return None;
    }
    let mut citations = Vec::new();
    let lines: Vec<String> = cx
        .declarations()
        .iter()
        .map(|d| {
            citations.push(cx.declaration_fact(d, "Data use", d.data_use.clone()));
            format!("- {}: {}", d.label(), cx.named(&d.data_use))
        })
        .collect();
    citations.extend(cx.facts.uses().into_iter().map(|u| cx.use_fact(u)));
    drafted(coverage, format!("Purposes of the processing:\n{}", lines.join("\n")), citations)
}

fn data_categories(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let (lines, citations) =
        cx.per_declaration("Data categories", |d| non_empty(&d.data_categories).map(|c| cx.named_list(c)))?;
    drafted(coverage, format!("Personal data processed:\n{}", lines.join("\n")), citations)
}

fn data_subjects(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let (lines, citations) =
        cx.per_declaration("Data subjects", |d| non_empty(&d.data_subjects).map(|s| cx.named_list(s)))?;
    drafted(coverage, format!("People whose data is processed:\n{}", lines.join("\n")), citations)
}

fn recipients(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let (lines, mut citations) = cx.per_declaration("Third parties", |d| {
        let mut text = match (&d.third_parties, d.data_shared_with_third_parties) {
            (Some(third), _) => third.clone(),
            (None, true) => "shared with third parties (not named)".to_owned(),
            (None, false) => "no third parties declared".to_owned(),
        };
        if !d.shared_categories.is_empty() {
            text.push_str(&format!(" (shared: {})", cx.named_list(&d.shared_categories)));
        }
        Some(text)
    })?;
    for d in cx.declarations().iter().filter(|d| d.data_shared_with_third_parties) {
        citations.push(cx.declaration_fact(d, "Data shared with third parties", "true"));
        if !d.shared_categories.is_empty() {
            citations.push(cx.declaration_fact(d, "Shared categories", d.shared_categories.join(", ")));
        }
    }
    drafted(coverage, format!("Recipients outside the organisation:\n{}", lines.join("\n")), citations)
}

fn retention(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let (lines, citations) = cx.per_declaration("Retention period", |d| d.retention_period.clone())?;
    drafted(coverage, format!("Retention:\n{}", lines.join("\n")), citations)
}

fn data_flows(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    if cx.facts.datasets.is_empty() {
        return None;
    }
    let mut citations = Vec::new();
    let lines: Vec<String> = cx
        .facts
        .datasets
        .iter()
        .map(|d| {
            let line = if d.stored {
                let name = d.name.clone().unwrap_or_else(|| d.fides_key.clone());
                format!(
                    "{name} ({}) on connection {}: collections {}",
                    d.fides_key,
                    d.connection.as_deref().unwrap_or("-"),
                    if d.collections.is_empty() { "-".to_owned() } else { d.collections.join(", ") }
                )
            } else {
                format!("{} (referenced; not uploaded to Lethe)", d.fides_key)
            };
            citations.push(Citation {
                kind: EvidenceKind::Dataset,
                label: "Dataset".to_owned(),
                value: line.clone(),
                source_id: d.fides_key.clone(),
            });
            format!("- {line}")
        })
        .collect();
    drafted(coverage, format!("{} stores its data in:\n{}", system.display_name(), lines.join("\n")), citations)
}

fn lawful_basis(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let (lines, citations) =
        cx.per_declaration("Legal basis for processing", |d| d.legal_basis_for_processing.clone())?;
    drafted(coverage, format!("Lawful basis (Art. 6(1)):\n{}", lines.join("\n")), citations)
}

fn legitimate_interest(cx: &Context<'_>, _coverage: Coverage) -> Option<Prefill> {
    conditional_basis(cx, "Legitimate interests", "legitimate interests")
}

fn consent(cx: &Context<'_>, _coverage: Coverage) -> Option<Prefill> {
    conditional_basis(cx, "Consent", "consent")
}

fn special_category_condition(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let special: Vec<&PrivacyDeclaration> = cx
        .declarations()
        .iter()
        .filter(|d| d.processes_special_category_data || d.data_categories.iter().any(|c| under(c, SPECIAL)))
        .collect();
    if cx.declarations().is_empty() {
        return None;
    }
    if special.is_empty() {
        let citations = cx
            .declarations()
            .iter()
            .map(|d| cx.declaration_fact(d, "Data categories", d.data_categories.join(", ")))
            .collect();
        return not_applicable(
            "no processing activity declares special-category or criminal offence data.".to_owned(),
            citations,
        );
    }
    let mut lines = Vec::new();
    let mut citations = Vec::new();
    for d in special {
        let basis = d.special_category_legal_basis.clone()?;
        let categories: Vec<String> = d.data_categories.iter().filter(|c| under(c, SPECIAL)).cloned().collect();
        lines.push(format!("- {}: {basis} (categories: {})", d.label(), cx.named_list(&categories)));
        citations.push(cx.declaration_fact(d, "Special category legal basis", basis));
    }
    drafted(coverage, format!("Art. 9(2) conditions relied on:\n{}", lines.join("\n")), citations)
}

fn automated_decisions(cx: &Context<'_>, _coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    let citation = cx.system_fact("Uses profiling", system.uses_profiling.to_string());
    if system.uses_profiling {
        None
    } else {
        not_applicable(
            "the system does not use profiling or automated decisions with legal or similarly \
             significant effects (uses_profiling = false)."
                .to_owned(),
            vec![citation],
        )
    }
}

fn processors(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    let mut citations = Vec::new();
    let mut lines = Vec::new();
    if !system.responsibility.is_empty() {
        let roles = system.responsibility.join(", ");
        lines.push(format!("The organisation acts as {roles} for this system."));
        citations.push(cx.system_fact("Responsibility", roles));
    }
    let recipients: Vec<(&PrivacyDeclaration, &String)> =
        cx.declarations().iter().filter_map(|d| d.third_parties.as_ref().map(|t| (d, t))).collect();
    for (d, third) in &recipients {
        lines.push(format!("- {}: {third}", d.label()));
        citations.push(cx.declaration_fact(d, "Third parties", (*third).clone()));
    }
    if lines.is_empty() {
        return None;
    }
    lines.push("Confirm an Art. 28 contract is in place with each processor.".to_owned());
    drafted(coverage, lines.join("\n"), citations)
}

fn transfers(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    let flag = cx.system_fact("Does international transfers", system.does_international_transfers.to_string());
    if !system.does_international_transfers {
        return not_applicable(
            "the system declares no transfers of personal data outside the EEA or the UK.".to_owned(),
            vec![flag],
        );
    }
    if system.legal_basis_for_transfers.is_empty() {
        return None;
    }
    let mechanisms = system.legal_basis_for_transfers.join(", ");
    let citation = cx.system_fact("Legal basis for transfers", mechanisms.clone());
    drafted(
        coverage,
        format!("Personal data is transferred outside the EEA under: {mechanisms}."),
        vec![flag, citation],
    )
}

fn security_measures(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    let practices = system.data_security_practices.clone()?;
    let citation = cx.system_fact("Data security practices", practices.clone());
    drafted(coverage, practices, vec![citation])
}

fn accountability(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let system = &cx.facts.system;
    let mut lines = Vec::new();
    let mut citations = Vec::new();
    if let Some(name) = &system.legal_name {
        let address = system.legal_address.as_deref().map(|a| format!(", {a}")).unwrap_or_default();
        lines.push(format!("Controller: {name}{address}."));
        citations.push(cx.system_fact("Legal name", name.clone()));
        if let Some(address) = &system.legal_address {
            citations.push(cx.system_fact("Legal address", address.clone()));
        }
    }
    if let Some(joint) = &system.joint_controller_info {
        lines.push(format!("Joint controllers (Art. 26): {joint}."));
        citations.push(cx.system_fact("Joint controller", joint.clone()));
    }
    if let Some(department) = &system.administrating_department {
        lines.push(format!("Owner: {department}."));
        citations.push(cx.system_fact("Administrating department", department.clone()));
    }
    if let Some(dpo) = &system.dpo {
        lines.push(format!("Data protection officer: {dpo}."));
        citations.push(cx.system_fact("DPO", dpo.clone()));
    }
    if lines.is_empty() {
        return None;
    }
    drafted(coverage, lines.join("\n"), citations)
}

fn rights_fulfilment(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let stored: Vec<_> = cx.facts.datasets.iter().filter(|d| d.stored).collect();
    if stored.is_empty() {
        return None;
    }
    let mut citations = Vec::new();
    let lines: Vec<String> = stored
        .iter()
        .map(|d| {
            let connection = d.connection.as_deref().unwrap_or("-");
            citations.push(Citation {
                kind: EvidenceKind::Dataset,
                label: "Dataset under DSR automation".to_owned(),
                value: format!("{} on connection {connection}", d.fides_key),
                source_id: d.fides_key.clone(),
            });
            format!("- {} (connection {connection})", d.fides_key)
        })
        .collect();
    drafted(
        coverage,
        format!(
            "Access and erasure requests are received through Lethe's privacy request API and \
             fulfilled automatically against:\n{}",
            lines.join("\n")
        ),
        citations,
    )
}

fn review_triggers(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let text = "Reassess when any of these changes (Lethe marks the assessment out of date when the \
                inventory changes): the processing activities and their purposes, data categories, \
                data subjects, lawful bases, retention periods or recipients; the datasets the system \
                uses; profiling or automated decisions; international transfers; security practices."
        .to_owned();
    let citation = cx.system_fact("Snapshot", format!("{} facts recorded", cx.facts.system.fides_key));
    drafted(coverage, text, vec![citation])
}

fn children(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let children: Vec<&PrivacyDeclaration> =
        cx.declarations().iter().filter(|d| d.data_categories.iter().any(|c| under(c, &["user.childrens"]))).collect();
    if cx.declarations().is_empty() {
        return None;
    }
    if children.is_empty() {
        let text = "No processing activity declares children's data (user.childrens). Confirm the \
                    service is not likely to be accessed by under-18s."
            .to_owned();
        let citations = cx
            .declarations()
            .iter()
            .map(|d| cx.declaration_fact(d, "Data categories", d.data_categories.join(", ")))
            .collect();
        return drafted(coverage, text, citations);
    }
    let citations: Vec<Citation> =
        children.iter().map(|d| cx.declaration_fact(d, "Data categories", d.data_categories.join(", "))).collect();
    let names: Vec<&str> = children.iter().map(|d| d.label()).collect();
    drafted(
        coverage,
        format!(
            "Yes: children's data is processed by {}. Apply the Children's Code standards \
             (best interests, high-privacy defaults, data minimisation, no nudging, profiling off by default).",
            names.join(", ")
        ),
        citations,
    )
}

fn vulnerable_groups(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let subjects = cx.facts.subjects();
    if subjects.is_empty() {
        return None;
    }
    let vulnerable: Vec<String> = subjects.iter().filter(|s| VULNERABLE.contains(s)).map(|s| (*s).to_owned()).collect();
    let citation = cx.system_fact("Data subjects", subjects.join(", "));
    let text = if vulnerable.is_empty() {
        format!("No vulnerable group is declared among the data subjects ({}).", subjects.join(", "))
    } else {
        format!("Vulnerable groups affected: {}.", cx.named_list(&vulnerable))
    };
    drafted(coverage, text, vec![citation])
}

fn sale_share(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let uses = cx.facts.uses();
    if uses.is_empty() {
        return None;
    }
    let selling: Vec<String> = uses.iter().filter(|u| under(u, SALE_SHARE)).map(|u| (*u).to_owned()).collect();
    let citations = uses.iter().map(|u| cx.use_fact(u)).collect();
    let text = if selling.is_empty() {
        format!("No. No declared purpose sells or shares personal information (data uses: {}).", uses.join(", "))
    } else {
        format!("Yes: personal information is sold or shared for {}.", cx.named_list(&selling))
    };
    drafted(coverage, text, citations)
}

fn sensitive_pi(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    if cx.declarations().is_empty() {
        return None;
    }
    let categories = cx.facts.categories();
    let sensitive: Vec<String> = categories.iter().filter(|c| under(c, CCPA_SPI)).map(|c| (*c).to_owned()).collect();
    let citations = cx
        .declarations()
        .iter()
        .map(|d| cx.declaration_fact(d, "Data categories", d.data_categories.join(", ")))
        .collect();
    let text = if sensitive.is_empty() {
        "No sensitive personal information is declared.".to_owned()
    } else {
        format!("Yes: {}.", cx.named_list(&sensitive))
    };
    drafted(coverage, text, citations)
}

fn existing_dpia(cx: &Context<'_>, coverage: Coverage) -> Option<Prefill> {
    let dpia = cx.related.iter().find(|a| a.template_id == "gdpr_dpia" || a.template_id == "uk_gdpr_dpia")?;
    let citation = cx.system_fact(
        "Data protection impact assessment",
        format!("{} ({}, {}, {:.0}% complete)", dpia.id, dpia.template_id, dpia.status, dpia.completeness),
    );
    drafted(
        coverage,
        format!(
            "This FRIA complements assessment {} ({}), currently {} and {:.0}% complete.",
            dpia.id, dpia.template_id, dpia.status, dpia.completeness
        ),
        vec![citation],
    )
}

/// Questions that only apply when some activity relies on `basis`.
fn conditional_basis(cx: &Context<'_>, basis: &str, words: &str) -> Option<Prefill> {
    let declarations = cx.declarations();
    if declarations.is_empty() || declarations.iter().any(|d| d.legal_basis_for_processing.is_none()) {
        return None;
    }
    let citations: Vec<Citation> = declarations
        .iter()
        .map(|d| {
            cx.declaration_fact(
                d,
                "Legal basis for processing",
                d.legal_basis_for_processing.clone().unwrap_or_default(),
            )
        })
        .collect();
    if declarations.iter().any(|d| d.legal_basis_for_processing.as_deref() == Some(basis)) {
        return None;
    }
    not_applicable(format!("no processing activity relies on {words}."), citations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_a_template_question_names_has_one_entry() {
        for template in crate::template::TEMPLATES {
            for (_, question) in template.questions() {
                if question.rule == Rule::None {
                    continue;
                }
                let entries = RULES.iter().filter(|e| e.rule == question.rule).count();
                assert_eq!(entries, 1, "{}: {:?} needs exactly one entry in RULES", question.id, question.rule);
                assert!(!question.rule.sources().is_empty(), "{:?} names no inventory field", question.rule);
            }
        }
        assert!(Rule::None.sources().is_empty());
    }
    use crate::risk::screen;
    use crate::system::System;

    fn facts(system: serde_json::Value) -> Facts {
        let system: System = serde_json::from_value(system).unwrap_or_else(|e| panic!("{e}"));
        Facts { system, datasets: Vec::new() }
    }

    fn run(rule: Rule, coverage: Coverage, facts: &Facts) -> Option<Prefill> {
        let taxonomy = Taxonomy::embedded();
        let screening = screen(facts);
        answer(rule, coverage, &Context { facts, screening: &screening, taxonomy: &taxonomy, related: &[] })
    }

    fn shop() -> Facts {
        facts(serde_json::json!({
            "fides_key": "shop",
            "name": "Web shop",
            "privacy_declarations": [
                {"name": "Orders", "data_use": "essential.service", "data_categories": ["user.contact.email"],
                 "data_subjects": ["customer"], "legal_basis_for_processing": "Contract", "retention_period": "6 years"},
                {"name": "Newsletter", "data_use": "marketing.communications.email", "data_categories": ["user.contact.email"],
                 "data_subjects": ["customer"], "legal_basis_for_processing": "Consent"}
            ]
        }))
    }

    #[test]
    fn categories_are_answered_in_full_with_names_and_one_citation_per_activity() {
        let p = run(Rule::DataCategories, Coverage::Full, &shop()).unwrap_or_else(|| panic!("answered"));
        assert_eq!(p.status, AnswerStatus::Complete);
        assert!(p.answer.contains("- Orders: User Contact Email (user.contact.email)"), "{}", p.answer);
        assert_eq!(p.citations.len(), 2);
        assert_eq!(p.citations[0].kind, EvidenceKind::PrivacyDeclaration);
        assert_eq!(p.citations[0].source_id, "shop/Orders");
    }

    #[test]
    fn retention_needs_every_activity_to_declare_one() {
        assert_eq!(run(Rule::Retention, Coverage::Full, &shop()), None);
    }

    #[test]
    fn conditional_questions_are_not_applicable_only_when_the_condition_fails() {
        let li = run(Rule::LegitimateInterest, Coverage::Partial, &shop()).unwrap_or_else(|| panic!("answered"));
        assert_eq!(li.status, AnswerStatus::Complete);
        assert!(li.answer.starts_with("Not applicable: no processing activity relies on legitimate interests"));
        assert_eq!(run(Rule::Consent, Coverage::Partial, &shop()), None, "the newsletter relies on consent");
        let art9 =
            run(Rule::SpecialCategoryCondition, Coverage::Partial, &shop()).unwrap_or_else(|| panic!("answered"));
        assert!(art9.answer.starts_with("Not applicable"));
    }

    #[test]
    fn special_categories_need_their_condition() {
        let health = facts(serde_json::json!({
            "fides_key": "clinic",
            "privacy_declarations": [{"data_use": "essential.service", "data_categories": ["user.health_and_medical"],
                                      "processes_special_category_data": true}]
        }));
        assert_eq!(run(Rule::SpecialCategoryCondition, Coverage::Partial, &health), None);
        let mut with_basis = health.clone();
        with_basis.system.privacy_declarations[0].special_category_legal_basis = Some("Medical".to_owned());
        let p =
            run(Rule::SpecialCategoryCondition, Coverage::Partial, &with_basis).unwrap_or_else(|| panic!("answered"));
        assert_eq!(p.status, AnswerStatus::Partial);
        assert!(p.answer.contains("Medical"));
    }

    #[test]
    fn cpra_triggers_answer_yes_or_no_from_uses_and_categories() {
        let sharing = facts(serde_json::json!({
            "fides_key": "ads",
            "privacy_declarations": [{"data_use": "marketing.advertising.third_party.targeted",
                                      "data_categories": ["user.location.precise"]}]
        }));
        let sale = run(Rule::SaleShare, Coverage::Full, &sharing).unwrap_or_else(|| panic!("answered"));
        assert!(sale.answer.starts_with("Yes"), "{}", sale.answer);
        let spi = run(Rule::SensitivePi, Coverage::Full, &sharing).unwrap_or_else(|| panic!("answered"));
        assert!(spi.answer.contains("user.location.precise"));
        let no = run(Rule::SaleShare, Coverage::Full, &shop()).unwrap_or_else(|| panic!("answered"));
        assert!(no.answer.starts_with("No."));
    }

    #[test]
    fn questions_without_facts_stay_open() {
        let bare = facts(serde_json::json!({"fides_key": "bare"}));
        for rule in
            [Rule::Description, Rule::DataCategories, Rule::Purposes, Rule::SecurityMeasures, Rule::Accountability]
        {
            assert_eq!(run(rule, Coverage::Partial, &bare), None, "{rule:?}");
        }
        assert!(run(Rule::Transfers, Coverage::Partial, &bare).is_some_and(|p| p.answer.starts_with("Not applicable")));
    }
}
