//! The playbook a `playbook` step calls, read and checked from the
//! calling playbook's directory: what a rehearsal scripts under
//! `CALL.STEP` and what `runbook plan` shows of its gates.

use runbook_dsl::ast::Action as StepAction;
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use std::path::Path;
use std::sync::Arc;

/// Whether the step at `index` calls a playbook.
pub fn is_call(plan: &Plan, index: usize) -> bool {
    plan.step_plan(index).capabilities.calls_playbook
}

/// The checked playbook the `playbook` step at `index` calls, when its
/// path is written out (not a template) and it checks.
pub fn called_plan(plan: &Plan, index: usize, catalog: &dyn Catalog) -> Result<Arc<Plan>, String> {
    let step = plan.step(index).0;
    let id = &step.id.value;
    let StepAction::Kind { params, .. } = &step.action else {
        return Err(format!("`{id}` is a `{}` step", step.action.kind_name()));
    };
    if !is_call(plan, index) {
        return Err(format!("`{id}` is a `{}` step", step.action.kind_name()));
    }
    let Some(path) = runbook_dsl::analyze::static_call_path(params) else {
        return Err(format!(
            "the playbook `{id}` calls is known only at run time (its path is a template)"
        ));
    };
    let dir = Path::new(plan.file().name())
        .parent()
        .unwrap_or(Path::new(""));
    let target = dir.join(path);
    let file = runbook_dsl::load::read(&target)
        .map_err(|unreadable| unreadable.diagnostic.message.clone())?;
    let checked = runbook_dsl::load::check(file, catalog);
    checked.plan.map(Arc::new).ok_or_else(|| {
        format!(
            "{} does not check (`runbook check {}` shows why)",
            target.display(),
            target.display()
        )
    })
}
