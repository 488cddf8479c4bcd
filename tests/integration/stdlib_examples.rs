//! The examples of docs/stdlib.md ("Running the kinds") check cleanly, in
//! both syntaxes, so the reference cannot drift from the language.

use crate::support::root;

/// `(kind, language, text)` of every fenced example after `## Running the kinds`.
fn examples() -> Vec<(String, String, String)> {
    let doc = std::fs::read_to_string(root().join("docs/stdlib.md")).expect("docs/stdlib.md");
    let section = &doc[doc.find("## Running the kinds").expect("the section")..];
    let mut out = Vec::new();
    let mut kind = String::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(k) = line.strip_prefix("### `") {
            kind = k.trim_end_matches('`').to_string();
        } else if let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) {
            let text: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            out.push((kind.clone(), lang.to_string(), text.join("\n") + "\n"));
        }
    }
    out
}

#[test]
fn every_kind_example_checks_in_both_syntaxes() {
    let examples = examples();
    let dir = tempfile::tempdir().unwrap();
    // The playbook example calls this file.
    let called = examples
        .iter()
        .find(|(_, _, t)| t.starts_with("name: start-here"))
        .expect("the called playbook");
    std::fs::write(dir.path().join("start-here.yaml"), &called.2).unwrap();
    let mut checked = 0;
    for kind in [
        "shell",
        "http",
        "k8s",
        "prometheus",
        "sql",
        "notify",
        "playbook",
    ] {
        for lang in ["yaml", "runbook"] {
            let (_, _, text) = examples
                .iter()
                .find(|(k, l, _)| k == kind && l == lang)
                .unwrap_or_else(|| panic!("no {lang} example for {kind}"));
            let file = dir.path().join(format!("{kind}.{lang}"));
            std::fs::write(&file, text).unwrap();
            let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
                .arg("check")
                .arg(&file)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{kind}.{lang}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 14);
}
