//! Assessment rows and queries: assessments, answers and their versions, evidence, the audit
//! log, tasks, questionnaires and schedule firings. Functions take `&mut DbConn` so steps compose
//! them in one transaction.

use chrono::NaiveDateTime;
use db::schema::{
    answer_versions, assessment_answers, assessment_audit_log, assessment_evidence, assessment_questionnaires,
    assessment_tasks, assessments, questionnaire_questions, schedule_runs,
};
use db::{DbConn, Page, Window};
use diesel::prelude::*;

use crate::kinds::{AnswerSource, AnswerStatus, AssessmentStatus, EvidenceKind, TaskAction, TaskStatus};
use crate::risk::RiskLevel;

// Ids are time-ordered (UUIDv7), so the hundreds of rows one generation writes land at the end
// of each index instead of on random pages.
db::id_type!(
    /// An assessment's id: `pri_` (as the spec writes it) and a time-ordered UUID.
    AssessmentId,
    "pri"
);
db::id_type!(
    /// An answer version's id.
    VersionId,
    "ver"
);
db::id_type!(
    /// An evidence item's id.
    EvidenceId,
    "evi"
);
db::id_type!(
    /// An audit entry's id.
    AuditId,
    "aud"
);
db::id_type!(
    /// A generation task's id.
    TaskId,
    "tsk"
);
db::id_type!(
    /// A Slack questionnaire's id.
    QuestionnaireId,
    "qnr"
);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessments)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AssessmentRow {
    pub(crate) id: AssessmentId,
    pub(crate) template_id: String,
    pub(crate) system_id: String,
    pub(crate) system_name: String,
    pub(crate) status: AssessmentStatus,
    pub(crate) risk_level: Option<RiskLevel>,
    pub(crate) risk_criteria: String,
    pub(crate) completeness: f64,
    pub(crate) ai_enabled: bool,
    pub(crate) snapshot: Option<String>,
    pub(crate) snapshot_hash: Option<String>,
    pub(crate) last_evaluated_at: Option<NaiveDateTime>,
    pub(crate) created_by: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = assessment_answers)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AnswerRow {
    pub(crate) assessment_id: AssessmentId,
    pub(crate) question_id: String,
    pub(crate) answer: String,
    pub(crate) source: AnswerSource,
    pub(crate) status: AnswerStatus,
    pub(crate) version_number: i32,
    pub(crate) updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = answer_versions)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct VersionRow {
    pub(crate) id: VersionId,
    pub(crate) assessment_id: AssessmentId,
    pub(crate) question_id: String,
    pub(crate) version_number: i32,
    pub(crate) answer: String,
    pub(crate) source: AnswerSource,
    pub(crate) status: AnswerStatus,
    pub(crate) created_by: String,
    pub(crate) created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessment_evidence)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct EvidenceRow {
    pub(crate) id: EvidenceId,
    pub(crate) assessment_id: AssessmentId,
    pub(crate) group_id: String,
    pub(crate) question_id: String,
    pub(crate) seq: i32,
    pub(crate) kind: EvidenceKind,
    pub(crate) label: String,
    pub(crate) value: String,
    pub(crate) source_id: String,
    pub(crate) created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessment_audit_log)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AuditRow {
    pub(crate) id: AuditId,
    pub(crate) assessment_id: AssessmentId,
    pub(crate) seq: i64,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) question_id: Option<String>,
    pub(crate) details: String,
    pub(crate) created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessment_tasks)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct TaskRow {
    pub(crate) id: TaskId,
    pub(crate) action_type: TaskAction,
    pub(crate) status: TaskStatus,
    pub(crate) progress: f64,
    pub(crate) error: Option<String>,
    pub(crate) assessment_id: AssessmentId,
    pub(crate) retry_of: Option<String>,
    pub(crate) created_by: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) message: Option<String>,
}

/// Inserts rows with multi-row statements of at most 1,000 rows (a round trip or statement per
/// row would dominate generation; the chunks keep under both backends' bind-parameter limits).
/// The multi-row form does not compile on the multi-backend connection, hence the match.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for chunk in $rows.chunks(1000) {
            match &mut *$conn {
                DbConn::Postgresql(pg) => diesel::insert_into($table).values(chunk).execute(pg)?,
                DbConn::Sqlite(sqlite) => diesel::insert_into($table).values(chunk).execute(sqlite)?,
            };
        }
        QueryResult::Ok(())
    }};
}

