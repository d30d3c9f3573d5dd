//! Storage of OAuth clients.

use chrono::NaiveDateTime;
use db::DbConn;
use db::schema::oauth_clients;
use diesel::prelude::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = oauth_clients)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ClientRow {
    pub(crate) id: String,
    pub(crate) secret_hash: String,
    pub(crate) scopes: String,
    pub(crate) is_root: bool,
}

#[derive(Insertable)]
#[diesel(table_name = oauth_clients)]
pub(crate) struct NewClientRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) secret_hash: &'a str,
    pub(crate) scopes: &'a str,
    pub(crate) is_root: bool,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ClientRow>> {
    oauth_clients::table.filter(oauth_clients::id.eq(id)).select(ClientRow::as_select()).first(conn).optional()
}

pub(crate) fn insert(conn: &mut DbConn, row: &NewClientRow<'_>) -> QueryResult<()> {
    diesel::insert_into(oauth_clients::table).values(row).execute(conn).map(drop)
}

pub(crate) fn update_scopes(conn: &mut DbConn, id: &str, scopes: &str) -> QueryResult<usize> {
    diesel::update(oauth_clients::table.filter(oauth_clients::id.eq(id)))
        .set((oauth_clients::scopes.eq(scopes), oauth_clients::updated_at.eq(db::now())))
        .execute(conn)
}

pub(crate) fn update_secret(conn: &mut DbConn, id: &str, secret_hash: &str) -> QueryResult<usize> {
    diesel::update(oauth_clients::table.filter(oauth_clients::id.eq(id)))
        .set((oauth_clients::secret_hash.eq(secret_hash), oauth_clients::updated_at.eq(db::now())))
        .execute(conn)
}

pub(crate) fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(oauth_clients::table.filter(oauth_clients::id.eq(id))).execute(conn)
}

/// Removes root clients other than `keep` (left over from a changed root client id).
pub(crate) fn delete_other_roots(conn: &mut DbConn, keep: &str) -> QueryResult<usize> {
    diesel::delete(oauth_clients::table.filter(oauth_clients::is_root.eq(true).and(oauth_clients::id.ne(keep))))
        .execute(conn)
}
