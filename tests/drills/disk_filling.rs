//! Drill of the disk-filling example (playbooks/examples/
//! disk-filling.runbook) against a real directory of logs whose names hold
//! `$(..)`, quotes, `;`, `#`, a leading `-` and a line break, beside a
//! recent log and an old symbolic link: without a terminal, the operator
//! passes two files by index, the name with a line break one of them;
//! exactly those are deleted, every other file is kept and asked in turn
//! (`on_item_failure: continue`), and the run stops after the loop (exit 3). A dry-run deletes nothing and lists the
//! old regular files alone, the name with a line break as one path (the
//! playbook reads `find -print0` with `separator: nul`): not the link, not
//! the recent log, not the file the name's second line would name.

use super::support::Drill;
use std::path::Path;
use std::process::Command;

const PLAYBOOK: &str = "examples/disk-filling.runbook";

/// Old logs (thirty days), one of them a name with a line break whose
/// second line names a file too; a recent one; an old link to a file outside.
const OLD: [&str; 6] = [
    "a.log",
    "b c.log",
    "$(touch pwned).log",
    "it's; #x.log",
    "-rf.log",
    "two\nlines.log",
];

/// A name as the views show it: a line break escaped.
fn shown(name: &str) -> String {
    name.replace('\n', "\\n")
}

fn logs(root: &Path) -> std::path::PathBuf {
    let dir = root.join("logs dir");
    std::fs::create_dir_all(&dir).unwrap();
    for name in OLD.iter().chain(&["new.log"]) {
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
    // The six old regular files, and neither the link nor the recent log.
    assert_eq!(elements.len(), 6, "{elements:?}\n{}", dry.dump());
    for name in OLD {
        let path = shown(&dir.join(name).display().to_string());
        assert!(
            elements.iter().any(|e| e.starts_with(&format!("{path}: "))),
            "{name}: {elements:?}"
        );
    }
    // Pass the name with a line break and one other, by index.
    let two_lines = shown(&dir.join("two\nlines.log").display().to_string());
    let at = elements
        .iter()
        .position(|e| e.starts_with(&format!("{two_lines}: ")))
        .unwrap();
    let (first, second) = if at == 0 { (0, 3) } else { (0, at) };

    let run = drill.run(
        PLAYBOOK,
        &[
            "--input",
            &mountpoint,
            "--input",
            &log_dir,
            "--approve",
            &format!("clean[{first}]"),
            "--approve",
            &format!("clean[{second}]"),
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
    assert_eq!(decided.len(), 6, "every file asked: {decided:?}");
    let approved: Vec<&String> = decided.iter().filter(|(_, a)| *a).map(|(e, _)| e).collect();
    assert_eq!(approved.len(), 2, "{decided:?}");
    assert!(
        approved[0].starts_with(&format!("[{first}] "))
            && approved[1].starts_with(&format!("[{second}] ")),
        "{decided:?}"
    );
    assert!(
        approved[0].contains("two") || approved[1].contains("two"),
        "the name with a line break is one of those deleted: {decided:?}"
    );
    let gone: Vec<String> = approved
        .iter()
        .map(|e| e.split_once("] ").unwrap().1.to_string())
        .collect();
    let mut expected: Vec<String> = OLD
        .iter()
        .chain(&["new.log", "old-link.log"])
        .map(|n| n.to_string())
        .filter(|n| {
            !gone
                .iter()
                .any(|g| shown(&Path::new(g).file_name().unwrap().to_string_lossy()) == shown(n))
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
