//! The auth service over a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use auth::{AuthError, AuthService, ClientCreate, DieselAuthService, RootClient, scopes};
use crypto::AppKey;
use db::testing::TestDb;

fn service(db: &TestDb, key: &AppKey) -> DieselAuthService {
    DieselAuthService::new(db.database().clone(), key.clone(), 60)
}

fn root_principal(service: &DieselAuthService) -> auth::Principal {
    let root = RootClient { id: "root".into(), secret: Some("root-secret".into()) };
    service.ensure_root_client(&root).unwrap();
    let token = service.issue_token("root", "root-secret").unwrap();
    service.authenticate(&token.access_token).unwrap()
}

#[test]
fn root_client_gets_a_generated_secret_once_and_holds_every_scope() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    let root = RootClient { id: "lethe_root".into(), secret: None };

    let secret = service.ensure_root_client(&root).unwrap().expect("a secret on first start");
    assert_eq!(secret.len(), 32);
    assert_eq!(service.ensure_root_client(&root).unwrap(), None, "printed only once");

    let token = service.issue_token("lethe_root", &secret).unwrap();
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in, 3600);
    let principal = service.authenticate(&token.access_token).unwrap();
    assert_eq!(principal.client_id, "lethe_root");
    assert_eq!(principal.scopes.len(), scopes::ALL.len());
}

#[test]
fn configured_root_secret_replaces_a_stored_one_and_old_root_ids_are_removed() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    let generated = service.ensure_root_client(&RootClient { id: "root".into(), secret: None }).unwrap().unwrap();
    service.ensure_root_client(&RootClient { id: "root".into(), secret: Some("configured".into()) }).unwrap();
    assert!(matches!(service.issue_token("root", &generated), Err(AuthError::InvalidCredentials)));
    service.issue_token("root", "configured").unwrap();

    service.ensure_root_client(&RootClient { id: "admin".into(), secret: Some("s".into()) }).unwrap();
    assert!(matches!(service.issue_token("root", "configured"), Err(AuthError::InvalidCredentials)));
}

#[test]
fn wrong_credentials_are_refused() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    root_principal(&service);
    assert!(matches!(service.issue_token("root", "nope"), Err(AuthError::InvalidCredentials)));
    assert!(matches!(service.issue_token("ghost", "root-secret"), Err(AuthError::InvalidCredentials)));
}

#[test]
fn created_client_gets_exactly_its_scopes() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    let root = root_principal(&service);
    let created = service
        .create_client(
            &root,
            ClientCreate { scopes: vec![scopes::REDACTION_PATTERNS_READ.into()], name: Some("reader".into()) },
        )
        .unwrap();
    assert_eq!(created.client_id.len(), 32);
    assert_eq!(created.client_secret.len(), 32);

    let token = service.issue_token(&created.client_id, &created.client_secret).unwrap();
    let principal = service.authenticate(&token.access_token).unwrap();
    assert!(principal.has_scope(scopes::REDACTION_PATTERNS_READ));
    assert!(!principal.has_scope(scopes::REDACTION_PATTERNS_UPDATE));
    let err = principal.require(&[scopes::REDACTION_PATTERNS_UPDATE]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Not Authorized for this action. Required scope(s): [privacy-request-redaction-patterns:update]"
    );
}

