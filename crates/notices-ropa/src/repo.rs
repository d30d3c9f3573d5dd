//! Storage: rows, conversions and queries.

use chrono::NaiveDateTime;
use db::schema::{orgs, privacy_notices, processing_purposes, products, spaces};
use db::{DbConn, MultiBackend, utc};
use diesel::dsl::{count, count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::error::{NoticesError, Result};
use crate::model::{
    MappingStatus, Notice, NoticeStatus, Org, Paging, Product, Purpose, RopaFilter, RopaRow, RopaSummary,
};

/// A stored JSON list of strings; text that is not one is corrupt data.
fn json_list(text: &str) -> Result<Vec<String>> {
    Ok(db::stored_json(text, "a product's list column")?)
}

pub(crate) fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

// ---- organisations and spaces ----

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = orgs)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct OrgRow {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) created_at: NaiveDateTime,
}

impl From<OrgRow> for Org {
    fn from(row: OrgRow) -> Org {
        Org { id: row.id, slug: row.slug, name: row.name, created_at: utc(row.created_at) }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = spaces)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SpaceRow {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) org_id: String,
    pub(crate) created_at: NaiveDateTime,
}

pub(crate) fn insert_org(conn: &mut DbConn, row: &OrgRow) -> QueryResult<usize> {
    diesel::insert_into(orgs::table).values(row).execute(conn)
}

pub(crate) fn list_orgs(conn: &mut DbConn) -> QueryResult<Vec<OrgRow>> {
    orgs::table.select(OrgRow::as_select()).order(orgs::slug.asc()).load(conn)
}

pub(crate) fn find_org(conn: &mut DbConn, slug: &str) -> Result<OrgRow> {
    orgs::table
        .filter(orgs::slug.eq(slug))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(NoticesError::NotFound("Organization"))
}

pub(crate) fn insert_space(conn: &mut DbConn, row: &SpaceRow) -> QueryResult<usize> {
    diesel::insert_into(spaces::table).values(row).execute(conn)
}

/// Spaces with their organisation's slug.
pub(crate) fn list_spaces(conn: &mut DbConn) -> QueryResult<Vec<(SpaceRow, String)>> {
    spaces::table
        .inner_join(orgs::table)
        .select((SpaceRow::as_select(), orgs::slug))
        .order(spaces::slug.asc())
        .load(conn)
}

pub(crate) fn find_space(conn: &mut DbConn, slug: &str) -> Result<(SpaceRow, String)> {
    spaces::table
        .inner_join(orgs::table)
        .filter(spaces::slug.eq(slug))
        .select((SpaceRow::as_select(), orgs::slug))
        .first(conn)
        .optional()?
        .ok_or(NoticesError::NotFound("Space"))
}

