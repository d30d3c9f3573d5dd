//! The two migration trees must stay in step, and both must apply cleanly.

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn tree(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(name)
}

fn names(name: &str) -> BTreeSet<String> {
    let dir = tree(name);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect()
}

#[test]
fn sqlite_and_postgres_migration_trees_have_identical_names() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres differ");
}

#[test]
fn every_migration_has_up_and_down_in_both_trees() {
    for backend in ["sqlite", "postgres"] {
        for name in names(backend) {
            for file in ["up.sql", "down.sql"] {
                let path = tree(backend).join(&name).join(file);
                assert!(path.is_file(), "missing {}", path.display());
            }
        }
    }
}

#[test]
fn migrations_apply_on_the_test_backend_and_a_second_run_applies_nothing() {
    let test_db = db::testing::TestDb::new();
    assert!(test_db.database().migrate().unwrap().is_empty());
    test_db.database().ping().unwrap();
}
