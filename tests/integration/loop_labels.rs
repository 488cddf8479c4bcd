//! `label:` on a `for_each` step: elements with no name of their own
//! (Prometheus targets, keyed by `labels.instance`) are named by an
//! expression in the live view, `--output json`, the journal, `runbook
//! report`, rehearsals and on resume. Hostile labels stay inert: escaped on
//! the terminal, exact in the journal, never a path.

use crate::running::Sandbox;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Four scrape targets, one of each kind of hostile label.
fn targets(hostile: &str) -> String {
    format!(
        r#"name: scrape
steps:
  - id: scrape
    for_each:
      - {{labels: {{instance: "10.0.0.1:9100", job: node}}}}
      - {{labels: {{instance: "{hostile}", job: node}}}}
      - {{labels: {{instance: "\e[2Jcleared", job: node}}}}
      - {{labels: {{instance: "$(touch pwned)", job: node}}}}
    as: target
    label: target.labels.instance
    shell: echo scraped {{{{target.labels.job}}}} >> scraped
  - id: second
    needs: [scrape]
    shell: echo {{{{steps.scrape.results.[1].label}}}} > second
"#
    )
}

#[test]
fn labels_name_targets_in_every_view_and_hostile_ones_stay_inert() {
    let escape_to = format!("../labelled-{}", std::process::id());
    let s = Sandbox::new(&targets(&escape_to));
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let expected = [
        "10.0.0.1:9100",
        escape_to.as_str(),
        "\u{1b}[2Jcleared",
        "$(touch pwned)",
    ];
    // `--output json` and the journal: the label exactly as evaluated.
    for records in [run.events.clone(), s.journal()] {
        let labels: Vec<&str> = records
            .iter()
            .filter(|r| r["event"] == "item_finished")
            .map(|r| r["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, expected);
    }
    let finished = run.finished("scrape");
    let results = finished["results"]["results"].as_array().unwrap();
    let labels: Vec<&str> = results
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, expected);
    // A later step reads an element's label, and it is quoted as any value.
    assert_eq!(s.read("second").trim(), escape_to);
    assert_eq!(s.read("scraped").lines().count(), 4);
    // Never a command, never a path.
    assert!(!s.path().join("pwned").exists());
    assert!(!s.path().join(&escape_to).exists());

    // The live view on a terminal: escaped, so it cannot clear the screen.
    let live = s.pty_capture("run p.yaml --yes", &[]);
    assert!(live.contains("scrape [0] 10.0.0.1:9100"), "{live}");
    assert!(
        live.contains("\\x1b[2Jcleared") || live.contains("\\u{1b}[2Jcleared"),
        "{live}"
    );
    assert!(!live.contains("\u{1b}[2J"), "{live:?}");

    // `runbook report`: the labels, escaped (Markdown's brackets too).
    let out = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains(r"element \[0\] 10.0.0.1:9100 succeeded"),
        "{report}"
    );
    assert!(
        report.contains(&format!(r"element \[1\] {escape_to} succeeded")),
        "{report}"
    );
    assert!(!report.contains('\u{1b}'), "{report:?}");
}

