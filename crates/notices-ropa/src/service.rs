//! The notices and RoPA service: the seam the gateway calls.

use std::collections::HashMap;

use db::Database;

use validation::Problem;

use crate::error::{NoticesError, Result};
use crate::model::{
    Notice, NoticeCreate, NoticeStatus, NoticeUpdate, Org, OrgCreate, Page, Paging, Product, ProductCreate,
    ProductUpdate, Purpose, PurposeCreate, PurposeUpdate, RopaFilter, RopaRow, RopaScope, RopaSummary, Space,
    SpaceCreate,
};
use crate::repo::{self, Coverage};
use crate::{export, validate};

/// Organisations, spaces, catalog products, privacy notices, processing purposes and the RoPA.
pub trait NoticesService: Send + Sync {
    /// Creates an organisation; a taken slug is a conflict.
    fn create_org(&self, request: OrgCreate) -> Result<Org>;
    /// Every organisation, by slug.
    fn list_orgs(&self) -> Result<Vec<Org>>;
    /// One organisation.
    fn get_org(&self, slug: &str) -> Result<Org>;

    /// Creates a space in an organisation; a taken slug is a conflict.
    fn create_space(&self, request: SpaceCreate) -> Result<Space>;
    /// Every space, by slug.
    fn list_spaces(&self) -> Result<Vec<Space>>;
    /// One space.
    fn get_space(&self, slug: &str) -> Result<Space>;

    /// Adds a product to a space.
    fn create_product(&self, space: &str, request: ProductCreate) -> Result<Product>;
    /// A page of a space's products, by name then id.
    fn list_products(&self, space: &str, paging: Paging) -> Result<Page<Product>>;
    /// One product of a space.
    fn get_product(&self, space: &str, product_id: &str) -> Result<Product>;
    /// Changes the given fields of a product.
    fn update_product(&self, space: &str, product_id: &str, request: ProductUpdate) -> Result<Product>;
    /// Removes a product.
    fn delete_product(&self, space: &str, product_id: &str) -> Result<()>;

    /// A space's notices with their purposes.
    fn list_notices(&self, space: &str) -> Result<Vec<Notice>>;
    /// The notices of every space of an organisation, with `space_name` filled.
    fn list_org_notices(&self, org: &str) -> Result<Vec<Notice>>;
    /// Creates a notice (status DRAFT unless given).
    fn create_notice(&self, space: &str, request: NoticeCreate) -> Result<Notice>;
    /// One notice of a space.
    fn get_notice(&self, space: &str, notice_id: &str) -> Result<Notice>;
    /// Changes the given fields of a notice.
    fn update_notice(&self, space: &str, notice_id: &str, request: NoticeUpdate) -> Result<Notice>;
    /// Deletes a notice and its purposes; products mapped to them become unmapped.
    fn delete_notice(&self, space: &str, notice_id: &str) -> Result<()>;

    /// Adds a purpose to a notice of a space.
    fn add_purpose(&self, space: &str, notice_id: &str, request: PurposeCreate) -> Result<Purpose>;
    /// Changes the given fields of a purpose.
    fn update_purpose(&self, space: &str, notice_id: &str, purpose_id: &str, request: PurposeUpdate)
    -> Result<Purpose>;
    /// Deletes a purpose; products mapped to it become unmapped.
    fn delete_purpose(&self, space: &str, notice_id: &str, purpose_id: &str) -> Result<()>;

