//! Every kind's large results are kept within the output cap (the one cap
//! `--output-cap` sets for command output): a server answering 50 MiB, a
//! query returning a million rows cost the `runbook` process about the cap
//! in memory and in the journal, the result says `truncated`, and a cut
//! JSON body is not parsed.
//!
//! Peak memory is the process's `VmHWM` (its resident high-water mark,
//! which only grows), read while a last step holds the run open: that step
//! touches `ready` and waits for `done`, which the test writes once it has
//! read the mark. (`ru_maxrss` of the reaped child would also count the
//! test process it was forked from.)

use crate::harness::http::{TestHttp, HUGE};
use crate::harness::postgres::TestPostgres;
use crate::running::{Run, Sandbox};
use std::process::Stdio;

/// What the run may take at its peak: the binary, its runtime and the cap
/// (1 MiB), with room to spare, and far below the 50 MiB served.
const PEAK_LIMIT_KIB: u64 = 40 * 1024;

/// The last step of each playbook here, after `needs`: holds the run open
/// until the test has read its memory.
fn hold(needs: &str) -> String {
    format!(
        "  - id: hold\n    needs: [{needs}]\n    shell: touch ready; while [ ! -e done ]; do sleep 0.05; done\n"
    )
}

/// The `VmHWM` of a live process, in KiB.
fn high_water_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `runbook run p.yaml --output json ARGS` (a playbook ending with
/// [`hold`]) and returns the run with the process's peak resident memory in
/// KiB.
fn run_measured(s: &Sandbox, args: &[&str]) -> (Run, u64) {
    let mut all = vec!["run", "p.yaml", "--output", "json"];
    all.extend_from_slice(args);
    // Files, not pipes: a pipe nobody reads while the test waits would
    // stop the run.
    let out = s.path().join("out.jsonl");
    let err = s.path().join("err.txt");
    let mut child = s
        .command(&all)
        .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
        .spawn()
        .expect("runbook runs");
    let ready = s.path().join("ready");
    let mut peak = None;
    while peak.is_none() {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if ready.exists() {
            peak = high_water_kib(child.id());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::fs::write(s.path().join("done"), "").unwrap();
    let status = child.wait().unwrap();
    let stdout = std::fs::read_to_string(&out).unwrap();
    let run = Run {
        code: status.code().unwrap_or(-1),
        events: stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        stdout,
        stderr: std::fs::read_to_string(&err).unwrap(),
    };
    let peak = peak.unwrap_or_else(|| panic!("the run ended early: {}", run.describe()));
    (run, peak)
}

fn journal_bytes(s: &Sandbox) -> u64 {
    let runs = s.path().join(".runbook/runs");
    let dir = std::fs::read_dir(&runs).unwrap().flatten().next().unwrap();
    std::fs::metadata(dir.path().join("journal.jsonl"))
        .unwrap()
        .len()
}

fn step_message(run: &Run, step: &str) -> String {
    run.events
        .iter()
        .find(|e| e["event"] == "step_finished" && e["step"] == step)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_fifty_megabyte_http_body_is_cut_at_the_cap() {
    let server = TestHttp::start();
    let s = Sandbox::new(&format!(
        r#"name: huge
steps:
  - id: text
    http: "{url}/huge"
  - id: measured
    http: "{url}/huge?json=true"
  - id: small
    http: "{url}/health"
  - id: branch
    needs: [text]
    when: steps.text.truncated
    log: "the body was cut"
{hold}"#,
        url = server.url,
        hold = hold("text, measured, small, branch"),
    ));
    let (run, peak) = run_measured(&s, &[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let text = run.finished("text");
    let body = text["results"]["body"].as_str().unwrap();
    assert!(body.len() <= (1 << 20) + 200, "{}", body.len());
    assert!(body.starts_with("xxxx"));
    assert!(
        body.ends_with(&format!(
            "[runbook: result cut at the output cap of 1048576 bytes (set by the default of `--output-cap`); the whole result was {HUGE} bytes]\n"
        )),
        "{}",
        &body[body.len() - 200..]
    );
    assert_eq!(text["results"]["truncated"], true);
    assert!(step_message(&run, "text").contains("cut at the output cap"));
    assert_eq!(
        run.states()["branch"],
        "succeeded",
        "a playbook branches on it"
    );

    let json = run.finished("measured");
    assert_eq!(json["results"]["truncated"], true);
    assert!(
        json["results"].get("json").is_none(),
        "{}",
        json["results"]["status"]
    );
    assert!(
        step_message(&run, "measured").contains("not parsed as JSON"),
        "{}",
        step_message(&run, "measured")
    );

    let small = run.finished("small");
    assert_eq!(small["results"]["truncated"], false);
    assert_eq!(small["results"]["json"]["status"], "ok");

    assert!(peak < PEAK_LIMIT_KIB, "peak RSS {peak} KiB");
    let size = journal_bytes(&s);
    assert!(size < 4 << 20, "journal is {size} bytes");
}

#[test]
fn the_cap_comes_from_the_command_line_for_every_kind() {
    let server = TestHttp::start();
    let s = Sandbox::new(&format!(
        "name: small\nsteps:\n  - id: measured\n    http: \"{}/huge\"\n{}",
        server.url,
        hold("measured"),
    ));
    let (run, peak) = run_measured(&s, &["--output-cap", "16KiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let body = run.finished("measured")["results"]["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(body.len() <= 16 * 1024 + 200, "{}", body.len());
    assert!(peak < PEAK_LIMIT_KIB, "peak RSS {peak} KiB");
    assert!(journal_bytes(&s) < 128 * 1024, "{}", journal_bytes(&s));
}

#[test]
fn three_million_rows_keep_the_first_within_the_cap_and_count_them_all() {
    let pg = TestPostgres::start();
    let playbook = |rows: u32| {
        format!(
            r#"name: rows
inputs:
  db:
    type: string
    secret: true
    default: "{url}"
steps:
  - id: measured
    sql:
      url: "{{{{inputs.db}}}}"
      query: "SELECT g AS n, repeat('y', 100) AS pad FROM generate_series(1, {rows}) AS g"
{hold}"#,
            url = pg.url,
            hold = hold("measured"),
        )
    };
    // The same run over ten rows: what the process takes anyway (the
    // PostgreSQL client, its threads).
    let (small, baseline) = run_measured(&Sandbox::new(&playbook(10)), &[]);
    assert_eq!(small.code, 0, "{}", small.describe());
    assert_eq!(small.finished("measured")["results"]["truncated"], false);

    // 3,000,000 rows are about 400 MB as text, more as values.
    let s = Sandbox::new(&playbook(3_000_000));
    let (run, peak) = run_measured(&s, &[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let many = run.finished("measured");
    assert_eq!(many["results"]["truncated"], true);
    assert_eq!(many["results"]["row_count"], 3_000_000);
    let rows = many["results"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() < 10_000, "{}", rows.len());
    assert_eq!(rows[0]["n"], 1);
    assert!(step_message(&run, "measured").contains("of which `rows` keeps the first"));
    // The kept rows as values, their copies in events and the driver's
    // buffers: a few tens of MiB that do not grow with the rows (a million
    // rows peak the same), where the whole result would take gigabytes.
    assert!(
        peak < baseline + 32 * 1024,
        "peak RSS {peak} KiB, {baseline} KiB for ten rows"
    );
    let size = journal_bytes(&s);
    assert!(size < 4 << 20, "journal is {size} bytes");
}

/// A pod's 8 MB of logs: the API server is asked for at most the cap (and
/// one byte more, which says the logs were longer), the result keeps that
/// and says `truncated`; a list within the cap is whole.
#[test]
fn pod_logs_past_the_cap_are_asked_and_kept_within_it() {
    let k8s = crate::harness::k8s::TestK8s::start();
    let kubeconfig = k8s.kubeconfig.display().to_string();
    let ran = crate::harness::run_playbook(
        "k8s.yaml",
        r#"name: chatty
steps:
  - id: logs
    k8s:
      operation: logs
      name: alphaswarm-core-7d9f-def34
      container: chatty
  - id: pods
    k8s:
      operation: list
"#,
        &["--output-cap", "64KiB"],
        &[("KUBECONFIG", &kubeconfig)],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let logs = ran.finished("logs");
    assert_eq!(logs["results"]["truncated"], true);
    let text = logs["results"]["logs"].as_str().unwrap();
    assert!(text.starts_with("2026-01-10T09:00:00Z INFO chatty line 000000"));
    assert!(text.len() <= 64 * 1024 + 200, "{}", text.len());
    assert!(
        text.ends_with(
            "[runbook: result cut at the output cap of 65536 bytes (set by `--output-cap`); the whole result was larger]\n"
        ),
        "{}",
        &text[text.len() - 200..]
    );
    assert!(logs["message"]
        .as_str()
        .is_some_and(|m| m.contains("cut at the output cap")));
    let pods = ran.finished("pods");
    assert_eq!(pods["results"]["truncated"], false);
    assert_eq!(
        pods["results"]["items"].as_array().map(Vec::len),
        pods["results"]["count"].as_u64().map(|n| n as usize)
    );
}
