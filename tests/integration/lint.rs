//! `runbook lint`: every rule has a failing and a passing fixture under
//! tests/fixtures/lint/<rule>/, the failing one snapshotted as rendered;
//! the seed playbooks lint clean; docs/lint.md is generated from the rules
//! and the fixtures (`UPDATE_DOCS=1` rewrites it); runbook.toml and the
//! per-step allow annotation are honoured by the binary.

use crate::support::{check, playbooks_under, root};
use assert_cmd::Command;
use predicates::prelude::*;
use runbook_dsl::diagnostic::{render, RenderStyle};
use runbook_dsl::lint::{self, LintConfig, LintRule};
use runbook_dsl::{Code, Diagnostic, Severity};
use std::path::Path;

fn lint_file(path: &Path) -> (runbook_dsl::SourceFile, Vec<Diagnostic>) {
    let checked = check(path);
    let plan = checked.plan.as_ref().unwrap_or_else(|| {
        panic!(
            "{} does not check:\n{}",
            path.display(),
            crate::support::rendered(&checked)
        )
    });
    let mut diagnostics = checked.diagnostics.clone();
    diagnostics.extend(lint::lint(
        plan,
        runbook_stdlib::builtin(),
        &LintConfig::default(),
    ));
    (checked.file, diagnostics)
}

fn fixture(rule: LintRule, side: &str) -> std::path::PathBuf {
    root().join(format!(
        "tests/fixtures/lint/{}/{side}.yaml",
        rule.short_name()
    ))
}

#[test]
fn every_rule_fails_its_bad_fixture_and_passes_its_good_one() {
    for &rule in LintRule::ALL {
        let (file, bad) = lint_file(&fixture(rule, "bad"));
        assert!(
            bad.iter().any(|d| d.code == Code::Lint(rule)),
            "{} does not report {}:\n{}",
            file.name(),
            rule.name(),
            render(&file, &bad, RenderStyle::Plain)
        );
        let (good_file, good) = lint_file(&fixture(rule, "good"));
        assert!(
            good.is_empty(),
            "{} is not clean:\n{}",
            good_file.name(),
            render(&good_file, &good, RenderStyle::Plain)
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root().join("tests/snapshots/lint"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(rule.short_name(), render(&file, &bad, RenderStyle::Plain))
        });
    }
}

#[test]
fn every_fixture_folder_is_a_rule() {
    for entry in std::fs::read_dir(root().join("tests/fixtures/lint"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            LintRule::parse(&name).is_some(),
            "{name} is not a lint rule"
        );
    }
}

#[test]
fn the_seed_playbooks_lint_clean() {
    for path in playbooks_under(&root().join("playbooks")) {
        let (file, diagnostics) = lint_file(&path);
        assert!(
            diagnostics.is_empty(),
            "{}:\n{}",
            file.name(),
            render(&file, &diagnostics, RenderStyle::Plain)
        );
    }
}

#[test]
fn a_config_turns_rules_off_and_changes_severities() {
    let path = fixture(LintRule::WriteWithoutTimeout, "bad");
    let checked = check(&path);
    let plan = checked.plan.unwrap();
    let mut config = LintConfig::default();
    config.set(LintRule::WriteWithoutTimeout, Some(Severity::Error));
    let found = lint::lint(&plan, runbook_stdlib::builtin(), &config);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Error);
    config.set(LintRule::WriteWithoutTimeout, None);
    assert!(lint::lint(&plan, runbook_stdlib::builtin(), &config).is_empty());
}

const BEGIN: &str = "<!-- rules:begin -->";
const END: &str = "<!-- rules:end -->";

fn generate() -> String {
    let mut out = String::new();
    for &rule in LintRule::ALL {
        let severity = match rule.default_severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let (file, diagnostics) = lint_file(&fixture(rule, "bad"));
        let example: Vec<Diagnostic> = diagnostics
            .into_iter()
            .filter(|d| d.code == Code::Lint(rule))
            .take(1)
            .collect();
        out.push_str(&format!(
            "### `{}`\n\nDefault severity: {severity}. Why: {}.\n\nExample, from `{}` (passing version: `{}`):\n\n```text\n{}\n```\n\n",
            rule.name(),
            rule.rationale(),
            file.name(),
            file.name().replace("bad.yaml", "good.yaml"),
            render(&file, &example, RenderStyle::Plain).trim_end()
        ));
    }
    out
}