    /// A page of the RoPA report.
    fn ropa_report(&self, scope: RopaScope<'_>, filter: &RopaFilter, paging: Paging) -> Result<Page<RopaRow>>;
    /// RoPA counts.
    fn ropa_summary(&self, scope: RopaScope<'_>) -> Result<RopaSummary>;
    /// Streams the RoPA as CSV (header first, at most 10,000 rows) to `sink` in chunks; stops
    /// early when `sink` returns false. Fails before the first chunk when the scope is unknown.
    fn ropa_export(&self, scope: RopaScope<'_>, sink: &mut dyn FnMut(Vec<u8>) -> bool) -> Result<()>;
}

/// [`NoticesService`] over the database.
pub struct DieselNoticesService {
    db: Database,
    /// Most rows an export holds.
    export_max_rows: usize,
    /// Rows read per query while exporting: bounds memory whatever the export's size.
    export_chunk: usize,
}

use db::id::new_uuid as new_id;

/// A purpose under a notice that does not exist is itself not found (as before); a database
/// failure stays one.
fn purpose_not_found(e: NoticesError) -> NoticesError {
    match e {
        NoticesError::NotFound(_) => NoticesError::NotFound("Processing purpose"),
        other => other,
    }
}

fn check(issues: Vec<Problem>) -> Result<()> {
    if issues.is_empty() { Ok(()) } else { Err(NoticesError::Invalid(issues)) }
}

fn conflict_on_unique<T>(result: diesel::QueryResult<T>, message: String) -> Result<T> {
    result.map_err(|e| {
        let e = db::DbError::from(e);
        if e.is_unique_violation() { NoticesError::Conflict(message) } else { NoticesError::Db(e) }
    })
}

fn check_validity(issues: &mut Vec<Problem>, from: Option<chrono::NaiveDateTime>, to: Option<chrono::NaiveDateTime>) {
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        issues.push(Problem::new(validation::loc!["valid_to"], "valid_to must not be before valid_from"));
    }
}

impl DieselNoticesService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselNoticesService {
        DieselNoticesService { db, export_max_rows: export::MAX_EXPORT_ROWS, export_chunk: 1_000 }
    }

    /// Changes the export's row cap and chunk size (both at least 1).
    pub fn with_export_limits(mut self, max_rows: usize, chunk: usize) -> DieselNoticesService {
        self.export_max_rows = max_rows.max(1);
        self.export_chunk = chunk.max(1);
        self
    }

    fn conn(&self) -> Result<db::PooledConn> {
        Ok(self.db.conn()?)
    }

    fn coverage(conn: &mut db::DbConn, scope: RopaScope<'_>) -> Result<Coverage> {
        Ok(match scope {
            RopaScope::Space(slug) => Coverage::space(repo::find_space(conn, slug)?.0.id),
            RopaScope::Org(slug) => {
                let org = repo::find_org(conn, slug)?;
                Coverage::org(conn, &org.id)?
            }
        })
    }

    fn with_purposes(conn: &mut db::DbConn, notices: Vec<(repo::NoticeRow, Option<String>)>) -> Result<Vec<Notice>> {
        let ids: Vec<String> = notices.iter().map(|(n, _)| n.id.clone()).collect();
        let mut purposes: HashMap<String, Vec<Purpose>> = HashMap::new();
        for row in repo::purposes_of(conn, &ids)? {
            purposes.entry(row.notice_id.clone()).or_default().push(row.into());
        }
        notices
            .into_iter()
            .map(|(notice, space_name)| {
                let own = purposes.remove(&notice.id).unwrap_or_default();
                notice.into_notice(space_name, own)
            })
            .collect()
    }

    /// The purpose id a product may be mapped to: one of a notice of the same space.
    fn check_purpose(
        conn: &mut db::DbConn,
        space_id: &str,
        purpose: &Option<String>,
        issues: &mut Vec<Problem>,
    ) -> Result<()> {
        if let Some(purpose) = purpose
            && !repo::purpose_in_space(conn, space_id, purpose)?
        {
            issues.push(Problem::new(
                validation::loc!["processing_purpose_id"],
                format!("Processing purpose '{purpose}' does not belong to a privacy notice of this space"),
            ));
        }
        Ok(())
    }
}

/// Derived columns of a product row: lowercase search copies and the compliance gap.
fn derive(row: &mut repo::ProductRow) {
    row.name_lc = row.name.to_lowercase();
    row.lawful_basis_lc = row.lawful_basis.as_ref().map(|b| b.to_lowercase());
    row.has_compliance_gap = validate::has_compliance_gap(row.sensitivity.as_deref(), row.lawful_basis.as_deref());
}

impl NoticesService for DieselNoticesService {
    fn create_org(&self, request: OrgCreate) -> Result<Org> {
        let mut issues = Vec::new();
        validate::slug("slug", &request.slug, &mut issues);
        let name = validate::required("name", &request.name, &mut issues);
        check(issues)?;
        let row = repo::OrgRow { id: new_id(), slug: request.slug, name, created_at: db::now() };
        let mut conn = self.conn()?;
        conflict_on_unique(
            repo::insert_org(&mut conn, &row),
            format!("An organization with slug '{}' already exists", row.slug),
        )?;
        Ok(row.into())
    }

