//! A torn journal: the process was killed while it wrote a record, or the
//! disk was full, and the last record is cut short. `runbook runs` and
//! `runbook report` say so (`torn: true` in their JSON, a sentence in
//! their text), show every record before it, never change the file, and
//! never panic, wherever the record was cut.

use crate::running::Sandbox;
use serde_json::Value;
use std::path::Path;

const PLAYBOOK: &str = r#"
steps:
  - id: first
    shell: echo first
  - id: second
    needs: [first]
    shell: "printf 'h\u00e9llo \u00fc \u2603 %s\n' done"
  - id: third
    needs: [second]
    shell: echo third
"#;

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn runbook(s: &Sandbox, args: &[&str]) -> Outcome {
    let out = s.command(args).output().unwrap();
    let outcome = Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !outcome.stderr.contains("panicked") && outcome.code != 101,
        "runbook {args:?} panicked:\n{}",
        outcome.stderr
    );
    outcome
}

/// The byte offsets where each line of `bytes` starts, and its end.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            starts.push(i + 1);
        }
    }
    starts
}

/// `runs` and `report` over the journal cut to `bytes`, whose complete
/// records are `complete` (their steps finished: `finished`).
fn check_torn(s: &Sandbox, journal: &Path, bytes: &[u8], finished: &[&str], id: &str) {
    std::fs::write(journal, bytes).unwrap();
    let what = format!("cut at {} bytes", bytes.len());

    let runs = runbook(s, &["runs", "--format", "json"]);
    assert_eq!(runs.code, 0, "{what}: {}", runs.stderr);
    let listed: Value = serde_json::from_str(&runs.stdout).unwrap();
    let run = &listed["runs"][0];
    assert_eq!(run["torn"], true, "{what}: {run}");
    assert_eq!(run["status"], "incomplete", "{what}: {run}");
    assert_eq!(run["steps_finished"], finished.len(), "{what}: {run}");
    assert_eq!(run["torn_record"]["offset"], bytes.len() - tail(bytes));

    let text = runbook(s, &["runs"]);
    assert_eq!(text.code, 0, "{what}");
    assert!(text.stdout.contains(id), "{what}: {}", text.stdout);
    assert!(
        text.stderr.contains("is torn") && text.stderr.contains(id),
        "{what}: {}",
        text.stderr
    );

    let report = runbook(s, &["report", id, "--format", "json"]);
    assert_eq!(report.code, 0, "{what}: {}", report.stderr);
    let json: Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(json["torn"], true, "{what}");
    assert_eq!(json["run"]["torn"], true, "{what}");
    let rows: Vec<&str> = json["report"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["ended"].is_null())
        .map(|r| r["step"].as_str().unwrap())
        .collect();
    assert_eq!(rows, finished, "{what}");
    assert!(
        report.stderr.contains("is torn"),
        "{what}: {}",
        report.stderr
    );

    let markdown = runbook(s, &["report", id]);
    assert_eq!(markdown.code, 0, "{what}: {}", markdown.stderr);
    assert!(
        markdown.stdout.contains("- Journal: **torn**"),
        "{what}: {}",
        markdown.stdout
    );
    for step in finished {
        assert!(
            markdown.stdout.contains(&format!("| `{step}` |")),
            "{what}: {step}\n{}",
            markdown.stdout
        );
    }

    // Reading never changes the journal.
    assert_eq!(std::fs::read(journal).unwrap(), bytes, "{what}");
}

/// How many bytes of `bytes` follow its last newline: the torn record.
fn tail(bytes: &[u8]) -> usize {
    bytes.iter().rev().take_while(|b| **b != b'\n').count()
}

#[test]
fn a_journal_cut_inside_its_last_record_is_reported_torn_with_every_record_before_it() {
    let s = Sandbox::new(PLAYBOOK);
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let id = s.run_id();
    let journal = s
        .path()
        .join(".runbook/runs")
        .join(&id)
        .join("journal.jsonl");
    let whole = std::fs::read(&journal).unwrap();
    let starts = line_starts(&whole);
    let records: Vec<Value> = s.journal();
    assert_eq!(records.last().unwrap()["event"], "run_finished");

    // The last record is `run_finished`: every step ended before it.
    let last = starts[starts.len() - 2];
    let end = whole.len();
    for cut in [last + 1, last + 2, (last + end) / 2, end - 2, end - 1] {
        check_torn(
            &s,
            &journal,
            &whole[..cut],
            &["first", "second", "third"],
            &id,
        );
    }

    // The last record is `second`'s line of output, which holds characters
    // of several bytes: cut inside them too.
    let at = records
        .iter()
        .position(|r| r["event"] == "step_output" && r["step"] == "second")
        .unwrap();
    let (from, to) = (starts[at], starts[at + 1]);
    let line = &whole[from..to];
    let multibyte = line.iter().position(|b| *b >= 0x80).unwrap();
    for cut in [from + 1, from + multibyte + 1, from + multibyte + 2, to - 1] {
        check_torn(&s, &journal, &whole[..cut], &["first"], &id);
    }
}

#[test]
fn a_journal_holding_only_a_torn_record_is_refused_with_the_reason() {
    let s = Sandbox::new(PLAYBOOK);
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let id = s.run_id();
    let journal = s
        .path()
        .join(".runbook/runs")
        .join(&id)
        .join("journal.jsonl");
    let whole = std::fs::read(&journal).unwrap();
    let first_end = whole.iter().position(|b| *b == b'\n').unwrap();
    std::fs::write(&journal, &whole[..first_end / 2]).unwrap();

    let runs = runbook(&s, &["runs", "--format", "json"]);
    let listed: Value = serde_json::from_str(&runs.stdout).unwrap();
    assert_eq!(listed["runs"][0]["torn"], true, "{}", runs.stdout);
    assert_eq!(listed["runs"][0]["status"], "damaged", "{}", runs.stdout);
    let report = runbook(&s, &["report", &id]);
    assert_eq!(report.code, 2, "{}", report.stderr);
    assert!(
        report.stderr.contains("holds only a torn record"),
        "{}",
        report.stderr
    );
    assert_eq!(std::fs::read(&journal).unwrap(), &whole[..first_end / 2]);
}
