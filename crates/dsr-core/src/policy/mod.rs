//! Policies, their rules and the rules' targets, with Fides' rules: erasure needs a masking
//! strategy and no destination, rule keys are unique across policies, unknown data categories
//! are refused, and erasure targets of one policy may not overlap. `default_access_policy`
//! (target `user`) and `default_erasure_policy` (HMAC of `user`) are seeded by the migrations.

pub(crate) mod model;
pub(crate) mod repo;

use db::{Database, DbConn};
use validation::Problem;

pub use model::{
    ActionType, Policy, PolicyCreate, PolicyList, Rule, RuleCreate, RuleList, Target, TargetCreate, TargetList,
};

use crate::bulk::{BulkResponse, ItemError, MAX_BULK, refuse, save_each};
use crate::error::{DsrError, Result};
use crate::keys;
use crate::page::{FidesPage, PageRequest};
use crate::taxonomy::{Taxonomy, is_same_or_ancestor};
use repo::{PolicyId, PolicyRow, RuleId, RuleRow, TargetId, TargetRow};

/// Policies, rules and targets of data-subject requests.
pub trait PolicyService: Send + Sync {
    /// Creates or updates policies by key (at most 50); each item succeeds or fails alone.
    fn upsert_policies(&self, items: Vec<PolicyCreate>) -> Result<BulkResponse<Policy>>;
    /// A page of policies with their rules, by key.
    fn list_policies(&self, page: PageRequest) -> Result<FidesPage<Policy>>;
    /// One policy with its rules.
    fn get_policy(&self, key: &str) -> Result<Policy>;
    /// Deletes a policy no privacy request was made under, with its rules and targets.
    fn delete_policy(&self, key: &str) -> Result<()>;

    /// Creates or updates rules of `policy` by key.
    fn upsert_rules(&self, policy: &str, items: Vec<RuleCreate>) -> Result<BulkResponse<Rule>>;
    /// A page of the rules of `policy`, in creation order.
    fn list_rules(&self, policy: &str, page: PageRequest) -> Result<FidesPage<Rule>>;
    /// One rule of `policy`.
    fn get_rule(&self, policy: &str, rule: &str) -> Result<Rule>;
    /// Deletes a rule with its targets.
    fn delete_rule(&self, policy: &str, rule: &str) -> Result<()>;

    /// Creates or updates targets of a rule by key; unknown data categories are refused (422).
    fn upsert_targets(&self, policy: &str, rule: &str, items: Vec<TargetCreate>) -> Result<BulkResponse<Target>>;
    /// A page of the targets of a rule, in creation order.
    fn list_targets(&self, policy: &str, rule: &str, page: PageRequest) -> Result<FidesPage<Target>>;
    /// Deletes a target.
    fn delete_target(&self, policy: &str, rule: &str, target: &str) -> Result<()>;
}

/// [`PolicyService`] over the database, checking targets against the embedded taxonomy.
pub struct DieselPolicyService {
    db: Database,
    taxonomy: Taxonomy,
}

impl DieselPolicyService {
    /// A service over `db` with the embedded fideslang taxonomy.
    pub fn new(db: Database) -> DieselPolicyService {
        DieselPolicyService { db, taxonomy: Taxonomy::embedded() }
    }
}

/// The policy `key`, or a 404.
pub(crate) fn policy_row(conn: &mut DbConn, key: &str) -> Result<PolicyRow> {
    repo::find_policy(conn, key)?.ok_or_else(|| DsrError::NotFound(format!("No Policy found for key {key}.")))
}

/// The policy `key` with its rules, or none.
pub(crate) fn find_policy(conn: &mut DbConn, key: &str) -> Result<Option<(PolicyRow, Policy)>> {
    let Some(row) = repo::find_policy(conn, key)? else { return Ok(None) };
    let policy = repo::assemble_policies(conn, vec![row.clone()])?.pop();
    Ok(policy.map(|p| (row, p)))
}

fn rule_row(conn: &mut DbConn, policy: &PolicyRow, key: &str) -> Result<RuleRow> {
    repo::rule_by_key(conn, key)?
        .filter(|rule| rule.policy_id == policy.id)
        .ok_or_else(|| DsrError::NotFound(format!("No Rule found for key {key} on Policy {}.", policy.key)))
}

fn one_rule(conn: &mut DbConn, row: RuleRow) -> Result<Rule> {
    let mut rules = repo::assemble_rules(conn, vec![row])?;
    rules.pop().map(|(_, rule)| rule).ok_or_else(|| DsrError::NotFound("Rule not found.".into()))
}

