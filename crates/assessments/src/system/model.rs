//! The systems inventory: Fides `System` and `PrivacyDeclaration` (the subset assessments read),
//! checked against the fideslang taxonomy and Fides' enumerations at the boundary.

use chrono::{DateTime, Utc};
use dsr_core::Taxonomy;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use validation::{Loc, Problem};

/// Fides' lawful bases for processing (GDPR Art. 6(1)).
pub const LEGAL_BASES: &[&str] =
    &["Consent", "Contract", "Legal obligations", "Vital interests", "Public interest", "Legitimate interests"];

/// Fides' Art. 9(2) conditions for special-category data: the names of fideslang 3 and, so that
/// older documents load unchanged, those of fideslang 2.
pub const SPECIAL_CATEGORY_BASES: &[&str] = &[
    "Explicit consent",
    "Employment, social security and social protection",
    "Vital interests",
    "Not-for-profit bodies",
    "Made public by the data subject",
    "Legal claims or judicial acts",
    "Reasons of substantial public interest (with a basis in law)",
    "Health or social care (with a basis in law)",
    "Public health (with a basis in law)",
    "Archiving, research and statistics (with a basis in law)",
    "Consent",
    "Employment",
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

/// Fides' legal bases for profiling with a legal effect (Art. 22(2)).
pub const PROFILING_BASES: &[&str] = &["Explicit consent", "Contract", "Authorised by law"];

/// What a data flow connects to.
pub const FLOW_TYPES: &[&str] = &["dataset", "system", "user"];

/// Longest free-text value accepted.
pub const MAX_TEXT: usize = 10_000;
/// Most privacy declarations (and list items) on one system.
pub const MAX_ITEMS: usize = 200;

macro_rules! choice_schema {
    ($($(#[$doc:meta])* $name:ident => $values:ident, $description:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                validation::text::one_of($description, $values.iter().copied())
            }
        }

        impl ToSchema for $name {}
    )+};
}

choice_schema! {
    /// Schema: one of [`LEGAL_BASES`].
    LegalBasis => LEGAL_BASES, "A lawful basis for processing (GDPR Art. 6(1)), as Fides names it";
    /// Schema: one of [`SPECIAL_CATEGORY_BASES`].
    SpecialCategoryLegalBasis => SPECIAL_CATEGORY_BASES, "An Art. 9(2) condition, as fideslang 3 or 2 names it";
    /// Schema: one of [`RESPONSIBILITIES`].
    Responsibility => RESPONSIBILITIES, "The operator's role: Controller, Processor or Sub-Processor";
    /// Schema: one of [`PROFILING_BASES`].
    ProfilingLegalBasis => PROFILING_BASES, "A legal basis for profiling with a legal effect (Art. 22(2))";
    /// Schema: one of [`FLOW_TYPES`].
    FlowType => FLOW_TYPES, "What a data flow connects to: a system, a dataset or the system's users";
}

/// Schema of a free text on a system: at most [`MAX_TEXT`] characters (blank counts as absent).
pub type SystemText = validation::text::MaxChars<MAX_TEXT>;
/// Schema of a transfer mechanism: 1 to 200 characters, not blank.
pub type TransferMechanism = validation::text::NonBlank<200>;

