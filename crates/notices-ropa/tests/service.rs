//! The notices and RoPA service over a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use db::testing::TestDb;
use notices_ropa::*;

fn service(db: &TestDb) -> DieselNoticesService {
    DieselNoticesService::new(db.database().clone())
}

fn org_and_space(s: &DieselNoticesService, org: &str, space: &str) {
    if s.get_org(org).is_err() {
        s.create_org(OrgCreate { slug: org.into(), name: org.to_uppercase() }).unwrap();
    }
    s.create_space(SpaceCreate { slug: space.into(), name: format!("Space {space}"), org_slug: org.into() }).unwrap();
}

fn notice(s: &DieselNoticesService, space: &str, name: &str) -> Notice {
    s.create_notice(
        space,
        NoticeCreate {
            name: name.into(),
            version: "v1".into(),
            status: None,
            content_url: None,
            valid_from: None,
            valid_to: None,
        },
    )
    .unwrap()
}

fn purpose(s: &DieselNoticesService, space: &str, notice: &str, name: &str) -> Purpose {
    s.add_purpose(space, notice, PurposeCreate { name: name.into(), description: None, is_essential: false }).unwrap()
}

fn product(s: &DieselNoticesService, space: &str, name: &str, f: impl FnOnce(&mut ProductCreate)) -> Product {
    let mut request = ProductCreate { name: name.into(), ..Default::default() };
    f(&mut request);
    s.create_product(space, request).unwrap()
}

fn all() -> Paging {
    Paging { limit: 100, offset: 0 }
}

#[test]
fn duplicate_slugs_conflict_and_the_reserved_slug_is_refused() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    assert!(matches!(
        s.create_org(OrgCreate { slug: "acme".into(), name: "x".into() }),
        Err(NoticesError::Conflict(_))
    ));
    let again = s.create_space(SpaceCreate { slug: "web".into(), name: "x".into(), org_slug: "acme".into() });
    assert!(matches!(again, Err(NoticesError::Conflict(_))));
    let reserved = s.create_space(SpaceCreate { slug: "org".into(), name: "x".into(), org_slug: "acme".into() });
    assert!(matches!(reserved, Err(NoticesError::Invalid(i)) if i[0].loc == validation::loc!["slug"]));
    let unknown_org = s.create_space(SpaceCreate { slug: "other".into(), name: "x".into(), org_slug: "nope".into() });
    assert!(matches!(unknown_org, Err(NoticesError::Invalid(i)) if i[0].loc == validation::loc!["org_slug"]));
}

#[test]
fn deleting_a_purpose_or_its_notice_unmaps_products() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    let n = notice(&s, "web", "Policy");
    let p1 = purpose(&s, "web", &n.id, "Analytics");
    let p2 = purpose(&s, "web", &n.id, "Support");
    let a = product(&s, "web", "A", |r| r.processing_purpose_id = Some(p1.id.clone()));
    let b = product(&s, "web", "B", |r| r.processing_purpose_id = Some(p2.id.clone()));

    s.delete_purpose("web", &n.id, &p1.id).unwrap();
    assert_eq!(s.get_product("web", &a.id).unwrap().processing_purpose_id, None);
    assert_eq!(s.get_product("web", &b.id).unwrap().processing_purpose_id, Some(p2.id.clone()));

    s.delete_notice("web", &n.id).unwrap();
    assert_eq!(s.get_product("web", &b.id).unwrap().processing_purpose_id, None);
    assert!(matches!(s.get_notice("web", &n.id), Err(NoticesError::NotFound(_))));
    let summary = s.ropa_summary(RopaScope::Space("web")).unwrap();
    assert_eq!((summary.total, summary.mapped, summary.unmapped), (2, 0, 2));
}

