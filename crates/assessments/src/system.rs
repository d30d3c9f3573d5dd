//! The systems inventory: Fides `System` and `PrivacyDeclaration` (the subset assessments read),
//! checked against the fideslang taxonomy and Fides' enumerations at the boundary.

use dsr_core::{InvalidInput, Loc, Taxonomy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Fides' lawful bases for processing (GDPR Art. 6(1)).
pub const LEGAL_BASES: &[&str] =
    &["Consent", "Contract", "Legal obligations", "Vital interests", "Public interest", "Legitimate interests"];

/// Fides' Art. 9(2) conditions for special-category data.
pub const SPECIAL_CATEGORY_BASES: &[&str] = &[
    "Consent",
    "Employment",
    "Vital interests",
    "Non-profit bodies",
    "Public by data subject",
    "Legal claims",
    "Substantial public interest",
    "Medical",
    "Public health interest",
    "Archiving or research",
];

/// Fides' roles a system's operator can have.
pub const RESPONSIBILITIES: &[&str] = &["Controller", "Processor", "Sub-Processor"];

/// Longest free-text value accepted.
const MAX_TEXT: usize = 10_000;
/// Most privacy declarations (and list items) on one system.
const MAX_ITEMS: usize = 200;

/// A system: an application or service that processes personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Unique key (letters, digits, `_`, `-`, `.`, `<`, `>`); the assessments' `system_id`.
    #[schema(example = "web_shop")]
    pub fides_key: String,
    /// Display name; the key when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// What the system does.
    #[serde(default)]
    pub description: Option<String>,
    /// The department that runs it.
    #[serde(default)]
    pub administrating_department: Option<String>,
    /// `Controller`, `Processor` or `Sub-Processor`.
    #[serde(default)]
    pub responsibility: Vec<String>,
    /// The data protection officer's contact.
    #[serde(default)]
    pub dpo: Option<String>,
    /// Profiling with legal or similarly significant effects (Fides' definition).
    #[serde(default)]
    pub uses_profiling: bool,
    /// Personal data leaves the EEA (or the UK).
    #[serde(default)]
    pub does_international_transfers: bool,
    /// Transfer mechanisms, e.g. `SCCs`, `Adequacy Decision`, `BCRs`.
    #[serde(default)]
    pub legal_basis_for_transfers: Vec<String>,
    /// The organisation flagged this system as needing a DPIA.
    #[serde(default)]
    pub requires_data_protection_assessments: bool,
    /// Technical and organisational security measures.
    #[serde(default)]
    pub data_security_practices: Option<String>,
    /// Datasets (fides keys) the system stores data in.
    #[serde(default)]
    pub dataset_references: Vec<String>,
    /// Processing activities.
    #[serde(default)]
    pub privacy_declarations: Vec<PrivacyDeclaration>,
}

/// A privacy declaration: one processing activity of a system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyDeclaration {
    /// Name of the processing activity.
    #[serde(default)]
    pub name: Option<String>,
    /// Purpose: a fideslang data use key.
    #[schema(example = "marketing.advertising.profiling")]
    pub data_use: String,
    /// Personal data processed: fideslang data category keys.
    #[serde(default)]
    pub data_categories: Vec<String>,
    /// Whose data: fideslang data subject keys.
    #[serde(default)]
    pub data_subjects: Vec<String>,
    /// Art. 6 lawful basis, e.g. `Consent` or `Legitimate interests`.
    #[serde(default)]
    pub legal_basis_for_processing: Option<String>,
    /// How long the data is kept.
    #[serde(default)]
    pub retention_period: Option<String>,
    /// Recipients outside the organisation.
    #[serde(default)]
    pub third_parties: Option<String>,
    /// Special-category (Art. 9) data is processed.
    #[serde(default)]
    pub processes_special_category_data: bool,
    /// The Art. 9(2) condition relied on.
    #[serde(default)]
    pub special_category_legal_basis: Option<String>,
    /// Datasets this activity uses.
    #[serde(default)]
    pub dataset_references: Vec<String>,
}

impl PrivacyDeclaration {
    /// The declaration's name, or its data use when unnamed.
    pub fn label(&self) -> &str {
        self.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(&self.data_use)
    }
}

impl System {
    /// The display name (the key when unnamed).
    pub fn display_name(&self) -> &str {
        self.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(&self.fides_key)
    }

    /// Every dataset key the system or its declarations reference, in order, without repeats.
    pub fn all_dataset_references(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let declared = self.privacy_declarations.iter().flat_map(|d| d.dataset_references.iter());
        for key in self.dataset_references.iter().chain(declared) {
            if !out.contains(key) {
                out.push(key.clone());
            }
        }
        out
    }

