//! Wire types: organisations, spaces, products, notices, purposes, RoPA rows and summaries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`) in partial updates.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An organisation: a group of spaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Org {
    /// UUID.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A new organisation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OrgCreate {
    /// Lowercase letters, digits and single hyphens between them (at most 64); unique; `org` is reserved.
    #[schema(pattern = r"^(?!org$)[a-z0-9]+(-[a-z0-9]+)*$", max_length = 64, example = "acme")]
    pub slug: String,
    /// Display name.
    #[schema(value_type = validation::text::NameString, example = "Acme Corp")]
    pub name: String,
}

/// A space: where privacy notices and catalog products live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Space {
    /// UUID.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The organisation's slug.
    pub org_slug: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A new space.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SpaceCreate {
    /// Lowercase letters, digits and single hyphens between them (at most 64); unique; `org` is reserved.
    #[schema(pattern = r"^(?!org$)[a-z0-9]+(-[a-z0-9]+)*$", max_length = 64, example = "marketing-analytics")]
    pub slug: String,
    /// Display name.
    #[schema(value_type = validation::text::NameString, example = "Marketing Analytics")]
    pub name: String,
    /// The owning organisation.
    #[schema(example = "acme")]
    pub org_slug: String,
}

/// A catalog product with its compliance metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    /// UUID.
    pub id: String,
    /// Owning space.
    pub space_id: String,
    /// Name.
    pub name: String,
    /// e.g. `table`.
    pub product_type: Option<String>,
    /// e.g. `dataset`.
    pub product_kind: Option<String>,
    /// Id in the source system.
    pub source_id: Option<String>,
    /// Location, e.g. `warehouse.analytics.customer_events`.
    pub path: Option<String>,
    /// e.g. `production`.
    pub environment: Option<String>,
    /// e.g. `PII`, `PHI`, `Internal`.
    pub sensitivity: Option<String>,
    /// Data categories.
    pub data_categories: Vec<String>,
    /// Owner id.
    pub owner_id: Option<String>,
    /// Owner name.
    pub owner_name: Option<String>,
    /// The processing purpose the product is mapped to.
    pub processing_purpose_id: Option<String>,
    /// Lawful basis of the processing.
    pub lawful_basis: Option<String>,
    /// Retention period.
    pub retention_period: Option<String>,
    /// Categories of data subjects.
    pub data_subject_categories: Vec<String>,
    /// Recipients.
    pub recipients: Vec<String>,
    /// Sensitivity indicates PII or PHI and there is no lawful basis.
    pub has_compliance_gap: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new product. Only `name` is required.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProductCreate {
    /// Name.
    #[schema(value_type = validation::text::NameString, example = "Customer Events")]
    pub name: String,
    /// e.g. `table`.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub product_type: Option<String>,
    /// e.g. `dataset`.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub product_kind: Option<String>,
    /// Id in the source system.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub source_id: Option<String>,
    /// Location.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub path: Option<String>,
    /// e.g. `production`.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub environment: Option<String>,
    /// e.g. `PII`.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub sensitivity: Option<String>,
    /// Data categories.
    pub data_categories: Vec<String>,
    /// Owner id.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub owner_id: Option<String>,
    /// Owner name.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub owner_name: Option<String>,
    /// A purpose of a notice in the same space.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub processing_purpose_id: Option<String>,
    /// Lawful basis.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub lawful_basis: Option<String>,
    /// Retention period.
    #[schema(value_type = Option<validation::text::TextString>)]
    pub retention_period: Option<String>,
    /// Categories of data subjects.
    pub data_subject_categories: Vec<String>,
    /// Recipients.
    pub recipients: Vec<String>,
}

/// A partial product update: absent fields stay, `null` clears a field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProductUpdate {
    /// Name.
    #[serde(default)]
    #[schema(value_type = Option<validation::text::NameString>)]
    pub name: Option<String>,
    /// e.g. `table`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub product_type: Option<Option<String>>,
    /// e.g. `dataset`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub product_kind: Option<Option<String>>,
    /// Id in the source system.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub source_id: Option<Option<String>>,
    /// Location.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub path: Option<Option<String>>,
    /// Environment.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub environment: Option<Option<String>>,
    /// Sensitivity.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub sensitivity: Option<Option<String>>,
    /// Data categories.
    #[serde(default)]
    pub data_categories: Option<Vec<String>>,
    /// Owner id.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub owner_id: Option<Option<String>>,
    /// Owner name.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub owner_name: Option<Option<String>>,
    /// A purpose of a notice in the same space; `null` unmaps the product.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub processing_purpose_id: Option<Option<String>>,
    /// Lawful basis.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub lawful_basis: Option<Option<String>>,
    /// Retention period.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub retention_period: Option<Option<String>>,
    /// Categories of data subjects.
    #[serde(default)]
    pub data_subject_categories: Option<Vec<String>>,
    /// Recipients.
    #[serde(default)]
    pub recipients: Option<Vec<String>>,
}