#[test]
fn products_can_only_map_to_purposes_of_their_own_space() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    org_and_space(&s, "acme", "app");
    let n = notice(&s, "app", "App policy");
    let foreign = purpose(&s, "app", &n.id, "App analytics");
    let err = s
        .create_product(
            "web",
            ProductCreate { name: "x".into(), processing_purpose_id: Some(foreign.id.clone()), ..Default::default() },
        )
        .unwrap_err();
    assert!(matches!(err, NoticesError::Invalid(i) if i[0].loc == validation::loc!["processing_purpose_id"]));
    let p = product(&s, "web", "x", |_| {});
    let update = ProductUpdate { processing_purpose_id: Some(Some(foreign.id)), ..Default::default() };
    assert!(matches!(s.update_product("web", &p.id, update), Err(NoticesError::Invalid(_))));
}

#[test]
fn notices_and_purposes_are_invisible_through_another_space() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    org_and_space(&s, "acme", "app");
    let n = notice(&s, "web", "Policy");
    let p = purpose(&s, "web", &n.id, "Analytics");
    assert!(matches!(s.get_notice("app", &n.id), Err(NoticesError::NotFound(_))));
    assert!(matches!(s.update_notice("app", &n.id, NoticeUpdate::default()), Err(NoticesError::NotFound(_))));
    assert!(matches!(s.delete_notice("app", &n.id), Err(NoticesError::NotFound(_))));
    assert!(matches!(s.delete_purpose("app", &n.id, &p.id), Err(NoticesError::NotFound(_))));
    assert!(matches!(s.update_purpose("app", &n.id, &p.id, PurposeUpdate::default()), Err(NoticesError::NotFound(_))));
    let other = notice(&s, "web", "Other");
    assert!(
        matches!(s.delete_purpose("web", &other.id, &p.id), Err(NoticesError::NotFound(_))),
        "purpose of another notice"
    );
    assert_eq!(s.get_notice("web", &n.id).unwrap().purposes.len(), 1);
}

#[test]
fn partial_updates_change_only_the_given_fields() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    let created = s
        .create_notice(
            "web",
            NoticeCreate {
                name: "Policy".into(),
                version: "v1".into(),
                status: None,
                content_url: Some("https://example.com/p".into()),
                valid_from: None,
                valid_to: None,
            },
        )
        .unwrap();
    assert_eq!(created.status, NoticeStatus::Draft);
    let updated = s
        .update_notice("web", &created.id, NoticeUpdate { status: Some(NoticeStatus::Active), ..Default::default() })
        .unwrap();
    assert_eq!(updated.status, NoticeStatus::Active);
    assert_eq!(updated.name, "Policy");
    assert_eq!(updated.content_url.as_deref(), Some("https://example.com/p"));
    let cleared =
        s.update_notice("web", &created.id, NoticeUpdate { content_url: Some(None), ..Default::default() }).unwrap();
    assert_eq!(cleared.content_url, None);
    assert_eq!(cleared.status, NoticeStatus::Active);
}

