//! The privacy center: server-rendered pages (no JavaScript, no build step) where data subjects
//! pick an action, fill in the identities it asks for, confirm the code emailed to them, and
//! later download their data from the link in the completion email. Requests go through the same
//! [`dsr_core::RequestService`] as `POST /api/v1/privacy-request`.
//!
//! Templates are MiniJinja files compiled into the binary and auto-escaped (every value is
//! HTML-escaped unless a template says otherwise, which none does). Text comes from locale
//! files (English and German), chosen by `Accept-Language`. Forms post to the same origin with a
//! double-submit CSRF token (a random cookie, `SameSite=Strict`, repeated in a hidden field, and
//! the `Origin` checked when the browser sends one); pages carry a Content-Security-Policy that
//! allows no script at all.

pub mod config;

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;
use serde_json::Value;

pub use config::{CenterConfig, CheckedAction, CustomField, FieldType, Requirement};

/// Where the pages live.
pub const BASE: &str = "/privacy-center";

/// The CSRF cookie's name.
pub const CSRF_COOKIE: &str = "lethe_pc_csrf";

/// The Content-Security-Policy of every page: no script, styles and images from this site (and
/// https images for configured logos), forms only to this site, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../privacy-center/templates/base.html")),
    ("errors.html", include_str!("../../privacy-center/templates/errors.html")),
    ("index.html", include_str!("../../privacy-center/templates/index.html")),
    ("request.html", include_str!("../../privacy-center/templates/request.html")),
    ("verify.html", include_str!("../../privacy-center/templates/verify.html")),
    ("done.html", include_str!("../../privacy-center/templates/done.html")),
    ("download.html", include_str!("../../privacy-center/templates/download.html")),
];

/// The locales, first the default.
const LOCALES: &[(&str, &str)] = &[
    ("en", include_str!("../../privacy-center/locales/en.json")),
    ("de", include_str!("../../privacy-center/locales/de.json")),
];

/// The static files: name, content type, bytes.
pub const STATIC_FILES: &[(&str, &str, &[u8])] = &[
    ("style.css", "text/css; charset=utf-8", include_bytes!("../../privacy-center/static/style.css")),
    ("logo.svg", "image/svg+xml", include_bytes!("../../privacy-center/static/logo.svg")),
    ("access.svg", "image/svg+xml", include_bytes!("../../privacy-center/static/access.svg")),
    ("erasure.svg", "image/svg+xml", include_bytes!("../../privacy-center/static/erasure.svg")),
];

/// One locale's texts by key.
pub type Texts = BTreeMap<String, String>;

/// A field of a request form, as the template shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// The element id (`email`, `custom-reason`).
    pub id: String,
    /// The form name (`email`, `custom.reason`).
    pub name: String,
    /// The label.
    pub label: String,
    /// `email`, `tel`, `text`, `select` or `multiselect`.
    pub kind: &'static str,
    /// Must be filled.
    pub required: bool,
    /// A hint under the label.
    pub hint: Option<String>,
    /// What is wrong with the value given.
    pub error: Option<String>,
    /// The value(s) given (kept when the form comes back with errors).
    pub values: Vec<String>,
    /// The choices of a select.
    pub options: Vec<String>,
    /// The `autocomplete` token.
    pub autocomplete: Option<&'static str>,
    /// The ids the input is described by (hint, error).
    pub describedby: String,
}

/// A problem with a submitted form, linked from the summary to its field.
#[derive(Debug, Clone, Serialize)]
pub struct FormError {
    /// The field's element id (none: the form as a whole).
    pub field: Option<String>,
    /// The field's label.
    pub label: String,
    /// What is wrong.
    pub message: String,
}

/// The loaded privacy center: configuration, templates and locales.
pub struct PrivacyCenter {
    config: CenterConfig,
    actions: Vec<CheckedAction>,
    env: Environment<'static>,
    locales: Vec<(String, Texts)>,
}

impl std::fmt::Debug for PrivacyCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyCenter").field("title", &self.config.title).finish_non_exhaustive()
    }
}

