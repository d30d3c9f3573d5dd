//! System rows and queries: each system stored as its Fides document (`body`), with its key and
//! display name as columns.

use chrono::NaiveDateTime;
use db::schema::systems;
use db::{DbConn, Page, Window};
use diesel::prelude::*;

use super::model::System;
use crate::error::{AssessmentError, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = systems)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SystemRow {
    pub(crate) fides_key: String,
    pub(crate) name: String,
    pub(crate) body: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn find_system(conn: &mut DbConn, key: &str) -> QueryResult<Option<SystemRow>> {
    systems::table.filter(systems::fides_key.eq(key)).select(SystemRow::as_select()).first(conn).optional()
}

/// The systems among `keys` (chunked to stay under bind-parameter limits).
pub(crate) fn find_systems(conn: &mut DbConn, keys: &[String]) -> QueryResult<Vec<SystemRow>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(1000) {
        out.extend(systems::table.filter(systems::fides_key.eq_any(chunk)).select(SystemRow::as_select()).load(conn)?);
    }
    Ok(out)
}

pub(crate) fn list_systems(conn: &mut DbConn) -> QueryResult<Vec<SystemRow>> {
    systems::table.select(SystemRow::as_select()).order(systems::fides_key.asc()).load(conn)
}

/// One window of the systems, by key.
pub(crate) fn systems_page(conn: &mut DbConn, window: Window) -> QueryResult<Page<SystemRow>> {
    let total = systems::table.count().get_result(conn)?;
    let items = systems::table
        .select(SystemRow::as_select())
        .order(systems::fides_key.asc())
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

pub(crate) fn insert_system(conn: &mut DbConn, row: &SystemRow) -> QueryResult<usize> {
    diesel::insert_into(systems::table).values(row).execute(conn)
}

pub(crate) fn update_system(conn: &mut DbConn, row: &SystemRow) -> QueryResult<usize> {
    diesel::update(systems::table.filter(systems::fides_key.eq(&row.fides_key)))
        .set((systems::name.eq(&row.name), systems::body.eq(&row.body), systems::updated_at.eq(row.updated_at)))
        .execute(conn)
}

pub(crate) fn delete_system(conn: &mut DbConn, key: &str) -> QueryResult<usize> {
    diesel::delete(systems::table.filter(systems::fides_key.eq(key))).execute(conn)
}

/// The stored document of a system row.
pub(crate) fn parse(row: &SystemRow) -> Result<System> {
    Ok(db::stored_json(&row.body, &format!("system {}", row.fides_key))?)
}

/// The row of `system`, first stored at `created_at`.
pub(crate) fn row_of(system: &System, created_at: NaiveDateTime) -> Result<SystemRow> {
    Ok(SystemRow {
        fides_key: system.fides_key.clone(),
        name: system.display_name().to_owned(),
        body: serde_json::to_string(system).map_err(|e| AssessmentError::BadRequest(e.to_string()))?,
        created_at,
        updated_at: db::now(),
    })
}
