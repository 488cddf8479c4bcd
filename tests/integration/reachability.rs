//! Steps that can run on no path, or only after a failure nobody meant,
//! are found by `check` with the runner's own readiness rule; `plan` shows
//! the paths on which a handled failure happens (docs/semantics.md,
//! "Reachability").

use crate::running::Sandbox;

/// A check of `p.yaml`: exit code and everything it printed.
fn check(s: &Sandbox) -> (i32, String) {
    let out = s.command(&["check", "p.yaml"]).output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    // Help text is wrapped to the terminal's width: one line for matching.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (out.status.code().unwrap_or(-1), text)
}

fn plan(s: &Sandbox) -> String {
    let out = s.command(&["plan", "p.yaml"]).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_procedure_is_not_silently_cut_short() {
    // The maintenance shape: "make a backup if there is none, then go on".
    // Written with `needs: [backup]`, a backup that exists ends the run
    // after one step, successfully.
    let s = Sandbox::new(
        r#"
steps:
  - id: check_backup
    shell: test -s backup.dump
    on_failure: {goto: backup}
  - id: backup
    shell: echo dump > backup.dump
  - id: stop
    needs: [backup]
    shell: echo stop >> trail
  - id: migrate
    needs: [stop]
    shell: echo migrate >> trail
"#,
    );
    let (code, text) = check(&s);
    assert_eq!(code, 0, "a warning, not an error:\n{text}");
    assert!(text.contains("runbook::only_after_failure"), "{text}");
    assert!(
        text.contains("step `stop` runs only if `check_backup` fails"),
        "{text}"
    );
    assert!(text.contains("needs: [check_backup, backup]"), "{text}");
    // What the warning predicts is what a run does.
    std::fs::write(s.path().join("backup.dump"), "old").expect("write");
    let run = s.run(&[]);
    assert_eq!(run.state("stop"), "skipped", "{}", run.describe());
    assert_eq!(run.state("migrate"), "skipped", "{}", run.describe());

    // A step chosen only after `probe` failed, that also needs `probe`:
    // it can run on no path, which is an error.
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: curl -fsS http://127.0.0.1:9/health
    on_failure: {goto: route}
  - id: route
    branch:
      - when: failed(probe) && steps.probe.exit_code == 7
        then: fix
      - else: escalate
  - id: fix
    needs: [probe]
    shell: echo fix
  - id: escalate
    log: escalate
"#,
    );
    let (code, text) = check(&s);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("runbook::unreachable_step"), "{text}");
    assert!(text.contains("step `fix` can run on no path"), "{text}");
    assert!(!text.contains("`escalate` can run on no path"), "{text}");
}

#[test]
fn plan_lists_the_paths_on_which_a_continue_step_fails() {
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: curl -fsS http://127.0.0.1:9/health
    on_failure: continue
  - id: route
    needs: [probe]
    branch:
      - when: failed(probe)
        then: causes
      - else: fine
  - id: causes
    log: "probe failed: {{steps.probe.stderr}}"
  - id: fine
    log: fine
"#,
    );
    let text = plan(&s);
    assert!(text.starts_with("2 paths"), "{text}");
    assert!(text.contains("if `probe` fails"), "{text}");
    assert!(
        text.contains("`route` -> `causes` (when failed(probe))"),
        "{text}"
    );
    assert!(text.contains("`route` -> `fine` (else)"), "{text}");
    assert!(!text.contains("no case holds"), "{text}");
}

#[test]
fn plan_groups_independent_decisions_instead_of_multiplying_them() {
    // Eight alert branches side by side, joined by a report: 256 paths,
    // which used to be listed (and cut at 256). Now each branch is listed
    // once, as a part of its own.
    let mut playbook = String::from("name: alerts\nsteps:\n");
    for i in 1..=8 {
        playbook.push_str(&format!(
            r#"  - id: check_{i}
    shell: curl -fsS http://127.0.0.1:9/{i}
    effect: read
  - id: route_{i}
    needs: [check_{i}]
    branch:
      - when: steps.check_{i}.exit_code != 0
        then: page_{i}
      - else: ok_{i}
  - id: page_{i}
    notify: {{url: "http://127.0.0.1:9/page", text: "alert {i}"}}
  - id: ok_{i}
    log: fine {i}
"#
        ));
    }
    let needs: Vec<String> = (1..=8).map(|i| format!("page_{i}, ok_{i}")).collect();
    playbook.push_str(&format!(
        "  - id: report\n    needs: [{}]\n    log: done\n",
        needs.join(", ")
    ));
    let text = plan(&Sandbox::new(&playbook));
    assert!(
        text.starts_with(
            "256 paths through `alerts`: 8 independent parts (2 × 2 × 2 × 2 × 2 × 2 × 2 × 2)"
        ),
        "{text}"
    );
    assert!(!text.contains("only the first"), "{text}");
    for i in 1..=8 {
        assert_eq!(text.matches(&format!("• page_{i} ")).count(), 1, "{text}");
        assert_eq!(
            text.matches(&format!("if `route_{i}` -> `page_{i}`"))
                .count(),
            1,
            "{text}"
        );
    }
    let joins = text
        .split("after several parts")
        .nth(1)
        .expect("a join section");
    assert!(joins.contains("• report [read]"), "{text}");
}

