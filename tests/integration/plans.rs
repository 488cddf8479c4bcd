//! Good playbooks check clean and their plans are snapshotted as text.

use crate::support::{check, playbooks_under, rendered, root, snapshot_name};
use runbook_dsl::draw;

#[test]
fn good_playbooks_check_clean_and_plan_as_snapshotted() {
    let root = root();
    let mut files = playbooks_under(&root.join("tests/fixtures/good"));
    files.extend(playbooks_under(&root.join("playbooks")));
    assert!(!files.is_empty());
    for path in files {
        let checked = check(&path);
        assert!(
            checked.diagnostics.is_empty(),
            "{} has diagnostics:\n{}",
            path.display(),
            rendered(&checked)
        );
        let plan = checked.plan.expect("a clean playbook has a plan");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root.join("tests/snapshots/plans"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&path);
        settings.bind(|| insta::assert_snapshot!(snapshot_name(&path, &root), draw::text(&plan)));
    }
}

/// `runbook plan` as printed, on the AlphaSwarm triage tree: every branch
/// over an `ask` forks once per answer, and no impossible "no case holds"
/// path is listed for the exhaustive ones.
#[test]
fn plan_of_the_alphaswarm_triage_tree_is_snapshotted() {
    let out = crate::running::Sandbox::new("steps: []\n")
        .command(&[
            "plan",
            &root()
                .join("playbooks/alphaswarm/incident.yaml")
                .display()
                .to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/plan_output"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("alphaswarm__incident", text));
}

fn plan_text(playbook: &str, args: &[&str]) -> String {
    let s = crate::running::Sandbox::new(playbook);
    let mut all = vec!["plan", "p.yaml"];
    all.extend_from_slice(args);
    let out = s.command(&all).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const TWICE: &str = r#"
steps:
  - id: kind
    ask:
      question: Which kind?
      choices: [a, b, c]
  - id: first
    needs: [kind]
    branch:
      - when: steps.kind.answer == "a"
        then: on_a
      - when: steps.kind.answer in ["b", "c"]
        then: on_bc
  - id: on_a
    shell: echo a
  - id: on_bc
    shell: echo bc
  - id: second
    needs: [on_a, on_bc]
    branch:
      - when: steps.kind.answer == "c"
        then: on_c
      - else: not_c
  - id: on_c
    shell: echo c
  - id: not_c
    shell: echo not c
"#;

#[test]
fn an_exhaustive_branch_has_no_impossible_path_and_one_answer_is_followed_through() {
    let text = plan_text(TWICE, &[]);
    assert!(!text.contains("no case holds"), "{text}");
    // Not 2 x 2: the second branch sees what the first one assumed.
    assert!(text.starts_with("3 paths through"), "{text}");
    assert!(
        text.contains(
            "if `first` -> `on_a` (steps.kind.answer is `a`)\n  if `second` -> `not_c` (else)"
        ),
        "{text}"
    );
    assert!(
        text.contains("if `first` -> `on_bc` (steps.kind.answer is `b` or `c`)\n  if `second` -> `not_c` (else: steps.kind.answer is `b`)"),
        "{text}"
    );
    assert!(
        text.contains("if `first` -> `on_bc` (steps.kind.answer is `b` or `c`)\n  if `second` -> `on_c` (steps.kind.answer is `c`)"),
        "{text}"
    );
}

#[test]
fn a_branch_over_an_enum_input_forks_per_value_unless_the_input_is_given() {
    let playbook = r#"
inputs:
  env: {type: enum, choices: [staging, production]}
steps:
  - id: where
    branch:
      - when: inputs.env == "staging"
        then: quick
      - when: inputs.env == "production"
        then: careful
  - id: quick
    shell: echo quick
  - id: careful
    shell: echo careful
"#;
    let text = plan_text(playbook, &[]);
    assert!(text.starts_with("2 paths through"), "{text}");
    assert!(!text.contains("no case holds"), "{text}");
    assert!(text.contains("(inputs.env is `production`)"), "{text}");
    let text = plan_text(playbook, &["--input", "env=staging"]);
    assert!(text.starts_with("1 path through"), "{text}");
    assert!(text.contains("• quick"), "{text}");
}

/// The gates of a called playbook (and of one it calls) are listed under
/// the calling step by the address `--approve` takes, and counted: a run
/// stops at them too.
#[test]
fn the_gates_of_a_called_playbook_are_listed_under_its_call() {
    let s = crate::running::Sandbox::new(
        r#"
steps:
  - id: rollback
    playbook: rollback.yaml
  - id: announce
    needs: [rollback]
    log: done
"#,
    );
    std::fs::write(
        s.path().join("rollback.yaml"),
        r#"
steps:
  - id: snapshot
    shell: echo snapshot
    effect: read
  - id: restore
    needs: [snapshot]
    shell: echo restore
    effect: destructive
    approval: Restore the database?
  - id: notify
    needs: [restore]
    playbook: notify.yaml
"#,
    )
    .unwrap();
    std::fs::write(
        s.path().join("notify.yaml"),
        "steps:\n  - id: page\n    shell: echo page\n    approval: Page the owner?\n",
    )
    .unwrap();
    let out = s.command(&["plan", "p.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("2 step(s), 0 gate(s) and 2 in the playbooks they call:"),
        "{text}"
    );
    assert!(
        text.contains("◆ rollback.restore [destructive, gate in the playbook it calls]"),
        "{text}"
    );
    assert!(
        text.contains("◆ rollback.notify.page [write, gate in the playbook it calls]"),
        "{text}"
    );
}
