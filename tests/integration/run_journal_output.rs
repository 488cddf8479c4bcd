//! Every line a step prints is stored once in the journal file: as its
//! `step_output` record, never again in a `step_finished` or
//! `item_finished` result. Checked where it was once stored twice: the
//! steps of a called playbook (once, and per element of a loop over a
//! `playbook` step), a loop whose output is held for its secret, and
//! retried attempts (held or not). A resume still reads each step's
//! streams back from the lines.

use crate::running::Sandbox;

/// Prints `WORD-N-out` on stdout and `WORD-N-err` on stderr, `N` its
/// attempt, and a secret token (which is masked, not counted); fails until
/// attempt `$UPTO`. The words are printed joined, so the command text (in
/// the journal too) never holds a printed line.
const PRINT: &str = r#"n=$(cat "count-$W" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "count-$W"; printf '%s-%s-%s\n' "$W" "$n" out; printf '%s-%s-%s\n' "$W" "$n" err >&2; printf 'token=%s-%s\n' "$$" "$(date +%s%N)"; [ "$n" -ge "$UPTO" ]"#;

fn step(id: &str, word: &str, upto: u32, secret: bool) -> String {
    let print = serde_json::to_string(PRINT).unwrap();
    let outputs = if secret {
        "\n    outputs:\n      token: {from: stdout, regex: 'token=(.+)', secret: true}"
    } else {
        ""
    };
    format!(
        "  - id: {id}\n    retry: {{attempts: {upto}}}\n    shell: {{command: {print}, env: {{W: \"{word}\", UPTO: \"{upto}\"}}}}{outputs}\n"
    )
}

fn parent() -> String {
    let print = serde_json::to_string(PRINT).unwrap();
    let mut steps = String::from("steps:\n");
    steps += &step("plain", "plain", 1, false);
    steps += &step("retried", "retried", 3, false);
    steps += &step("secret", "secret", 1, true);
    steps += &step("secret_retried", "sretried", 3, true);
    steps += &format!(
        r#"  - id: each
    for_each: ["loopa", "loopb"]
    retry: {{attempts: 2}}
    shell: {{command: {print}, env: {{W: "{{{{item}}}}", UPTO: "2"}}}}
  - id: each_secret
    for_each: ["sloopa", "sloopb"]
    parallel: 2
    retry: {{attempts: 2}}
    shell: {{command: {print}, env: {{W: "{{{{item}}}}", UPTO: "2"}}}}
    outputs:
      token: {{from: stdout, regex: 'token=(.+)', secret: true}}
  - id: call
    playbook: {{path: child.yaml, inputs: {{word: called}}}}
  - id: each_call
    for_each: ["elema", "elemb"]
    playbook: {{path: child.yaml, inputs: {{word: "{{{{item}}}}"}}}}
"#
    );
    steps
}

/// The called playbook: a plain step, a retried one and a held one, each
/// printing under its caller's word.
fn child() -> String {
    let print = serde_json::to_string(PRINT).unwrap();
    format!(
        r#"inputs:
  word: {{type: string}}
steps:
  - id: plain
    shell: {{command: {print}, env: {{W: "{{{{inputs.word}}}}-plain", UPTO: "1"}}}}
  - id: retried
    retry: 2
    shell: {{command: {print}, env: {{W: "{{{{inputs.word}}}}-retried", UPTO: "2"}}}}
  - id: held
    shell: {{command: {print}, env: {{W: "{{{{inputs.word}}}}-held", UPTO: "1"}}}}
    outputs:
      token: {{from: stdout, regex: 'token=(.+)', secret: true}}
"#
    )
}

/// Every line the run printed: `WORD-N-out` and `WORD-N-err` of each
/// attempt of each printing word.
fn printed() -> Vec<String> {
    let mut words: Vec<(String, u32)> = vec![
        ("plain".into(), 1),
        ("retried".into(), 3),
        ("secret".into(), 1),
        ("sretried".into(), 3),
    ];
    for w in ["loopa", "loopb", "sloopa", "sloopb"] {
        words.push((w.into(), 2));
    }
    for call in ["called", "elema", "elemb"] {
        words.push((format!("{call}-plain"), 1));
        words.push((format!("{call}-retried"), 2));
        words.push((format!("{call}-held"), 1));
    }
    let mut lines = Vec::new();
    for (word, attempts) in words {
        for n in 1..=attempts {
            lines.push(format!("{word}-{n}-out"));
            lines.push(format!("{word}-{n}-err"));
        }
    }
    lines
}

