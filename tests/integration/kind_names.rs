//! No kind is known by name outside its own module: the rest of the
//! pipeline asks a kind's capabilities (`runbook_dsl::catalog::Capabilities`),
//! so a new kind with the same capability is treated the same, and renaming
//! a kind touches one module. This scans the sources of every crate and of
//! the binary for a kind's name as a string literal.

use std::path::{Path, PathBuf};

/// Literals that spell a kind's name but mean something else, each with
/// why. A new entry needs a reason that is not "this code checks the kind".
const NOT_THE_KIND: &[(&str, &str, &str)] = &[
    (
        "src/console/deciding.rs",
        "http",
        "the URL scheme of a browser's `Origin`, checked against the console's own",
    ),
    (
        "src/console/mod.rs",
        "http",
        "the URL scheme the console is served with (`https` with `--tls-cert`)",
    ),
    (
        "src/console/run_page.rs",
        "approve",
        "the verb of a decision a form made, echoed back to the person",
    ),
    (
        "crates/dsl/src/runbook_syntax/parse/step_parts.rs",
        "assert",
        "the `.runbook` grammar's `assert` statement, a keyword of the language",
    ),
    (
        "crates/dsl/src/print/runbook.rs",
        "assert",
        "printing the `.runbook` grammar's `assert` statement",
    ),
    (
        "crates/dsl/src/template/parse/helper.rs",
        "log",
        "the handlebars `log` helper",
    ),
    (
        "crates/stdlib/src/kinds/sql/read_only_functions.rs",
        "log",
        "the SQL function `log`",
    ),
    (
        "crates/stdlib/src/web.rs",
        "tls",
        "the word `tls` in a client error's text, read to name a TLS failure",
    ),
    (
        "crates/runtime/src/pending/decide.rs",
        "approve",
        "the verb of `runbook approve` and a decision file's `verdict`",
    ),
    (
        "crates/runtime/src/rehearsal/scenario.rs",
        "approve",
        "a scenario's decision at a gate, `approve` or `reject`",
    ),
    (
        "crates/runtime/src/rehearsal/scenario.rs",
        "playbook",
        "the `playbook:` key of a scenario file",
    ),
    ("src/diagnostics.rs", "playbook", "the word, counting files"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir` that is not a test file.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "tests" {
                sources(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" && !name.ends_with("_tests.rs") {
            out.push(path);
        }
    }
}

/// The text of a source file before its unit tests.
fn non_test_text(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// Whether `file` (relative to the root) is the kind's own module:
/// `kinds/NAME.rs` or anything under `kinds/NAME/`.
fn own_module(file: &str, kind: &str) -> bool {
    let base = "crates/stdlib/src/kinds/";
    file == format!("{base}{kind}.rs") || file.starts_with(&format!("{base}{kind}/"))
}

/// Every place a kind's name appears as a string literal outside its own
/// module, as `file:line: "name"`.
fn kind_names_outside_their_modules(kinds: &[&str]) -> Vec<String> {
    let root = root();
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let crates = std::fs::read_dir(root.join("crates")).expect("crates/ is there");
    for krate in crates.flatten() {
        sources(&krate.path().join("src"), &mut files);
    }
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let file = path
            .strip_prefix(&root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).expect("a readable source");
        for (n, line) in non_test_text(&text).lines().enumerate() {
            for kind in kinds {
                let literal = format!("\"{kind}\"");
                if !line.contains(&literal) || own_module(&file, kind) {
                    continue;
                }
                let excused = NOT_THE_KIND.iter().any(|(f, k, _)| *f == file && k == kind);
                if !excused {
                    found.push(format!("{file}:{}: {literal}", n + 1));
                }
            }
        }
    }
    found
}

#[test]
fn no_kind_name_appears_outside_its_own_module() {
    let catalog = runbook_stdlib::builtin();
    let kinds = runbook_dsl::catalog::Catalog::kind_names(catalog);
    assert!(kinds.contains(&"approve"), "the scan knows the kinds");
    let found = kind_names_outside_their_modules(&kinds);
    assert!(
        found.is_empty(),
        "kind names outside their modules (ask the kind's capabilities instead, \
         runbook_dsl::catalog::Capabilities):\n{}",
        found.join("\n")
    );
}

/// The scan finds what it looks for: a literal in a file that is not the
/// kind's module, and not one in the kind's own module or in unit tests.
#[test]
fn the_scan_sees_a_name_in_another_module_only() {
    assert!(own_module(
        "crates/stdlib/src/kinds/k8s/operations.rs",
        "k8s"
    ));
    assert!(own_module("crates/stdlib/src/kinds/shell.rs", "shell"));
    assert!(!own_module("crates/stdlib/src/kinds/shell.rs", "sql"));
    assert!(!own_module("crates/dsl/src/plan.rs", "approve"));
    let text = "let a = \"approve\";\n#[cfg(test)]\nmod tests { \"shell\" }\n";
    assert_eq!(non_test_text(text), "let a = \"approve\";\n");
}

/// Every excuse names a file that still has the literal, so the list does
/// not outlive what it excuses.
#[test]
fn every_excuse_is_still_needed() {
    for (file, kind, why) in NOT_THE_KIND {
        let text = std::fs::read_to_string(root().join(file)).unwrap_or_default();
        assert!(
            non_test_text(&text).contains(&format!("\"{kind}\"")),
            "{file} no longer has \"{kind}\" ({why}): remove the excuse"
        );
    }
}
