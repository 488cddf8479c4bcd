//! Approval gates, `ask` and `manual` steps: without a terminal they fail
//! closed unless decided on the command line; in a terminal they prompt.

use crate::running::{Sandbox, Terminal};

const GATED: &str = r#"
steps:
  - id: restart
    shell: echo restarted >> trail
    approval: Restart the workers?
  - id: wipe
    needs: [restart]
    shell: echo wiped >> trail
    effect: destructive
    approval: true
"#;

#[test]
fn without_a_terminal_a_gate_rejects_and_the_run_exits_3() {
    let s = Sandbox::new(GATED);
    let run = s.run(&[]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("restart"), "rejected");
    assert_eq!(s.read("trail"), "");
    let decision = run.events_of("gate_decided")[0];
    assert_eq!(decision["approved"], false);
    assert_eq!(decision["via"], "no terminal");
}

#[test]
fn yes_approves_write_gates_but_never_destructive_ones() {
    let s = Sandbox::new(GATED);
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\n");
    assert_eq!(run.state("wipe"), "rejected");
    assert!(
        run.message("wipe")
            .contains("never approves a destructive step"),
        "{}",
        run.message("wipe")
    );

    let s = Sandbox::new(GATED);
    let run = s.run(&["--yes", "--approve", "wipe"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\nwiped\n");
}

const ASKING: &str = r#"
steps:
  - id: classify
    ask:
      question: Workload or platform?
      choices: [workload, platform]
  - id: route
    needs: [classify]
    branch:
      - when: steps.classify.answer == "workload"
        then: workload
      - else: platform
  - id: workload
    shell: echo workload >> trail
  - id: platform
    shell: echo platform >> trail
"#;

#[test]
fn answers_come_from_the_command_line_and_are_validated() {
    let s = Sandbox::new(ASKING);
    let run = s.run(&["--answer", "classify=platform"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "platform\n");
    assert_eq!(run.events_of("answered")[0]["answer"], "platform");

    let answers = s.path().join("answers.yaml");
    std::fs::write(&answers, "classify: workload\n").unwrap();
    let run = s.run(&["--answers", answers.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.describe());

    // Refused before anything runs (issue 11 item 4).
    let run = s.run(&["--answer", "classify=both"]);
    assert_eq!(run.code, 2, "{}", run.describe());
    assert!(
        run.stderr
            .contains("`both` is not one of `workload`, `platform`"),
        "{}",
        run.describe()
    );

    let run = s.run(&[]);
    assert_eq!(
        run.code, 3,
        "a missing answer stops the run like a rejected gate"
    );
}

/// Runs `runbook` under `script`, so it has a real pseudo-terminal, and
/// answers prompts as they appear.
pub fn in_a_terminal(s: &Sandbox, args: &str, replies: &[(&str, &str)]) -> (i32, String) {
    let mut terminal = Terminal::start(s, args, &[("GATE_TOKEN", "gate-secret-42")]);
    for (prompt, reply) in replies {
        terminal.wait_for(prompt);
        if !reply.is_empty() {
            terminal.type_line(reply);
        }
    }
    let code = terminal.finish();
    (code, std::mem::take(&mut terminal.seen))
}

#[test]
fn the_terminal_prompt_approves_and_rejects() {
    let s = Sandbox::new(
        r#"
steps:
  - id: restart
    title: Restart the workers
    shell: echo restarted {{inputs.pool}} >> trail # {{inputs.token}}
    approval: Restart the {{inputs.pool}} pool?
inputs:
  pool: {type: string, default: blue}
  token: {type: string, secret: true, env: GATE_TOKEN}
"#,
    );
    let (code, screen) = in_a_terminal(
        &s,
        "run p.yaml",
        &[
            ("approve? [y/n]", "y"),
            ("reason (optional):", "load is back to normal"),
        ],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("gate-secret-42"), "{screen}");
    assert_eq!(s.read("trail"), "restarted blue\n");
    let decision = s
        .journal()
        .into_iter()
        .find(|r| r["event"] == "gate_decided")
        .unwrap();
    assert_eq!(decision["approved"], true);
    assert_eq!(decision["via"], "terminal");
    assert_eq!(decision["reason"], "load is back to normal");

    let (code, screen) = in_a_terminal(
        &s,
        "run p.yaml",
        &[("approve? [y/n]", "n"), ("reason (optional):", "not now")],
    );
    assert_eq!(code, 3, "{screen}");
    assert_eq!(s.read("trail"), "restarted blue\n");
}

#[test]
fn the_terminal_asks_questions_and_checks_the_answer() {
    let s = Sandbox::new(ASKING);
    let (code, screen) = in_a_terminal(
        &s,
        "run p.yaml",
        &[("answer:", "neither"), ("is not one of", "2")],
    );
    assert_eq!(code, 0, "{screen}");
    assert_eq!(s.read("trail"), "platform\n");
}

#[test]
fn a_gate_left_unanswered_past_its_timeout_rejects() {
    let s = Sandbox::new(GATED);
    let (code, screen) = in_a_terminal(&s, "run p.yaml --gate-timeout 300ms", &[]);
    assert_eq!(code, 3, "{screen}");
    assert_eq!(s.read("trail"), "");
    let decision = s
        .journal()
        .into_iter()
        .find(|r| r["event"] == "gate_decided")
        .unwrap();
    assert_eq!(decision["approved"], false);
    assert_eq!(decision["via"], "timeout");
}