// ---- notices and purposes ----

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = privacy_notices)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct NoticeRow {
    pub(crate) id: String,
    pub(crate) space_id: String,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) status: NoticeStatus,
    pub(crate) content_url: Option<String>,
    pub(crate) valid_from: Option<NaiveDateTime>,
    pub(crate) valid_to: Option<NaiveDateTime>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl NoticeRow {
    pub(crate) fn into_notice(self, space_name: Option<String>, purposes: Vec<Purpose>) -> Result<Notice> {
        Ok(Notice {
            id: self.id,
            space_id: self.space_id,
            space_name,
            name: self.name,
            version: self.version,
            status: self.status,
            content_url: self.content_url,
            valid_from: self.valid_from.map(utc),
            valid_to: self.valid_to.map(utc),
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            purposes,
        })
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = processing_purposes)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct PurposeRow {
    pub(crate) id: String,
    pub(crate) notice_id: String,
    pub(crate) name: String,
    pub(crate) name_lc: String,
    pub(crate) description: Option<String>,
    pub(crate) is_essential: bool,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl From<PurposeRow> for Purpose {
    fn from(row: PurposeRow) -> Purpose {
        Purpose {
            id: row.id,
            notice_id: row.notice_id,
            name: row.name,
            description: row.description,
            is_essential: row.is_essential,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

pub(crate) fn insert_notice(conn: &mut DbConn, row: &NoticeRow) -> QueryResult<usize> {
    diesel::insert_into(privacy_notices::table).values(row).execute(conn)
}

pub(crate) fn update_notice(conn: &mut DbConn, row: &NoticeRow) -> QueryResult<usize> {
    diesel::update(privacy_notices::table.filter(privacy_notices::id.eq(&row.id))).set(row).execute(conn)
}

/// A notice, only if it belongs to the space.
pub(crate) fn find_notice(conn: &mut DbConn, space_id: &str, notice_id: &str) -> Result<NoticeRow> {
    privacy_notices::table
        .filter(privacy_notices::id.eq(notice_id).and(privacy_notices::space_id.eq(space_id)))
        .select(NoticeRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(NoticesError::NotFound("Privacy notice"))
}

pub(crate) fn delete_notice(conn: &mut DbConn, notice_id: &str) -> QueryResult<usize> {
    diesel::delete(privacy_notices::table.filter(privacy_notices::id.eq(notice_id))).execute(conn)
}

/// Notices of a space, oldest first.
pub(crate) fn notices_of_space(conn: &mut DbConn, space_id: &str) -> QueryResult<Vec<NoticeRow>> {
    privacy_notices::table
        .filter(privacy_notices::space_id.eq(space_id))
        .select(NoticeRow::as_select())
        .order((privacy_notices::created_at.asc(), privacy_notices::id.asc()))
        .load(conn)
}

/// Notices of every space of an organisation, with the space's name.
pub(crate) fn notices_of_org(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<(NoticeRow, String)>> {
    privacy_notices::table
        .inner_join(spaces::table)
        .filter(spaces::org_id.eq(org_id))
        .select((NoticeRow::as_select(), spaces::name))
        .order((spaces::slug.asc(), privacy_notices::created_at.asc(), privacy_notices::id.asc()))
        .load(conn)
}

/// Purposes of the given notices, in creation order, in one query.
pub(crate) fn purposes_of(conn: &mut DbConn, notice_ids: &[String]) -> QueryResult<Vec<PurposeRow>> {
    if notice_ids.is_empty() {
        return Ok(Vec::new());
    }
    processing_purposes::table
        .filter(processing_purposes::notice_id.eq_any(notice_ids))
        .select(PurposeRow::as_select())
        .order((processing_purposes::created_at.asc(), processing_purposes::id.asc()))
        .load(conn)
}

pub(crate) fn insert_purpose(conn: &mut DbConn, row: &PurposeRow) -> QueryResult<usize> {
    diesel::insert_into(processing_purposes::table).values(row).execute(conn)
}

pub(crate) fn update_purpose(conn: &mut DbConn, row: &PurposeRow) -> QueryResult<usize> {
    diesel::update(processing_purposes::table.filter(processing_purposes::id.eq(&row.id))).set(row).execute(conn)
}

/// A purpose, only if it belongs to the notice.
pub(crate) fn find_purpose(conn: &mut DbConn, notice_id: &str, purpose_id: &str) -> Result<PurposeRow> {
    processing_purposes::table
        .filter(processing_purposes::id.eq(purpose_id).and(processing_purposes::notice_id.eq(notice_id)))
        .select(PurposeRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(NoticesError::NotFound("Processing purpose"))
}

pub(crate) fn delete_purpose(conn: &mut DbConn, purpose_id: &str) -> QueryResult<usize> {
    diesel::delete(processing_purposes::table.filter(processing_purposes::id.eq(purpose_id))).execute(conn)
}

/// True when the purpose belongs to a notice of the space.
pub(crate) fn purpose_in_space(conn: &mut DbConn, space_id: &str, purpose_id: &str) -> QueryResult<bool> {
    let found: i64 = processing_purposes::table
        .inner_join(privacy_notices::table)
        .filter(processing_purposes::id.eq(purpose_id).and(privacy_notices::space_id.eq(space_id)))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

// ---- products ----

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(crate) struct ProductRow {
    pub(crate) id: String,
    pub(crate) space_id: String,
    pub(crate) name: String,
    pub(crate) name_lc: String,
    pub(crate) product_type: Option<String>,
    pub(crate) product_kind: Option<String>,
    pub(crate) source_id: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) environment: Option<String>,
    pub(crate) sensitivity: Option<String>,
    pub(crate) data_categories: String,
    pub(crate) owner_id: Option<String>,
    pub(crate) owner_name: Option<String>,
    pub(crate) processing_purpose_id: Option<String>,
    pub(crate) lawful_basis: Option<String>,
    pub(crate) lawful_basis_lc: Option<String>,
    pub(crate) retention_period: Option<String>,
    pub(crate) data_subject_categories: String,
    pub(crate) recipients: String,
    pub(crate) has_compliance_gap: bool,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl TryFrom<ProductRow> for Product {
    type Error = NoticesError;

    fn try_from(row: ProductRow) -> Result<Product> {
        Ok(Product {
            data_categories: json_list(&row.data_categories)?,
            data_subject_categories: json_list(&row.data_subject_categories)?,
            recipients: json_list(&row.recipients)?,
            id: row.id,
            space_id: row.space_id,
            name: row.name,
            product_type: row.product_type,
            product_kind: row.product_kind,
            source_id: row.source_id,
            path: row.path,
            environment: row.environment,
            sensitivity: row.sensitivity,
            owner_id: row.owner_id,
            owner_name: row.owner_name,
            processing_purpose_id: row.processing_purpose_id,
            lawful_basis: row.lawful_basis,
            retention_period: row.retention_period,
            has_compliance_gap: row.has_compliance_gap,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }
}

pub(crate) fn insert_product(conn: &mut DbConn, row: &ProductRow) -> QueryResult<usize> {
    diesel::insert_into(products::table).values(row).execute(conn)
}

pub(crate) fn update_product(conn: &mut DbConn, row: &ProductRow) -> QueryResult<usize> {
    diesel::update(products::table.filter(products::id.eq(&row.id))).set(row).execute(conn)
}

pub(crate) fn find_product(conn: &mut DbConn, space_id: &str, product_id: &str) -> Result<ProductRow> {
    products::table
        .filter(products::id.eq(product_id).and(products::space_id.eq(space_id)))
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(NoticesError::NotFound("Product"))
}

pub(crate) fn delete_product(conn: &mut DbConn, product_id: &str) -> QueryResult<usize> {
    diesel::delete(products::table.filter(products::id.eq(product_id))).execute(conn)
}

/// A page of a space's products by name (case-insensitively), then id, and the total.
pub(crate) fn page_products(conn: &mut DbConn, space_id: &str, paging: Paging) -> QueryResult<(Vec<ProductRow>, i64)> {
    let total = products::table.filter(products::space_id.eq(space_id)).count().get_result(conn)?;
    let rows = products::table
        .filter(products::space_id.eq(space_id))
        .select(ProductRow::as_select())
        .order((products::name_lc.asc(), products::id.asc()))
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}

// ---- RoPA ----

/// What one product adds to its space's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    total: i64,
    mapped: i64,
    missing_basis: i64,
    gaps: i64,
}

impl Counts {
    pub(crate) fn of(row: &ProductRow) -> Counts {
        Counts {
            total: 1,
            mapped: i64::from(row.processing_purpose_id.is_some()),
            missing_basis: i64::from(row.lawful_basis.is_none()),
            gaps: i64::from(row.has_compliance_gap),
        }
    }

    pub(crate) fn minus(self, other: Counts) -> Counts {
        Counts {
            total: self.total - other.total,
            mapped: self.mapped - other.mapped,
            missing_basis: self.missing_basis - other.missing_basis,
            gaps: self.gaps - other.gaps,
        }
    }
}

/// Adds `delta` to a space's counters; runs in the product write's transaction.
pub(crate) fn adjust_counts(conn: &mut DbConn, space_id: &str, delta: Counts) -> QueryResult<()> {
    if delta == Counts::default() {
        return Ok(());
    }
    diesel::update(spaces::table.filter(spaces::id.eq(space_id)))
        .set((
            spaces::product_count.eq(spaces::product_count + delta.total),
            spaces::mapped_count.eq(spaces::mapped_count + delta.mapped),
            spaces::missing_basis_count.eq(spaces::missing_basis_count + delta.missing_basis),
            spaces::gap_count.eq(spaces::gap_count + delta.gaps),
        ))
        .execute(conn)
        .map(drop)
}

/// Recomputes a space's counters from its products (after deletions the database cascaded).
pub(crate) fn recount(conn: &mut DbConn, space_id: &str) -> QueryResult<()> {
    let summary = summarise(conn, &Coverage::space(space_id.to_owned()))?;
    diesel::update(spaces::table.filter(spaces::id.eq(space_id)))
        .set((
            spaces::product_count.eq(summary.total),
            spaces::mapped_count.eq(summary.mapped),
            spaces::missing_basis_count.eq(summary.missing_basis),
            spaces::gap_count.eq(summary.with_compliance_gap),
        ))
        .execute(conn)
        .map(drop)
}

/// The spaces a RoPA query covers, resolved to ids up front so that products are filtered and
/// ordered on their own covering index, without joins.
#[derive(Debug, Clone)]
pub(crate) struct Coverage {
    space_ids: Vec<String>,
    /// Organisation reports name each row's space.
    pub(crate) with_space: bool,
}

impl Coverage {
    pub(crate) fn space(space_id: String) -> Coverage {
        Coverage { space_ids: vec![space_id], with_space: false }
    }

    pub(crate) fn org(conn: &mut DbConn, org_id: &str) -> QueryResult<Coverage> {
        let space_ids = spaces::table.filter(spaces::org_id.eq(org_id)).select(spaces::id).load(conn)?;
        Ok(Coverage { space_ids, with_space: true })
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A filter resolved against the database: the search also matches products whose purpose name
/// matches, found once among the (few) purposes rather than per product.
struct Resolved {
    filter: RopaFilter,
    pattern: Option<String>,
    matching_purposes: Vec<String>,
}

fn resolve(conn: &mut DbConn, coverage: &Coverage, filter: &RopaFilter) -> QueryResult<Resolved> {
    let pattern = filter.search.as_deref().map(|s| like_pattern(s.trim()));
    let matching_purposes = match &pattern {
        Some(pattern) => processing_purposes::table
            .inner_join(privacy_notices::table)
            .filter(privacy_notices::space_id.eq_any(&coverage.space_ids))
            .filter(processing_purposes::name_lc.like(pattern).escape('\\'))
            .select(processing_purposes::id)
            .load(conn)?,
        None => Vec::new(),
    };
    Ok(Resolved { filter: filter.clone(), pattern, matching_purposes })
}

/// Products of the coverage matching the filter, as a boxed query on `products` alone. A macro
/// because the count, the page ids and the export select different things from it.
macro_rules! filtered_products {
    ($coverage:expr, $resolved:expr) => {{
        let coverage: &Coverage = $coverage;
        let resolved: &Resolved = $resolved;
        let mut query = products::table.into_boxed::<MultiBackend>();
        query = match coverage.space_ids.as_slice() {
            // Equality lets the planner read the index in order and stop after one page.
            [single] => query.filter(products::space_id.eq(single.clone())),
            many => query.filter(products::space_id.eq_any(many.to_vec())),
        };
        query = match resolved.filter.mapping_status {
            MappingStatus::Mapped => query.filter(products::processing_purpose_id.is_not_null()),
            MappingStatus::Unmapped => query.filter(products::processing_purpose_id.is_null()),
            MappingStatus::All => query,
        };
        if let Some(basis) = &resolved.filter.lawful_basis {
            query = query.filter(products::lawful_basis.eq(basis.clone()));
        }
        if let Some(environment) = &resolved.filter.environment {
            query = query.filter(products::environment.eq(environment.clone()));
        }
        if let Some(sensitivity) = &resolved.filter.sensitivity {
            query = query.filter(products::sensitivity.eq(sensitivity.clone()));
        }
        if let Some(pattern) = &resolved.pattern {
            let text = products::name_lc
                .like(pattern.clone())
                .escape('\\')
                .nullable()
                .or(products::lawful_basis_lc.like(pattern.clone()).escape('\\'));
            query = if resolved.matching_purposes.is_empty() {
                query.filter(text)
            } else {
                query.filter(text.or(products::processing_purpose_id.eq_any(resolved.matching_purposes.clone())))
            };
        }
        query
    }};
}

type RopaTuple = (ProductRow, String, String, Option<String>, Option<String>, Option<String>);

fn ropa_row(tuple: RopaTuple, with_space: bool) -> Result<RopaRow> {
    let (product, space_slug, space_name, purpose_name, notice_id, notice_name) = tuple;
    Ok(RopaRow {
        data_categories: json_list(&product.data_categories)?,
        data_subject_categories: json_list(&product.data_subject_categories)?,
        recipients: json_list(&product.recipients)?,
        product_id: product.id,
        product_name: product.name,
        product_type: product.product_type,
        product_kind: product.product_kind,
        product_source_id: product.source_id,
        path: product.path,
        environment: product.environment,
        space_slug: with_space.then_some(space_slug),
        space_name: with_space.then_some(space_name),
        lawful_basis: product.lawful_basis,
        retention_period: product.retention_period,
        processing_purpose_id: product.processing_purpose_id,
        processing_purpose_name: purpose_name,
        privacy_notice_id: notice_id,
        privacy_notice_name: notice_name,
        sensitivity: product.sensitivity,
        owner_id: product.owner_id,
        owner_name: product.owner_name,
        has_compliance_gap: product.has_compliance_gap,
    })
}

/// Full rows, with space, purpose and notice, of the given products, in report order.
fn rows_of(conn: &mut DbConn, ids: &[String], with_space: bool) -> Result<Vec<RopaRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<RopaTuple> = products::table
        .inner_join(spaces::table)
        .left_join(processing_purposes::table.inner_join(privacy_notices::table))
        .filter(products::id.eq_any(ids))
        .select((
            ProductRow::as_select(),
            spaces::slug,
            spaces::name,
            processing_purposes::name.nullable(),
            privacy_notices::id.nullable(),
            privacy_notices::name.nullable(),
        ))
        .order((products::name_lc.asc(), products::id.asc()))
        .load(conn)?;
    rows.into_iter().map(|t| ropa_row(t, with_space)).collect()
}

/// A page of the report (product name case-insensitively, then id) and the number of matches.
/// The page's ids come from the covering index; only those rows are joined and read whole.
pub(crate) fn ropa_page(
    conn: &mut DbConn,
    coverage: &Coverage,
    filter: &RopaFilter,
    paging: Paging,
) -> Result<(Vec<RopaRow>, i64)> {
    let resolved = resolve(conn, coverage, filter)?;
    let unfiltered = RopaFilter { mapping_status: filter.mapping_status, ..RopaFilter::default() };
    let total: i64 = if *filter == unfiltered {
        // Counting a whole space is O(products); its counters answer at once.
        let summary = ropa_summary(conn, coverage)?;
        match filter.mapping_status {
            MappingStatus::All => summary.total,
            MappingStatus::Mapped => summary.mapped,
            MappingStatus::Unmapped => summary.unmapped,
        }
    } else {
        filtered_products!(coverage, &resolved).select(count_star()).get_result(conn)?
    };
    if paging.offset >= total {
        return Ok((Vec::new(), total));
    }
    let ids: Vec<String> = filtered_products!(coverage, &resolved)
        .select(products::id)
        .order((products::name_lc.asc(), products::id.asc()))
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows_of(conn, &ids, coverage.with_space)?, total))
}

/// Up to `limit` rows after `after` (lowercase product name, id) in report order: keyset
/// pagination for the export, which fills the space columns in both scopes.
pub(crate) fn ropa_after(
    conn: &mut DbConn,
    coverage: &Coverage,
    after: Option<&(String, String)>,
    limit: i64,
) -> Result<Vec<RopaRow>> {
    let resolved = Resolved { filter: RopaFilter::default(), pattern: None, matching_purposes: Vec::new() };
    let mut query = filtered_products!(coverage, &resolved);
    if let Some((name, id)) = after {
        query = query.filter(
            products::name_lc.gt(name.clone()).or(products::name_lc.eq(name.clone()).and(products::id.gt(id.clone()))),
        );
    }
    let ids: Vec<String> =
        query.select(products::id).order((products::name_lc.asc(), products::id.asc())).limit(limit).load(conn)?;
    rows_of(conn, &ids, true)
}

/// Summary counts from the spaces' counters.
pub(crate) fn ropa_summary(conn: &mut DbConn, coverage: &Coverage) -> QueryResult<RopaSummary> {
    let rows: Vec<(i64, i64, i64, i64)> = spaces::table
        .filter(spaces::id.eq_any(&coverage.space_ids))
        .select((spaces::product_count, spaces::mapped_count, spaces::missing_basis_count, spaces::gap_count))
        .load(conn)?;
    let (total, mapped, missing_basis, with_compliance_gap) =
        rows.into_iter().fold((0, 0, 0, 0), |acc, r| (acc.0 + r.0, acc.1 + r.1, acc.2 + r.2, acc.3 + r.3));
    Ok(RopaSummary { total, mapped, unmapped: total - mapped, missing_basis, with_compliance_gap })
}

/// Summary counts computed from the products, in one aggregate over the covering index.
pub(crate) fn summarise(conn: &mut DbConn, coverage: &Coverage) -> QueryResult<RopaSummary> {
    let resolved = Resolved { filter: RopaFilter::default(), pattern: None, matching_purposes: Vec::new() };
    let (total, mapped, missing_basis, with_compliance_gap): (i64, i64, i64, i64) =
        filtered_products!(coverage, &resolved)
            .select((
                count_star(),
                count(products::processing_purpose_id),
                sql::<BigInt>("COALESCE(SUM(CASE WHEN products.lawful_basis IS NULL THEN 1 ELSE 0 END), 0)"),
                sql::<BigInt>("COALESCE(SUM(CASE WHEN products.has_compliance_gap THEN 1 ELSE 0 END), 0)"),
            ))
            .get_result(conn)?;
    Ok(RopaSummary { total, mapped, unmapped: total - mapped, missing_basis, with_compliance_gap })
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards_and_fold_case() {
        assert_eq!(like_pattern("Ab"), "%ab%");
        assert_eq!(like_pattern("100%_x\\"), "%100\\%\\_x\\\\%");
        assert_eq!(like_pattern("ŻÓŁW"), "%żółw%");
    }
}
