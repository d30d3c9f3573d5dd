//! Seeds a RoPA benchmark database: one organisation, a space `bench` with three notices, ten
//! purposes and N products (default 100,000) with varied compliance metadata, through the
//! service. Used by `just bench-ropa`.
//!
//! `cargo run --release -p notices-ropa --example seed_ropa -- DATABASE_URL [PRODUCTS]`

use std::time::Instant;

use notices_ropa::{
    DieselNoticesService, NoticeCreate, NoticesService, OrgCreate, ProductCreate, PurposeCreate, SpaceCreate,
};

const WORDS: [&str; 20] = [
    "Customer",
    "Orders",
    "Events",
    "Billing",
    "Invoices",
    "Sessions",
    "Clicks",
    "Leads",
    "Tickets",
    "Payments",
    "Profiles",
    "Devices",
    "Shipments",
    "Returns",
    "Reviews",
    "Campaigns",
    "Accounts",
    "Contracts",
    "Claims",
    "Visits",
];
const BASES: [Option<&str>; 7] = [
    Some("Consent"),
    Some("Contract"),
    Some("Legal Obligation"),
    Some("Vital Interests"),
    Some("Public Task"),
    Some("Legitimate Interest"),
    None,
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed_ropa DATABASE_URL [PRODUCTS]")?;
    let count: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(100_000);
    let db = db::Database::connect(&url, 8)?;
    db.migrate()?;
    let service = std::sync::Arc::new(DieselNoticesService::new(db));
    service.create_org(OrgCreate { slug: "bench-org".into(), name: "Bench Org".into() })?;
    service.create_space(SpaceCreate { slug: "bench".into(), name: "Bench".into(), org_slug: "bench-org".into() })?;
    let mut purposes = Vec::new();
    for n in 0..3 {
        let notice = service.create_notice(
            "bench",
            NoticeCreate {
                name: format!("Notice {n}"),
                version: "v1".into(),
                status: None,
                content_url: None,
                valid_from: None,
                valid_to: None,
            },
        )?;
        for p in 0..4 {
            if purposes.len() < 10 {
                let purpose = service.add_purpose(
                    "bench",
                    &notice.id,
                    PurposeCreate {
                        name: format!("{} purpose {p}", WORDS[(n * 4 + p) % 20]),
                        description: None,
                        is_essential: p == 0,
                    },
                )?;
                purposes.push(purpose.id);
            }
        }
    }
    let started = Instant::now();
    let threads = if url.starts_with("sqlite") { 1 } else { 8 };
    std::thread::scope(|scope| -> Result<(), String> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let service = std::sync::Arc::clone(&service);
                let purposes = purposes.clone();
                scope.spawn(move || -> Result<(), String> {
                    for i in (t..count).step_by(threads) {
                        let request = ProductCreate {
                            name: format!("{} {:06}", WORDS[i % WORDS.len()], i),
                            product_type: Some(["table", "view", "dashboard"][i % 3].into()),
                            product_kind: Some("dataset".into()),
                            path: Some(format!("warehouse.schema_{}.table_{i}", i % 50)),
                            environment: Some(["production", "staging", "development"][i % 3].into()),
                            sensitivity: Some(["PII", "PHI", "Internal", "Public"][i % 4].into()),
                            data_categories: vec!["user.contact.email".into()],
                            owner_name: Some(format!("Owner {}", i % 40)),
                            processing_purpose_id: (i % 5 != 0).then(|| purposes[i % purposes.len()].clone()),
                            lawful_basis: BASES[i % BASES.len()].map(String::from),
                            retention_period: Some("36 months".into()),
                            data_subject_categories: vec!["Customers".into()],
                            recipients: vec!["Analytics".into()],
                            ..Default::default()
                        };
                        service.create_product("bench", request).map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| "seeding thread panicked".to_string())??;
        }
        Ok(())
    })?;
    eprintln!("seeded {count} products in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
