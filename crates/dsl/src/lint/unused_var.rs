//! `lint::unused_var`: a computed value nothing reads. It is often what is
//! left of a removed branch case (the condition that chose a destructive
//! step) or step, so the finding points a reviewer at what it decided.

use super::{new, with_rule, LintRule};
use crate::diagnostic::Diagnostic;
use crate::plan::Plan;

/// Computed values that no step reads (directly, or through another value
/// a step reads) and the playbook's `output_cap` does not either.
pub(super) fn unused_vars(plan: &Plan) -> Vec<Diagnostic> {
    let vars = plan.vars();
    let mut used = vec![false; vars.len()];
    for i in 0..plan.len() {
        for &v in &plan.step_plan(i).vars {
            if let Some(u) = used.get_mut(v) {
                *u = true;
            }
        }
    }
    let by_cap: Vec<&str> = plan
        .output_cap()
        .map(|t| t.paths())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.starts_with(&["vars"]))
        .filter_map(|p| p.key(1))
        .collect();
    let mut found = Vec::new();
    for (v, var) in vars.iter().enumerate() {
        if used[v] || by_cap.contains(&var.name.as_str()) {
            continue;
        }
        let Some(declared) = plan
            .playbook()
            .vars
            .iter()
            .find(|d| d.name.value == var.name)
        else {
            continue;
        };
        found.push(with_rule(
            LintRule::UnusedVar,
            new(format!("nothing reads the computed value `{}`", var.name))
                .label(declared.name.span, "computed, never read")
                .help(format!(
                    "read it (`vars.{0}` in an expression, `{{{{vars.{0}}}}}` in a template), or remove it; if a branch case that read it was removed, check what that case chose",
                    var.name
                )),
        ));
    }
    found
}
