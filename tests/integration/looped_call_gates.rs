//! A gate or question of a playbook that a loop calls (`for_each` with
//! `playbook:`) belongs to one element's run of it: the run addresses it
//! `CALL[INDEX].STEP` with the element's label beside it, and a person
//! names it as a rehearsal's scenario does, `each[web-1].restart` or
//! `each[0].restart`. `--approve each.restart` passes every element's,
//! `--approve 'each[web-1].restart'` that element's only; `runbook
//! pending` names the element, and a bare `runbook approve RUN
//! each.restart` decides none while elements wait, so a remote approval
//! never decides another host than the one its person read. Before, every
//! host's gate read `each.restart`, and a remote approval decided
//! whichever host waited.

use crate::remote_approvals::{decide, finish, pending, start, store, text, wait_for};
use crate::remote_approvals_elements::paste;
use crate::running::{Run, Sandbox};

/// A label that must reach the shell as data and read back in a command.
const HOSTILE: &str = "web-2 $(touch pwned) 'q\" #x";

fn sandbox() -> Sandbox {
    let s = Sandbox::new(&format!(
        r#"
steps:
  - id: each
    for_each: ["web-1", {hostile}]
    as: host
    playbook:
      path: child.yaml
      inputs: {{host: "{{{{host}}}}"}}
"#,
        hostile = serde_json::to_string(HOSTILE).unwrap()
    ));
    std::fs::write(
        s.path().join("child.yaml"),
        r#"
inputs:
  host: {type: string}
steps:
  - id: pick
    ask:
      question: Which mode for {{inputs.host}}?
      choices: [soft, hard]
  - id: restart
    needs: [pick]
    approval: "Restart {{inputs.host}}?"
    shell: printf '%s %s\n' {{inputs.host}} {{steps.pick.answer}} >> restarted
"#,
    )
    .unwrap();
    s
}

fn restarted(s: &Sandbox) -> String {
    std::fs::read_to_string(s.path().join("restarted")).unwrap_or_default()
}

