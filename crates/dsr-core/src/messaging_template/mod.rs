//! Messaging templates (Fides' basic `/messaging/templates`): the subject and body of each email
//! Lethe sends a data subject. A type without a stored template uses Lethe's own default wording.
//! Templates are plain text with literal `__VAR__` placeholders, rendered by
//! [`messaging::template::render`] (never a template engine over stored text); each type lists
//! the placeholders it fills.

pub(crate) mod repo;

use db::Database;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bulk::{BulkFailure, BulkResponse, MAX_BULK, check_bulk};
use crate::error::Result;

db::text_enum! {
    /// An email Lethe sends a data subject (Fides' `MessagingActionType` values).
    pub enum MessagingActionType {
        /// The identity verification code (`__CODE__`, `__MINUTES__`).
        SubjectIdentityVerification => "subject_identity_verification",
        /// The request was received (`__REQUEST_TYPES__`).
        PrivacyRequestReceipt => "privacy_request_receipt",
        /// A reviewer approved the request.
        PrivacyRequestReviewApprove => "privacy_request_review_approve",
        /// A reviewer denied the request (`__DENIAL_REASON__`).
        PrivacyRequestReviewDeny => "privacy_request_review_deny",
        /// An access request completed (`__DOWNLOAD_LINK__`, `__DAYS__`).
        PrivacyRequestCompleteAccess => "privacy_request_complete_access",
        /// An erasure request completed.
        PrivacyRequestCompleteDeletion => "privacy_request_complete_deletion",
    }
}

/// A template's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TemplateContent {
    /// The subject line (one line).
    pub subject: String,
    /// The body: plain text with `__VAR__` placeholders; a blank line separates paragraphs.
    pub body: String,
}

/// A template as listed and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessagingTemplate {
    /// Which email.
    #[serde(rename = "type")]
    pub template_type: MessagingActionType,
    /// Its name.
    pub label: String,
    /// Subject and body.
    pub content: TemplateContent,
}

/// The default of a template type (`GET /messaging/templates/default/{type}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessagingTemplateDefault {
    /// Which email.
    #[serde(rename = "type")]
    pub template_type: MessagingActionType,
    /// Its name.
    pub label: String,
    /// Always false (Fides' shape: a default is not a stored, enabled template).
    pub is_enabled: bool,
    /// Lethe's default subject and body.
    pub content: TemplateContent,
}

/// New text for a template; a missing or empty part takes the default's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateContentUpdate {
    /// The subject line (one line, at most 200 characters).
    #[serde(default)]
    pub subject: Option<String>,
    /// The body (at most 20,000 characters).
    #[serde(default)]
    pub body: Option<String>,
}

/// One item of `PUT /messaging/templates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessagingTemplateUpdate {
    /// Which email (one of [`MessagingActionType`]'s values).
    #[serde(rename = "type")]
    pub template_type: String,
    /// Its new text.
    #[serde(default)]
    pub content: TemplateContentUpdate,
}

/// The body of `PUT /messaging/templates` (a schema only).
pub type MessagingTemplateList = crate::bulk::BulkBody<MessagingTemplateUpdate>;

/// Longest subject line, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;

/// A type's name and Lethe's default text (rules as data: one entry per type).
struct Wording {
    template_type: MessagingActionType,
    label: &'static str,
    subject: &'static str,
    body: &'static str,
}

const DEFAULTS: &[Wording] = &[
    Wording {
        template_type: MessagingActionType::SubjectIdentityVerification,
        label: "Subject identity verification",
        subject: "Your privacy request verification code",
        body: "Your verification code is __CODE__.\n\nEnter it to confirm your privacy request. It expires in \
               __MINUTES__ minute(s). If you did not make this request, you can ignore this email.",
    },
    Wording {
        template_type: MessagingActionType::PrivacyRequestReceipt,
        label: "Privacy request received",
        subject: "We received your privacy request",
        body: "We received your privacy request (__REQUEST_TYPES__).\n\nWe will email you again when it has been \
               reviewed or completed. If you did not make this request, please tell us by replying to this email.",
    },
    Wording {
        template_type: MessagingActionType::PrivacyRequestReviewApprove,
        label: "Privacy request approved",
        subject: "Your privacy request was approved",
        body: "Your privacy request was approved and is now being carried out. We will email you again when it \
               is complete.",
    },
    Wording {
        template_type: MessagingActionType::PrivacyRequestReviewDeny,
        label: "Privacy request denied",
        subject: "Your privacy request was denied",
        body: "We could not carry out your privacy request.\n\nReason: __DENIAL_REASON__",
    },
    Wording {
        template_type: MessagingActionType::PrivacyRequestCompleteAccess,
        label: "Access request completed",
        subject: "Your data is ready to download",
        body: "Your access request is complete. Download a copy of your data here:\n\n__DOWNLOAD_LINK__\n\n\
               The link is personal, so please do not share it. It stays valid for __DAYS__ day(s).",
    },
    Wording {
        template_type: MessagingActionType::PrivacyRequestCompleteDeletion,
        label: "Erasure request completed",
        subject: "Your data has been erased",
        body: "Your erasure request is complete: the personal data covered by your request has been erased from \
               our systems.",
    },
];

