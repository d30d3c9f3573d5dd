//! Policy webhooks (Fides' `policy_webhook_endpoints`): `https` connections a policy calls, in
//! order, before a request's stores are read (`pre_execution`) and after its results are stored
//! (`post_execution`). A `PUT` replaces a policy's list at one timing all or nothing (a webhook's
//! position in the list is its order; webhooks left out are deleted), a `PATCH` changes one
//! webhook and may move it, a `DELETE` closes the gap it leaves. The calls themselves are made by
//! request execution (`call`).

pub(crate) mod call;
pub(crate) mod model;
pub(crate) mod repo;

use std::collections::HashSet;

use crypto::AppKey;
use db::{Database, DbConn};

pub use model::{
    PolicyWebhook, PolicyWebhookCreate, PolicyWebhookUpdate, WebhookDirection, WebhookOrder, WebhookTiming,
    WebhookUpdated, WebhooksReordered,
};

use crate::connection::ConnectionType;
use crate::connection::repo::{self as connection_repo, ConnectionRow};
use crate::error::{DsrError, Result};
use crate::page::{FidesPage, PageRequest};
use crate::policy::policy_row;
use crate::policy::repo::PolicyRow;
use repo::{WebhookId, WebhookRow};

/// The webhooks of policies.
pub trait WebhookService: Send + Sync {
    /// A page of a policy's webhooks at `timing`, in call order.
    fn list_webhooks(&self, policy: &str, timing: WebhookTiming, page: PageRequest)
    -> Result<FidesPage<PolicyWebhook>>;
    /// Replaces a policy's webhooks at `timing` (all or nothing): the list's order is the call
    /// order, webhooks left out are deleted.
    fn put_webhooks(
        &self,
        policy: &str,
        timing: WebhookTiming,
        items: Vec<PolicyWebhookCreate>,
    ) -> Result<Vec<PolicyWebhook>>;
    /// One webhook.
    fn get_webhook(&self, policy: &str, timing: WebhookTiming, key: &str) -> Result<PolicyWebhook>;
    /// Changes one webhook; a new `order` moves it and renumbers the others.
    fn update_webhook(
        &self,
        policy: &str,
        timing: WebhookTiming,
        key: &str,
        update: PolicyWebhookUpdate,
    ) -> Result<WebhookUpdated>;
    /// Deletes one webhook; those after it move up.
    fn delete_webhook(&self, policy: &str, timing: WebhookTiming, key: &str) -> Result<WebhooksReordered>;
}

/// [`WebhookService`] over the database.
pub struct DieselWebhookService {
    db: Database,
    key: AppKey,
}

impl DieselWebhookService {
    /// A service over `db`; connections are shown with their secrets (opened with `key`) masked.
    pub fn new(db: Database, key: AppKey) -> DieselWebhookService {
        DieselWebhookService { db, key }
    }

    fn view(&self, row: WebhookRow, connection: ConnectionRow) -> Result<PolicyWebhook> {
        Ok(PolicyWebhook {
            direction: row.direction,
            key: row.key,
            name: row.name,
            connection_config: crate::connection::view(&self.key, connection)?,
            order: row.position,
        })
    }

    fn views(&self, rows: Vec<(WebhookRow, ConnectionRow)>) -> Result<Vec<PolicyWebhook>> {
        rows.into_iter().map(|(row, connection)| self.view(row, connection)).collect()
    }
}

/// The `https` connection `key` a webhook calls: 404 when unknown (Fides' message), 422 at `loc`
/// when it is of another type.
fn https_connection(conn: &mut DbConn, key: &str, loc: Vec<validation::Loc>) -> Result<ConnectionRow> {
    let row = connection_repo::find_connection(conn, key)?
        .ok_or_else(|| DsrError::NotFound(format!("No connection configuration found with key {key}.")))?;
    if row.connection_type != ConnectionType::Https {
        return Err(DsrError::invalid(
            loc,
            format!(
                "Connection config '{key}' is of type {}: policy webhooks call https connections",
                row.connection_type
            ),
        ));
    }
    Ok(row)
}

/// The webhook `key` of `policy` at `timing`, or a 404.
fn webhook_of(conn: &mut DbConn, policy: &PolicyRow, timing: WebhookTiming, key: &str) -> Result<WebhookRow> {
    repo::find_by_key(conn, timing, key)?.filter(|row| row.policy_id == policy.id).ok_or_else(|| {
        DsrError::NotFound(format!("No {} found for key {key} on Policy {}.", timing.noun(), policy.key))
    })
}

/// Positions 0, 1, … in the given order; the rows whose position changed are saved.
fn renumber(conn: &mut DbConn, rows: &mut [WebhookRow]) -> Result<Vec<WebhookOrder>> {
    let at = db::now();
    let mut order = Vec::with_capacity(rows.len());
    for (position, row) in (0..).zip(rows.iter_mut()) {
        if row.position != position {
            row.position = position;
            row.updated_at = at;
            repo::update(conn, row)?;
        }
        order.push(WebhookOrder { key: row.key.clone(), order: position });
    }
    Ok(order)
}