pub(crate) fn insert_assessments(conn: &mut DbConn, rows: &[AssessmentRow]) -> QueryResult<()> {
    insert_all!(conn, assessments::table, rows)
}

pub(crate) fn find_assessment(conn: &mut DbConn, id: &str) -> QueryResult<Option<AssessmentRow>> {
    assessments::table.filter(assessments::id.eq(id)).select(AssessmentRow::as_select()).first(conn).optional()
}

/// The ids among `ids` that name stored assessments.
pub(crate) fn existing_assessments(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            assessments::table.filter(assessments::id.eq_any(chunk)).select(assessments::id).load::<String>(conn)?,
        );
    }
    Ok(out)
}

/// Takes the assessment's row lock (PostgreSQL) or the write lock (SQLite, already held by a
/// write transaction) before version and audit numbers are read, so concurrent changes to one
/// assessment queue up instead of colliding. Returns the row, or `None` when it is gone.
pub(crate) fn lock_assessment(conn: &mut DbConn, id: &str) -> QueryResult<Option<AssessmentRow>> {
    match conn {
        DbConn::Postgresql(pg) => assessments::table
            .filter(assessments::id.eq(id))
            .select(AssessmentRow::as_select())
            .for_update()
            .first(pg)
            .optional(),
        conn => find_assessment(conn, id),
    }
}

/// The assessments with these (optional) status, template and system.
fn filtered<'a>(
    status: Option<AssessmentStatus>,
    template_id: Option<&'a str>,
    system_id: Option<&'a str>,
) -> assessments::BoxedQuery<'a, db::MultiBackend> {
    let mut query = assessments::table.into_boxed();
    if let Some(status) = status {
        query = query.filter(assessments::status.eq(status));
    }
    if let Some(template) = template_id {
        query = query.filter(assessments::template_id.eq(template));
    }
    if let Some(system) = system_id {
        query = query.filter(assessments::system_id.eq(system));
    }
    query
}