impl PrivacyCenter {
    /// The privacy center for the configuration `text` (Fides' `config.json` shape); the error
    /// names the field.
    pub fn new(text: &str) -> Result<PrivacyCenter, String> {
        let (config, actions) = config::parse(text)?;
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| format!("template {name}: {e}"))?;
        }
        let locales = LOCALES
            .iter()
            .map(|(tag, json)| {
                serde_json::from_str::<Texts>(json)
                    .map(|texts| ((*tag).to_owned(), texts))
                    .map_err(|e| format!("locale {tag}: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(PrivacyCenter { config, actions, env, locales })
    }

    /// The configuration.
    pub fn config(&self) -> &CenterConfig {
        &self.config
    }

    /// The action at `index`.
    pub fn action(&self, index: usize) -> Option<&CheckedAction> {
        self.actions.get(index)
    }

    /// The texts of the best locale for an `Accept-Language` header (English when none fits).
    pub fn texts(&self, accept_language: Option<&str>) -> &Texts {
        let wanted = preferred_languages(accept_language.unwrap_or_default());
        wanted
            .iter()
            .find_map(|tag| self.locales.iter().find(|(have, _)| have == tag))
            .or_else(|| self.locales.first())
            .map(|(_, texts)| texts)
            .unwrap_or_else(|| empty_texts())
    }

    /// Renders page `template` with `context` (plus the config, texts and base path).
    pub fn render(&self, template: &str, texts: &Texts, context: Value) -> Result<String, minijinja::Error> {
        let mut full = serde_json::Map::new();
        full.insert("config".into(), serde_json::to_value(&self.config).unwrap_or_default());
        full.insert("t".into(), serde_json::to_value(texts).unwrap_or_default());
        if let Value::Object(extra) = context {
            full.extend(extra);
        }
        // The base path is Lethe's own constant, put in as it is (`/` would be escaped).
        let base = minijinja::Value::from_safe_string(BASE.to_owned());
        let values = minijinja::Value::from_serialize(&full);
        self.env.get_template(template)?.render(minijinja::context! { base => base, ..values })
    }

    /// The fields of action `index` as a form shows them, with `values` given before.
    pub fn form_fields(
        &self,
        action: &CheckedAction,
        texts: &Texts,
        values: &BTreeMap<String, Vec<String>>,
        errors: &BTreeMap<String, String>,
    ) -> Vec<FormField> {
        let t = |key: &str| texts.get(key).cloned().unwrap_or_default();
        let mut fields = Vec::new();
        let mut push =
            |id: &str, name: &str, label: String, kind, required, hint: Option<String>, options, autocomplete| {
                let error = errors.get(name).cloned();
                let describedby =
                    [hint.as_ref().map(|_| format!("{id}-hint")), error.as_ref().map(|_| format!("{id}-error"))]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                fields.push(FormField {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    label,
                    kind,
                    required,
                    hint,
                    error,
                    values: values.get(name).cloned().unwrap_or_default(),
                    options,
                    autocomplete,
                    describedby,
                });
            };
        let ids = &action.identities;
        if let Some(need) = ids.name {
            push("name", "name", t("name"), "text", need == Requirement::Required, None, Vec::new(), Some("name"));
        }
        if let Some(need) = ids.email {
            push("email", "email", t("email"), "email", need == Requirement::Required, None, Vec::new(), Some("email"));
        }
        if let Some(need) = ids.phone {
            let hint = Some(t("phone_hint"));
            push(
                "phone",
                "phone_number",
                t("phone"),
                "tel",
                need == Requirement::Required,
                hint,
                Vec::new(),
                Some("tel"),
            );
        }
        for (key, field) in action.fields.iter().filter(|(_, f)| !f.hidden) {
            let kind = match field.field_type {
                FieldType::Text => "text",
                FieldType::Select => "select",
                FieldType::Multiselect => "multiselect",
            };
            let options = field.options.clone().unwrap_or_default();
            push(
                &format!("custom-{key}"),
                &format!("custom.{key}"),
                field.label.clone(),
                kind,
                field.required,
                None,
                options,
                None,
            );
        }
        fields
    }
}

fn empty_texts() -> &'static Texts {
    static EMPTY: std::sync::OnceLock<Texts> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Texts::new)
}

/// The primary language subtags of an `Accept-Language` header, most preferred first (`q=0`
/// ones left out; equal weights keep their order).
pub fn preferred_languages(header: &str) -> Vec<String> {
    let mut weighted: Vec<(usize, f32, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let primary = tag.split('-').next()?.to_owned();
            if primary.is_empty() || primary == "*" {
                return None;
            }
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            (q > 0.0).then_some((i, q, primary))
        })
        .collect();
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    weighted.into_iter().map(|(_, _, tag)| tag).collect()
}

/// What a submitted request form holds: identities and custom fields, or what is wrong.
pub struct Submitted {
    /// `identity` of the create item.
    pub identity: serde_json::Map<String, Value>,
    /// `custom_privacy_request_fields` of the create item (`{key: {label, value}}`).
    pub custom_fields: serde_json::Map<String, Value>,
}

