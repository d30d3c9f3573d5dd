//! Storage of privacy requests, identity digests, execution logs and checkpoints.

use chrono::NaiveDateTime;
use db::DbConn;
use db::schema::{
    execution_logs, manual_request_inputs, privacy_request_checkpoints, privacy_request_identities,
    privacy_request_verifications, privacy_requests,
};
use diesel::prelude::*;

use super::model::{LogStatus, RequestFilter, RequestId, RequestStatus, SortDirection, SortField};
use crate::policy::ActionType;

db::id_type!(
    /// An execution log entry's id.
    LogId,
    "exe"
);

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = privacy_requests)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RequestRow {
    pub(crate) id: RequestId,
    pub(crate) external_id: Option<String>,
    pub(crate) status: RequestStatus,
    pub(crate) policy_id: crate::policy::repo::PolicyId,
    pub(crate) identity: Vec<u8>,
    pub(crate) encryption_key: Option<Vec<u8>>,
    pub(crate) source: Option<String>,
    pub(crate) submitted_by: Option<String>,
    pub(crate) requested_at: NaiveDateTime,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) started_processing_at: Option<NaiveDateTime>,
    pub(crate) finished_processing_at: Option<NaiveDateTime>,
    pub(crate) failed_step: Option<String>,
    pub(crate) failed_collection: Option<String>,
    pub(crate) result_files: Option<String>,
    pub(crate) reviewed_at: Option<NaiveDateTime>,
    pub(crate) reviewed_by: Option<String>,
    pub(crate) deny_reason: Option<String>,
    pub(crate) identity_verified_at: Option<NaiveDateTime>,
    pub(crate) canceled_at: Option<NaiveDateTime>,
    pub(crate) cancel_reason: Option<String>,
    pub(crate) masking_secrets: Option<Vec<u8>>,
    pub(crate) paused_at: Option<NaiveDateTime>,
    pub(crate) paused_webhook_id: Option<String>,
    pub(crate) pre_webhooks_after: Option<i32>,
    pub(crate) pre_webhooks_done: bool,
    pub(crate) derived_identity: Option<Vec<u8>>,
    pub(crate) data_purged_at: Option<NaiveDateTime>,
    pub(crate) custom_fields: Option<Vec<u8>>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = execution_logs)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct LogRow {
    pub(crate) id: LogId,
    pub(crate) privacy_request_id: RequestId,
    pub(crate) seq: i64,
    pub(crate) dataset_name: Option<String>,
    pub(crate) collection_name: Option<String>,
    pub(crate) connection_key: Option<String>,
    pub(crate) action_type: ActionType,
    pub(crate) status: LogStatus,
    pub(crate) message: Option<String>,
    pub(crate) fields_affected: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn insert_request(conn: &mut DbConn, row: &RequestRow, digests: &[(String, String)]) -> QueryResult<()> {
    diesel::insert_into(privacy_requests::table).values(row).execute(conn)?;
    for (field, digest) in digests {
        diesel::insert_into(privacy_request_identities::table)
            .values((
                privacy_request_identities::privacy_request_id.eq(&row.id),
                privacy_request_identities::field_name.eq(field),
                privacy_request_identities::value_digest.eq(digest),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub(crate) fn find_request(conn: &mut DbConn, id: &str) -> QueryResult<Option<RequestRow>> {
    privacy_requests::table.find(id).select(RequestRow::as_select()).first(conn).optional()
}

/// Moves a request to in_processing if it is runnable; false when it is not (any more).
/// `started` is when processing first started (kept across retries and take-overs).
pub(crate) fn start_processing(
    conn: &mut DbConn,
    id: &str,
    at: NaiveDateTime,
    started: NaiveDateTime,
) -> QueryResult<bool> {
    let runnable = [RequestStatus::Pending, RequestStatus::Approved, RequestStatus::InProcessing].map(|s| s.as_str());
    let changed = diesel::update(privacy_requests::table.find(id).filter(privacy_requests::status.eq_any(runnable)))
        .set((
            privacy_requests::status.eq(RequestStatus::InProcessing),
            privacy_requests::updated_at.eq(at),
            privacy_requests::started_processing_at.eq(started),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Only a running request completes or fails: one canceled meanwhile stays canceled.
fn running(id: &str) -> InStatus<'_> {
    privacy_requests::table.find(id).filter(privacy_requests::status.eq(RequestStatus::InProcessing))
}

/// Whether request `id` is still executing (not canceled, say), as committed now.
pub(crate) fn is_running(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    Ok(running(id).select(privacy_requests::id).first::<String>(conn).optional()?.is_some())
}

/// Inside a write transaction: whether request `id` is still executing, holding it so that a
/// cancel waits until the transaction ends (PostgreSQL: a row lock; SQLite: the write
/// transaction already excludes every other writer).
///
/// Only for transactions that write nothing to Lethe's database: on PostgreSQL their commit
/// then does not wait for the WAL to reach the disk (`synchronous_commit = off` for this
/// transaction), since the row lock is all they hold and it needs no durability; one disk
/// flush saved per masking batch and per package publication.
pub(crate) fn lock_if_running(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    conn.relax_commit()?;
    let found = match conn {
        DbConn::Postgresql(pg) => {
            running(id).select(privacy_requests::id).for_update().first::<String>(pg).optional()?
        }
        DbConn::Sqlite(sqlite) => running(id).select(privacy_requests::id).first::<String>(sqlite).optional()?,
    };
    Ok(found.is_some())
}

pub(crate) fn finish(conn: &mut DbConn, id: &str, at: NaiveDateTime, files: &str) -> QueryResult<usize> {
    diesel::update(running(id))
        .set((
            privacy_requests::status.eq(RequestStatus::Complete),
            privacy_requests::finished_processing_at.eq(at),
            privacy_requests::updated_at.eq(at),
            privacy_requests::failed_step.eq(None::<String>),
            privacy_requests::failed_collection.eq(None::<String>),
            privacy_requests::result_files.eq(files),
        ))
        .execute(conn)
}

pub(crate) fn fail(
    conn: &mut DbConn,
    id: &str,
    at: NaiveDateTime,
    step: &str,
    collection: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(running(id))
        .set((
            privacy_requests::status.eq(RequestStatus::Error),
            privacy_requests::finished_processing_at.eq(at),
            privacy_requests::updated_at.eq(at),
            privacy_requests::failed_step.eq(step),
            privacy_requests::failed_collection.eq(collection),
        ))
        .execute(conn)
}

/// Moves a failed request back to in_processing; false when it was not in error.
pub(crate) fn restart(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let changed =
        diesel::update(privacy_requests::table.find(id).filter(privacy_requests::status.eq(RequestStatus::Error)))
            .set((
                privacy_requests::status.eq(RequestStatus::InProcessing),
                privacy_requests::updated_at.eq(at),
                privacy_requests::finished_processing_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    Ok(changed == 1)
}

/// The filtered request query; a macro because it is built twice (count and page).
macro_rules! filtered {
    ($filter:expr, $digest:expr) => {{
        let filter: &RequestFilter = $filter;
        let mut query = privacy_requests::table.into_boxed::<db::MultiBackend>();
        if let Some(part) = &filter.request_id {
            query = query.filter(privacy_requests::id.like(format!("%{}%", escape_like(part))).escape('\\'));
        }
        if !filter.status.is_empty() {
            query = query.filter(privacy_requests::status.eq_any(filter.status.iter().map(|s| s.as_str())));
        }
        if let Some(prefix) = &filter.external_id {
            query = query.filter(privacy_requests::external_id.like(format!("{}%", escape_like(prefix))).escape('\\'));
        }
        if let Some(digest) = $digest {
            query = query.filter(
                privacy_requests::id.eq_any(
                    privacy_request_identities::table
                        .filter(privacy_request_identities::value_digest.eq(digest))
                        .select(privacy_request_identities::privacy_request_id),
                ),
            );
        }
        if let Some(at) = filter.created_gt {
            query = query.filter(privacy_requests::created_at.gt(at.naive_utc()));
        }
        if let Some(at) = filter.created_lt {
            query = query.filter(privacy_requests::created_at.lt(at.naive_utc()));
        }
        if let Some(at) = filter.started_gt {
            query = query.filter(privacy_requests::started_processing_at.gt(at.naive_utc()));
        }
        if let Some(at) = filter.started_lt {
            query = query.filter(privacy_requests::started_processing_at.lt(at.naive_utc()));
        }
        let finished = [
            (RequestStatus::Complete, filter.completed_gt, filter.completed_lt),
            (RequestStatus::Error, filter.errored_gt, filter.errored_lt),
        ];
        for (status, gt, lt) in finished {
            if gt.is_some() || lt.is_some() {
                query = query.filter(privacy_requests::status.eq(status.as_str()));
            }
            if let Some(at) = gt {
                query = query.filter(privacy_requests::finished_processing_at.gt(at.naive_utc()));
            }
            if let Some(at) = lt {
                query = query.filter(privacy_requests::finished_processing_at.lt(at.naive_utc()));
            }
        }
        query
    }};
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub(crate) fn count_requests(conn: &mut DbConn, filter: &RequestFilter, digest: Option<&str>) -> QueryResult<i64> {
    filtered!(filter, digest).count().get_result(conn)
}

pub(crate) fn list_requests(
    conn: &mut DbConn,
    filter: &RequestFilter,
    digest: Option<&str>,
    window: db::Window,
) -> QueryResult<Vec<RequestRow>> {
    use privacy_requests as pr;
    let query = filtered!(filter, digest).select(RequestRow::as_select()).offset(window.offset).limit(window.limit);
    let asc = filter.sort_direction == SortDirection::Asc;
    macro_rules! sorted {
        ($column:expr) => {
            if asc { query.order(($column.asc(), pr::id.asc())) } else { query.order(($column.desc(), pr::id.desc())) }
        };
    }
    let query = match filter.sort_field {
        SortField::CreatedAt => sorted!(pr::created_at),
        SortField::RequestedAt => sorted!(pr::requested_at),
        SortField::StartedProcessingAt => sorted!(pr::started_processing_at),
        SortField::FinishedProcessingAt => sorted!(pr::finished_processing_at),
        SortField::Status => sorted!(pr::status),
        SortField::ExternalId => sorted!(pr::external_id),
        SortField::Id => {
            if asc {
                query.order(pr::id.asc())
            } else {
                query.order(pr::id.desc())
            }
        }
    };
    query.load(conn)
}

pub(crate) fn insert_logs(conn: &mut DbConn, rows: &[LogRow]) -> QueryResult<()> {
    match conn {
        // One statement for all rows: a round trip each would dominate a request's cost.
        DbConn::Postgresql(pg) if !rows.is_empty() => {
            diesel::insert_into(execution_logs::table).values(rows).execute(pg)?;
        }
        _ => {
            for row in rows {
                diesel::insert_into(execution_logs::table).values(row).execute(conn)?;
            }
        }
    }
    Ok(())
}

pub(crate) fn next_log_seq(conn: &mut DbConn, id: &str) -> QueryResult<i64> {
    let max: Option<i64> = execution_logs::table
        .filter(execution_logs::privacy_request_id.eq(id))
        .select(diesel::dsl::max(execution_logs::seq))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

/// One window of request `id`'s log, oldest first.
pub(crate) fn logs_page(conn: &mut DbConn, id: &str, window: db::Window) -> QueryResult<db::Page<LogRow>> {
    let total = execution_logs::table.filter(execution_logs::privacy_request_id.eq(id)).count().get_result(conn)?;
    let items = execution_logs::table
        .filter(execution_logs::privacy_request_id.eq(id))
        .order(execution_logs::seq.asc())
        .offset(window.offset)
        .limit(window.limit)
        .select(LogRow::as_select())
        .load(conn)?;
    Ok(db::Page { items, total })
}

pub(crate) fn logs_of(conn: &mut DbConn, ids: &[RequestId]) -> QueryResult<Vec<LogRow>> {
    execution_logs::table
        .filter(execution_logs::privacy_request_id.eq_any(ids))
        .order((execution_logs::privacy_request_id.asc(), execution_logs::seq.asc()))
        .select(LogRow::as_select())
        .load(conn)
}

pub(crate) fn save_checkpoint(conn: &mut DbConn, id: &str, sealed: &[u8], at: NaiveDateTime) -> QueryResult<()> {
    delete_checkpoint(conn, id)?;
    diesel::insert_into(privacy_request_checkpoints::table)
        .values((
            privacy_request_checkpoints::privacy_request_id.eq(id),
            privacy_request_checkpoints::results.eq(sealed),
            privacy_request_checkpoints::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn load_checkpoint(conn: &mut DbConn, id: &str) -> QueryResult<Option<Vec<u8>>> {
    privacy_request_checkpoints::table.find(id).select(privacy_request_checkpoints::results).first(conn).optional()
}

pub(crate) fn delete_checkpoint(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(privacy_request_checkpoints::table.find(id)).execute(conn)
}

/// Pauses a running request for webhook `webhook` (pre webhooks at or before `done` have run);
/// false when it was no longer running.
pub(crate) fn pause(
    conn: &mut DbConn,
    id: &str,
    webhook: &str,
    done: Option<i32>,
    derived: &[u8],
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(running(id))
        .set((
            privacy_requests::status.eq(RequestStatus::Paused),
            privacy_requests::updated_at.eq(at),
            privacy_requests::paused_at.eq(at),
            privacy_requests::paused_webhook_id.eq(webhook),
            privacy_requests::pre_webhooks_after.eq(done),
            privacy_requests::derived_identity.eq(derived),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The request `id` when in one status.
type InStatus<'a> = diesel::dsl::Filter<
    diesel::dsl::Find<privacy_requests::table, &'a str>,
    diesel::dsl::Eq<privacy_requests::status, RequestStatus>,
>;

/// The request `id` while webhook `webhook` holds it paused.
fn paused_by<'a>(
    id: &'a str,
    webhook: &'a str,
) -> diesel::dsl::Filter<InStatus<'a>, diesel::dsl::Eq<privacy_requests::paused_webhook_id, &'a str>> {
    privacy_requests::table
        .find(id)
        .filter(privacy_requests::status.eq(RequestStatus::Paused))
        .filter(privacy_requests::paused_webhook_id.eq(webhook))
}

/// Resumes a request webhook `webhook` paused: running again, pre webhooks after `position` still
/// to call; false when that webhook no longer holds it paused.
pub(crate) fn resume_paused(
    conn: &mut DbConn,
    id: &str,
    webhook: &str,
    position: i32,
    derived: &[u8],
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(paused_by(id, webhook))
        .set((
            privacy_requests::status.eq(RequestStatus::InProcessing),
            privacy_requests::updated_at.eq(at),
            privacy_requests::paused_webhook_id.eq(None::<String>),
            privacy_requests::pre_webhooks_after.eq(position),
            privacy_requests::derived_identity.eq(derived),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Fails a request webhook `webhook` still holds paused; false when it does not.
pub(crate) fn expire_pause(conn: &mut DbConn, id: &str, webhook: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(paused_by(id, webhook))
        .set((
            privacy_requests::status.eq(RequestStatus::Error),
            privacy_requests::updated_at.eq(at),
            privacy_requests::finished_processing_at.eq(at),
            privacy_requests::failed_step.eq("pre_webhooks"),
            privacy_requests::failed_collection.eq(None::<String>),
            privacy_requests::paused_webhook_id.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Records which pre webhooks have run (those at or before `done`) and what they derived.
pub(crate) fn save_webhook_progress(
    conn: &mut DbConn,
    id: &str,
    done: Option<i32>,
    derived: &[u8],
) -> QueryResult<usize> {
    let query = privacy_requests::table.find(id);
    match done {
        Some(done) => diesel::update(query)
            .set((privacy_requests::pre_webhooks_after.eq(done), privacy_requests::derived_identity.eq(derived)))
            .execute(conn),
        None => diesel::update(query).set(privacy_requests::derived_identity.eq(derived)).execute(conn),
    }
}

/// Records that every pre webhook has run.
pub(crate) fn finish_pre_webhooks(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::update(privacy_requests::table.find(id)).set(privacy_requests::pre_webhooks_done.eq(true)).execute(conn)
}

/// Moves a request from one of `from` to `to`; false when it was in none of them.
pub(crate) fn transition(
    conn: &mut DbConn,
    id: &str,
    from: &[RequestStatus],
    to: RequestStatus,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let changed = diesel::update(privacy_requests::table.find(id).filter(privacy_requests::status.eq_any(from)))
        .set((privacy_requests::status.eq(to.as_str()), privacy_requests::updated_at.eq(at)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Records a review (approval or denial) of a pending (or duplicate) request; false when it was
/// neither.
pub(crate) fn review(
    conn: &mut DbConn,
    id: &str,
    to: RequestStatus,
    by: &str,
    reason: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let reviewable = [RequestStatus::Pending, RequestStatus::Duplicate].map(|s| s.as_str());
    let changed = diesel::update(privacy_requests::table.find(id).filter(privacy_requests::status.eq_any(reviewable)))
        .set((
            privacy_requests::status.eq(to.as_str()),
            privacy_requests::updated_at.eq(at),
            privacy_requests::reviewed_at.eq(at),
            privacy_requests::reviewed_by.eq(by),
            privacy_requests::deny_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Cancels a request that has not ended; false when it had.
pub(crate) fn cancel(conn: &mut DbConn, id: &str, reason: Option<&str>, at: NaiveDateTime) -> QueryResult<bool> {
    let ended = [RequestStatus::Complete, RequestStatus::Denied, RequestStatus::Canceled, RequestStatus::Error]
        .map(|s| s.as_str());
    let changed = diesel::update(privacy_requests::table.find(id).filter(privacy_requests::status.ne_all(ended)))
        .set((
            privacy_requests::status.eq(RequestStatus::Canceled),
            privacy_requests::updated_at.eq(at),
            privacy_requests::canceled_at.eq(at),
            privacy_requests::cancel_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Marks the identity of an unverified request verified; false when it was not unverified.
pub(crate) fn mark_verified(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    // A duplicate marked before its subject verified it can still be verified.
    let verifiable = [RequestStatus::IdentityUnverified, RequestStatus::Duplicate].map(|s| s.as_str());
    let changed = diesel::update(
        privacy_requests::table
            .find(id)
            .filter(privacy_requests::status.eq_any(verifiable))
            .filter(privacy_requests::identity_verified_at.is_null()),
    )
    .set((
        privacy_requests::status.eq(RequestStatus::Pending),
        privacy_requests::updated_at.eq(at),
        privacy_requests::identity_verified_at.eq(at),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub(crate) fn save_masking_secrets(conn: &mut DbConn, id: &str, sealed: &[u8]) -> QueryResult<usize> {
    diesel::update(privacy_requests::table.find(id)).set(privacy_requests::masking_secrets.eq(sealed)).execute(conn)
}

/// A verification code as stored.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = privacy_request_verifications)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct VerificationRow {
    pub(crate) privacy_request_id: String,
    pub(crate) code_digest: String,
    pub(crate) expires_at: NaiveDateTime,
    pub(crate) failed_attempts: i32,
    pub(crate) created_at: NaiveDateTime,
}

pub(crate) fn insert_verification(conn: &mut DbConn, row: &VerificationRow) -> QueryResult<()> {
    diesel::insert_into(privacy_request_verifications::table).values(row).execute(conn)?;
    Ok(())
}

pub(crate) fn find_verification(conn: &mut DbConn, id: &str) -> QueryResult<Option<VerificationRow>> {
    privacy_request_verifications::table.find(id).select(VerificationRow::as_select()).first(conn).optional()
}

pub(crate) fn count_failed_attempt(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::update(privacy_request_verifications::table.find(id))
        .set(privacy_request_verifications::failed_attempts.eq(privacy_request_verifications::failed_attempts + 1))
        .execute(conn)
}

pub(crate) fn delete_verification(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(privacy_request_verifications::table.find(id)).execute(conn)
}

/// Manual input of one request for one connection (sealed JSON object).
pub(crate) fn save_manual_input(
    conn: &mut DbConn,
    request_id: &str,
    connection_id: &str,
    sealed: &[u8],
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(manual_request_inputs::table.find((request_id, connection_id))).execute(conn)?;
    diesel::insert_into(manual_request_inputs::table)
        .values((
            manual_request_inputs::privacy_request_id.eq(request_id),
            manual_request_inputs::connection_id.eq(connection_id),
            manual_request_inputs::data.eq(sealed),
            manual_request_inputs::created_at.eq(at),
            manual_request_inputs::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A sealed manual input: (connection id, connection key, data).
pub(crate) type ManualInputRow = (String, String, Vec<u8>);

/// Sealed manual inputs of a request, by connection key.
pub(crate) fn manual_inputs_of(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<ManualInputRow>> {
    use db::schema::connections;
    manual_request_inputs::table
        .inner_join(connections::table)
        .filter(manual_request_inputs::privacy_request_id.eq(request_id))
        .order(connections::key.asc())
        .select((manual_request_inputs::connection_id, connections::key, manual_request_inputs::data))
        .load(conn)
}

/// The 404 of a privacy request.
pub(crate) fn not_found(id: &str) -> crate::DsrError {
    crate::DsrError::NotFound(format!("No privacy request found with id '{id}'."))
}

/// Request `id`, or a 404.
pub(crate) fn request_row(conn: &mut DbConn, id: &str) -> crate::Result<RequestRow> {
    find_request(conn, id)?.ok_or_else(|| not_found(id))
}

/// A stored package file: the access rule it is for and its file name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ResultFile {
    pub(crate) rule: String,
    pub(crate) file: String,
}

/// The package files stored for a request.
pub(crate) fn result_files(row: &RequestRow) -> crate::Result<Vec<ResultFile>> {
    match row.result_files.as_deref() {
        Some(json) => Ok(db::stored_json(json, &format!("result files of {}", row.id))?),
        None => Ok(Vec::new()),
    }
}

/// The identity digests of request `id`, by field.
pub(crate) fn identity_digests_of(conn: &mut DbConn, id: &str) -> QueryResult<Vec<(String, String)>> {
    privacy_request_identities::table
        .filter(privacy_request_identities::privacy_request_id.eq(id))
        .select((privacy_request_identities::field_name, privacy_request_identities::value_digest))
        .load(conn)
}

/// The requests whose identity has `digest` for `field`.
pub(crate) fn requests_with_digest(conn: &mut DbConn, field: &str, digest: &str) -> QueryResult<Vec<String>> {
    privacy_request_identities::table
        .filter(privacy_request_identities::value_digest.eq(digest))
        .filter(privacy_request_identities::field_name.eq(field))
        .select(privacy_request_identities::privacy_request_id)
        .load(conn)
}

/// What duplicate detection reads of a request: id, status, created, verified.
pub(crate) type DuplicateFacts = (String, RequestStatus, NaiveDateTime, Option<NaiveDateTime>);

/// Of the requests `ids`, those of `policy_id` created at or after `since`.
pub(crate) fn duplicate_facts(
    conn: &mut DbConn,
    ids: &[String],
    policy_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<DuplicateFacts>> {
    privacy_requests::table
        .filter(privacy_requests::id.eq_any(ids))
        .filter(privacy_requests::policy_id.eq(policy_id))
        .filter(privacy_requests::created_at.ge(since))
        .select((
            privacy_requests::id,
            privacy_requests::status,
            privacy_requests::created_at,
            privacy_requests::identity_verified_at,
        ))
        .load(conn)
}

/// Sets request `id` to `to` if its status is one of `from`; false when it was not.
pub(crate) fn move_status(conn: &mut DbConn, id: &str, from: &[RequestStatus], to: RequestStatus) -> QueryResult<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let changed = diesel::update(privacy_requests::table.find(id).filter(privacy_requests::status.eq_any(from)))
        .set((privacy_requests::status.eq(to), privacy_requests::updated_at.eq(db::now())))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Serialises, until the transaction ends, the transactions deciding about one identity and
/// policy (`key`): on PostgreSQL a transaction-scoped advisory lock; SQLite runs one write
/// transaction at a time anyway.
pub(crate) fn lock_identity(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(pg) => {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(pg)?;
        }
        DbConn::Sqlite(_) => {}
    }
    Ok(())
}

/// Deletes what request `id` holds of its subject once its results expired (call in a
/// transaction, after its files are deleted): checkpoint, manual uploads, identity digests, the
/// sealed identities (replaced by `empty_identity`) and keys; marks it purged at `at`. False
/// when it was purged before.
pub(crate) fn purge(conn: &mut DbConn, id: &str, empty_identity: &[u8], at: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(privacy_requests::table.find(id).filter(privacy_requests::data_purged_at.is_null()))
        .set((
            privacy_requests::identity.eq(empty_identity),
            privacy_requests::derived_identity.eq(None::<Vec<u8>>),
            privacy_requests::encryption_key.eq(None::<Vec<u8>>),
            privacy_requests::masking_secrets.eq(None::<Vec<u8>>),
            privacy_requests::custom_fields.eq(None::<Vec<u8>>),
            privacy_requests::data_purged_at.eq(at),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    diesel::delete(privacy_request_checkpoints::table.find(id)).execute(conn)?;
    diesel::delete(manual_request_inputs::table.filter(manual_request_inputs::privacy_request_id.eq(id)))
        .execute(conn)?;
    diesel::delete(privacy_request_identities::table.filter(privacy_request_identities::privacy_request_id.eq(id)))
        .execute(conn)?;
    delete_verification(conn, id)?;
    Ok(true)
}

/// Up to `limit` complete requests finished before `before` whose results are not yet deleted.
pub(crate) fn expired_unpurged(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    privacy_requests::table
        .filter(privacy_requests::status.eq(RequestStatus::Complete))
        .filter(privacy_requests::data_purged_at.is_null())
        .filter(privacy_requests::finished_processing_at.lt(before))
        .select(privacy_requests::id)
        .order(privacy_requests::finished_processing_at.asc())
        .limit(limit)
        .load(conn)
}