/// A system: an application or service that processes personal data, with every field of
/// fideslang's `System` (documents exported from Fides load unchanged). Keys outside the model
/// are refused, naming the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Unique key (letters, digits, `_`, `-`, `.`, `<`, `>`); the assessments' `system_id`.
    #[schema(value_type = dsr_core::FidesKeyText, example = "web_shop")]
    pub fides_key: String,
    /// The organisation the system belongs to.
    #[serde(default = "default_organization")]
    #[schema(value_type = dsr_core::FidesKeyText)]
    pub organization_fides_key: String,
    /// Free labels.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub tags: Option<Vec<String>>,
    /// Display name; the key when absent.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub name: Option<String>,
    /// What the system does.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub description: Option<String>,
    /// Any extra information, kept as given.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Map<String, Value>>,
    /// Where the system runs (fidesctl's metadata).
    #[serde(default)]
    pub fidesctl_meta: Option<SystemMetadata>,
    /// The kind of system: `Service`, `Application`, `Third Party`, …
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub system_type: Option<String>,
    /// Where the system sends data.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub egress: Option<Vec<DataFlow>>,
    /// Where the system receives data from.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub ingress: Option<Vec<DataFlow>>,
    /// Processing activities.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub privacy_declarations: Vec<PrivacyDeclaration>,
    /// The department that runs it.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub administrating_department: Option<String>,
    /// The vendor behind the system.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub vendor_id: Option<String>,
    /// The vendor associated before.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub previous_vendor_id: Option<String>,
    /// When the vendor was deleted.
    #[serde(default)]
    pub vendor_deleted_date: Option<DateTime<Utc>>,
    /// Datasets (fides keys) the system stores data in.
    #[serde(default)]
    #[schema(value_type = Vec<dsr_core::FidesKeyText>, max_items = 200)]
    pub dataset_references: Vec<String>,
    /// The system stores or processes personal data (default true).
    #[serde(default = "yes")]
    pub processes_personal_data: bool,
    /// The system is exempt from privacy regulation.
    #[serde(default)]
    pub exempt_from_privacy_regulations: bool,
    /// Why it is exempt.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub reason_for_exemption: Option<String>,
    /// Profiling with legal or similarly significant effects (Fides' definition).
    #[serde(default)]
    pub uses_profiling: bool,
    /// The legal bases for that profiling.
    #[serde(default)]
    #[schema(value_type = Vec<ProfilingLegalBasis>, max_items = 200)]
    pub legal_basis_for_profiling: Vec<String>,
    /// Personal data leaves the EEA (or the UK).
    #[serde(default)]
    pub does_international_transfers: bool,
    /// Transfer mechanisms, e.g. `SCCs`, `Adequacy Decision`, `BCRs`.
    #[serde(default)]
    #[schema(value_type = Vec<TransferMechanism>, max_items = 200)]
    pub legal_basis_for_transfers: Vec<String>,
    /// The organisation flagged this system as needing a DPIA.
    #[serde(default)]
    pub requires_data_protection_assessments: bool,
    /// Where the DPIA or DPA is kept.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub dpa_location: Option<String>,
    /// How far the DPIA has come.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub dpa_progress: Option<String>,
    /// The system's public privacy policy (a URL).
    #[serde(default)]
    #[schema(value_type = Option<SystemText>, format = "uri")]
    pub privacy_policy: Option<String>,
    /// The legal name of the business behind the system.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub legal_name: Option<String>,
    /// Its legal address.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub legal_address: Option<String>,
    /// `Controller`, `Processor` or `Sub-Processor`.
    #[serde(default)]
    #[schema(value_type = Vec<Responsibility>, max_items = 200)]
    pub responsibility: Vec<String>,
    /// The data protection officer's contact.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub dpo: Option<String>,
    /// Who shares responsibility for the processing (Art. 26).
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub joint_controller_info: Option<String>,
    /// Technical and organisational security measures.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub data_security_practices: Option<String>,
    /// Longest a cookie of the system is kept, in seconds.
    #[serde(default, deserialize_with = "validation::integer::optional")]
    #[schema(minimum = 0)]
    pub cookie_max_age_seconds: Option<i64>,
    /// The system stores cookies.
    #[serde(default)]
    pub uses_cookies: bool,
    /// Its cookies are refreshed after being set.
    #[serde(default)]
    pub cookie_refresh: bool,
    /// It reads or stores information on the device other than by cookies.
    #[serde(default)]
    pub uses_non_cookie_access: bool,
    /// The public legitimate-interest disclosure (a URL).
    #[serde(default)]
    #[schema(value_type = Option<SystemText>, format = "uri")]
    pub legitimate_interest_disclosure_url: Option<String>,
    /// Deprecated in fideslang (ignored there); kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub cookies: Option<Vec<Map<String, Value>>>,
}

fn default_organization() -> String {
    "default_organization".to_owned()
}

fn yes() -> bool {
    true
}

/// fidesctl's metadata: where the system runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemMetadata {
    /// The external resource's id.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub resource_id: Option<String>,
    /// Its host.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub endpoint_address: Option<String>,
    /// Its port (numbers are kept as text, as fideslang does).
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<TextOrNumber>)]
    pub endpoint_port: Option<String>,
}

/// The OpenAPI schema of a text (at most [`MAX_TEXT`] characters) or a number.
#[derive(Debug, Clone, Copy)]
pub struct TextOrNumber;

impl utoipa::PartialSchema for TextOrNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Number]))
            .description(Some("A text of at most 10,000 characters, or a number (kept as its text)"))
            .max_length(Some(MAX_TEXT))
            .into()
    }
}

impl ToSchema for TextOrNumber {}

/// A text, or a number kept as its text (fideslang coerces numbers to strings here).
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(Option::<TextOrNumber>::deserialize(deserializer)?.map(|v| match v {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    }))
}

