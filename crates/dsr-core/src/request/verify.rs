//! Identity verification: a six-digit code sent to the subject (only a keyed digest of it is
//! stored), three attempts, an expiry; the right code lets the request go on to approval or
//! execution.

use std::time::Duration;

use chrono::{Duration as ChronoDuration, NaiveDateTime};
use db::{Database, DbConn};
use messaging::template::{Var, render};

use super::duplicates::Duplicates;
use super::model::{PrivacyRequest, RequestStatus};
use super::notify::Notices;
use super::queue::Queue;
use super::repo::{self, VerificationRow};
use super::settings::{CodeDelivery, RequestSettings, VERIFICATION_ATTEMPTS};
use super::vault::Vault;
use super::view;
use crate::error::{DsrError, Result};
use crate::messaging_template::MessagingActionType;
use crate::messaging_template::repo as template_repo;

/// The code could not reach the subject: the create item fails with this message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Verification message could not be sent.")]
pub(crate) struct NotSent;

/// How long after a code a new one may be asked for.
pub(crate) const RESEND_AFTER: Duration = Duration::from_secs(30);

/// Why a code was not sent: the subject's item fails with [`NotSent`], a failure of Lethe's
/// database fails the call.
pub(crate) enum SendFailure {
    NotSent(NotSent),
    Db(DsrError),
}

/// How a verification attempt ended (decided in a transaction, answered after it commits so a
/// wrong attempt is counted).
enum Attempt {
    Verified(Box<PrivacyRequest>),
    Refused(DsrError),
}

/// Sends codes and checks them.
#[derive(Clone)]
pub(crate) struct Verifier {
    db: Database,
    vault: Vault,
    queue: Queue,
    notices: Notices,
    duplicates: Duplicates,
    delivery: CodeDelivery,
    ttl: Duration,
    manual_approval: bool,
}

impl Verifier {
    pub(crate) fn new(
        db: Database,
        vault: Vault,
        queue: Queue,
        notices: Notices,
        duplicates: Duplicates,
        settings: &RequestSettings,
    ) -> Verifier {
        Verifier {
            db,
            vault,
            queue,
            notices,
            duplicates,
            delivery: settings.code_delivery.clone(),
            ttl: settings.verification_code_ttl,
            manual_approval: settings.manual_approval_required,
        }
    }

    /// Issues a code for request `id`, delivers it, and returns what to store: only a keyed
    /// digest of the code.
    pub(crate) fn send_code(
        &self,
        conn: &mut DbConn,
        id: &str,
        email: &str,
        at: NaiveDateTime,
    ) -> std::result::Result<VerificationRow, SendFailure> {
        let code = crypto::random_code();
        let minutes = self.ttl.as_secs().div_ceil(60).to_string();
        match &self.delivery {
            CodeDelivery::Email(mailer) => {
                let template = template_repo::content_for(conn, MessagingActionType::SubjectIdentityVerification)
                    .map_err(|e| SendFailure::Db(e.into()))?;
                let rendered = render(
                    &template.subject,
                    &template.body,
                    &[("CODE", Var::Text(&code)), ("MINUTES", Var::Text(&minutes))],
                );
                let message = messaging::Email {
                    to: email.to_owned(),
                    subject: rendered.subject,
                    body: rendered.text,
                    html: Some(rendered.html),
                };
                mailer.send(&message).map_err(|e| {
                    tracing::warn!(privacy_request_id = id, error = %e, "verification email not sent");
                    SendFailure::NotSent(NotSent)
                })?;
            }
            CodeDelivery::Log => {
                tracing::warn!(
                    privacy_request_id = id,
                    verification_code = %code,
                    "DEVELOPMENT MODE, NO SMTP CONFIGURED: identity verification code written to the log instead of emailed"
                );
            }
            CodeDelivery::Unavailable => return Err(SendFailure::NotSent(NotSent)),
        }
        Ok(VerificationRow {
            privacy_request_id: id.to_owned(),
            code_digest: self.code_digest(id, &code),
            expires_at: at + ChronoDuration::from_std(self.ttl).unwrap_or(ChronoDuration::minutes(10)),
            failed_attempts: 0,
            created_at: at,
        })
    }

