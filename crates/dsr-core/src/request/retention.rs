//! Results expire: a completed request's access packages, leftover spool, sealed checkpoint,
//! manual uploads and identities are deleted `result_ttl` after completion, by a durable job
//! queued in the transaction that completes the request (due then, retried with backoff when a
//! deletion fails). The request itself stays, with `data_purged_at`, its log and its outcome;
//! its download links then answer 410.
//!
//! An hourly sweep (a chain of durable jobs on the same queue, one per hour for all gateways on
//! one database) purges what no per-request job covers: requests completed before retention
//! existed, and jobs lost to a restored backup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{Duration as ChronoDuration, NaiveDateTime};
use db::jobs::{self, Job, JobFailure, JobHandler, NewJob};
use db::{Database, DbConn};
use serde_json::Value;

use super::identity::Identity;
use super::log::{self, Log, RETENTION};
use super::model::{LogStatus, RequestStatus};
use super::repo;
use super::spool;
use super::vault::Vault;
use crate::error::{DsrError, Result};

/// Queue of result deletions.
pub const PURGE_QUEUE: &str = "privacy_request_purges";

/// Tries a deletion gets (2 s, 4 s, … apart).
const PURGE_ATTEMPTS: i32 = 10;

/// How often the sweep runs.
const SWEEP_EVERY_SECONDS: i64 = 3_600;

/// Requests one sweep reads at a time, and batches it reads at most.
const SWEEP_BATCH: i64 = 200;
const SWEEP_BATCHES: usize = 50;

/// Queues the sweep of the first whole hour after `now` and after the sweep of `after` (once,
/// whoever asks).
fn queue_sweep(conn: &mut DbConn, now: NaiveDateTime, after: Option<i64>) -> Result<()> {
    let next_hour = (now.and_utc().timestamp() / SWEEP_EVERY_SECONDS + 1) * SWEEP_EVERY_SECONDS;
    let slot = after.map_or(next_hour, |done| next_hour.max(done + SWEEP_EVERY_SECONDS));
    let at = chrono::DateTime::from_timestamp(slot, 0).map_or(now, |t| t.naive_utc());
    let job = NewJob::new(PURGE_QUEUE, serde_json::json!({ "sweep": slot }))
        .run_at(at)
        .max_attempts(PURGE_ATTEMPTS)
        .unique_key(format!("purge-sweep:{slot}"));
    jobs::enqueue(conn, &job)?;
    Ok(())
}

