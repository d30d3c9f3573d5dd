//! Storage of policies, rules, targets and storage destinations.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use db::DbConn;
use db::schema::{connections, datasets, policies, rule_targets, rules, storage_configs};
use diesel::prelude::*;

use crate::connections::{AccessLevel, ConnectionType};
use crate::model::{
    ActionType, MaskingStrategy, MaskingStrategyResponse, Policy, ResponseFormat, Rule, StorageConfig, StorageType,
    Target,
};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = storage_configs)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct StorageRow {
    pub(crate) id: String,
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

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone)]
#[diesel(table_name = policies)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct PolicyRow {
    pub(crate) id: String,
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
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) policy_id: String,
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

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = rule_targets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct TargetRow {
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) rule_id: String,
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

// ---- storage destinations ----

pub(crate) fn find_storage(conn: &mut DbConn, key: &str) -> QueryResult<Option<StorageRow>> {
    storage_configs::table.filter(storage_configs::key.eq(key)).select(StorageRow::as_select()).first(conn).optional()
}

pub(crate) fn list_storage(conn: &mut DbConn) -> QueryResult<Vec<StorageRow>> {
    storage_configs::table.select(StorageRow::as_select()).order(storage_configs::key.asc()).load(conn)
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

// ---- policies ----

pub(crate) fn find_policy(conn: &mut DbConn, key: &str) -> QueryResult<Option<PolicyRow>> {
    policies::table.filter(policies::key.eq(key)).select(PolicyRow::as_select()).first(conn).optional()
}

pub(crate) fn list_policies(conn: &mut DbConn) -> QueryResult<Vec<PolicyRow>> {
    policies::table.select(PolicyRow::as_select()).order(policies::key.asc()).load(conn)
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

// ---- rules and targets ----

pub(crate) fn rule_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<RuleRow>> {
    rules::table.filter(rules::key.eq(key)).select(RuleRow::as_select()).first(conn).optional()
}

pub(crate) fn rules_of(conn: &mut DbConn, policy_ids: &[String]) -> QueryResult<Vec<RuleRow>> {
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

pub(crate) fn targets_of(conn: &mut DbConn, rule_ids: &[String]) -> QueryResult<Vec<TargetRow>> {
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
pub(crate) fn assemble_rules(conn: &mut DbConn, rows: Vec<RuleRow>) -> QueryResult<Vec<(String, Rule)>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut targets: HashMap<String, Vec<Target>> = HashMap::new();
    for target in targets_of(conn, &ids)? {
        targets.entry(target.rule_id.clone()).or_default().push(target.into());
    }
    let keys: Vec<String> = rows.iter().filter_map(|r| r.storage_destination_key.clone()).collect();
    let storage: HashMap<String, StorageConfig> = storage_configs::table
        .filter(storage_configs::key.eq_any(&keys))
        .select(StorageRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| (row.key.clone(), row.into()))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let masking = row
                .masking_strategy
                .as_deref()
                .and_then(|m| serde_json::from_str::<MaskingStrategy>(m).ok())
                .map(|m| MaskingStrategyResponse { strategy: m.strategy });
            let rule = Rule {
                action_type: row.action(),
                storage_destination: row.storage_destination_key.as_ref().and_then(|k| storage.get(k).cloned()),
                masking_strategy: masking,
                targets: targets.remove(&row.id).unwrap_or_default(),
                key: row.key,
                name: row.name,
            };
            (row.policy_id, rule)
        })
        .collect())
}

/// Full policies of the given rows, in their order.
pub(crate) fn assemble_policies(conn: &mut DbConn, rows: Vec<PolicyRow>) -> QueryResult<Vec<Policy>> {
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let mut rules: HashMap<String, Vec<Rule>> = HashMap::new();
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

// ---- connections ----

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = connections)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct ConnectionRow {
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) connection_type: ConnectionType,
    pub(crate) access: AccessLevel,
    pub(crate) disabled: bool,
    pub(crate) description: Option<String>,
    pub(crate) secrets: Option<Vec<u8>>,
    pub(crate) last_test_at: Option<NaiveDateTime>,
    pub(crate) last_test_succeeded: Option<bool>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn find_connection(conn: &mut DbConn, key: &str) -> QueryResult<Option<ConnectionRow>> {
    connections::table.filter(connections::key.eq(key)).select(ConnectionRow::as_select()).first(conn).optional()
}

pub(crate) fn list_connections(conn: &mut DbConn) -> QueryResult<Vec<ConnectionRow>> {
    connections::table.select(ConnectionRow::as_select()).order(connections::key.asc()).load(conn)
}