/// Checks a request form's `values` against `action`; the errors are by form name.
pub fn check_form(
    action: &CheckedAction,
    texts: &Texts,
    values: &BTreeMap<String, Vec<String>>,
) -> Result<Submitted, BTreeMap<String, String>> {
    let t = |key: &str| texts.get(key).cloned().unwrap_or_default();
    let one =
        |name: &str| values.get(name).and_then(|v| v.first()).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut errors = BTreeMap::new();
    let mut identity = serde_json::Map::new();
    let ids = &action.identities;
    let email = one("email");
    let phone = one("phone_number");
    if ids.email == Some(Requirement::Required) && email.is_none() {
        errors.insert("email".to_owned(), t("error_required"));
    }
    if let Some(email) = &email {
        let plausible = email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
            && !email.contains(char::is_whitespace);
        if plausible {
            identity.insert("email".to_owned(), Value::from(email.clone()));
        } else {
            errors.insert("email".to_owned(), t("error_email"));
        }
    }
    if ids.phone == Some(Requirement::Required) && phone.is_none() {
        errors.insert("phone_number".to_owned(), t("error_required"));
    }
    if let Some(phone) = phone.filter(|_| ids.phone.is_some()) {
        identity.insert("phone_number".to_owned(), Value::from(phone));
    }
    if ids.name == Some(Requirement::Required) && one("name").is_none() {
        errors.insert("name".to_owned(), t("error_required"));
    }
    if errors.is_empty() && identity.is_empty() {
        let field = if ids.email.is_some() { "email" } else { "phone_number" };
        errors.insert(field.to_owned(), t("error_email_or_phone"));
    }
    let mut custom_fields = serde_json::Map::new();
    for (key, field) in &action.fields {
        let name = format!("custom.{key}");
        let value = if field.hidden {
            field.default_value.clone()
        } else {
            let given: Vec<String> = values
                .get(&name)
                .map(|v| v.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            let options = field.options.as_deref().unwrap_or_default();
            if given.iter().any(|g| field.field_type != FieldType::Text && !options.contains(g)) {
                errors.insert(name.clone(), t("error_option"));
                continue;
            }
            match (field.field_type, given.is_empty()) {
                (_, true) if field.required => {
                    errors.insert(name.clone(), t("error_required"));
                    continue;
                }
                (FieldType::Multiselect, _) => Some(Value::from(given)),
                (_, true) => field.default_value.clone(),
                (_, false) => given.into_iter().next().map(Value::from),
            }
        };
        if let Some(value) = value {
            custom_fields.insert(key.clone(), serde_json::json!({"label": field.label, "value": value}));
        }
    }
    if errors.is_empty() { Ok(Submitted { identity, custom_fields }) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_ordered_by_weight() {
        assert_eq!(preferred_languages("fr-CH, fr;q=0.9, de;q=0.8, en;q=0.7, *;q=0.5"), ["fr", "fr", "de", "en"]);
        assert_eq!(preferred_languages("en;q=0.2, de-AT"), ["de", "en"]);
        assert_eq!(preferred_languages("de;q=0, en"), ["en"]);
        assert!(preferred_languages("").is_empty());
    }

    #[test]
    fn every_locale_has_every_text() {
        let center = PrivacyCenter::new(config::DEFAULT_CONFIG).unwrap();
        let english: Vec<&String> = center.locales[0].1.keys().collect();
        for (tag, texts) in &center.locales {
            assert_eq!(texts.keys().collect::<Vec<_>>(), english, "{tag}");
        }
        assert_eq!(center.texts(Some("de-DE,de;q=0.9"))["verify_code"], "Bestätigungscode");
        assert_eq!(center.texts(Some("fr"))["verify_code"], "Verification code");
    }

    #[test]
    fn values_are_escaped_in_every_page() {
        let text = config::DEFAULT_CONFIG.replace("Your privacy", "<script>alert(1)</script> & co");
        let center = PrivacyCenter::new(&text).unwrap();
        let page = center.render("index.html", center.texts(None), serde_json::json!({})).unwrap();
        assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; co"), "{page}");
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn forms_are_checked_field_by_field() {
        let text = r#"{"title": "t", "description": "d", "logo_path": "/l.svg", "actions": [{"policy_key": "p",
            "title": "t", "description": "d", "identity_inputs": {"email": "required", "phone": "optional"},
            "custom_privacy_request_fields": {"tenant": {"label": "Tenant", "hidden": true, "default_value": "t1"},
              "topics": {"label": "Topics", "required": false, "field_type": "multiselect", "options": ["a", "b"]},
              "reason": {"label": "Reason"}}}]}"#;
        let center = PrivacyCenter::new(text).unwrap();
        let action = center.action(0).unwrap();
        let texts = center.texts(None);
        let form = |pairs: &[(&str, &str)]| {
            let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (k, v) in pairs {
                values.entry((*k).to_owned()).or_default().push((*v).to_owned());
            }
            check_form(action, texts, &values)
        };
        let errors = form(&[("email", "not-an-email"), ("custom.topics", "c")]).err().unwrap();
        assert_eq!(errors["email"], texts["error_email"]);
        assert_eq!(errors["custom.topics"], texts["error_option"]);
        assert_eq!(errors["custom.reason"], texts["error_required"]);
        let ok = form(&[
            ("email", " jane@example.com "),
            ("custom.topics", "a"),
            ("custom.topics", "b"),
            ("custom.reason", "moving"),
            ("custom.tenant", "forged"),
        ])
        .ok()
        .unwrap();
        assert_eq!(Value::Object(ok.identity), serde_json::json!({"email": "jane@example.com"}));
        assert_eq!(
            Value::Object(ok.custom_fields),
            serde_json::json!({
                "tenant": {"label": "Tenant", "value": "t1"},
                "topics": {"label": "Topics", "value": ["a", "b"]},
                "reason": {"label": "Reason", "value": "moving"}
            })
        );
        let fields = center.form_fields(action, texts, &BTreeMap::new(), &BTreeMap::new());
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["email", "phone_number", "custom.topics", "custom.reason"], "hidden fields are not shown");
    }
}
