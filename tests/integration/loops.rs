//! `for_each` (issue 12, section 1): a step run once per element of a
//! list, against real shells and the Kubernetes test server; killed with
//! SIGKILL mid-loop and resumed, no element that succeeded runs twice.

use crate::harness::k8s::TestK8s;
use crate::running::Sandbox;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The journal of the sandbox's only run, or nothing yet.
fn journal_so_far(s: &Sandbox) -> Vec<Value> {
    let runs = s.path().join(".runbook/runs");
    let Ok(dirs) = std::fs::read_dir(&runs) else {
        return Vec::new();
    };
    let Some(dir) = dirs.flatten().next() else {
        return Vec::new();
    };
    std::fs::read_to_string(dir.path().join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn line_counts(text: &str) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for line in text.lines() {
        *counts.entry(line.to_string()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn a_loop_over_pods_killed_mid_loop_resumes_without_repeating_a_finished_element() {
    let k8s = TestK8s::start();
    let pods = k8s.pod_names();
    assert!(pods.len() >= 4, "{pods:?}");
    // One pod's restart hangs until the run is resumed; a distinct sleep
    // so that cleaning up this test's orphan never touches another test's.
    let sleep = format!("sleep 41.{}", std::process::id());
    let slow = pods[2].clone();
    let playbook = format!(
        r#"name: restart-pods
steps:
  - id: pods
    k8s:
      operation: list
  - id: restart
    needs: [pods]
    for_each: steps.pods.items
    as: pod
    parallel: 3
    shell: "echo {{{{pod.metadata.name}}}} >> restarted; if [ {{{{pod.metadata.name}}}} = {slow} ] && [ ! -f resumed ]; then {sleep}; fi"
  - id: after
    needs: [restart]
    when: steps.restart.all_succeeded
    shell: "echo {{{{steps.restart.count}}}} > count"
"#
    );
    let s = Sandbox::new(&playbook);
    let kubeconfig = k8s.kubeconfig.display().to_string();
    let mut child = s
        .command(&["run", "p.yaml"])
        .env("KUBECONFIG", &kubeconfig)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Every other element has finished (journaled) while the slow one runs.
    let others = pods.len() - 1;
    wait_for("every element but the slow one to finish", || {
        journal_so_far(&s)
            .iter()
            .filter(|r| r["event"] == "item_finished" && r["state"] == "succeeded")
            .count()
            == others
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    s.kill_leftovers(&sleep);
    let before = line_counts(&s.read("restarted"));
    assert_eq!(before.len(), pods.len(), "{before:?}");
    assert!(before.values().all(|&n| n == 1), "{before:?}");

    std::fs::write(s.path().join("resumed"), "").unwrap();
    let run_id = s.run_id();
    let resumed = s
        .command(&[
            "resume",
            &run_id,
            "--approve",
            "restart",
            "--output",
            "json",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    // The elements that had succeeded ran once in all; the one that was
    // running when the run was killed ran again (at-least-once).
    let after = line_counts(&s.read("restarted"));
    for pod in &pods {
        let expected = if *pod == slow { 2 } else { 1 };
        assert_eq!(after.get(pod), Some(&expected), "{pod}: {after:?}");
    }
    assert_eq!(s.read("count").trim(), pods.len().to_string());
    // The resume says how many elements it kept (its loop is not among the
    // steps that succeeded), as the journal and the report do.
    let kept = String::from_utf8_lossy(&resumed.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "run_resumed")
        .and_then(|e| e["elements_kept"].as_u64());
    assert_eq!(
        kept,
        Some((pods.len() - 1) as u64),
        "{}",
        String::from_utf8_lossy(&resumed.stdout)
    );
    let report = s.command(&["report", &run_id]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&report.stdout).contains(&format!(
            "step(s) and {} loop element(s) kept)",
            pods.len() - 1
        )),
        "{}",
        String::from_utf8_lossy(&report.stdout)
    );

    // The loop's results are in element order, restored ones included.
    let journal = s.journal();
    let finished = journal
        .iter()
        .rfind(|r| r["event"] == "step_finished" && r["step"] == "restart")
        .expect("restart finished");
    let results = finished["results"]["results"].as_array().unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["item"]["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, pods.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(results
        .iter()
        .all(|r| r["state"] == "succeeded" && r["exit_code"] == 0));
    assert_eq!(finished["results"]["all_succeeded"], true);
}

#[test]
fn hostile_elements_are_one_word_each_and_run_nothing() {
    let hostile = json!([
        "$(touch pwned4)",
        "`touch pwned5`",
        "it's \"quoted\"",
        "a\nb",
        "#x",
        "../../etc"
    ]);
    let s = Sandbox::new(
        r##"name: hostile
steps:
  - id: from_file
    shell: cat items.json
    effect: read
    outputs:
      items: {json: "$", type: list}
  - id: literal
    for_each: ["$(touch pwned1)", "`touch pwned2`", "a'b\"c", "x\ny", "# not a comment", "; touch pwned3"]
    shell: "printf '[%s]\n' {{item}} >> literal"
  - id: listed
    needs: [from_file]
    for_each: steps.from_file.outputs.items
    as: value
    parallel: 2
    shell: "printf '[%s]\n' \"{{value}}\" >> listed"
"##,
    );
    std::fs::write(s.path().join("items.json"), hostile.to_string()).unwrap();
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    for n in 1..=5 {
        assert!(!s.path().join(format!("pwned{n}")).exists(), "pwned{n}");
    }
    assert_eq!(
        s.read("literal"),
        "[$(touch pwned1)]\n[`touch pwned2`]\n[a'b\"c]\n[x\ny]\n[# not a comment]\n[; touch pwned3]\n"
    );
    // Two at a time: the order of the lines is not fixed, the set is.
    let mut listed: Vec<String> = s
        .read("listed")
        .split("]\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches('[').to_string())
        .collect();
    listed.sort();
    let mut expected: Vec<String> = hostile
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn the_first_failure_stops_the_loop_and_continue_runs_every_element() {
    let s = Sandbox::new(
        r#"name: policies
steps:
  - id: stop
    for_each: ["a", "b", "c"]
    shell: "echo {{item}} >> stopped; test {{item}} != b"
    on_failure: continue
  - id: go_on
    for_each: ["a", "b", "c"]
    on_item_failure: continue
    shell: "echo {{item}} | tee -a went_on; test {{item}} != b"
    on_failure: continue
  - id: report
    needs: [stop, go_on]
    when: failed(stop) && steps.go_on.any_failed
    shell: "echo {{steps.go_on.failed_count}} {{steps.go_on.results.[2].stdout}} {{steps.stop.results.[2].state}} > report"
"#,
    );
    let run = s.run(&[]);
    // Both failures are handled (`on_failure: continue`): the run goes on.
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("stopped"), "a\nb\n");
    assert_eq!(s.read("went_on"), "a\nb\nc\n");
    assert_eq!(run.state("stop"), "failed");
    assert_eq!(run.state("go_on"), "failed");
    assert!(
        run.message("go_on")
            .contains("1 of 3 elements failed: [1] b"),
        "{}",
        run.message("go_on")
    );
    assert_eq!(s.read("report"), "1 c skipped\n");
    let items: Vec<(u64, String)> = run
        .events_of("item_finished")
        .iter()
        .filter(|e| e["step"] == "go_on")
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (0, "succeeded".into()),
            (1, "failed".into()),
            (2, "succeeded".into())
        ]
    );
}

#[test]
fn a_dry_run_shows_every_elements_command_and_runs_none() {
    let s = Sandbox::new(
        r#"name: dry
steps:
  - id: restart
    for_each: ["web-1", "web 2"]
    as: pod
    shell: "touch restarted-{{pod}}"
    approval: "Restart the pods?"
"#,
    );
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let would: Vec<&str> = run
        .events_of("step_would_run")
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(would.len(), 2, "{would:?}");
    assert!(
        would[0].starts_with("[0] web-1:") && would[0].contains("touch restarted-web-1"),
        "{would:?}"
    );
    assert!(
        would[1].starts_with("[1] web 2:") && would[1].contains("touch restarted-'web 2'"),
        "{would:?}"
    );
    assert!(!s.path().join("restarted-web-1").exists());
    assert_eq!(run.events_of("gate_shown").len(), 1);
}

#[test]
fn a_gate_asks_once_for_the_set_or_once_per_element() {
    let set = Sandbox::new(
        r#"name: gates
steps:
  - id: restart
    for_each: ["a", "b", "c"]
    shell: "echo {{item}} >> done"
    approval: "Restart these?"
"#,
    );
    let run = set.run(&["--approve", "restart"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.events_of("gate_decided").len(), 1);
    let detail = run.events_of("gate_requested")[0]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("[0] a: echo a") && detail.contains("[2] c: echo c"),
        "{detail}"
    );
    assert_eq!(set.read("done"), "a\nb\nc\n");

    let per_item = Sandbox::new(
        r#"name: gates
steps:
  - id: restart
    for_each: ["a", "b", "c"]
    approval_per_item: true
    shell: "echo {{item}} >> done"
    approval: "Restart {{item}}?"
"#,
    );
    let run = per_item.run(&["--approve", "restart"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let questions = run.questions();
    assert_eq!(
        questions,
        ["Restart a? [0] a", "Restart b? [1] b", "Restart c? [2] c"]
    );
    assert_eq!(run.events_of("gate_decided").len(), 3);

    // Without a terminal and no approval, nothing runs: the set is refused whole.
    let refused = Sandbox::new(
        r#"name: gates
steps:
  - id: restart
    for_each: ["a", "b"]
    approval_per_item: true
    shell: "echo {{item}} >> done"
    approval: "Restart {{item}}?"
"#,
    );
    let run = refused.run(&[]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("restart"), "rejected");
    assert_eq!(refused.read("done"), "");
}

#[test]
fn a_rehearsal_scripts_the_list_and_each_element_answers_from_the_script() {
    let s = Sandbox::new(
        r#"name: rehearsed
steps:
  - id: pods
    k8s: {operation: list, selector: app=api}
  - id: restart
    needs: [pods]
    for_each: steps.pods.crashlooping
    as: pod
    shell: kubectl delete pod {{pod}}
    approval: "Delete the crash-looping pods?"
  - id: healthy
    needs: [restart]
    when: steps.restart.all_succeeded && steps.restart.count == 2
    log: "restarted {{steps.restart.count}} pods"
"#,
    );
    std::fs::write(
        s.path().join("p.scenario.yaml"),
        r#"playbook: p.yaml
scenarios:
  - name: two pods crash-loop and both are restarted
    gates: { restart: approve }
    steps:
      pods: { results: { crashlooping: [api-1, api-2] } }
      restart: { results: { exit_code: 0 } }
    expect: { ran: [pods, restart, healthy], outcome: succeeded }
  - name: the restart fails for the elements
    gates: { restart: approve }
    steps:
      pods: { results: { crashlooping: [api-1, api-2] } }
      restart: { state: failed, message: "pods \"api-1\" not found" }
    expect: { skipped: [healthy], outcome: failed }
  - name: nothing crash-loops, the loop runs no element
    gates: { restart: approve }
    steps:
      pods: { results: { crashlooping: [] } }
      restart: succeeded
    expect: { ran: [pods, restart], skipped: [healthy], outcome: succeeded }
"#,
    )
    .unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("3 passed, 0 failed"), "{text}");
}

#[test]
fn plan_shows_a_loop_as_one_node_with_its_body() {
    let s = Sandbox::new(
        r#"name: planned
steps:
  - id: pods
    k8s: {operation: list, selector: app=api}
  - id: restart
    needs: [pods]
    for_each: steps.pods.crashlooping
    as: pod
    parallel: 3
    on_item_failure: continue
    shell: kubectl delete pod {{pod}}
    approval: "Delete them?"
"#,
    );
    let out = s.command(&["plan", "p.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("2 step(s), 1 gate(s)"), "{text}");
    assert!(
        text.contains("◆ restart [write, gate]\n        ↻ each `pod` of `steps.pods.crashlooping`, 3 at a time, going on after a failure: shell kubectl delete pod {{pod}}"),
        "{text}"
    );
}

/// A loop's body shows a parameter that is a list of scalars (a `redis`
/// command), not only the scalar ones.
#[test]
fn plan_shows_a_loops_list_parameter() {
    let s = Sandbox::new(
        r#"steps:
  - id: kill
    for_each: '["7", "9"]'
    as: client
    redis:
      url: redis://127.0.0.1:6399/0
      command: [CLIENT, KILL, ID, "{{client}}"]
"#,
    );
    let out = s.command(&["plan", "p.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            ": redis url=redis://127.0.0.1:6399/0 command=[CLIENT, KILL, ID, {{client}}]"
        ),
        "{text}"
    );
}

#[test]
fn diff_sees_a_loop_added_to_a_step() {
    let before = "name: d\nsteps:\n  - id: restart\n    shell: kubectl delete pod api-1\n";
    let after = "name: d\nsteps:\n  - id: restart\n    for_each: [api-1, api-2]\n    parallel: 2\n    shell: kubectl delete pod {{item}}\n";
    let s = Sandbox::new(before);
    std::fs::write(s.path().join("after.yaml"), after).unwrap();
    let out = s
        .command(&["diff", "p.yaml", "after.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("for_each"), "{text}");
    assert!(text.contains("parallel"), "{text}");
}

#[test]
fn an_elements_secret_output_is_masked_in_every_record() {
    let s = Sandbox::new(
        r#"name: secrets
steps:
  - id: mint
    for_each: ["a", "b"]
    shell: "echo minted-$(echo {{item}}{{item}}x | rev)-token"
    outputs:
      token: {from: stdout, secret: true}
  - id: use
    needs: [mint]
    shell: "echo using {{steps.mint.results.[1].outputs.token}}"
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let journal = std::fs::read_to_string(
        std::fs::read_dir(s.path().join(".runbook/runs"))
            .unwrap()
            .flatten()
            .next()
            .unwrap()
            .path()
            .join("journal.jsonl"),
    )
    .unwrap();
    for secret in ["minted-xaa-token", "minted-xbb-token"] {
        assert!(
            !journal.contains(secret),
            "{secret} in the journal:\n{journal}"
        );
        assert!(!run.stdout.contains(secret), "{secret} in --output json");
    }
    assert_eq!(run.state("use"), "succeeded");
}

#[test]
fn a_group_of_steps_runs_per_element_as_a_called_playbook() {
    let s = Sandbox::new(
        r#"name: main
steps:
  - id: each_host
    for_each: [web-1, "web 2"]
    as: host
    playbook:
      path: body.yaml
      inputs: {host: "{{host}}"}
"#,
    );
    std::fs::write(
        s.path().join("body.yaml"),
        r#"name: body
inputs:
  host: {type: string}
steps:
  - id: drain
    shell: echo drain {{inputs.host}} >> log
  - id: check
    needs: [drain]
    shell: echo check {{inputs.host}} >> log
"#,
    )
    .unwrap();
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(
        s.read("log"),
        "drain web-1\ncheck web-1\ndrain web 2\ncheck web 2\n"
    );
    assert_eq!(run.finished("each_host")["results"]["count"], 2);
}

#[test]
fn a_read_loop_after_a_described_write_is_undecided_in_a_dry_run() {
    let s = Sandbox::new(
        r#"name: dry
steps:
  - id: make
    shell: "touch made"
  - id: verify
    needs: [make]
    for_each: [made]
    shell: "test -f {{item}}"
    effect: read
"#,
    );
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("verify"), "skipped");
    assert!(
        run.message("verify")
            .contains("cannot be decided in a dry-run"),
        "{}",
        run.message("verify")
    );
}
