//! The job that generates or re-evaluates one assessment. A task is settled in the same
//! transaction as the answers it wrote, so a job that runs again after a crash finds its task
//! complete and does nothing twice.

use db::jobs::{Job, JobFailure, JobHandler};
use db::now;

use crate::error::AssessmentError;
use crate::evaluate;
use crate::facts::Facts;
use crate::model::TaskStatus;
use crate::repo;
use crate::service::{DieselAssessmentService, template_of};

enum RunError {
    /// Retrying the same task cannot help (the system is gone).
    Permanent(String),
    /// Storage trouble: the job is retried.
    Storage(AssessmentError),
}

impl From<AssessmentError> for RunError {
    fn from(e: AssessmentError) -> Self {
        RunError::Storage(e)
    }
}

impl From<diesel::result::Error> for RunError {
    fn from(e: diesel::result::Error) -> Self {
        RunError::Storage(e.into())
    }
}

impl From<db::DbError> for RunError {
    fn from(e: db::DbError) -> Self {
        RunError::Storage(e.into())
    }
}

impl DieselAssessmentService {
    fn run_task(&self, task_id: &str) -> Result<(), RunError> {
        let mut conn = self.db.conn()?;
        let Some(task) = repo::find_task(&mut conn, task_id)? else {
            return Ok(()); // deleted with its assessment
        };
        if task.status == TaskStatus::Complete.as_str() || task.status == TaskStatus::Failed.as_str() {
            return Ok(());
        }
        repo::set_task(&mut conn, task_id, TaskStatus::Running.as_str(), 10.0, None, now())?;
        conn.write_transaction(|conn| {
            let Some(row) = repo::lock_assessment(conn, &task.assessment_id)? else {
                return Ok(());
            };
            let template = template_of(&row)?;
            let system_row = repo::find_system(conn, &row.system_id)?.ok_or_else(|| {
                RunError::Permanent(format!(
                    "System '{}' no longer exists; add it back to the inventory, then retry this task",
                    row.system_id
                ))
            })?;
            let system = serde_json::from_str(&system_row.body)
                .map_err(|e| RunError::Permanent(format!("System '{}' cannot be read: {e}", row.system_id)))?;
            let facts = Facts::load(conn, system)?;
            let at = now();
            let outcome = evaluate::evaluate(conn, &row, template, &facts, &self.taxonomy, task_id, at)?;
            repo::set_task(conn, task_id, TaskStatus::Complete.as_str(), 100.0, None, at)?;
            tracing::info!(
                assessment = %row.id, template = %row.template_id, system = %row.system_id,
                generated = outcome.generated, kept = outcome.kept, cleared = outcome.cleared,
                "assessment evaluated"
            );
            Ok(())
        })
    }

    fn fail_task(&self, task_id: &str, message: &str) {
        let recorded = self.db.conn().and_then(|mut c| {
            Ok(repo::set_task(&mut c, task_id, TaskStatus::Failed.as_str(), 0.0, Some(message), now())?)
        });
        if let Err(e) = recorded {
            tracing::error!(error = %e, task = task_id, "could not record the task's failure");
        }
    }
}

impl JobHandler for DieselAssessmentService {
    fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let Some(task_id) = job.payload.get("task_id").and_then(|t| t.as_str()) else {
            return Err(JobFailure::permanent("job payload has no task_id"));
        };
        match self.run_task(task_id) {
            Ok(()) => Ok(()),
            Err(RunError::Permanent(message)) => {
                self.fail_task(task_id, &message);
                Err(JobFailure::permanent(message))
            }
            Err(RunError::Storage(e)) => {
                let message = format!("Storage error while generating: {e}");
                if job.attempts >= job.max_attempts {
                    self.fail_task(task_id, &message);
                } else {
                    // Back to pending until the next attempt.
                    let _ = self
                        .db
                        .conn()
                        .map(|mut c| repo::set_task(&mut c, task_id, TaskStatus::Pending.as_str(), 0.0, None, now()));
                }
                Err(JobFailure::retry(message))
            }
        }
    }
}
