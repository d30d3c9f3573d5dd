//! Watching requests: Fides' filtered, sorted, paged list (by identity through its keyed
//! digest), one request, its execution log page by page, and a retry from the step that failed.

use db::Database;

use super::model::{ExecutionLog, PrivacyRequest, RequestFilter};
use super::queue::Queue;
use super::repo;
use super::vault::Vault;
use super::view;
use crate::error::{DsrError, Result};
use crate::page::{FidesPage, PageRequest};

/// Reads requests and restarts failed ones.
#[derive(Clone)]
pub(crate) struct Monitor {
    db: Database,
    vault: Vault,
    queue: Queue,
}

impl Monitor {
    pub(crate) fn new(db: Database, vault: Vault, queue: Queue) -> Monitor {
        Monitor { db, vault, queue }
    }

    /// A filtered, sorted page of requests.
    pub(crate) fn list(&self, filter: &RequestFilter, page: PageRequest) -> Result<FidesPage<PrivacyRequest>> {
        filter.check()?;
        let digest = filter.identity.as_ref().map(|v| self.vault.digest(v.trim()));
        let mut conn = self.db.conn()?;
        let total = repo::count_requests(&mut conn, filter, digest.as_deref())?;
        let rows = repo::list_requests(&mut conn, filter, digest.as_deref(), page.window())?;
        let items = view::respond(&mut conn, &self.vault, rows, filter.verbose, filter.include_identities)?;
        Ok(FidesPage::new(items, total, page))
    }

    /// One request.
    pub(crate) fn get(&self, id: &str, verbose: bool, include_identities: bool) -> Result<PrivacyRequest> {
        let mut conn = self.db.conn()?;
        let row = repo::request_row(&mut conn, id)?;
        view::respond(&mut conn, &self.vault, vec![row], verbose, include_identities)?
            .pop()
            .ok_or_else(|| repo::not_found(id))
    }

    /// A page of a request's execution log, oldest first.
    pub(crate) fn logs(&self, id: &str, page: PageRequest) -> Result<FidesPage<ExecutionLog>> {
        let mut conn = self.db.conn()?;
        repo::request_row(&mut conn, id)?;
        let rows = repo::logs_page(&mut conn, id, page.window())?;
        Ok(FidesPage::of(rows.try_map(view::to_log)?, page))
    }

    /// Resumes a failed request from the step that failed.
    pub(crate) fn retry(&self, id: &str) -> Result<PrivacyRequest> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            let row = repo::request_row(c, id)?;
            if !repo::restart(c, id, db::now())? {
                return Err(DsrError::BadRequest(format!(
                    "Cannot restart privacy request from failure: privacy request '{id}' status = {}.",
                    row.status
                )));
            }
            self.queue.enqueue(c, id)
        })?;
        self.queue.notify();
        self.get(id, false, false)
    }
}
