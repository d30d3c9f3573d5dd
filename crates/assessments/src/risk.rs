//! High-risk screening from inventory facts: the nine WP248 rev.01 criteria (endorsed by the
//! EDPB) as far as the inventory can show them, the Art. 35(3) mandatory cases, and the
//! system's own "requires a DPIA" flag.
//!
//! `risk_level` is `high` when the system is flagged, a mandatory case applies, or two or more
//! criteria are met (WP248's rule of thumb). Criterion 5 (large scale) cannot be derived from the
//! inventory and never fires on its own; the questionnaire asks about it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::facts::Facts;

db::text_enum! {
    /// How risky the screening found the processing (absent: not high).
    pub enum RiskLevel {
        /// A DPIA is required (Art. 35).
        High => "high",
    }
}

/// Art. 9 special categories and Art. 10 criminal data (fideslang keys and their subtrees).
pub(crate) const SPECIAL: &[&str] = &[
    "user.demographic.race_ethnicity",
    "user.demographic.political_opinion",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.health_and_medical",
    "user.biometric",
    "user.authorization.biometric",
    "user.criminal_history",
];
/// Data WP248 calls highly personal: financial, precise location, private communications,
/// government identifiers, credentials.
const HIGHLY_PERSONAL: &[&str] = &[
    "user.financial",
    "user.payment",
    "user.location.precise",
    "user.content.private",
    "user.government_id",
    "user.authorization.credentials",
    "user.authorization.password",
];
/// Categories that reveal behaviour over time.
const MONITORING: &[&str] = &[
    "user.location.precise",
    "user.behavior.browsing_history",
    "user.behavior.search_history",
    "user.telemetry",
    "user.sensor",
    "user.user_sensor",
    "user.device.cookie_id",
    "user.device.device_id",
];
/// Subjects in a dependent relationship with the controller, or in public transit and premises.
const MONITORED_SUBJECTS: &[&str] = &["employee", "trainee", "consultant", "visitor", "commuter", "passenger"];
/// Vulnerable data subjects (WP248 criterion 7).
pub(crate) const VULNERABLE: &[&str] = &["employee", "job_applicant", "trainee", "patient"];
/// Data uses that evaluate or predict people.
const PROFILING_USES: &[&str] = &[
    "marketing.advertising.profiling",
    "marketing.advertising.first_party.targeted",
    "marketing.advertising.third_party.targeted",
    "personalize.profiling",
    "personalize.content.profiling",
    "personalize.content.profiled",
];
/// Data uses where monitoring is the point (analytics, advertising).
const TRACKING_USES: &[&str] = &["analytics", "marketing.advertising"];
/// Data uses where a decision can shut someone out of a service.
const GATEKEEPING_USES: &[&str] = &["essential.fraud_detection", "finance"];
/// Data uses that are new technology in WP248's sense.
const AI_USES: &[&str] = &["train_ai_system"];

/// True when `key` is one of `roots` or below one of them.
pub(crate) fn under(key: &str, roots: &[&str]) -> bool {
    roots.iter().any(|root| dsr_core::taxonomy::is_same_or_ancestor(root, key))
}

/// One criterion met, with the facts that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    /// `wp248_1` … `wp248_9`, `art35_3_a`, or `dpia_flag`.
    pub id: String,
    /// What the criterion is.
    pub title: String,
    /// The facts that meet it.
    pub evidence: String,
}

/// The outcome of screening one system.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Screening {
    /// WP248 criteria met.
    pub criteria: Vec<Criterion>,
    /// Art. 35(3) cases that apply.
    pub mandatory: Vec<Criterion>,
    /// The system's `requires_data_protection_assessments` flag.
    pub flagged: bool,
}

impl Screening {
    /// `high` when flagged, mandatory, or two or more criteria are met.
    pub fn is_high(&self) -> bool {
        self.flagged || !self.mandatory.is_empty() || self.criteria.len() >= 2
    }

    /// Everything that fired, criteria first, for storage and display.
    pub fn all(&self) -> Vec<Criterion> {
        let mut out = self.criteria.clone();
        out.extend(self.mandatory.iter().cloned());
        if self.flagged {
            out.push(criterion(
                "dpia_flag",
                "Flagged as requiring a DPIA",
                "requires_data_protection_assessments = true",
            ));
        }
        out
    }
}

fn criterion(id: &str, title: &str, evidence: impl Into<String>) -> Criterion {
    Criterion { id: id.to_owned(), title: title.to_owned(), evidence: evidence.into() }
}

fn matching<'a>(keys: &[&'a str], roots: &[&str]) -> Vec<&'a str> {
    keys.iter().copied().filter(|k| under(k, roots)).collect()
}

