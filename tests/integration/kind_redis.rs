//! `redis` steps against a real Redis started by the harness (Debian
//! `redis-server`, with `requirepass` where the password matters): typed
//! replies read by `assert` and branches, hostile values as keys, the
//! password never shown, a wrong password, a server gone mid-run, the
//! output cap, a dry-run that sends no change, and a blocked `BLPOP`
//! ended by a timeout and by SIGTERM.

use crate::harness::redis::TestRedis;
use crate::harness::{run_file, run_playbook, wait_until, Ran};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// A password with the characters a URL and a shell care about.
const PASSWORD: &str = "s3cr:t@pw&x=y hunter2";

/// The part of [`PASSWORD`] to look for in everything printed.
const NEEDLE: &str = "s3cr";

/// A playbook whose steps reach Redis through the secret input `redis`,
/// bound to `$QUEUE_REDIS`.
fn playbook(steps: &str) -> String {
    format!(
        r#"name: queue
inputs:
  redis:
    type: string
    secret: true
    env: QUEUE_REDIS
  key:
    type: string
    default: "job:1"
steps:
{steps}"#
    )
}

fn run(redis: &TestRedis, steps: &str, args: &[&str]) -> Ran {
    run_playbook(
        "queue.yaml",
        &playbook(steps),
        args,
        &[("QUEUE_REDIS", &redis.url)],
    )
}

#[track_caller]
/// Why the server refused the login: `value` and `config` run at once and
/// both meet the refusal, the first to fail stops the run and the other
/// is cancelled, so it is read from whichever failed.
fn refusal(ran: &Ran) -> String {
    let failed = ["value", "config"]
        .into_iter()
        .map(|step| ran.finished(step))
        .find(|f| f["state"] == "failed")
        .expect("one of them failed");
    failed["message"].as_str().unwrap().to_string()
}

fn succeeded(ran: &Ran) {
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
}

#[test]
fn replies_are_typed_values_that_asserts_and_branches_read() {
    let redis = TestRedis::with_password(PASSWORD);
    redis.cli(&["RPUSH", "arq:queue", "a", "b", "c"]);
    redis.cli(&["HSET", "job:1", "state", "running", "tries", "2"]);
    let ran = run(
        &redis,
        r#"  - id: lag
    redis:
      url: "{{inputs.redis}}"
      command: [LLEN, "arq:queue"]
  - id: lagging
    needs: [lag]
    assert:
      that: steps.lag.value > 2 && steps.lag.value < 50
  - id: route
    needs: [lag]
    branch:
      - when: steps.lag.value > 50
        then: stuck
      - else: fine
  - id: stuck
    log: stuck
  - id: fine
    log: "{{steps.lag.value}} jobs"
  - id: jobs
    redis:
      url: "{{inputs.redis}}"
      command: [LRANGE, "arq:queue", 0, -1]
  - id: job
    redis:
      url: "{{inputs.redis}}"
      command: [HGETALL, "{{inputs.key}}"]
  - id: running
    needs: [job]
    assert:
      that: steps.job.value.state == "running"
  - id: nothing
    redis:
      url: "{{inputs.redis}}"
      command: [GET, "no:such:key"]
  - id: none
    needs: [nothing]
    assert:
      that: steps.nothing.value == null
  - id: ping
    redis:
      url: "{{inputs.redis}}"
      command: PING
  - id: memory
    redis:
      url: "{{inputs.redis}}"
      command: [INFO, memory]
  - id: used
    needs: [memory]
    assert:
      that: steps.memory.fields.used_memory > 0
"#,
        &[],
    );
    succeeded(&ran);
    assert_eq!(ran.finished("lag")["results"]["value"], 3);
    assert_eq!(ran.finished("stuck")["state"], "skipped");
    assert_eq!(ran.finished("fine")["state"], "succeeded");
    assert_eq!(
        ran.finished("jobs")["results"]["value"],
        serde_json::json!(["a", "b", "c"])
    );
    assert_eq!(ran.finished("job")["results"]["value"]["tries"], "2");
    assert_eq!(
        ran.finished("nothing")["results"]["value"],
        serde_json::Value::Null
    );
    assert_eq!(ran.finished("ping")["results"]["value"], "PONG");
    assert_eq!(ran.finished("used")["state"], "succeeded");
}

