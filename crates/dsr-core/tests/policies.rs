//! Policies, rules, targets and storage destinations over a real database (SQLite, or
//! PostgreSQL with TEST_DATABASE_URL).

use db::testing::TestDb;
use dsr_core::*;

fn service(db: &TestDb) -> DieselPolicyService {
    DieselPolicyService::new(db.database().clone())
}

fn storage(db: &TestDb) -> DieselStorageService {
    DieselStorageService::new(db.database().clone())
}

const ALL: PageRequest = PageRequest { page: 1, size: 100 };

fn policy(name: &str) -> PolicyCreate {
    PolicyCreate { name: name.into(), key: None, execution_timeframe: None }
}

fn rule(name: &str, action: ActionType) -> RuleCreate {
    RuleCreate {
        name: name.into(),
        key: None,
        action_type: action,
        storage_destination_key: None,
        masking_strategy: (action == ActionType::Erasure)
            .then(|| MaskingStrategy { strategy: "null_rewrite".into(), configuration: serde_json::json!({}) }),
    }
}

fn target(category: &str) -> TargetCreate {
    TargetCreate { name: None, key: None, data_category: category.into() }
}

#[test]
fn the_default_access_policy_is_seeded_with_target_user() {
    let db = TestDb::new();
    let policy = service(&db).get_policy("default_access_policy").unwrap();
    assert_eq!(policy.rules.len(), 1);
    assert_eq!(policy.rules[0].key, "default_access_policy_rule");
    assert_eq!(policy.rules[0].action_type, ActionType::Access);
    assert_eq!(policy.rules[0].targets[0].data_category, "user");
}

#[test]
fn the_default_erasure_policy_is_seeded_with_hmac_masking_of_user() {
    let db = TestDb::new();
    let policy = service(&db).get_policy("default_erasure_policy").unwrap();
    assert_eq!(policy.rules.len(), 1);
    assert_eq!(policy.rules[0].key, "default_erasure_policy_rule");
    assert_eq!(policy.rules[0].action_type, ActionType::Erasure);
    assert_eq!(policy.rules[0].masking_strategy.as_ref().unwrap().strategy, "hmac");
    assert_eq!(policy.rules[0].targets[0].data_category, "user");
}

