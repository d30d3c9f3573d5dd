//! A reviewer's decisions: approval (the request is queued), denial with a reason, and
//! cancellation of a request that has not ended. Each request is decided in its own transaction
//! and answered on its own (Fides' bulk shape).

use db::Database;

use super::duplicates::Duplicates;
use super::log::{self, Log, REVIEW};
use super::model::{LogStatus, PrivacyRequest, RequestStatus};
use super::notify::Notices;
use super::queue::Queue;
use super::repo;
use super::vault::Vault;
use super::view;
use crate::bulk::{BulkFailure, BulkResponse, MAX_BULK, check_bulk};
use crate::duplicates::Verdict;
use crate::error::Result;
use crate::messaging_template::MessagingActionType;

/// A reviewer's decision.
pub(crate) enum Decision<'a> {
    Approve { reviewer: &'a str },
    Deny { reviewer: &'a str, reason: Option<&'a str> },
    Cancel { reason: Option<&'a str> },
}

/// Applies reviewers' decisions.
#[derive(Clone)]
pub(crate) struct Reviewer {
    db: Database,
    vault: Vault,
    queue: Queue,
    notices: Notices,
    duplicates: Duplicates,
    /// Subjects must verify: an unverified duplicate is never approved.
    verification_required: bool,
}

/// Why one request could not take the decision (the others go on).
struct Refused(String);

impl Reviewer {
    pub(crate) fn new(
        db: Database,
        vault: Vault,
        queue: Queue,
        notices: Notices,
        duplicates: Duplicates,
        verification_required: bool,
    ) -> Reviewer {
        Reviewer { db, vault, queue, notices, duplicates, verification_required }
    }

    /// Applies `decision` to each request of `ids` on its own.
    pub(crate) fn decide(&self, ids: Vec<String>, decision: Decision<'_>) -> Result<BulkResponse<PrivacyRequest>> {
        check_bulk(validation::loc!["request_ids"], ids.len(), MAX_BULK)?;
        let mut conn = self.db.conn()?;
        let mut response = BulkResponse::default();
        let mut queued = false;
        for id in ids {
            let outcome = conn.write_transaction(|c| self.decide_one(c, &id, &decision))?;
            match outcome {
                Ok((reviewed, notified)) => {
                    queued |= matches!(decision, Decision::Approve { .. }) || notified;
                    response.succeeded.push(reviewed);
                }
                Err(Refused(message)) => {
                    let data = match repo::find_request(&mut conn, &id)? {
                        Some(row) => view::respond(&mut conn, &self.vault, vec![row], false, false)?
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
            self.queue.notify();
        }
        Ok(response)
    }

    fn decide_one(
        &self,
        c: &mut db::DbConn,
        id: &str,
        decision: &Decision<'_>,
    ) -> Result<std::result::Result<(PrivacyRequest, bool), Refused>> {
        let Some(row) = repo::find_request(c, id)? else {
            return Ok(Err(Refused(format!("No privacy request found with id '{id}'"))));
        };
        let at = db::now();
        let (changed, target, entry, message) = match decision {
            Decision::Approve { reviewer } => {
                // Approval never makes a second request of one identity active.
                let verdict = match row.status {
                    RequestStatus::Duplicate if self.verification_required && row.identity_verified_at.is_none() => {
                        return Ok(Err(Refused("Cannot approve unverified duplicate request".to_owned())));
                    }
                    RequestStatus::Duplicate | RequestStatus::Pending => {
                        self.duplicates.judge(c, &row, Some(RequestStatus::Pending))?
                    }
                    _ => None,
                };
                if let Some(Verdict::Duplicate { of }) = &verdict {
                    let of = of.as_deref().unwrap_or("another request");
                    return Ok(Err(Refused(format!(
                        "Cannot approve duplicate request {id}: {of} of the same policy and identity is handled first"
                    ))));
                }
                let changed = repo::review(c, id, RequestStatus::Approved, reviewer, None, at)?;
                if changed {
                    self.duplicates.record(c, id, verdict)?;
                }
                (changed, RequestStatus::Approved, None, Some(MessagingActionType::PrivacyRequestReviewApprove))
            }
            Decision::Deny { reviewer, reason } => {
                let changed = repo::review(c, id, RequestStatus::Denied, reviewer, *reason, at)?;
                let text = format!("Denied by {reviewer}: {}", reason.unwrap_or("no reason given"));
                let entry = Some(Log::status(REVIEW, LogStatus::Denied, text));
                (changed, RequestStatus::Denied, entry, Some(MessagingActionType::PrivacyRequestReviewDeny))
            }
            Decision::Cancel { reason } => {
                let changed = repo::cancel(c, id, *reason, at)?;
                let text = format!("Canceled: {}", reason.unwrap_or("no reason given"));
                (changed, RequestStatus::Canceled, Some(Log::status(REVIEW, LogStatus::Canceled, text)), None)
            }
        };
        if !changed {
            return Ok(Err(Refused(format!("Cannot transition status from {} to {}", row.status, target.as_str()))));
        }
        if let Some(entry) = entry {
            log::append(c, id, vec![entry])?;
        }
        // The answer shows the request as reviewed, whatever a worker does next.
        let reviewed = view::one(c, &self.vault, id)?;
        if target == RequestStatus::Approved {
            self.queue.enqueue(c, id)?;
        }
        let notified = match message {
            Some(message) => self.notices.queue(c, id, message)?,
            None => false,
        };
        Ok(Ok((reviewed, notified)))
    }
}
