use super::OK;

/// `runbook schema`: the JSON Schema of YAML playbooks, from the model's
/// field lists and the built-in kinds, pretty-printed to stdout.
pub fn run() -> i32 {
    let schema = runbook_dsl::schema::json_schema(runbook_stdlib::builtin());
    println!(
        "{}",
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    );
    OK
}
