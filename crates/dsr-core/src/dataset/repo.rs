//! Dataset rows and queries.

use chrono::NaiveDateTime;
use db::schema::{connections, datasets};
use db::{DbConn, Page, Window};
use diesel::prelude::*;

use super::model::Dataset;
use crate::connection::repo::ConnectionRow;
use crate::error::Result;

db::id_type!(
    /// A dataset's id.
    DatasetId,
    "dat"
);

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = datasets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct DatasetRow {
    pub(crate) id: DatasetId,
    pub(crate) fides_key: String,
    pub(crate) connection_id: crate::connection::repo::ConnectionId,
    pub(crate) body: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn find_dataset(conn: &mut DbConn, fides_key: &str) -> QueryResult<Option<DatasetRow>> {
    datasets::table.filter(datasets::fides_key.eq(fides_key)).select(DatasetRow::as_select()).first(conn).optional()
}

pub(crate) fn find_dataset_with_connection(
    conn: &mut DbConn,
    fides_key: &str,
) -> QueryResult<Option<(DatasetRow, ConnectionRow)>> {
    datasets::table
        .inner_join(connections::table)
        .filter(datasets::fides_key.eq(fides_key))
        .select((DatasetRow::as_select(), ConnectionRow::as_select()))
        .first(conn)
        .optional()
}

/// One window of the datasets of connection `connection_id`, by key.
pub(crate) fn datasets_of(conn: &mut DbConn, connection_id: &str, window: Window) -> QueryResult<Page<DatasetRow>> {
    let total = datasets::table.filter(datasets::connection_id.eq(connection_id)).count().get_result(conn)?;
    let items = datasets::table
        .filter(datasets::connection_id.eq(connection_id))
        .select(DatasetRow::as_select())
        .order(datasets::fides_key.asc())
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

pub(crate) fn save_dataset(conn: &mut DbConn, row: &DatasetRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(datasets::table.filter(datasets::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(datasets::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_dataset(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(datasets::table.filter(datasets::id.eq(id))).execute(conn)
}

/// Every dataset of an enabled connection with that connection, by dataset key.
pub(crate) fn enabled_datasets(conn: &mut DbConn) -> QueryResult<Vec<(DatasetRow, ConnectionRow)>> {
    datasets::table
        .inner_join(connections::table)
        .filter(connections::disabled.eq(false))
        .order(datasets::fides_key.asc())
        .select((DatasetRow::as_select(), ConnectionRow::as_select()))
        .load(conn)
}

/// The stored body of a dataset row.
pub(crate) fn parse(row: &DatasetRow) -> Result<Dataset> {
    Ok(db::stored_json(&row.body, &format!("dataset {}", row.fides_key))?)
}
