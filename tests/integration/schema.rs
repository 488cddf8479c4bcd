//! `runbook schema`: every YAML playbook in the repository validates against
//! the JSON Schema, and the bad fixtures that are structural mistakes fail it.

use crate::support::{playbooks_under, root};
use assert_cmd::Command;
use std::path::Path;

fn validator() -> jsonschema::Validator {
    let schema = runbook_dsl::schema::json_schema(runbook_stdlib::builtin());
    jsonschema::draft202012::new(&schema).expect("the schema is a valid draft 2020-12 schema")
}

fn instance(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml_files(dir: &str) -> Vec<std::path::PathBuf> {
    playbooks_under(&root().join(dir))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect()
}

#[test]
fn every_yaml_playbook_in_the_repository_validates() {
    let validator = validator();
    let mut files = yaml_files("playbooks");
    for dir in [
        "tests/fixtures/good",
        "tests/fixtures/diff",
        "tests/fixtures/lint",
    ] {
        files.extend(yaml_files(dir));
    }
    assert!(files.len() > 40, "found only {}", files.len());
    for path in files {
        let errors: Vec<String> = validator
            .iter_errors(&instance(&path))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn structural_mistakes_fail_the_schema() {
    let validator = validator();
    for name in [
        "unknown_field",
        "wrong_type",
        "missing_kind",
        "multiple_kinds",
        "unknown_kind",
        "unknown_param",
        "missing_param",
        "invalid_effect",
        "missing_id",
        "missing_steps",
        "invalid_id",
        "retry_out_of_range",
        "invalid_duration",
        "invalid_output_cap",
    ] {
        let path = root().join(format!("tests/fixtures/bad/{name}.yaml"));
        assert!(
            !validator.is_valid(&instance(&path)),
            "{name}.yaml passes the schema"
        );
    }
}

#[test]
fn the_cli_prints_the_schema() {
    let out = Command::cargo_bin("runbook")
        .unwrap()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let schema: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema["$defs"]["step"]["properties"]["shell"].is_object());
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let path = root().join("docs/playbook.schema.json");
    let schema = runbook_dsl::schema::json_schema(runbook_stdlib::builtin());
    let wanted = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap());
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != wanted {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, wanted).unwrap();
        } else {
            panic!("docs/playbook.schema.json is out of date: run `UPDATE_DOCS=1 cargo test --test integration schema`");
        }
    }
}

/// What `check` accepts, the schema accepts: a number or a boolean where a
/// template or an argv element is expected is its text (`[SCAN, 0]`).
#[test]
fn scalars_where_text_is_expected_pass_the_schema_as_they_pass_check() {
    let validator = validator();
    let playbook = "name: scalars\nsteps:\n  - id: scan\n    redis: [SCAN, 0, COUNT, 100]\n  - id: argv\n    shell: [sleep, 1]\n  - id: note\n    log: 42\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.yaml");
    std::fs::write(&path, playbook).unwrap();
    assert!(validator.is_valid(&instance(&path)));
    let checked = std::process::Command::new(crate::running::binary())
        .args(["check", &path.to_string_lossy()])
        .output()
        .unwrap();
    assert!(checked.status.success(), "{checked:?}");
}
