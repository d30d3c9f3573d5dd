//! The assessment configuration row (one row, id `default`).

use chrono::NaiveDateTime;
use db::DbConn;
use db::schema::assessment_config;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = assessment_config)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct ConfigRow {
    pub(crate) id: String,
    pub(crate) assessment_model: Option<String>,
    pub(crate) chat_model: Option<String>,
    pub(crate) reassessment_enabled: bool,
    pub(crate) reassessment_cron: String,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) tone_prompt: Option<String>,
}

pub(crate) fn find_config(conn: &mut DbConn) -> QueryResult<Option<ConfigRow>> {
    assessment_config::table
        .filter(assessment_config::id.eq("default"))
        .select(ConfigRow::as_select())
        .first(conn)
        .optional()
}

pub(crate) fn save_config(conn: &mut DbConn, row: &ConfigRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(assessment_config::table.filter(assessment_config::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(assessment_config::table).values(row).execute(conn)
    }
}
