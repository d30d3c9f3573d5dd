//! What happens to a request around its execution: the subject's identity verification, a
//! reviewer's approval, denial or cancellation, and manual input that pauses it in
//! `requires_input` until a person uploads what they found.

use super::model::LogStatus;
use chrono::Duration as ChronoDuration;
use db::DbConn;
use serde_json::{Map, Value};

use super::model::{PrivacyRequest, RequestStatus};
use super::repo::{self, VerificationRow};
use super::runner::Log;
use super::service::{CodeDelivery, DieselRequestService, VERIFICATION_ATTEMPTS, not_found};
use validation::{Loc, Problem};

use crate::error::{DsrError, Result};
use crate::manual::{self, ManualInput};
use crate::model::{BulkFailure, BulkResponse, MAX_BULK};
use crate::repo as config_repo;
use crate::service::parse_manual_fields;

/// Name under which reviews are logged.
const REVIEW: &str = "Request review";
/// Name under which waiting for manual input is logged.
const MANUAL: &str = "Manual input";

/// A reviewer's decision.
pub(super) enum Review<'a> {
    Approve { reviewer: &'a str },
    Deny { reviewer: &'a str, reason: Option<&'a str> },
    Cancel { reason: Option<&'a str> },
}

/// How a verification attempt ended (decided in a transaction, answered after it commits so a
/// wrong attempt is counted).
enum Attempt {
    Verified(Box<PrivacyRequest>),
    Refused(DsrError),
}

impl DieselRequestService {
    /// Issues a code for request `id`, delivers it, and returns what to store: only a keyed
    /// digest of the code. `Err` is the create item's failure message.
    pub(super) fn send_code(
        &self,
        id: &str,
        email: &str,
        at: chrono::NaiveDateTime,
    ) -> std::result::Result<VerificationRow, String> {
        let code = crypto::random_code();
        let ttl = self.inner.settings.verification_code_ttl;
        let minutes = ttl.as_secs().div_ceil(60);
        match &self.inner.settings.code_delivery {
            CodeDelivery::Email(mailer) => {
                let message = messaging::Email {
                    to: email.to_owned(),
                    subject: "Your privacy request verification code".to_owned(),
                    body: format!(
                        "Your verification code is {code}.\n\nEnter it to confirm your privacy request. \
                         It expires in {minutes} minute(s). If you did not make this request, ignore this email.\n"
                    ),
                };
                mailer.send(&message).map_err(|e| {
                    tracing::warn!(privacy_request_id = id, error = %e, "verification email not sent");
                    "Verification message could not be sent.".to_owned()
                })?;
            }
            CodeDelivery::Log => {
                tracing::warn!(
                    privacy_request_id = id,
                    verification_code = %code,
                    "DEVELOPMENT MODE, NO SMTP CONFIGURED: identity verification code written to the log instead of emailed"
                );
            }
            CodeDelivery::Unavailable => return Err("Verification message could not be sent.".to_owned()),
        }
        Ok(VerificationRow {
            privacy_request_id: id.to_owned(),
            code_digest: self.code_digest(id, &code),
            expires_at: at + ChronoDuration::from_std(ttl).unwrap_or(ChronoDuration::minutes(10)),
            failed_attempts: 0,
            created_at: at,
        })
    }

    fn code_digest(&self, id: &str, code: &str) -> String {
        crypto::keyed_digest(&self.inner.key, format!("verification:{id}:{}", code.trim()).as_bytes())
    }

    pub(super) fn verify_code(&self, id: &str, code: &str) -> Result<PrivacyRequest> {
        let digest = self.code_digest(id, code);
        let manual_approval = self.inner.settings.manual_approval_required;
        let mut conn = self.inner.db.conn()?;
        let attempt = conn.write_transaction(|c| -> Result<Attempt> {
            let row = Self::request_row(c, id)?;
            if row.status != RequestStatus::IdentityUnverified {
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
            // The answer shows the request as verified, whatever a worker does next.
            let verified = self.get_one(c, id)?;
            if !manual_approval {
                self.enqueue(c, id)?;
            }
            Ok(Attempt::Verified(Box::new(verified)))
        })?;
        match attempt {
            Attempt::Refused(e) => Err(e),
            Attempt::Verified(verified) => {
                if !manual_approval {
                    self.notify();
                }
                Ok(*verified)
            }
        }
    }

    /// Applies a review to each request on its own.
    pub(super) fn review_all(&self, ids: Vec<String>, review: Review<'_>) -> Result<BulkResponse<PrivacyRequest>> {
        crate::model::check_bulk(validation::loc!["request_ids"], ids.len(), MAX_BULK)?;
        let mut conn = self.inner.db.conn()?;
        let mut response = BulkResponse::default();
        let mut queued = false;
        for id in ids {
            let outcome = conn.write_transaction(|c| -> Result<std::result::Result<PrivacyRequest, String>> {
                let Some(row) = repo::find_request(c, &id)? else {
                    return Ok(Err(format!("No privacy request found with id '{id}'")));
                };
                let at = db::now();
                let (changed, target, log) = match &review {
                    Review::Approve { reviewer } => {
                        let changed = repo::review(c, &id, RequestStatus::Approved, reviewer, None, at)?;
                        (changed, RequestStatus::Approved, None)
                    }
                    Review::Deny { reviewer, reason } => {
                        let changed = repo::review(c, &id, RequestStatus::Denied, reviewer, *reason, at)?;
                        let message = format!("Denied by {reviewer}: {}", reason.unwrap_or("no reason given"));
                        (changed, RequestStatus::Denied, Some(Log::status(REVIEW, LogStatus::Denied, message)))
                    }
                    Review::Cancel { reason } => {
                        let changed = repo::cancel(c, &id, *reason, at)?;
                        let message = format!("Canceled: {}", reason.unwrap_or("no reason given"));
                        (changed, RequestStatus::Canceled, Some(Log::status(REVIEW, LogStatus::Canceled, message)))
                    }
                };
                if !changed {
                    return Ok(Err(format!("Cannot transition status from {} to {}", row.status, target.as_str())));
                }
                if let Some(log) = log {
                    Self::append_logs(c, &id, vec![log])?;
                }
                // The answer shows the request as reviewed, whatever a worker does next.
                let reviewed = self.get_one(c, &id)?;
                if target == RequestStatus::Approved {
                    self.enqueue(c, &id)?;
                }
                Ok(Ok(reviewed))
            })?;
            match outcome {
                Ok(reviewed) => {
                    queued |= matches!(review, Review::Approve { .. });
                    response.succeeded.push(reviewed);
                }
                Err(message) => {
                    let data = match repo::find_request(&mut conn, &id)? {
                        Some(row) => self
                            .respond(&mut conn, vec![row], false, false)?
                            .pop()
                            .and_then(|r| serde_json::to_value(r).ok())
                            .unwrap_or_default(),
                        None => serde_json::json!({ "privacy_request_id": id }),
                    };
                    response.failed.push(BulkFailure { message, data });
                }
            }
        }
        if queued {
            self.notify();
        }
        Ok(response)
    }

    /// The manual request connection `key`: its id and fields.
    fn manual_fields(conn: &mut DbConn, key: &str) -> Result<(String, Vec<manual::ManualField>)> {
        let (id, request) = crate::service::manual_request(conn, key)?;
        Ok((id, request.fields))
    }

    fn open_input(&self, sealed: &[u8]) -> Result<Map<String, Value>> {
        self.open_json(sealed, "manual input")
    }

    fn as_input(fields: &[manual::ManualField], data: Option<Map<String, Value>>) -> ManualInput {
        let checked = data.is_some();
        let data = data.unwrap_or_default();
        let fields =
            manual::labels(fields).map(|l| (l.to_owned(), data.get(l).cloned().unwrap_or(Value::Null))).collect();
        ManualInput { checked, fields }
    }

    pub(super) fn store_manual_input(&self, id: &str, key: &str, data: Map<String, Value>) -> Result<ManualInput> {
        let mut conn = self.inner.db.conn()?;
        conn.write_transaction(|c| {
            let row = Self::request_row(c, id)?;
            let (connection_id, fields) = Self::manual_fields(c, key)?;
            if row.status != RequestStatus::RequiresInput {
                return Err(DsrError::BadRequest(format!(
                    "Invalid access manual request upload: privacy request '{id}' status = {}.",
                    row.status
                )));
            }
            let labels: Vec<&str> = manual::labels(&fields).collect();
            let mut problems = Vec::new();
            for (label, value) in &data {
                if !labels.contains(&label.as_str()) {
                    problems.push(Problem::new(
                        vec![Loc::Key(label.clone())],
                        format!(
                            "Extra inputs are not permitted: '{label}' is not a label of {key} (labels: {})",
                            labels.join(", ")
                        ),
                    ));
                } else if matches!(value, Value::Object(_) | Value::Array(_)) {
                    problems.push(Problem::new(
                        vec![Loc::Key(label.clone())],
                        "Input should be a string, number, boolean or null",
                    ));
                }
            }
            if !problems.is_empty() {
                return Err(DsrError::Invalid(problems));
            }
            repo::save_manual_input(c, id, &connection_id, &self.seal_json(&data)?, db::now())?;
            Ok(Self::as_input(&fields, Some(data)))
        })
    }

    pub(super) fn read_manual_input(&self, id: &str, key: &str) -> Result<ManualInput> {
        let mut conn = self.inner.db.conn()?;
        Self::request_row(&mut conn, id)?;
        let (connection_id, fields) = Self::manual_fields(&mut conn, key)?;
        let sealed = repo::manual_inputs_of(&mut conn, id)?.into_iter().find(|(c, _, _)| *c == connection_id);
        let data = sealed.map(|(_, _, s)| self.open_input(&s)).transpose()?;
        Ok(Self::as_input(&fields, data))
    }

    /// Keys of the enabled manual request connections without an upload among `uploaded`.
    pub(super) fn missing_manual_input(conn: &mut DbConn, uploaded: &[repo::ManualInputRow]) -> Result<Vec<String>> {
        let mut missing = Vec::new();
        for (connection, fields) in config_repo::enabled_manual_requests(conn)? {
            if !parse_manual_fields(&fields)?.is_empty() && !uploaded.iter().any(|(c, _, _)| *c == connection.id) {
                missing.push(connection.key);
            }
        }
        Ok(missing)
    }

    /// The uploads of a request as package entries, by connection key.
    pub(super) fn manual_package_entries(&self, uploaded: &[repo::ManualInputRow]) -> Result<Vec<(String, Value)>> {
        uploaded
            .iter()
            .map(|(_, key, sealed)| {
                let data = self.open_input(sealed)?;
                let rows = if data.is_empty() { Vec::new() } else { vec![Value::Object(data)] };
                Ok((key.clone(), Value::Array(rows)))
            })
            .collect()
    }

    pub(super) fn resume_input(&self, id: &str) -> Result<PrivacyRequest> {
        let mut conn = self.inner.db.conn()?;
        let resumed = conn.write_transaction(|c| -> Result<PrivacyRequest> {
            let row = Self::request_row(c, id)?;
            if row.status != RequestStatus::RequiresInput {
                return Err(DsrError::BadRequest(format!(
                    "Cannot resume privacy request from requires_input: privacy request '{id}' status = {}.",
                    row.status
                )));
            }
            let uploaded = repo::manual_inputs_of(c, id)?;
            let missing = Self::missing_manual_input(c, &uploaded)?;
            if !missing.is_empty() {
                return Err(DsrError::BadRequest(format!(
                    "Cannot resume privacy request '{id}': manual input is still missing for {}",
                    missing.join(", ")
                )));
            }
            let at = db::now();
            repo::transition(c, id, &[RequestStatus::RequiresInput], RequestStatus::InProcessing, at)?;
            Self::append_logs(
                c,
                id,
                vec![Log::status(MANUAL, LogStatus::InProcessing, "Resumed with the uploaded manual input".to_owned())],
            )?;
            // The answer shows the request as resumed, whatever a worker does next.
            let resumed = self.get_one(c, id)?;
            self.enqueue(c, id)?;
            Ok(resumed)
        })?;
        self.notify();
        Ok(resumed)
    }

    /// Parks a running request in `requires_input`; false when it was no longer running.
    pub(super) fn wait_for_input(&self, id: &str, missing: &[String]) -> Result<bool> {
        let mut conn = self.inner.db.conn()?;
        conn.write_transaction(|c| {
            if !repo::transition(c, id, &[RequestStatus::InProcessing], RequestStatus::RequiresInput, db::now())? {
                return Ok(false);
            }
            let message = format!("Waiting for manual input: {}", missing.join(", "));
            Self::append_logs(c, id, vec![Log::status(MANUAL, LogStatus::RequiresInput, message)])?;
            Ok(true)
        })
    }

    fn get_one(&self, conn: &mut DbConn, id: &str) -> Result<PrivacyRequest> {
        let row = Self::request_row(conn, id)?;
        self.respond(conn, vec![row], false, false)?.pop().ok_or_else(|| not_found(id))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