/// `ttl` in days, for messages and `__DAYS__`: whole days as an integer, otherwise with up to
/// two decimals (`30`, `1.5`; Fides fails requests whose link TTL is not whole days).
pub(crate) fn days(ttl: Duration) -> String {
    let seconds = ttl.as_secs();
    if seconds.is_multiple_of(86_400) {
        return (seconds / 86_400).to_string();
    }
    let text = format!("{:.2}", seconds as f64 / 86_400.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `ttl` for people: the largest whole unit (`30 day(s)`, `12 hour(s)`, `90 second(s)`).
fn span(ttl: Duration) -> String {
    let seconds = ttl.as_secs();
    for (unit, name) in [(86_400, "day"), (3_600, "hour"), (60, "minute")] {
        if seconds >= unit && seconds.is_multiple_of(unit) {
            return format!("{} {name}(s)", seconds / unit);
        }
    }
    format!("{seconds} second(s)")
}

/// Queues the deletion of completed requests' results.
#[derive(Clone, Copy)]
pub(crate) struct Expiry {
    ttl: Duration,
}

impl Expiry {
    pub(crate) fn new(ttl: Duration) -> Expiry {
        Expiry { ttl }
    }

    fn due(&self, finished: NaiveDateTime) -> NaiveDateTime {
        finished + ChronoDuration::from_std(self.ttl).unwrap_or(ChronoDuration::days(30))
    }

    /// Queues, in the caller's transaction, the deletion of request `id`'s results, due `ttl`
    /// after `finished`.
    pub(crate) fn queue(&self, conn: &mut DbConn, id: &str, finished: NaiveDateTime) -> Result<()> {
        let due = self.due(finished);
        let job = NewJob::new(PURGE_QUEUE, serde_json::json!({ "privacy_request_id": id }))
            .run_at(due)
            .max_attempts(PURGE_ATTEMPTS)
            .unique_key(format!("purge:{id}:{}", due.and_utc().timestamp()));
        jobs::enqueue(conn, &job)?;
        Ok(())
    }

    /// Why a purged request's results cannot be had.
    pub(crate) fn gone(&self, id: &str, purged: NaiveDateTime) -> DsrError {
        DsrError::Gone(format!(
            "The results of privacy request '{id}' were deleted on {}: results are kept {} after completion.",
            purged.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            span(self.ttl)
        ))
    }
}

/// Deletes expired results: the job handler of [`PURGE_QUEUE`].
#[derive(Clone)]
pub struct Purger {
    db: Database,
    vault: Vault,
    storage_dir: PathBuf,
    expiry: Expiry,
}

/// Removes `dir` and everything in it; a directory already gone is fine.
fn remove_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Purger {
    pub(crate) fn new(db: Database, vault: Vault, storage_dir: PathBuf, expiry: Expiry) -> Purger {
        Purger { db, vault, storage_dir, expiry }
    }

    /// Queues the next sweep: at start-up (any gateway; the sweep of an hour is queued once).
    pub fn start_sweep(&self) -> Result<()> {
        queue_sweep(&mut *self.db.conn()?, db::now(), None)
    }

    /// Purges every complete request whose results are past their time and not yet deleted,
    /// then queues the next sweep (after `slot`, this one's hour).
    fn sweep(&self, slot: Option<i64>) -> Result<()> {
        let before = db::now() - ChronoDuration::from_std(self.expiry.ttl).unwrap_or(ChronoDuration::days(30));
        for _ in 0..SWEEP_BATCHES {
            let due = repo::expired_unpurged(&mut *self.db.conn()?, before, SWEEP_BATCH)?;
            for id in &due {
                self.purge(id)?;
            }
            if due.len() < usize::try_from(SWEEP_BATCH).unwrap_or(usize::MAX) {
                break;
            }
        }
        queue_sweep(&mut *self.db.conn()?, db::now(), slot)
    }

    fn purge(&self, id: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        let Some(row) = repo::find_request(&mut conn, id)? else { return Ok(()) };
        let (Some(finished), None, RequestStatus::Complete) =
            (row.finished_processing_at, row.data_purged_at, row.status)
        else {
            return Ok(());
        };
        // The retention in force decides: after a change the deletion moves to its new time.
        let due = self.expiry.due(finished);
        if due > db::now() {
            return self.expiry.queue(&mut conn, id, finished);
        }
        // Files first: a request is marked purged only once nothing of it is left on disk.
        remove_dir(&self.storage_dir.join(id))
            .and_then(|()| remove_dir(&spool::request_dir(&self.storage_dir, id)))
            .map_err(|e| DsrError::BadRequest(format!("deleting the results of {id}: {e}")))?;
        let empty = self.vault.seal_json(&Identity::default())?;
        let message = format!(
            "Deleted the access packages, checkpoint, manual uploads and identities: results are kept {} after completion",
            span(self.expiry.ttl)
        );
        conn.write_transaction(|c| -> Result<()> {
            if repo::purge(c, id, &empty, db::now())? {
                log::append(c, id, vec![Log::status(RETENTION, LogStatus::Complete, message)])?;
            }
            Ok(())
        })
    }
}

impl JobHandler for Purger {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        if let Some(sweep) = job.payload.get("sweep") {
            return self.sweep(sweep.as_i64()).map_err(|e| {
                tracing::warn!(error = %e, "the sweep of expired results failed; it will be retried");
                JobFailure::retry(e.to_string())
            });
        }
        let Some(id) = job.payload.get("privacy_request_id").and_then(Value::as_str) else {
            return Err(JobFailure::permanent("job payload has no privacy_request_id"));
        };
        self.purge(id).map_err(|e| {
            tracing::warn!(privacy_request_id = id, error = %e, "deleting expired results failed; it will be retried");
            JobFailure::retry(e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_work_for_any_lifetime() {
        assert_eq!(days(Duration::from_secs(2_592_000)), "30");
        assert_eq!(days(Duration::from_secs(432_000)), "5");
        assert_eq!(days(Duration::from_secs(129_600)), "1.5");
        assert_eq!(days(Duration::from_secs(3_600)), "0.04");
        assert_eq!(days(Duration::from_secs(86_400 + 864)), "1.01");
    }

    #[test]
    fn spans_read_in_the_largest_whole_unit() {
        assert_eq!(span(Duration::from_secs(2_592_000)), "30 day(s)");
        assert_eq!(span(Duration::from_secs(43_200)), "12 hour(s)");
        assert_eq!(span(Duration::from_secs(90)), "90 second(s)");
        assert_eq!(span(Duration::from_secs(120)), "2 minute(s)");
    }
}
