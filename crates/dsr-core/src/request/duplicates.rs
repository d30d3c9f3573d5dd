//! Duplicate detection inside the request's own transactions: when a request is created, when
//! its subject verifies it, and before a reviewer's approval. The decision is
//! [`crate::duplicates::classify`]'s; this step gathers the requests it compares (same policy,
//! equal digests of every matched identity field, created within the window), serialises the
//! decisions about one identity, and records the verdict: `duplicate` status and a `skipped`
//! log entry on each request marked.

use chrono::Duration as ChronoDuration;
use db::DbConn;

use super::log::{self, DUPLICATES, Log};
use super::model::{LogStatus, RequestStatus};
use super::repo::{self, RequestRow};
use super::settings::DuplicateDetection;
use crate::duplicates::{Seen, Verdict, classify};
use crate::error::Result;

/// Compares requests, when detection is on.
#[derive(Clone)]
pub(crate) struct Duplicates {
    settings: Option<DuplicateDetection>,
}

impl Duplicates {
    pub(crate) fn new(settings: Option<DuplicateDetection>) -> Duplicates {
        Duplicates { settings }
    }

    /// The verdict about `row` (in its current state, or as `status` when given), without
    /// recording it. `None` when detection is off or the request lacks a matched identity.
    pub(crate) fn judge(
        &self,
        c: &mut DbConn,
        row: &RequestRow,
        status: Option<RequestStatus>,
    ) -> Result<Option<Verdict>> {
        let Some(settings) = &self.settings else { return Ok(None) };
        let digests = repo::identity_digests_of(c, &row.id)?;
        let mut matched = Vec::with_capacity(settings.match_identity_fields.len());
        for field in &settings.match_identity_fields {
            match digests.iter().find(|(f, _)| f == field) {
                Some((_, digest)) => matched.push((field.as_str(), digest.as_str())),
                // A request without every matched field is never a duplicate (as Fides).
                None => return Ok(None),
            }
        }
        let key: Vec<String> = matched.iter().map(|(f, d)| format!("{f}={d}")).collect();
        repo::lock_identity(c, &format!("duplicates:{}:{}", row.policy_id.as_str(), key.join("|")))?;
        let mut ids: Option<Vec<String>> = None;
        for (field, digest) in &matched {
            let found = repo::requests_with_digest(c, field, digest)?;
            ids = Some(match ids {
                None => found,
                Some(so_far) => so_far.into_iter().filter(|id| found.contains(id)).collect(),
            });
        }
        let ids: Vec<String> = ids.unwrap_or_default().into_iter().filter(|id| *id != row.id.as_str()).collect();
        let since = db::now() - ChronoDuration::days(i64::from(settings.time_window_days));
        let others: Vec<Seen> = repo::duplicate_facts(c, &ids, row.policy_id.as_str(), since)?
            .into_iter()
            .map(|(id, status, created_at, verified_at)| Seen { id, status, created_at, verified_at })
            .collect();
        let request = Seen {
            id: row.id.as_str().to_owned(),
            status: status.unwrap_or(row.status),
            created_at: row.created_at,
            verified_at: row.identity_verified_at,
        };
        Ok(Some(classify(&request, &others)))
    }

    /// Records `verdict` about request `id`: it, or the requests it supersedes, become
    /// `duplicate` with a log entry each. True when `id` goes on.
    pub(crate) fn record(&self, c: &mut DbConn, id: &str, verdict: Option<Verdict>) -> Result<bool> {
        let why = self.settings.as_ref().map(|s| {
            format!("same policy and {} within {} day(s)", s.match_identity_fields.join(", "), s.time_window_days)
        });
        let why = why.unwrap_or_default();
        let mark = |c: &mut DbConn, id: &str, of: Option<&str>| -> Result<()> {
            let from = [RequestStatus::IdentityUnverified, RequestStatus::Pending, RequestStatus::Duplicate];
            if repo::move_status(c, id, &from, RequestStatus::Duplicate)? {
                let message = match of {
                    Some(of) => format!("Duplicate of {of} ({why}): it will not run"),
                    None => format!("Duplicate request ({why}): it will not run"),
                };
                log::append(c, id, vec![Log::status(DUPLICATES, LogStatus::Skipped, message)])?;
            }
            Ok(())
        };
        match verdict {
            None => Ok(true),
            Some(Verdict::Duplicate { of }) => {
                mark(c, id, of.as_deref())?;
                Ok(false)
            }
            Some(Verdict::Canonical { supersedes }) => {
                for other in &supersedes {
                    mark(c, other, Some(id))?;
                }
                Ok(true)
            }
        }
    }

    /// Classifies request `id` as it now is and records the verdict; true when it goes on.
    pub(crate) fn check(&self, c: &mut DbConn, row: &RequestRow) -> Result<bool> {
        let verdict = self.judge(c, row, None)?;
        self.record(c, row.id.as_str(), verdict)
    }
}
