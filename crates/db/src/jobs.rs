//! Durable jobs: rows in the `jobs` table, claimed by workers with a lease.
//!
//! A job is `queued` until a worker claims it (`running`, with `locked_by` and a lease in
//! `locked_until`). The worker renews the lease while it works ([`heartbeat`]) and ends the job
//! with [`complete`] or [`fail`]; a failure is retried with exponential backoff until
//! `max_attempts` claims are used up. When a worker vanishes its lease runs out and the next
//! [`claim`] takes the job over, so a restart loses nothing. On PostgreSQL claims use
//! `FOR UPDATE SKIP LOCKED`, so several gateway processes share one queue without ever taking
//! the same job twice; on SQLite the claim runs in a `BEGIN IMMEDIATE` transaction.
//!
//! [`Worker`] runs handlers for named queues on background threads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::conn::DbConn;
use crate::error::{DbError, Result};
use crate::pool::Database;
use crate::schema::jobs;
use crate::time::now;

crate::text_enum! {
    /// Job states as stored.
    pub enum JobStatus {
        /// Waiting for a worker (possibly until `run_at`, after a failure).
        Queued => "queued",
        /// Held by a worker under a lease.
        Running => "running",
        /// Done.
        Succeeded => "succeeded",
        /// Failed for good: attempts used up.
        Failed => "failed",
    }
}

/// A job to add to a queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The queue (handler) name.
    pub queue: String,
    /// Handler input.
    pub payload: serde_json::Value,
    /// Earliest start; `None` means now.
    pub run_at: Option<NaiveDateTime>,
    /// Claims allowed before the job is marked failed (at least 1).
    pub max_attempts: i32,
    /// At most one job may exist per key; enqueueing a second returns the first's id.
    pub unique_key: Option<String>,
}

impl NewJob {
    /// A job due now, with 5 attempts and no de-duplication key.
    pub fn new(queue: impl Into<String>, payload: serde_json::Value) -> NewJob {
        NewJob { queue: queue.into(), payload, run_at: None, max_attempts: 5, unique_key: None }
    }

