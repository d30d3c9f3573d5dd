//! Storage of the pattern list.

use chrono::NaiveDateTime;
use db::DbConn;
use db::schema::redaction_patterns;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = redaction_patterns)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct NewPatternRow<'a> {
    position: i32,
    pattern: &'a str,
    created_at: NaiveDateTime,
}

/// The stored patterns in their order.
pub(crate) fn list(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    redaction_patterns::table.select(redaction_patterns::pattern).order(redaction_patterns::position.asc()).load(conn)
}

/// Replaces the whole list; the caller wraps this in a transaction.
pub(crate) fn replace(conn: &mut DbConn, patterns: &[String]) -> QueryResult<()> {
    diesel::delete(redaction_patterns::table).execute(conn)?;
    let at = db::now();
    // At most 100 rows; the multi-backend connection cannot batch-insert a slice.
    for (position, pattern) in patterns.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        diesel::insert_into(redaction_patterns::table)
            .values(&NewPatternRow { position, pattern, created_at: at })
            .execute(conn)?;
    }
    Ok(())
}