    fn list_orgs(&self) -> Result<Vec<Org>> {
        Ok(repo::list_orgs(&mut *self.conn()?)?.into_iter().map(Org::from).collect())
    }

    fn get_org(&self, slug: &str) -> Result<Org> {
        Ok(repo::find_org(&mut *self.conn()?, slug)?.into())
    }

    fn create_space(&self, request: SpaceCreate) -> Result<Space> {
        let mut issues = Vec::new();
        validate::slug("slug", &request.slug, &mut issues);
        let name = validate::required("name", &request.name, &mut issues);
        check(issues)?;
        let mut conn = self.conn()?;
        // Only a missing organization is the client's mistake; a database failure stays one.
        let org = repo::find_org(&mut conn, &request.org_slug).map_err(|e| match e {
            NoticesError::NotFound(_) => {
                NoticesError::invalid("org_slug", format!("Organization '{}' does not exist", request.org_slug))
            }
            other => other,
        })?;
        let row = repo::SpaceRow { id: new_id(), slug: request.slug, name, org_id: org.id, created_at: db::now() };
        conflict_on_unique(
            repo::insert_space(&mut conn, &row),
            format!("A space with slug '{}' already exists", row.slug),
        )?;
        Ok(Space {
            id: row.id,
            slug: row.slug,
            name: row.name,
            org_slug: org.slug,
            created_at: db::utc(row.created_at),
        })
    }

    fn list_spaces(&self) -> Result<Vec<Space>> {
        Ok(repo::list_spaces(&mut *self.conn()?)?
            .into_iter()
            .map(|(row, org_slug)| Space {
                id: row.id,
                slug: row.slug,
                name: row.name,
                org_slug,
                created_at: db::utc(row.created_at),
            })
            .collect())
    }

    fn get_space(&self, slug: &str) -> Result<Space> {
        let (row, org_slug) = repo::find_space(&mut *self.conn()?, slug)?;
        Ok(Space { id: row.id, slug: row.slug, name: row.name, org_slug, created_at: db::utc(row.created_at) })
    }

    fn create_product(&self, space: &str, request: ProductCreate) -> Result<Product> {
        let mut conn = self.conn()?;
        let (space, _) = repo::find_space(&mut conn, space)?;
        let mut issues = Vec::new();
        let name = validate::required("name", &request.name, &mut issues);
        let purpose = validate::optional("processing_purpose_id", request.processing_purpose_id, &mut issues);
        Self::check_purpose(&mut conn, &space.id, &purpose, &mut issues)?;
        let at = db::now();
        let mut row = repo::ProductRow {
            id: new_id(),
            space_id: space.id,
            name_lc: String::new(),
            name,
            product_type: validate::optional("product_type", request.product_type, &mut issues),
            product_kind: validate::optional("product_kind", request.product_kind, &mut issues),
            source_id: validate::optional("source_id", request.source_id, &mut issues),
            path: validate::optional("path", request.path, &mut issues),
            environment: validate::optional("environment", request.environment, &mut issues),
            sensitivity: validate::optional("sensitivity", request.sensitivity, &mut issues),
            data_categories: repo::to_json_list(&validate::list(request.data_categories)),
            owner_id: validate::optional("owner_id", request.owner_id, &mut issues),
            owner_name: validate::optional("owner_name", request.owner_name, &mut issues),
            processing_purpose_id: purpose,
            lawful_basis: validate::optional("lawful_basis", request.lawful_basis, &mut issues),
            lawful_basis_lc: None,
            retention_period: validate::optional("retention_period", request.retention_period, &mut issues),
            data_subject_categories: repo::to_json_list(&validate::list(request.data_subject_categories)),
            recipients: repo::to_json_list(&validate::list(request.recipients)),
            has_compliance_gap: false,
            created_at: at,
            updated_at: at,
        };
        check(issues)?;
        derive(&mut row);
        conn.write_transaction(|c| {
            repo::insert_product(c, &row)?;
            repo::adjust_counts(c, &row.space_id, repo::Counts::of(&row))
        })?;
        row.try_into()
    }

