//! The redaction service over a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

use db::testing::TestDb;
use redaction::{DieselRedactionService, EntityRules, RedactionError, RedactionService};
use serde_json::json;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn patterns_start_empty_and_replace_keeps_the_given_order() {
    let db = TestDb::new();
    let service = DieselRedactionService::new(db.database().clone());
    assert!(service.patterns().unwrap().is_empty());

    let given = strings(&["sensitive_.*", ".*_private", "^email$", "customer.*", ".*user.*"]);
    assert_eq!(service.replace_patterns(given.clone()).unwrap(), given);
    assert_eq!(service.patterns().unwrap(), given);

    let smaller = strings(&["zeta", "alpha"]);
    service.replace_patterns(smaller.clone()).unwrap();
    assert_eq!(service.patterns().unwrap(), smaller);
    service.replace_patterns(Vec::new()).unwrap();
    assert!(service.patterns().unwrap().is_empty());
}

#[test]
fn a_rejected_replacement_changes_nothing() {
    let db = TestDb::new();
    let service = DieselRedactionService::new(db.database().clone());
    service.replace_patterns(strings(&["keep_me"])).unwrap();

    let err = service.replace_patterns(strings(&["fine", "[invalid"])).unwrap_err();
    assert!(matches!(err, RedactionError::InvalidPatterns(_)));
    let too_many = (0..101).map(|i| i.to_string()).collect();
    assert!(matches!(service.replace_patterns(too_many), Err(RedactionError::TooManyPatterns { .. })));

    assert_eq!(service.patterns().unwrap(), strings(&["keep_me"]));
}

#[test]
fn redactor_uses_the_stored_patterns_and_follows_changes() {
    let db = TestDb::new();
    let service = DieselRedactionService::new(db.database().clone());
    service.replace_patterns(strings(&["crm"])).unwrap();
    let package = json!({"db:users": [], "crm:contacts": []}).as_object().unwrap().clone();
    let out = service.redactor(EntityRules::new()).unwrap().redact_package(package.clone());
    assert_eq!(out.keys().collect::<Vec<_>>(), ["db:users", "dataset_2:contacts"]);

    service.replace_patterns(strings(&["^db$"])).unwrap();
    let out = service.redactor(EntityRules::new()).unwrap().redact_package(package);
    assert_eq!(out.keys().collect::<Vec<_>>(), ["dataset_1:users", "crm:contacts"]);
}

#[test]
fn another_process_sees_replaced_patterns_promptly() {
    let db = TestDb::new();
    let on_postgres = db.database().backend() == db::Backend::Postgres;
    let feed = db::changes::ChangeFeed::new();
    let writer = DieselRedactionService::new(db.database().clone());
    let reader = DieselRedactionService::new(db.database().clone()).with_change_feed(&feed);
    let _listener = feed.start_listener(db.database(), db.url());
    db.wait_for_listener(&feed);

    assert!(reader.patterns().unwrap().is_empty()); // cached
    writer.replace_patterns(strings(&["new"])).unwrap();
    assert_eq!(writer.patterns().unwrap(), strings(&["new"]), "the writer sees its change at once");
    let limit = if on_postgres { std::time::Duration::from_millis(1000) } else { std::time::Duration::from_secs(3) };
    let started = std::time::Instant::now();
    while reader.patterns().unwrap().is_empty() {
        assert!(started.elapsed() < limit, "still stale after {limit:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
