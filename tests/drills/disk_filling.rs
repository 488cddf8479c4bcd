//! Drill of the disk-filling example (playbooks/examples/
//! disk-filling.runbook) against a real directory of logs whose names hold
//! `$(..)`, quotes, `;`, `#`, a leading `-` and a line break, beside a
//! recent log and an old symbolic link: without a terminal, the operator
//! passes two files by index; exactly those are deleted, every other file
//! is kept and asked in turn (`on_item_failure: continue`), and the run
//! stops after the loop (exit 3). A dry-run deletes nothing and lists the
//! old regular files alone: not the link, not the name with a line break
//! (which would read as two paths), not the recent log.

use super::support::Drill;
use std::path::Path;
use std::process::Command;

const PLAYBOOK: &str = "examples/disk-filling.runbook";

/// Old logs (thirty days), a recent one, an old link to a file outside,
/// and a name with a line break whose second line names a file too.
const OLD: [&str; 5] = [
    "a.log",
    "b c.log",
    "$(touch pwned).log",
    "it's; #x.log",
    "-rf.log",
];

fn logs(root: &Path) -> std::path::PathBuf {
    let dir = root.join("logs dir");
    std::fs::create_dir_all(&dir).unwrap();
    for name in OLD.iter().chain(&["new.log", "two\nlines.log"]) {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    std::os::unix::fs::symlink(root.join("outside.log"), dir.join("old-link.log")).unwrap();
    std::fs::write(root.join("outside.log"), "kept").unwrap();
    // What the broken-up name's second line would name, from where the run runs.
    std::fs::write(root.join("lines.log"), "kept").unwrap();
    let mut old: Vec<String> = OLD
        .iter()
        .map(|n| dir.join(n).display().to_string())
        .collect();
    old.push(dir.join("two\nlines.log").display().to_string());
    old.push(dir.join("old-link.log").display().to_string());
    let ok = Command::new("touch")
        .args(["-h", "-d", "30 days ago", "--"])
        .args(&old)
        .status()
        .unwrap()
        .success();
    assert!(ok, "touch");
    dir
}

fn left(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_logs_named_are_deleted_and_no_other_file_is() {
    let drill = Drill::new();
    let root = drill.dir.path();
    let dir = logs(root);
    let log_dir = format!("log_dir={}", dir.display());
    let mountpoint = format!("mountpoint={}", root.display());
    // The order of the elements is the directory's: read it from the run.
    let dry = drill.run(
        PLAYBOOK,
        &["--input", &mountpoint, "--input", &log_dir],
        true,
    );
    dry.expect(0, &[("clean", "succeeded")]);
    assert_eq!(left(&dir).len(), 8, "a dry-run deleted nothing");
    let elements: Vec<String> = dry
        .events
        .iter()
        .filter(|e| e["event"] == "step_would_run" && e["step"] == "clean")
        .flat_map(|e| {
            e["description"]
                .as_str()
                .unwrap()
                .lines()
                .filter_map(|l| l.split_once("] ").map(|(_, rest)| rest.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    // The five old regular files, and neither the link nor the name with a
    // line break (nor the recent log).
    assert_eq!(elements.len(), 5, "{elements:?}\n{}", dry.dump());
    for name in OLD {
        assert!(
            elements
                .iter()
                .any(|e| e.contains(&dir.join(name).display().to_string())),
            "{name}: {elements:?}"
        );
    }

    let run = drill.run(
        PLAYBOOK,
        &[
            "--input",
            &mountpoint,
            "--input",
            &log_dir,
            "--approve",
            "clean[0]",
            "--approve",
            "clean[3]",
        ],
        false,
    );
    run.expect(3, &[("clean", "rejected")]);
    let decided: Vec<(String, bool)> = run
        .events
        .iter()
        .filter(|e| e["event"] == "gate_decided")
        .map(|e| {
            (
                e["element"].as_str().unwrap().to_string(),
                e["approved"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(decided.len(), 5, "every file asked: {decided:?}");
    let approved: Vec<&String> = decided.iter().filter(|(_, a)| *a).map(|(e, _)| e).collect();
    assert_eq!(approved.len(), 2, "{decided:?}");
    assert!(approved[0].starts_with("[0] ") && approved[1].starts_with("[3] "));
    let gone: Vec<String> = approved
        .iter()
        .map(|e| e.split_once("] ").unwrap().1.to_string())
        .collect();
    let mut expected: Vec<String> = OLD
        .iter()
        .chain(&["new.log", "old-link.log", "two\nlines.log"])
        .map(|n| n.to_string())
        .filter(|n| {
            !gone
                .iter()
                .any(|g| Path::new(g).file_name().unwrap().to_string_lossy() == *n)
        })
        .collect();
    expected.sort();
    assert_eq!(left(&dir), expected);
    assert!(!root.join("pwned").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("lines.log")).unwrap(),
        "kept"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("outside.log")).unwrap(),
        "kept"
    );
}