fn default_of(template_type: MessagingActionType) -> &'static Wording {
    // Every type has an entry (a unit test checks).
    DEFAULTS.iter().find(|d| d.template_type == template_type).unwrap_or(&DEFAULTS[0])
}

impl MessagingActionType {
    /// The type's name (`Privacy request received`).
    pub fn label(self) -> &'static str {
        default_of(self).label
    }

    /// Lethe's default subject and body of the type.
    pub fn default_content(self) -> TemplateContent {
        let d = default_of(self);
        TemplateContent { subject: d.subject.to_owned(), body: d.body.to_owned() }
    }
}

/// The subject emails of the request lifecycle: read and change their templates.
pub trait MessagingTemplateService: Send + Sync {
    /// Every type's template: the stored one, else the default.
    fn list_templates(&self) -> Result<Vec<MessagingTemplate>>;
    /// Stores templates (at most 50 items); each item is stored or refused on its own.
    fn put_templates(&self, items: Vec<MessagingTemplateUpdate>) -> Result<BulkResponse<MessagingTemplate>>;
    /// The default of `template_type`.
    fn default_template(&self, template_type: MessagingActionType) -> MessagingTemplateDefault;
}

/// [`MessagingTemplateService`] over the database.
pub struct DieselMessagingTemplateService {
    db: Database,
}

impl DieselMessagingTemplateService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselMessagingTemplateService {
        DieselMessagingTemplateService { db }
    }
}

/// Why a template item was refused.
fn check_content(
    template_type: MessagingActionType,
    update: &TemplateContentUpdate,
) -> std::result::Result<TemplateContent, String> {
    let defaults = template_type.default_content();
    let subject = update.subject.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let body = update.body.as_deref().filter(|b| !b.trim().is_empty());
    if let Some(subject) = subject {
        if subject.contains(['\r', '\n']) {
            return Err("content.subject must be one line".to_owned());
        }
        if subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(format!("content.subject must be at most {MAX_SUBJECT_CHARS} characters"));
        }
    }
    if body.is_some_and(|b| b.chars().count() > MAX_BODY_CHARS) {
        return Err(format!("content.body must be at most {MAX_BODY_CHARS} characters"));
    }
    Ok(TemplateContent {
        subject: subject.map_or(defaults.subject, str::to_owned),
        body: body.map_or(defaults.body, str::to_owned),
    })
}

impl MessagingTemplateService for DieselMessagingTemplateService {
    fn list_templates(&self) -> Result<Vec<MessagingTemplate>> {
        let mut conn = self.db.conn()?;
        let stored = repo::all(&mut conn)?;
        Ok(MessagingActionType::ALL
            .iter()
            .map(|&template_type| MessagingTemplate {
                template_type,
                label: template_type.label().to_owned(),
                content: stored
                    .iter()
                    .find(|(t, _)| *t == template_type)
                    .map_or_else(|| template_type.default_content(), |(_, content)| content.clone()),
            })
            .collect())
    }

    fn put_templates(&self, items: Vec<MessagingTemplateUpdate>) -> Result<BulkResponse<MessagingTemplate>> {
        check_bulk(Vec::new(), items.len(), MAX_BULK)?;
        let mut conn = self.db.conn()?;
        let mut response = BulkResponse::default();
        for item in items {
            let data = serde_json::to_value(&item).unwrap_or_default();
            let Some(template_type) = MessagingActionType::parse(&item.template_type) else {
                let message = format!("Messaging template type {} is not supported", item.template_type);
                response.failed.push(BulkFailure { message, data });
                continue;
            };
            match check_content(template_type, &item.content) {
                Ok(content) => {
                    conn.write_transaction(|c| repo::store(c, template_type, &content))?;
                    let label = template_type.label().to_owned();
                    response.succeeded.push(MessagingTemplate { template_type, label, content });
                }
                Err(message) => response.failed.push(BulkFailure { message, data }),
            }
        }
        Ok(response)
    }

    fn default_template(&self, template_type: MessagingActionType) -> MessagingTemplateDefault {
        MessagingTemplateDefault {
            template_type,
            label: template_type.label().to_owned(),
            is_enabled: false,
            content: template_type.default_content(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_own_default() {
        for &t in MessagingActionType::ALL {
            assert_eq!(default_of(t).template_type, t);
        }
        assert_eq!(DEFAULTS.len(), MessagingActionType::ALL.len());
    }

    #[test]
    fn empty_parts_take_the_default_and_bad_ones_are_refused() {
        let t = MessagingActionType::PrivacyRequestReceipt;
        let kept = check_content(t, &TemplateContentUpdate { subject: Some("  ".into()), body: Some("Hi".into()) });
        assert_eq!(kept, Ok(TemplateContent { subject: t.default_content().subject, body: "Hi".into() }));
        let two_lines = TemplateContentUpdate { subject: Some("a\nBcc: x@y".into()), body: None };
        assert_eq!(check_content(t, &two_lines), Err("content.subject must be one line".to_owned()));
        let long = TemplateContentUpdate { subject: None, body: Some("x".repeat(MAX_BODY_CHARS + 1)) };
        assert!(check_content(t, &long).is_err());
    }
}
