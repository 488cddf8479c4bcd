//! The operator's side of a run (issue 11): a called playbook's gates,
//! `manual` steps and questions put to the caller's operator, where shell
//! steps run, and what `--yes` does not pass.

use crate::harness::http::TestHttp;
use crate::run_gates::in_a_terminal;
use crate::running::Sandbox;
use crate::support::root;
use std::process::Command;

const CHILD: &str = r#"name: rollback
steps:
  - id: confirm
    manual: Tell the channel that the rollback of {{inputs.service}} starts.
  - id: which
    needs: [confirm]
    ask:
      question: Roll back to which release?
      choices: [previous, last_good]
  - id: rollback
    needs: [which]
    shell: echo rolled back {{inputs.service}} to {{steps.which.answer}} >> trail
    approval: Roll back?
inputs:
  service: {type: string}
"#;

const CALLER: &str = r#"name: incident
steps:
  - id: rollback
    playbook:
      path: child/rollback.yaml
      inputs:
        service: "api $(touch pwned) `id` 'x' \"y\""
  - id: after
    needs: [rollback]
    shell: echo after >> trail
"#;

fn with_child() -> Sandbox {
    let s = Sandbox::new(CALLER);
    std::fs::create_dir(s.path().join("child")).unwrap();
    std::fs::write(s.path().join("child/rollback.yaml"), CHILD).unwrap();
    s
}

