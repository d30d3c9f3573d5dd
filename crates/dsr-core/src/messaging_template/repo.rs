//! Storage of messaging templates: one row per type.

use db::DbConn;
use db::schema::messaging_templates;
use diesel::prelude::*;

use super::{MessagingActionType, TemplateContent};

/// Every stored template.
pub(crate) fn all(conn: &mut DbConn) -> QueryResult<Vec<(MessagingActionType, TemplateContent)>> {
    let rows: Vec<(MessagingActionType, String, String)> = messaging_templates::table
        .select((messaging_templates::template_type, messaging_templates::subject, messaging_templates::body))
        .load(conn)?;
    Ok(rows.into_iter().map(|(t, subject, body)| (t, TemplateContent { subject, body })).collect())
}

/// The template an email of `template_type` is sent with: the stored one, else the default.
pub(crate) fn content_for(conn: &mut DbConn, template_type: MessagingActionType) -> QueryResult<TemplateContent> {
    let stored: Option<(String, String)> = messaging_templates::table
        .filter(messaging_templates::template_type.eq(template_type))
        .select((messaging_templates::subject, messaging_templates::body))
        .first(conn)
        .optional()?;
    Ok(stored.map_or_else(|| template_type.default_content(), |(subject, body)| TemplateContent { subject, body }))
}

/// Stores `content` as the template of `template_type` (call in a transaction).
pub(crate) fn store(
    conn: &mut DbConn,
    template_type: MessagingActionType,
    content: &TemplateContent,
) -> QueryResult<()> {
    diesel::delete(messaging_templates::table.filter(messaging_templates::template_type.eq(template_type)))
        .execute(conn)?;
    diesel::insert_into(messaging_templates::table)
        .values((
            messaging_templates::template_type.eq(template_type),
            messaging_templates::subject.eq(&content.subject),
            messaging_templates::body.eq(&content.body),
            messaging_templates::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}
