//! docs/diagnostics.md lists every diagnostic code with a real example,
//! generated from the bad fixtures so the documentation cannot drift.
//! `UPDATE_DOCS=1 cargo test` rewrites it.

use crate::support::{check, playbooks_under, root};
use runbook_dsl::diagnostic::{render, RenderStyle};
use runbook_dsl::{Code, Diagnostic, SourceFile};
use std::path::Path;

const BEGIN: &str = "<!-- codes:begin -->";
const END: &str = "<!-- codes:end -->";

/// The example of a code: the first bad fixture (YAML first) that reports it.
fn example(
    code: Code,
    fixtures: &[(String, SourceFile, Vec<Diagnostic>)],
) -> Option<(String, String)> {
    fixtures.iter().find_map(|(name, file, diagnostics)| {
        let diagnostic = diagnostics.iter().find(|d| d.code == code)?;
        Some((
            name.clone(),
            render(file, std::slice::from_ref(diagnostic), RenderStyle::Plain),
        ))
    })
}

/// Examples of the codes that come from reading files rather than checking them.
fn unreadable_examples() -> Vec<(String, SourceFile, Vec<Diagnostic>)> {
    [
        "tests/fixtures/unreadable/missing.yaml",
        "tests/fixtures/unreadable/latin1.yaml",
        "tests/fixtures/unreadable/playbook.json",
    ]
    .iter()
    .filter_map(|path| {
        let unreadable = runbook_dsl::load::read(Path::new(path)).err()?;
        Some((
            path.to_string(),
            unreadable.file,
            vec![unreadable.diagnostic],
        ))
    })
    .collect()
}

/// Examples of the codes that come from rehearsing scenario files: the
/// diagnostics of the file itself, after its scenarios ran.
fn rehearsal_examples() -> Vec<(String, SourceFile, Vec<Diagnostic>)> {
    let world = runbook_runtime::rehearsal::World {
        catalog: runbook_stdlib::builtin(),
        pure: std::sync::Arc::new(runbook_stdlib::Builtins),
    };
    ["tests/fixtures/rehearsals/unused/triage.scenario.yaml"]
        .iter()
        .map(|path| {
            let report = runbook_runtime::rehearsal::rehearse_file(&root().join(path), &world);
            let file = SourceFile::new(path.to_string(), report.file.text().to_string());
            (path.to_string(), file, report.diagnostics)
        })
        .collect()
}

fn generate() -> String {
    let base = root().join("tests/fixtures/bad");
    let files = playbooks_under(&base);
    let mut fixtures: Vec<(String, SourceFile, Vec<Diagnostic>)> = files
        .iter()
        .map(|path| {
            let checked = check(path);
            let name = path
                .strip_prefix(root())
                .unwrap_or(path)
                .display()
                .to_string();
            (name, checked.file, checked.diagnostics)
        })
        .collect();
    // YAML examples first (most readers know YAML), fixtures with one
    // mistake before those with several.
    fixtures.sort_by_key(|(name, _, diagnostics)| {
        (!name.ends_with(".yaml"), diagnostics.len(), name.clone())
    });
    fixtures.extend(unreadable_examples());
    fixtures.extend(rehearsal_examples());
    let mut out = String::new();
    for &code in Code::ALL {
        out.push_str(&format!(
            "### `{}`\n\n{}.\n\n",
            code.name(),
            capitalise(code.summary())
        ));
        match example(code, &fixtures) {
            Some((name, rendered)) => {
                out.push_str(&format!(
                    "Example, from `{name}`:\n\n```text\n{}\n```\n\n",
                    rendered.trim_end()
                ));
            }
            None => panic!(
                "no fixture shows {}: add one under tests/fixtures/bad",
                code.name()
            ),
        }
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[test]
fn diagnostics_doc_lists_every_code_with_an_example() {
    let path = root().join("docs/diagnostics.md");
    let doc = std::fs::read_to_string(&path).expect("docs/diagnostics.md exists");
    let (Some(begin), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/diagnostics.md lacks the {BEGIN} / {END} markers");
    };
    let generated = generate();
    let current = &doc[begin + BEGIN.len()..end];
    let wanted = format!("\n{generated}");
    if current != wanted {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{BEGIN}{wanted}{}", &doc[..begin], &doc[end..]);
            std::fs::write(&path, updated).expect("docs/diagnostics.md is writable");
        } else {
            panic!("docs/diagnostics.md is out of date: run `UPDATE_DOCS=1 cargo test --test integration diagnostics_doc`");
        }
    }
}