#[test]
fn report_filters_search_and_paginates_in_a_stable_order() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    let n = notice(&s, "web", "Global Privacy Policy");
    let marketing = purpose(&s, "web", &n.id, "Marketing Analytics");
    product(&s, "web", "Customer Events", |r| {
        r.processing_purpose_id = Some(marketing.id.clone());
        r.lawful_basis = Some("Legitimate Interest".into());
        r.environment = Some("production".into());
        r.sensitivity = Some("PII".into());
    });
    product(&s, "web", "Billing", |r| {
        r.lawful_basis = Some("Contract".into());
        r.environment = Some("staging".into());
        r.sensitivity = Some("PII".into());
    });
    product(&s, "web", "audit_log", |r| r.sensitivity = Some("PHI".into()));
    product(&s, "web", "Zebra 100%", |r| r.sensitivity = Some("Public".into()));

    let names = |filter: RopaFilter| -> Vec<String> {
        s.ropa_report(RopaScope::Space("web"), &filter, all())
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.product_name)
            .collect()
    };
    assert_eq!(names(RopaFilter::default()), ["audit_log", "Billing", "Customer Events", "Zebra 100%"]);
    let f = |mut filter: RopaFilter, edit: &dyn Fn(&mut RopaFilter)| {
        edit(&mut filter);
        filter
    };
    assert_eq!(names(f(RopaFilter::default(), &|x| x.mapping_status = MappingStatus::Mapped)), ["Customer Events"]);
    assert_eq!(names(f(RopaFilter::default(), &|x| x.mapping_status = MappingStatus::Unmapped)).len(), 3);
    assert_eq!(names(f(RopaFilter::default(), &|x| x.search = Some("MARKETING".into()))), ["Customer Events"]);
    assert_eq!(names(f(RopaFilter::default(), &|x| x.search = Some("contr".into()))), ["Billing"]);
    assert_eq!(names(f(RopaFilter::default(), &|x| x.search = Some("events".into()))), ["Customer Events"]);
    assert_eq!(names(f(RopaFilter::default(), &|x| x.search = Some("0%".into()))), ["Zebra 100%"]);
    assert_eq!(
        names(f(RopaFilter::default(), &|x| x.search = Some("_".into()))),
        ["audit_log"],
        "wildcards are literal"
    );
    assert_eq!(names(f(RopaFilter::default(), &|x| x.environment = Some("staging".into()))), ["Billing"]);
    assert_eq!(names(f(RopaFilter::default(), &|x| x.lawful_basis = Some("Contract".into()))), ["Billing"]);
    assert_eq!(names(f(RopaFilter::default(), &|x| x.sensitivity = Some("PHI".into()))), ["audit_log"]);

    let page = s.ropa_report(RopaScope::Space("web"), &RopaFilter::default(), Paging { limit: 3, offset: 2 }).unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(page.items.len(), 2);
    assert!(!page.has_more());
    let first = s.ropa_report(RopaScope::Space("web"), &RopaFilter::default(), Paging { limit: 3, offset: 0 }).unwrap();
    assert!(first.has_more());
    assert_eq!(first.page_number(), 1);

    let row = &s
        .ropa_report(
            RopaScope::Space("web"),
            &f(RopaFilter::default(), &|x| x.mapping_status = MappingStatus::Mapped),
            all(),
        )
        .unwrap()
        .items[0];
    assert_eq!(row.processing_purpose_name.as_deref(), Some("Marketing Analytics"));
    assert_eq!(row.privacy_notice_id.as_deref(), Some(n.id.as_str()));
    assert_eq!(row.privacy_notice_name.as_deref(), Some("Global Privacy Policy"));
    assert_eq!(row.space_slug, None, "space columns are for organisation reports");

    let summary = s.ropa_summary(RopaScope::Space("web")).unwrap();
    assert_eq!(summary, RopaSummary { total: 4, mapped: 1, unmapped: 3, missing_basis: 2, with_compliance_gap: 1 });
}

#[test]
fn organisation_reports_cover_every_space_of_the_org_only() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    org_and_space(&s, "acme", "app");
    org_and_space(&s, "other", "elsewhere");
    product(&s, "web", "W", |_| {});
    product(&s, "app", "A", |_| {});
    product(&s, "elsewhere", "E", |_| {});
    notice(&s, "web", "Web policy");
    notice(&s, "elsewhere", "Other policy");

    let report = s.ropa_report(RopaScope::Org("acme"), &RopaFilter::default(), all()).unwrap();
    let rows: Vec<(String, Option<String>)> =
        report.items.iter().map(|r| (r.product_name.clone(), r.space_slug.clone())).collect();
    assert_eq!(rows, [("A".to_string(), Some("app".to_string())), ("W".to_string(), Some("web".to_string()))]);
    assert_eq!(report.items[0].space_name.as_deref(), Some("Space app"));
    assert_eq!(s.ropa_summary(RopaScope::Org("acme")).unwrap().total, 2);
    let notices = s.list_org_notices("acme").unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].space_name.as_deref(), Some("Space web"));
    assert_eq!(s.list_notices("web").unwrap()[0].space_name, None);
    assert!(matches!(s.ropa_summary(RopaScope::Org("nope")), Err(NoticesError::NotFound(_))));
}