#[test]
fn a_label_that_cannot_name_the_elements_fails_the_step_before_any_runs() {
    let long = "x".repeat(10_000);
    let cases = [
        (
            r#"[{z: eu, i: a}, {z: us, i: b}, {z: eu, i: c}]"#.to_string(),
            "elements [0] and [2] have the same label `eu`",
        ),
        (
            r#"[{z: "one\ntwo", i: a}]"#.to_string(),
            "spans more than one line",
        ),
        (
            format!("[{{z: {long}, i: a}}]"),
            "is 10000 characters long; a label is at most 200",
        ),
        (r#"[{z: "", i: a}]"#.to_string(), "is empty"),
        (
            r#"[{i: a}]"#.to_string(),
            "cannot evaluate the label `item.z` of element [0]",
        ),
    ];
    for (list, why) in cases {
        let s = Sandbox::new(&format!(
            "name: bad-labels\nsteps:\n  - id: each\n    for_each: {list}\n    label: item.z\n    shell: echo {{{{item.i}}}} >> ran\n"
        ));
        let run = s.run(&["--yes"]);
        assert_eq!(run.code, 1, "{}", run.describe());
        assert_eq!(run.state("each"), "failed");
        let message = run.message("each");
        assert!(message.contains(why), "{why}: {message}");
        assert!(message.len() < 400, "{message}");
        assert!(
            run.events_of("item_started").is_empty(),
            "{}",
            run.describe()
        );
        assert!(!s.path().join("ran").exists());
    }
}

#[test]
fn a_killed_loop_resumes_by_label_without_repeating_a_finished_target() {
    let sleep = format!("sleep 43.{}", std::process::id());
    let s = Sandbox::new(&format!(
        r#"name: scrape
steps:
  - id: scrape
    for_each:
      - {{labels: {{instance: "a:9100"}}}}
      - {{labels: {{instance: "b:9100"}}}}
      - {{labels: {{instance: "c:9100"}}}}
    label: item.labels.instance
    shell: "echo {{{{item.labels.instance}}}} >> scraped; if [ {{{{item.labels.instance}}}} = b:9100 ] && [ ! -f resumed ]; then {sleep}; fi"
"#
    ));
    let mut child = s
        .command(&["run", "p.yaml", "--yes"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.read("scraped").lines().count() < 2 {
        assert!(Instant::now() < deadline, "the slow element never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    s.kill_leftovers(&sleep);
    std::fs::write(s.path().join("resumed"), "").unwrap();
    let out = s
        .command(&["resume", &s.run_id(), "--approve", "scrape"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.read("scraped"), "a:9100\nb:9100\nb:9100\nc:9100\n");
    let journal = s.journal();
    let labels: Vec<&str> = journal
        .iter()
        .filter(|r| r["event"] == "item_finished")
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["a:9100", "b:9100", "c:9100"]);
    let finished = journal
        .iter()
        .rfind(|r| r["event"] == "step_finished")
        .unwrap();
    assert_eq!(finished["state"], "succeeded");
    let results: Vec<&Value> = finished["results"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(results[0]["label"], "a:9100");
    assert_eq!(
        results[0]["message"],
        "succeeded before the run was resumed"
    );
}

#[test]
fn a_rehearsal_scripts_and_expects_elements_by_their_written_label() {
    let s = Sandbox::new(
        r#"name: scrape
steps:
  - id: targets
    prometheus: {query: up}
  - id: scrape
    needs: [targets]
    for_each: steps.targets.series
    label: item.labels.instance
    on_item_failure: continue
    shell: curl -fsS http://{{item.labels.instance}}/metrics
"#,
    );
    let scenario = |label: &str| {
        format!(
            r#"playbook: p.yaml
scenarios:
  - name: one target is down
    steps:
      targets:
        results:
          series:
            - {{labels: {{instance: "a:9100"}}, value: 1}}
            - {{labels: {{instance: "b:9100"}}, value: 0}}
      scrape:
        results: {{exit_code: 0}}
        items:
          - {{label: "{label}", state: failed, message: connection refused}}
    expect:
      loops:
        scrape:
          state: failed
          items:
            - {{label: "a:9100", state: succeeded}}
            - {{label: "{label}", state: failed}}
"#
        )
    };
    std::fs::write(s.path().join("p.scenario.yaml"), scenario("b:9100")).unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 passed, 0 failed"), "{text}");

    // A label none of the elements has: an error in the scenario file.
    std::fs::write(s.path().join("p.scenario.yaml"), scenario("b:9010")).unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("has no element `b:9010`"), "{text}");
    assert!(text.contains("a:9100, b:9100"), "{text}");
}

#[test]
fn plan_graph_doc_show_the_label_and_fmt_convert_keep_it() {
    let s = Sandbox::new(&targets("../x"));
    for command in [
        &["plan", "p.yaml"][..],
        &["graph", "p.yaml", "--format", "text"],
        &["doc", "p.yaml"],
    ] {
        let out = s.command(command).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{command:?}: {text}");
        assert!(
            text.contains("labelled `target.labels.instance`"),
            "{command:?}: {text}"
        );
    }
    let out = s
        .command(&["convert", "--to", "runbook", "p.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("\n  label target.labels.instance\n"),
        "{text}"
    );
    std::fs::write(s.path().join("p.runbook"), &text).unwrap();
    let out = s
        .command(&["fmt", "--check", "p.runbook"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = s
        .command(&["convert", "--to", "yaml", "p.runbook"])
        .output()
        .unwrap();
    let yaml = String::from_utf8_lossy(&back.stdout);
    assert!(
        yaml.contains("\n  label: target.labels.instance\n"),
        "{yaml}"
    );
    // The `.runbook` form runs the same.
    let run = s
        .command(&["run", "p.runbook", "--yes", "--output", "json"])
        .output()
        .unwrap();
    let labels: Vec<String> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["event"] == "item_finished")
        .map(|r| r["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels.len(), 4, "{labels:?}");
    assert_eq!(labels[1], "../x");
}

/// Elements whose default labels would read the same (cut at 80
/// characters, or escaped alike) are told apart by their position, so
/// `--approve 'STEP[LABEL]'` naming one never approves the other.
#[test]
fn elements_that_would_read_alike_are_told_apart_and_approved_one_by_one() {
    let long = "x".repeat(90);
    let s = Sandbox::new(&format!(
        r#"
steps:
  - id: remove
    for_each: '["{long}-deleteme", "{long}-keepme"]'
    as: file
    approval: "Delete {{{{file}}}}?"
    approval_per_item: true
    on_item_failure: continue
    shell: echo {{{{file}}}} >> trail
"#
    ));
    let shown = format!("{}... (#0)", "x".repeat(80));
    let run = s.run(&["--approve", &format!("remove[{shown}]")]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("trail"), format!("{long}-deleteme\n"));
}