#[test]
fn hostile_values_are_one_argument_each_and_never_a_command() {
    let redis = TestRedis::start();
    redis.cli(&["SET", "sentinel", "still here"]);
    let payloads = [
        "$(id)",
        "`id`",
        "\r\n*1\r\n$8\r\nFLUSHALL\r\n",
        "a key; FLUSHALL",
        "\"quoted\" 'and' {{inputs.key}}",
        "../../etc/passwd#x",
    ];
    for payload in payloads {
        let input = format!("key={payload}");
        let ran = run(
            &redis,
            r#"  - id: store
    redis:
      url: "{{inputs.redis}}"
      command: [SET, "{{inputs.key}}", "{{inputs.key}}"]
  - id: read
    needs: [store]
    redis:
      url: "{{inputs.redis}}"
      command: [GET, "{{inputs.key}}"]
"#,
            &["--yes", "--input", &input],
        );
        succeeded(&ran);
        assert_eq!(ran.finished("read")["results"]["value"], payload);
        // Stored as that literal key, read back by another client.
        assert_eq!(redis.cli(&["EXISTS", payload]), "1", "{payload:?}");
        assert_eq!(redis.cli(&["GET", "sentinel"]), "still here", "{payload:?}");
    }
    // Every payload is its own key beside the sentinel: nothing was flushed.
    assert_eq!(redis.cli(&["DBSIZE"]), (payloads.len() + 1).to_string());
}

/// Every file under `dir`, concatenated (a journal and whatever else a run left).
fn everything_under(dir: &Path) -> String {
    let mut out = String::new();
    for entry in crate::support::files_under(dir, |_| true) {
        out.push_str(&String::from_utf8_lossy(
            &std::fs::read(&entry).unwrap_or_default(),
        ));
    }
    out
}

#[test]
fn the_password_never_appears_in_output_journal_dry_run_or_errors() {
    let redis = TestRedis::with_password(PASSWORD);
    redis.cli(&["SET", "job:1", "x"]);
    let dir = tempfile::tempdir().unwrap();
    let wrong = redis.url.replace("s3cr", "n0pe");
    std::fs::write(
        dir.path().join("queue.yaml"),
        playbook(
            r#"  - id: value
    redis:
      url: "{{inputs.redis}}"
      command: [GET, "{{inputs.key}}"]
  - id: drop
    needs: [value]
    redis:
      url: "{{inputs.redis}}"
      command: [DEL, "{{inputs.key}}"]
  - id: config
    redis:
      url: "{{inputs.redis}}"
      command: [CONFIG, GET, requirepass]
"#,
        ),
    )
    .unwrap();
    let file = dir.path().join("queue.yaml");
    let env = [("QUEUE_REDIS", redis.url.as_str())];
    let dry = run_file(&file, dir.path(), &["--dry-run"], &env);
    succeeded(&dry);
    let would = dry.events("step_would_run");
    assert!(
        would[0]["description"].as_str().unwrap().contains(&format!(
            "DEL job:1 (Redis at 127.0.0.1:{}/0)",
            redis.port()
        )),
        "{would:?}"
    );
    let real = run_file(&file, dir.path(), &["--approve", "drop"], &env);
    succeeded(&real);
    // A read whose reply is the password itself.
    assert_eq!(
        real.finished("config")["results"]["value"]["requirepass"],
        "***"
    );
    // A wrong password: refused, and the message names the server only.
    let env = [("QUEUE_REDIS", wrong.as_str())];
    let refused = run_file(&file, dir.path(), &[], &env);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    let message = refusal(&refused);
    assert!(
        message.contains(&format!(
            "Redis at 127.0.0.1:{}/0 refused the login: WRONGPASS",
            redis.port()
        )),
        "{message}"
    );
    for ran in [&dry, &real, &refused] {
        for text in [&ran.stdout, &ran.stderr] {
            assert!(!text.contains(NEEDLE), "{text}");
            assert!(!text.contains("n0pe"), "{text}");
        }
    }
    let written = everything_under(&dir.path().join("journal"));
    assert!(written.contains("refused the login"), "no journal read");
    assert!(!written.contains(NEEDLE) && !written.contains("n0pe"));
    // No password at all: the server's NOAUTH, said plainly.
    let bare = format!("redis://127.0.0.1:{}/0", redis.port());
    let env = [("QUEUE_REDIS", bare.as_str())];
    let noauth = run_file(&file, dir.path(), &[], &env);
    assert_eq!(noauth.code, 1);
    let message = refusal(&noauth);
    assert!(message.contains("wants a password"), "{message}");
    // A URL the parser refuses is not echoed either.
    let env = [("QUEUE_REDIS", "redis://:s3cr@127.0.0.1:99999/0")];
    let bad = run_file(&file, dir.path(), &[], &env);
    assert_eq!(bad.code, 1);
    assert!(!bad.stdout.contains(NEEDLE) && !bad.stderr.contains(NEEDLE));
    assert!(
        bad.stdout.contains("the Redis URL is not valid"),
        "{}",
        bad.stdout
    );
    assert_eq!(redis.cli(&["EXISTS", "job:1"]), "0", "the approved DEL ran");
}