#[test]
fn export_streams_the_header_then_rows_in_order_up_to_the_cap() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    for i in 0..5 {
        product(&s, "web", &format!("p{i}"), |r| r.recipients = vec!["A".into(), "B".into()]);
    }
    let mut chunks = Vec::new();
    s.ropa_export(RopaScope::Space("web"), &mut |chunk| {
        chunks.push(String::from_utf8(chunk).unwrap());
        true
    })
    .unwrap();
    let csv = chunks.concat();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0].starts_with("product_name,space_slug,"));
    assert_eq!(lines[1], "p0,web,,,,,,,,,A; B,,false");
    assert!(matches!(s.ropa_export(RopaScope::Space("nope"), &mut |_| true), Err(NoticesError::NotFound(_))));
}

#[test]
fn summary_counters_match_the_products_after_every_kind_of_change() {
    let db = TestDb::new();
    let s = service(&db);
    org_and_space(&s, "acme", "web");
    let n = notice(&s, "web", "Policy");
    let p1 = purpose(&s, "web", &n.id, "One");
    let p2 = purpose(&s, "web", &n.id, "Two");
    let mut ids = Vec::new();
    for i in 0..12 {
        let p = product(&s, "web", &format!("p{i}"), |r| {
            r.sensitivity = Some(["PII", "PHI", "Public"][i % 3].into());
            r.lawful_basis = (i % 2 == 0).then(|| "Consent".to_string());
            r.processing_purpose_id = [Some(p1.id.clone()), Some(p2.id.clone()), None][i % 3].clone();
        });
        ids.push(p.id);
    }
    let brute = |s: &DieselNoticesService| {
        let rows = s.ropa_report(RopaScope::Space("web"), &RopaFilter::default(), all()).unwrap().items;
        let total = rows.len() as i64;
        let mapped = rows.iter().filter(|r| r.processing_purpose_id.is_some()).count() as i64;
        RopaSummary {
            total,
            mapped,
            unmapped: total - mapped,
            missing_basis: rows.iter().filter(|r| r.lawful_basis.is_none()).count() as i64,
            with_compliance_gap: rows.iter().filter(|r| r.has_compliance_gap).count() as i64,
        }
    };
    assert_eq!(s.ropa_summary(RopaScope::Space("web")).unwrap(), brute(&s));

    let update = ProductUpdate {
        lawful_basis: Some(Some("Contract".into())),
        processing_purpose_id: Some(None),
        ..Default::default()
    };
    s.update_product("web", &ids[1], update).unwrap();
    let update =
        ProductUpdate { lawful_basis: Some(None), sensitivity: Some(Some("PHI".into())), ..Default::default() };
    s.update_product("web", &ids[2], update).unwrap();
    s.delete_product("web", &ids[3]).unwrap();
    assert_eq!(s.ropa_summary(RopaScope::Space("web")).unwrap(), brute(&s));

    s.delete_purpose("web", &n.id, &p1.id).unwrap();
    assert_eq!(s.ropa_summary(RopaScope::Space("web")).unwrap(), brute(&s));
    s.delete_notice("web", &n.id).unwrap();
    let after = s.ropa_summary(RopaScope::Space("web")).unwrap();
    assert_eq!(after, brute(&s));
    assert_eq!(after.mapped, 0);
    let unmapped = s
        .ropa_report(
            RopaScope::Space("web"),
            &RopaFilter { mapping_status: MappingStatus::Unmapped, ..Default::default() },
            all(),
        )
        .unwrap();
    assert_eq!(unmapped.total, 11);
}

#[test]
fn export_stops_at_the_row_cap_across_chunk_boundaries() {
    let db = TestDb::new();
    let s = service(&db).with_export_limits(5, 2);
    org_and_space(&s, "acme", "web");
    for i in 0..7 {
        product(&s, "web", &format!("p{i}"), |_| {});
    }
    let mut chunks = Vec::new();
    s.ropa_export(RopaScope::Space("web"), &mut |chunk| {
        chunks.push(String::from_utf8(chunk).unwrap());
        true
    })
    .unwrap();
    assert_eq!(chunks.len(), 4, "header, then chunks of 2, 2 and 1 rows");
    let names: Vec<String> = chunks[1..]
        .concat()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);

    let mut seen = 0;
    s.ropa_export(RopaScope::Space("web"), &mut |_| {
        seen += 1;
        seen < 2
    })
    .unwrap();
    assert_eq!(seen, 2, "a sink that stops (client gone) ends the export");
}
