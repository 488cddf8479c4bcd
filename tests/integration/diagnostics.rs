//! Every bad fixture (one mistake each, named after it, in both syntaxes, plus
//! some with several) renders the diagnostics snapshotted next to it.

use crate::support::{check, playbooks_under, rendered, root, snapshot_name};

#[test]
fn bad_fixtures_render_their_diagnostics() {
    let base = root().join("tests/fixtures/bad");
    let files = playbooks_under(&base);
    assert!(
        files.len() >= 40,
        "expected at least 40 bad fixtures, found {}",
        files.len()
    );
    for path in files {
        let checked = check(&path);
        assert!(
            checked.has_errors() || !checked.diagnostics.is_empty(),
            "{} is a bad fixture but checks clean",
            path.display()
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root().join("tests/snapshots/diagnostics"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&path);
        settings.bind(|| insta::assert_snapshot!(snapshot_name(&path, &base), rendered(&checked)));
    }
}

#[test]
fn a_mistake_reads_the_same_in_both_syntaxes() {
    // Fixtures written in both syntaxes must report the same codes and messages.
    let base = root().join("tests/fixtures/bad");
    for yaml in playbooks_under(&base)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let twin = yaml.with_extension("runbook");
        if !twin.exists() {
            continue;
        }
        let summary = |path: &std::path::Path| -> Vec<(String, String)> {
            check(path)
                .diagnostics
                .iter()
                .map(|d| (d.code.name().to_string(), d.message.clone()))
                .collect()
        };
        assert_eq!(
            summary(&yaml),
            summary(&twin),
            "{} and its .runbook twin differ",
            yaml.display()
        );
    }
}