#[test]
fn lint_doc_lists_every_rule_with_an_example() {
    let path = root().join("docs/lint.md");
    let doc = std::fs::read_to_string(&path).expect("docs/lint.md exists");
    let (Some(begin), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/lint.md lacks the {BEGIN} / {END} markers");
    };
    let wanted = format!("\n{}", generate());
    if doc[begin + BEGIN.len()..end] != wanted {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{BEGIN}{wanted}{}", &doc[..begin], &doc[end..]);
            std::fs::write(&path, updated).expect("docs/lint.md is writable");
        } else {
            panic!("docs/lint.md is out of date: run `UPDATE_DOCS=1 cargo test --test integration lint_doc`");
        }
    }
}

fn runbook(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("runbook").expect("binary builds");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

#[test]
fn lint_exit_codes() {
    let r = root();
    runbook(&r)
        .args(["lint", "tests/fixtures/lint/ungated_write/bad.yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("lint::ungated_write"));
    // Warnings only: success.
    runbook(&r)
        .args(["lint", "tests/fixtures/lint/write_without_timeout/bad.yaml"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("lint::write_without_timeout"));
    runbook(&r)
        .args(["lint", "tests/fixtures/bad/unknown_step.yaml"])
        .assert()
        .code(2);
    runbook(&r)
        .args([
            "lint",
            "--format",
            "json",
            "tests/fixtures/lint/raw_shell_insertion/bad.yaml",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\"code\":\"lint::raw_shell_insertion\"",
        ));
}

#[test]
fn runbook_toml_is_found_above_the_playbook() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("ops/playbooks");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(
        fixture(LintRule::WriteWithoutTimeout, "bad"),
        nested.join("migrate.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("runbook.toml"),
        "[lint.rules]\nwrite_without_timeout = \"error\"\n",
    )
    .unwrap();
    runbook(dir.path())
        .args(["lint", "ops/playbooks/migrate.yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "× the write step `migrate` has no timeout",
        ));
    std::fs::write(
        dir.path().join("runbook.toml"),
        "[lint.rules]\nwrite_without_timeout = \"off\"\n",
    )
    .unwrap();
    runbook(dir.path())
        .args(["lint", "ops/playbooks/migrate.yaml"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("no problems"));
    std::fs::write(
        dir.path().join("runbook.toml"),
        "[lint.rules]\nnope = \"off\"\n",
    )
    .unwrap();
    runbook(dir.path())
        .args(["lint", "ops/playbooks/migrate.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown lint rule `nope`"));
}

fn codes(path: &Path) -> Vec<(Code, String)> {
    let (_, diagnostics) = lint_file(path);
    diagnostics
        .into_iter()
        .map(|d| (d.code, d.message))
        .collect()
}

/// Issue 11, item 15: `secret: false` silences `secret_output_unmasked`;
/// `on_call_without_description` is not asked of steps whose own text says
/// what they are for (manual, ask, branch, log, an assert with a message);
/// a k8s write needs a `timeout` (the kind's own bounds only
/// `rollout_status`) while an http write is bounded by its own; `runbook
/// doc` labels "(secret)" only outputs that are masked as such.
#[test]
fn issue11_item15_lint_rules_and_doc_labels_say_what_is_true() {
    let secret = fixture(LintRule::SecretOutputUnmasked, "good");
    let text = std::fs::read_to_string(&secret).unwrap();
    assert!(text.contains("secret: false"), "the fixture declares one");
    assert_eq!(codes(&secret), vec![]);

    let on_call = fixture(LintRule::OnCallWithoutDescription, "good");
    assert_eq!(codes(&on_call), vec![]);
    assert_eq!(
        codes(&fixture(LintRule::OnCallWithoutDescription, "bad")),
        vec![(
            Code::Lint(LintRule::OnCallWithoutDescription),
            "the step `errors` has no description".to_string()
        )]
    );

    let k8s = root().join("tests/fixtures/lint/write_without_timeout/k8s_write.yaml");
    let (file, found) = lint_file(&k8s);
    let shown = render(&file, &found, RenderStyle::Plain);
    assert_eq!(
        codes(&k8s),
        vec![(
            Code::Lint(LintRule::WriteWithoutTimeout),
            "the write step `scale` has no timeout".to_string()
        )],
        "{shown}"
    );
    assert!(
        shown.contains("applies only to `rollout_status`"),
        "{shown}"
    );
    assert_eq!(
        codes(&fixture(LintRule::WriteWithoutTimeout, "good")),
        vec![]
    );

    let playbook = "name: session\ninputs:\n  token: {type: string, secret: true, env: API_TOKEN}\nsteps:\n  - id: login\n    http:\n      url: https://api.example.com/session\n      headers:\n        Authorization: Bearer {{inputs.token}}\n    outputs:\n      session: {from: body, secret: true}\n      count: {from: status, type: int}\n      code: {from: status, secret: false}\n      body: {from: body}\n";
    let checked = runbook_dsl::load::check(
        runbook_dsl::SourceFile::new("session.yaml", playbook),
        runbook_stdlib::builtin(),
    );
    let doc = runbook_dsl::doc::markdown(checked.plan.as_ref().expect("checks"));
    let captures = doc
        .lines()
        .find(|l| l.starts_with("Captures "))
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(
        captures,
        "Captures `session` (secret), `count`, `code`, `body` (masked if it holds a secret: its step reads one)."
    );
}

/// A secret used only to open a connection (`sql`'s and `prometheus`'s
/// `url`) cannot reach the step's outputs: `secret_output_unmasked` stays
/// quiet there and on what reads them, and fires where a secret is also a
/// query parameter, and downstream of that.
#[test]
fn a_secret_connection_url_alone_does_not_make_outputs_secret() {
    let dir = root().join("tests/fixtures/lint/secret_output_unmasked");
    let secret_lints = |path: &Path| -> Vec<(Code, String)> {
        codes(path)
            .into_iter()
            .filter(|(code, _)| *code == Code::Lint(LintRule::SecretOutputUnmasked))
            .collect()
    };
    let quiet = dir.join("connection_only.yaml");
    let (file, found) = lint_file(&quiet);
    assert_eq!(
        secret_lints(&quiet),
        vec![],
        "{}",
        render(&file, &found, RenderStyle::Plain)
    );
    let loud = dir.join("connection_and_query.yaml");
    assert_eq!(
        secret_lints(&loud),
        vec![
            (
                Code::Lint(LintRule::SecretOutputUnmasked),
                "the output `first` of `session` may carry a secret the step reads".to_string()
            ),
            (
                Code::Lint(LintRule::SecretOutputUnmasked),
                "the output `line` of `echo` may carry a secret the step reads".to_string()
            ),
        ]
    );
    let (file, found) = lint_file(&loud);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/lint"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(
            "secret_output_unmasked_connection_and_query",
            render(&file, &found, RenderStyle::Plain)
        )
    });
}

/// `runbook doc` marks "(masked if it holds a secret…)" only outputs that
/// can hold text: an output of an int result (`status`, `row_count`) with
/// no declared type is a number, which is never masked as derived.
#[test]
fn doc_does_not_mark_inferred_numbers_as_maybe_secret() {
    let playbook = "name: session\ninputs:\n  token: {type: string, secret: true, env: API_TOKEN}\nsteps:\n  - id: login\n    http:\n      url: https://api.example.com/session\n      headers:\n        Authorization: Bearer {{inputs.token}}\n    outputs:\n      code: {from: status}\n      cut: {from: truncated}\n      took: {from: elapsed_ms}\n      body: {from: body}\n      picked: {json: $.id}\n";
    let checked = runbook_dsl::load::check(
        runbook_dsl::SourceFile::new("session.yaml", playbook),
        runbook_stdlib::builtin(),
    );
    let doc = runbook_dsl::doc::markdown(checked.plan.as_ref().expect("checks"));
    let captures = doc
        .lines()
        .find(|l| l.starts_with("Captures "))
        .unwrap_or_else(|| panic!("{doc}"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/lint"));
    settings.set_prepend_module_to_snapshot(false);
    settings
        .bind(|| insta::assert_snapshot!("doc_inferred_numbers_are_not_maybe_secret", captures));
}

/// A call with no approval to a playbook whose destructive step asks no
/// one is `ungated_write` in the caller, where its reviewer looks, and
/// `plan` lists that step under the call. With an approval on the call, or
/// a gate on the called step, neither.
#[test]
fn a_call_to_an_ungated_destructive_step_is_said_in_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sub.yaml"),
        "steps:\n  - id: wipe\n    shell: rm -rf ./data\n    effect: destructive\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("gated.yaml"),
        "steps:\n  - id: wipe\n    approval: Wipe?\n    shell: rm -rf ./data\n    effect: destructive\n",
    )
    .unwrap();
    let caller = |path: &str, approval: &str| {
        let p = dir.path().join("p.yaml");
        std::fs::write(
            &p,
            format!("steps:\n  - id: call\n{approval}    playbook: {path}\n"),
        )
        .unwrap();
        let (_, diagnostics) = lint_file(&p);
        diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        caller("sub.yaml", ""),
        ["`call` calls `sub.yaml`, whose destructive step `wipe` runs without approval"]
    );
    assert!(caller("sub.yaml", "    approval: Wipe it all?\n").is_empty());
    assert!(caller("gated.yaml", "").is_empty());
    caller("sub.yaml", "");
    Command::cargo_bin("runbook")
        .unwrap()
        .current_dir(dir.path())
        .args(["plan", "p.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "▲ call.wipe [destructive, NO gate, in the playbook it calls]",
        ));
}
