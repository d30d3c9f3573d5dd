//! Wire types of policies, rules and targets.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bulk::BulkBody;
use crate::masking::{MaskingStrategy, MaskingStrategyResponse};
use crate::storage::StorageConfig;

db::text_enum! {
    /// What a rule does.
    pub enum ActionType {
        /// Collect the subject's data into a package.
        Access => "access",
        /// Mask the subject's data.
        Erasure => "erasure",
        /// Consent preferences (not executed by Lethe).
        Consent => "consent",
        /// Updates (not supported, as in Fides).
        Update => "update",
    }
}

/// A data category a rule targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Target {
    /// Key, unique within the rule.
    pub key: String,
    /// Name.
    pub name: String,
    /// A taxonomy data category, e.g. `user.contact.email`.
    pub data_category: String,
}

/// A target to create or update (by key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetCreate {
    /// Name; defaults to the key.
    #[serde(default)]
    pub name: Option<String>,
    /// Key; derived from the rule and category when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// A taxonomy data category.
    #[schema(value_type = crate::taxonomy::DataCategoryKey, example = "user.contact.email")]
    pub data_category: String,
}

/// A rule with its targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rule {
    /// Key, unique across policies.
    pub key: String,
    /// Name.
    pub name: String,
    /// `access` or `erasure`.
    pub action_type: ActionType,
    /// Where access packages go; the default (local, JSON) when null.
    pub storage_destination: Option<StorageConfig>,
    /// How erasure masks values.
    pub masking_strategy: Option<MaskingStrategyResponse>,
    /// Targeted data categories.
    pub targets: Vec<Target>,
}

/// A rule to create or update (by key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleCreate {
    /// Name.
    pub name: String,
    /// Key; derived from `name` when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// `access` or `erasure`.
    pub action_type: ActionType,
    /// A storage destination's key (access rules).
    #[serde(default)]
    pub storage_destination_key: Option<String>,
    /// Required for erasure rules.
    #[serde(default)]
    pub masking_strategy: Option<MaskingStrategy>,
}

/// A policy with its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Policy {
    /// Unique key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Always null: data-rights-protocol actions are not supported.
    pub drp_action: Option<String>,
    /// Days a request has to complete.
    pub execution_timeframe: Option<i32>,
    /// Rules with their targets.
    pub rules: Vec<Rule>,
}

/// A policy to create or update (by key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyCreate {
    /// Name.
    #[schema(example = "Customer access")]
    pub name: String,
    /// Key; derived from `name` when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// Days a request has to complete (at least 1).
    #[serde(default, deserialize_with = "validation::integer::optional")]
    pub execution_timeframe: Option<i32>,
}

/// A bulk body of policies.
pub type PolicyList = BulkBody<PolicyCreate>;

/// A bulk body of rules.
pub type RuleList = BulkBody<RuleCreate>;

/// A bulk body of rule targets.
pub type TargetList = BulkBody<TargetCreate>;
