//! The scheduling rules of docs/semantics.md, one test each, through the binary.

use crate::running::Sandbox;
use std::time::Instant;

#[test]
fn a_join_after_a_branch_runs_after_whichever_case_ran() {
    let s = Sandbox::new(
        r#"
inputs:
  kind: {type: string, default: b}
steps:
  - id: route
    branch:
      - when: inputs.kind == "a"
        then: a
      - when: inputs.kind == "b"
        then: b
      - else: c
  - id: a
    shell: echo a >> trail
  - id: b_end
    needs: [b]
    shell: echo b_end >> trail
  - id: b
    shell: echo b >> trail
  - id: c
    shell: echo c >> trail
  - id: post
    needs: [a, b_end, c]
    shell: echo post >> trail
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "b\nb_end\npost\n");
    assert_eq!(run.state("a"), "skipped");
    assert_eq!(run.state("c"), "skipped");
    assert!(
        run.message("a").contains("did not take this case"),
        "{}",
        run.message("a")
    );
    assert_eq!(run.finished("route")["results"]["taken"], "b");
}

#[test]
fn a_step_whose_needs_were_all_skipped_is_skipped() {
    let s = Sandbox::new(
        r#"
steps:
  - id: guarded
    when: "1 == 2"
    shell: echo guarded
  - id: after
    needs: [guarded]
    shell: echo after
  - id: later
    needs: [after]
    shell: echo later
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("guarded"), "skipped");
    assert!(run.message("guarded").contains("is false"));
    assert_eq!(run.state("after"), "skipped");
    assert_eq!(run.state("later"), "skipped");
    assert!(run
        .message("after")
        .contains("every step it needs was skipped"));
}

#[test]
fn abort_cancels_running_steps_and_exits_1() {
    let s = Sandbox::new(
        r#"
steps:
  - id: long
    shell: sleep 20
  - id: boom
    shell: "sleep 0.2; exit 7"
  - id: after
    needs: [boom]
    shell: echo never >> trail
"#,
    );
    let started = Instant::now();
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(
        started.elapsed().as_secs() < 10,
        "abort must not wait for `long`"
    );
    assert_eq!(run.state("boom"), "failed");
    assert_eq!(run.state("long"), "cancelled");
    assert_eq!(run.state("after"), "not run");
    assert_eq!(s.read("trail"), "");
    let finished = run.events_of("run_finished");
    assert_eq!(finished[0]["status"], "failed");
}

#[test]
fn continue_carries_the_procedure_on_and_dependents_can_read_the_failure() {
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: exit 1
    on_failure: continue
  - id: dependent
    needs: [probe]
    shell: echo dependent >> trail
  - id: route
    needs: [probe]
    branch:
      - when: failed(probe)
        then: repair
      - else: fine
  - id: repair
    shell: echo repair >> trail
  - id: fine
    shell: echo fine >> trail
  - id: independent
    shell: "sleep 0.2; echo independent >> trail"
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("probe"), "failed");
    assert_eq!(run.state("dependent"), "succeeded");
    assert_eq!(run.state("repair"), "succeeded");
    assert_eq!(run.state("fine"), "skipped");
    let trail = s.read("trail");
    for line in ["dependent", "repair", "independent"] {
        assert!(trail.contains(line), "{trail}");
    }
}

#[test]
fn without_continue_a_failed_need_skips_its_dependents() {
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: exit 1
    on_failure:
      goto: recover
  - id: recover
    shell: echo recover >> trail
  - id: dependent
    needs: [probe]
    shell: echo dependent >> trail
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("dependent"), "skipped");
    assert!(run
        .message("dependent")
        .contains("it needs `probe`, which failed"));
    assert_eq!(s.read("trail"), "recover\n");
}

#[test]
fn a_failure_edge_runs_only_when_its_source_fails() {
    let playbook = |command: &str| {
        format!(
            r#"
steps:
  - id: migrate
    shell: "{command}"
    on_failure:
      goto: rollback
  - id: rollback
    shell: echo rollback >> trail
  - id: verify
    needs: [migrate]
    shell: echo verify >> trail
"#
        )
    };
    let failing = Sandbox::new(&playbook("exit 3"));
    let run = failing.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(failing.read("trail"), "rollback\n");
    assert_eq!(run.state("verify"), "skipped");

    let passing = Sandbox::new(&playbook("true"));
    let run = passing.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(passing.read("trail"), "verify\n");
    assert_eq!(run.state("rollback"), "skipped");
    assert!(run
        .message("rollback")
        .contains("runs only if `migrate` fails"));
}

