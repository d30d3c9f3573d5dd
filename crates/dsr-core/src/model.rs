//! Wire types: policies, rules, targets, storage destinations, and Fides' bulk and page shapes.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

/// A masking strategy as submitted: its name and configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MaskingStrategy {
    /// `null_rewrite`, `string_rewrite`, `hash`, `hmac`, `random_string_rewrite` or `aes_encrypt`.
    #[schema(example = "hmac")]
    pub strategy: String,
    /// Strategy settings.
    #[serde(
        default,
        skip_serializing_if = "serde_json::Value::is_null",
        deserialize_with = "validation::json::object_or_null"
    )]
    #[schema(value_type = Option<Object>)]
    pub configuration: serde_json::Value,
}

/// A masking strategy as returned: configurations may hold secrets and are never echoed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MaskingStrategyResponse {
    /// The strategy's name.
    pub strategy: String,
}

db::text_enum! {
    /// Output format of access packages.
    #[derive(Default)]
    pub enum ResponseFormat {
        /// One JSON document.
        #[default]
        Json => "json",
        /// A zip of one CSV per collection.
        Csv => "csv",
    }
}

db::text_enum! {
    /// Kind of storage destination.
    #[derive(Default)]
    pub enum StorageType {
        /// Files under `LETHE__STORAGE__PATH`, served by signed links.
        #[default]
        Local => "local",
    }
}

/// A storage destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StorageConfig {
    /// Unique key.
    pub key: String,
    /// Name.
    pub name: String,
    /// `local`.
    #[serde(rename = "type")]
    pub storage_type: StorageType,
    /// `json` or `csv`.
    pub format: ResponseFormat,
}

/// A storage destination to create or update (by key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StorageConfigCreate {
    /// Unique key; derived from `name` when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// `local`.
    #[serde(rename = "type", default)]
    pub storage_type: StorageType,
    /// `json` (default) or `csv`.
    #[serde(default)]
    pub format: ResponseFormat,
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

/// One item a bulk write could not take, with the item as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkFailure {
    /// Why.
    pub message: String,
    /// The submitted item (an object, or for some routes the identifiers it named).
    #[schema(value_type = serde_json::Value)]
    pub data: serde_json::Value,
}

/// Fides' bulk answer: what was stored and what was not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkResponse<T> {
    /// Stored items.
    pub succeeded: Vec<T>,
    /// Refused items.
    pub failed: Vec<BulkFailure>,
}

impl<T> Default for BulkResponse<T> {
    fn default() -> Self {
        BulkResponse { succeeded: Vec::new(), failed: Vec::new() }
    }
}

/// Most items one bulk write takes.
pub const MAX_BULK: usize = 50;

/// Refuses a list of `len` items at `loc` when it holds more than `max` (the one place a bulk
/// limit is checked).
pub(crate) fn check_bulk(loc: Vec<validation::Loc>, len: usize, max: usize) -> crate::Result<()> {
    match validation::problem::at_most(loc, len, max) {
        Some(problem) => Err(crate::DsrError::Invalid(vec![problem])),
        None => Ok(()),
    }
}

/// The OpenAPI schema of a bulk request body: a list of at most `N` items of `T`
/// (`request_body = BulkBody<PolicyCreate>`). Only a schema; handlers take `Vec<T>`.
pub struct BulkBody<T, const N: usize = MAX_BULK>(std::marker::PhantomData<T>);

/// A bulk body of policies.
pub type PolicyList = BulkBody<PolicyCreate>;
/// A bulk body of rules.
pub type RuleList = BulkBody<RuleCreate>;
/// A bulk body of rule targets.
pub type TargetList = BulkBody<TargetCreate>;
/// A bulk body of storage destinations.
pub type StorageConfigList = BulkBody<StorageConfigCreate>;

impl<T: ToSchema, const N: usize> utoipa::PartialSchema for BulkBody<T, N> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name(T::name()))
            .max_items(Some(N))
            .description(Some(format!("At most {N} items")))
            .into()
    }
}

impl<T: ToSchema, const N: usize> ToSchema for BulkBody<T, N> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("{}List", T::name()).into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// Page request (fastapi-pagination): `page` ≥ 1 (default 1), `size` 1..100 (default 50).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 50)]
    pub size: Option<i64>,
}

/// A page in Fides' shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FidesPage<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// All items.
    pub total: i64,
    /// This page (1-based).
    pub page: i64,
    /// Page size.
    pub size: i64,
    /// Number of pages.
    pub pages: i64,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page.
    pub page: i64,
    /// 1..=100.
    pub size: i64,
}

impl PageQuery {
    /// Validates the query; the error names the parameter.
    pub fn parse(self) -> Result<PageRequest, (&'static str, &'static str)> {
        let page = self.page.unwrap_or(1);
        let size = self.size.unwrap_or(50);
        if page < 1 {
            return Err(("page", "Input should be greater than or equal to 1"));
        }
        if !(1..=100).contains(&size) {
            return Err(("size", "Input should be between 1 and 100"));
        }
        Ok(PageRequest { page, size })
    }
}

impl PageRequest {
    /// Items before this page (saturating: a page far past the end is simply empty).
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }
}

impl<T> FidesPage<T> {
    /// Wraps one page of `total` items.
    pub fn new(items: Vec<T>, total: i64, request: PageRequest) -> FidesPage<T> {
        FidesPage {
            items,
            total,
            page: request.page,
            size: request.size,
            pages: (total + request.size - 1) / request.size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_far_past_the_end_is_empty_not_an_overflow() {
        let page =
            PageQuery { page: Some(i64::MAX - 1), size: Some(50) }.parse().unwrap_or(PageRequest { page: 1, size: 1 });
        assert_eq!(page.offset(), i64::MAX);
        assert_eq!(PageRequest { page: 3, size: 20 }.offset(), 40);
    }
}