db::text_enum! {
    /// Lifecycle of a notice version.
    pub enum NoticeStatus {
        /// Being written (the default).
        Draft => "DRAFT",
        /// In force.
        Active => "ACTIVE",
        /// Superseded or retired.
        Archived => "ARCHIVED",
    }
}

/// A processing purpose owned by a notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Purpose {
    /// UUID, referenced by product compliance metadata.
    pub id: String,
    /// Owning notice.
    pub notice_id: String,
    /// Name.
    pub name: String,
    /// Description for legal or product review.
    pub description: Option<String>,
    /// Strictly necessary for the core service.
    pub is_essential: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new purpose.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PurposeCreate {
    /// Name.
    #[schema(example = "Marketing Analytics")]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Strictly necessary (default false).
    #[serde(default)]
    pub is_essential: bool,
}

/// A partial purpose update.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PurposeUpdate {
    /// Name.
    #[serde(default)]
    #[schema(value_type = Option<validation::text::NameString>)]
    pub name: Option<String>,
    /// Description; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<validation::text::TextString>)]
    pub description: Option<Option<String>>,
    /// Strictly necessary.
    #[serde(default)]
    pub is_essential: Option<bool>,
}

/// A versioned privacy notice with its purposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    /// UUID.
    pub id: String,
    /// Owning space.
    pub space_id: String,
    /// The space's name in organisation listings; null otherwise.
    pub space_name: Option<String>,
    /// Name.
    pub name: String,
    /// Version label such as `v1.0`.
    pub version: String,
    /// DRAFT, ACTIVE or ARCHIVED.
    pub status: NoticeStatus,
    /// Hosted policy URL.
    pub content_url: Option<String>,
    /// Effective date of this version.
    pub valid_from: Option<DateTime<Utc>>,
    /// Superseded or retired date.
    pub valid_to: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Purposes owned by this notice.
    pub purposes: Vec<Purpose>,
}

/// A new notice.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NoticeCreate {
    /// Name.
    #[schema(value_type = validation::text::NameString, example = "Global Privacy Policy")]
    pub name: String,
    /// Version label.
    #[schema(value_type = validation::text::NameString, example = "v1.0")]
    pub version: String,
    /// Default DRAFT.
    #[serde(default)]
    pub status: Option<NoticeStatus>,
    /// An external http(s) URL.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = r"^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([hH][tT][tT][pP][sS]?:[\s\S]*)?$", example = "https://example.com/privacy-policy")]
    pub content_url: Option<String>,
    /// Effective from.
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// Superseded at.
    #[serde(default)]
    pub valid_to: Option<DateTime<Utc>>,
}

/// A partial notice update: absent fields stay, `null` clears optional ones.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NoticeUpdate {
    /// Name.
    #[serde(default)]
    #[schema(value_type = Option<validation::text::NameString>)]
    pub name: Option<String>,
    /// Version label.
    #[serde(default)]
    #[schema(value_type = Option<validation::text::NameString>)]
    pub version: Option<String>,
    /// DRAFT, ACTIVE or ARCHIVED.
    #[serde(default)]
    pub status: Option<NoticeStatus>,
    /// An external http(s) URL.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub content_url: Option<Option<String>>,
    /// Effective from.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_from: Option<Option<DateTime<Utc>>>,
    /// Superseded at.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_to: Option<Option<DateTime<Utc>>>,
}

