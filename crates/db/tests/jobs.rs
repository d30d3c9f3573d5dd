//! Durable jobs on the test backend (SQLite, or PostgreSQL with TEST_DATABASE_URL).

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use db::jobs::{self, FailOutcome, Job, JobFailure, JobHandler, JobSignal, JobStatus, NewJob, Worker, WorkerConfig};
use db::testing::TestDb;
use serde_json::json;

fn queues(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

const LEASE: Duration = Duration::from_secs(30);

#[test]
fn enqueued_job_is_claimed_once_and_completed() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("mail", json!({"to": "x@example.com"}))).unwrap();

    let job = jobs::claim(&mut conn, "w1", &queues(&["mail"]), LEASE).unwrap().unwrap();
    assert_eq!(job.id, id);
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.payload, json!({"to": "x@example.com"}));
    assert_eq!(job.locked_by.as_deref(), Some("w1"));
    assert!(jobs::claim(&mut conn, "w2", &queues(&["mail"]), LEASE).unwrap().is_none());

    assert!(jobs::complete(&mut conn, &id, "w1").unwrap());
    let done = jobs::find(&mut conn, &id).unwrap().unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert!(done.finished_at.is_some());
    assert!(done.locked_by.is_none());
}

#[test]
fn claim_only_takes_due_jobs_of_the_requested_queues() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    jobs::enqueue(&mut conn, &NewJob::new("other", json!(null))).unwrap();
    let later = db::now() + chrono::TimeDelta::hours(1);
    jobs::enqueue(&mut conn, &NewJob::new("mail", json!(1)).run_at(later)).unwrap();

    assert!(jobs::claim(&mut conn, "w", &queues(&["mail"]), LEASE).unwrap().is_none());
    let other = jobs::claim(&mut conn, "w", &queues(&["mail", "other"]), LEASE).unwrap().unwrap();
    assert_eq!(other.queue, "other");
}

fn make_due(db: &TestDb, id: &str) {
    use diesel::prelude::*;
    let mut conn = db.database().conn().unwrap();
    diesel::update(db::schema::jobs::table.filter(db::schema::jobs::id.eq(id)))
        .set(db::schema::jobs::run_at.eq(db::now() - chrono::TimeDelta::seconds(1)))
        .execute(&mut **conn)
        .unwrap();
}

#[test]
fn failed_job_is_retried_after_backoff_until_attempts_are_used_up() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("q", json!({})).max_attempts(2)).unwrap();

    jobs::claim(&mut conn, "w", &queues(&["q"]), LEASE).unwrap().unwrap();
    let outcome = jobs::fail(&mut conn, &id, "w", "database down", true).unwrap();
    let FailOutcome::Retrying(due) = outcome else { panic!("expected a retry, got {outcome:?}") };
    assert!(due > db::now(), "the retry waits for its backoff");
    let queued = jobs::find(&mut conn, &id).unwrap().unwrap();
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!(queued.last_error.as_deref(), Some("database down"));
    assert!(jobs::claim(&mut conn, "w", &queues(&["q"]), LEASE).unwrap().is_none(), "not due yet");

    make_due(&db, &id);
    let second = jobs::claim(&mut conn, "w", &queues(&["q"]), LEASE).unwrap().unwrap();
    assert_eq!(second.attempts, 2);
    assert_eq!(jobs::fail(&mut conn, &id, "w", "still down", true).unwrap(), FailOutcome::Failed);
    let failed = jobs::find(&mut conn, &id).unwrap().unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("still down"));
}

#[test]
fn permanent_failure_is_not_retried() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("q", json!({}))).unwrap();
    jobs::claim(&mut conn, "w", &queues(&["q"]), LEASE).unwrap().unwrap();
    assert_eq!(jobs::fail(&mut conn, &id, "w", "bad input", false).unwrap(), FailOutcome::Failed);
}

#[test]
fn a_job_whose_worker_vanished_is_claimed_again_after_its_lease() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("q", json!({}))).unwrap();
    jobs::claim(&mut conn, "crashed", &queues(&["q"]), Duration::from_millis(800)).unwrap().unwrap();

    assert!(jobs::claim(&mut conn, "w2", &queues(&["q"]), LEASE).unwrap().is_none(), "lease still held");
    std::thread::sleep(Duration::from_millis(1000));

    let taken = jobs::claim(&mut conn, "w2", &queues(&["q"]), LEASE).unwrap().unwrap();
    assert_eq!(taken.id, id);
    assert_eq!(taken.attempts, 2);
    assert_eq!(taken.locked_by.as_deref(), Some("w2"));
    // The vanished worker, should it come back, can no longer touch the job.
    assert!(!jobs::heartbeat(&mut conn, &id, "crashed", LEASE).unwrap());
    assert!(!jobs::complete(&mut conn, &id, "crashed").unwrap());
    assert_eq!(jobs::fail(&mut conn, &id, "crashed", "x", true).unwrap(), FailOutcome::LeaseLost);
    assert!(jobs::complete(&mut conn, &id, "w2").unwrap());
}

