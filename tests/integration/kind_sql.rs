//! `sql` steps against a real PostgreSQL started by the harness.

use crate::harness::postgres::TestPostgres;
use crate::harness::{refusing_port, run_playbook};

const SCHEMA: &str = "
CREATE TABLE job (id int PRIMARY KEY, name text NOT NULL, state text NOT NULL,
                  started timestamptz, cost numeric, meta jsonb);
INSERT INTO job VALUES
  (1, 'ingest', 'active', '2026-01-02 03:04:05+00', 12.5, '{\"tries\": 2}'),
  (2, 'report', 'active', NULL, NULL, NULL),
  (3, 'reap',   'failed', NULL, NULL, NULL),
  (4, 'export', 'active', NULL, NULL, NULL);
";

fn playbook(url: &str) -> String {
    format!(
        r#"name: jobs
inputs:
  db:
    type: string
    secret: true
    default: "{url}"
  state:
    type: string
    default: "active"
steps:
  - id: stuck
    sql:
      url: "{{{{inputs.db}}}}"
      query: SELECT id, name, started, cost, meta FROM job WHERE state = $1 ORDER BY id
      params: ["{{{{inputs.state}}}}"]
  - id: injected
    sql:
      url: "{{{{inputs.db}}}}"
      query: SELECT count(*) FROM job WHERE name = $1
      params: ["x' OR '1'='1"]
  - id: reap
    needs: [stuck]
    sql:
      url: "{{{{inputs.db}}}}"
      query: UPDATE job SET state = 'failed' WHERE state = $1 AND id > $2
      params: ["{{{{inputs.state}}}}", 1]
  - id: remaining
    needs: [reap]
    sql:
      url: "{{{{inputs.db}}}}"
      query: SELECT count(*) AS active FROM job WHERE state = 'active'
"#
    )
}