    /// Sets how many claims the job gets.
    pub fn max_attempts(mut self, attempts: i32) -> NewJob {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Delays the job until `at`.
    pub fn run_at(mut self, at: NaiveDateTime) -> NewJob {
        self.run_at = Some(at);
        self
    }

    /// Makes the job unique per `key`.
    pub fn unique_key(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// `job_<uuid>`.
    pub id: String,
    /// Queue name.
    pub queue: String,
    /// Handler input.
    pub payload: serde_json::Value,
    /// Current state.
    pub status: JobStatus,
    /// Claims so far, this one included.
    pub attempts: i32,
    /// Claims allowed.
    pub max_attempts: i32,
    /// Earliest start.
    pub run_at: NaiveDateTime,
    /// Lease holder.
    pub locked_by: Option<String>,
    /// Lease end.
    pub locked_until: Option<NaiveDateTime>,
    /// Last failure message.
    pub last_error: Option<String>,
    /// De-duplication key.
    pub unique_key: Option<String>,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// When it ended.
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct JobRow {
    id: String,
    queue: String,
    payload: String,
    status: JobStatus,
    attempts: i32,
    max_attempts: i32,
    run_at: NaiveDateTime,
    locked_by: Option<String>,
    locked_until: Option<NaiveDateTime>,
    last_error: Option<String>,
    unique_key: Option<String>,
    created_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
}

impl TryFrom<JobRow> for Job {
    type Error = DbError;

    fn try_from(row: JobRow) -> Result<Job> {
        Ok(Job {
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| DbError::Corrupt(format!("job {} payload: {e}", row.id)))?,
            status: row.status,
            id: row.id,
            queue: row.queue,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            run_at: row.run_at,
            locked_by: row.locked_by,
            locked_until: row.locked_until,
            last_error: row.last_error,
            unique_key: row.unique_key,
            created_at: row.created_at,
            finished_at: row.finished_at,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = jobs)]
struct NewJobRow<'a> {
    id: &'a str,
    queue: &'a str,
    payload: String,
    status: JobStatus,
    attempts: i32,
    max_attempts: i32,
    run_at: NaiveDateTime,
    unique_key: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Adds a job and returns its id. With a `unique_key` that another job already holds, nothing
/// is added and that job's id is returned.
pub fn enqueue(conn: &mut DbConn, job: &NewJob) -> Result<String> {
    let id = crate::id::new_id("job");
    let at = now();
    let row = NewJobRow {
        id: &id,
        queue: &job.queue,
        payload: job.payload.to_string(),
        status: JobStatus::Queued,
        attempts: 0,
        max_attempts: job.max_attempts.max(1),
        run_at: job.run_at.unwrap_or(at),
        unique_key: job.unique_key.as_deref(),
        created_at: at,
        updated_at: at,
    };
    // A savepoint keeps a unique violation from aborting the caller's PostgreSQL transaction;
    // without a unique key there is nothing to violate (ids are random) and no need for one.
    let inserted = if job.unique_key.is_some() {
        conn.transaction(|c| diesel::insert_into(jobs::table).values(&row).execute(c))
    } else {
        diesel::insert_into(jobs::table).values(&row).execute(conn)
    };
    match inserted {
        Ok(_) => Ok(id),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
            if job.unique_key.is_some() =>
        {
            Ok(jobs::table.select(jobs::id).filter(jobs::unique_key.eq(job.unique_key.as_deref())).first(conn)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Loads a job by id.
pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Job>> {
    jobs::table
        .filter(jobs::id.eq(id))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?
        .map(Job::try_from)
        .transpose()
}

/// The id of the first job `$filter` selects, oldest first, skipping rows another claimer holds
/// (PostgreSQL). A macro because the query is built for two concrete backends.
macro_rules! first_claimable {
    ($c:expr, $filter:expr) => {
        match &mut *$c {
            DbConn::Postgresql(pg) => jobs::table
                .select(jobs::id)
                .filter($filter)
                .order((jobs::run_at.asc(), jobs::created_at.asc()))
                .limit(1)
                .for_update()
                .skip_locked()
                .first::<String>(pg)
                .optional()?,
            DbConn::Sqlite(sqlite) => jobs::table
                .select(jobs::id)
                .filter($filter)
                .order((jobs::run_at.asc(), jobs::created_at.asc()))
                .limit(1)
                .first::<String>(sqlite)
                .optional()?,
        }
    };
}

/// Claims a job of `queues` for `worker`, holding it for `lease`: first one whose worker's lease
/// ran out (taken over), else the oldest due one. Two lookups, each served in order by an index
/// (`jobs_lease_idx`, `jobs_due_idx`), so a claim stays cheap however long the queue: one lookup
/// with the two conditions OR-ed would sort every due job to take one.
pub fn claim(conn: &mut DbConn, worker: &str, queues: &[String], lease: Duration) -> Result<Option<Job>> {
    let at = now();
    conn.write_transaction(|c| {
        // A claim lost in a crash is a job not yet claimed: no need to wait for the disk.
        c.relax_commit()?;
        // `locked_until` is always set on running rows.
        let expired = jobs::status
            .eq(JobStatus::Running)
            .and(jobs::locked_until.assume_not_null().lt(at))
            .and(jobs::attempts.lt(jobs::max_attempts))
            .and(jobs::queue.eq_any(queues));
        let id = match first_claimable!(c, expired) {
            Some(id) => Some(id),
            None => {
                let due = jobs::status.eq(JobStatus::Queued).and(jobs::run_at.le(at)).and(jobs::queue.eq_any(queues));
                first_claimable!(c, due)
            }
        };
        let Some(id) = id else { return Ok(None) };
        let claimed = (
            jobs::status.eq(JobStatus::Running),
            jobs::attempts.eq(jobs::attempts + 1),
            jobs::locked_by.eq(worker),
            jobs::locked_until.eq(at + lease_delta(lease)),
            jobs::updated_at.eq(at),
        );
        let target = jobs::table.filter(jobs::id.eq(&id));
        match &mut *c {
            DbConn::Postgresql(pg) => {
                Job::try_from(diesel::update(target).set(claimed).returning(JobRow::as_returning()).get_result(pg)?)
                    .map(Some)
            }
            // `RETURNING` with a `Selectable` does not build on the multi-backend connection.
            DbConn::Sqlite(_) => {
                diesel::update(target).set(claimed).execute(c)?;
                find(c, &id)
            }
        }
    })
}

fn lease_delta(lease: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(lease).unwrap_or(chrono::TimeDelta::MAX)
}

/// Renews `worker`'s lease on a job. `false` when the worker no longer holds it (it expired and
/// another worker took the job over): the caller should stop working on it.
pub fn heartbeat(conn: &mut DbConn, id: &str, worker: &str, lease: Duration) -> Result<bool> {
    let at = now();
    let updated = diesel::update(held(id, worker))
        .set((jobs::locked_until.eq(at + lease_delta(lease)), jobs::updated_at.eq(at)))
        .execute(conn)?;
    Ok(updated == 1)
}

#[diesel::dsl::auto_type(no_type_alias)]
fn held<'a>(id: &'a str, worker: &'a str) -> _ {
    let running: JobStatus = JobStatus::Running;
    jobs::table.filter(jobs::id.eq(id).and(jobs::locked_by.eq(worker)).and(jobs::status.eq(running)))
}

/// Marks a job `worker` holds as succeeded. `false` when the lease was lost.
///
/// The completion does not wait for the disk: lost in a crash, it is a job whose worker died
/// after the work, which is run again, as every handler must allow (its steps are idempotent or
/// checkpointed, and what they wrote was committed synchronously before).
pub fn complete(conn: &mut DbConn, id: &str, worker: &str) -> Result<bool> {
    let at = now();
    let updated = conn.write_transaction(|c| {
        c.relax_commit()?;
        diesel::update(held(id, worker))
            .set((
                jobs::status.eq(JobStatus::Succeeded),
                jobs::locked_by.eq(None::<String>),
                jobs::locked_until.eq(None::<NaiveDateTime>),
                jobs::last_error.eq(None::<String>),
                jobs::finished_at.eq(Some(at)),
                jobs::updated_at.eq(at),
            ))
            .execute(c)
    })?;
    Ok(updated == 1)
}

/// What [`fail`] did with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again, due at the given time.
    Retrying(NaiveDateTime),
    /// Attempts used up (or the failure was permanent): failed for good.
    Failed,
    /// The worker no longer held the job; nothing changed.
    LeaseLost,
}

/// Records a failure of a job `worker` holds: retried after a backoff while attempts remain and
/// `retryable` is true, otherwise failed for good.
pub fn fail(conn: &mut DbConn, id: &str, worker: &str, error: &str, retryable: bool) -> Result<FailOutcome> {
    let at = now();
    conn.write_transaction(|c| {
        let current: Option<(i32, i32)> =
            held(id, worker).select((jobs::attempts, jobs::max_attempts)).first(c).optional()?;
        let Some((attempts, max_attempts)) = current else { return Ok(FailOutcome::LeaseLost) };
        let error = truncate(error, 4000);
        if retryable && attempts < max_attempts {
            let due = at + lease_delta(backoff(attempts));
            diesel::update(held(id, worker))
                .set((
                    jobs::status.eq(JobStatus::Queued),
                    jobs::run_at.eq(due),
                    jobs::locked_by.eq(None::<String>),
                    jobs::locked_until.eq(None::<NaiveDateTime>),
                    jobs::last_error.eq(error),
                    jobs::updated_at.eq(at),
                ))
                .execute(c)?;
            Ok(FailOutcome::Retrying(due))
        } else {
            diesel::update(held(id, worker))
                .set((
                    jobs::status.eq(JobStatus::Failed),
                    jobs::locked_by.eq(None::<String>),
                    jobs::locked_until.eq(None::<NaiveDateTime>),
                    jobs::last_error.eq(error),
                    jobs::finished_at.eq(Some(at)),
                    jobs::updated_at.eq(at),
                ))
                .execute(c)?;
            Ok(FailOutcome::Failed)
        }
    })
}

/// Marks running jobs whose lease expired with no attempts left as failed (their worker died on
/// the last attempt). Returns how many.
pub fn reap_expired(conn: &mut DbConn) -> Result<usize> {
    let at = now();
    Ok(diesel::update(
        jobs::table.filter(
            jobs::status
                .eq(JobStatus::Running)
                .and(jobs::locked_until.assume_not_null().lt(at))
                .and(jobs::attempts.ge(jobs::max_attempts)),
        ),
    )
    .set((
        jobs::status.eq(JobStatus::Failed),
        jobs::locked_by.eq(None::<String>),
        jobs::locked_until.eq(None::<NaiveDateTime>),
        jobs::last_error.eq("lease expired on the last attempt (worker stopped)"),
        jobs::finished_at.eq(Some(at)),
        jobs::updated_at.eq(at),
    ))
    .execute(conn)?)
}

/// Deletes succeeded and failed jobs that finished before `before` (queued and running jobs are
/// never touched). Returns how many.
pub fn prune_finished(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize> {
    let finished = [JobStatus::Succeeded, JobStatus::Failed];
    Ok(diesel::delete(
        jobs::table.filter(jobs::status.eq_any(finished)).filter(jobs::finished_at.assume_not_null().lt(before)),
    )
    .execute(conn)?)
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Delay before retry number `attempts` (1-based): 2 s doubling, at most 10 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    Duration::from_secs(2u64.saturating_mul(1 << exp)).min(Duration::from_secs(600))
}

/// Why a handler gave up on a job.
#[derive(Debug)]
pub struct JobFailure {
    /// What went wrong, recorded on the job.
    pub message: String,
    /// Whether trying again later may help (a database down) or not (bad input).
    pub retryable: bool,
}

impl JobFailure {
    /// A failure worth retrying.
    pub fn retry(message: impl Into<String>) -> JobFailure {
        JobFailure { message: message.into(), retryable: true }
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> JobFailure {
        JobFailure { message: message.into(), retryable: false }
    }
}

/// Runs the jobs of one queue. Handlers are synchronous (they use Diesel) and run on worker
/// threads; each step should be idempotent or checkpointed, since a job whose worker vanished
/// runs again.
pub trait JobHandler: Send + Sync {
    /// Does the work of `job`.
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure>;
}

/// Wakes idle workers when a job is enqueued in this process (other processes find it by polling).
#[derive(Clone, Default, Debug)]
pub struct JobSignal(Arc<(Mutex<u64>, Condvar)>);

impl JobSignal {
    /// Wakes every waiting worker.
    pub fn notify(&self) {
        let (lock, cvar) = &*self.0;
        if let Ok(mut generation) = lock.lock() {
            *generation = generation.wrapping_add(1);
        }
        cvar.notify_all();
    }

    fn generation(&self) -> u64 {
        self.0.0.lock().map(|g| *g).unwrap_or(0)
    }

    /// Waits until notified after `seen`, or for `timeout`.
    fn wait(&self, seen: u64, timeout: Duration) {
        let (lock, cvar) = &*self.0;
        if let Ok(guard) = lock.lock() {
            let _ = cvar.wait_timeout_while(guard, timeout, |g| *g == seen);
        }
    }
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// A name unique to this process (host and pid, say); threads append their number.
    pub name: String,
    /// Worker threads.
    pub threads: usize,
    /// Lease length; the lease is renewed every third of it while a handler runs.
    pub lease: Duration,
    /// How often an idle worker looks for jobs other processes enqueued.
    pub poll_interval: Duration,
    /// How long finished (succeeded or failed) jobs are kept; `None` keeps them forever.
    pub retention: Option<Duration>,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            name: format!("worker-{}", std::process::id()),
            threads: 2,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            retention: Some(Duration::from_secs(30 * 24 * 3600)),
        }
    }
}

/// Background threads that claim jobs and run their handlers.
pub struct Worker {
    db: Database,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    config: WorkerConfig,
    signal: JobSignal,
    /// When this process last pruned finished jobs (one thread does it, about hourly).
    last_prune: Mutex<Option<std::time::Instant>>,
}

/// How often a worker process prunes finished jobs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// A running [`Worker`]: stop it with [`WorkerHandle::shutdown`].
pub struct WorkerHandle {
    stop: Arc<AtomicBool>,
    signal: JobSignal,
    threads: Vec<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Asks the threads to stop after their current job and waits for them.
    pub fn shutdown(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.signal.notify();
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

impl Worker {
    /// A worker over `db`, woken early by `signal`.
    pub fn new(db: Database, config: WorkerConfig, signal: JobSignal) -> Worker {
        Worker { db, handlers: HashMap::new(), config, signal, last_prune: Mutex::new(None) }
    }

    /// Registers the handler of a queue.
    pub fn handle(mut self, queue: impl Into<String>, handler: Arc<dyn JobHandler>) -> Worker {
        self.handlers.insert(queue.into(), handler);
        self
    }

    /// Starts the threads.
    pub fn start(self) -> std::io::Result<WorkerHandle> {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(self);
        let mut threads = Vec::new();
        for n in 0..shared.config.threads.max(1) {
            let worker = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            let name = format!("{}-{n}", shared.config.name);
            threads.push(
                std::thread::Builder::new().name(format!("jobs-{n}")).spawn(move || worker.run_loop(&name, &stop))?,
            );
        }
        Ok(WorkerHandle { stop, signal: shared.signal.clone(), threads })
    }

    fn run_loop(&self, name: &str, stop: &AtomicBool) {
        let queues: Vec<String> = self.handlers.keys().cloned().collect();
        let mut last_reap = std::time::Instant::now();
        while !stop.load(Ordering::SeqCst) {
            let seen = self.signal.generation();
            if last_reap.elapsed() >= self.config.lease {
                last_reap = std::time::Instant::now();
                if let Err(e) = self.db.conn().and_then(|mut c| reap_expired(&mut c)) {
                    tracing::warn!(error = %e, "reaping expired jobs failed");
                }
            }
            self.prune_if_due();
            match self.claim_one(name, &queues) {
                Ok(Some(job)) => self.execute(name, &job),
                Ok(None) => self.signal.wait(seen, self.config.poll_interval),
                Err(e) => {
                    tracing::warn!(error = %e, "claiming a job failed");
                    self.signal.wait(seen, self.config.poll_interval);
                }
            }
        }
    }

    /// Deletes finished jobs older than the retention, at most once per [`PRUNE_EVERY`] in this
    /// process (the first time at start).
    fn prune_if_due(&self) {
        let Some(retention) = self.config.retention else { return };
        {
            let Ok(mut last) = self.last_prune.lock() else { return };
            if last.is_some_and(|at| at.elapsed() < PRUNE_EVERY) {
                return;
            }
            *last = Some(std::time::Instant::now());
        }
        let kept = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        let before = now().checked_sub_signed(kept).unwrap_or(NaiveDateTime::MIN);
        match self.db.conn().and_then(|mut c| prune_finished(&mut c, before)) {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "deleted finished jobs past their retention"),
            Err(e) => tracing::warn!(error = %e, "pruning finished jobs failed"),
        }
    }

    fn claim_one(&self, name: &str, queues: &[String]) -> Result<Option<Job>> {
        let mut conn = self.db.conn()?;
        claim(&mut conn, name, queues, self.config.lease)
    }

    fn execute(&self, name: &str, job: &Job) {
        let Some(handler) = self.handlers.get(&job.queue) else { return };
        let span = tracing::info_span!("job", id = %job.id, queue = %job.queue, attempt = job.attempts);
        let _entered = span.enter();
        // Dropping `finished` wakes the renewal thread at once, so a job ends when its handler does.
        let (finished, stop) = std::sync::mpsc::channel::<()>();
        let outcome = std::thread::scope(|scope| {
            // Renew the lease while the handler works, so a long job is not taken over.
            scope.spawn(move || {
                let pause = self.config.lease / 3;
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(pause) {
                    match self.db.conn().and_then(|mut c| heartbeat(&mut c, &job.id, name, self.config.lease)) {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!("lease lost; another worker owns the job now");
                            return;
                        }
                        Err(e) => tracing::warn!(error = %e, "lease renewal failed"),
                    }
                }
            });
            let outcome = handler.run(job);
            drop(finished);
            outcome
        });
        let recorded = self.db.conn().and_then(|mut conn| match &outcome {
            Ok(()) => complete(&mut conn, &job.id, name).map(|held| {
                if !held {
                    tracing::warn!("finished after losing the lease");
                }
            }),
            Err(failure) => fail(&mut conn, &job.id, name, &failure.message, failure.retryable).map(|o| {
                tracing::warn!(error = %failure.message, outcome = ?o, "job failed");
            }),
        });
        if let Err(e) = recorded {
            // The lease will expire and the job run again: handlers are idempotent.
            tracing::error!(error = %e, "could not record the job's outcome");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_and_stops_at_ten_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(5), Duration::from_secs(32));
        assert_eq!(backoff(30), Duration::from_secs(600));
        assert_eq!(backoff(0), Duration::from_secs(2));
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("żółw", 2), "żó");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