#[test]
fn a_unix_socket_and_a_database_number() {
    let redis = TestRedis::with_password(PASSWORD);
    redis.cli(&["-n", "3", "SET", "job:1", "in db 3"]);
    let url = format!(
        "unix://{}?db=3&password={}",
        redis.socket().display(),
        PASSWORD
            .replace('&', "%26")
            .replace('=', "%3D")
            .replace(' ', "%20")
    );
    let ran = run_playbook(
        "queue.yaml",
        &playbook(
            r#"  - id: value
    redis:
      url: "{{inputs.redis}}"
      command: [GET, "{{inputs.key}}"]
"#,
        ),
        &[],
        &[("QUEUE_REDIS", &url)],
    );
    succeeded(&ran);
    assert_eq!(ran.finished("value")["results"]["value"], "in db 3");
}

#[test]
fn tls_is_verified_against_the_trusted_roots() {
    let redis = TestRedis::with_tls();
    redis.cli(&["SET", "job:1", "over tls"]);
    let steps = r#"  - id: value
    redis:
      url: "{{inputs.redis}}"
      command: [GET, "{{inputs.key}}"]
"#;
    let ca = redis.ca().display().to_string();
    let trusted = run_playbook(
        "queue.yaml",
        &playbook(steps),
        &[],
        &[("QUEUE_REDIS", &redis.url), ("SSL_CERT_FILE", &ca)],
    );
    succeeded(&trusted);
    assert_eq!(trusted.finished("value")["results"]["value"], "over tls");
    // The system's roots do not include the test's CA: refused.
    let empty = tempfile::tempdir().unwrap();
    let untrusted = run_playbook(
        "queue.yaml",
        &playbook(steps),
        &[],
        &[
            ("QUEUE_REDIS", &redis.url),
            ("SSL_CERT_DIR", &empty.path().display().to_string()),
        ],
    );
    assert_eq!(untrusted.code, 1, "{}", untrusted.stdout);
    let message = untrusted.finished("value")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "cannot connect to Redis at 127.0.0.1:{}/0 over TLS",
            redis.port()
        )),
        "{message}"
    );
}

#[test]
fn a_dry_run_sends_reads_and_never_a_change() {
    let redis = TestRedis::start();
    redis.cli(&["SET", "job:1", "x"]);
    redis.cli(&["RPUSH", "arq:queue", "a"]);
    let ran = run(
        &redis,
        r#"  - id: lag
    redis:
      url: "{{inputs.redis}}"
      command: [LLEN, "arq:queue"]
  - id: drop
    needs: [lag]
    redis:
      url: "{{inputs.redis}}"
      command: [DEL, "{{inputs.key}}"]
  - id: push
    needs: [lag]
    redis:
      url: "{{inputs.redis}}"
      command: [RPUSH, "arq:queue", "b"]
  - id: flush
    needs: [lag]
    redis:
      url: "{{inputs.redis}}"
      command: [FLUSHALL]
"#,
        &[
            "--dry-run",
            "--approve",
            "drop",
            "--approve",
            "flush",
            "--yes",
        ],
    );
    succeeded(&ran);
    assert_eq!(ran.finished("lag")["results"]["value"], 1);
    let would: Vec<&str> = ran
        .events("step_would_run")
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(would.len(), 3, "{would:?}");
    assert_eq!(
        redis.cli(&["EXISTS", "job:1"]),
        "1",
        "a dry-run deleted the key"
    );
    assert_eq!(redis.cli(&["LLEN", "arq:queue"]), "1", "a dry-run pushed");
}

#[test]
fn a_server_gone_mid_run_fails_the_steps_that_need_it() {
    let redis = TestRedis::start();
    let ran = run(
        &redis,
        r#"  - id: before
    redis:
      url: "{{inputs.redis}}"
      command: PING
  - id: shutdown
    needs: [before]
    redis:
      url: "{{inputs.redis}}"
      command: [SHUTDOWN, NOSAVE]
    on_failure: continue
  - id: after
    needs: [shutdown]
    redis:
      url: "{{inputs.redis}}"
      command: PING
    on_failure:
      goto: unreachable
  - id: unreachable
    log: cannot connect to redis
"#,
        &["--approve", "shutdown"],
    );
    assert_eq!(ran.finished("before")["state"], "succeeded");
    assert_eq!(ran.finished("unreachable")["state"], "succeeded");
    let shutdown = ran.finished("shutdown");
    assert_eq!(shutdown["state"], "failed", "{shutdown}");
    assert!(
        shutdown["message"]
            .as_str()
            .unwrap()
            .contains("closed the connection before it answered"),
        "{shutdown}"
    );
    let after = ran.finished("after");
    assert_eq!(after["state"], "failed");
    assert!(
        after["message"].as_str().unwrap().contains(&format!(
            "cannot connect to Redis at 127.0.0.1:{}/0",
            redis.port()
        )),
        "{after}"
    );
}

