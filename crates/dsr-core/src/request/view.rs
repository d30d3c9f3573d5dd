//! Requests as the API shows them: rows with their policies (and, when asked, identities and
//! logs by dataset), loaded once for a whole page.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use db::DbConn;
use serde_json::{Map, Value};

use super::model::{ActionRequiredDetails, ExecutionLog, PrivacyRequest, RequestId, RequestStatus};
use super::repo::{self, LogRow, RequestRow};
use super::vault::Vault;
use crate::error::{DsrError, Result};
use crate::policy::Policy;
use crate::policy::repo::{self as policy_repo, PolicyId};

/// Responses for request rows: policies (and when `verbose`, logs) loaded once for all.
pub(crate) fn respond(
    conn: &mut DbConn,
    vault: &Vault,
    rows: Vec<RequestRow>,
    verbose: bool,
    include_identities: bool,
) -> Result<Vec<PrivacyRequest>> {
    let mut ids: Vec<PolicyId> = rows.iter().map(|r| r.policy_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let policy_rows = policy_repo::policies_by_ids(conn, &ids)?;
    let policy_ids: Vec<PolicyId> = policy_rows.iter().map(|p| p.id.clone()).collect();
    let policies: HashMap<PolicyId, Policy> =
        policy_ids.into_iter().zip(policy_repo::assemble_policies(conn, policy_rows)?).collect();
    let mut logs: HashMap<RequestId, Vec<ExecutionLog>> = HashMap::new();
    if verbose {
        let request_ids: Vec<RequestId> = rows.iter().map(|r| r.id.clone()).collect();
        for row in repo::logs_of(conn, &request_ids)? {
            logs.entry(row.privacy_request_id.clone()).or_default().push(to_log(row)?);
        }
    }
    rows.into_iter()
        .map(|row| {
            let policy = policies
                .get(&row.policy_id)
                .cloned()
                .ok_or_else(|| DsrError::Db(db::DbError::Corrupt(format!("policy of privacy request {}", row.id))))?;
            let (identity, custom) = match include_identities {
                true => {
                    let custom = row
                        .custom_fields
                        .as_ref()
                        .map(|sealed| {
                            vault.open_json::<Map<String, Value>>(sealed, &format!("custom fields of {}", row.id))
                        })
                        .transpose()?;
                    (Some(vault.open_identity(&row)?.to_response()), custom)
                }
                false => (None, None),
            };
            let results = verbose.then(|| {
                let mut by_dataset: BTreeMap<String, Vec<ExecutionLog>> = BTreeMap::new();
                for log in logs.remove(&row.id).unwrap_or_default() {
                    by_dataset.entry(log.dataset_name.clone().unwrap_or_default()).or_default().push(log);
                }
                by_dataset
            });
            Ok(to_response(row, policy, identity, custom, results))
        })
        .collect()
}

/// Request `id` as the API shows it, read in the caller's transaction.
pub(crate) fn one(conn: &mut DbConn, vault: &Vault, id: &str) -> Result<PrivacyRequest> {
    let row = repo::request_row(conn, id)?;
    respond(conn, vault, vec![row], false, false)?.pop().ok_or_else(|| repo::not_found(id))
}

/// A stored log entry as the API shows it.
pub(crate) fn to_log(row: LogRow) -> Result<ExecutionLog> {
    Ok(ExecutionLog {
        status: row.status.as_str().to_owned(),
        dataset_name: row.dataset_name,
        collection_name: row.collection_name,
        connection_key: row.connection_key,
        fields_affected: db::stored_json(&row.fields_affected, "execution log fields")?,
        message: row.message,
        action_type: row.action_type,
        updated_at: db::utc(row.updated_at),
    })
}

fn to_response(
    row: RequestRow,
    policy: Policy,
    identity: Option<Map<String, Value>>,
    custom_privacy_request_fields: Option<Map<String, Value>>,
    results: Option<BTreeMap<String, Vec<ExecutionLog>>>,
) -> PrivacyRequest {
    let status = row.status;
    let days_left = policy.execution_timeframe.map(|days| {
        let due = db::utc(row.requested_at) + chrono::Duration::days(i64::from(days));
        (due - Utc::now()).num_days()
    });
    let failed = status == RequestStatus::Error;
    PrivacyRequest {
        status,
        external_id: row.external_id,
        created_at: db::utc(row.created_at),
        requested_at: db::utc(row.requested_at),
        started_processing_at: row.started_processing_at.map(db::utc),
        finished_processing_at: row.finished_processing_at.map(db::utc),
        reviewed_at: row.reviewed_at.map(db::utc),
        reviewed_by: row.reviewed_by,
        submitted_by: row.submitted_by,
        identity_verified_at: row.identity_verified_at.map(db::utc),
        paused_at: row.paused_at.map(db::utc),
        data_purged_at: row.data_purged_at.map(db::utc),
        deny_reason: row.deny_reason,
        canceled_at: row.canceled_at.map(db::utc),
        cancel_reason: row.cancel_reason,
        source: row.source,
        days_left,
        policy,
        action_required_details: failed.then(|| ActionRequiredDetails {
            step: row.failed_step.clone().unwrap_or_else(|| "access".to_owned()),
            collection: row.failed_collection.clone(),
            action_needed: None,
        }),
        resume_endpoint: match status {
            RequestStatus::Error => Some(format!("/privacy-request/{}/retry", row.id)),
            RequestStatus::RequiresInput => Some(format!("/privacy-request/{}/resume_from_requires_input", row.id)),
            RequestStatus::Paused => Some(format!("/privacy-request/{}/resume", row.id)),
            _ => None,
        },
        custom_privacy_request_fields,
        identity,
        results,
        id: row.id.into(),
    }
}
