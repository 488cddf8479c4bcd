//! A loop over a `playbook` step: each element's called run is journaled
//! inside the caller's journal at its own address (`STEP[INDEX]`), so a
//! `resume` after `kill -9` continues inside the element that was running,
//! at its next unfinished step, and never runs an element that succeeded.

use crate::running::Sandbox;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const MAIN: &str = r#"name: main
steps:
  - id: each_host
    for_each: [web-1, web-2, web-3]
    as: host
    playbook:
      path: body.yaml
      inputs: {host: "{{host}}"}
"#;

/// `web-2`'s second step waits until the test says the run was resumed.
const BODY: &str = r#"name: body
inputs:
  host: {type: string}
steps:
  - id: first
    shell: echo first {{inputs.host}} >> lines
  - id: second
    needs: [first]
    shell: "echo second {{inputs.host}} >> lines; if [ {{inputs.host}} = web-2 ] && [ ! -f resumed ]; then sleep 32; fi"
"#;

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn line_counts(text: &str) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        *counts.entry(line).or_insert(0) += 1;
    }
    counts
}

#[test]
fn resume_continues_inside_the_element_whose_called_playbook_was_killed() {
    // A sleep of its own, so cleaning up never kills another test's.
    let sleep = format!("sleep 32.{}", std::process::id());
    let s = Sandbox::new(MAIN);
    std::fs::write(s.path().join("body.yaml"), BODY.replace("sleep 32", &sleep)).unwrap();
    let mut child = s
        .command(&["run", "p.yaml"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("web-2's second step to start", || {
        s.read("lines").contains("second web-2")
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    s.kill_leftovers(&sleep);
    assert_eq!(
        s.read("lines"),
        "first web-1\nsecond web-1\nfirst web-2\nsecond web-2\n"
    );

    // Each element's called run is journaled at its own address.
    let journal = s.journal();
    for (call, step) in [("each_host[0]", "second"), ("each_host[1]", "first")] {
        assert!(
            journal.iter().any(|r| r["event"] == "called"
                && r["call"] == call
                && r["record"]["event"] == "step_finished"
                && r["record"]["step"] == format!("{call}.{step}")
                && r["record"]["state"] == "succeeded"),
            "{call}.{step} succeeded: {journal:#?}"
        );
    }
    std::fs::write(s.path().join("resumed"), "").unwrap();

    // The loop was interrupted (asked for again), and so was the called
    // playbook's step that was running, addressed as a run addresses it.
    let run_id = s.run_id();
    let resumed = s
        .command(&[
            "resume",
            &run_id,
            "--approve",
            "each_host",
            "--approve",
            "each_host.second",
        ])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let lines = s.read("lines");
    let counts = line_counts(&lines);
    // Element 1 ran once, before the kill; element 2 continued inside its
    // called playbook: its first step did not run again, its second (the
    // one that was running) ran again once approved; element 3 ran.
    assert_eq!(
        counts,
        BTreeMap::from([
            ("first web-1", 1),
            ("second web-1", 1),
            ("first web-2", 1),
            ("second web-2", 2),
            ("first web-3", 1),
            ("second web-3", 1),
        ]),
        "{lines}"
    );
    let journal = s.journal();
    let asked = journal
        .iter()
        .find(|r| r["event"] == "gate_requested" && r["step"] == "each_host")
        .expect("the loop's gate");
    assert!(
        asked["question"]
            .as_str()
            .unwrap()
            .contains("continues inside it"),
        "{asked}"
    );
    let finished = journal
        .iter()
        .rev()
        .find(|r| r["event"] == "step_finished" && r["step"] == "each_host")
        .expect("the loop's end");
    assert_eq!(finished["state"], "succeeded", "{finished}");
    assert_eq!(finished["results"]["succeeded_count"], 3, "{finished}");
    let seqs: Vec<u64> = journal.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "one sequence for the caller and every element's called run: {seqs:?}"
    );
}

/// An element whose called playbook failed (the loop failed, nothing was
/// interrupted) continues inside it on resume too: its steps that
/// succeeded do not run again, and no gate is asked.
#[test]
fn resume_continues_inside_the_element_whose_called_playbook_failed() {
    let s = Sandbox::new(MAIN);
    std::fs::write(
        s.path().join("body.yaml"),
        r#"name: body
inputs:
  host: {type: string}
steps:
  - id: first
    shell: echo first {{inputs.host}} >> lines
  - id: second
    needs: [first]
    shell: "echo second {{inputs.host}} >> lines; if [ {{inputs.host}} = web-2 ] && [ ! -f fixed ]; then exit 1; fi"
"#,
    )
    .unwrap();
    let failed = s.command(&["run", "p.yaml"]).output().unwrap();
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert_eq!(
        s.read("lines"),
        "first web-1\nsecond web-1\nfirst web-2\nsecond web-2\n"
    );
    std::fs::write(s.path().join("fixed"), "").unwrap();
    let resumed = s.command(&["resume", &s.run_id()]).output().unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let lines = s.read("lines");
    assert_eq!(
        line_counts(&lines),
        BTreeMap::from([
            ("first web-1", 1),
            ("second web-1", 1),
            ("first web-2", 1),
            ("second web-2", 2),
            ("first web-3", 1),
            ("second web-3", 1),
        ]),
        "{lines}"
    );
}

/// A list that changed (resumed with `--force` after the playbook changed)
/// continues inside an element's called run only where the same element
/// still is: the position's new element starts its called playbook afresh.
#[test]
fn a_changed_list_starts_the_new_elements_called_playbook_afresh() {
    let sleep = format!("sleep 32.{}", std::process::id() + 1);
    let s = Sandbox::new(MAIN);
    std::fs::write(s.path().join("body.yaml"), BODY.replace("sleep 32", &sleep)).unwrap();
    let mut child = s
        .command(&["run", "p.yaml"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("web-2's second step to start", || {
        s.read("lines").contains("second web-2")
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    s.kill_leftovers(&sleep);
    std::fs::write(s.path().join("resumed"), "").unwrap();
    // web-2 moves to the end; a hostile element takes its place.
    std::fs::write(
        s.path().join("p.yaml"),
        MAIN.replace(
            "[web-1, web-2, web-3]",
            r#"[web-1, "$(touch pwned)", web-2]"#,
        ),
    )
    .unwrap();
    let resumed = s
        .command(&["resume", &s.run_id(), "--force", "--approve", "each_host"])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let lines = s.read("lines");
    assert_eq!(
        line_counts(&lines),
        BTreeMap::from([
            ("first web-1", 1),
            ("second web-1", 1),
            ("first $(touch pwned)", 1),
            ("second $(touch pwned)", 1),
            ("first web-2", 2),
            ("second web-2", 2),
        ]),
        "{lines}"
    );
    assert!(
        !s.path().join("pwned").exists(),
        "an element is a word, never a command"
    );
}
