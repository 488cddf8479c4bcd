//! Output captured from a step is bounded: each stream keeps at most the
//! cap (default 1 MiB, `--output-cap`) as head and tail with a marker line
//! saying how much was dropped, in memory, in the results and in the
//! journal, where the output is stored once (as `step_output` lines).

use crate::running::Sandbox;
use serde_json::Value;

/// 5,000,000 bytes of 100-byte lines, then a last line to find in the tail.
const LOUD: &str = r#"
name: loud
steps:
  - id: loud
    shell: "yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012 | head -n 50000; echo the-last-line"
"#;

fn journal_bytes(s: &Sandbox) -> u64 {
    let runs = s.path().join(".runbook/runs");
    let dir = std::fs::read_dir(&runs).unwrap().flatten().next().unwrap();
    std::fs::metadata(dir.path().join("journal.jsonl"))
        .unwrap()
        .len()
}

fn marker_of(events: &[Value]) -> Option<String> {
    events
        .iter()
        .filter(|e| e["event"] == "step_output" && e["step"] == "loud")
        .filter_map(|e| e["line"].as_str())
        .find(|l| l.starts_with("[runbook: "))
        .map(str::to_string)
}

#[test]
fn five_megabytes_of_output_keep_head_and_tail_within_the_default_cap() {
    let s = Sandbox::new(LOUD);
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let finished = run.finished("loud");
    let stdout = finished["results"]["stdout"].as_str().unwrap();
    assert!(stdout.len() <= (1 << 20) + 200, "{}", stdout.len());
    assert!(stdout.starts_with("0123456789"), "the head is kept");
    assert!(stdout.ends_with("the-last-line"), "the tail is kept");
    let marker = marker_of(&run.events).expect("a marker line");
    assert!(
        marker.contains("byte(s)") && marker.contains("dropped"),
        "{marker}"
    );
    assert!(stdout.contains(&marker));

    // The journal holds the output once: ~1 MiB of text plus line framing,
    // where it used to hold 5 MB twice over.
    let size = journal_bytes(&s);
    assert!(size < 3 * (1 << 20), "journal is {size} bytes");
    let journal = s.journal();
    let end = journal
        .iter()
        .find(|r| r["event"] == "step_finished" && r["step"] == "loud")
        .unwrap();
    assert!(end["results"].get("stdout").is_none(), "{end}");
    assert_eq!(
        end["output_in_lines"],
        serde_json::json!(["stdout", "stderr"])
    );
    assert!(marker_of(&journal).is_some());
}

#[test]
fn the_cap_is_a_cli_option() {
    let s = Sandbox::new(LOUD);
    let run = s.run(&["--output-cap", "64KiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let stdout = run.finished("loud")["results"]["stdout"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stdout.len() <= 64 * 1024 + 200, "{}", stdout.len());
    assert!(stdout.ends_with("the-last-line"));
    assert!(journal_bytes(&s) < 256 * 1024, "{}", journal_bytes(&s));

    for bad in ["12", "lots", "5XB", "99999999999999999999GiB"] {
        let out = s
            .command(&["run", "p.yaml", "--output-cap", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn a_flood_of_short_lines_cannot_inflate_the_journal() {
    // 6.9 MB in a million short lines: the framing of each journaled line
    // counts against the cap.
    let s = Sandbox::new("name: lines\nsteps:\n  - id: loud\n    shell: seq 1 1000000\n");
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let stdout = run.finished("loud")["results"]["stdout"].as_str().unwrap();
    assert!(stdout.starts_with("1\n2\n3\n"));
    assert!(stdout.ends_with("\n1000000"));
    assert!(marker_of(&run.events).is_some());
    let size = journal_bytes(&s);
    assert!(size < 2 * (1 << 20), "journal is {size} bytes");
}

/// A run with `--output-cap 64KiB` killed (SIGKILL) before its loud step,
/// then resumed with `resume_args`: the loud step's stdout as the resumed
/// run kept it, and the marker line that says which cap cut it.
fn killed_then_resumed(resume_args: &[&str]) -> (String, String) {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let sleep = format!(
        "sleep 41.{}{:03}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let s = Sandbox::new(&format!(
        r#"
name: loud
steps:
  - id: pause
    shell: "touch paused; if [ ! -f resumed ]; then {sleep}; fi"
  - id: loud
    needs: [pause]
    shell: "yes 0123456789012345678901234567890123456789 | head -n 100000; echo the-last-line"
"#
    ));
    s.run_until_killed(&["--output-cap", "64KiB"], "paused", &sleep);
    let started = &s.journal()[0];
    assert_eq!(started["event"], "run_started");
    assert_eq!(started["output_cap"], 65536, "{started}");

    std::fs::write(s.path().join("resumed"), "").unwrap();
    let run_id = s.run_id();
    let mut args = vec!["resume", &run_id, "--approve", "pause"];
    args.extend_from_slice(resume_args);
    let out = s.command(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let journal = s.journal();
    let resumed = journal
        .iter()
        .find(|r| r["event"] == "run_resumed")
        .unwrap();
    let end = journal
        .iter()
        .find(|r| r["event"] == "step_finished" && r["step"] == "loud")
        .unwrap();
    assert_eq!(end["state"], "succeeded", "{end}");
    let marker = marker_of(&journal).expect("the loud step was cut");
    // The lines rebuild the stdout (`output_in_lines`).
    let stdout: Vec<&str> = journal
        .iter()
        .filter(|r| r["event"] == "step_output" && r["step"] == "loud")
        .filter_map(|r| r["line"].as_str())
        .collect();
    let stdout = stdout.join("\n");
    assert!(stdout.ends_with("the-last-line"));
    // The bound is journaled again for a later resume.
    assert!(resumed["output_cap"].is_u64(), "{resumed}");
    (stdout, marker)
}

#[test]
fn resume_keeps_the_interrupted_runs_output_cap() {
    let (stdout, marker) = killed_then_resumed(&[]);
    assert!(stdout.len() <= 64 * 1024 + 300, "{}", stdout.len());
    assert!(
        marker.contains("64KiB (65536 bytes), set by `--output-cap` of the run before `resume`"),
        "{marker}"
    );
}

#[test]
fn resume_cannot_raise_the_interrupted_runs_output_cap() {
    let (stdout, marker) = killed_then_resumed(&["--output-cap", "4MiB"]);
    assert!(stdout.len() <= 64 * 1024 + 300, "{}", stdout.len());
    assert!(
        marker.contains("(65536 bytes), set by `--output-cap` of the run before `resume`"),
        "{marker}"
    );
}

#[test]
fn resume_may_lower_the_interrupted_runs_output_cap() {
    let (stdout, marker) = killed_then_resumed(&["--output-cap", "16KiB"]);
    assert!(stdout.len() <= 16 * 1024 + 300, "{}", stdout.len());
    assert!(
        marker.contains("16KiB (16384 bytes), set by `--output-cap`)"),
        "{marker}"
    );
}