    /// Sends request `id` a new code in place of the one it has (the subject lost it or it
    /// expired): no second request is made. At most one code per [`RESEND_AFTER`].
    pub(crate) fn resend(&self, id: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        let row = repo::request_row(&mut conn, id)?;
        let unverified = row.identity_verified_at.is_none()
            && matches!(row.status, RequestStatus::IdentityUnverified | RequestStatus::Duplicate);
        if !unverified {
            return Err(DsrError::BadRequest(format!(
                "Privacy request '{id}' needs no verification code: its status is {}.",
                row.status
            )));
        }
        let now = db::now();
        if let Some(sent) = repo::find_verification(&mut conn, id)?
            && now - sent.created_at < ChronoDuration::from_std(RESEND_AFTER).unwrap_or_default()
        {
            return Err(DsrError::BadRequest(format!(
                "A code was sent to privacy request '{id}' less than {} seconds ago.",
                RESEND_AFTER.as_secs()
            )));
        }
        let identity: super::identity::Identity = self.vault.open_json(&row.identity, &format!("identity of {id}"))?;
        let Some(email) = identity.email() else {
            return Err(DsrError::BadRequest(NotSent.to_string()));
        };
        let verification = self.send_code(&mut conn, id, &email, now).map_err(|e| match e {
            SendFailure::NotSent(e) => DsrError::BadRequest(e.to_string()),
            SendFailure::Db(e) => e,
        })?;
        conn.write_transaction(|c| -> Result<()> {
            repo::delete_verification(c, id)?;
            repo::insert_verification(c, &verification)?;
            Ok(())
        })
    }

    fn code_digest(&self, id: &str, code: &str) -> String {
        self.vault.digest(&format!("verification:{id}:{}", code.trim()))
    }

    /// Checks the subject's code for request `id`.
    pub(crate) fn verify(&self, id: &str, code: &str) -> Result<PrivacyRequest> {
        let digest = self.code_digest(id, code);
        let mut conn = self.db.conn()?;
        let attempt = conn.write_transaction(|c| -> Result<Attempt> {
            let row = repo::request_row(c, id)?;
            // A duplicate its subject has not verified yet can be (GHSA-qx5f-ghc2-7g5c).
            let unverified_duplicate = row.status == RequestStatus::Duplicate && row.identity_verified_at.is_none();
            if row.status != RequestStatus::IdentityUnverified && !unverified_duplicate {
                return Ok(Attempt::Refused(DsrError::BadRequest(format!(
                    "Invalid identity verification request. Privacy request '{id}' status = {}.",
                    row.status
                ))));
            }
            let expired = || DsrError::BadRequest(format!("Identification code expired for {id}."));
            let Some(stored) = repo::find_verification(c, id)? else { return Ok(Attempt::Refused(expired())) };
            if stored.expires_at <= db::now() {
                repo::delete_verification(c, id)?;
                return Ok(Attempt::Refused(expired()));
            }
            if stored.failed_attempts >= VERIFICATION_ATTEMPTS {
                repo::delete_verification(c, id)?;
                return Ok(Attempt::Refused(DsrError::Forbidden(format!("Attempt limit hit for '{id}'"))));
            }
            if !constant_time_eq(stored.code_digest.as_bytes(), digest.as_bytes()) {
                repo::count_failed_attempt(c, id)?;
                return Ok(Attempt::Refused(DsrError::Forbidden(format!("Incorrect identification code for '{id}'"))));
            }
            repo::mark_verified(c, id, db::now())?;
            repo::delete_verification(c, id)?;
            // Verified, it is classified again: it may now win over unverified ones.
            let verified_row = repo::request_row(c, id)?;
            let canonical = self.duplicates.check(c, &verified_row)?;
            // The answer shows the request as verified, whatever a worker does next.
            let verified = view::one(c, &self.vault, id)?;
            if canonical && !self.manual_approval {
                self.queue.enqueue(c, id)?;
            }
            // The receipt goes out once the subject has shown the request is theirs.
            self.notices.queue(c, id, MessagingActionType::PrivacyRequestReceipt)?;
            Ok(Attempt::Verified(Box::new(verified)))
        })?;
        match attempt {
            Attempt::Refused(e) => Err(e),
            Attempt::Verified(verified) => {
                self.queue.notify();
                Ok(*verified)
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
