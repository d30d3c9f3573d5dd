//! Manual input: a request whose policy has access rules waits in `requires_input` until every
//! enabled `manual_request` connection with fields has an upload of what a person found; the
//! uploads (sealed) go into the access package under the connection's key.

use db::{Database, DbConn};
use serde_json::{Map, Value};
use validation::{Loc, Problem};

use super::log::{self, Log, MANUAL};
use super::model::{LogStatus, PrivacyRequest, RequestStatus};
use super::queue::Queue;
use super::repo::{self, ManualInputRow};
use super::vault::Vault;
use super::view;
use crate::error::{DsrError, Result};
use crate::manual::repo as fields_repo;
use crate::manual::{ManualField, ManualInput, labels};

/// Stores and reads manual input, and resumes requests that waited for it.
#[derive(Clone)]
pub(crate) struct ManualInputs {
    db: Database,
    vault: Vault,
    queue: Queue,
}

/// The manual request connection `key`: its id and fields.
fn fields_of(conn: &mut DbConn, key: &str) -> Result<(String, Vec<ManualField>)> {
    let (id, request) = fields_repo::manual_request(conn, key)?;
    Ok((id, request.fields))
}

fn as_input(fields: &[ManualField], data: Option<Map<String, Value>>) -> ManualInput {
    let checked = data.is_some();
    let data = data.unwrap_or_default();
    let fields = labels(fields).map(|l| (l.to_owned(), data.get(l).cloned().unwrap_or(Value::Null))).collect();
    ManualInput { checked, fields }
}

/// What is wrong with an upload for fields with `labels` of connection `key`.
fn problems(data: &Map<String, Value>, labels: &[&str], key: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (label, value) in data {
        if !labels.contains(&label.as_str()) {
            problems.push(Problem::new(
                vec![Loc::Key(label.clone())],
                format!(
                    "Extra inputs are not permitted: '{label}' is not a label of {key} (labels: {})",
                    labels.join(", ")
                ),
            ));
        } else if matches!(value, Value::Object(_) | Value::Array(_)) {
            problems
                .push(Problem::new(vec![Loc::Key(label.clone())], "Input should be a string, number, boolean or null"));
        }
    }
    problems
}

impl ManualInputs {
    pub(crate) fn new(db: Database, vault: Vault, queue: Queue) -> ManualInputs {
        ManualInputs { db, vault, queue }
    }

    /// Stores what a person found in connection `key` for request `id` (in `requires_input`).
    pub(crate) fn store(&self, id: &str, key: &str, data: Map<String, Value>) -> Result<ManualInput> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = repo::request_row(c, id)?;
            let (connection_id, fields) = fields_of(c, key)?;
            if row.status != RequestStatus::RequiresInput {
                return Err(DsrError::BadRequest(format!(
                    "Invalid access manual request upload: privacy request '{id}' status = {}.",
                    row.status
                )));
            }
            let labels: Vec<&str> = labels(&fields).collect();
            let problems = problems(&data, &labels, key);
            if !problems.is_empty() {
                return Err(DsrError::Invalid(problems));
            }
            repo::save_manual_input(c, id, &connection_id, &self.vault.seal_json(&data)?, db::now())?;
            Ok(as_input(&fields, Some(data)))
        })
    }

    /// What was uploaded for request `id` and connection `key`.
    pub(crate) fn read(&self, id: &str, key: &str) -> Result<ManualInput> {
        let mut conn = self.db.conn()?;
        repo::request_row(&mut conn, id)?;
        let (connection_id, fields) = fields_of(&mut conn, key)?;
        let sealed = repo::manual_inputs_of(&mut conn, id)?.into_iter().find(|(c, _, _)| *c == connection_id);
        let data = sealed.map(|(_, _, s)| self.vault.open_json(&s, "manual input")).transpose()?;
        Ok(as_input(&fields, data))
    }

    /// Keys of the enabled manual request connections without an upload among `uploaded`.
    pub(crate) fn missing(conn: &mut DbConn, uploaded: &[ManualInputRow]) -> Result<Vec<String>> {
        let mut missing = Vec::new();
        for (connection, fields) in fields_repo::enabled_manual_requests(conn)? {
            if !fields_repo::parse_manual_fields(&fields)?.is_empty()
                && !uploaded.iter().any(|(c, _, _)| connection.id == c.as_str())
            {
                missing.push(connection.key);
            }
        }
        Ok(missing)
    }

    /// The uploads of a request as package entries, by connection key.
    pub(crate) fn package_entries(&self, uploaded: &[ManualInputRow]) -> Result<Vec<(String, Value)>> {
        uploaded
            .iter()
            .map(|(_, key, sealed)| {
                let data: Map<String, Value> = self.vault.open_json(sealed, "manual input")?;
                let rows = if data.is_empty() { Vec::new() } else { vec![Value::Object(data)] };
                Ok((key.clone(), Value::Array(rows)))
            })
            .collect()
    }

    /// Resumes request `id` from `requires_input` once every manual request has its upload.
    pub(crate) fn resume(&self, id: &str) -> Result<PrivacyRequest> {
        let mut conn = self.db.conn()?;
        let resumed = conn.write_transaction(|c| -> Result<PrivacyRequest> {
            let row = repo::request_row(c, id)?;
            if row.status != RequestStatus::RequiresInput {
                return Err(DsrError::BadRequest(format!(
                    "Cannot resume privacy request from requires_input: privacy request '{id}' status = {}.",
                    row.status
                )));
            }
            let uploaded = repo::manual_inputs_of(c, id)?;
            let missing = Self::missing(c, &uploaded)?;
            if !missing.is_empty() {
                return Err(DsrError::BadRequest(format!(
                    "Cannot resume privacy request '{id}': manual input is still missing for {}",
                    missing.join(", ")
                )));
            }
            repo::transition(c, id, &[RequestStatus::RequiresInput], RequestStatus::InProcessing, db::now())?;
            let entry =
                Log::status(MANUAL, LogStatus::InProcessing, "Resumed with the uploaded manual input".to_owned());
            log::append(c, id, vec![entry])?;
            // The answer shows the request as resumed, whatever a worker does next.
            let resumed = view::one(c, &self.vault, id)?;
            self.queue.enqueue(c, id)?;
            Ok(resumed)
        })?;
        self.queue.notify();
        Ok(resumed)
    }

    /// Parks a running request in `requires_input`; false when it was no longer running.
    pub(crate) fn wait_for_input(&self, id: &str, missing: &[String]) -> Result<bool> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            if !repo::transition(c, id, &[RequestStatus::InProcessing], RequestStatus::RequiresInput, db::now())? {
                return Ok(false);
            }
            let message = format!("Waiting for manual input: {}", missing.join(", "));
            log::append(c, id, vec![Log::status(MANUAL, LogStatus::RequiresInput, message)])?;
            Ok(true)
        })
    }
}
