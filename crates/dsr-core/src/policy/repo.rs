//! Policy, rule and target rows and queries.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use db::schema::{policies, privacy_requests, rule_targets, rules, storage_configs};
use db::{DbConn, Page, Window};
use diesel::prelude::*;

use super::model::{ActionType, Policy, Rule, Target};
use crate::error::Result;
use crate::masking::{MaskingStrategy, MaskingStrategyResponse};
use crate::storage::StorageConfig;
use crate::storage::repo::StorageRow;

db::id_type!(
    /// A policy's id.
    PolicyId,
    "pol"
);
db::id_type!(
    /// A rule's id.
    RuleId,
    "rul"
);
db::id_type!(
    /// A rule target's id.
    TargetId,
    "tgt"
);

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone)]
#[diesel(table_name = policies)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct PolicyRow {
    pub(crate) id: PolicyId,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) execution_timeframe: Option<i32>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone)]
#[diesel(table_name = rules)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct RuleRow {
    pub(crate) id: RuleId,
    pub(crate) key: String,
    pub(crate) policy_id: PolicyId,
    pub(crate) name: String,
    pub(crate) action_type: ActionType,
    pub(crate) storage_destination_key: Option<String>,
    pub(crate) masking_strategy: Option<String>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl RuleRow {
    pub(crate) fn action(&self) -> ActionType {
        self.action_type
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone)]
#[diesel(table_name = rule_targets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct TargetRow {
    pub(crate) id: TargetId,
    pub(crate) key: String,
    pub(crate) rule_id: RuleId,
    pub(crate) name: String,
    pub(crate) data_category: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl From<TargetRow> for Target {
    fn from(row: TargetRow) -> Target {
        Target { key: row.key, name: row.name, data_category: row.data_category }
    }
}

pub(crate) fn find_policy(conn: &mut DbConn, key: &str) -> QueryResult<Option<PolicyRow>> {
    policies::table.filter(policies::key.eq(key)).select(PolicyRow::as_select()).first(conn).optional()
}