#[test]
fn unknown_scopes_are_rejected_with_their_positions() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    let root = root_principal(&service);
    let request = ClientCreate { scopes: vec![scopes::SCOPE_READ.into(), "made:up".into()], name: None };
    match service.create_client(&root, request) {
        Err(AuthError::Invalid(unknown)) => {
            assert_eq!(unknown, vec![validation::Problem::new(validation::loc!["scopes", 1], "Invalid scope: made:up")])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_client_cannot_grant_scopes_it_does_not_hold() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    let root = root_principal(&service);
    let creator =
        service.create_client(&root, ClientCreate { scopes: vec![scopes::CLIENT_CREATE.into()], name: None }).unwrap();
    let token = service.issue_token(&creator.client_id, &creator.client_secret).unwrap();
    let creator = service.authenticate(&token.access_token).unwrap();
    let escalate = ClientCreate { scopes: vec![scopes::CLIENT_DELETE.into()], name: None };
    assert!(
        matches!(service.create_client(&creator, escalate), Err(AuthError::CannotGrant(s)) if s == ["client:delete"])
    );
}

#[test]
fn revoked_scopes_and_deleted_clients_take_effect_on_existing_tokens_at_once() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    let root = root_principal(&service);
    let both = vec![scopes::REDACTION_PATTERNS_READ.to_string(), scopes::REDACTION_PATTERNS_UPDATE.to_string()];
    let created = service.create_client(&root, ClientCreate { scopes: both, name: None }).unwrap();
    let token = service.issue_token(&created.client_id, &created.client_secret).unwrap().access_token;

    let kept =
        service.set_client_scopes(&root, &created.client_id, vec![scopes::REDACTION_PATTERNS_READ.into()]).unwrap();
    assert_eq!(kept, [scopes::REDACTION_PATTERNS_READ]);
    assert_eq!(service.client_scopes(&created.client_id).unwrap(), kept);
    let principal = service.authenticate(&token).unwrap();
    assert!(!principal.has_scope(scopes::REDACTION_PATTERNS_UPDATE));

    service.delete_client(&created.client_id).unwrap();
    assert!(matches!(service.authenticate(&token), Err(AuthError::InvalidToken(_))));
    assert!(matches!(service.delete_client(&created.client_id), Err(AuthError::ClientNotFound(_))));
}

#[test]
fn the_root_client_cannot_be_changed_through_the_api() {
    let db = TestDb::new();
    let service = service(&db, &AppKey::generate());
    let root = root_principal(&service);
    assert!(matches!(service.delete_client("root"), Err(AuthError::RootClientImmutable)));
    assert!(matches!(service.set_client_scopes(&root, "root", vec![]), Err(AuthError::RootClientImmutable)));
}

#[test]
fn tokens_from_another_key_or_expired_ones_are_refused() {
    let db = TestDb::new();
    let key = AppKey::generate();
    let service = service(&db, &key);
    root_principal(&service);
    let token = service.issue_token("root", "root-secret").unwrap().access_token;

    let other = DieselAuthService::new(db.database().clone(), AppKey::generate(), 60);
    assert!(matches!(other.authenticate(&token), Err(AuthError::InvalidToken("Invalid access token"))));

    let expired = DieselAuthService::new(db.database().clone(), key, 0);
    let stale = expired.issue_token("root", "root-secret").unwrap().access_token;
    assert!(matches!(expired.authenticate(&stale), Err(AuthError::InvalidToken("Access token expired"))));
    assert!(matches!(service.authenticate("garbage"), Err(AuthError::InvalidToken(_))));
}

#[test]
fn a_client_deleted_through_another_process_is_refused_promptly() {
    let db = TestDb::new();
    let key = AppKey::generate();
    let on_postgres = db.database().backend() == db::Backend::Postgres;
    // Two gateway processes: each its own service, cache and change listener.
    let feed_a = db::changes::ChangeFeed::new();
    let feed_b = db::changes::ChangeFeed::new();
    let a = service(&db, &key).with_change_feed(&feed_a);
    let b = service(&db, &key).with_change_feed(&feed_b);
    let _listen_a = feed_a.start_listener(db.database(), db.url());
    let _listen_b = feed_b.start_listener(db.database(), db.url());
    db.wait_for_listener(&feed_a);
    db.wait_for_listener(&feed_b);

    let root = root_principal(&a);
    let created = a.create_client(&root, ClientCreate { scopes: vec![scopes::SCOPE_READ.into()], name: None }).unwrap();
    let token = a.issue_token(&created.client_id, &created.client_secret).unwrap().access_token;
    b.authenticate(&token).unwrap(); // now cached in b

    a.delete_client(&created.client_id).unwrap();
    assert!(a.authenticate(&token).is_err(), "the deleting process refuses at once");
    // PostgreSQL: NOTIFY reaches the other process within a poll; SQLite: the cache TTL bounds it.
    let limit = if on_postgres { std::time::Duration::from_millis(1000) } else { std::time::Duration::from_secs(3) };
    let started = std::time::Instant::now();
    while b.authenticate(&token).is_ok() {
        assert!(started.elapsed() < limit, "the other process still accepts the token after {limit:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
