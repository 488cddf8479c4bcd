//! `--approve STEP[INDEX]` and `--approve STEP[LABEL]` on `run` and
//! `resume`: without a terminal, an operator passes the gates of some
//! elements of a loop asked per element and not others (drop this
//! replication slot, keep that one). Found running a slot-dropping
//! playbook by hand: only `--approve STEP`, every element, was accepted.

use crate::running::{Run, Sandbox};

const PLAYBOOK: &str = r#"name: per-element
steps:
  - id: drop
    for_each: ["a b", "$(touch pwned)", "it's; #x"]
    as: slot
    approval_per_item: true
    approval: "Drop {{slot}}?"
    shell: "echo {{slot}} >> dropped"
  - id: other
    needs: [drop]
    approval: "Go?"
    shell: "true"
"#;

#[test]
fn only_the_named_elements_pass_their_gates() {
    let s = Sandbox::new(PLAYBOOK);
    // The first by its label, the second by its index; the third is not named.
    let run = s.run(&["--approve", "drop[a b]", "--approve", "drop[1]"]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(
        s.read("dropped"),
        "a b\n$(touch pwned)\n",
        "{}",
        run.describe()
    );
    assert!(!s.path().join("pwned").exists());
    let refused = run.message("drop");
    assert!(
        refused.contains("pass `--approve 'drop[2]'` to approve this element"),
        "{refused}"
    );

    // Resumed with the third named by its label, quotes, `;` and `#` and all.
    let run_id = s.run_id();
    let resumed = Run::from(
        s.command(&[
            "resume",
            &run_id,
            "--output",
            "json",
            "--approve",
            "drop[it's; #x]",
            "--approve",
            "other",
        ])
        .output()
        .unwrap(),
    );
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert_eq!(s.read("dropped"), "a b\n$(touch pwned)\nit's; #x\n");
}

#[test]
fn an_element_of_a_step_that_asks_no_gate_per_element_is_refused_before_anything_runs() {
    let s = Sandbox::new(PLAYBOOK);
    for (address, said) in [
        (
            "other[0]",
            "`--approve other[0]` names an element, but `other` asks no gate per element",
        ),
        ("dorp[0]", "there is no step `dorp`"),
        // Malformed: refused with the form an element's name takes, never
        // read as a step called `drop[` nor as every element.
        ("drop[", "`--approve drop[` names no element"),
        ("drop[]", "`--approve drop[]` names no element"),
        ("drop[0]x", "`--approve drop[0]x` names no element"),
    ] {
        let out = s
            .command(&["run", "p.yaml", "--approve", address])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{address}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("runbook::unknown_decision_step"),
            "{stderr}"
        );
        assert!(stderr.contains(said), "{stderr}");
        assert_eq!(s.read("dropped"), "");
    }
}
