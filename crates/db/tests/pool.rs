//! The pool's check-out validation on a real PostgreSQL server (TEST_DATABASE_URL's, else
//! LETHE_TEST_CUSTOMER_PG's): a connection just given back is trusted, one idle longer is pinged
//! (and replaced when dead), and one that died while trusted fails once, is dropped, and is not
//! handed out again.

#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use std::time::Duration;

use db::testing::{TestDb, postgres_server};
use diesel::prelude::*;
use diesel::sql_types::Integer;

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

fn backend_pid(conn: &mut db::PooledConn) -> QueryResult<i32> {
    let db::DbConn::Postgresql(pg) = &mut ***conn else { panic!("a PostgreSQL test database") };
    diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result::<Pid>(pg).map(|p| p.pid)
}

/// Ends the server process of `pid` from another session, as a server restart or fail-over
/// would, and waits until it is gone.
fn terminate(admin_url: &str, pid: i32) {
    let mut admin = PgConnection::establish(admin_url).unwrap();
    diesel::sql_query(format!("SELECT pg_terminate_backend({pid})")).execute(&mut admin).unwrap();
    for _ in 0..100 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let left = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = {pid}"))
            .get_result::<Count>(&mut admin)
            .unwrap();
        if left.n == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("backend {pid} did not end");
}

#[test]
fn a_connection_idle_past_the_trusted_window_is_pinged_and_replaced_when_dead() {
    let Some(admin_url) = postgres_server("pool validation on PostgreSQL") else { return };
    let db = TestDb::on_postgres(&admin_url);
    let pid = backend_pid(&mut db.database().conn().unwrap()).unwrap();
    terminate(&admin_url, pid);
    std::thread::sleep(Duration::from_millis(700));

    // The ping on check-out finds it dead: the pool opens another, and the caller never sees it.
    let mut conn = db.database().conn().unwrap();
    let replaced = backend_pid(&mut conn).unwrap();
    assert_ne!(replaced, pid);
}

#[test]
fn a_connection_that_died_while_trusted_fails_once_and_is_not_handed_out_again() {
    let Some(admin_url) = postgres_server("pool validation on PostgreSQL") else { return };
    let db = TestDb::on_postgres(&admin_url);
    // Every pooled connection, so whichever comes next is one of them.
    let mut held: Vec<_> = (0..4).map(|_| db.database().conn().unwrap()).collect();
    let pids: Vec<i32> = held.iter_mut().map(|c| backend_pid(c).unwrap()).collect();
    drop(held);
    for &pid in &pids {
        terminate(&admin_url, pid);
    }

    // Given back just now, so trusted without a ping: the first statement on each fails...
    for _ in 0..pids.len() {
        let mut conn = db.database().conn().unwrap();
        let failed = backend_pid(&mut conn);
        assert!(failed.is_err(), "a dead connection answered: {failed:?}");
    }
    // ...and each failure dropped its connection: what the pool hands out now is new and works.
    let mut conn = db.database().conn().unwrap();
    let fresh = backend_pid(&mut conn).unwrap();
    assert!(!pids.contains(&fresh), "{fresh} was terminated");
}