#[test]
fn policies_are_upserted_by_key_and_bad_items_fail_alone() {
    let db = TestDb::new();
    let s = service(&db);
    let first = s
        .upsert_policies(vec![
            policy("Customer Access"),
            PolicyCreate { name: "Bad".into(), key: Some("has space".into()), execution_timeframe: None },
            PolicyCreate { name: "Zero".into(), key: None, execution_timeframe: Some(0) },
        ])
        .unwrap();
    assert_eq!(first.succeeded.len(), 1);
    assert_eq!(first.succeeded[0].key, "customer_access");
    assert_eq!(first.failed.len(), 2);
    assert!(first.failed[0].message.contains("FidesKeys"));
    assert_eq!(first.failed[0].data["key"], "has space");

    let renamed = s
        .upsert_policies(vec![PolicyCreate {
            name: "Renamed".into(),
            key: Some("customer_access".into()),
            execution_timeframe: Some(30),
        }])
        .unwrap();
    assert_eq!(renamed.succeeded[0].name, "Renamed");
    assert_eq!(s.list_policies(ALL).unwrap().total, 3, "updated, not duplicated (beside the two seeded policies)");
    let too_many = (0..51).map(|i| policy(&format!("p{i}"))).collect();
    match s.upsert_policies(too_many) {
        Err(DsrError::Invalid(problems)) => {
            assert_eq!(problems[0].msg, "List should have at most 50 items after validation, not 51");
            assert_eq!(problems[0].kind, "too_long");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rules_follow_fides_validation() {
    let db = TestDb::new();
    let s = service(&db);
    s.upsert_policies(vec![policy("P"), policy("Other")]).unwrap();
    let mut no_masking = rule("Erase", ActionType::Erasure);
    no_masking.masking_strategy = None;
    let mut unknown_masking = rule("Erase2", ActionType::Erasure);
    unknown_masking.masking_strategy =
        Some(MaskingStrategy { strategy: "shred".into(), configuration: serde_json::json!({}) });
    let mut with_destination = rule("Erase3", ActionType::Erasure);
    with_destination.storage_destination_key = Some("x".into());
    let mut missing_destination = rule("Access2", ActionType::Access);
    missing_destination.storage_destination_key = Some("nowhere".into());
    let out = s
        .upsert_rules(
            "p",
            vec![
                rule("Access", ActionType::Access),
                no_masking,
                unknown_masking,
                with_destination,
                missing_destination,
                rule("Up", ActionType::Update),
            ],
        )
        .unwrap();
    assert_eq!(out.succeeded.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["access"]);
    let messages: Vec<&str> = out.failed.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages[0], "Erasure Rules must have masking strategies.");
    assert!(messages[1].starts_with("Unknown masking strategy 'shred'"));
    assert_eq!(messages[2], "Erasure Rules cannot have storage destinations.");
    assert_eq!(messages[3], "A StorageConfig with key nowhere does not exist");
    assert_eq!(messages[4], "update Rules are not supported at this time.");

    let stolen = s.upsert_rules("other", vec![rule("Access", ActionType::Access)]).unwrap();
    assert_eq!(stolen.failed[0].message, "Rule with identifier access belongs to another policy.");
    assert!(matches!(s.upsert_rules("missing", vec![]), Err(DsrError::NotFound(_))));
}

#[test]
fn targets_need_known_categories_unique_per_rule_and_no_erasure_overlap() {
    let db = TestDb::new();
    let s = service(&db);
    s.upsert_policies(vec![policy("P")]).unwrap();
    s.upsert_rules("p", vec![rule("Erase names", ActionType::Erasure), rule("Erase contact", ActionType::Erasure)])
        .unwrap();

    match s.upsert_targets("p", "erase_names", vec![target("user.name"), target("user.telepathy")]) {
        Err(DsrError::Invalid(unknown)) => assert_eq!(
            unknown,
            vec![validation::Problem::new(
                validation::loc![1, "data_category"],
                "Invalid data categories: [user.telepathy]"
            )]
        ),
        other => panic!("{other:?}"),
    }
    assert!(s.list_targets("p", "erase_names", ALL).unwrap().items.is_empty(), "nothing stored");

    let ok = s.upsert_targets("p", "erase_names", vec![target("user.name")]).unwrap();
    assert_eq!(ok.succeeded[0].key, "erase_names_user_name");
    let again = s
        .upsert_targets(
            "p",
            "erase_names",
            vec![TargetCreate { name: None, key: Some("other".into()), data_category: "user.name".into() }],
        )
        .unwrap();
    assert!(again.failed[0].message.starts_with("DataCategory user.name is already specified"));

    let overlap = s.upsert_targets("p", "erase_contact", vec![target("user.name.first")]).unwrap();
    assert_eq!(
        overlap.failed[0].message,
        "Policy rules are invalid, action conflict in erasure rules detected for categories user.name and user.name.first"
    );
    assert!(
        s.list_targets("p", "erase_contact", ALL).unwrap().items.is_empty(),
        "the conflicting target was rolled back"
    );
    let fine = s.upsert_targets("p", "erase_contact", vec![target("user.contact")]).unwrap();
    assert_eq!(fine.succeeded.len(), 1);

    s.delete_target("p", "erase_contact", "erase_contact_user_contact").unwrap();
    assert!(matches!(s.delete_target("p", "erase_contact", "erase_contact_user_contact"), Err(DsrError::NotFound(_))));
}

#[test]
fn storage_destinations_in_use_cannot_be_deleted_and_policies_cascade() {
    let db = TestDb::new();
    let s = service(&db);
    let destinations = storage(&db);
    let stored = destinations
        .upsert_storage(vec![StorageConfigCreate {
            key: Some("csv_out".into()),
            name: "CSV".into(),
            storage_type: StorageType::Local,
            format: ResponseFormat::Csv,
        }])
        .unwrap();
    assert_eq!(stored.succeeded[0].format, ResponseFormat::Csv);
    s.upsert_policies(vec![policy("P")]).unwrap();
    let mut access = rule("Access", ActionType::Access);
    access.storage_destination_key = Some("csv_out".into());
    let saved = s.upsert_rules("p", vec![access]).unwrap();
    assert_eq!(saved.succeeded[0].storage_destination.as_ref().unwrap().key, "csv_out");
    s.upsert_targets("p", "access", vec![target("user")]).unwrap();

    assert!(matches!(destinations.delete_storage("csv_out"), Err(DsrError::Conflict(_))));
    s.delete_policy("p").unwrap();
    assert!(matches!(s.get_rule("p", "access"), Err(DsrError::NotFound(_))));
    destinations.delete_storage("csv_out").unwrap();
    assert!(matches!(destinations.get_storage("csv_out"), Err(DsrError::NotFound(_))));
}
