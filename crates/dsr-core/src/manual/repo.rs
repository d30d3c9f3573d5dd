//! Manual request fields: stored per `manual_request` connection as JSON.

use chrono::NaiveDateTime;
use db::DbConn;
use db::schema::connections;
use diesel::prelude::*;

use super::model::{ManualField, ManualRequest};
use crate::connection::model::ConnectionType;
use crate::connection::repo::ConnectionRow;
use crate::error::{DsrError, Result};

/// The fields of a manual request connection (JSON), with when they were set.
pub(crate) fn find_manual_fields(
    conn: &mut DbConn,
    connection_id: &str,
) -> QueryResult<Option<(String, NaiveDateTime, NaiveDateTime)>> {
    use db::schema::manual_request_fields as m;
    m::table.find(connection_id).select((m::fields, m::created_at, m::updated_at)).first(conn).optional()
}

pub(crate) fn save_manual_fields(
    conn: &mut DbConn,
    connection_id: &str,
    fields: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    use db::schema::manual_request_fields as m;
    let updated =
        diesel::update(m::table.find(connection_id)).set((m::fields.eq(fields), m::updated_at.eq(at))).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(m::table)
            .values((
                m::connection_id.eq(connection_id),
                m::fields.eq(fields),
                m::created_at.eq(at),
                m::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub(crate) fn delete_manual_fields(conn: &mut DbConn, connection_id: &str) -> QueryResult<usize> {
    use db::schema::manual_request_fields as m;
    diesel::delete(m::table.find(connection_id)).execute(conn)
}

/// Enabled manual request connections that ask for fields, with their fields (JSON), by key.
pub(crate) fn enabled_manual_requests(conn: &mut DbConn) -> QueryResult<Vec<(ConnectionRow, String)>> {
    use db::schema::manual_request_fields as m;
    m::table
        .inner_join(connections::table)
        .filter(connections::disabled.eq(false))
        .filter(connections::connection_type.eq(ConnectionType::ManualRequest))
        .order(connections::key.asc())
        .select((ConnectionRow::as_select(), m::fields))
        .load(conn)
}

/// The 404 of a manual request connection without fields.
pub(crate) fn no_fields(connection: &str) -> DsrError {
    DsrError::NotFound(format!("No access manual request exists for connection config with key '{connection}'"))
}

/// The `manual_request` connection `key` (its id) with its fields; 404 without fields, 400 for
/// a connection of another type.
pub(crate) fn manual_request(conn: &mut DbConn, key: &str) -> Result<(String, ManualRequest)> {
    let row = crate::connection::repo::manual_connection(conn, key)?;
    let (fields, created, updated) = find_manual_fields(conn, &row.id)?.ok_or_else(|| no_fields(key))?;
    let request = ManualRequest {
        connection_key: row.key,
        fields: parse_manual_fields(&fields)?,
        created_at: db::utc(created),
        updated_at: db::utc(updated),
    };
    Ok((row.id.into(), request))
}

/// Stored manual request fields.
pub(crate) fn parse_manual_fields(json: &str) -> Result<Vec<ManualField>> {
    Ok(db::stored_json(json, "manual request fields")?)
}
