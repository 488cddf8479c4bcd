//! A replication-slot runbook reads how big `pg_wal` is before it drops a
//! slot; found running one by hand, `pg_ls_waldir()` was not on the
//! read-only allow-list, so a dry-run skipped the probe and the step that
//! showed its answer failed. Against a real PostgreSQL: the listing runs in
//! a dry-run (read-only, rolled back), and the slot drop beside it does not.

use crate::harness::postgres::TestPostgres;
use crate::harness::run_playbook;

#[test]
fn a_dry_run_reads_the_size_of_pg_wal_and_drops_no_slot() {
    let pg = TestPostgres::start();
    pg.psql("SELECT pg_create_physical_replication_slot('standby_old', true)");
    let playbook = format!(
        r#"name: wal
inputs:
  db:
    type: string
    secret: true
    default: "{url}"
steps:
  - id: wal
    sql:
      url: "{{{{inputs.db}}}}"
      query: SELECT (sum(size) / 1024)::bigint AS kb, count(*) AS files FROM pg_ls_waldir()
  - id: drop
    needs: [wal]
    sql:
      url: "{{{{inputs.db}}}}"
      query: SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1
      params: [standby_old]
"#,
        url = pg.url
    );
    let ran = run_playbook("wal.yaml", &playbook, &["--dry-run"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let wal = ran.finished("wal");
    assert_eq!(wal["state"], "succeeded", "{wal}");
    assert!(
        wal["results"]["rows"][0]["kb"].as_i64().unwrap() > 0,
        "{wal}"
    );
    assert!(
        wal["results"]["rows"][0]["files"].as_i64().unwrap() >= 1,
        "{wal}"
    );
    assert_eq!(ran.finished("drop")["state"], "succeeded");
    assert!(
        ran.finished("drop")["simulated"] == true,
        "{}",
        ran.finished("drop")
    );
    assert_eq!(
        pg.psql("SELECT slot_name FROM pg_replication_slots"),
        "standby_old"
    );
}