#[test]
fn claims_take_over_an_expired_lease_first_then_due_jobs_oldest_first_across_queues() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let abandoned = jobs::enqueue(&mut conn, &NewJob::new("a", json!(0))).unwrap();
    jobs::claim(&mut conn, "crashed", &queues(&["a"]), Duration::from_millis(300)).unwrap().unwrap();
    // Due in the order 3, 1, 2 (run_at set in the past), over two queues, plus one not due yet.
    let base = db::now() - chrono::TimeDelta::minutes(10);
    let at = |minutes: i64| base + chrono::TimeDelta::minutes(minutes);
    let second = jobs::enqueue(&mut conn, &NewJob::new("b", json!(1)).run_at(at(2))).unwrap();
    let third = jobs::enqueue(&mut conn, &NewJob::new("a", json!(2)).run_at(at(3))).unwrap();
    let first = jobs::enqueue(&mut conn, &NewJob::new("b", json!(3)).run_at(at(1))).unwrap();
    jobs::enqueue(&mut conn, &NewJob::new("a", json!(4)).run_at(db::now() + chrono::TimeDelta::hours(1))).unwrap();
    jobs::enqueue(&mut conn, &NewJob::new("other", json!(5)).run_at(at(0))).unwrap();
    std::thread::sleep(Duration::from_millis(400));

    let order: Vec<String> = std::iter::from_fn(|| jobs::claim(&mut conn, "w", &queues(&["a", "b"]), LEASE).unwrap())
        .map(|job| job.id)
        .collect();
    assert_eq!(order, [abandoned, first, second, third]);
}

#[test]
fn heartbeat_keeps_the_lease() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("q", json!({}))).unwrap();
    let lease = Duration::from_millis(1500);
    jobs::claim(&mut conn, "w1", &queues(&["q"]), lease).unwrap().unwrap();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(700));
        assert!(jobs::heartbeat(&mut conn, &id, "w1", lease).unwrap());
    }
    assert!(jobs::claim(&mut conn, "w2", &queues(&["q"]), LEASE).unwrap().is_none());
}

#[test]
fn expired_job_on_its_last_attempt_is_reaped_as_failed() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("q", json!({})).max_attempts(1)).unwrap();
    jobs::claim(&mut conn, "w", &queues(&["q"]), Duration::from_millis(50)).unwrap().unwrap();
    std::thread::sleep(Duration::from_millis(120));
    assert!(jobs::claim(&mut conn, "w2", &queues(&["q"]), LEASE).unwrap().is_none());
    assert_eq!(jobs::reap_expired(&mut conn).unwrap(), 1);
    assert_eq!(jobs::find(&mut conn, &id).unwrap().unwrap().status, JobStatus::Failed);
}

#[test]
fn unique_key_keeps_a_single_job() {
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let first = jobs::enqueue(&mut conn, &NewJob::new("q", json!(1)).unique_key("k")).unwrap();
    let second = jobs::enqueue(&mut conn, &NewJob::new("q", json!(2)).unique_key("k")).unwrap();
    assert_eq!(first, second);
    assert_eq!(jobs::find(&mut conn, &first).unwrap().unwrap().payload, json!(1));
}

#[test]
fn many_threads_claiming_at_once_never_get_the_same_job_twice() {
    const JOBS: usize = 120;
    let db = TestDb::new();
    {
        let mut conn = db.database().conn().unwrap();
        for n in 0..JOBS {
            jobs::enqueue(&mut conn, &NewJob::new("q", json!(n))).unwrap();
        }
    }
    let claimed = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|scope| {
        for t in 0..8 {
            let claimed = Arc::clone(&claimed);
            let database = db.database().clone();
            scope.spawn(move || {
                let worker = format!("w{t}");
                loop {
                    let mut conn = database.conn().unwrap();
                    match jobs::claim(&mut conn, &worker, &queues(&["q"]), LEASE).unwrap() {
                        Some(job) => claimed.lock().unwrap().push(job.id),
                        None => break,
                    }
                }
            });
        }
    });
    let claimed = claimed.lock().unwrap();
    let unique: HashSet<_> = claimed.iter().collect();
    assert_eq!(claimed.len(), JOBS, "every job claimed");
    assert_eq!(unique.len(), JOBS, "no job claimed twice");
}

struct Recorder {
    seen: Mutex<Vec<Job>>,
    fail_first: AtomicUsize,
}