/// Erasure targets of one policy may not overlap: one category the ancestor of another.
fn check_erasure_overlap(conn: &mut DbConn, policy_id: &PolicyId) -> std::result::Result<(), ItemError> {
    let erasure: Vec<RuleId> = repo::rules_of(conn, std::slice::from_ref(policy_id))?
        .into_iter()
        .filter(|r| r.action_type == ActionType::Erasure)
        .map(|r| r.id)
        .collect();
    let categories: Vec<String> = repo::targets_of(conn, &erasure)?.into_iter().map(|t| t.data_category).collect();
    for (i, a) in categories.iter().enumerate() {
        for b in &categories[i + 1..] {
            if is_same_or_ancestor(a, b) || is_same_or_ancestor(b, a) {
                return refuse(format!(
                    "Policy rules are invalid, action conflict in erasure rules detected for categories {a} and {b}"
                ));
            }
        }
    }
    Ok(())
}

/// Why a rule cannot be stored as given, by Fides' rules.
fn refusal(item: &RuleCreate) -> Option<String> {
    match item.action_type {
        ActionType::Update | ActionType::Consent => {
            Some(format!("{} Rules are not supported at this time.", item.action_type.as_str()))
        }
        ActionType::Erasure => match &item.masking_strategy {
            None => Some("Erasure Rules must have masking strategies.".to_owned()),
            Some(masking) => match crate::masking::Strategy::parse(masking) {
                Err(refused) => Some(refused.0),
                Ok(_) if item.storage_destination_key.is_some() => {
                    Some("Erasure Rules cannot have storage destinations.".to_owned())
                }
                Ok(_) => None,
            },
        },
        ActionType::Access if item.masking_strategy.is_some() => {
            Some("Access Rules cannot have masking strategies.".to_owned())
        }
        ActionType::Access => None,
    }
}

impl PolicyService for DieselPolicyService {
    fn upsert_policies(&self, items: Vec<PolicyCreate>) -> Result<BulkResponse<Policy>> {
        save_each(&self.db, MAX_BULK, items, |c, item| {
            if item.name.trim().is_empty() {
                return refuse("name must not be empty");
            }
            let key = keys::key_or_name(item.key.as_deref(), &item.name)?;
            if item.execution_timeframe.is_some_and(|days| days < 1) {
                return refuse("execution_timeframe must be at least 1 day");
            }
            let now = db::now();
            let existing = repo::find_policy(c, &key)?;
            let exists = existing.is_some();
            let row = PolicyRow {
                id: existing.as_ref().map_or_else(PolicyId::new, |p| p.id.clone()),
                created_at: existing.as_ref().map_or(now, |p| p.created_at),
                key,
                name: item.name.trim().to_owned(),
                execution_timeframe: item.execution_timeframe,
                updated_at: now,
            };
            repo::save_policy(c, &row, exists)?;
            Ok(repo::assemble_policies(c, vec![row])?.remove(0))
        })
    }

    fn list_policies(&self, page: PageRequest) -> Result<FidesPage<Policy>> {
        let mut conn = self.db.conn()?;
        let rows = repo::list_policies(&mut conn, page.window())?;
        let items = repo::assemble_policies(&mut conn, rows.items)?;
        Ok(FidesPage::new(items, rows.total, page))
    }

    fn get_policy(&self, key: &str) -> Result<Policy> {
        let mut conn = self.db.conn()?;
        let row = policy_row(&mut conn, key)?;
        Ok(repo::assemble_policies(&mut conn, vec![row])?.remove(0))
    }

