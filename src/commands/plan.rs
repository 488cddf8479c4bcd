use super::{load, INVALID, OK};
use std::path::Path;

/// `runbook plan FILE`: every path through the branches; executes nothing.
pub fn run(path: &Path, input: &[String]) -> i32 {
    let checked = load(path);
    crate::diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    let mut known = serde_json::Map::new();
    for pair in input {
        match crate::inputs::split_pair(pair, "--input") {
            Ok((k, v)) => {
                known.insert(k, serde_json::Value::String(v));
            }
            Err(e) => {
                eprintln!("runbook plan: {e}");
                return INVALID;
            }
        }
    }
    let paths = runbook_runtime::plan_paths::enumerate(&plan, &known);
    let called = runbook_runtime::plan_paths::called_gates(&plan, runbook_stdlib::builtin());
    print!(
        "{}",
        runbook_runtime::plan_paths::text(&plan, &paths, &called)
    );
    OK
}