/// A data flow: a system, dataset or the system's users data goes to or comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataFlow {
    /// The system or dataset (`user` for the system's users).
    #[schema(value_type = dsr_core::FidesKeyText)]
    pub fides_key: String,
    /// `system`, `dataset` or `user` (`user` exactly when the key is `user`).
    #[serde(rename = "type")]
    #[schema(value_type = FlowType)]
    pub flow_type: String,
    /// The data in transit: data category keys.
    #[serde(default)]
    #[schema(value_type = Option<Vec<dsr_core::DataCategoryKey>>, max_items = 200)]
    pub data_categories: Option<Vec<String>>,
}

/// A privacy declaration: one processing activity of a system, with every field of fideslang's
/// `PrivacyDeclaration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyDeclaration {
    /// Name of the processing activity.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub name: Option<String>,
    /// Purpose: a fideslang data use key.
    #[schema(value_type = dsr_core::DataUseKey, example = "marketing.advertising.profiling")]
    pub data_use: String,
    /// Personal data processed: fideslang data category keys.
    #[serde(default)]
    #[schema(value_type = Vec<dsr_core::DataCategoryKey>, max_items = 200)]
    pub data_categories: Vec<String>,
    /// Whose data: fideslang data subject keys.
    #[serde(default)]
    #[schema(value_type = Vec<dsr_core::DataSubjectKey>, max_items = 200)]
    pub data_subjects: Vec<String>,
    /// Art. 6 lawful basis, e.g. `Consent` or `Legitimate interests`.
    #[serde(default)]
    #[schema(value_type = Option<LegalBasis>)]
    pub legal_basis_for_processing: Option<String>,
    /// The lawful basis may be overridden in a privacy notice (default true).
    #[serde(default = "yes")]
    pub flexible_legal_basis_for_processing: bool,
    /// Where the legitimate-interest assessment is kept.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub impact_assessment_location: Option<String>,
    /// How long the data is kept.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub retention_period: Option<String>,
    /// Special-category (Art. 9) data is processed.
    #[serde(default)]
    pub processes_special_category_data: bool,
    /// The Art. 9(2) condition relied on.
    #[serde(default)]
    #[schema(value_type = Option<SpecialCategoryLegalBasis>)]
    pub special_category_legal_basis: Option<String>,
    /// Data is shared with third parties for this purpose.
    #[serde(default)]
    pub data_shared_with_third_parties: bool,
    /// Recipients outside the organisation.
    #[serde(default)]
    #[schema(value_type = Option<SystemText>)]
    pub third_parties: Option<String>,
    /// The categories of personal data shared with them.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub shared_categories: Vec<String>,
    /// Processing features (TCF), e.g. `Match and combine data from other data sources`.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub features: Vec<String>,
    /// Datasets this activity uses.
    #[serde(default)]
    #[schema(value_type = Vec<dsr_core::FidesKeyText>, max_items = 200)]
    pub dataset_references: Vec<String>,
    /// Data flows of the system (`egress` keys) this activity sends data to.
    #[serde(default)]
    #[schema(value_type = Option<Vec<dsr_core::FidesKeyText>>, max_items = 200)]
    pub egress: Option<Vec<String>>,
    /// Data flows of the system (`ingress` keys) this activity receives data from.
    #[serde(default)]
    #[schema(value_type = Option<Vec<dsr_core::FidesKeyText>>, max_items = 200)]
    pub ingress: Option<Vec<String>>,
    /// Deprecated in fideslang (ignored there); kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub cookies: Option<Vec<Map<String, Value>>>,
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
    pub fn validate(&mut self, taxonomy: &Taxonomy) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let key = |k: &str| vec![Loc::Key(k.to_owned())];
        check_key(key("fides_key"), &self.fides_key, &mut problems);
        check_key(key("organization_fides_key"), &self.organization_fides_key, &mut problems);
        for (field, value) in [
            ("name", &mut self.name),
            ("description", &mut self.description),
            ("system_type", &mut self.system_type),
            ("administrating_department", &mut self.administrating_department),
            ("vendor_id", &mut self.vendor_id),
            ("previous_vendor_id", &mut self.previous_vendor_id),
            ("reason_for_exemption", &mut self.reason_for_exemption),
            ("dpa_location", &mut self.dpa_location),
            ("dpa_progress", &mut self.dpa_progress),
            ("legal_name", &mut self.legal_name),
            ("legal_address", &mut self.legal_address),
            ("dpo", &mut self.dpo),
            ("joint_controller_info", &mut self.joint_controller_info),
            ("data_security_practices", &mut self.data_security_practices),
        ] {
            check_text(key(field), value, &mut problems);
        }
        for (field, value) in [
            ("privacy_policy", &mut self.privacy_policy),
            ("legitimate_interest_disclosure_url", &mut self.legitimate_interest_disclosure_url),
        ] {
            check_text(key(field), value, &mut problems);
            check_url(key(field), value.as_deref(), &mut problems);
        }
        if let Some(meta) = &mut self.fidesctl_meta {
            let at = |field: &str| vec![Loc::Key("fidesctl_meta".into()), Loc::Key(field.into())];
            check_text(at("resource_id"), &mut meta.resource_id, &mut problems);
            check_text(at("endpoint_address"), &mut meta.endpoint_address, &mut problems);
            check_text(at("endpoint_port"), &mut meta.endpoint_port, &mut problems);
        }
        check_choices(key("responsibility"), &self.responsibility, RESPONSIBILITIES, &mut problems);
        check_choices(
            key("legal_basis_for_profiling"),
            &self.legal_basis_for_profiling,
            PROFILING_BASES,
            &mut problems,
        );
        for (i, basis) in self.legal_basis_for_transfers.iter().enumerate() {
            if validation::text::is_blank(basis) || basis.chars().count() > 200 {
                problems.push(Problem::new(
                    at_index(key("legal_basis_for_transfers"), i),
                    "A transfer mechanism must be 1-200 characters",
                ));
            }
        }
        check_keys(key("dataset_references"), &self.dataset_references, &mut problems);
        if self.cookie_max_age_seconds.is_some_and(|s| s < 0) {
            problems.push(Problem::new(key("cookie_max_age_seconds"), "Must be 0 or more seconds"));
        }
        for (field, flows) in [("egress", &self.egress), ("ingress", &self.ingress)] {
            for (i, flow) in flows.iter().flatten().enumerate() {
                flow.validate(taxonomy, at_index(key(field), i), &mut problems);
            }
        }
        let lengths = [
            ("privacy_declarations", self.privacy_declarations.len()),
            ("responsibility", self.responsibility.len()),
            ("legal_basis_for_transfers", self.legal_basis_for_transfers.len()),
            ("dataset_references", self.dataset_references.len()),
            ("tags", self.tags.as_ref().map_or(0, Vec::len)),
            ("legal_basis_for_profiling", self.legal_basis_for_profiling.len()),
            ("egress", self.egress.as_ref().map_or(0, Vec::len)),
            ("ingress", self.ingress.as_ref().map_or(0, Vec::len)),
        ];
        check_lengths(&[], &lengths, &mut problems);
        let egress: Vec<&str> = self.egress.iter().flatten().map(|f| f.fides_key.as_str()).collect();
        let ingress: Vec<&str> = self.ingress.iter().flatten().map(|f| f.fides_key.as_str()).collect();
        for (i, declaration) in self.privacy_declarations.iter_mut().enumerate() {
            let at =
                |field: &str| [key("privacy_declarations"), vec![Loc::Index(i), Loc::Key(field.to_owned())]].concat();
            declaration.validate(taxonomy, &at, &mut problems);
            // fideslang: a declaration's flows name flows the system declares.
            for (field, known, keys) in
                [("egress", &egress, &declaration.egress), ("ingress", &ingress, &declaration.ingress)]
            {
                for (j, flow) in keys.iter().flatten().enumerate() {
                    if !known.contains(&flow.as_str()) {
                        problems.push(Problem::new(
                            at_index(at(field), j),
                            format!("The system defines no {field} with '{flow}'"),
                        ));
                    }
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

impl DataFlow {
    fn validate(&self, taxonomy: &Taxonomy, loc: Vec<Loc>, problems: &mut Vec<Problem>) {
        let at = |field: &str| [loc.clone(), vec![Loc::Key(field.to_owned())]].concat();
        check_key(at("fides_key"), &self.fides_key, problems);
        if !FLOW_TYPES.contains(&self.flow_type.as_str()) {
            problems.push(Problem::new(
                at("type"),
                format!("Unknown value '{}'; expected one of {}", self.flow_type, FLOW_TYPES.join(", ")),
            ));
        } else if (self.fides_key == "user") != (self.flow_type == "user") {
            problems
                .push(Problem::new(at("type"), "The 'user' fides_key is required for, and requires, the type 'user'"));
        }
        for (i, category) in self.data_categories.iter().flatten().enumerate() {
            if !taxonomy.is_data_category(category) {
                problems.push(Problem::new(
                    at_index(at("data_categories"), i),
                    format!("Invalid data category: {category}"),
                ));
            }
        }
        let count = self.data_categories.as_ref().map_or(0, Vec::len);
        check_lengths(&loc, &[("data_categories", count)], problems);
    }
}

impl PrivacyDeclaration {
    fn validate(&mut self, taxonomy: &Taxonomy, at: &dyn Fn(&str) -> Vec<Loc>, problems: &mut Vec<Problem>) {
        if !taxonomy.is_data_use(&self.data_use) {
            problems.push(Problem::new(at("data_use"), format!("Invalid data use: {}", self.data_use)));
        }
        for (i, category) in self.data_categories.iter().enumerate() {
            if !taxonomy.is_data_category(category) {
                problems.push(Problem::new(
                    at_index(at("data_categories"), i),
                    format!("Invalid data category: {category}"),
                ));
            }
        }
        for (i, subject) in self.data_subjects.iter().enumerate() {
            if !taxonomy.is_data_subject(subject) {
                problems
                    .push(Problem::new(at_index(at("data_subjects"), i), format!("Invalid data subject: {subject}")));
            }
        }
        for (field, len) in [
            ("data_categories", self.data_categories.len()),
            ("data_subjects", self.data_subjects.len()),
            ("shared_categories", self.shared_categories.len()),
            ("features", self.features.len()),
            ("dataset_references", self.dataset_references.len()),
            ("egress", self.egress.as_ref().map_or(0, Vec::len)),
            ("ingress", self.ingress.as_ref().map_or(0, Vec::len)),
        ] {
            if len > MAX_ITEMS {
                problems.push(Problem::new(at(field), format!("At most {MAX_ITEMS} items are allowed")));
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
            ("impact_assessment_location", &mut self.impact_assessment_location),
        ] {
            check_text(at(field), value, problems);
        }
        check_keys(at("dataset_references"), &self.dataset_references, problems);
        for (field, keys) in [("egress", &self.egress), ("ingress", &self.ingress)] {
            check_keys(at(field), keys.as_deref().unwrap_or_default(), problems);
        }
    }
}

fn at_index(mut loc: Vec<Loc>, index: usize) -> Vec<Loc> {
    loc.push(Loc::Index(index));
    loc
}

fn check_lengths(base: &[Loc], lengths: &[(&str, usize)], problems: &mut Vec<Problem>) {
    for (field, len) in lengths {
        if *len > MAX_ITEMS {
            let loc = [base.to_vec(), vec![Loc::Key((*field).to_owned())]].concat();
            problems.push(Problem::new(loc, format!("At most {MAX_ITEMS} items are allowed")));
        }
    }
}

fn check_key(loc: Vec<Loc>, value: &str, problems: &mut Vec<Problem>) {
    if !is_fides_key(value) {
        problems.push(Problem::new(
            loc,
            format!(
                "FidesKeys must only contain alphanumeric characters, '.', '_', '<', '>' or '-'. Value provided: {value}"
            ),
        ));
    }
}

fn check_url(loc: Vec<Loc>, value: Option<&str>, problems: &mut Vec<Problem>) {
    if let Some(value) = value
        && url::Url::parse(value.trim()).is_err()
    {
        problems.push(Problem::new(loc, format!("Invalid URL: {value}")));
    }
}

fn check_text(loc: Vec<Loc>, value: &mut Option<String>, problems: &mut Vec<Problem>) {
    if value.as_deref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
        problems.push(Problem::new(loc, format!("At most {MAX_TEXT} characters are allowed")));
    }
    if value.as_deref().is_some_and(validation::text::is_blank) {
        *value = None;
    }
}

fn check_choice(loc: Vec<Loc>, value: &Option<String>, allowed: &[&str], problems: &mut Vec<Problem>) {
    if let Some(value) = value
        && !allowed.contains(&value.as_str())
    {
        problems.push(Problem::new(loc, format!("Unknown value '{value}'; expected one of {}", allowed.join(", "))));
    }
}

fn check_choices(loc: Vec<Loc>, values: &[String], allowed: &[&str], problems: &mut Vec<Problem>) {
    for (i, value) in values.iter().enumerate() {
        if !allowed.contains(&value.as_str()) {
            problems.push(Problem::new(
                at_index(loc.clone(), i),
                format!("Unknown value '{value}'; expected one of {}", allowed.join(", ")),
            ));
        }
    }
}

fn check_keys(loc: Vec<Loc>, keys: &[String], problems: &mut Vec<Problem>) {
    for (i, dataset) in keys.iter().enumerate() {
        if !is_fides_key(dataset) {
            problems.push(Problem::new(at_index(loc.clone(), i), format!("Invalid dataset key: {dataset}")));
        }
    }
}

pub use validation::text::is_fides_key;

/// `DELETE /api/v1/system/{fides_key}` answer (Fides' shape).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SystemDeleted {
    /// `resource deleted`.
    pub message: String,
    /// The system as it was.
    pub resource: System,
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
