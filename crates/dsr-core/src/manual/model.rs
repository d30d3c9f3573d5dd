//! Manual privacy requests (Fides' `manual_request`, formerly `manual_webhook`): a connection
//! whose data a person looks up and uploads per request. Its fields map what the person is asked
//! for (`pii_field`) to the key the subject sees in the package (`dsr_package_label`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use validation::{Loc, Problem};

/// Longest `pii_field` or `dsr_package_label`.
pub const MAX_LABEL: usize = 200;

/// Schema of a `pii_field`.
pub type PiiFieldText = validation::text::NonBlank<MAX_LABEL>;

/// Schema of a `dsr_package_label`.
pub type LabelText = validation::text::MaxChars<MAX_LABEL>;

/// One field a manual request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManualField {
    /// What the person filling it in is asked for.
    #[schema(value_type = PiiFieldText, example = "First Name")]
    pub pii_field: String,
    /// The key in the subject's package; snake_case of `pii_field` when null or empty.
    #[serde(default)]
    #[schema(value_type = Option<LabelText>, example = "first_name")]
    pub dsr_package_label: Option<String>,
}

/// The fields of a manual request, as submitted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ManualFieldsUpdate {
    /// At least one field; `pii_field`s and labels unique.
    #[schema(min_items = 1)]
    pub fields: Vec<ManualField>,
}

/// A manual request connection's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManualRequest {
    /// The connection.
    pub connection_key: String,
    /// Fields, each with its (defaulted) label.
    pub fields: Vec<ManualField>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What was uploaded for one request and one manual request connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ManualInput {
    /// True once a person uploaded data (even `{}`: "searched, nothing found").
    pub checked: bool,
    /// Every label with its uploaded value (null when not given).
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// `First Name` → `first_name`: lower case, runs of anything but letters and digits become one
/// underscore.
pub fn snake_case(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Trims names, defaults labels and checks Fides' rules; every problem is located.
pub fn normalise(fields: Vec<ManualField>) -> Result<Vec<ManualField>, Vec<Problem>> {
    let at = |i: usize, key: &str| vec![Loc::Key("fields".into()), Loc::Index(i), Loc::Key(key.into())];
    let mut problems = Vec::new();
    if fields.is_empty() {
        problems.push(Problem::new(vec![Loc::Key("fields".into())], "List should have at least 1 item"));
    }
    let mut out: Vec<ManualField> = Vec::new();
    for (i, field) in fields.into_iter().enumerate() {
        // Lengths count the text as given, as the schema's maxLength does.
        let pii = field.pii_field.trim().to_owned();
        if pii.is_empty() || field.pii_field.chars().count() > MAX_LABEL {
            problems.push(Problem::new(at(i, "pii_field"), format!("pii_field must be 1 to {MAX_LABEL} characters")));
            continue;
        }
        let given = field.dsr_package_label.as_deref().unwrap_or_default();
        let label = match Some(given.trim()).filter(|l| !l.is_empty()) {
            Some(label) => label.to_owned(),
            None => snake_case(&pii),
        };
        if label.is_empty() || given.chars().count() > MAX_LABEL || label.chars().count() > MAX_LABEL {
            problems.push(Problem::new(
                at(i, "dsr_package_label"),
                format!("dsr_package_label must be 1 to {MAX_LABEL} characters"),
            ));
            continue;
        }
        if out.iter().any(|f| f.pii_field == pii) {
            problems.push(Problem::new(at(i, "pii_field"), format!("pii_fields must be unique ('{pii}' repeats)")));
        } else if out.iter().any(|f| f.dsr_package_label.as_deref() == Some(label.as_str())) {
            problems.push(Problem::new(
                at(i, "dsr_package_label"),
                format!("dsr_package_labels must be unique ('{label}' repeats)"),
            ));
        }
        out.push(ManualField { pii_field: pii, dsr_package_label: Some(label) });
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The labels of normalised fields.
pub fn labels(fields: &[ManualField]) -> impl Iterator<Item = &str> {
    fields.iter().filter_map(|f| f.dsr_package_label.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(pii: &str, label: Option<&str>) -> ManualField {
        ManualField { pii_field: pii.into(), dsr_package_label: label.map(str::to_owned) }
    }

    #[test]
    fn labels_default_to_snake_case_of_the_pii_field() {
        assert_eq!(snake_case("Phone Number"), "phone_number");
        assert_eq!(snake_case("  E-mail (work) "), "e_mail_work");
        let fields = normalise(vec![
            field("First Name", Some("first_name")),
            field("Phone Number", None),
            field("Height", Some("")),
        ])
        .unwrap();
        let got: Vec<&str> = labels(&fields).collect();
        assert_eq!(got, ["first_name", "phone_number", "height"]);
    }

    #[test]
    fn empty_and_repeated_names_are_located() {
        assert_eq!(normalise(vec![]).unwrap_err()[0].loc, vec![Loc::Key("fields".into())]);
        let problems = normalise(vec![
            field("Name", None),
            field(" ", None),
            field("Name", Some("x")),
            field("Other", Some("name")),
        ])
        .unwrap_err();
        let locs: Vec<(usize, String)> = problems
            .iter()
            .map(|p| match (&p.loc[1], &p.loc[2]) {
                (Loc::Index(i), Loc::Key(k)) => (*i, k.clone()),
                _ => panic!(),
            })
            .collect();
        assert_eq!(locs, vec![(1, "pii_field".into()), (2, "pii_field".into()), (3, "dsr_package_label".into())]);
    }
}
