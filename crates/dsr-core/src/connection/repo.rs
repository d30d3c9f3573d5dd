//! Connection rows and queries.

use chrono::NaiveDateTime;
use db::schema::connections;
use db::{DbConn, Page, Window};
use diesel::prelude::*;

use super::model::{AccessLevel, ConnectionType};
use crate::error::{DsrError, Result};

db::id_type!(
    /// A connection's id.
    ConnectionId,
    "con"
);

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = connections)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct ConnectionRow {
    pub(crate) id: ConnectionId,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) connection_type: ConnectionType,
    pub(crate) access: AccessLevel,
    pub(crate) disabled: bool,
    pub(crate) description: Option<String>,
    pub(crate) secrets: Option<Vec<u8>>,
    pub(crate) saas_config: Option<String>,
    pub(crate) last_test_at: Option<NaiveDateTime>,
    pub(crate) last_test_succeeded: Option<bool>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn find_connection(conn: &mut DbConn, key: &str) -> QueryResult<Option<ConnectionRow>> {
    connections::table.filter(connections::key.eq(key)).select(ConnectionRow::as_select()).first(conn).optional()
}

/// The connection `id` (a row another one names: its absence is corruption).
pub(crate) fn find_connection_by_id(conn: &mut DbConn, id: &ConnectionId) -> Result<ConnectionRow> {
    connections::table
        .find(id)
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DsrError::Db(db::DbError::Corrupt(format!("connection {id} is missing"))))
}

/// One window of the connections, by key.
pub(crate) fn list_connections(conn: &mut DbConn, window: Window) -> QueryResult<Page<ConnectionRow>> {
    let total = connections::table.count().get_result(conn)?;
    let items = connections::table
        .select(ConnectionRow::as_select())
        .order(connections::key.asc())
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

pub(crate) fn save_connection(conn: &mut DbConn, row: &ConnectionRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(connections::table.filter(connections::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(connections::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_connection(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(connections::table.filter(connections::id.eq(id))).execute(conn)
}

pub(crate) fn record_test(conn: &mut DbConn, id: &str, succeeded: bool) -> QueryResult<usize> {
    diesel::update(connections::table.filter(connections::id.eq(id)))
        .set((connections::last_test_at.eq(Some(db::now())), connections::last_test_succeeded.eq(Some(succeeded))))
        .execute(conn)
}

/// The connection `key`, or a 404.
pub(crate) fn connection_row(conn: &mut DbConn, key: &str) -> Result<ConnectionRow> {
    find_connection(conn, key)?.ok_or_else(|| DsrError::NotFound(format!("No connection config with key '{key}'")))
}

/// The connection `key`, which must be of type `manual_request` (400 otherwise).
pub(crate) fn manual_connection(conn: &mut DbConn, key: &str) -> Result<ConnectionRow> {
    let row = connection_row(conn, key)?;
    if row.connection_type != ConnectionType::ManualRequest {
        return Err(DsrError::BadRequest(format!(
            "Connection config with key '{key}' is of type {}, not manual_request",
            row.connection_type
        )));
    }
    Ok(row)
}