    /// Checks the system, reporting every problem with its place in the body. Blank optional
    /// texts are normalised to absent.
    pub fn validate(&mut self, taxonomy: &Taxonomy) -> Result<(), Vec<InvalidInput>> {
        let mut problems = Vec::new();
        let key = |k: &str| Loc::Key(k.to_owned());
        if !is_fides_key(&self.fides_key) {
            problems.push(InvalidInput::new(
                vec![key("fides_key")],
                format!(
                    "FidesKeys must only contain alphanumeric characters, '.', '_', '<', '>' or '-'. Value provided: {}",
                    self.fides_key
                ),
            ));
        }
        for (field, value) in [
            ("name", &mut self.name),
            ("description", &mut self.description),
            ("administrating_department", &mut self.administrating_department),
            ("dpo", &mut self.dpo),
            ("data_security_practices", &mut self.data_security_practices),
        ] {
            check_text(vec![key(field)], value, &mut problems);
        }
        for (i, role) in self.responsibility.iter().enumerate() {
            if !RESPONSIBILITIES.contains(&role.as_str()) {
                problems.push(InvalidInput::new(
                    vec![key("responsibility"), Loc::Index(i)],
                    format!("Unknown responsibility '{role}'; expected one of {}", RESPONSIBILITIES.join(", ")),
                ));
            }
        }
        for (i, basis) in self.legal_basis_for_transfers.iter().enumerate() {
            if basis.trim().is_empty() || basis.chars().count() > 200 {
                problems.push(InvalidInput::new(
                    vec![key("legal_basis_for_transfers"), Loc::Index(i)],
                    "A transfer mechanism must be 1-200 characters",
                ));
            }
        }
        check_keys(vec![key("dataset_references")], &self.dataset_references, &mut problems);
        for (field, len) in [
            ("privacy_declarations", self.privacy_declarations.len()),
            ("responsibility", self.responsibility.len()),
            ("legal_basis_for_transfers", self.legal_basis_for_transfers.len()),
            ("dataset_references", self.dataset_references.len()),
        ] {
            if len > MAX_ITEMS {
                problems.push(InvalidInput::new(vec![key(field)], format!("At most {MAX_ITEMS} items are allowed")));
            }
        }
        for (i, declaration) in self.privacy_declarations.iter_mut().enumerate() {
            let at = |field: &str| vec![key("privacy_declarations"), Loc::Index(i), key(field)];
            declaration.validate(taxonomy, &at, &mut problems);
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

impl PrivacyDeclaration {
    fn validate(&mut self, taxonomy: &Taxonomy, at: &dyn Fn(&str) -> Vec<Loc>, problems: &mut Vec<InvalidInput>) {
        if !taxonomy.is_data_use(&self.data_use) {
            problems.push(InvalidInput::new(at("data_use"), format!("Invalid data use: {}", self.data_use)));
        }
        for (i, category) in self.data_categories.iter().enumerate() {
            if !taxonomy.is_data_category(category) {
                let mut loc = at("data_categories");
                loc.push(Loc::Index(i));
                problems.push(InvalidInput::new(loc, format!("Invalid data category: {category}")));
            }
        }
        for (i, subject) in self.data_subjects.iter().enumerate() {
            if !taxonomy.is_data_subject(subject) {
                let mut loc = at("data_subjects");
                loc.push(Loc::Index(i));
                problems.push(InvalidInput::new(loc, format!("Invalid data subject: {subject}")));
            }
        }
        for (field, len) in
            [("data_categories", self.data_categories.len()), ("data_subjects", self.data_subjects.len())]
        {
            if len > MAX_ITEMS {
                problems.push(InvalidInput::new(at(field), format!("At most {MAX_ITEMS} items are allowed")));
            }
        }
        check_choice(at("legal_basis_for_processing"), &self.legal_basis_for_processing, LEGAL_BASES, problems);
        check_choice(
            at("special_category_legal_basis"),
            &self.special_category_legal_basis,
            SPECIAL_CATEGORY_BASES,
            problems,
        );
        for (field, value) in [
            ("name", &mut self.name),
            ("retention_period", &mut self.retention_period),
            ("third_parties", &mut self.third_parties),
        ] {
            check_text(at(field), value, problems);
        }
        check_keys(at("dataset_references"), &self.dataset_references, problems);
    }
}

fn check_text(loc: Vec<Loc>, value: &mut Option<String>, problems: &mut Vec<InvalidInput>) {
    if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
        *value = None;
    }
    if value.as_deref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
        problems.push(InvalidInput::new(loc, format!("At most {MAX_TEXT} characters are allowed")));
    }
}

fn check_choice(loc: Vec<Loc>, value: &Option<String>, allowed: &[&str], problems: &mut Vec<InvalidInput>) {
    if let Some(value) = value
        && !allowed.contains(&value.as_str())
    {
        problems
            .push(InvalidInput::new(loc, format!("Unknown value '{value}'; expected one of {}", allowed.join(", "))));
    }
}

fn check_keys(loc: Vec<Loc>, keys: &[String], problems: &mut Vec<InvalidInput>) {
    for (i, dataset) in keys.iter().enumerate() {
        if !is_fides_key(dataset) {
            let mut at = loc.clone();
            at.push(Loc::Index(i));
            problems.push(InvalidInput::new(at, format!("Invalid dataset key: {dataset}")));
        }
    }
}

/// Fides' `FidesKey`: non-empty, at most 200 of `[A-Za-z0-9_.<>-]`.
pub fn is_fides_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '<' | '>' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system() -> System {
        serde_json::from_value(serde_json::json!({
            "fides_key": "shop",
            "name": "  ",
            "privacy_declarations": [{
                "data_use": "marketing.advertising.profiling",
                "data_categories": ["user.contact.email", "user.nope"],
                "data_subjects": ["customer", "martian"],
                "legal_basis_for_processing": "Because"
            }]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn validation_names_every_bad_field_with_its_place() {
        let mut s = system();
        let problems = s.validate(&Taxonomy::embedded()).err().unwrap_or_default();
        let locs: Vec<String> = problems
            .iter()
            .map(|p| {
                p.loc
                    .iter()
                    .map(|l| match l {
                        Loc::Key(k) => k.clone(),
                        Loc::Index(i) => i.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        assert_eq!(
            locs,
            [
                "privacy_declarations.0.data_categories.1",
                "privacy_declarations.0.data_subjects.1",
                "privacy_declarations.0.legal_basis_for_processing",
            ]
        );
        assert_eq!(s.name, None, "blank names are dropped");
        assert_eq!(s.display_name(), "shop");
    }

    #[test]
    fn fides_keys_follow_fides_rules() {
        assert!(is_fides_key("web_shop-1.v<2>"));
        assert!(!is_fides_key("web shop"));
        assert!(!is_fides_key(""));
    }
}