#[test]
fn retries_wait_with_backoff_and_stop_at_the_first_success() {
    let s = Sandbox::new(
        r#"
steps:
  - id: flaky
    shell: "echo x >> tries; test $(wc -l < tries) -ge 3"
    retry:
      attempts: 5
      delay: 100ms
      backoff: 2
"#,
    );
    let started = Instant::now();
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("tries").lines().count(), 3);
    let retries = run.events_of("step_retrying");
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0]["delay_ms"], 100);
    assert_eq!(retries[1]["delay_ms"], 200);
    assert!(started.elapsed().as_millis() >= 300);
    assert_eq!(run.finished("flaky")["attempts"], 3);
}

#[test]
fn retries_give_up_after_the_last_attempt() {
    let s = Sandbox::new("steps:\n  - id: never\n    shell: exit 2\n    retry: 2\n");
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.finished("never")["attempts"], 2);
}

#[test]
fn polling_stops_when_the_condition_holds() {
    let s = Sandbox::new(
        r#"
steps:
  - id: watch
    shell: "echo x >> polls; wc -l < polls"
    outputs:
      count: {from: stdout, type: int}
    until:
      condition: steps.watch.outputs.count >= 3
      every: 50ms
      within: 10s
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.finished("watch")["outputs"]["count"], 3);
    assert_eq!(run.events_of("step_polling").len(), 2);
}