/// What the criteria read, computed once per screening.
struct Signals<'a> {
    facts: &'a Facts,
    categories: Vec<&'a str>,
    subjects: Vec<&'a str>,
    uses: Vec<&'a str>,
}

/// One screening criterion: its id, title, and the evidence that it is met (`None`: not met).
struct Rule {
    id: &'static str,
    title: &'static str,
    evidence: fn(&Signals<'_>) -> Option<String>,
}

/// The WP248 rev.01 criteria the inventory can show (criterion 5, large scale, cannot be
/// derived; the questionnaire asks about it). Adding a criterion is one entry.
static WP248: &[Rule] = &[
    Rule { id: "wp248_1", title: "Evaluation or scoring, including profiling", evidence: profiling },
    Rule {
        id: "wp248_2",
        title: "Automated decision-making with legal or similarly significant effect",
        evidence: automated_decisions,
    },
    Rule { id: "wp248_3", title: "Systematic monitoring", evidence: monitoring },
    Rule { id: "wp248_4", title: "Sensitive data or data of a highly personal nature", evidence: sensitive },
    Rule { id: "wp248_6", title: "Matching or combining datasets", evidence: combined_datasets },
    Rule { id: "wp248_7", title: "Data concerning vulnerable data subjects", evidence: vulnerable_subjects },
    Rule { id: "wp248_8", title: "Innovative use of new technological solutions", evidence: innovative },
    Rule {
        id: "wp248_9",
        title: "Processing that can prevent people from exercising a right or using a service",
        evidence: gatekeeping,
    },
];

/// The Art. 35(3) cases the inventory can show.
static MANDATORY: &[Rule] = &[Rule {
    id: "art35_3_a",
    title: "Art. 35(3)(a): systematic and extensive evaluation with legal or similarly significant effects",
    evidence: extensive_evaluation,
}];

fn profiling(s: &Signals<'_>) -> Option<String> {
    let profiling_uses = matching(&s.uses, PROFILING_USES);
    let system = &s.facts.system;
    if !system.uses_profiling && profiling_uses.is_empty() {
        return None;
    }
    let mut why = profiling_uses.iter().map(|u| format!("data use {u}")).collect::<Vec<_>>();
    if system.uses_profiling {
        why.push("uses_profiling = true".to_owned());
    }
    Some(why.join("; "))
}

fn automated_decisions(s: &Signals<'_>) -> Option<String> {
    s.facts
        .system
        .uses_profiling
        .then(|| "uses_profiling = true (profiling with legal or similarly significant effects)".to_owned())
}

fn monitoring(s: &Signals<'_>) -> Option<String> {
    let monitoring = matching(&s.categories, MONITORING);
    let monitored: Vec<&str> = s.subjects.iter().copied().filter(|x| MONITORED_SUBJECTS.contains(x)).collect();
    let tracking = matching(&s.uses, TRACKING_USES);
    if monitoring.is_empty() || (monitored.is_empty() && tracking.is_empty()) {
        return None;
    }
    let who = if monitored.is_empty() {
        format!("for {}", tracking.join(", "))
    } else {
        format!("of {}", monitored.join(", "))
    };
    Some(format!("categories {} {who}", monitoring.join(", ")))
}

fn sensitive(s: &Signals<'_>) -> Option<String> {
    let special = matching(&s.categories, SPECIAL);
    let personal = matching(&s.categories, HIGHLY_PERSONAL);
    let flagged = s.facts.system.privacy_declarations.iter().any(|d| d.processes_special_category_data);
    if special.is_empty() && personal.is_empty() && !flagged {
        return None;
    }
    let mut why: Vec<String> = special.iter().chain(personal.iter()).map(|c| (*c).to_owned()).collect();
    if flagged {
        why.push("processes_special_category_data = true".to_owned());
    }
    Some(why.join(", "))
}

fn combined_datasets(s: &Signals<'_>) -> Option<String> {
    let keys: Vec<&str> = s.facts.datasets.iter().map(|d| d.fides_key.as_str()).collect();
    (keys.len() >= 2).then(|| format!("datasets {}", keys.join(", ")))
}

fn vulnerable_subjects(s: &Signals<'_>) -> Option<String> {
    let vulnerable: Vec<&str> = s.subjects.iter().copied().filter(|x| VULNERABLE.contains(x)).collect();
    let children = matching(&s.categories, &["user.childrens"]);
    if vulnerable.is_empty() && children.is_empty() {
        return None;
    }
    let why: Vec<String> = vulnerable
        .iter()
        .map(|x| format!("subject {x}"))
        .chain(children.iter().map(|c| format!("category {c}")))
        .collect();
    Some(why.join(", "))
}

fn innovative(s: &Signals<'_>) -> Option<String> {
    let ai = matching(&s.uses, AI_USES);
    let biometric = matching(&s.categories, &["user.biometric", "user.authorization.biometric"]);
    if ai.is_empty() && biometric.is_empty() {
        return None;
    }
    let why: Vec<String> =
        ai.iter().map(|u| format!("data use {u}")).chain(biometric.iter().map(|c| format!("category {c}"))).collect();
    Some(why.join(", "))
}

fn gatekeeping(s: &Signals<'_>) -> Option<String> {
    let gatekeeping = matching(&s.uses, GATEKEEPING_USES);
    automated_decisions(s)?;
    (!gatekeeping.is_empty()).then(|| format!("automated decisions for {}", gatekeeping.join(", ")))
}

fn extensive_evaluation(s: &Signals<'_>) -> Option<String> {
    profiling(s)?;
    automated_decisions(s)?;
    Some("profiling with uses_profiling = true".to_owned())
}

fn met(rules: &[Rule], signals: &Signals<'_>) -> Vec<Criterion> {
    rules.iter().filter_map(|r| (r.evidence)(signals).map(|e| criterion(r.id, r.title, e))).collect()
}

/// Screens a system's facts.
pub fn screen(facts: &Facts) -> Screening {
    let signals = Signals { facts, categories: facts.categories(), subjects: facts.subjects(), uses: facts.uses() };
    Screening {
        criteria: met(WP248, &signals),
        mandatory: met(MANDATORY, &signals),
        flagged: facts.system.requires_data_protection_assessments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::System;

    fn facts(system: serde_json::Value) -> Facts {
        let system: System = serde_json::from_value(system).unwrap_or_else(|e| panic!("{e}"));
        Facts { system, datasets: Vec::new() }
    }

    fn ids(screening: &Screening) -> Vec<String> {
        screening.all().into_iter().map(|c| c.id).collect()
    }

    #[test]
    fn a_plain_order_system_is_not_high_risk() {
        let s = screen(&facts(serde_json::json!({
            "fides_key": "orders",
            "privacy_declarations": [{"data_use": "essential.service", "data_categories": ["user.contact.email"], "data_subjects": ["customer"]}]
        })));
        assert!(ids(&s).is_empty());
        assert!(!s.is_high());
    }

    #[test]
    fn one_criterion_is_not_enough_but_two_are() {
        let one = screen(&facts(serde_json::json!({
            "fides_key": "hr",
            "privacy_declarations": [{"data_use": "employment", "data_categories": ["user.contact.email"], "data_subjects": ["employee"]}]
        })));
        assert_eq!(ids(&one), ["wp248_7"]);
        assert!(!one.is_high());

        let two = screen(&facts(serde_json::json!({
            "fides_key": "hr",
            "privacy_declarations": [{"data_use": "employment", "data_categories": ["user.health_and_medical.insurance_beneficiary_id"], "data_subjects": ["employee"]}]
        })));
        assert_eq!(ids(&two), ["wp248_4", "wp248_7"]);
        assert!(two.is_high());
    }

    #[test]
    fn profiling_with_legal_effect_is_a_mandatory_case() {
        let s = screen(&facts(serde_json::json!({
            "fides_key": "credit",
            "uses_profiling": true,
            "privacy_declarations": [{"data_use": "finance", "data_categories": ["user.name"], "data_subjects": ["customer"]}]
        })));
        assert_eq!(ids(&s), ["wp248_1", "wp248_2", "wp248_9", "art35_3_a"]);
        assert!(s.is_high());
    }

    #[test]
    fn monitoring_needs_tracking_categories_and_a_monitored_group_or_purpose() {
        let s = screen(&facts(serde_json::json!({
            "fides_key": "web",
            "privacy_declarations": [{"data_use": "analytics.reporting", "data_categories": ["user.device.cookie_id"], "data_subjects": ["customer"]}]
        })));
        assert_eq!(ids(&s), ["wp248_3"]);
        let quiet = screen(&facts(serde_json::json!({
            "fides_key": "web",
            "privacy_declarations": [{"data_use": "essential.service", "data_categories": ["user.device.cookie_id"], "data_subjects": ["customer"]}]
        })));
        assert!(ids(&quiet).is_empty());
    }

    #[test]
    fn the_dpia_flag_alone_makes_a_system_high_risk() {
        let s = screen(&facts(serde_json::json!({"fides_key": "x", "requires_data_protection_assessments": true})));
        assert_eq!(ids(&s), ["dpia_flag"]);
        assert!(s.is_high());
    }
}