    fn list_products(&self, space: &str, paging: Paging) -> Result<Page<Product>> {
        let mut conn = self.conn()?;
        let (space, _) = repo::find_space(&mut conn, space)?;
        let (rows, total) = repo::page_products(&mut conn, &space.id, paging)?;
        Ok(Page { items: rows.into_iter().map(Product::try_from).collect::<Result<_>>()?, total, paging })
    }

    fn get_product(&self, space: &str, product_id: &str) -> Result<Product> {
        let mut conn = self.conn()?;
        let (space, _) = repo::find_space(&mut conn, space)?;
        repo::find_product(&mut conn, &space.id, product_id)?.try_into()
    }

    fn update_product(&self, space: &str, product_id: &str, request: ProductUpdate) -> Result<Product> {
        let mut conn = self.conn()?;
        conn.write_transaction(|c| {
            let (space, _) = repo::find_space(c, space)?;
            let mut row = repo::find_product(c, &space.id, product_id)?;
            let before = repo::Counts::of(&row);
            let mut issues = Vec::new();
            if let Some(name) = request.name {
                row.name = validate::required("name", &name, &mut issues);
            }
            macro_rules! optional_fields {
                ($($field:ident),+) => {$(
                    if let Some(value) = request.$field {
                        row.$field = validate::optional(stringify!($field), value, &mut issues);
                    }
                )+};
            }
            optional_fields!(
                product_type,
                product_kind,
                source_id,
                path,
                environment,
                sensitivity,
                owner_id,
                owner_name,
                lawful_basis,
                retention_period,
                processing_purpose_id
            );
            if let Some(list) = request.data_categories {
                row.data_categories = repo::to_json_list(&validate::list(list));
            }
            if let Some(list) = request.data_subject_categories {
                row.data_subject_categories = repo::to_json_list(&validate::list(list));
            }
            if let Some(list) = request.recipients {
                row.recipients = repo::to_json_list(&validate::list(list));
            }
            Self::check_purpose(c, &space.id, &row.processing_purpose_id, &mut issues)?;
            check(issues)?;
            derive(&mut row);
            row.updated_at = db::now();
            repo::update_product(c, &row)?;
            repo::adjust_counts(c, &row.space_id, repo::Counts::of(&row).minus(before))?;
            row.try_into()
        })
    }

    fn delete_product(&self, space: &str, product_id: &str) -> Result<()> {
        let mut conn = self.conn()?;
        conn.write_transaction(|c| {
            let (space, _) = repo::find_space(c, space)?;
            let row = repo::find_product(c, &space.id, product_id)?;
            repo::delete_product(c, &row.id)?;
            repo::adjust_counts(c, &space.id, repo::Counts::default().minus(repo::Counts::of(&row)))?;
            Ok(())
        })
    }