/// One window of the policies, by key.
pub(crate) fn list_policies(conn: &mut DbConn, window: Window) -> QueryResult<Page<PolicyRow>> {
    let total = policies::table.count().get_result(conn)?;
    let items = policies::table
        .select(PolicyRow::as_select())
        .order(policies::key.asc())
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

/// How many privacy requests were made under policy `policy_id` (they keep it from deletion).
pub(crate) fn count_requests_using(conn: &mut DbConn, policy_id: &str) -> QueryResult<i64> {
    privacy_requests::table.filter(privacy_requests::policy_id.eq(policy_id)).count().get_result(conn)
}

pub(crate) fn save_policy(conn: &mut DbConn, row: &PolicyRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(policies::table.filter(policies::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(policies::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_policy(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(policies::table.filter(policies::id.eq(id))).execute(conn)
}

/// Policies by id.
pub(crate) fn policies_by_ids(conn: &mut DbConn, ids: &[PolicyId]) -> QueryResult<Vec<PolicyRow>> {
    policies::table.filter(policies::id.eq_any(ids)).select(PolicyRow::as_select()).load(conn)
}

pub(crate) fn rule_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<RuleRow>> {
    rules::table.filter(rules::key.eq(key)).select(RuleRow::as_select()).first(conn).optional()
}

/// One window of the rules of policy `policy_id`, in creation order.
pub(crate) fn rules_page(conn: &mut DbConn, policy_id: &str, window: Window) -> QueryResult<Page<RuleRow>> {
    let total = rules::table.filter(rules::policy_id.eq(policy_id)).count().get_result(conn)?;
    let items = rules::table
        .filter(rules::policy_id.eq(policy_id))
        .select(RuleRow::as_select())
        .order((rules::created_at.asc(), rules::key.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

pub(crate) fn rules_of(conn: &mut DbConn, policy_ids: &[PolicyId]) -> QueryResult<Vec<RuleRow>> {
    rules::table
        .filter(rules::policy_id.eq_any(policy_ids))
        .select(RuleRow::as_select())
        .order((rules::created_at.asc(), rules::key.asc()))
        .load(conn)
}

pub(crate) fn save_rule(conn: &mut DbConn, row: &RuleRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(rules::table.filter(rules::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(rules::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_rule(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(rules::table.filter(rules::id.eq(id))).execute(conn)
}

/// One window of the targets of rule `rule_id`, in creation order.
pub(crate) fn targets_page(conn: &mut DbConn, rule_id: &str, window: Window) -> QueryResult<Page<TargetRow>> {
    let total = rule_targets::table.filter(rule_targets::rule_id.eq(rule_id)).count().get_result(conn)?;
    let items = rule_targets::table
        .filter(rule_targets::rule_id.eq(rule_id))
        .select(TargetRow::as_select())
        .order((rule_targets::created_at.asc(), rule_targets::key.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page { items, total })
}

pub(crate) fn targets_of(conn: &mut DbConn, rule_ids: &[RuleId]) -> QueryResult<Vec<TargetRow>> {
    rule_targets::table
        .filter(rule_targets::rule_id.eq_any(rule_ids))
        .select(TargetRow::as_select())
        .order((rule_targets::created_at.asc(), rule_targets::key.asc()))
        .load(conn)
}

pub(crate) fn save_target(conn: &mut DbConn, row: &TargetRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(rule_targets::table.filter(rule_targets::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(rule_targets::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_target(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(rule_targets::table.filter(rule_targets::id.eq(id))).execute(conn)
}

/// Full rules (targets, destinations) of the given rule rows, in their order: three queries
/// whatever the number of rules.
pub(crate) fn assemble_rules(conn: &mut DbConn, rows: Vec<RuleRow>) -> Result<Vec<(PolicyId, Rule)>> {
    let ids: Vec<RuleId> = rows.iter().map(|r| r.id.clone()).collect();
    let targets = targets_of(conn, &ids)?;
    assemble_rules_with(conn, rows, targets)
}

/// [`assemble_rules`] with the rules' targets already read.
fn assemble_rules_with(
    conn: &mut DbConn,
    rows: Vec<RuleRow>,
    target_rows: Vec<TargetRow>,
) -> Result<Vec<(PolicyId, Rule)>> {
    let mut targets: HashMap<RuleId, Vec<Target>> = HashMap::new();
    for target in target_rows {
        targets.entry(target.rule_id.clone()).or_default().push(target.into());
    }
    let keys: Vec<String> = rows.iter().filter_map(|r| r.storage_destination_key.clone()).collect();
    let storage: HashMap<String, StorageConfig> = if keys.is_empty() {
        HashMap::new()
    } else {
        storage_configs::table
            .filter(storage_configs::key.eq_any(&keys))
            .select(StorageRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|row| (row.key.clone(), row.into()))
            .collect()
    };
    rows.into_iter()
        .map(|row| {
            let masking = match row.masking_strategy.as_deref() {
                Some(json) => {
                    let spec: MaskingStrategy =
                        db::stored_json(json, &format!("masking strategy of rule {}", row.key))?;
                    Some(MaskingStrategyResponse { strategy: spec.strategy })
                }
                None => None,
            };
            let rule = Rule {
                action_type: row.action(),
                storage_destination: row.storage_destination_key.as_ref().and_then(|k| storage.get(k).cloned()),
                masking_strategy: masking,
                targets: targets.remove(&row.id).unwrap_or_default(),
                key: row.key,
                name: row.name,
            };
            Ok((row.policy_id, rule))
        })
        .collect()
}

/// What a request run needs of its policy, read once: the policy as shown, and its rule and
/// target rows (erasure needs the full masking strategies responses leave out).
pub(crate) struct RunPolicy {
    /// The policy with its rules.
    pub(crate) policy: Policy,
    /// Its rule rows.
    pub(crate) rules: Vec<RuleRow>,
    /// Their targets.
    pub(crate) targets: Vec<TargetRow>,
}

/// The policy `id` for a request run (three queries, four with storage destinations).
pub(crate) fn policy_for_run(conn: &mut DbConn, id: &PolicyId) -> Result<Option<RunPolicy>> {
    let Some(row) = policies::table.find(id).select(PolicyRow::as_select()).first(conn).optional()? else {
        return Ok(None);
    };
    let rules = rules_of(conn, std::slice::from_ref(id))?;
    let ids: Vec<RuleId> = rules.iter().map(|r| r.id.clone()).collect();
    let targets = targets_of(conn, &ids)?;
    let assembled = assemble_rules_with(conn, rules.clone(), targets.clone())?;
    let policy = Policy {
        rules: assembled.into_iter().map(|(_, rule)| rule).collect(),
        key: row.key,
        name: row.name,
        drp_action: None,
        execution_timeframe: row.execution_timeframe,
    };
    Ok(Some(RunPolicy { policy, rules, targets }))
}

/// Full policies of the given rows, in their order.
pub(crate) fn assemble_policies(conn: &mut DbConn, rows: Vec<PolicyRow>) -> Result<Vec<Policy>> {
    let ids: Vec<PolicyId> = rows.iter().map(|p| p.id.clone()).collect();
    let mut rules: HashMap<PolicyId, Vec<Rule>> = HashMap::new();
    let rule_rows = rules_of(conn, &ids)?;
    for (policy_id, rule) in assemble_rules(conn, rule_rows)? {
        rules.entry(policy_id).or_default().push(rule);
    }
    Ok(rows
        .into_iter()
        .map(|row| Policy {
            rules: rules.remove(&row.id).unwrap_or_default(),
            key: row.key,
            name: row.name,
            drp_action: None,
            execution_timeframe: row.execution_timeframe,
        })
        .collect())
}
