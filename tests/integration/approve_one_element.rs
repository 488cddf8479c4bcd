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
        refused.contains("pass `--approve 'drop[it'\\''s; #x]'` to approve this element"),
        "{refused}"
    );

    // Resumed with the third named by its label, quotes, `;` and `#` and all.
    let resumed = resume_approving(&s, "drop[it's; #x]");
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

/// With `on_item_failure: continue`, an element whose gate is refused is
/// skipped and the next is asked: the operator's named elements run, no
/// other does, hostile labels included, and the run still stops after
/// the loop (exit 3) to be resumed with the missing approval.
#[test]
fn with_continue_a_refused_element_is_skipped_and_the_named_ones_run() {
    let s = continuing();
    let run = s.run(&["--approve", "drop[a b]", "--approve", "drop[it's; #x]"]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("dropped"), "a b\nit's; #x\n", "{}", run.describe());
    assert!(!s.path().join("pwned").exists());
    assert_eq!(run.state("drop"), "rejected");
    assert_eq!(run.state("other"), "not run", "{}", run.describe());
    let states: Vec<String> = run
        .events_of("item_finished")
        .iter()
        .map(|e| e["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["succeeded", "rejected", "succeeded"]);
    assert!(
        run.message("drop")
            .contains("pass `--approve 'drop[$(touch pwned)]'` to approve this element"),
        "{}",
        run.message("drop")
    );

    // Each decision names its element: the journal, the report, the view.
    let decided: Vec<&str> = run
        .events_of("gate_decided")
        .iter()
        .map(|e| e["element"].as_str().unwrap())
        .collect();
    assert_eq!(decided, ["[0] a b", "[1] $(touch pwned)", "[2] it's; #x"]);
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains("| `drop` \\[1\\] $(touch pwned) | rejected | "),
        "{report}"
    );
    let seen = continuing();
    let human = seen
        .command(&["run", "p.yaml", "--approve", "drop[0]"])
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&human.stderr);
    assert!(human.contains("✓ drop [0] a b approved by "), "{human}");
    // The refusal's reason is said once, on the gate's line.
    assert!(
        human.contains("✗ drop [1] $(touch pwned) rejected by ")
            && human.contains("✗ drop [1] $(touch pwned) rejected\n"),
        "{human}"
    );

    // Two refused: the step's message lists both.
    let both = continuing();
    let run = both.run(&["--approve", "drop[1]"]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(both.read("dropped"), "$(touch pwned)\n");
    assert!(
        run.message("drop").starts_with(
            "2 elements were rejected ([0] a b, [2] it's; #x), 1 of 3 succeeded; the first: "
        ),
        "{}",
        run.message("drop")
    );

    // Resumed with the refused element named: only it runs, then the rest.
    let resumed = resume_approving(&s, "drop[1]");
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert_eq!(s.read("dropped"), "a b\nit's; #x\n$(touch pwned)\n");
    assert!(!s.path().join("pwned").exists());
}

/// The playbook with `on_item_failure: continue` on its loop.
fn continuing() -> Sandbox {
    Sandbox::new(&PLAYBOOK.replace(
        "    approval_per_item: true\n",
        "    approval_per_item: true\n    on_item_failure: continue\n",
    ))
}

/// An `--approve 'STEP[...]'` that names none of the elements its loop
/// asked about (part of a label, an index past the end) approved nothing:
/// the run says so after it ends, with the elements as they are named.
#[test]
fn an_element_approval_that_named_no_element_is_said() {
    let s = continuing();
    let run = s.run(&[
        "--approve",
        "drop[it's]",
        "--approve",
        "drop[7]",
        "--approve",
        "drop[a b]",
    ]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("dropped"), "a b\n");
    for named in ["drop[it's]", "drop[7]"] {
        assert!(
            run.stderr.contains(&format!(
                "runbook: warning: `--approve {named}` named none of the elements of `drop` that were asked: `[0] a b`, `[1] $(touch pwned)`, `[2] it's; #x`."
            )),
            "{}",
            run.stderr
        );
    }
    // The one that named an element is not mentioned.
    assert!(
        !run.stderr.contains("`--approve drop[a b]`"),
        "{}",
        run.stderr
    );
}

/// The sandbox's run resumed with `--approve ELEMENT --approve other`.
fn resume_approving(s: &Sandbox, element: &str) -> Run {
    let run_id = s.run_id();
    Run::from(
        s.command(&[
            "resume",
            &run_id,
            "--output",
            "json",
            "--approve",
            element,
            "--approve",
            "other",
        ])
        .output()
        .unwrap(),
    )
}