#[test]
fn a_large_reply_is_cut_at_the_output_cap() {
    let redis = TestRedis::start();
    redis.cli(&[
        "EVAL",
        "for i = 1, 5000 do redis.call('RPUSH', 'big', string.rep('x', 100)) end",
        "0",
    ]);
    let ran = run(
        &redis,
        r#"  - id: all
    redis:
      url: "{{inputs.redis}}"
      command: [LRANGE, big, 0, -1]
    output_cap: 16KiB
  - id: blob
    redis:
      url: "{{inputs.redis}}"
      command: [GET, blob]
    output_cap: 16KiB
"#,
        &[],
    );
    succeeded(&ran);
    let all = &ran.finished("all")["results"];
    assert_eq!(all["truncated"], true);
    let kept = all["value"].as_array().unwrap().len();
    assert!(kept > 10 && kept < 200, "{kept} elements kept");
    assert!(ran.finished("all")["message"]
        .as_str()
        .unwrap()
        .contains("output cap"));
    assert!(
        ran.stdout.len() < 200_000,
        "{} bytes printed",
        ran.stdout.len()
    );
    assert_eq!(ran.finished("blob")["results"]["truncated"], false);
}

#[test]
fn a_blocked_blpop_ends_with_its_timeout_and_its_connection() {
    let redis = TestRedis::start();
    let ran = run(
        &redis,
        r#"  - id: next_job
    redis:
      url: "{{inputs.redis}}"
      command: [BLPOP, "empty:queue", 0]
    timeout: 1s
"#,
        &["--yes"],
    );
    assert_eq!(
        ran.finished("next_job")["state"],
        "timed_out",
        "{}",
        ran.stdout
    );
    wait_until("the blocked client to go", Duration::from_secs(20), || {
        !redis.cli(&["CLIENT", "LIST"]).contains("cmd=blpop")
    });
}

#[test]
fn sigterm_during_a_blpop_cancels_the_step_and_closes_its_connection() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("queue.yaml"),
        playbook(
            r#"  - id: next_job
    redis:
      url: "{{inputs.redis}}"
      command: [BLPOP, "empty:queue", 0]
"#,
        ),
    )
    .unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
        .current_dir(dir.path())
        .args([
            "run",
            "queue.yaml",
            "--yes",
            "--output",
            "json",
            "--journal-dir",
        ])
        .arg(dir.path().join("journal"))
        .env("QUEUE_REDIS", &redis.url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(
        "the step to block in BLPOP",
        Duration::from_secs(30),
        || redis.cli(&["CLIENT", "LIST"]).contains("cmd=blpop"),
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let finished: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "step_finished")
        .expect("the step's end");
    assert_eq!(finished["state"], "cancelled", "{finished}");
    wait_until("the blocked client to go", Duration::from_secs(20), || {
        !redis.cli(&["CLIENT", "LIST"]).contains("cmd=blpop")
    });
}

#[test]
fn check_refuses_understated_effects_and_command_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.yaml");
    let check = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
            .arg("check")
            .arg(&file)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let step = |command: &str, effect: &str| {
        format!(
            "name: p\ninputs:\n  x:\n    type: string\nsteps:\n  - id: s\n    redis:\n      command: {command}\n{effect}"
        )
    };
    for (command, effect, ok) in [
        ("[LLEN, q]", "    effect: read\n", true),
        ("[LLEN, q]", "", true),
        ("[DEL, \"{{inputs.x}}\"]", "    effect: destructive\n", true),
        ("[DEL, \"{{inputs.x}}\"]", "    effect: write\n", false),
        ("[FLUSHALL]", "    effect: read\n", false),
        ("[CONFIG, SET, maxmemory, 1]", "    effect: write\n", false),
        ("[CONFIG, GET, maxmemory]", "    effect: read\n", true),
        ("[SET, k, v]", "    effect: read\n", false),
        ("[\"{{inputs.x}}\", k]", "    effect: read\n", false),
        ("[\"{{inputs.x}}\", k]", "    effect: write\n", true),
        ("\"DEL {{inputs.x}}\"", "", false),
        ("PING", "", true),
        ("[MONITOR]", "", false),
    ] {
        let (passed, out) = check(&step(command, effect));
        assert_eq!(passed, ok, "{command} {effect}\n{out}");
    }
}