/// How many times `line` is in the journal file, as a whole JSON string.
fn count(journal: &str, line: &str) -> usize {
    let quoted = serde_json::to_string(line).unwrap();
    let inside = &quoted[..quoted.len() - 1];
    // As a string of its own (a `line`), or starting a result (`stdout`
    // of several lines: `"a-1-out\nb..."`), or inside one after a newline.
    journal.matches(&quoted).count()
        + journal.matches(&format!("{inside}\\n")).count()
        + journal
            .matches(&format!("\\n{}\"", &quoted[1..quoted.len() - 1]))
            .count()
        + journal
            .matches(&format!("\\n{}\\n", &quoted[1..quoted.len() - 1]))
            .count()
}

#[test]
fn every_printed_line_is_stored_once_in_the_journal() {
    let s = Sandbox::new(&parent());
    std::fs::write(s.path().join("child.yaml"), child()).unwrap();
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let runs = s.path().join(".runbook/runs").join(s.run_id());
    let journal = std::fs::read_to_string(runs.join("journal.jsonl")).unwrap();
    for line in printed() {
        assert_eq!(
            count(&journal, &line),
            1,
            "`{line}` is not stored exactly once:\n{journal}"
        );
    }
    // The top-level steps' lines were printed live, each once.
    for line in printed()
        .iter()
        .filter(|l| !l.contains("called") && !l.contains("elem"))
    {
        let events = run
            .events
            .iter()
            .filter(|e| e["event"] == "step_output" && e["line"] == line.as_str())
            .count();
        assert_eq!(events, 1, "{line}:\n{}", run.stdout);
    }
    // The tokens of the held steps are masked in their lines.
    let mut held = 0;
    for record in journal.lines() {
        let record: serde_json::Value = serde_json::from_str(record).unwrap();
        // A called playbook's record is wrapped.
        let event = record.get("record").unwrap_or(&record);
        let step = event["step"].as_str().unwrap_or_default();
        let secret =
            ["secret", "secret_retried", "each_secret"].contains(&step) || step.ends_with(".held");
        let line = event["line"].as_str().unwrap_or_default();
        if event["event"] == "step_output" && secret && line.starts_with("token=") {
            assert_eq!(line, "token=***", "{step}");
            held += 1;
        }
    }
    // secret 1, secret_retried 3, each_secret 2 x 2, three called `held`.
    assert_eq!(held, 11, "{journal}");
}

#[test]
fn a_resume_reads_back_the_streams_of_steps_whose_lines_stand_for_them() {
    // A step after the held ones reads their streams: a resume that
    // restores them from the lines gives the same values as the run. The
    // gate waits for every step, so none is still running when the run
    // stops there (an interrupted step would be asked for again, and
    // `--yes` does not pass that question).
    let mut playbook = parent();
    playbook += r#"  - id: gate
    needs: [plain, retried, secret, secret_retried, each, each_secret, call, each_call]
    manual: "stop here"
  - id: read
    needs: [gate]
    shell:
      command: 'printf "%s|%s|%s\n" "$A" "$B" "$C"'
      env:
        A: "{{steps.secret.stderr}}"
        B: "{{steps.each_secret.results[1].stderr}}"
        C: "{{steps.retried.stdout}}"
"#;
    let s = Sandbox::new(&playbook);
    std::fs::write(s.path().join("child.yaml"), child()).unwrap();
    // No terminal: the manual step stops the run.
    let first = s.run(&["--yes"]);
    assert_ne!(first.code, 0, "{}", first.describe());
    assert_eq!(first.state("secret"), "succeeded", "{}", first.describe());
    let id = s.run_id();
    let resumed = crate::running::Run::from(
        s.command(&[
            "resume",
            &id,
            "--yes",
            "--approve",
            "gate",
            "--output",
            "json",
        ])
        .output()
        .unwrap(),
    );
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    let line = resumed
        .events
        .iter()
        .find(|e| e["event"] == "step_output" && e["step"] == "read")
        .and_then(|e| e["line"].as_str())
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        line,
        "secret-1-err|sloopb-2-err|retried-3-out",
        "{}",
        resumed.describe()
    );
}

/// With `--output json`, stdout holds the records; stderr still says, one
/// line each, which step failed (masked) and where the journal is.
#[test]
fn a_failed_run_with_json_output_says_why_on_stderr() {
    let s = Sandbox::new(
        r#"
inputs:
  token: {type: string, secret: true, env: RB_TOKEN}
steps:
  - id: probe
    shell: {command: 'echo "no $T"; exit 3', env: {T: "{{inputs.token}}"}}
    effect: read
"#,
    );
    let out = s
        .command(&["run", "p.yaml", "--output", "json"])
        .env("RB_TOKEN", "tok-7b1e09c4d2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("runbook: step `probe` failed: exited with status 3"),
        "{stderr}"
    );
    assert!(stderr.contains("failed; journal: "), "{stderr}");
    assert!(!stderr.contains("tok-7b1e09c4d2"), "{stderr}");
}
