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

/// Issue 11, item 14: in `.runbook` every expression is bare, `assert` and
/// `that` included, and reads as its YAML twin does; the quoted form of
/// `assert` is a warning with a code, a span and the bare form as its fix,
/// which `runbook fmt` applies; a quoted `when` and a comparison where a
/// value belongs get hints that say what to do.
#[test]
fn issue11_item14_runbook_expressions_are_bare_everywhere() {
    use assert_cmd::Command;
    let bare = "playbook fixture\nstep probe {\n  shell \"curl -fsS http://localhost/health\"\n}\nstep healthy {\n  needs probe\n  assert steps.probe.exit_code == 0 && steps.probe.stdout != \"\"\n}\nstep ready {\n  needs probe\n  assert {\n    that steps.probe.stdout matches \"ready\"\n    message \"The service is up but not ready.\"\n  }\n}\n";
    let yaml = "name: fixture\nsteps:\n  - id: probe\n    shell: curl -fsS http://localhost/health\n  - id: healthy\n    needs: [probe]\n    assert: 'steps.probe.exit_code == 0 && steps.probe.stdout != \"\"'\n  - id: ready\n    needs: [probe]\n    assert:\n      that: steps.probe.stdout matches \"ready\"\n      message: The service is up but not ready.\n";
    let check_text = |name: &str, text: &str| {
        runbook_dsl::load::check(
            runbook_dsl::SourceFile::new(name, text),
            runbook_stdlib::builtin(),
        )
    };
    let from_runbook = check_text("bare.runbook", bare);
    assert!(
        from_runbook.diagnostics.is_empty(),
        "{:?}",
        from_runbook.diagnostics
    );
    let from_yaml = check_text("bare.yaml", yaml);
    assert_eq!(
        runbook_dsl::draw::text(from_runbook.plan.as_ref().unwrap()),
        runbook_dsl::draw::text(from_yaml.plan.as_ref().unwrap())
    );

    // The quoted form: a warning with its fix, in JSON for editors.
    let runbook = || {
        let mut cmd = Command::cargo_bin("runbook").unwrap();
        cmd.current_dir(root()).env("NO_COLOR", "1");
        cmd
    };
    let out = runbook()
        .args([
            "check",
            "--format",
            "json",
            "tests/fixtures/bad/quoted_expression.runbook",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let first = &lines[0];
    assert_eq!(first["code"], "runbook::quoted_expression");
    assert_eq!(first["severity"], "warning");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(8), Some(10))
    );
    assert_eq!(
        first["fix"]["replacement"],
        "steps.probe.exit_code == 0 && steps.probe.stdout != \"\""
    );
    // `runbook fmt` applies the fixes; the result checks clean.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("quoted.runbook");
    std::fs::copy(
        root().join("tests/fixtures/bad/quoted_expression.runbook"),
        &copy,
    )
    .unwrap();
    runbook().arg("fmt").arg(&copy).assert().success();
    let formatted = std::fs::read_to_string(&copy).unwrap();
    assert!(
        formatted.contains("  assert steps.probe.exit_code == 0 && steps.probe.stdout != \"\"\n"),
        "{formatted}"
    );
    assert!(
        formatted.contains("    that steps.probe.stdout matches \"ready\"\n"),
        "{formatted}"
    );
    assert!(
        formatted.contains("  every \"1m 30s\" within 10m until steps.wait_ready.exit_code == 0\n"),
        "{formatted}"
    );
    let refmt = check_text("quoted.runbook", &formatted);
    assert!(refmt.diagnostics.is_empty(), "{:?}", refmt.diagnostics);

    // The hints say what to do.
    let quoted_when = rendered(&check(
        &root().join("tests/fixtures/bad/type_mismatch_quoted_condition.runbook"),
    ));
    assert!(quoted_when.contains("remove the quotes"), "{quoted_when}");
    assert!(!quoted_when.contains("== \"...\""), "{quoted_when}");
    let as_value = rendered(&check(
        &root().join("tests/fixtures/bad/syntax_value_is_an_expression.runbook"),
    ));
    assert!(as_value.contains("bare after `when`"), "{as_value}");
    assert!(!as_value.contains("without `=`"), "{as_value}");
}

/// Output patterns are validated once per distinct text (issue 14: the
/// same pattern on every step was parsed again each time), but a bad
/// pattern is reported at every use, each with its own span, and a valid
/// one seen first does not hide a bad one after it.
#[test]
fn a_repeated_output_pattern_is_reported_at_every_bad_use() {
    let text = r#"name: p
steps:
  - id: a
    shell: "true"
    outputs:
      n:
        regex: (\d+) ok
      m:
        regex: (\d+ bad
  - id: b
    shell: "true"
    outputs:
      n:
        regex: (\d+) ok
      m:
        regex: (\d+ bad
      "$(x)":
        regex: '[`$(rm -rf /)`'
"#;
    let file = runbook_dsl::SourceFile::new("p.yaml".to_string(), text.to_string());
    let checked = runbook_dsl::load::check(file, runbook_stdlib::builtin());
    let bad: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.name() == "runbook::invalid_regex")
        .map(|d| &text[d.primary_span().start..d.primary_span().end])
        .collect();
    assert_eq!(bad.len(), 3, "{checked:#?}");
    assert_eq!(bad[..2], ["(\\d+ bad", "(\\d+ bad"]);
    assert!(bad[2].contains("[`$(rm -rf /)`"), "{bad:?}");
    let starts: Vec<usize> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.name() == "runbook::invalid_regex")
        .map(|d| d.primary_span().start)
        .collect();
    assert_eq!(starts.len(), 3);
    assert!(starts[0] < starts[1], "one diagnostic per use: {starts:?}");
}