/// One window of the assessments with these (optional) status, template and system, newest
/// first.
pub(crate) fn list_assessments(
    conn: &mut DbConn,
    status: Option<AssessmentStatus>,
    template_id: Option<&str>,
    system_id: Option<&str>,
    window: Window,
) -> QueryResult<Page<AssessmentRow>> {
    let total = filtered(status, template_id, system_id).count().get_result(conn)?;
    let items = filtered(status, template_id, system_id)
        .select(AssessmentRow::as_select())
        .order((assessments::created_at.desc(), assessments::id.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

pub(crate) fn assessments_of_system(conn: &mut DbConn, system_id: &str) -> QueryResult<Vec<AssessmentRow>> {
    assessments::table
        .filter(assessments::system_id.eq(system_id))
        .select(AssessmentRow::as_select())
        .order(assessments::created_at.asc())
        .load(conn)
}

/// The system's assessments, locked (PostgreSQL) so a generation writing one of them finishes
/// first and its snapshot is compared, not missed.
pub(crate) fn lock_assessments_of_system(conn: &mut DbConn, system_id: &str) -> QueryResult<Vec<AssessmentRow>> {
    match conn {
        DbConn::Postgresql(pg) => assessments::table
            .filter(assessments::system_id.eq(system_id))
            .select(AssessmentRow::as_select())
            .order(assessments::id.asc())
            .for_update()
            .load(pg),
        conn => assessments_of_system(conn, system_id),
    }
}

pub(crate) fn set_status(
    conn: &mut DbConn,
    id: &str,
    status: AssessmentStatus,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(assessments::table.filter(assessments::id.eq(id)))
        .set((assessments::status.eq(status), assessments::updated_at.eq(at)))
        .execute(conn)
}

pub(crate) fn set_progress(
    conn: &mut DbConn,
    id: &str,
    completeness: f64,
    status: AssessmentStatus,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(assessments::table.filter(assessments::id.eq(id)))
        .set((
            assessments::completeness.eq(completeness),
            assessments::status.eq(status),
            assessments::updated_at.eq(at),
        ))
        .execute(conn)
}

/// Stores the outcome of an evaluation.
pub(crate) fn save_evaluation(conn: &mut DbConn, row: &AssessmentRow) -> QueryResult<usize> {
    diesel::update(assessments::table.filter(assessments::id.eq(&row.id)))
        .set((
            assessments::system_name.eq(&row.system_name),
            assessments::status.eq(&row.status),
            assessments::risk_level.eq(&row.risk_level),
            assessments::risk_criteria.eq(&row.risk_criteria),
            assessments::completeness.eq(row.completeness),
            assessments::snapshot.eq(&row.snapshot),
            assessments::snapshot_hash.eq(&row.snapshot_hash),
            assessments::last_evaluated_at.eq(row.last_evaluated_at),
            assessments::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
}

pub(crate) fn delete_assessment(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(assessments::table.filter(assessments::id.eq(id))).execute(conn)
}

pub(crate) fn answers_of(conn: &mut DbConn, assessment_id: &str) -> QueryResult<Vec<AnswerRow>> {
    assessment_answers::table
        .filter(assessment_answers::assessment_id.eq(assessment_id))
        .select(AnswerRow::as_select())
        .load(conn)
}

pub(crate) fn find_answer(conn: &mut DbConn, assessment_id: &str, question_id: &str) -> QueryResult<Option<AnswerRow>> {
    assessment_answers::table
        .filter(assessment_answers::assessment_id.eq(assessment_id))
        .filter(assessment_answers::question_id.eq(question_id))
        .select(AnswerRow::as_select())
        .first(conn)
        .optional()
}

pub(crate) fn insert_answers(conn: &mut DbConn, rows: &[AnswerRow]) -> QueryResult<()> {
    insert_all!(conn, assessment_answers::table, rows)
}

pub(crate) fn update_answer(conn: &mut DbConn, row: &AnswerRow) -> QueryResult<usize> {
    diesel::update(
        assessment_answers::table
            .filter(assessment_answers::assessment_id.eq(&row.assessment_id))
            .filter(assessment_answers::question_id.eq(&row.question_id)),
    )
    .set(row)
    .execute(conn)
}

pub(crate) fn insert_versions(conn: &mut DbConn, rows: &[VersionRow]) -> QueryResult<()> {
    insert_all!(conn, answer_versions::table, rows)
}

pub(crate) fn versions_of(conn: &mut DbConn, assessment_id: &str, question_id: &str) -> QueryResult<Vec<VersionRow>> {
    answer_versions::table
        .filter(answer_versions::assessment_id.eq(assessment_id))
        .filter(answer_versions::question_id.eq(question_id))
        .select(VersionRow::as_select())
        .order(answer_versions::version_number.desc())
        .load(conn)
}

pub(crate) fn versions_of_assessment(conn: &mut DbConn, assessment_id: &str) -> QueryResult<Vec<VersionRow>> {
    answer_versions::table
        .filter(answer_versions::assessment_id.eq(assessment_id))
        .select(VersionRow::as_select())
        .order((answer_versions::question_id.asc(), answer_versions::version_number.desc()))
        .load(conn)
}

pub(crate) fn evidence_of(conn: &mut DbConn, assessment_id: &str) -> QueryResult<Vec<EvidenceRow>> {
    assessment_evidence::table
        .filter(assessment_evidence::assessment_id.eq(assessment_id))
        .select(EvidenceRow::as_select())
        .order(assessment_evidence::seq.asc())
        .load(conn)
}

pub(crate) fn find_version(conn: &mut DbConn, id: &str) -> QueryResult<Option<VersionRow>> {
    answer_versions::table.filter(answer_versions::id.eq(id)).select(VersionRow::as_select()).first(conn).optional()
}

/// Replaces the inventory evidence of an assessment (Slack threads, kind `team_input`, stay).
pub(crate) fn replace_evidence(conn: &mut DbConn, assessment_id: &str, rows: &[EvidenceRow]) -> QueryResult<()> {
    diesel::delete(
        assessment_evidence::table
            .filter(assessment_evidence::assessment_id.eq(assessment_id))
            .filter(assessment_evidence::kind.ne(EvidenceKind::TeamInput)),
    )
    .execute(conn)?;
    insert_all!(conn, assessment_evidence::table, rows)
}

/// Replaces the evidence of one question of one kind (a Slack thread as it grows).
pub(crate) fn replace_question_evidence(conn: &mut DbConn, row: &EvidenceRow) -> QueryResult<()> {
    diesel::delete(
        assessment_evidence::table
            .filter(assessment_evidence::assessment_id.eq(&row.assessment_id))
            .filter(assessment_evidence::question_id.eq(&row.question_id))
            .filter(assessment_evidence::kind.eq(&row.kind)),
    )
    .execute(conn)?;
    insert_all!(conn, assessment_evidence::table, std::slice::from_ref(row))
}

pub(crate) fn evidence_of_group(
    conn: &mut DbConn,
    assessment_id: &str,
    group_id: &str,
) -> QueryResult<Vec<EvidenceRow>> {
    assessment_evidence::table
        .filter(assessment_evidence::assessment_id.eq(assessment_id))
        .filter(assessment_evidence::group_id.eq(group_id))
        .select(EvidenceRow::as_select())
        .order(assessment_evidence::seq.asc())
        .load(conn)
}

pub(crate) fn next_audit_seq(conn: &mut DbConn, assessment_id: &str) -> QueryResult<i64> {
    let max: Option<i64> = assessment_audit_log::table
        .filter(assessment_audit_log::assessment_id.eq(assessment_id))
        .select(diesel::dsl::max(assessment_audit_log::seq))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

pub(crate) fn insert_audit(conn: &mut DbConn, rows: &[AuditRow]) -> QueryResult<()> {
    insert_all!(conn, assessment_audit_log::table, rows)
}

pub(crate) fn audit_of(conn: &mut DbConn, assessment_id: &str) -> QueryResult<Vec<AuditRow>> {
    assessment_audit_log::table
        .filter(assessment_audit_log::assessment_id.eq(assessment_id))
        .select(AuditRow::as_select())
        .order(assessment_audit_log::seq.desc())
        .load(conn)
}

pub(crate) fn insert_tasks(conn: &mut DbConn, rows: &[TaskRow]) -> QueryResult<()> {
    insert_all!(conn, assessment_tasks::table, rows)
}

pub(crate) fn find_task(conn: &mut DbConn, id: &str) -> QueryResult<Option<TaskRow>> {
    assessment_tasks::table.filter(assessment_tasks::id.eq(id)).select(TaskRow::as_select()).first(conn).optional()
}

/// One window of the tasks, newest first.
pub(crate) fn list_tasks(conn: &mut DbConn, window: Window) -> QueryResult<Page<TaskRow>> {
    let total = assessment_tasks::table.count().get_result(conn)?;
    let items = assessment_tasks::table
        .select(TaskRow::as_select())
        .order((assessment_tasks::created_at.desc(), assessment_tasks::id.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

/// The latest task of each of `assessment_ids`.
pub(crate) fn latest_tasks(
    conn: &mut DbConn,
    assessment_ids: &[AssessmentId],
) -> QueryResult<Vec<(AssessmentId, TaskId)>> {
    let mut out: Vec<(AssessmentId, TaskId)> = Vec::new();
    // Chunked to stay under bind-parameter limits.
    for chunk in assessment_ids.chunks(500) {
        let rows: Vec<(AssessmentId, TaskId, NaiveDateTime)> = assessment_tasks::table
            .filter(assessment_tasks::assessment_id.eq_any(chunk))
            .select((assessment_tasks::assessment_id, assessment_tasks::id, assessment_tasks::created_at))
            .order((assessment_tasks::created_at.asc(), assessment_tasks::id.asc()))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(assessment, task, _)| (assessment, task)));
    }
    Ok(out)
}

pub(crate) fn find_tasks(conn: &mut DbConn, ids: &[TaskId]) -> QueryResult<Vec<TaskRow>> {
    assessment_tasks::table
        .filter(assessment_tasks::id.eq_any(ids))
        .select(TaskRow::as_select())
        .order((assessment_tasks::created_at.asc(), assessment_tasks::id.asc()))
        .load(conn)
}

pub(crate) fn set_tasks(
    conn: &mut DbConn,
    ids: &[TaskId],
    status: TaskStatus,
    progress: f64,
    error: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(assessment_tasks::table.filter(assessment_tasks::id.eq_any(ids)))
        .set((
            assessment_tasks::status.eq(status),
            assessment_tasks::progress.eq(progress),
            assessment_tasks::error.eq(error),
            assessment_tasks::updated_at.eq(at),
        ))
        .execute(conn)
}

pub(crate) fn set_task_message(conn: &mut DbConn, id: &str, message: &str) -> QueryResult<usize> {
    diesel::update(assessment_tasks::table.filter(assessment_tasks::id.eq(id)))
        .set(assessment_tasks::message.eq(message))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessment_questionnaires)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct QuestionnaireRow {
    pub(crate) id: QuestionnaireId,
    pub(crate) assessment_id: AssessmentId,
    pub(crate) channel: String,
    pub(crate) poll_round: i32,
    pub(crate) created_by: String,
    pub(crate) sent_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = questionnaire_questions)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct PostedRow {
    pub(crate) questionnaire_id: QuestionnaireId,
    pub(crate) question_id: String,
    pub(crate) position: i32,
    pub(crate) message_ts: String,
    pub(crate) sent_at: NaiveDateTime,
    pub(crate) last_reply_ts: Option<String>,
    pub(crate) response_received_at: Option<NaiveDateTime>,
    pub(crate) reminder_count: i32,
    pub(crate) last_reminder_at: Option<NaiveDateTime>,
}

pub(crate) fn insert_questionnaire(conn: &mut DbConn, row: &QuestionnaireRow, posted: &[PostedRow]) -> QueryResult<()> {
    diesel::insert_into(assessment_questionnaires::table).values(row).execute(conn)?;
    insert_all!(conn, questionnaire_questions::table, posted)
}

pub(crate) fn find_questionnaire(conn: &mut DbConn, id: &str) -> QueryResult<Option<QuestionnaireRow>> {
    assessment_questionnaires::table
        .filter(assessment_questionnaires::id.eq(id))
        .select(QuestionnaireRow::as_select())
        .first(conn)
        .optional()
}

pub(crate) fn latest_questionnaire(conn: &mut DbConn, assessment_id: &str) -> QueryResult<Option<QuestionnaireRow>> {
    assessment_questionnaires::table
        .filter(assessment_questionnaires::assessment_id.eq(assessment_id))
        .select(QuestionnaireRow::as_select())
        .order((assessment_questionnaires::sent_at.desc(), assessment_questionnaires::id.desc()))
        .first(conn)
        .optional()
}

pub(crate) fn posted_questions(conn: &mut DbConn, questionnaire_id: &str) -> QueryResult<Vec<PostedRow>> {
    questionnaire_questions::table
        .filter(questionnaire_questions::questionnaire_id.eq(questionnaire_id))
        .select(PostedRow::as_select())
        .order(questionnaire_questions::position.asc())
        .load(conn)
}

pub(crate) fn record_reply(
    conn: &mut DbConn,
    questionnaire_id: &str,
    question_id: &str,
    last_reply_ts: &str,
    received_at: NaiveDateTime,
) -> QueryResult<usize> {
    let target = questionnaire_questions::table
        .filter(questionnaire_questions::questionnaire_id.eq(questionnaire_id))
        .filter(questionnaire_questions::question_id.eq(question_id));
    diesel::update(target).set(questionnaire_questions::last_reply_ts.eq(last_reply_ts)).execute(conn)?;
    diesel::update(target.filter(questionnaire_questions::response_received_at.is_null()))
        .set(questionnaire_questions::response_received_at.eq(received_at))
        .execute(conn)
}

pub(crate) fn record_reminder(
    conn: &mut DbConn,
    questionnaire_id: &str,
    question_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        questionnaire_questions::table
            .filter(questionnaire_questions::questionnaire_id.eq(questionnaire_id))
            .filter(questionnaire_questions::question_id.eq(question_id)),
    )
    .set((
        questionnaire_questions::reminder_count.eq(questionnaire_questions::reminder_count + 1),
        questionnaire_questions::last_reminder_at.eq(at),
    ))
    .execute(conn)
}

pub(crate) fn set_poll_round(conn: &mut DbConn, id: &str, round: i32) -> QueryResult<usize> {
    diesel::update(assessment_questionnaires::table.filter(assessment_questionnaires::id.eq(id)))
        .set(assessment_questionnaires::poll_round.eq(round))
        .execute(conn)
}

/// Claims the firing of `schedule` at `fire_at` for `worker`; false when another process has.
pub(crate) fn claim_firing(
    conn: &mut DbConn,
    schedule: &str,
    fire_at: NaiveDateTime,
    worker: &str,
) -> QueryResult<bool> {
    let row = (
        schedule_runs::schedule.eq(schedule),
        schedule_runs::fire_at.eq(fire_at),
        schedule_runs::claimed_by.eq(worker),
        schedule_runs::claimed_at.eq(db::now()),
    );
    let inserted = match conn {
        DbConn::Postgresql(pg) => {
            diesel::insert_into(schedule_runs::table).values(row).on_conflict_do_nothing().execute(pg)?
        }
        DbConn::Sqlite(sqlite) => diesel::insert_or_ignore_into(schedule_runs::table).values(row).execute(sqlite)?,
    };
    Ok(inserted == 1)
}