/// Thirteen independent branches joined by one step that runs only when
/// every branch took its first case: 8,192 combinations of outcomes, more
/// than the walk follows. `check` warns that it checked a sample, names
/// the step no sampled world ran, and never calls it unreachable: a run
/// with every flag set runs it.
#[test]
fn too_many_paths_are_checked_on_a_sample_that_reports_nothing_unreachable() {
    let n = 13;
    let mut playbook = String::from("name: many\ninputs:\n");
    for i in 1..=n {
        playbook.push_str(&format!("  flag{i}: {{type: bool, default: false}}\n"));
    }
    playbook.push_str("steps:\n");
    for i in 1..=n {
        playbook.push_str(&format!(
            "  - id: b{i}\n    branch:\n      - when: inputs.flag{i}\n        then: x{i}\n      - else: y{i}\n  - id: x{i}\n    log: x{i}\n  - id: y{i}\n    log: y{i}\n"
        ));
    }
    let xs: Vec<String> = (1..=n).map(|i| format!("x{i}")).collect();
    let every: Vec<String> = xs.iter().map(|x| format!("succeeded({x})")).collect();
    playbook.push_str(&format!(
        "  - id: rare\n    needs: [{}]\n    when: {}\n    log: every flag was set\n",
        xs.join(", "),
        every.join(" && ")
    ));
    let s = Sandbox::new(&playbook);
    let (code, text) = check(&s);
    assert_eq!(code, 0, "a warning, not an error:\n{text}");
    assert!(text.contains("runbook::reachability_unchecked"), "{text}");
    // (miette wraps the message: its end may follow a `│`.)
    assert!(
        text.contains("were not all checked: more than 4096 combinations of branch"),
        "{text}"
    );
    assert!(
        text.contains("8192 combinations of branch outcomes after this step"),
        "{text}"
    );
    assert!(text.contains("a sample of 256"), "{text}");
    assert!(
        text.contains("1 step(s) did not run in any sampled world"),
        "{text}"
    );
    assert!(text.contains("`rare`"), "{text}");
    assert!(!text.contains("runbook::unreachable_step"), "{text}");
    assert!(!text.contains("can run on no path"), "{text}");
    // The same playbook checks the same way every time.
    assert_eq!(check(&s).1, text);

    let flags: Vec<String> = (1..=n).map(|i| format!("--input=flag{i}=true")).collect();
    let args: Vec<&str> = flags.iter().map(String::as_str).collect();
    let run = s.run(&args);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("rare"), "succeeded", "{}", run.describe());
}

#[test]
fn a_read_of_a_step_skipped_on_another_path_is_found_by_check() {
    // The join after a triage tree reads what one scenario found. On the
    // other scenario's path that step was skipped, and the join fails.
    let s = Sandbox::new(
        r#"
inputs:
  kind: {type: string, default: disk}
vars:
  freed_note: '"freed " + string(steps.fix_disk.outputs.freed)'
steps:
  - id: route
    triage:
      - when: inputs.kind == "disk"
        then: fix_disk
      - else: fix_memory
  - id: fix_disk
    shell: echo freed=3
    outputs:
      freed: {regex: "freed=(\\d+)", type: int}
  - id: fix_memory
    shell: echo restarted
  - id: report
    needs: [fix_disk, fix_memory]
    log: "freed {{steps.fix_disk.outputs.freed}} GB"
    on_failure: continue
  - id: through_var
    needs: [fix_disk, fix_memory]
    log: "{{vars.freed_note}}"
    on_failure: continue
  - id: with_default
    needs: [fix_disk, fix_memory]
    log: "freed {{default steps.fix_disk.outputs.freed \"no\"}} GB, {{default(vars.freed_note, 'nothing')}}"
  - id: guarded
    needs: [fix_disk, fix_memory]
    when: succeeded(fix_disk) && steps.fix_disk.outputs.freed > 1
    log: "freed a lot"
  - id: in_a_block
    needs: [fix_disk, fix_memory]
    log: "{{#if succeeded(fix_disk)}}freed {{steps.fix_disk.outputs.freed}}{{else}}nothing freed{{/if}}"
  - id: after_the_disk
    needs: [fix_disk]
    log: "freed {{steps.fix_disk.outputs.freed}} GB"
"#,
    );
    let (code, text) = check(&s);
    assert_eq!(code, 0, "a warning, not an error:\n{text}");
    let found: Vec<&str> = text
        .split("runbook::skipped_read")
        .skip(1)
        .map(|finding| finding.split('`').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(found, ["report", "through_var"], "{text}");
    assert!(
        text.contains(
            "`report` reads a result of `fix_disk`, which is skipped on a path where `report` runs"
        ),
        "{text}"
    );
    assert!(
        text.contains("`vars.freed_note` is computed from a result of `fix_disk`"),
        "{text}"
    );
    assert!(
        text.contains("read it as `default(steps.fix_disk.outputs.freed, FALLBACK)`"),
        "{text}"
    );
    // What the warning predicts is what a run on the memory path does, and
    // the forms it does not report run there.
    let run = s.run(&["--input", "kind=memory"]);
    assert_eq!(run.state("report"), "failed", "{}", run.describe());
    assert_eq!(run.state("through_var"), "failed", "{}", run.describe());
    for quiet in ["with_default", "in_a_block"] {
        assert_eq!(run.state(quiet), "succeeded", "{}", run.describe());
    }
    assert_eq!(run.state("guarded"), "skipped", "{}", run.describe());
    assert_eq!(run.state("after_the_disk"), "skipped", "{}", run.describe());
}
