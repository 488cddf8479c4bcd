//! A retried step whose output is secret: every attempt prints a secret of
//! its own (a token minted per attempt), the first ones fail. Each
//! attempt's lines are held until that attempt ends, then published masked
//! with the secrets it produced, in order (attempt 1's lines before attempt
//! 2 starts); the same for the polls of `until`. Checked in the plain
//! view, `--output json`, the journal file and `runbook report` (Markdown
//! and JSON), and for the elements of a loop.

use crate::running::Sandbox;
use serde_json::Value;

/// Mints a token per attempt (kept in `minted` for the test to grep for),
/// prints it between two plain lines and a line on stderr, and fails until
/// its third attempt. `$K` names the counter, so loop elements count apart.
const MINT: &str = r#"n=$(cat "count$K" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "count$K"; v="minted-$K-$n-$$-$(date +%s%N)-'q' \"dq\" & x=y"; printf "%s\n" "$v" >> minted; echo "before-$K-$n"; printf "token=%s\n" "$v"; echo "after-$K-$n" >&2; [ "$n" -ge 3 ]"#;

fn playbook() -> String {
    let mint = serde_json::to_string(MINT).unwrap();
    format!(
        r#"
steps:
  - id: mint
    retry: {{attempts: 3}}
    shell: {{command: {mint}, env: {{K: one}}}}
    outputs:
      token: {{from: stdout, regex: 'token=(.+)', secret: true}}
  - id: each
    needs: [mint]
    for_each: ["a", "b"]
    retry: {{attempts: 3}}
    shell: {{command: {mint}, env: {{K: "{{{{item}}}}"}}}}
    outputs:
      token: {{from: stdout, regex: 'token=(.+)', secret: true}}
  - id: poll
    needs: [each]
    until: {{condition: steps.poll.exit_code == 0, every: 10ms, within: 5m}}
    shell: {{command: {mint}, env: {{K: poll}}}}
    outputs:
      token: {{from: stdout, regex: 'token=(.+)', secret: true}}
"#
    )
}

/// Every token minted, each attempt's own (twelve: three attempts of
/// `mint`, of each element, and of `poll`).
fn minted(s: &Sandbox) -> Vec<String> {
    let minted: Vec<String> = s.read("minted").lines().map(str::to_string).collect();
    assert_eq!(minted.len(), 12, "{minted:?}");
    minted
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        // The part that is unique to the attempt: a partial leak shows too.
        let unique = secret.split('-').take(5).collect::<Vec<_>>().join("-");
        assert!(
            !text.contains(&unique),
            "{what} contains the secret {secret:?}:\n{text}"
        );
    }
}

/// The journal file's lines, as text and as records.
fn journal_text(s: &Sandbox) -> String {
    let runs = s.path().join(".runbook/runs");
    let dir = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::read_to_string(dir.join("journal.jsonl")).unwrap()
}

/// `(event, attempt or line)` of the step's records, in order: what the
/// order of attempts and lines was.
fn sequence(records: &[Value], step: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| r["step"] == step)
        .filter_map(|r| match r["event"].as_str()? {
            "step_started" => Some(format!("started {}", r["attempt"])),
            "step_retrying" => Some(format!("retrying {}", r["attempt"])),
            "step_polling" => Some(format!("polling {}", r["attempt"])),
            "step_output" => Some(r["line"].as_str()?.to_string()),
            "step_finished" => Some("finished".into()),
            _ => None,
        })
        .collect()
}

#[test]
fn each_attempt_of_a_retried_secret_step_is_published_in_order_and_masked() {
    let s = Sandbox::new(&playbook());
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let secrets = minted(&s);
    assert_clean("--output json", &run.stdout, &secrets);
    assert_clean("stderr", &run.stderr, &secrets);
    assert_eq!(
        sequence(&run.events, "mint"),
        [
            "started 1",
            "before-one-1",
            "token=***",
            "after-one-1",
            "retrying 1",
            "started 2",
            "before-one-2",
            "token=***",
            "after-one-2",
            "retrying 2",
            "started 3",
            "before-one-3",
            "token=***",
            "after-one-3",
            "finished",
        ]
    );

    // Polling (`until`) is the same: each poll's lines, then its note.
    assert_eq!(
        sequence(&run.events, "poll"),
        [
            "started 1",
            "before-poll-1",
            "token=***",
            "after-poll-1",
            "polling 1",
            "started 2",
            "before-poll-2",
            "token=***",
            "after-poll-2",
            "polling 2",
            "started 3",
            "before-poll-3",
            "token=***",
            "after-poll-3",
            "finished",
        ]
    );

    // The journal holds the same, in the same order.
    let text = journal_text(&s);
    assert_clean("the journal", &text, &secrets);
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for step in ["mint", "poll"] {
        assert_eq!(sequence(&records, step), sequence(&run.events, step));
    }
    // Each element's lines come after its attempt started and before its
    // next one (or its end).
    for element in ["a", "b"] {
        let mut last_started = 0;
        for record in records.iter().filter(|r| r["step"] == "each") {
            let index = if element == "a" { 0 } else { 1 };
            if record["event"] == "item_started" && record["index"] == index {
                last_started = record["attempt"].as_u64().unwrap();
            }
            if record["event"] == "step_output" && record["item"] == index {
                let line = record["line"].as_str().unwrap();
                if let Some(n) = line.strip_prefix(&format!("before-{element}-")) {
                    assert_eq!(n, last_started.to_string(), "{text}");
                }
            }
        }
        assert_eq!(last_started, 3, "{text}");
    }

    // The plain view (no terminal) and the report, text and JSON: a
    // second run, its attempts counted afresh.
    for count in ["countone", "counta", "countb", "countpoll"] {
        std::fs::remove_file(s.path().join(count)).unwrap();
    }
    let plain = s.command(&["run", "p.yaml"]).output().unwrap();
    let plain_out = String::from_utf8_lossy(&plain.stdout).into_owned();
    let plain_err = String::from_utf8_lossy(&plain.stderr).into_owned();
    assert_eq!(plain.status.code(), Some(0), "{plain_out}\n{plain_err}");
    let all = s.read("minted");
    let all: Vec<String> = all.lines().map(str::to_string).collect();
    assert_eq!(all.len(), 24, "{all:?}");
    assert_clean("the plain view", &plain_out, &all);
    assert_clean("stderr of the plain view", &plain_err, &all);
    // The live view is on stderr: each attempt's lines before its retry.
    let at = |text: &str| {
        plain_err
            .find(text)
            .unwrap_or_else(|| panic!("{text}:\n{plain_err}"))
    };
    assert!(at("before-one-1") < at("mint: attempt 1 failed"));
    assert!(at("mint: attempt 1 failed") < at("before-one-2"));
    assert!(at("▶ each [0] a") < at("before-a-1"));
    assert!(at("before-a-3") < at("✓ each [0] a"));
    for run_dir in std::fs::read_dir(s.path().join(".runbook/runs")).unwrap() {
        let id = run_dir.unwrap().file_name().to_string_lossy().into_owned();
        for format in ["markdown", "json"] {
            let report = s
                .command(&["report", &id, "--format", format])
                .output()
                .unwrap();
            let out = String::from_utf8_lossy(&report.stdout).into_owned();
            assert_eq!(report.status.code(), Some(0), "{out}");
            assert!(out.contains("mint"), "{out}");
            assert_clean(&format!("report --format {format}"), &out, &all);
        }
    }
}
