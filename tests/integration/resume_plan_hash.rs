//! The plan hash `resume` compares is the checked plan's, not the source
//! text's: a comment edit or `runbook fmt` keeps a run resumable, a changed
//! command refuses the resume (docs/semantics.md, "Resume").

use crate::running::Sandbox;

/// `s2` fails until the file `ok` exists; the run stops there.
const STEPS: &str = r#"name: resumable
steps:
  - id: s1
    shell: echo s1 >> lines
  - id: s2
    needs: [s1]
    shell: "test -f ok && echo s2 >> lines"
  - id: s3
    needs: [s2]
    shell: echo s3 >> lines
"#;

/// Runs `file` (written with `text`) until `s2` fails.
fn failed_at_s2(file: &str, text: &str) -> (Sandbox, String) {
    let s = Sandbox::new(STEPS);
    std::fs::write(s.path().join(file), text).unwrap();
    let out = s.command(&["run", file]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.read("lines"), "s1\n");
    let run_id = s.run_id();
    (s, run_id)
}

#[test]
fn a_comment_edit_keeps_a_run_resumable() {
    let (s, run_id) = failed_at_s2("p.yaml", STEPS);
    let commented = STEPS
        .replace(
            "name: resumable\n",
            "# a comment added after the run\nname: resumable   # named\n",
        )
        .replace("  - id: s3\n", "\n\n  # the last step\n  - id: s3\n");
    std::fs::write(s.path().join("p.yaml"), commented).unwrap();
    std::fs::write(s.path().join("ok"), "").unwrap();
    let out = s.command(&["resume", &run_id]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // s1 succeeded before: it did not run again.
    assert_eq!(s.read("lines"), "s1\ns2\ns3\n");
}

#[test]
fn a_reformatted_playbook_keeps_a_run_resumable() {
    let messy = "# written by hand\nplaybook   resumable\nstep s1 { shell \"echo s1 >> lines\" }   # first\nstep s2 {\n      needs s1\n  shell \"test -f ok && echo s2 >> lines\"\n}\n\n\nstep s3 {\n  needs s2\n  shell \"echo s3 >> lines\"\n}\n";
    let (s, run_id) = failed_at_s2("p.runbook", messy);
    let fmt = s.command(&["fmt", "p.runbook"]).output().unwrap();
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fmt.stderr)
    );
    let formatted = s.read("p.runbook");
    assert_ne!(formatted, messy, "fmt changed the source text");
    assert!(formatted.contains("# written by hand"), "{formatted}");
    std::fs::write(s.path().join("ok"), "").unwrap();
    let out = s.command(&["resume", &run_id]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // s1 succeeded before: it did not run again.
    assert_eq!(s.read("lines"), "s1\ns2\ns3\n");
}

#[test]
fn a_changed_command_refuses_the_resume() {
    let (s, run_id) = failed_at_s2("p.yaml", STEPS);
    std::fs::write(
        s.path().join("p.yaml"),
        STEPS.replace("echo s3 >> lines", "echo changed >> lines"),
    )
    .unwrap();
    std::fs::write(s.path().join("ok"), "").unwrap();
    let out = s.command(&["resume", &run_id]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("changed since run"), "{stderr}");
    assert_eq!(s.read("lines"), "s1\n");
}
