//! Every dependency a `Cargo.toml` of the workspace declares is named by that
//! crate's sources (`use name`, `name::`, `name!`): what cargo-machete checks,
//! without installing it (building it from crates.io takes minutes in CI).
//! Stricter than machete on one point: a `[dependencies]` entry must be named
//! in `src/`, since one used only by tests or benches belongs in
//! `[dev-dependencies]`.

use crate::support::{rust_files, workspace_crates};
use std::path::Path;

/// The dependency sections of a manifest that must all be used.
const SECTIONS: &[&str] = &[
    "[dependencies]",
    "[dev-dependencies]",
    "[build-dependencies]",
];

/// All Rust sources under `dirs` of `krate`, as one text.
fn sources(krate: &Path, dirs: &[&str]) -> String {
    dirs.iter()
        .flat_map(|d| rust_files(&krate.join(d)))
        .map(|f| std::fs::read_to_string(f).expect("source"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `(section, name)` of every dependency declared in `manifest`.
fn declared(manifest: &str) -> Vec<(&'static str, String)> {
    let mut names = Vec::new();
    let mut section = None;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = SECTIONS.iter().copied().find(|s| *s == line);
            continue;
        }
        let Some(section) = section else {
            continue;
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line
            .split(['=', '.', ' '])
            .next()
            .unwrap_or_default()
            .trim();
        if !name.is_empty() {
            names.push((section, name.to_string()));
        }
    }
    names
}

/// Whether `source` names the crate `ident` as a path root, a `use`, a macro
/// or an `extern crate`, not as the tail of a longer identifier.
fn names_crate(source: &str, ident: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    source.match_indices(ident).any(|(at, _)| {
        let prior = &source[..at];
        let after = &source[at + ident.len()..];
        if prior.chars().next_back().is_some_and(is_ident)
            || after.chars().next().is_some_and(is_ident)
        {
            return false;
        }
        let keyword = prior.trim_end();
        let keyword_is = |word: &str| {
            keyword
                .strip_suffix(word)
                .is_some_and(|before| before.is_empty() || before.ends_with(|c: char| !is_ident(c)))
        };
        after.starts_with("::")
            || after.starts_with('!')
            || keyword_is("use")
            || keyword_is("extern crate")
    })
}

#[test]
fn every_declared_dependency_is_used() {
    let mut unused = Vec::new();
    for krate in workspace_crates() {
        let manifest = krate.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
        let library = sources(&krate, &["src", "build.rs"]);
        let all = sources(&krate, &["src", "build.rs", "tests", "benches"]);
        for (section, name) in declared(&text) {
            let searched = if section == "[dependencies]" {
                &library
            } else {
                &all
            };
            if !names_crate(searched, &name.replace('-', "_")) {
                unused.push(format!("{} {section}: {name}", manifest.display()));
            }
        }
    }
    assert!(
        unused.is_empty(),
        "declared but never named in the crate's sources (remove them):\n{}",
        unused.join("\n")
    );
}

#[test]
fn the_check_sees_through_look_alikes() {
    let manifest = "[package]\nname = \"x\"\n\n[dependencies]\nserde.workspace = true\n\
                    tokio-util = \"0.7\"\n# a comment\n\n[dev-dependencies]\nlibc = { version = \"0.2\" }\n\
                    \n[profile.release]\ndebug = 1\n";
    let names: Vec<_> = declared(manifest)
        .into_iter()
        .map(|(section, name)| format!("{section} {name}"))
        .collect();
    assert_eq!(
        names,
        [
            "[dependencies] serde",
            "[dependencies] tokio-util",
            "[dev-dependencies] libc"
        ]
    );
    assert!(names_crate("use serde::Serialize;", "serde"));
    assert!(names_crate("let x = tokio_util::sync::X;", "tokio_util"));
    assert!(names_crate("#[tokio::main]", "tokio"));
    assert!(names_crate("extern crate libc;", "libc"));
    assert!(names_crate("json!({})", "json"));
    assert!(!names_crate("use serde_json::Value;", "serde"));
    assert!(!names_crate("my_serde::x()", "serde"));
    assert!(!names_crate("// serde is not used", "serde"));
    assert!(!names_crate("reuse serde", "serde"));
    assert!(!names_crate("use serdex::A;", "serde"));
}
