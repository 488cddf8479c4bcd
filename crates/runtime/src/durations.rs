//! A step's durations when they run: a literal as written, a template
//! (`timeout: "{{inputs.wait}}"`) rendered from the step's scope. What it
//! renders is a duration as written (`5m`) or a number of seconds (what a
//! `duration` input or value is at run time).

use runbook_dsl::ast::Step;
use runbook_dsl::expr::{Env, Lookup};
use runbook_dsl::plan::{DurationField, StepPlan};
use runbook_dsl::template::{self, Quoting};
use std::time::Duration;

/// The duration `field` of `step`, `Ok(None)` when not written or (in a
/// dry-run) not known; the error says what was rendered and why it is not
/// a duration.
pub fn resolve(
    step: &Step,
    plan: &StepPlan,
    field: DurationField,
    env: &dyn Env,
) -> Result<Option<Duration>, String> {
    let Some(lit) = field.of(step) else {
        return Ok(None);
    };
    if lit.template.is_none() {
        return Ok(Some(lit.value));
    }
    let Some((_, parsed)) = plan.durations.iter().find(|(f, _)| *f == field) else {
        return Ok(None);
    };
    for insertion in parsed.insertions() {
        if let Ok(Lookup::Unknown) = insertion.lookup(env) {
            return Ok(None);
        }
    }
    let name = field.name();
    let text = template::fill(parsed, env, Quoting::None)
        .map_err(|e| format!("`{name}`: {}", e.message))?;
    let trimmed = text.trim();
    if let Ok(seconds) = trimmed.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map(Some)
            .map_err(|_| format!("`{name}` is `{trimmed}`, which is not a duration"));
    }
    runbook_dsl::duration::parse_duration(trimmed)
        .map(Some)
        .map_err(|why| format!("`{name}` is `{trimmed}`, which is not a duration: {why}"))
}
