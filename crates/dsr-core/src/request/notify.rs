//! Emails to the data subject along the request's lifecycle, with Fides' action types: the
//! receipt, the review's approval or denial, and completion (with the download link). Each is a
//! durable job queued in the transaction that changes the request (so it is sent exactly when
//! that change committed) and sent by a worker outside it, with retry and backoff. A message
//! that cannot be sent is written to the request's log; the request itself is never changed by
//! it (a completed request stays complete when its email fails; Fides errors the request).

use std::time::Duration;

use db::jobs::{self, Job, JobFailure, JobHandler, NewJob};
use db::{Database, DbConn};
use messaging::template::{Var, render};
use serde_json::Value;

use super::identity::Identity;
use super::log::{self, Log, MESSAGES};
use super::model::LogStatus;
use super::queue::Queue;
use super::repo;
use super::results::{Results, download_page_url, package_url};
use super::retention::days;
use super::settings::{CodeDelivery, NotificationSettings};
use super::vault::Vault;
use crate::error::Result;
use crate::messaging_template::MessagingActionType;
use crate::messaging_template::repo as template_repo;
use crate::policy::ActionType;
use crate::policy::repo as policy_repo;

/// Queue of subject emails.
pub const MESSAGE_QUEUE: &str = "privacy_request_messages";

/// Sends an email gets before it is logged as not sent.
const MESSAGE_ATTEMPTS: i32 = 5;

/// Queues the emails the settings switch on.
#[derive(Clone)]
pub(crate) struct Notices {
    settings: NotificationSettings,
    queue: Queue,
}

impl Notices {
    pub(crate) fn new(settings: NotificationSettings, queue: Queue) -> Notices {
        Notices { settings, queue }
    }

    fn enabled(&self, message: MessagingActionType) -> bool {
        match message {
            MessagingActionType::SubjectIdentityVerification => false,
            MessagingActionType::PrivacyRequestReceipt => self.settings.receipt,
            MessagingActionType::PrivacyRequestReviewApprove | MessagingActionType::PrivacyRequestReviewDeny => {
                self.settings.review
            }
            MessagingActionType::PrivacyRequestCompleteAccess | MessagingActionType::PrivacyRequestCompleteDeletion => {
                self.settings.completion
            }
        }
    }

    /// Queues `message` for request `id` in the caller's transaction, if it is switched on;
    /// true when queued (wake the workers with [`Notices::wake`] after the commit).
    pub(crate) fn queue(&self, conn: &mut DbConn, id: &str, message: MessagingActionType) -> Result<bool> {
        if !self.enabled(message) {
            return Ok(false);
        }
        let payload = serde_json::json!({ "privacy_request_id": id, "message_type": message.as_str() });
        // One email of each type per request, however often the step that queues it is retried.
        let job = NewJob::new(MESSAGE_QUEUE, payload)
            .max_attempts(MESSAGE_ATTEMPTS)
            .unique_key(format!("message:{id}:{}", message.as_str()));
        jobs::enqueue(conn, &job)?;
        Ok(true)
    }

    /// Queues the completion emails of a request whose policy has access (`access`) and erasure
    /// (`erasure`) rules: one of each, as Fides.
    pub(crate) fn queue_completion(&self, conn: &mut DbConn, id: &str, access: bool, erasure: bool) -> Result<bool> {
        let mut queued = false;
        if access {
            queued |= self.queue(conn, id, MessagingActionType::PrivacyRequestCompleteAccess)?;
        }
        if erasure {
            queued |= self.queue(conn, id, MessagingActionType::PrivacyRequestCompleteDeletion)?;
        }
        Ok(queued)
    }

    /// Wakes the workers after the transaction that queued committed.
    pub(crate) fn wake(&self) {
        self.queue.notify();
    }
}

/// Why an email was not sent.
enum NotSent {
    /// Worth another try (the SMTP server, Lethe's database).
    Retry(String),
    /// No try will do better (no way to send, no public URL for the link).
    Permanent(String),
}

/// What an email of a request says: the placeholders' values.
struct Values {
    request_types: String,
    denial_reason: String,
    download_link: Option<String>,
    days: String,
}

/// Sends the queued emails: the job handler of [`MESSAGE_QUEUE`].
#[derive(Clone)]
pub struct Messenger {
    db: Database,
    vault: Vault,
    results: Results,
    delivery: CodeDelivery,
    public_url: Option<String>,
    link_ttl: Duration,
    download_page: bool,
}

impl Messenger {
    pub(crate) fn new(
        db: Database,
        vault: Vault,
        results: Results,
        delivery: CodeDelivery,
        public_url: Option<String>,
        link_ttl: Duration,
        download_page: bool,
    ) -> Messenger {
        Messenger { db, vault, results, delivery, public_url, link_ttl, download_page }
    }

