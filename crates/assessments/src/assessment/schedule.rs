//! The reassessment schedule, run as durable jobs like everything else in the background:
//!
//! - a **check** job ([`SCHEDULE_QUEUE`]) looks at the cron expression, and when a firing is due
//!   claims it and queues the reassessment, then queues the next check on a fixed grid
//!   (`unique_key` `schedule:<time>`, so several gateways queue each check once, and a check that
//!   fails is retried with backoff);
//! - a **reassessment** job ([`REASSESS_QUEUE`], `unique_key` per firing) re-evaluates every
//!   outdated assessment, retried when that fails.
//!
//! A gateway seeds the chain at start ([`crate::DieselAssessmentService::start_schedule`]).

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use db::jobs::{Job, JobFailure, JobHandler, NewJob};
use db::{Database, DbConn};

use super::generate::Generator;
use super::model::ReEvaluate;
use super::repo;
use super::wake::Wake;
use crate::config::model as config;
use crate::config::repo as config_repo;
use crate::error::{AssessmentError, Result};

/// The job queue of schedule checks.
pub const SCHEDULE_QUEUE: &str = "assessments.schedule";
/// The job queue of scheduled reassessments.
pub const REASSESS_QUEUE: &str = "assessments.reassess";
/// Attempts of a scheduled reassessment (2 s, 4 s, 8 s, … apart) before it is given up.
const REASSESS_ATTEMPTS: i32 = 8;
/// Attempts of one schedule check.
const CHECK_ATTEMPTS: i32 = 10;
/// A firing missed by more than this (every gateway was down) is skipped, not caught up.
const MISSED_AFTER: chrono::Duration = chrono::Duration::minutes(10);

/// Checks the schedule and fires it.
#[derive(Clone)]
pub(crate) struct Schedule {
    db: Database,
    wake: Wake,
}

/// The first time on the grid of `every` after `at`: the same for every gateway.
fn next_on_grid(at: DateTime<Utc>, every: Duration) -> DateTime<Utc> {
    let step = i64::try_from(every.as_secs().max(1)).unwrap_or(i64::MAX);
    let next = (at.timestamp() / step + 1).saturating_mul(step);
    DateTime::from_timestamp(next, 0).unwrap_or(at)
}

/// Queues the check at `at` (once, whoever asks).
fn queue_check(conn: &mut DbConn, at: DateTime<Utc>, every: Duration) -> Result<()> {
    let job = NewJob::new(SCHEDULE_QUEUE, serde_json::json!({"every_seconds": every.as_secs()}))
        .run_at(at.naive_utc())
        .unique_key(format!("schedule:{}", at.to_rfc3339()))
        .max_attempts(CHECK_ATTEMPTS);
    db::jobs::enqueue(conn, &job)?;
    Ok(())
}

impl Schedule {
    pub(crate) fn new(db: Database, wake: Wake) -> Schedule {
        Schedule { db, wake }
    }

    /// Queues the next check, every `every` from now on.
    pub(crate) fn start(&self, every: Duration) -> Result<()> {
        queue_check(&mut *self.db.conn()?, next_on_grid(Utc::now(), every), every)?;
        self.wake.now();
        Ok(())
    }

    /// Claims the reassessment firing due at `at`, if any, and queues its job in the same
    /// transaction; false when none is due or another gateway claimed it. `worker` names the
    /// claimant.
    pub(crate) fn fire_due(&self, worker: &str, at: DateTime<Utc>) -> Result<bool> {
        let mut conn = self.db.conn()?;
        let config = config::view(config_repo::find_config(&mut conn)?.as_ref());
        if !config.reassessment_enabled {
            return Ok(false);
        }
        let Ok(cron) = config::parse_cron(&config.reassessment_cron) else { return Ok(false) };
        let Ok(fire) = cron.find_previous_occurrence(&at, true) else { return Ok(false) };
        if at - fire > MISSED_AFTER {
            return Ok(false);
        }
        let fire = fire.naive_utc().with_nanosecond(0).unwrap_or(fire.naive_utc());
        // The firing is claimed and its job queued together: a re-evaluation that then fails is
        // retried by the job (with backoff), never lost with its claim.
        let claimed = conn.write_transaction(|c| {
            if !repo::claim_firing(c, "reassessment", fire, worker)? {
                return Ok::<_, AssessmentError>(false);
            }
            let job = NewJob::new(REASSESS_QUEUE, serde_json::json!({"fire_at": fire.and_utc().to_rfc3339()}))
                .unique_key(format!("reassessment:{}", fire.and_utc().to_rfc3339()))
                .max_attempts(REASSESS_ATTEMPTS);
            db::jobs::enqueue(c, &job)?;
            Ok(true)
        })?;
        if claimed {
            self.wake.now();
            tracing::info!(fire_at = %fire, "scheduled reassessment fired");
        }
        Ok(claimed)
    }

    /// One check: fire what is due, then queue the next check.
    fn check(&self, job: &Job) -> Result<()> {
        let every = job.payload.get("every_seconds").and_then(serde_json::Value::as_u64).unwrap_or(30);
        let every = Duration::from_secs(every.max(1));
        let now = Utc::now();
        self.fire_due(&job.id, now)?;
        queue_check(&mut *self.db.conn()?, next_on_grid(now, every), every)?;
        Ok(())
    }
}

/// Runs the schedule checks queued on [`SCHEDULE_QUEUE`].
pub struct ScheduleCheck(pub(crate) Schedule);

impl JobHandler for ScheduleCheck {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        self.0.check(job).map_err(|e| JobFailure::retry(format!("Schedule check failed: {e}")))
    }
}

/// Runs the scheduled reassessments queued on [`REASSESS_QUEUE`]: re-evaluates every outdated
/// assessment, retried with backoff when that fails.
pub struct ScheduledReassessment(pub(crate) Generator);

impl JobHandler for ScheduledReassessment {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        match self.0.re_evaluate("scheduler", ReEvaluate::default()) {
            Ok(tasks) => {
                tracing::info!(queued = tasks.len(), "scheduled reassessment queued its re-evaluations");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt = job.attempts, "scheduled reassessment failed; it will be retried");
                Err(JobFailure::retry(format!("Scheduled reassessment failed: {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_fall_on_one_grid_whoever_computes_them() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T10:00:07Z").unwrap().with_timezone(&Utc);
        let later = DateTime::parse_from_rfc3339("2026-12-01T10:00:29Z").unwrap().with_timezone(&Utc);
        let next = next_on_grid(at, Duration::from_secs(30));
        assert_eq!(next.to_rfc3339(), "2026-12-01T10:00:30+00:00");
        assert_eq!(next_on_grid(later, Duration::from_secs(30)), next);
        assert_eq!(next_on_grid(next, Duration::from_secs(30)).to_rfc3339(), "2026-12-01T10:01:00+00:00");
    }
}