impl JobHandler for Recorder {
    fn run(&self, job: &Job) -> Result<(), JobFailure> {
        self.seen.lock().unwrap().push(job.clone());
        if self.fail_first.load(Ordering::SeqCst) > 0 {
            self.fail_first.fetch_sub(1, Ordering::SeqCst);
            return Err(JobFailure::permanent("refused"));
        }
        Ok(())
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn worker_runs_handlers_and_records_outcomes() {
    let db = TestDb::new();
    let recorder = Arc::new(Recorder { seen: Mutex::new(Vec::new()), fail_first: AtomicUsize::new(1) });
    let signal = JobSignal::default();
    // A long poll interval: only the signal can wake the worker in time.
    let config = WorkerConfig { threads: 2, poll_interval: Duration::from_secs(30), ..WorkerConfig::default() };
    let handle =
        Worker::new(db.database().clone(), config, signal.clone()).handle("q", recorder.clone()).start().unwrap();

    let mut conn = db.database().conn().unwrap();
    let failing = jobs::enqueue(&mut conn, &NewJob::new("q", json!("first"))).unwrap();
    signal.notify();
    wait_for("the failing job", || jobs::find(&mut conn, &failing).unwrap().unwrap().status == JobStatus::Failed);
    let ok = jobs::enqueue(&mut conn, &NewJob::new("q", json!("second"))).unwrap();
    signal.notify();
    wait_for("the second job", || jobs::find(&mut conn, &ok).unwrap().unwrap().status == JobStatus::Succeeded);
    handle.shutdown();

    let seen = recorder.seen.lock().unwrap();
    let payloads: Vec<_> = seen.iter().map(|j| j.payload.clone()).collect();
    assert_eq!(payloads, vec![json!("first"), json!("second")]);
    let failed = jobs::find(&mut conn, &failing).unwrap().unwrap();
    assert_eq!(failed.last_error.as_deref(), Some("refused"));
}

#[test]
fn finished_jobs_past_their_retention_are_pruned_and_nothing_else() {
    use db::schema::jobs as j;
    use diesel::prelude::*;
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let mut finish = |queue: &str, succeed: bool, days_ago: i64| {
        let id = jobs::enqueue(&mut conn, &NewJob::new(queue, json!({})).max_attempts(1)).unwrap();
        jobs::claim(&mut conn, "w", &queues(&[queue]), LEASE).unwrap().unwrap();
        if succeed {
            assert!(jobs::complete(&mut conn, &id, "w").unwrap());
        } else {
            assert_eq!(jobs::fail(&mut conn, &id, "w", "broken", false).unwrap(), FailOutcome::Failed);
        }
        let at = db::now() - chrono::TimeDelta::days(days_ago);
        diesel::update(j::table.find(&id)).set(j::finished_at.eq(Some(at))).execute(&mut **conn).unwrap();
        id
    };
    let old_done = finish("a", true, 40);
    let old_failed = finish("b", false, 31);
    let recent_done = finish("c", true, 29);
    let queued = jobs::enqueue(&mut conn, &NewJob::new("d", json!({}))).unwrap();
    let running = jobs::enqueue(&mut conn, &NewJob::new("e", json!({}))).unwrap();
    jobs::claim(&mut conn, "w", &queues(&["e"]), LEASE).unwrap().unwrap();

    let pruned = jobs::prune_finished(&mut conn, db::now() - chrono::TimeDelta::days(30)).unwrap();
    assert_eq!(pruned, 2);
    assert!(jobs::find(&mut conn, &old_done).unwrap().is_none());
    assert!(jobs::find(&mut conn, &old_failed).unwrap().is_none());
    for kept in [&recent_done, &queued, &running] {
        assert!(jobs::find(&mut conn, kept).unwrap().is_some(), "{kept} is kept");
    }
}

#[test]
fn a_worker_prunes_finished_jobs_past_their_retention_when_it_starts() {
    use db::schema::jobs as j;
    use diesel::prelude::*;
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("old", json!({}))).unwrap();
    jobs::claim(&mut conn, "w", &queues(&["old"]), LEASE).unwrap().unwrap();
    jobs::complete(&mut conn, &id, "w").unwrap();
    let at = db::now() - chrono::TimeDelta::days(3);
    diesel::update(j::table.find(&id)).set(j::finished_at.eq(Some(at))).execute(&mut **conn).unwrap();

    struct Nothing;
    impl JobHandler for Nothing {
        fn run(&self, _: &Job) -> Result<(), JobFailure> {
            Ok(())
        }
    }
    let config = WorkerConfig { retention: Some(Duration::from_secs(2 * 24 * 3600)), ..WorkerConfig::default() };
    let worker = Worker::new(db.database().clone(), config, JobSignal::default())
        .handle("q", Arc::new(Nothing))
        .start()
        .unwrap();
    let started = Instant::now();
    while jobs::find(&mut conn, &id).unwrap().is_some() {
        assert!(started.elapsed() < Duration::from_secs(10), "the worker never pruned the job");
        std::thread::sleep(Duration::from_millis(20));
    }
    worker.shutdown();
}

#[test]
fn a_stored_status_the_code_does_not_know_is_corrupt_data_not_a_default() {
    use diesel::connection::SimpleConnection;
    let db = TestDb::new();
    let mut conn = db.database().conn().unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new("q", json!({}))).unwrap();
    conn.batch_execute(&format!("UPDATE jobs SET status = 'exploded' WHERE id = '{id}'")).unwrap();
    match jobs::find(&mut conn, &id) {
        Err(db::DbError::Corrupt(message)) => {
            assert!(message.ends_with("stored data is invalid: unknown JobStatus `exploded`"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