#[test]
fn rows_row_count_and_value_with_bound_parameters() {
    let pg = TestPostgres::start();
    pg.psql(SCHEMA);
    let ran = run_playbook("jobs.yaml", &playbook(&pg.url), &["--yes"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let stuck = &ran.finished("stuck")["results"];
    assert_eq!(stuck["row_count"], 3);
    assert_eq!(stuck["value"], 1);
    assert_eq!(stuck["rows"][0]["name"], "ingest");
    assert_eq!(stuck["rows"][0]["started"], "2026-01-02T03:04:05.000000Z");
    assert_eq!(stuck["rows"][0]["cost"], 12.5);
    assert_eq!(stuck["rows"][0]["meta"]["tries"], 2);
    assert_eq!(stuck["rows"][1]["started"], serde_json::Value::Null);
    // A value that would break a spliced statement is only a value.
    assert_eq!(ran.finished("injected")["results"]["value"], 0);
    assert_eq!(ran.finished("reap")["results"]["row_count"], 2);
    assert_eq!(ran.finished("remaining")["results"]["value"], 1);
    assert_eq!(
        pg.psql("SELECT count(*) FROM job WHERE state = 'failed'"),
        "3"
    );
}

#[test]
fn a_dry_run_reads_and_previews_a_write_in_a_rolled_back_transaction() {
    let pg = TestPostgres::start();
    pg.psql(SCHEMA);
    let ran = run_playbook("jobs.yaml", &playbook(&pg.url), &["--dry-run"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("stuck")["results"]["row_count"], 3);
    let would = ran.events("step_would_run");
    assert_eq!(would.len(), 1, "{}", ran.stdout);
    assert_eq!(would[0]["step"], "reap");
    assert_eq!(
        would[0]["description"],
        "UPDATE job SET state = 'failed' WHERE state = $1 AND id > $2 with [\"active\",\"1\"] \
         (preview: 2 rows affected, rolled back)"
    );
    assert_eq!(
        pg.psql("SELECT count(*) FROM job WHERE state = 'active'"),
        "3"
    );

    // What a rollback would not undo is described, not previewed, and the
    // preview says why.
    let terminate = format!(
        "name: kill\nsteps:\n  - id: terminate\n    sql:\n      url: \"{}\"\n      query: SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle'\n",
        pg.url
    );
    let ran = run_playbook("kill.yaml", &terminate, &["--dry-run"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        ran.events("step_would_run")[0]["description"],
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle' \
         (preview: not executed: `pg_terminate_backend` is not known to be read-only)"
    );
}

#[test]
fn read_only_refuses_a_write_and_errors_name_the_cause() {
    let pg = TestPostgres::start();
    pg.psql(SCHEMA);
    let (_held, closed) = refusing_port();
    let text = format!(
        r#"name: errors
steps:
  - id: sneaky
    sql:
      url: "{url}"
      query: UPDATE job SET state = 'x'
      read_only: true
    on_failure: continue
  - id: missing_table
    sql:
      url: "{url}"
      query: SELECT * FROM jobs
    on_failure: continue
  - id: bad_param
    sql:
      url: "{url}"
      query: SELECT name FROM job WHERE id = $1
      params: ["two"]
    on_failure: continue
  - id: down
    sql:
      url: "postgresql://postgres@127.0.0.1:{closed}/postgres"
      query: SELECT 1
    on_failure: continue
  - id: tls
    sql:
      url: "{url}?sslmode=require"
      query: SELECT 1
    on_failure: continue
"#,
        url = pg.url
    );
    let ran = run_playbook("errors.yaml", &text, &[], &[]);
    let message = |s: &str| ran.finished(s)["message"].as_str().unwrap().to_string();
    assert!(
        message("sneaky").contains("25006: cannot execute UPDATE in a read-only transaction"),
        "{}",
        message("sneaky")
    );
    assert!(
        message("missing_table").contains("42P01: relation \"jobs\" does not exist"),
        "{}",
        message("missing_table")
    );
    assert!(
        message("bad_param").contains("`two` is not an integer"),
        "{}",
        message("bad_param")
    );
    assert!(
        message("down").starts_with(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{closed}/postgres"
        )),
        "{}",
        message("down")
    );
    assert!(
        message("tls").starts_with("the database URL asks for TLS (`sslmode=require`)"),
        "{}",
        message("tls")
    );
    assert_eq!(pg.psql("SELECT count(*) FROM job WHERE state = 'x'"), "0");
}

#[test]
fn values_are_bound_never_spliced_into_the_statement() {
    let pg = TestPostgres::start();
    pg.psql(SCHEMA);
    let text = format!(
        r#"name: bound
inputs:
  name:
    type: string
steps:
  - id: by_name
    sql:
      url: "{url}"
      query: SELECT count(*) FROM job WHERE name = $1
      params: ["{{{{inputs.name}}}}"]
"#,
        url = pg.url
    );
    let hostile = "'; DROP TABLE job; --";
    let ran = run_playbook(
        "bound.yaml",
        &text,
        &["--input", &format!("name={hostile}")],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("by_name")["results"]["value"], 0);
    // `query` is not a template: `check` refuses `{{...}}` in it
    // (`template_in_literal`, tested in literal_fields.rs).
    assert_eq!(pg.psql("SELECT count(*) FROM job"), "4");
}

/// The YAML example of docs/stdlib.md, "A table named by a step".
fn vacuum_example() -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/stdlib.md"),
    )
    .unwrap();
    let section = &doc[doc.find("**A table named by a step.**").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_string()
}

#[test]
fn a_table_named_by_a_step_is_vacuumed_as_one_identifier() {
    let pg = TestPostgres::start();
    let hostile = r#"evil"; DROP TABLE orders; --"#;
    let quoted = format!("\"{}\"", hostile.replace('"', "\"\""));
    pg.psql(&format!(
        "CREATE TABLE orders (id int) WITH (autovacuum_enabled = false);
         INSERT INTO orders SELECT generate_series(1, 30000);
         DELETE FROM orders WHERE id % 2 = 0;
         CREATE TABLE {quoted} (id int) WITH (autovacuum_enabled = false);
         INSERT INTO {quoted} SELECT generate_series(1, 20000);
         DELETE FROM {quoted} WHERE id > 100;"
    ));
    let ran = run_playbook(
        "vacuum.yaml",
        &vacuum_example(),
        &["--yes"],
        &[("DATABASE_URL", pg.url.as_str())],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    // Both tables were found and vacuumed, the hostile one by its name.
    assert_eq!(
        pg.psql(
            "SELECT string_agg(relname, ' | ' ORDER BY relname) FROM pg_stat_user_tables
             WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
        ),
        format!("{hostile} | orders"),
        "{}",
        ran.stdout
    );
    assert_eq!(pg.psql("SELECT count(*) FROM orders"), "15000");
}