/// Item 2: the child's manual step, question and gate are addressed as
/// `CALL.STEP` on the caller's command line, and journaled in the caller's
/// journal under that address.
#[test]
fn item2_a_called_playbooks_manual_ask_and_gate_steps_go_to_the_callers_operator() {
    let s = with_child();
    let run = s.run(&[
        "--approve",
        "rollback.confirm",
        "--answer",
        "rollback.which=last_good",
        "--approve",
        "rollback.rollback",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(
        s.read("trail"),
        "rolled back api $(touch pwned) `id` 'x' \"y\" to last_good\nafter\n"
    );
    assert!(!s.path().join("pwned").exists());
    let answered: Vec<_> = run.events_of("answered");
    assert_eq!(answered[0]["step"], "rollback.confirm");
    assert_eq!(answered[0]["who"], "tester");
    assert_eq!(answered[1]["step"], "rollback.which");
    assert_eq!(answered[1]["answer"], "last_good");
    let decided = run.events_of("gate_decided");
    assert_eq!(decided[0]["step"], "rollback.rollback");
    assert_eq!(decided[0]["approved"], true);
    assert_eq!(decided[0]["via"], "--approve");
    // The journal holds them too, once, in the called run's records.
    let journaled = s
        .journal_events()
        .into_iter()
        .filter(|r| r["event"] == "gate_decided" && r["step"] == "rollback.rollback")
        .count();
    assert_eq!(journaled, 1);
}

/// Item 2: nothing decided for the child: it stops at its first human step
/// and the caller's run stops as at a gate of its own (exit 3), naming the
/// address to pass and the person running it.
#[test]
fn item2_a_called_playbook_without_decisions_stops_the_run_with_exit_3() {
    let s = with_child();
    let run = s.run(&[]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("rollback"), "rejected");
    assert_eq!(run.state("after"), "not run");
    let message = run.message("rollback");
    assert!(message.contains("--approve rollback.confirm"), "{message}");
    assert!(message.contains("tester"), "{message}");
    assert!(!message.contains("nobody"), "{message}");

    // A rejected gate in the child: exit 3 too, and nothing after it ran.
    let run = s.run(&[
        "--approve",
        "rollback.confirm",
        "--answer",
        "rollback.which=previous",
    ]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("trail"), "");
    let decided = run.events_of("gate_decided");
    assert_eq!(decided[0]["step"], "rollback.rollback");
    assert_eq!(decided[0]["approved"], false);
}

/// Item 2: `playbooks/pilot/incident.yaml` in a pseudo-terminal, through its
/// called playbooks' manual steps and questions: start-here's checks, its
/// severity question, then the rollback playbook's gate, rejected (exit 3).
#[test]
fn item2_pilot_incident_runs_in_a_terminal_through_its_called_playbooks_manual_steps() {
    let server = TestHttp::start();
    let s = Sandbox::new("name: unused\nsteps:\n  - id: a\n    log: a\n");
    // rollback-app reads `git log` where the operator is: a repository.
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(s.path())
            .status()
            .expect("git");
        assert!(status.success());
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "release 1.4.2"]);
    let playbook = root().join("playbooks/pilot/incident.yaml");
    let args = format!(
        "run {} --input base_url={} --input droplet_ip=203.0.113.10 --input database_url=postgresql://pilot:pw@127.0.0.1:1/pilot",
        playbook.display(),
        server.url
    );
    let (code, screen) = in_a_terminal(
        &s,
        &args,
        &[
            ("`start_here.sentry`", ""),
            ("when it is done:", "done"),
            ("`start_here.grafana`", ""),
            ("when it is done:", "done looked at api.json"),
            ("`start_here.severity`", ""),
            ("answer:", "sev3"),
            ("`start_here.sev3_ticket`", ""),
            ("when it is done:", "done"),
            ("`start_here.communicate`", ""),
            ("when it is done:", "done"),
            ("`symptom`", ""),
            ("answer:", "bad_release"),
            ("approval needed: `rollback_app.rollback`", ""),
            ("approve? [y/n]", "n"),
            ("reason (optional):", "not the last good release"),
        ],
    );
    assert_eq!(code, 3, "{screen}");
    let journal = s.journal_events();
    let answered: Vec<&str> = journal
        .iter()
        .filter(|r| r["event"] == "answered")
        .map(|r| r["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        answered,
        [
            "start_here.sentry",
            "start_here.grafana",
            "start_here.severity",
            "start_here.sev3_ticket",
            "start_here.communicate",
            "symptom"
        ]
    );
    let decided = journal
        .iter()
        .find(|r| r["event"] == "gate_decided")
        .unwrap();
    assert_eq!(decided["step"], "rollback_app.rollback");
    assert_eq!(decided["approved"], false);
    assert_eq!(decided["via"], "terminal");
    let finished = journal
        .iter()
        .find(|r| r["event"] == "step_finished" && r["step"] == "start_here")
        .unwrap();
    assert_eq!(finished["state"], "succeeded");
}

/// Item 11: shell steps run where `runbook` was started, not in the
/// playbook's directory; a called playbook's path stays relative to the
/// playbook that calls it, and the header says where shell steps run.
#[test]
fn item11_shell_steps_run_in_the_directory_runbook_was_started_in() {
    let s = Sandbox::new("name: unused\nsteps:\n  - id: a\n    log: a\n");
    let repo = s.path().join("playbooks");
    std::fs::create_dir_all(repo.join("shared")).unwrap();
    std::fs::write(
        repo.join("backup.yaml"),
        "steps:\n  - id: dump\n    shell: echo dump > backup.sql\n  - id: sub\n    needs: [dump]\n    playbook: shared/logs.yaml\n  - id: into\n    needs: [sub]\n    shell:\n      command: pwd > where.txt\n      workdir: out\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("shared/logs.yaml"),
        "steps:\n  - id: logs\n    shell: echo logs > incident-logs.txt\n",
    )
    .unwrap();
    let work = s.path().join("work");
    std::fs::create_dir_all(work.join("out")).unwrap();
    let out = Command::new(crate::running::binary())
        .current_dir(&work)
        .args(["run", "../playbooks/backup.yaml", "--journal-dir"])
        .arg(s.path().join("journal"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(work.join("backup.sql")).unwrap(),
        "dump\n"
    );
    assert!(work.join("incident-logs.txt").exists());
    assert!(!repo.join("backup.sql").exists());
    assert!(!repo.join("shared/incident-logs.txt").exists());
    let canonical = std::fs::canonicalize(&work).unwrap();
    assert_eq!(
        std::fs::read_to_string(work.join("out/where.txt"))
            .unwrap()
            .trim(),
        canonical.join("out").display().to_string()
    );
    assert!(
        stderr.contains(&format!("shell steps run in {}", canonical.display())),
        "{stderr}"
    );
}

/// Item 17: an `approve` step is a checkpoint a person must pass: `--yes`
/// does not pass it, `--approve STEP` does.
#[test]
fn item17_yes_does_not_pass_an_approve_step() {
    let s = Sandbox::new(
        r#"
steps:
  - id: checkpoint
    approve: Proceed with the failover?
  - id: failover
    needs: [checkpoint]
    shell: echo failed over >> trail
"#,
    );
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("trail"), "");
    assert!(
        run.message("checkpoint").contains("--approve checkpoint"),
        "{}",
        run.message("checkpoint")
    );
    let run = s.run(&["--approve", "checkpoint"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "failed over\n");
    assert_eq!(run.finished("checkpoint")["results"]["approver"], "tester");
}

const MANUAL: &str = r#"
inputs:
  token: {type: string, secret: true, env: GATE_TOKEN}
  pool: {type: string, default: "blue $(id)"}
steps:
  - id: statuspage
    title: Update the status page
    manual: |
      Post "degraded" for the {{inputs.pool}} pool on the status page.
      Use the token {{inputs.token}}.
  - id: after
    needs: [statuspage]
    shell:
      command: echo "note=${NOTE}" >> trail
      env:
        NOTE: "{{steps.statuspage.note}}"
"#;

/// Item 5: a manual step confirmed with `--approve` shows its rendered
/// instructions on the terminal, journals them (`asked`), and the report
/// shows what was done instead of "answered ``"; secrets stay masked.
#[test]
fn item5_a_manual_step_confirmed_on_the_command_line_is_shown_and_journaled() {
    let s = Sandbox::new(MANUAL);
    let out = s
        .command(&["run", "p.yaml", "--approve", "statuspage"])
        .env("GATE_TOKEN", "tok-secret-77")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("statuspage done, confirmed by tester (--approve)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Post \"degraded\" for the blue $(id) pool on the status page."),
        "{stderr}"
    );
    assert!(stderr.contains("Use the token ***."), "{stderr}");
    assert!(!stderr.contains("tok-secret-77"), "{stderr}");
    let journal = s.journal();
    let asked = journal.iter().find(|r| r["event"] == "asked").unwrap();
    assert_eq!(asked["step"], "statuspage");
    assert_eq!(asked["kind"], "manual");
    assert!(asked["text"]
        .as_str()
        .unwrap()
        .starts_with("Post \"degraded\" for the blue $(id) pool"));
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(!report.contains("answered ``"), "{report}");
    assert!(
        report.contains("| `statuspage` | done: Post \"degraded\" for the blue $(id) pool on the status page.<br>Use the token ***.<br> | tester (--approve) |"),
        "{report}"
    );
    assert!(!report.contains("tok-secret-77"), "{report}");
}

/// Item 5: the accepted forms of confirming a manual step are exact: `done`
/// or `done NOTE` (at the prompt and in `--answer`), never `doneness`.
#[test]
fn item5_confirming_a_manual_step_accepts_done_or_done_with_a_note_only() {
    let s = Sandbox::new(MANUAL);
    let run = s.run(&[
        "--input",
        "token=t",
        "--answer",
        "statuspage=done restarted by hand",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "note=restarted by hand\n");

    let run = s.run(&["--input", "token=t", "--answer", "statuspage=doneness"]);
    assert_eq!(run.code, 2, "{}", run.describe());
    assert!(
        run.stderr
            .contains("`doneness` does not confirm the manual step `statuspage`"),
        "{}",
        run.describe()
    );
    assert_eq!(s.read("trail"), "note=restarted by hand\n");

    let (code, screen) = in_a_terminal(
        &s,
        "run p.yaml",
        &[
            ("when it is done:", "doneness"),
            ("or `abort` to stop the run", "done"),
        ],
    );
    assert_eq!(code, 0, "{screen}");
    assert_eq!(s.read("trail"), "note=restarted by hand\nnote=\n");
}

const PROBED: &str = r#"
steps:
  - id: probe
    shell: echo probed >> trail
    effect: read
  - id: classify
    needs: [probe]
    ask:
      question: Workload or platform?
      choices: [workload, platform]
  - id: restart
    needs: [classify]
    shell: echo restarted >> trail
    approval: Restart?
"#;

/// Item 4: `--approve`/`--answer` naming a step that does not exist, or an
/// answer outside an `ask`'s choices, is refused before anything runs,
/// with "did you mean"; also for steps of called playbooks (`CALL.STEP`).
#[test]
fn item4_decisions_naming_no_step_or_answering_outside_the_choices_are_refused_before_anything_runs(
) {
    let s = Sandbox::new(PROBED);
    let refused = |args: &[&str], says: &[&str]| {
        let run = s.run(args);
        assert_eq!(run.code, 2, "{}", run.describe());
        for said in says {
            assert!(run.stderr.contains(said), "{said}\n{}", run.describe());
        }
        assert!(run.events.is_empty(), "{}", run.describe());
        assert_eq!(s.read("trail"), "", "nothing ran");
    };
    refused(
        &["--approve", "restrat", "--answer", "classify=workload"],
        &[
            "runbook::unknown_decision_step",
            "`--approve restrat` names no step",
            "did you mean `restart`?",
        ],
    );
    refused(
        &["--answer", "clasify=workload", "--approve", "restart"],
        &[
            "`--answer clasify` names no step",
            "did you mean `classify`?",
        ],
    );
    refused(
        &["--answer", "classify=both", "--approve", "restart"],
        &[
            "runbook::invalid_answer",
            "`both` is not one of `workload`, `platform`",
        ],
    );
    // Hostile text is quoted back, never run.
    refused(
        &[
            "--answer",
            "classify=$(touch pwned)`id`",
            "--approve",
            "restart",
        ],
        &["`--answer classify=$(touch pwned)`id`` cannot answer `classify`"],
    );
    assert!(!s.path().join("pwned").exists());
    refused(
        &["--answer", "restart=yes"],
        &[
            "`--answer restart=...` answers nothing",
            "--approve restart",
        ],
    );
    refused(
        &["--approve", "probe.x"],
        &["`--approve probe.x`: `probe` is a `shell` step, which calls no playbook"],
    );

    let run = s.run(&["--answer", "classify=2", "--approve", "restart"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "probed\nrestarted\n");

    // Through a called playbook.
    let s = with_child();
    let run = s.run(&[
        "--approve",
        "rollback.confirn",
        "--approve",
        "rollback.rollback",
    ]);
    assert_eq!(run.code, 2, "{}", run.describe());
    assert!(
        run.stderr
            .contains("`--approve rollback.confirn` names no step"),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr.contains("did you mean `confirm`?"),
        "{}",
        run.describe()
    );
    let run = s.run(&["--answer", "rollback.which=latest"]);
    assert_eq!(run.code, 2, "{}", run.describe());
    assert!(
        run.stderr.contains("`latest` is not one of"),
        "{}",
        run.describe()
    );
    assert_eq!(s.read("trail"), "");
}

/// Item 6: a human step's `timeout` is how long the operator has. An `ask`
/// with a `default` takes it when the deadline passes; a `manual` step whose
/// deadline passes escalates through its `on_failure` edge (a `notify`); an
/// `approve` step with no `on_failure` stops the run as a rejected gate.
#[test]
fn item6_human_steps_have_deadlines_with_a_default_an_escalation_or_a_rejection() {
    let server = TestHttp::start();
    let s = Sandbox::new(&format!(
        r#"
steps:
  - id: severity
    ask:
      question: Which severity?
      choices: [sev1, sev2, sev3]
      default: sev2
    timeout: 200ms
  - id: ack
    needs: [severity]
    manual: Acknowledge the page for {{{{steps.severity.answer}}}}.
    timeout: 200ms
    on_failure:
      goto: escalate
  - id: escalate
    notify:
      url: {}/webhook
      text: "nobody acknowledged the {{{{steps.severity.answer}}}} page: escalating"
  - id: proceed
    needs: [escalate]
    approve: Fail over now?
    timeout: 200ms
  - id: failover
    needs: [proceed]
    shell: echo failed over >> trail
"#,
        server.url
    ));
    let (code, screen) = in_a_terminal(&s, "run p.yaml", &[]);
    assert_eq!(code, 3, "{screen}");
    let journal = s.journal();
    let finished = |step: &str| {
        journal
            .iter()
            .find(|r| r["event"] == "step_finished" && r["step"] == step)
            .unwrap_or_else(|| panic!("{step} did not finish: {screen}"))
            .clone()
    };
    assert_eq!(finished("severity")["state"], "succeeded");
    assert_eq!(finished("severity")["results"]["answer"], "sev2");
    let answered = journal.iter().find(|r| r["event"] == "answered").unwrap();
    assert_eq!(answered["via"], "timeout (the default)");
    assert_eq!(finished("ack")["state"], "timed_out");
    assert!(finished("ack")["message"]
        .as_str()
        .unwrap()
        .starts_with("no confirmation within"));
    assert_eq!(finished("escalate")["state"], "succeeded");
    let hooks = server.webhooks();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert!(
        hooks[0]
            .to_string()
            .contains("nobody acknowledged the sev2 page"),
        "{hooks:?}"
    );
    assert_eq!(finished("proceed")["state"], "rejected");
    let decided = journal
        .iter()
        .find(|r| r["event"] == "gate_decided")
        .unwrap();
    assert_eq!(decided["via"], "timeout");
    assert_eq!(decided["approved"], false);
    assert_eq!(s.read("trail"), "");
}

/// Item 12: what a step read is shown, compact and bounded, on the terminal
/// and in `runbook report`: the pods with their status and restarts, the
/// last events, a log tail, an HTTP status and the start of its body. A
/// secret in what was read is masked.
#[test]
fn item12_what_steps_read_is_shown_in_the_view_and_the_report() {
    let k8s = crate::harness::k8s::TestK8s::start();
    let server = TestHttp::start();
    let s = Sandbox::new(&format!(
        r#"
inputs:
  token: {{type: string, secret: true, env: GATE_TOKEN}}
steps:
  - id: pods
    k8s:
      operation: list
      selector: app=alphaswarm-core
  - id: events
    k8s:
      operation: events
      name: alphaswarm-core-7d9f-def34
  - id: logs
    k8s:
      operation: logs
      name: alphaswarm-core-7d9f-def34
      previous: true
  - id: echo
    http:
      url: "{}/echo"
      method: POST
      json: {{"token": "{{{{inputs.token}}}}"}}
    effect: read
"#,
        server.url
    ));
    let out = s
        .command(&["run", "p.yaml"])
        .env("KUBECONFIG", &k8s.kubeconfig)
        .env("GATE_TOKEN", "tok-secret-77")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    for shown in [&*stderr, &*report] {
        assert!(shown.contains("NAME"), "{shown}");
        assert!(shown.contains("CrashLoopBackOff"), "{shown}");
        assert!(shown.contains("RESTARTS"), "{shown}");
        assert!(shown.contains("HTTP 200: "), "{shown}");
        assert!(!shown.contains("tok-secret-77"), "{shown}");
    }
    assert!(report.contains("## What the steps read"), "{report}");
    assert!(report.contains("`pods`:"), "{report}");
    // Bounded: no evidence line is longer than the cap.
    for line in stderr.lines().filter(|l| l.starts_with("    │ ")) {
        assert!(
            line.chars().count() <= 6 + runbook_runtime::evidence::MAX_WIDTH,
            "{line}"
        );
    }
}

/// Item 12: `ask` and approval prompts show the step's description and the
/// evidence of the steps it follows, masked.
#[test]
fn item12_prompts_show_the_description_and_the_evidence_masked() {
    let server = TestHttp::start();
    let s = Sandbox::new(&format!(
        r#"
inputs:
  token: {{type: string, secret: true, env: GATE_TOKEN}}
steps:
  - id: echo
    http:
      url: "{}/echo"
      method: POST
      json: {{"token": "{{{{inputs.token}}}}", "note": "queue depth 4000"}}
    effect: read
  - id: classify
    needs: [echo]
    description: |
      A deep queue with healthy workers is a **platform** error.
    ask:
      question: Workload or platform?
      choices: [workload, platform]
  - id: restart
    needs: [classify]
    description: Restarts every worker of the pool.
    shell: echo restarted >> trail
    approval: Restart the workers?
"#,
        server.url
    ));
    // Each text is waited for in turn: the prompts show them in this order.
    let (code, screen) = in_a_terminal(
        &s,
        "run p.yaml",
        &[
            ("┌ `classify`", ""),
            (
                "│ A deep queue with healthy workers is a **platform** error.",
                "",
            ),
            ("│ `echo` read:", ""),
            ("HTTP 200: ", ""),
            ("queue depth 4000", ""),
            // The token, masked where it was read.
            ("\\\"token\\\":\\\"***\\\"", ""),
            ("answer:", "platform"),
            ("approval needed: `restart`", ""),
            ("│ Restarts every worker of the pool.", ""),
            ("approve? [y/n]", "y"),
            ("reason (optional):", "evidence read"),
        ],
    );
    assert_eq!(code, 0, "{screen}");
    assert_eq!(s.read("trail"), "restarted\n");
    assert!(!screen.contains("gate-secret-42"), "{screen}");
}

/// `--approve STEP` naming a step that asks nothing approves nothing: the
/// run says so before it starts, and names where a called playbook's gates
/// are. The step that does ask is still refused without a terminal.
#[test]
fn approving_a_step_that_asks_nothing_is_said() {
    let s = Sandbox::new(
        "steps:\n  - id: snapshot\n    playbook: child.yaml\n  - id: plain\n    shell: \"true\"\n  - id: asked\n    approval: Go?\n    shell: \"true\"\n",
    );
    std::fs::write(
        s.path().join("child.yaml"),
        "steps:\n  - id: bgsave\n    approval: Save?\n    shell: touch saved\n",
    )
    .unwrap();
    let out = s.run(&[
        "--approve",
        "snapshot",
        "--approve",
        "plain",
        "--approve",
        "asked",
    ]);
    assert!(
        out.stderr.contains(
            "runbook: warning: `--approve snapshot` approves nothing: `snapshot` asks no approval (the gates of the playbook it calls are named `snapshot.STEP`"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "runbook: warning: `--approve plain` approves nothing: `plain` asks no approval\n"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("`--approve asked`"), "{}", out.stderr);
    assert_eq!(out.code, 3, "{}", out.describe());
    assert!(!s.path().join("saved").exists());
}