    fn list_notices(&self, space: &str) -> Result<Vec<Notice>> {
        let mut conn = self.conn()?;
        let (space, _) = repo::find_space(&mut conn, space)?;
        let notices = repo::notices_of_space(&mut conn, &space.id)?.into_iter().map(|n| (n, None)).collect();
        Self::with_purposes(&mut conn, notices)
    }

    fn list_org_notices(&self, org: &str) -> Result<Vec<Notice>> {
        let mut conn = self.conn()?;
        let org = repo::find_org(&mut conn, org)?;
        let notices =
            repo::notices_of_org(&mut conn, &org.id)?.into_iter().map(|(n, space)| (n, Some(space))).collect();
        Self::with_purposes(&mut conn, notices)
    }

    fn create_notice(&self, space: &str, request: NoticeCreate) -> Result<Notice> {
        let mut conn = self.conn()?;
        let (space, _) = repo::find_space(&mut conn, space)?;
        let mut issues = Vec::new();
        let name = validate::required("name", &request.name, &mut issues);
        let version = validate::required("version", &request.version, &mut issues);
        let content_url = validate::external_url("content_url", request.content_url, &mut issues);
        let valid_from = request.valid_from.map(|t| t.naive_utc());
        let valid_to = request.valid_to.map(|t| t.naive_utc());
        check_validity(&mut issues, valid_from, valid_to);
        check(issues)?;
        let at = db::now();
        let row = repo::NoticeRow {
            id: new_id(),
            space_id: space.id,
            name,
            version,
            status: request.status.unwrap_or(NoticeStatus::Draft),
            content_url,
            valid_from,
            valid_to,
            created_at: at,
            updated_at: at,
        };
        repo::insert_notice(&mut conn, &row)?;
        row.into_notice(None, Vec::new())
    }

    fn get_notice(&self, space: &str, notice_id: &str) -> Result<Notice> {
        let mut conn = self.conn()?;
        let (space, _) = repo::find_space(&mut conn, space)?;
        let notice = repo::find_notice(&mut conn, &space.id, notice_id)?;
        Self::with_purposes(&mut conn, vec![(notice, None)])?.pop().ok_or(NoticesError::NotFound("Privacy notice"))
    }

    fn update_notice(&self, space: &str, notice_id: &str, request: NoticeUpdate) -> Result<Notice> {
        let mut conn = self.conn()?;
        let row = conn.write_transaction(|c| {
            let (space, _) = repo::find_space(c, space)?;
            let mut row = repo::find_notice(c, &space.id, notice_id)?;
            let mut issues = Vec::new();
            if let Some(name) = request.name {
                row.name = validate::required("name", &name, &mut issues);
            }
            if let Some(version) = request.version {
                row.version = validate::required("version", &version, &mut issues);
            }
            if let Some(status) = request.status {
                row.status = status;
            }
            if let Some(url) = request.content_url {
                row.content_url = validate::external_url("content_url", url, &mut issues);
            }
            if let Some(from) = request.valid_from {
                row.valid_from = from.map(|t| t.naive_utc());
            }
            if let Some(to) = request.valid_to {
                row.valid_to = to.map(|t| t.naive_utc());
            }
            check_validity(&mut issues, row.valid_from, row.valid_to);
            check(issues)?;
            row.updated_at = db::now();
            repo::update_notice(c, &row)?;
            Ok::<_, NoticesError>(row)
        })?;
        Self::with_purposes(&mut conn, vec![(row, None)])?.pop().ok_or(NoticesError::NotFound("Privacy notice"))
    }

    fn delete_notice(&self, space: &str, notice_id: &str) -> Result<()> {
        let mut conn = self.conn()?;
        conn.write_transaction(|c| {
            let (space, _) = repo::find_space(c, space)?;
            let notice = repo::find_notice(c, &space.id, notice_id)?;
            // Purposes cascade; products mapped to them are unmapped by ON DELETE SET NULL.
            repo::delete_notice(c, &notice.id)?;
            repo::recount(c, &space.id)?;
            Ok(())
        })
    }

