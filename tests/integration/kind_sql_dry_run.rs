//! A dry-run of `sql` steps changes nothing in a real PostgreSQL: statements
//! that are not known to be reads are never sent, whatever effect the author
//! declared, and the reads that run do so in a read-only transaction that is
//! rolled back.

use crate::harness::postgres::TestPostgres;
use crate::harness::{run_playbook, wait_until, Killed};
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE job (id int PRIMARY KEY, name text NOT NULL, state text NOT NULL);
INSERT INTO job VALUES (1, 'ingest', 'active'), (2, 'report', 'active');
CREATE TABLE audit (id serial PRIMARY KEY, what text);
CREATE SEQUENCE ticket;
CREATE PROCEDURE fail_all() LANGUAGE sql AS $$ UPDATE job SET state = 'failed' $$;
SELECT pg_create_physical_replication_slot('standby');
";

/// Statements that change something that a rollback does not undo (or that
/// the classification cannot tell), each once declared `read` by a careless
/// author and once left to the default effect.
fn hostile(copy_target: &str) -> Vec<(&'static str, String)> {
    vec![
        ("drop_slot", "SELECT pg_drop_replication_slot('standby')".into()),
        ("stat_reset", "SELECT pg_stat_reset()".into()),
        ("advisory", "SELECT pg_advisory_lock(42)".into()),
        ("next", "SELECT nextval('ticket')".into()),
        (
            "terminate",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'"
                .into(),
        ),
        (
            "emit",
            "SELECT pg_logical_emit_message(false, 'runbook', 'dry')".into(),
        ),
        (
            "cte",
            "WITH d AS (DELETE FROM job RETURNING id) SELECT count(*) FROM d".into(),
        ),
        ("lock", "SELECT * FROM job FOR UPDATE".into()),
        (
            "copy",
            format!("COPY job TO PROGRAM 'touch {copy_target}'"),
        ),
        (
            "do_block",
            "DO $$ BEGIN UPDATE job SET state = 'done'; END $$".into(),
        ),
        ("call", "CALL fail_all()".into()),
        // A plain insert, but its serial column would advance a sequence.
        ("serial", "INSERT INTO audit (what) VALUES ('dry')".into()),
    ]
}

fn playbook(url: &str, copy_target: &str) -> String {
    let mut text = format!(
        "name: hostile\ninputs:\n  db:\n    type: string\n    default: \"{url}\"\nsteps:\n  - id: count\n    sql:\n      url: \"{{{{inputs.db}}}}\"\n      query: SELECT count(*) FROM job\n"
    );
    for (id, query) in hostile(copy_target) {
        for (suffix, effect) in [("as_read", "\n    effect: read"), ("as_default", "")] {
            let query = query.replace('\'', "''");
            text.push_str(&format!(
                "  - id: {id}_{suffix}{effect}\n    sql:\n      url: \"{{{{inputs.db}}}}\"\n      query: '{query}'\n"
            ));
        }
    }
    text
}

/// What a dry-run must leave exactly as it was.
fn state(pg: &TestPostgres) -> Vec<String> {
    vec![
        pg.dump("postgres"),
        pg.psql("SELECT slot_name FROM pg_replication_slots ORDER BY 1"),
        pg.psql(
            "SELECT coalesce(stats_reset::text, 'never'), n_tup_ins FROM pg_stat_database d, pg_stat_user_tables t \
             WHERE d.datname = 'postgres' AND t.relname = 'job'",
        ),
        pg.psql("SELECT last_value, is_called FROM ticket"),
        pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'victim'"),
    ]
}

#[test]
fn a_dry_run_sends_no_statement_it_cannot_prove_is_a_read() {
    let pg = TestPostgres::start();
    pg.psql(SCHEMA);
    pg.psql("ALTER SYSTEM SET log_statement = 'all'");
    pg.psql("SELECT pg_reload_conf()");
    // A session for `pg_terminate_backend` to kill.
    let victim = Killed(pg.session("victim", "SELECT pg_sleep(600)"));
    wait_until(
        "the victim session did not start",
        Duration::from_secs(30),
        || {
            pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'victim'")
                == "1"
        },
    );
    // Statistics are flushed by the sessions that made them; wait for the
    // inserts of the schema to show, so a reset would be seen.
    wait_until(
        "the statistics did not show the inserts",
        Duration::from_secs(30),
        || pg.psql("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'job'") == "2",
    );
    let copy_dir = tempfile::tempdir().unwrap();
    let copy_target = copy_dir.path().join("copied");
    let copy_target = copy_target.to_str().unwrap();
    let before = state(&pg);
    let log_start = pg.log().len();

    let ran = run_playbook(
        "hostile.yaml",
        &playbook(&pg.url, copy_target),
        &["--dry-run"],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);

    assert_eq!(state(&pg), before, "the dry-run changed the database");
    assert!(!std::path::Path::new(copy_target).exists());
    // The read ran, read-only and rolled back.
    assert_eq!(ran.finished("count")["results"]["value"], 2);
    let log = pg.log()[log_start..].to_string();
    assert!(log.contains("statement: BEGIN READ ONLY"), "{log}");
    assert!(log.contains("SELECT count(*) FROM job"), "{log}");
    assert!(log.contains("statement: ROLLBACK"), "{log}");
    assert!(!log.contains("COMMIT"), "{log}");
    for (id, query) in hostile(copy_target) {
        // Declared `read`: skipped with the reason, never sent.
        let as_read = ran.finished(&format!("{id}_as_read"));
        assert_eq!(as_read["state"], "skipped", "{id}: {as_read}");
        assert!(
            as_read["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("not run in a dry-run: ")),
            "{id}: {as_read}"
        );
        assert!(!log.contains(&query), "{id} reached the server:\n{log}");
    }
    let would = ran.events("step_would_run");
    let described = |step: &str| {
        would
            .iter()
            .find(|e| e["step"] == step)
            .unwrap_or_else(|| panic!("{step} was not described: {}", ran.stdout))["description"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        described("stat_reset_as_default")
            .ends_with("(preview: not executed: `pg_stat_reset` is not known to be read-only)"),
        "{}",
        described("stat_reset_as_default")
    );
    assert!(
        described("serial_as_default").contains("(preview: not executed: `audit` has a trigger"),
        "{}",
        described("serial_as_default")
    );
    drop(victim);
}
