//! A request's execution log: entries are built as a step runs and stored with its outcome, in
//! the same transaction, after the entries the request already has.

use db::DbConn;

use super::model::{FieldAffected, LogStatus, RequestId};
use super::repo::{self, LogId, LogRow};
use crate::error::Result;
use crate::graph::Address;
use crate::policy::ActionType;

/// Name under which traversal problems are logged (as Fides).
pub(crate) const TRAVERSAL: &str = "Dataset traversal";
/// Name under which a request's execution as a whole is logged (cancel, give-up).
pub(crate) const EXECUTION: &str = "Request execution";
/// Name under which upload problems are logged.
pub(crate) const UPLOAD: &str = "Access package upload";
/// Name under which reviews are logged.
pub(crate) const REVIEW: &str = "Request review";
/// Name under which policy webhook calls are logged.
pub(crate) const WEBHOOKS: &str = "Policy webhooks";

/// Name under which duplicate detection is logged (as Fides).
pub(crate) const DUPLICATES: &str = "Duplicate Request Detection";

/// Name under which the deletion of expired results is logged.
pub(crate) const RETENTION: &str = "Result retention";

/// Name under which emails to the subject are logged.
pub(crate) const MESSAGES: &str = "Subject messages";

/// Name under which waiting for manual input is logged.
pub(crate) const MANUAL: &str = "Manual input";

/// One log entry before it is stored.
pub(crate) struct Log {
    dataset: String,
    collection: Option<String>,
    connection: Option<String>,
    status: LogStatus,
    message: String,
    fields: Vec<FieldAffected>,
    action: ActionType,
}

impl Log {
    /// An entry about one collection (`connection` holds it).
    pub(crate) fn collection(
        address: &Address,
        connection: Option<String>,
        status: LogStatus,
        message: String,
        action: ActionType,
    ) -> Log {
        Log {
            dataset: address.dataset.clone(),
            collection: Some(address.collection.clone()),
            connection,
            status,
            message,
            fields: Vec::new(),
            action,
        }
    }

    /// A failure under `dataset` (a collection's dataset, or a step name such as
    /// [`TRAVERSAL`]).
    pub(crate) fn error(dataset: &str, collection: Option<String>, connection: Option<String>, message: String) -> Log {
        Log {
            dataset: dataset.to_owned(),
            collection,
            connection,
            status: LogStatus::Error,
            message,
            fields: Vec::new(),
            action: ActionType::Access,
        }
    }

    /// An entry about the request as a whole (review, manual input), under `name`.
    pub(crate) fn status(name: &str, status: LogStatus, message: String) -> Log {
        Log {
            dataset: name.to_owned(),
            collection: None,
            connection: None,
            status,
            message,
            fields: Vec::new(),
            action: ActionType::Access,
        }
    }

    /// The entry with the fields the step returned or changed.
    pub(crate) fn with_fields(mut self, fields: Vec<FieldAffected>) -> Log {
        self.fields = fields;
        self
    }

    /// The entry with `message` instead of the one it was made with.
    pub(crate) fn with_message(mut self, message: String) -> Log {
        self.message = message;
        self
    }

    /// The entry, logged under step `action`.
    pub(crate) fn in_step(mut self, action: ActionType) -> Log {
        self.action = action;
        self
    }
}

/// Stores `logs` after the entries request `id` already has.
pub(crate) fn append(conn: &mut DbConn, id: &str, logs: Vec<Log>) -> Result<()> {
    let first = repo::next_log_seq(conn, id)?;
    let at = db::now();
    let rows = logs
        .into_iter()
        .zip(first..)
        .map(|(log, seq)| {
            Ok(LogRow {
                id: LogId::new(),
                privacy_request_id: RequestId::from(id.to_owned()),
                seq,
                dataset_name: Some(log.dataset),
                collection_name: log.collection,
                connection_key: log.connection,
                action_type: log.action,
                status: log.status,
                message: Some(log.message),
                fields_affected: serde_json::to_string(&log.fields)
                    .map_err(|e| crate::DsrError::BadRequest(e.to_string()))?,
                created_at: at,
                updated_at: at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    repo::insert_logs(conn, &rows)?;
    Ok(())
}
