//! Policy webhook rows and queries.

use chrono::NaiveDateTime;
use db::DbConn;
use db::schema::{connections, policy_webhooks};
use diesel::prelude::*;

use super::model::{WebhookDirection, WebhookTiming};
use crate::connection::repo::{ConnectionId, ConnectionRow};
use crate::policy::repo::PolicyId;

db::id_type!(
    /// A policy webhook's id.
    WebhookId,
    "pwh"
);

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = policy_webhooks)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct WebhookRow {
    pub(crate) id: WebhookId,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) policy_id: PolicyId,
    pub(crate) connection_id: ConnectionId,
    pub(crate) timing: WebhookTiming,
    pub(crate) direction: WebhookDirection,
    pub(crate) position: i32,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

/// The webhooks of a policy at `timing`, in call order, each with its connection.
pub(crate) fn webhooks_of(
    conn: &mut DbConn,
    policy: &PolicyId,
    timing: WebhookTiming,
) -> QueryResult<Vec<(WebhookRow, ConnectionRow)>> {
    policy_webhooks::table
        .inner_join(connections::table)
        .filter(policy_webhooks::policy_id.eq(policy))
        .filter(policy_webhooks::timing.eq(timing))
        .order(policy_webhooks::position.asc())
        .select((WebhookRow::as_select(), ConnectionRow::as_select()))
        .load(conn)
}

/// Every webhook of a policy, each with its connection, by timing then call order.
pub(crate) fn all_webhooks_of(conn: &mut DbConn, policy: &PolicyId) -> QueryResult<Vec<(WebhookRow, ConnectionRow)>> {
    policy_webhooks::table
        .inner_join(connections::table)
        .filter(policy_webhooks::policy_id.eq(policy))
        .order((policy_webhooks::timing.asc(), policy_webhooks::position.asc()))
        .select((WebhookRow::as_select(), ConnectionRow::as_select()))
        .load(conn)
}

/// The webhook `key` at `timing`, of any policy (keys are unique per timing).
pub(crate) fn find_by_key(conn: &mut DbConn, timing: WebhookTiming, key: &str) -> QueryResult<Option<WebhookRow>> {
    policy_webhooks::table
        .filter(policy_webhooks::timing.eq(timing))
        .filter(policy_webhooks::key.eq(key))
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// The webhook `id`.
pub(crate) fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<WebhookRow>> {
    policy_webhooks::table.find(id).select(WebhookRow::as_select()).first(conn).optional()
}

pub(crate) fn insert(conn: &mut DbConn, row: &WebhookRow) -> QueryResult<usize> {
    diesel::insert_into(policy_webhooks::table).values(row).execute(conn)
}

pub(crate) fn update(conn: &mut DbConn, row: &WebhookRow) -> QueryResult<usize> {
    diesel::update(policy_webhooks::table.find(&row.id)).set(row).execute(conn)
}

pub(crate) fn delete(conn: &mut DbConn, id: &WebhookId) -> QueryResult<usize> {
    diesel::delete(policy_webhooks::table.find(id)).execute(conn)
}

/// Deletes the webhooks of a policy at `timing` whose ids are not in `keep`.
pub(crate) fn delete_others(
    conn: &mut DbConn,
    policy: &PolicyId,
    timing: WebhookTiming,
    keep: &[WebhookId],
) -> QueryResult<usize> {
    diesel::delete(
        policy_webhooks::table
            .filter(policy_webhooks::policy_id.eq(policy))
            .filter(policy_webhooks::timing.eq(timing))
            .filter(policy_webhooks::id.ne_all(keep)),
    )
    .execute(conn)
}