/// One row of the Record of Processing Activities: a product and its mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RopaRow {
    /// Product UUID.
    pub product_id: String,
    /// Product name.
    pub product_name: String,
    /// Product type.
    pub product_type: Option<String>,
    /// Product kind.
    pub product_kind: Option<String>,
    /// Id in the source system.
    pub product_source_id: Option<String>,
    /// Location.
    pub path: Option<String>,
    /// Environment.
    pub environment: Option<String>,
    /// The product's space; filled in organisation reports only.
    pub space_slug: Option<String>,
    /// The product's space name; filled in organisation reports only.
    pub space_name: Option<String>,
    /// Lawful basis.
    pub lawful_basis: Option<String>,
    /// Retention period.
    pub retention_period: Option<String>,
    /// Categories of data subjects.
    pub data_subject_categories: Vec<String>,
    /// Mapped purpose.
    pub processing_purpose_id: Option<String>,
    /// Mapped purpose's name.
    pub processing_purpose_name: Option<String>,
    /// The purpose's notice.
    pub privacy_notice_id: Option<String>,
    /// The purpose's notice name.
    pub privacy_notice_name: Option<String>,
    /// Sensitivity.
    pub sensitivity: Option<String>,
    /// Data categories.
    pub data_categories: Vec<String>,
    /// Recipients.
    pub recipients: Vec<String>,
    /// Owner id.
    pub owner_id: Option<String>,
    /// Owner name.
    pub owner_name: Option<String>,
    /// Sensitivity indicates PII or PHI and there is no lawful basis.
    pub has_compliance_gap: bool,
}

/// RoPA dashboard counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RopaSummary {
    /// Products.
    pub total: i64,
    /// Products mapped to a purpose.
    pub mapped: i64,
    /// Products without a purpose.
    pub unmapped: i64,
    /// Products without a lawful basis.
    pub missing_basis: i64,
    /// Products with a compliance gap.
    pub with_compliance_gap: i64,
}

db::text_enum! {
    /// Whether a product is mapped to a purpose.
    #[derive(Default)]
    pub enum MappingStatus {
        /// Mapped to a purpose.
        Mapped => "mapped",
        /// Not mapped.
        Unmapped => "unmapped",
        /// Either.
        #[default]
        All => "all",
    }
}

/// Pagination: `limit` 1..100 (default 20) and `offset` (default 0).
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size from 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Records to skip.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

/// Query of the RoPA report.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RopaParams {
    /// Page size from 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Records to skip.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
    /// Case-insensitive search over product name, lawful basis and purpose name.
    pub search: Option<String>,
    /// Exact lawful basis.
    pub lawful_basis: Option<String>,
    /// Exact environment.
    pub environment: Option<String>,
    /// Exact sensitivity.
    pub sensitivity: Option<String>,
    /// mapped, unmapped or all (default).
    #[param(inline)]
    pub mapping_status: Option<MappingStatus>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1..=100.
    pub limit: i64,
    /// ≥ 0.
    pub offset: i64,
}

impl Paging {
    /// Checks `limit` (1..100, default 20) and `offset` (≥ 0, default 0); issues name the field.
    pub fn parse(limit: Option<i64>, offset: Option<i64>) -> Result<Paging, Vec<validation::Problem>> {
        let mut issues = Vec::new();
        let limit = limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            issues.push(validation::Problem::new(validation::loc!["limit"], "Input should be between 1 and 100"));
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 {
            issues.push(validation::Problem::new(
                validation::loc!["offset"],
                "Input should be greater than or equal to 0",
            ));
        }
        if issues.is_empty() { Ok(Paging { limit, offset }) } else { Err(issues) }
    }
}

/// Filters of the RoPA report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RopaFilter {
    /// Case-insensitive substring of product name, lawful basis or purpose name.
    pub search: Option<String>,
    /// Exact lawful basis.
    pub lawful_basis: Option<String>,
    /// Exact environment.
    pub environment: Option<String>,
    /// Exact sensitivity.
    pub sensitivity: Option<String>,
    /// Mapped, unmapped or all.
    pub mapping_status: MappingStatus,
}

impl RopaParams {
    /// Splits the query into validated paging and filters.
    pub fn parse(self) -> Result<(Paging, RopaFilter), Vec<validation::Problem>> {
        let paging = Paging::parse(self.limit, self.offset)?;
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Ok((
            paging,
            RopaFilter {
                search: non_empty(self.search),
                lawful_basis: non_empty(self.lawful_basis),
                environment: non_empty(self.environment),
                sensitivity: non_empty(self.sensitivity),
                mapping_status: self.mapping_status.unwrap_or_default(),
            },
        ))
    }
}

/// One page of results and the total that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// This page.
    pub items: Vec<T>,
    /// All matches.
    pub total: i64,
    /// The request.
    pub paging: Paging,
}

impl<T> Page<T> {
    /// 1-based page number.
    pub fn page_number(&self) -> i64 {
        self.paging.offset / self.paging.limit + 1
    }

    /// True when more results follow this page.
    pub fn has_more(&self) -> bool {
        self.paging.offset + (self.items.len() as i64) < self.total
    }
}

/// Which records a RoPA query covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopaScope<'a> {
    /// One space, by slug.
    Space(&'a str),
    /// Every space of an organisation, by slug.
    Org(&'a str),
}
