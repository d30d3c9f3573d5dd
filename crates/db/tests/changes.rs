//! Change notifications between gateway processes (PostgreSQL only: SQLite has one process).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use db::changes::ChangeFeed;
use db::testing::{TestDb, postgres_server};

fn wait_for(counter: &AtomicUsize, at_least: usize) -> usize {
    for _ in 0..200 {
        if counter.load(Ordering::SeqCst) >= at_least {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    counter.load(Ordering::SeqCst)
}

#[test]
fn a_change_reaches_the_gateways_of_its_schema_and_not_another_deployments() {
    let Some(server) = postgres_server("a PostgreSQL server for change notifications") else { return };
    let ours = TestDb::on_postgres(&server);
    let theirs = TestDb::on_postgres(&server);
    let feed = ChangeFeed::new();
    let heard = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&heard);
    feed.on("patterns", move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let _listener = feed.start_listener(ours.database(), ours.url()).expect("a listener on PostgreSQL");
    // The listener starts by dispatching everything once (changes may have been missed).
    let baseline = wait_for(&heard, 1);
    assert_eq!(baseline, 1);

    let mut conn = theirs.database().conn().unwrap();
    conn.write_transaction(|c| ChangeFeed::publish(c, "patterns")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(heard.load(Ordering::SeqCst), baseline, "another schema's change is not ours");

    let mut conn = ours.database().conn().unwrap();
    conn.write_transaction(|c| ChangeFeed::publish(c, "patterns")).unwrap();
    assert_eq!(wait_for(&heard, baseline + 1), baseline + 1, "our schema's change is heard");
}
