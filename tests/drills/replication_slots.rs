//! Drill of the inactive-replication-slot example
//! (playbooks/examples/pg-inactive-slot.yaml) against a real PostgreSQL
//! and Alertmanager: two slots no consumer reads hold WAL back while a
//! third is read by a live `pg_receivewal`. A run whose operator says the
//! consumers are gone drops the two (a gate each), keeps the live one and
//! ends its silence; one who is not sure drops nothing; a dry-run changes
//! nothing and creates no silence.

use super::support::{assert_gated, Drill};
use crate::harness::alertmanager::TestAlertmanager;
use crate::harness::postgres::TestPostgres;
use crate::harness::{wait_until, Killed};
use std::time::Duration;

const PLAYBOOK: &str = "examples/pg-inactive-slot.yaml";

/// Two abandoned slots and a live one, with more than 1 MB of WAL written
/// since they were made.
fn abandoned_slots() -> (TestPostgres, Killed, tempfile::TempDir) {
    let pg = TestPostgres::start();
    pg.psql(
        "SELECT pg_create_physical_replication_slot(s, true) FROM unnest(ARRAY['replica_old', 'standby_2019', 'live']) s",
    );
    let wal = tempfile::tempdir().unwrap();
    let live = Killed(pg.receive_wal("live", wal.path()));
    wait_until("the live slot is read", Duration::from_secs(30), || {
        pg.psql("SELECT active FROM pg_replication_slots WHERE slot_name = 'live'") == "t"
    });
    pg.psql(
        "CREATE TABLE filler AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 20000) g",
    );
    (pg, live, wal)
}

fn slots(pg: &TestPostgres) -> String {
    pg.psql("SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")
}

fn args(am: &TestAlertmanager, extra: &[&str]) -> Vec<String> {
    let mut out = vec![
        format!("--input=alertmanager={}", am.url),
        "--input=instance=db-1:5432".to_string(),
        "--input=min_retained_mb=1".to_string(),
    ];
    out.extend(extra.iter().map(|a| a.to_string()));
    out
}

fn drill(pg: &TestPostgres) -> Drill {
    let mut drill = Drill::new();
    drill.env("PG_ADMIN_URL", &pg.url);
    drill
}

const GATED: &[&str] = &["mute", "drop", "checkpoint", "unmute"];

#[test]
fn abandoned_slots_are_dropped_one_gate_each_and_the_live_one_kept() {
    let (pg, _live, _wal) = abandoned_slots();
    let am = TestAlertmanager::start();
    let args = args(
        &am,
        &[
            "--answer=consumer_gone=gone",
            "--approve=mute",
            "--approve=drop",
            "--approve=checkpoint",
            "--approve=unmute",
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = drill(&pg).run(PLAYBOOK, &args, false);
    run.expect(
        0,
        &[
            ("slots", "succeeded"),
            ("wal_before", "succeeded"),
            ("route", "succeeded"),
            ("healthy", "skipped"),
            ("show", "succeeded"),
            ("mute", "succeeded"),
            ("consumer_gone", "succeeded"),
            ("escalate", "skipped"),
            ("drop", "succeeded"),
            ("checkpoint", "succeeded"),
            ("recheck", "succeeded"),
            ("wal_after", "succeeded"),
            ("verify", "succeeded"),
            ("unmute", "succeeded"),
        ],
    );
    assert_gated(&run, GATED);
    // One gate per slot, each naming it.
    let questions: Vec<String> = run
        .events
        .iter()
        .filter(|e| e["event"] == "gate_requested" && e["step"] == "drop")
        .map(|e| e["question"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(questions.len(), 2, "{questions:?}");
    assert!(
        questions.iter().any(|q| q.contains("replica_old")),
        "{questions:?}"
    );
    assert!(
        questions.iter().any(|q| q.contains("standby_2019")),
        "{questions:?}"
    );
    assert_eq!(slots(&pg), "live");
    let silences = am.silences();
    assert_eq!(silences.len(), 1, "{silences:#?}");
    assert_eq!(silences[0]["status"]["state"], "expired");
    assert!(silences[0]["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "alertname" && m["value"] == "PostgresReplicationSlotInactive"));
}

#[test]
fn an_operator_who_is_not_sure_drops_nothing() {
    let (pg, _live, _wal) = abandoned_slots();
    let am = TestAlertmanager::start();
    let args = args(
        &am,
        &[
            "--answer=consumer_gone=not_sure",
            "--answer=escalate=done",
            "--approve=mute",
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = drill(&pg).run(PLAYBOOK, &args, false);
    run.expect(
        0,
        &[
            ("mute", "succeeded"),
            ("escalate", "succeeded"),
            ("drop", "skipped"),
            ("checkpoint", "skipped"),
            ("unmute", "skipped"),
        ],
    );
    assert_eq!(slots(&pg), "live,replica_old,standby_2019");
    // The silence is left to end by itself.
    assert_eq!(am.silences()[0]["status"]["state"], "active");
}

#[test]
fn a_dry_run_drops_no_slot_and_creates_no_silence() {
    let (pg, _live, _wal) = abandoned_slots();
    let am = TestAlertmanager::start();
    let args = args(&am, &["--answer=consumer_gone=gone"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = drill(&pg).run(PLAYBOOK, &args, true);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The probes really ran: the two abandoned slots are listed.
    let listed = run.finished("slots")["results"]["row_count"].clone();
    assert_eq!(listed, 2, "{}", run.finished("slots"));
    assert_eq!(run.state("wal_before"), "succeeded");
    assert_eq!(slots(&pg), "live,replica_old,standby_2019");
    assert!(am.silences().is_empty());
}
