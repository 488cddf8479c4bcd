//! Values inserted into the connection URL of a `redis` or `sql` step,
//! against real servers: a password with `@`, `:`, `/`, `&` and spaces
//! stays one password (percent-encoded, decoded by the kind), a host that
//! holds `@` stays one host name and reaches no server, a database name
//! that holds `?host=` stays one database name.

use crate::harness::postgres::TestPostgres;
use crate::harness::redis::TestRedis;
use crate::harness::run_playbook;

const PASSWORD: &str = "p@ss:w/rd&x=y #1";

const REDIS: &str = r#"name: ping
inputs:
  password: {type: string, secret: true}
  host: {type: string, default: 127.0.0.1}
  port: {type: int}
steps:
  - id: ping
    redis:
      url: "redis://:{{inputs.password}}@{{inputs.host}}:{{inputs.port}}/0"
      command: PING
"#;

#[test]
fn a_password_inserted_into_a_redis_url_stays_one_password() {
    let redis = TestRedis::with_password(PASSWORD);
    let port = format!("port={}", redis.port());
    let password = format!("password={PASSWORD}");
    let ran = run_playbook(
        "ping.yaml",
        REDIS,
        &["--input", &password, "--input", &port],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("ping")["results"]["value"], "PONG");
    assert!(!ran.stdout.contains("p@ss") && !ran.stderr.contains("p@ss"));

    // A host that holds `@` would have made `evil` a user name and
    // 127.0.0.1 the server: after the password it can only be a host, so
    // it is refused before connecting.
    let ran = run_playbook(
        "ping.yaml",
        REDIS,
        &[
            "--input",
            &password,
            "--input",
            &port,
            "--input",
            "host=evil@127.0.0.1",
        ],
        &[],
    );
    // An input: refused before anything runs (nothing connects).
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("input `host` cannot go where step `ping` puts it")
            && ran
                .stderr
                .contains("a value in the host or port of the connection URL"),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
}

/// Without user information before it, a host value is encoded instead:
/// it stays one host name, which does not resolve.
#[test]
fn a_host_without_user_information_stays_one_host_name() {
    let redis = TestRedis::start();
    let playbook = format!(
        r#"name: ping
inputs:
  host: {{type: string}}
steps:
  - id: ping
    redis:
      url: "redis://{{{{inputs.host}}}}:{port}/0"
      command: PING
"#,
        port = redis.port()
    );
    let ran = run_playbook("ping.yaml", &playbook, &["--input", "host=127.0.0.1"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let ran = run_playbook(
        "ping.yaml",
        &playbook,
        &["--input", "host=evil@127.0.0.1"],
        &[],
    );
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let failed = ran.message("ping");
    assert!(
        failed.contains("cannot connect to Redis at evil%40127.0.0.1"),
        "{failed}"
    );
}

#[test]
fn a_database_name_inserted_into_a_postgres_url_stays_one_name() {
    let pg = TestPostgres::start();
    let port = pg
        .url
        .rsplit_once(':')
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let playbook = format!(
        r#"name: which
inputs:
  db: {{type: string}}
steps:
  - id: which
    sql:
      url: "postgresql://postgres@127.0.0.1:{port}/{{{{inputs.db}}}}"
      query: SELECT current_database()
"#
    );
    let ran = run_playbook("which.yaml", &playbook, &["--input", "db=postgres"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("which")["results"]["value"], "postgres");
    let ran = run_playbook(
        "which.yaml",
        &playbook,
        &["--input", "db=postgres?host=/nonexistent&port=1"],
        &[],
    );
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let failed = ran.message("which");
    assert!(
        failed.contains(r#"database "postgres?host=/nonexistent&port=1" does not exist"#),
        "{failed}"
    );
}