#[test]
fn polling_fails_at_its_deadline() {
    let s = Sandbox::new(
        r#"
steps:
  - id: watch
    shell: echo down
    until:
      condition: steps.watch.stdout == "up"
      every: 100ms
      within: 500ms
"#,
    );
    let started = Instant::now();
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let elapsed = started.elapsed().as_millis();
    assert!((400..3000).contains(&elapsed), "{elapsed} ms");
    assert!(
        run.message("watch").contains("did not hold within 500ms"),
        "{}",
        run.message("watch")
    );
    // What the condition last read is in the message, as an assertion's is.
    assert!(
        run.message("watch")
            .ends_with(r#"; last: steps.watch.stdout = "down""#),
        "{}",
        run.message("watch")
    );
}

/// The values a poll's condition last read are shown at its deadline, and
/// a secret among them is masked there as everywhere.
#[test]
fn a_polls_deadline_shows_what_it_read_with_secrets_masked() {
    let s = Sandbox::new(
        r#"
inputs:
  token:
    type: string
    secret: true
steps:
  - id: watch
    shell: "echo {{inputs.token}}"
    until:
      condition: steps.watch.stdout == "ready"
      every: 100ms
      within: 300ms
"#,
    );
    let run = s.run(&["--input", "token=hunter2-$(id)"]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let message = run.message("watch");
    assert!(
        message.contains("; last: steps.watch.stdout = "),
        "{message}"
    );
    let journal = serde_json::to_string(&s.journal()).unwrap();
    for text in [&message, &run.stdout, &run.stderr, &journal] {
        assert!(!text.contains("hunter2"), "{text}");
    }
}

/// `every: 1h, within: 2s` is a check now and a last one at the deadline:
/// the next attempt would start after `within`, so runbook waits only until
/// the deadline and tries there, instead of giving up at the first attempt.
#[test]
fn polling_makes_its_last_attempt_at_the_deadline() {
    let s = Sandbox::new(
        r#"
steps:
  - id: watch
    shell: "echo x >> polls; wc -l < polls"
    outputs:
      count: {from: stdout, type: int}
    until:
      condition: steps.watch.outputs.count >= 5
      every: 1h
      within: 2s
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.finished("watch")["outputs"]["count"], 2);
    assert!(
        run.message("watch")
            .contains("did not hold within 2s (2 attempts)"),
        "{}",
        run.message("watch")
    );
    // The condition is named once, not again as the "last" reason.
    assert_eq!(run.message("watch").matches("count >= 5").count(), 1);
    let polls = run.events_of("step_polling");
    assert_eq!(polls.len(), 1);
    assert!(
        polls[0]["every_ms"].as_u64().unwrap() <= 2000,
        "{:?}",
        polls[0]
    );
}

#[test]
fn a_timeout_kills_the_step_and_fails_it() {
    let s = Sandbox::new(
        r#"
steps:
  - id: slow
    shell: "sleep 30; echo late >> trail"
    timeout: 300ms
"#,
    );
    let started = Instant::now();
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(started.elapsed().as_secs() < 5);
    assert_eq!(run.state("slow"), "timed_out");
    assert_eq!(s.read("trail"), "");
}

#[test]
fn independent_steps_run_concurrently_up_to_the_job_limit() {
    let steps: String = (0..6)
        .map(|i| format!("  - id: s{i}\n    shell: sleep 0.4\n"))
        .collect();
    let s = Sandbox::new(&format!("steps:\n{steps}"));
    let started = Instant::now();
    let run = s.run(&["--jobs", "6"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let parallel = started.elapsed().as_millis();
    assert!(parallel < 1500, "6 x 0.4 s with 6 jobs took {parallel} ms");

    let started = Instant::now();
    let run = s.run(&["--jobs", "2"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        started.elapsed().as_millis() >= 1150,
        "3 waves of 0.4 s with 2 jobs"
    );
}

#[test]
fn outputs_are_captured_with_json_paths_and_regexes() {
    let s = Sandbox::new(
        r#"
steps:
  - id: pods
    shell: "echo '{\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}'"
    outputs:
      names: {json: "$.items[*].name", type: list}
  - id: crash
    shell: echo 4 CrashLoop
    outputs:
      n: {regex: "(\\d+) CrashLoop", type: int}
  - id: check
    needs: [pods, crash]
    assert: steps.crash.outputs.n == 4 && len(steps.pods.outputs.names) == 2
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(
        run.finished("pods")["outputs"]["names"],
        serde_json::json!(["a", "b"])
    );
}

#[test]
fn a_failed_assertion_shows_the_expression_and_the_values() {
    let s = Sandbox::new(
        r#"
steps:
  - id: depth
    shell: echo 312
    outputs:
      n: {type: int}
  - id: drained
    needs: [depth]
    assert:
      that: steps.depth.outputs.n < 100
      message: the queue is not drained
"#,
    );
    let out = s.command(&["run", "p.yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("runbook::step_failed"), "{stderr}");
    assert!(
        stderr.contains(
            "the queue is not drained: assertion `steps.depth.outputs.n < 100` does not hold"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("steps.depth.outputs.n = 312"), "{stderr}");
    assert!(
        stderr.contains("p.yaml:"),
        "the report points into the playbook: {stderr}"
    );
}

/// Every kind of the catalog has an action now, so no playbook is refused
/// as not runnable; the `http` step here runs (and fails: nothing listens
/// on the port) after the step before it.
#[test]
fn every_kind_runs_so_nothing_is_refused_up_front() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let s = Sandbox::new(&format!(
        r#"
steps:
  - id: first
    shell: echo ran >> trail
  - id: health
    needs: [first]
    http: http://127.0.0.1:{closed}/health
"#
    ));
    let out = s.command(&["run", "p.yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("runbook::not_runnable"), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert_eq!(s.read("trail"), "ran\n");
}

#[test]
fn missing_and_mistyped_inputs_are_usage_errors() {
    let s = Sandbox::new(
        "inputs:\n  n: {type: int}\nsteps:\n  - id: a\n    shell: echo {{inputs.n}}\n",
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("input `n` is required"),
        "{}",
        run.stderr
    );
    let run = s.run(&["--input", "n=x"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not an integer"), "{}", run.stderr);
    let run = s.run(&["--input", "n=4"]);
    assert_eq!(run.code, 0, "{}", run.describe());
}

/// A branch target that also `needs` steps: the case decides. Taken, it runs
/// even when every step it needs was skipped (unlike the join rule); not
/// taken, it is skipped even when its needs succeeded; a need that failed
/// skips it even when its case was taken. `runbook plan` lists the same.
#[test]
fn a_branch_target_runs_when_its_case_is_taken_even_if_its_needs_were_all_skipped() {
    let playbook = r#"
inputs:
  kind: {type: string, default: fix}
steps:
  - id: probe
    when: inputs.kind == "probe"
    shell: echo probe >> trail
  - id: route
    branch:
      - when: inputs.kind == "fix"
        then: fix
      - else: other
  - id: fix
    needs: [probe]
    shell: echo fix >> trail
  - id: other
    shell: echo other >> trail
"#;
    let s = Sandbox::new(playbook);
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("probe"), "skipped");
    assert_eq!(run.state("fix"), "succeeded");
    assert_eq!(s.read("trail"), "fix\n");

    let plan = s.command(&["plan", "p.yaml"]).output().unwrap();
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(plan.starts_with("1 path through"), "{plan}");
    assert!(plan.contains("• fix [write]"), "{plan}");
    assert!(!plan.contains("• probe"), "{plan}");

    // Not taken: skipped, though its need succeeded; plan agrees.
    let run = s.run(&["--input", "kind=probe"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("probe"), "succeeded");
    assert_eq!(run.state("fix"), "skipped");
    assert!(run.message("fix").contains("did not take this case"));
    let plan = s
        .command(&["plan", "p.yaml", "--input", "kind=probe"])
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.contains("• probe") && plan.contains("• other"),
        "{plan}"
    );
    assert!(!plan.contains("• fix"), "{plan}");

    // A need that failed (without `continue`) skips it even though its
    // case was taken.
    let s = Sandbox::new(&format!(
        "{}\n  - id: recover\n    shell: \"true\"\n",
        playbook.replace(
            "    when: inputs.kind == \"probe\"\n    shell: echo probe >> trail",
            "    shell: exit 1\n    on_failure:\n      goto: recover",
        )
    ));
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("fix"), "skipped");
    assert!(
        run.message("fix")
            .contains("it needs `probe`, which failed"),
        "{}",
        run.message("fix")
    );
}