    fn add_purpose(&self, space: &str, notice_id: &str, request: PurposeCreate) -> Result<Purpose> {
        let mut conn = self.conn()?;
        let (space, _) = repo::find_space(&mut conn, space)?;
        let notice = repo::find_notice(&mut conn, &space.id, notice_id)?;
        let mut issues = Vec::new();
        let name = validate::required("name", &request.name, &mut issues);
        let description = validate::optional("description", request.description, &mut issues);
        check(issues)?;
        let at = db::now();
        let row = repo::PurposeRow {
            id: new_id(),
            notice_id: notice.id,
            name_lc: name.to_lowercase(),
            name,
            description,
            is_essential: request.is_essential,
            created_at: at,
            updated_at: at,
        };
        repo::insert_purpose(&mut conn, &row)?;
        Ok(row.into())
    }

    fn update_purpose(
        &self,
        space: &str,
        notice_id: &str,
        purpose_id: &str,
        request: PurposeUpdate,
    ) -> Result<Purpose> {
        let mut conn = self.conn()?;
        conn.write_transaction(|c| {
            let (space, _) = repo::find_space(c, space)?;
            let notice = repo::find_notice(c, &space.id, notice_id).map_err(purpose_not_found)?;
            let mut row = repo::find_purpose(c, &notice.id, purpose_id)?;
            let mut issues = Vec::new();
            if let Some(name) = request.name {
                row.name = validate::required("name", &name, &mut issues);
                row.name_lc = row.name.to_lowercase();
            }
            if let Some(description) = request.description {
                row.description = validate::optional("description", description, &mut issues);
            }
            if let Some(essential) = request.is_essential {
                row.is_essential = essential;
            }
            check(issues)?;
            row.updated_at = db::now();
            repo::update_purpose(c, &row)?;
            Ok(row.into())
        })
    }

    fn delete_purpose(&self, space: &str, notice_id: &str, purpose_id: &str) -> Result<()> {
        let mut conn = self.conn()?;
        conn.write_transaction(|c| {
            let (space, _) = repo::find_space(c, space)?;
            let notice = repo::find_notice(c, &space.id, notice_id).map_err(purpose_not_found)?;
            let purpose = repo::find_purpose(c, &notice.id, purpose_id)?;
            repo::delete_purpose(c, &purpose.id)?;
            repo::recount(c, &space.id)?;
            Ok(())
        })
    }

    fn ropa_report(&self, scope: RopaScope<'_>, filter: &RopaFilter, paging: Paging) -> Result<Page<RopaRow>> {
        let mut conn = self.conn()?;
        let coverage = Self::coverage(&mut conn, scope)?;
        let (items, total) = repo::ropa_page(&mut conn, &coverage, filter, paging)?;
        Ok(Page { items, total, paging })
    }

    fn ropa_summary(&self, scope: RopaScope<'_>) -> Result<RopaSummary> {
        let mut conn = self.conn()?;
        let coverage = Self::coverage(&mut conn, scope)?;
        Ok(repo::ropa_summary(&mut conn, &coverage)?)
    }

    fn ropa_export(&self, scope: RopaScope<'_>, sink: &mut dyn FnMut(Vec<u8>) -> bool) -> Result<()> {
        let mut conn = self.conn()?;
        let coverage = Self::coverage(&mut conn, scope)?;
        if !sink(export::header()) {
            return Ok(());
        }
        let mut written = 0;
        let mut after: Option<(String, String)> = None;
        while written < self.export_max_rows {
            let want = self.export_chunk.min(self.export_max_rows - written);
            let rows = repo::ropa_after(&mut conn, &coverage, after.as_ref(), want as i64)?;
            let Some(last) = rows.last() else { break };
            after = Some((last.product_name.to_lowercase(), last.product_id.clone()));
            written += rows.len();
            let done = rows.len() < want;
            if !sink(export::rows(&rows)) || done {
                break;
            }
        }
        Ok(())
    }
}
