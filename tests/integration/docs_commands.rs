//! Every example command in the docs runs (issue 11, item 18).
//!
//! The commands are the lines that start with `runbook ` in ```sh blocks and
//! with `$ runbook ` in ```console blocks (a line ending in `\` continues on
//! the next). Each runs with `bash -o pipefail`, the built binary first on
//! `PATH`, in a temporary directory that holds a copy of the repository's
//! `playbooks/` and the stand-in files the examples name ([`STAND_INS`]:
//! `old.yaml` and `new.yaml` for `diff`, `broken.yaml` for a failing
//! `check`, taken from the test fixtures); the commands of one page
//! run in order in the same directory, so a page can convert a file and then
//! format it. A command must exit 0 unless its line ends with a marker
//! comment (see docs/ci.md, "Example commands in the docs"):
//!
//! - `# doc-test: exit N`: it fails on purpose, with exit code N;
//! - `# doc-test: skip REASON`: it needs what a test machine has not (a
//!   cluster, a secret, a git remote, Graphviz) and is not run.

use crate::markdown::{blocks, documents};
use crate::support::root;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MARKER: &str = "# doc-test:";

/// Files the examples name, and the fixtures that play them.
const STAND_INS: &[(&str, &str)] = &[
    ("old.yaml", "tests/fixtures/diff/approval_removed/old.yaml"),
    ("new.yaml", "tests/fixtures/diff/approval_removed/new.yaml"),
    ("broken.yaml", "tests/fixtures/bad/unknown_step.yaml"),
];

/// One example command and what it must do.
#[derive(Debug)]
struct Example {
    line: usize,
    command: String,
    expect: Expect,
}

#[derive(Debug, PartialEq)]
enum Expect {
    Exit(i32),
    Skip,
}

/// The example commands of one page, in order.
fn examples(text: &str) -> Result<Vec<Example>, String> {
    let blocks = blocks(text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let mut found = Vec::new();
    for block in blocks {
        let prompt = match block.lang.as_str() {
            "sh" | "bash" | "shell" => "",
            "console" => "$ ",
            _ => continue,
        };
        let mut pending: Option<(usize, String)> = None;
        for (number, line) in &block.lines {
            let line = match pending.take() {
                Some((start, mut joined)) => {
                    joined.push_str(line.trim_start());
                    (start, joined)
                }
                None => match line.trim_start().strip_prefix(prompt) {
                    Some(command) if command.starts_with("runbook ") => {
                        (*number, command.to_string())
                    }
                    _ => continue,
                },
            };
            if let Some(head) = line.1.strip_suffix('\\') {
                pending = Some((line.0, format!("{} ", head.trim_end())));
                continue;
            }
            found.push(example(line.0, &line.1)?);
        }
    }
    Ok(found)
}

fn example(line: usize, command: &str) -> Result<Example, String> {
    let expect = match command.find(MARKER) {
        None => Expect::Exit(0),
        Some(at) => {
            let marker = command[at + MARKER.len()..].trim();
            if let Some(code) = marker.strip_prefix("exit ") {
                let code = code
                    .split_whitespace()
                    .next()
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| format!("line {line}: `{MARKER} exit N` needs a number"))?;
                Expect::Exit(code)
            } else if marker.starts_with("skip ") && marker.len() > "skip ".len() {
                Expect::Skip
            } else {
                return Err(format!(
                    "line {line}: the marker reads `{MARKER} exit N` or `{MARKER} skip REASON`, not `{marker}`"
                ));
            }
        }
    };
    Ok(Example {
        line,
        command: command.to_string(),
        expect,
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// A directory laid out as the examples expect.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&root().join("playbooks"), &dir.path().join("playbooks"));
    for (name, fixture) in STAND_INS {
        std::fs::copy(root().join(fixture), dir.path().join(name)).expect("copy a stand-in");
    }
    dir
}

fn binary_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_runbook"))
        .parent()
        .expect("the binary is in a directory")
        .to_path_buf()
}

#[test]
fn examples_are_found_with_their_markers() {
    let text = "```console\n$ runbook check a.yaml\nok\n$ runbook check b.yaml  # doc-test: exit 2\n```\n\
                ```sh\nrunbook diff --git origin/main  # doc-test: skip needs a git remote\nrunbook lint \\\n  playbooks\ncargo test\n```\n\
                ```yaml\nrunbook: no\n```\n";
    let found = examples(text).expect("well formed");
    let summary: Vec<(usize, &str, &Expect)> = found
        .iter()
        .map(|e| (e.line, e.command.as_str(), &e.expect))
        .collect();
    assert_eq!(
        summary,
        vec![
            (2, "runbook check a.yaml", &Expect::Exit(0)),
            (
                4,
                "runbook check b.yaml  # doc-test: exit 2",
                &Expect::Exit(2)
            ),
            (
                7,
                "runbook diff --git origin/main  # doc-test: skip needs a git remote",
                &Expect::Skip
            ),
            (8, "runbook lint playbooks", &Expect::Exit(0)),
        ]
    );
    assert!(examples("```sh\nrunbook x # doc-test: sometimes\n```\n").is_err());
    assert!(examples("```sh\nrunbook x # doc-test: exit two\n```\n").is_err());
}

#[test]
fn issue11_item18_every_example_command_in_the_docs_runs() {
    let path = format!(
        "{}:{}",
        binary_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    for doc in documents() {
        let name = doc
            .strip_prefix(root())
            .unwrap_or(&doc)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&doc).expect("the document is readable");
        let examples = match examples(&text) {
            Ok(examples) => examples,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if examples.iter().all(|e| e.expect == Expect::Skip) {
            continue;
        }
        let dir = workspace();
        for example in examples {
            let Expect::Exit(expected) = example.expect else {
                continue;
            };
            let output = Command::new("bash")
                .args(["-o", "pipefail", "-c", &example.command])
                .current_dir(dir.path())
                .env("PATH", &path)
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .output()
                .expect("bash runs");
            ran += 1;
            let code = output.status.code().unwrap_or(-1);
            if code != expected {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                failures.push(format!(
                    "{name}:{}: `{}` exited {code}, expected {expected}\n    {}",
                    example.line,
                    example.command,
                    tail.join("\n    ")
                ));
            }
        }
    }
    assert!(ran > 10, "only {ran} example commands were found in docs/");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
