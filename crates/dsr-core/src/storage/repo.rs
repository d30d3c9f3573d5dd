//! Storage destination rows and queries.

use chrono::NaiveDateTime;
use db::schema::{rules, storage_configs};
use db::{DbConn, Page, Window};
use diesel::prelude::*;

use super::model::{StorageConfig, StorageType};
use crate::package::ResponseFormat;

db::id_type!(
    /// A storage destination's id.
    StorageId,
    "sto"
);

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = storage_configs)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct StorageRow {
    pub(crate) id: StorageId,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) storage_type: StorageType,
    pub(crate) format: ResponseFormat,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl From<StorageRow> for StorageConfig {
    fn from(row: StorageRow) -> StorageConfig {
        StorageConfig { key: row.key, name: row.name, storage_type: row.storage_type, format: row.format }
    }
}

pub(crate) fn find_storage(conn: &mut DbConn, key: &str) -> QueryResult<Option<StorageRow>> {
    storage_configs::table.filter(storage_configs::key.eq(key)).select(StorageRow::as_select()).first(conn).optional()
}

/// One window of the destinations, by key.
pub(crate) fn list_storage(conn: &mut DbConn, window: Window) -> QueryResult<Page<StorageRow>> {
    let total = storage_configs::table.count().get_result(conn)?;
    let items = storage_configs::table
        .select(StorageRow::as_select())
        .order(storage_configs::key.asc())
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

pub(crate) fn save_storage(conn: &mut DbConn, row: &StorageRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(storage_configs::table.filter(storage_configs::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(storage_configs::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_storage(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(storage_configs::table.filter(storage_configs::id.eq(id))).execute(conn)
}

/// Keys of rules writing to a storage destination.
pub(crate) fn rules_using_storage(conn: &mut DbConn, key: &str) -> QueryResult<Vec<String>> {
    rules::table.filter(rules::storage_destination_key.eq(key)).select(rules::key).order(rules::key.asc()).load(conn)
}
