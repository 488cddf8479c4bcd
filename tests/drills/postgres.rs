//! Drill of the lock-contention example (playbooks/examples/
//! pg-lock-contention.yaml) against a real PostgreSQL: a session holds a
//! row lock another waits for. An idle transaction has no statement to
//! cancel, so the run goes on to terminate its session; a running one is
//! cancelled and its session kept; a dry-run touches neither.

use super::support::{assert_gated, Drill};
use crate::harness::postgres::TestPostgres;
use crate::harness::wait_until;
use std::process::Child;
use std::time::Duration;

const PLAYBOOK: &str = "examples/pg-lock-contention.yaml";
const GATED: &[&str] = &["cancel", "terminate"];

/// A server where `blocker_sql` holds the row of `orders` that a second
/// session (`waiter`) is waiting to update.
fn contention(blocker_sql: &str) -> (TestPostgres, Child, Child) {
    let pg = TestPostgres::start();
    pg.psql("CREATE TABLE orders (id int PRIMARY KEY, n int); INSERT INTO orders VALUES (1, 1)");
    let blocker = pg.open_session("blocker", blocker_sql);
    wait_until("the blocker holds the row", Duration::from_secs(20), || {
        pg.psql("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'blocker' AND l.locktype = 'transactionid' AND l.granted")
            != "0"
    });
    let waiter = pg.session("waiter", "UPDATE orders SET n = 3 WHERE id = 1");
    wait_until(
        "the waiter waits on the lock",
        Duration::from_secs(20),
        || waiting(&pg) == "1",
    );
    (pg, blocker, waiter)
}

fn waiting(pg: &TestPostgres) -> String {
    pg.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
}

fn sessions_of(pg: &TestPostgres, app: &str) -> String {
    pg.psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'"
    ))
}

fn drill(pg: &TestPostgres) -> Drill {
    let mut drill = Drill::new();
    drill.env("DATABASE_URL", &pg.url);
    drill
}

const ARGS: &[&str] = &[
    "--input=min_seconds=0",
    "--approve=cancel",
    "--approve=terminate",
];

#[test]
fn an_idle_transaction_is_cancelled_in_vain_then_its_session_terminated() {
    let (pg, mut blocker, mut waiter) = contention("BEGIN; UPDATE orders SET n = 2 WHERE id = 1;");
    let run = drill(&pg).run(PLAYBOOK, ARGS, false);
    run.expect(
        0,
        &[
            ("blockers", "succeeded"),
            ("cancel", "succeeded"),
            ("still_blocking", "succeeded"),
            ("freed", "skipped"),
            ("terminate", "succeeded"),
            ("verify", "succeeded"),
            ("cleared", "succeeded"),
        ],
    );
    assert_gated(&run, GATED);
    // The blocker's session is gone and its update rolled back; the
    // waiter's went through.
    assert!(blocker.wait().is_ok());
    assert!(waiter.wait().unwrap().success());
    assert_eq!(sessions_of(&pg, "blocker"), "0");
    assert_eq!(pg.psql("SELECT n FROM orders"), "3");
}

#[test]
fn a_running_statement_is_cancelled_and_its_session_kept() {
    let (pg, mut blocker, mut waiter) =
        contention("BEGIN; UPDATE orders SET n = 2 WHERE id = 1; SELECT pg_sleep(600);");
    let run = drill(&pg).run(PLAYBOOK, ARGS, false);
    run.expect(
        0,
        &[
            ("cancel", "succeeded"),
            ("freed", "succeeded"),
            ("terminate", "skipped"),
            ("cleared", "succeeded"),
        ],
    );
    assert!(waiter.wait().unwrap().success());
    assert_eq!(pg.psql("SELECT n FROM orders"), "3");
    // Cancelled, not terminated: the session is still connected.
    assert_eq!(sessions_of(&pg, "blocker"), "1");
    blocker.kill().unwrap();
    blocker.wait().unwrap();
}

#[test]
fn a_dry_run_cancels_nothing_and_terminates_nothing() {
    let (pg, mut blocker, mut waiter) = contention("BEGIN; UPDATE orders SET n = 2 WHERE id = 1;");
    pg.psql("ALTER SYSTEM SET log_statement = 'all'");
    pg.psql("SELECT pg_reload_conf()");
    let run = drill(&pg).run(PLAYBOOK, ARGS, true);
    assert_eq!(run.code, 0, "{}", run.dump());
    let described = run.would_run();
    assert!(described.contains_key("cancel"), "{described:?}");
    // Still held and still waiting: the dry-run only read.
    assert_eq!(sessions_of(&pg, "blocker"), "1");
    assert_eq!(waiting(&pg), "1");
    let log = pg.log();
    assert!(
        log.contains("pg_blocking_pids"),
        "the log records statements: {log}"
    );
    assert!(!log.contains("pg_cancel_backend"), "{log}");
    assert!(!log.contains("pg_terminate_backend"), "{log}");
    blocker.kill().unwrap();
    blocker.wait().unwrap();
    assert!(waiter.wait().unwrap().success());
}

#[test]
fn without_contention_the_alert_is_stale_and_nothing_is_touched() {
    let pg = TestPostgres::start();
    let run = drill(&pg).run(PLAYBOOK, ARGS, false);
    run.expect(
        0,
        &[
            ("blockers", "succeeded"),
            ("stale", "succeeded"),
            ("cancel", "skipped"),
            ("terminate", "skipped"),
        ],
    );
}