    fn delete_policy(&self, key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = policy_row(c, key)?;
            let used = repo::count_requests_using(c, &row.id)?;
            if used > 0 {
                return Err(DsrError::Conflict(format!(
                    "Policy {key} is used by {used} privacy request(s) and cannot be deleted"
                )));
            }
            repo::delete_policy(c, &row.id)?;
            Ok(())
        })
    }

    fn upsert_rules(&self, policy: &str, items: Vec<RuleCreate>) -> Result<BulkResponse<Rule>> {
        let policy = policy_row(&mut *self.db.conn()?, policy)?;
        save_each(&self.db, MAX_BULK, items, |c, item| {
            let key = keys::key_or_name(item.key.as_deref(), &item.name)?;
            if let Some(message) = refusal(item) {
                return refuse(message);
            }
            if let Some(destination) = &item.storage_destination_key
                && crate::storage::repo::find_storage(c, destination)?.is_none()
            {
                return refuse(format!("A StorageConfig with key {destination} does not exist"));
            }
            let existing = repo::rule_by_key(c, &key)?;
            if existing.as_ref().is_some_and(|r| r.policy_id != policy.id) {
                return refuse(format!("Rule with identifier {key} belongs to another policy."));
            }
            let now = db::now();
            let exists = existing.is_some();
            let masking_strategy = match &item.masking_strategy {
                Some(m) => Some(serde_json::to_string(m).map_err(|e| ItemError::Refused(e.to_string()))?),
                None => None,
            };
            let row = RuleRow {
                id: existing.as_ref().map_or_else(RuleId::new, |r| r.id.clone()),
                created_at: existing.as_ref().map_or(now, |r| r.created_at),
                key,
                policy_id: policy.id.clone(),
                name: item.name.trim().to_owned(),
                action_type: item.action_type,
                storage_destination_key: item.storage_destination_key.clone(),
                masking_strategy,
                updated_at: now,
            };
            repo::save_rule(c, &row, exists)?;
            check_erasure_overlap(c, &policy.id)?;
            Ok(one_rule(c, row)?)
        })
    }

    fn list_rules(&self, policy: &str, page: PageRequest) -> Result<FidesPage<Rule>> {
        let mut conn = self.db.conn()?;
        let policy = policy_row(&mut conn, policy)?;
        let rows = repo::rules_page(&mut conn, &policy.id, page.window())?;
        let items = repo::assemble_rules(&mut conn, rows.items)?.into_iter().map(|(_, rule)| rule).collect();
        Ok(FidesPage::new(items, rows.total, page))
    }

    fn get_rule(&self, policy: &str, rule: &str) -> Result<Rule> {
        let mut conn = self.db.conn()?;
        let policy = policy_row(&mut conn, policy)?;
        let row = rule_row(&mut conn, &policy, rule)?;
        one_rule(&mut conn, row)
    }

    fn delete_rule(&self, policy: &str, rule: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let policy = policy_row(c, policy)?;
            let row = rule_row(c, &policy, rule)?;
            repo::delete_rule(c, &row.id)?;
            Ok(())
        })
    }

    fn upsert_targets(&self, policy: &str, rule: &str, items: Vec<TargetCreate>) -> Result<BulkResponse<Target>> {
        let unknown: Vec<Problem> = items
            .iter()
            .enumerate()
            .filter(|(_, t)| !self.taxonomy.is_data_category(&t.data_category))
            .map(|(i, t)| {
                Problem::new(
                    validation::loc![i, "data_category"],
                    format!("Invalid data categories: [{}]", t.data_category),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(DsrError::Invalid(unknown));
        }
        let (policy, rule) = {
            let mut conn = self.db.conn()?;
            let policy = policy_row(&mut conn, policy)?;
            let rule = rule_row(&mut conn, &policy, rule)?;
            (policy, rule)
        };
        save_each(&self.db, MAX_BULK, items, |c, item| {
            let key = match &item.key {
                Some(key) => keys::key_or_name(Some(key), "")?,
                None => keys::from_name(&format!("{} {}", rule.key, item.data_category)),
            };
            let existing: Vec<TargetRow> = repo::targets_of(c, std::slice::from_ref(&rule.id))?;
            if let Some(other) = existing.iter().find(|t| t.data_category == item.data_category && t.key != key) {
                return refuse(format!(
                    "DataCategory {} is already specified on Rule with ID {} (target {})",
                    item.data_category, rule.key, other.key
                ));
            }
            let current = existing.into_iter().find(|t| t.key == key);
            let now = db::now();
            let exists = current.is_some();
            let row = TargetRow {
                id: current.as_ref().map_or_else(TargetId::new, |t| t.id.clone()),
                created_at: current.as_ref().map_or(now, |t| t.created_at),
                name: item.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| key.clone()),
                key,
                rule_id: rule.id.clone(),
                data_category: item.data_category.clone(),
                updated_at: now,
            };
            repo::save_target(c, &row, exists)?;
            check_erasure_overlap(c, &policy.id)?;
            Ok(row.into())
        })
    }

    fn list_targets(&self, policy: &str, rule: &str, page: PageRequest) -> Result<FidesPage<Target>> {
        let mut conn = self.db.conn()?;
        let policy = policy_row(&mut conn, policy)?;
        let rule = rule_row(&mut conn, &policy, rule)?;
        let rows = repo::targets_page(&mut conn, &rule.id, page.window())?;
        Ok(FidesPage::of(rows.map(Target::from), page))
    }

    fn delete_target(&self, policy: &str, rule: &str, target: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let policy = policy_row(c, policy)?;
            let rule = rule_row(c, &policy, rule)?;
            let row = repo::targets_of(c, &[rule.id])?
                .into_iter()
                .find(|t| t.key == target)
                .ok_or_else(|| DsrError::NotFound(format!("No RuleTarget found for key {target}.")))?;
            repo::delete_target(c, &row.id)?;
            Ok(())
        })
    }
}