pub(crate) fn save_connection(conn: &mut DbConn, row: &ConnectionRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(connections::table.filter(connections::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(connections::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_connection(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(connections::table.filter(connections::id.eq(id))).execute(conn)
}

pub(crate) fn record_test(conn: &mut DbConn, id: &str, succeeded: bool) -> QueryResult<usize> {
    diesel::update(connections::table.filter(connections::id.eq(id)))
        .set((connections::last_test_at.eq(Some(db::now())), connections::last_test_succeeded.eq(Some(succeeded))))
        .execute(conn)
}

// ---- datasets ----

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = datasets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct DatasetRow {
    pub(crate) id: String,
    pub(crate) fides_key: String,
    pub(crate) connection_id: String,
    pub(crate) body: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn find_dataset(conn: &mut DbConn, fides_key: &str) -> QueryResult<Option<DatasetRow>> {
    datasets::table.filter(datasets::fides_key.eq(fides_key)).select(DatasetRow::as_select()).first(conn).optional()
}

pub(crate) fn find_dataset_with_connection(
    conn: &mut DbConn,
    fides_key: &str,
) -> QueryResult<Option<(DatasetRow, ConnectionRow)>> {
    datasets::table
        .inner_join(connections::table)
        .filter(datasets::fides_key.eq(fides_key))
        .select((DatasetRow::as_select(), ConnectionRow::as_select()))
        .first(conn)
        .optional()
}

pub(crate) fn datasets_of(conn: &mut DbConn, connection_id: &str) -> QueryResult<Vec<DatasetRow>> {
    datasets::table
        .filter(datasets::connection_id.eq(connection_id))
        .select(DatasetRow::as_select())
        .order(datasets::fides_key.asc())
        .load(conn)
}

pub(crate) fn save_dataset(conn: &mut DbConn, row: &DatasetRow, exists: bool) -> QueryResult<usize> {
    if exists {
        diesel::update(datasets::table.filter(datasets::id.eq(&row.id))).set(row).execute(conn)
    } else {
        diesel::insert_into(datasets::table).values(row).execute(conn)
    }
}

pub(crate) fn delete_dataset(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(datasets::table.filter(datasets::id.eq(id))).execute(conn)
}

/// Policies by id.
pub(crate) fn policies_by_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<PolicyRow>> {
    policies::table.filter(policies::id.eq_any(ids)).select(PolicyRow::as_select()).load(conn)
}

/// Every dataset of an enabled connection with that connection, by dataset key.
pub(crate) fn enabled_datasets(conn: &mut DbConn) -> QueryResult<Vec<(DatasetRow, ConnectionRow)>> {
    datasets::table
        .inner_join(connections::table)
        .filter(connections::disabled.eq(false))
        .order(datasets::fides_key.asc())
        .select((DatasetRow::as_select(), ConnectionRow::as_select()))
        .load(conn)
}

/// The fields of a manual request connection (JSON), with when they were set.
pub(crate) fn find_manual_fields(
    conn: &mut DbConn,
    connection_id: &str,
) -> QueryResult<Option<(String, NaiveDateTime, NaiveDateTime)>> {
    use db::schema::manual_request_fields as m;
    m::table.find(connection_id).select((m::fields, m::created_at, m::updated_at)).first(conn).optional()
}

pub(crate) fn save_manual_fields(
    conn: &mut DbConn,
    connection_id: &str,
    fields: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    use db::schema::manual_request_fields as m;
    let updated =
        diesel::update(m::table.find(connection_id)).set((m::fields.eq(fields), m::updated_at.eq(at))).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(m::table)
            .values((
                m::connection_id.eq(connection_id),
                m::fields.eq(fields),
                m::created_at.eq(at),
                m::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub(crate) fn delete_manual_fields(conn: &mut DbConn, connection_id: &str) -> QueryResult<usize> {
    use db::schema::manual_request_fields as m;
    diesel::delete(m::table.find(connection_id)).execute(conn)
}

/// Enabled manual request connections that ask for fields, with their fields (JSON), by key.
pub(crate) fn enabled_manual_requests(conn: &mut DbConn) -> QueryResult<Vec<(ConnectionRow, String)>> {
    use db::schema::manual_request_fields as m;
    m::table
        .inner_join(connections::table)
        .filter(connections::disabled.eq(false))
        .filter(connections::connection_type.eq("manual_request"))
        .order(connections::key.asc())
        .select((ConnectionRow::as_select(), m::fields))
        .load(conn)
}