#[test]
fn approve_names_one_element_of_the_calling_loop_or_every_one() {
    let s = sandbox();
    let run = s.run(&[
        "--approve",
        "each[web-1].restart",
        "--answer",
        "each.pick=soft",
        "--answer",
        "each[1].pick=hard",
    ]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(restarted(&s), "web-1 soft\n", "{}", run.describe());
    // The refusal names the element's gate so it can be pasted.
    let hint = format!(
        "pass `--approve 'each[{}].restart'` to approve it for this element, `--approve each.restart` for every element",
        HOSTILE.replace('\'', "'\\''")
    );
    assert!(run.stderr.contains(&hint), "{}", run.stderr);

    // By position, and every element's at once.
    for (approve, expected) in [
        ("each[0].restart", "web-1 soft\n".to_string()),
        ("each.restart", format!("web-1 soft\n{HOSTILE} hard\n")),
    ] {
        let s = sandbox();
        let run = s.run(&[
            "--approve",
            approve,
            "--answer",
            "each.pick=soft",
            "--answer",
            "each[1].pick=hard",
        ]);
        assert_eq!(restarted(&s), expected, "{approve}: {}", run.describe());
        assert!(!s.path().join("pwned").exists());
    }
}

#[test]
fn a_decision_naming_no_such_element_run_is_refused_before_anything_runs() {
    let s = sandbox();
    for (approve, said) in [
        ("each[web-1].restat", "there is no step `restat`"),
        (
            "each[web-1].restart.x",
            "`restart` is a `shell` step, which calls no playbook",
        ),
    ] {
        let run = s.run(&["--approve", approve]);
        assert_eq!(run.code, 2, "{approve}: {}", run.describe());
        assert!(
            run.stderr.contains("runbook::unknown_decision_step"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.replace('\n', " ").contains(said),
            "{approve}: {}",
            run.stderr
        );
        assert_eq!(restarted(&s), "");
    }
    // Selecting an element of a step that is no loop.
    let single = Sandbox::new(
        "steps:\n  - id: once\n    playbook:\n      path: child.yaml\n      inputs: {host: web-1}\n",
    );
    std::fs::copy(
        s.path().join("child.yaml"),
        single.path().join("child.yaml"),
    )
    .unwrap();
    let run = single.run(&["--approve", "once[0].restart"]);
    assert_eq!(run.code, 2, "{}", run.describe());
    assert!(
        run.stderr.contains("`once` is not a `for_each` step"),
        "{}",
        run.stderr
    );
}

/// The approve command `runbook pending` prints for the gate at `step`
/// (as the run addresses it), once it waits.
fn printed_approve(s: &Sandbox, step: &str) -> String {
    wait_for(&format!("{step} listed"), || {
        pending(s).iter().find(|r| r["step"] == step)?;
        let out = s
            .command(&["pending", "--journal-dir", "runs"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_start_matches(['│', '└', ' ']))
            .find(|l| l.starts_with("runbook approve "))
            .map(str::to_string)
    })
}

#[test]
fn a_remote_approval_decides_the_element_its_person_read() {
    let s = sandbox();
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--answer", "each.pick=soft"]);
    let first = wait_for("web-1 waits", || {
        pending(&s)
            .into_iter()
            .find(|r| r["step"] == "each[0].restart")
    });
    let run_id = first["run_id"].as_str().unwrap().to_string();
    assert_eq!(first["labels"]["each[0]"], "web-1", "{first}");
    let printed = printed_approve(&s, "each[0].restart");
    assert_eq!(
        printed,
        format!("runbook approve {run_id} 'each[web-1].restart' --journal-dir runs")
    );

    // A bare step names no element: refused, nothing decided.
    let out = decide(&s, None, &["approve", &run_id, "each.restart"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("runbook::element_not_named"), "{err}");
    assert!(err.contains(&printed), "the command naming it: {err}");
    // Another element's name does not decide this one.
    let hostile = format!("each[{HOSTILE}].restart");
    let out = decide(&s, None, &["approve", &run_id, &hostile]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("runbook::not_pending"));
    assert_eq!(restarted(&s), "");

    // The printed command, pasted into a shell, decides it.
    let out = paste(&s, &printed);
    assert!(out.status.success(), "{}", text(&out));
    let second = wait_for("the hostile element waits", || {
        pending(&s)
            .into_iter()
            .find(|r| r["step"] == "each[1].restart")
    });
    assert_eq!(second["labels"]["each[1]"], HOSTILE, "{second}");
    let printed = printed_approve(&s, "each[1].restart");
    let out = paste(&s, &printed);
    assert!(out.status.success(), "{printed}: {}", text(&out));
    let run: Run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(restarted(&s), format!("web-1 soft\n{HOSTILE} soft\n"));
    assert!(!s.path().join("pwned").exists());
}

/// An `--approve` that selects no element whose run was asked (part of a
/// label, a number read as a position) is said after the run, with how the
/// runs asked are named, as it is for a loop gated per element.
#[test]
fn an_approve_naming_no_asked_run_is_said() {
    let s = sandbox();
    for named in ["each[web].restart", "each[7].restart"] {
        let run = s.run(&["--approve", named, "--answer", "each.pick=soft"]);
        assert_eq!(run.code, 3, "{}", run.describe());
        let said = run.stderr.replace('\n', " ");
        assert!(
            said.contains(&format!(
                "runbook: warning: `--approve {named}` named none of the runs of `each.restart` that were asked: `each[web-1].restart`"
            )),
            "{}",
            run.stderr
        );
    }
    let run = s.run(&[
        "--approve",
        "each[web-1].restart",
        "--answer",
        "each.pick=soft",
    ]);
    assert!(!run.stderr.contains("named none"), "{}", run.stderr);
}
