//! Reading and deleting assessments and their tasks.

use std::collections::HashMap;

use db::{Database, Page, Window, utc};

use super::generate::task_not_found;
use super::model::{Assessment, AssessmentFilter, AssessmentGroup, AssessmentSummary, Task};
use super::repo::{self, AnswerRow};
use super::view;
use crate::error::Result;

/// Lists, reads and deletes assessments; lists and reads tasks.
#[derive(Clone)]
pub(crate) struct Catalog {
    db: Database,
}

impl Catalog {
    pub(crate) fn new(db: Database) -> Catalog {
        Catalog { db }
    }

    /// One window of the assessments `filter` selects, newest first.
    pub(crate) fn list(&self, filter: &AssessmentFilter, window: Window) -> Result<Page<AssessmentSummary>> {
        let mut conn = self.db.conn()?;
        let rows = repo::list_assessments(
            &mut conn,
            filter.status,
            filter.template_id.as_deref(),
            filter.system_id.as_deref(),
            window,
        )?;
        let items = view::summaries(&mut conn, &rows.items)?;
        Ok(Page { items, total: rows.total })
    }

    /// One assessment with its questions and answers.
    pub(crate) fn get(&self, id: &str) -> Result<Assessment> {
        let mut conn = self.db.conn()?;
        let row = view::assessment(&mut conn, id)?;
        let template = view::template_of(&row)?;
        let answers: HashMap<String, AnswerRow> =
            repo::answers_of(&mut conn, id)?.into_iter().map(|a| (a.question_id.clone(), a)).collect();
        let summary =
            view::summaries(&mut conn, std::slice::from_ref(&row))?.pop().unwrap_or_else(|| view::summary(&row, None));
        Ok(Assessment {
            summary,
            risk_criteria: db::stored_json(&row.risk_criteria, "assessment risk criteria")?,
            last_evaluated_at: row.last_evaluated_at.map(utc),
            question_groups: template
                .groups
                .iter()
                .map(|g| AssessmentGroup {
                    id: g.id.to_owned(),
                    title: g.title.to_owned(),
                    questions: g.questions.iter().map(|q| view::question(q, answers.get(q.id))).collect(),
                })
                .collect(),
        })
    }

    /// Deletes an assessment with its answers, versions, evidence, audit entries and tasks.
    pub(crate) fn delete(&self, id: &str) -> Result<()> {
        self.db.conn()?.write_transaction(|conn| {
            repo::lock_assessment(conn, id)?.ok_or_else(|| view::not_found(id))?;
            // Answers, versions, evidence, audit entries and tasks go with it (ON DELETE CASCADE).
            repo::delete_assessment(conn, id)?;
            Ok(())
        })
    }

    /// One window of the tasks, newest first.
    pub(crate) fn tasks(&self, window: Window) -> Result<Page<Task>> {
        Ok(repo::list_tasks(&mut *self.db.conn()?, window)?.map(view::task))
    }

    /// One task.
    pub(crate) fn task(&self, id: &str) -> Result<Task> {
        repo::find_task(&mut *self.db.conn()?, id)?.map(view::task).ok_or_else(|| task_not_found(id))
    }
}