    /// Sends `message` for request `id`; `Ok(None)` when there is nothing to send, with the
    /// reason to log.
    fn send(&self, id: &str, message: MessagingActionType) -> std::result::Result<Option<String>, NotSent> {
        let retry = |e: crate::DsrError| NotSent::Retry(e.to_string());
        let mut conn = self.db.conn().map_err(|e| NotSent::Retry(e.to_string()))?;
        let Some(row) = repo::find_request(&mut conn, id).map_err(|e| NotSent::Retry(e.to_string()))? else {
            return Ok(Some("the request no longer exists".to_owned()));
        };
        let identity: Identity = self.vault.open_json(&row.identity, &format!("identity of {id}")).map_err(retry)?;
        let Some(to) = identity.email() else {
            return Ok(Some("the request has no email identity".to_owned()));
        };
        let content = template_repo::content_for(&mut conn, message).map_err(|e| NotSent::Retry(e.to_string()))?;
        let rules = policy_repo::policy_for_run(&mut conn, &row.policy_id)
            .map_err(|e| NotSent::Retry(e.to_string()))?
            .map(|p| p.policy.rules)
            .unwrap_or_default();
        drop(conn);
        let mut types: Vec<&str> = rules
            .iter()
            .map(|r| r.action_type)
            .filter(|t| matches!(t, ActionType::Access | ActionType::Erasure))
            .map(ActionType::as_str)
            .collect();
        types.sort_unstable();
        types.dedup();
        let download_link = match message {
            MessagingActionType::PrivacyRequestCompleteAccess => {
                let Some(base) = &self.public_url else {
                    return Err(NotSent::Permanent(
                        "LETHE__SERVER__PUBLIC_URL is not set, so there is no download link to send".to_owned(),
                    ));
                };
                let tokens = self.results.tokens(id).map_err(retry)?;
                let Some(token) = tokens.first() else {
                    return Ok(Some("the request stored no access package to link to".to_owned()));
                };
                Some(match self.download_page {
                    true => download_page_url(base, id, token),
                    false => package_url(base, id, token),
                })
            }
            _ => None,
        };
        let values = Values {
            request_types: types.join(", "),
            denial_reason: row.deny_reason.clone().unwrap_or_else(|| "No reason was given.".to_owned()),
            download_link,
            days: days(self.link_ttl),
        };
        let mut vars = vec![
            ("REQUEST_TYPES", Var::Text(&values.request_types)),
            ("DENIAL_REASON", Var::Text(&values.denial_reason)),
            ("DAYS", Var::Text(&values.days)),
        ];
        if let Some(link) = &values.download_link {
            vars.push(("DOWNLOAD_LINK", Var::Link(link)));
        }
        let rendered = render(&content.subject, &content.body, &vars);
        let email = messaging::Email { to, subject: rendered.subject, body: rendered.text, html: Some(rendered.html) };
        match &self.delivery {
            CodeDelivery::Email(mailer) => mailer.send(&email).map_err(|e| NotSent::Retry(e.to_string()))?,
            CodeDelivery::Log => tracing::warn!(
                privacy_request_id = id,
                message_type = message.as_str(),
                subject = %email.subject,
                body = %email.body,
                "DEVELOPMENT MODE, NO SMTP CONFIGURED: subject email written to the log instead of sent"
            ),
            CodeDelivery::Unavailable => {
                return Err(NotSent::Permanent("no SMTP server is configured (LETHE__SMTP__HOST)".to_owned()));
            }
        }
        Ok(None)
    }

    fn log(&self, id: &str, entry: Log) -> std::result::Result<(), JobFailure> {
        let mut conn = self.db.conn().map_err(|e| JobFailure::retry(e.to_string()))?;
        conn.write_transaction(|c| log::append(c, id, vec![entry])).map_err(|e| JobFailure::retry(e.to_string()))
    }
}

impl JobHandler for Messenger {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        let id = job.payload.get("privacy_request_id").and_then(Value::as_str);
        let message = job.payload.get("message_type").and_then(Value::as_str).and_then(MessagingActionType::parse);
        let (Some(id), Some(message)) = (id, message) else {
            return Err(JobFailure::permanent("job payload names no request and message type"));
        };
        match self.send(id, message) {
            Ok(None) => self.log(id, Log::status(MESSAGES, LogStatus::Complete, format!("Sent the {message} email"))),
            Ok(Some(reason)) => self
                .log(id, Log::status(MESSAGES, LogStatus::Skipped, format!("No {message} email was sent: {reason}"))),
            Err(NotSent::Retry(reason)) if job.attempts < job.max_attempts => Err(JobFailure::retry(reason)),
            Err(NotSent::Retry(reason) | NotSent::Permanent(reason)) => {
                let text = format!("The {message} email could not be sent after {} attempt(s): {reason}", job.attempts);
                self.log(id, Log::status(MESSAGES, LogStatus::Error, text.clone()))?;
                Err(JobFailure::permanent(text))
            }
        }
    }
}