impl WebhookService for DieselWebhookService {
    fn list_webhooks(
        &self,
        policy: &str,
        timing: WebhookTiming,
        page: PageRequest,
    ) -> Result<FidesPage<PolicyWebhook>> {
        let mut conn = self.db.conn()?;
        let policy = policy_row(&mut conn, policy)?;
        let all = repo::webhooks_of(&mut conn, &policy.id, timing)?;
        drop(conn);
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let window = page.window();
        let skip = usize::try_from(window.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(window.limit).unwrap_or(usize::MAX);
        let items = self.views(all.into_iter().skip(skip).take(take).collect())?;
        Ok(FidesPage::new(items, total, page))
    }

    fn put_webhooks(
        &self,
        policy: &str,
        timing: WebhookTiming,
        items: Vec<PolicyWebhookCreate>,
    ) -> Result<Vec<PolicyWebhook>> {
        let mut conn = self.db.conn()?;
        let rows = conn.write_transaction(|c| -> Result<Vec<(WebhookRow, ConnectionRow)>> {
            let policy = policy_row(c, policy)?;
            let at = db::now();
            let mut seen = HashSet::new();
            let mut kept: Vec<WebhookId> = Vec::new();
            for (position, item) in (0..).zip(&items) {
                let index = usize::try_from(position).unwrap_or_default();
                let loc = |field: &str| vec![validation::Loc::from(index), field.into()];
                let name = item.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
                let key = match (item.key.as_deref(), name) {
                    (None, None) => return Err(DsrError::invalid(loc("key"), "a webhook needs a key or a name")),
                    (key, name) => crate::keys::key_or_name(key, name.unwrap_or_default())
                        .map_err(|e| DsrError::invalid(loc("key"), e.0))?,
                };
                if !seen.insert(key.clone()) {
                    return Err(DsrError::invalid(loc("key"), format!("key '{key}' is given more than once")));
                }
                let connection = https_connection(c, &item.connection_config_key, loc("connection_config_key"))?;
                let existing = repo::find_by_key(c, timing, &key)?;
                let row = match existing {
                    Some(row) if row.policy_id != policy.id => {
                        return Err(DsrError::Conflict(format!(
                            "A {} with key {key} already exists on another policy.",
                            timing.noun()
                        )));
                    }
                    Some(mut row) => {
                        row.name = name.map_or_else(|| key.clone(), str::to_owned);
                        row.connection_id = connection.id;
                        row.direction = item.direction;
                        row.position = position;
                        row.updated_at = at;
                        repo::update(c, &row)?;
                        row
                    }
                    None => {
                        let row = WebhookRow {
                            id: WebhookId::new(),
                            name: name.map_or_else(|| key.clone(), str::to_owned),
                            key,
                            policy_id: policy.id.clone(),
                            connection_id: connection.id,
                            timing,
                            direction: item.direction,
                            position,
                            created_at: at,
                            updated_at: at,
                        };
                        repo::insert(c, &row)?;
                        row
                    }
                };
                kept.push(row.id);
            }
            repo::delete_others(c, &policy.id, timing, &kept)?;
            Ok(repo::webhooks_of(c, &policy.id, timing)?)
        })?;
        drop(conn);
        self.views(rows)
    }

    fn get_webhook(&self, policy: &str, timing: WebhookTiming, key: &str) -> Result<PolicyWebhook> {
        let mut conn = self.db.conn()?;
        let policy = policy_row(&mut conn, policy)?;
        let row = webhook_of(&mut conn, &policy, timing, key)?;
        let connection = connection_repo::find_connection_by_id(&mut conn, &row.connection_id)?;
        drop(conn);
        self.view(row, connection)
    }

    fn update_webhook(
        &self,
        policy: &str,
        timing: WebhookTiming,
        key: &str,
        update: PolicyWebhookUpdate,
    ) -> Result<WebhookUpdated> {
        let mut conn = self.db.conn()?;
        let (new_order, row) = conn.write_transaction(|c| -> Result<(Option<Vec<WebhookOrder>>, WebhookRow)> {
            let policy = policy_row(c, policy)?;
            let mut row = webhook_of(c, &policy, timing, key)?;
            if let Some(name) = &update.name {
                if name.trim().is_empty() {
                    return Err(DsrError::invalid(vec!["name".into()], "name must not be empty"));
                }
                row.name = name.trim().to_owned();
            }
            if let Some(direction) = update.direction {
                row.direction = direction;
            }
            if let Some(connection) = &update.connection_config_key {
                row.connection_id = https_connection(c, connection, vec!["connection_config_key".into()])?.id;
            }
            row.updated_at = db::now();
            repo::update(c, &row)?;
            let Some(order) = update.order.filter(|order| *order != row.position) else {
                return Ok((None, row));
            };
            let mut all: Vec<WebhookRow> =
                repo::webhooks_of(c, &policy.id, timing)?.into_iter().map(|(w, _)| w).collect();
            let count = all.len();
            let Some(to) = usize::try_from(order).ok().filter(|to| *to < count) else {
                return Err(DsrError::BadRequest(format!(
                    "Cannot set order to {order}: there are only {count} {}(s) defined on this Policy.",
                    timing.noun()
                )));
            };
            let from = all.iter().position(|w| w.id == row.id).unwrap_or_default();
            let moved = all.remove(from);
            all.insert(to, moved);
            let new_order = renumber(c, &mut all)?;
            Ok((Some(new_order), all.swap_remove(to)))
        })?;
        let connection = connection_repo::find_connection_by_id(&mut conn, &row.connection_id)?;
        drop(conn);
        Ok(WebhookUpdated { resource: self.view(row, connection)?, new_order })
    }

    fn delete_webhook(&self, policy: &str, timing: WebhookTiming, key: &str) -> Result<WebhooksReordered> {
        let mut conn = self.db.conn()?;
        let new_order = conn.write_transaction(|c| -> Result<Vec<WebhookOrder>> {
            let policy = policy_row(c, policy)?;
            let row = webhook_of(c, &policy, timing, key)?;
            repo::delete(c, &row.id)?;
            let mut rest: Vec<WebhookRow> =
                repo::webhooks_of(c, &policy.id, timing)?.into_iter().map(|(w, _)| w).collect();
            renumber(c, &mut rest)
        })?;
        Ok(WebhooksReordered { new_order })
    }
}
