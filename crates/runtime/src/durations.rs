//! A step's durations when they run: a literal as written, a template
//! (`timeout: "{{inputs.wait}}"`, `wait: "{{inputs.settle}}"`) rendered
//! from the step's scope. What it renders is a duration as written (`5m`)
//! or a number of seconds (what a `duration` input or value is at run
//! time), read by `runbook_dsl::duration::rendered_duration` as the checker
//! reads one whose values are known at check time.

use runbook_dsl::ast::Step;
use runbook_dsl::expr::Env;
use runbook_dsl::plan::{DurationField, StepPlan};
use runbook_dsl::source::Span;
use runbook_dsl::template::{self, Quoting, Template};
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
    render(field.name(), parsed, env)
}

/// Renders every templated duration of `step`, so that one that does not
/// render a duration fails the step before anything happens (its gate
/// included); the error is at the field.
pub fn check_all(step: &Step, plan: &StepPlan, env: &dyn Env) -> Result<(), (String, Span)> {
    for field in DurationField::ALL {
        if let Err(message) = resolve(step, plan, field, env) {
            let span = field.of(step).map(|d| d.span).unwrap_or(step.id.span);
            return Err((message, span));
        }
    }
    Ok(())
}

/// Renders the templated duration written as `name`: `Ok(None)` when it
/// reads a value not known (a dry-run's), else the duration, or an error
/// naming the field and the text rendered.
pub fn render(name: &str, parsed: &Template, env: &dyn Env) -> Result<Option<Duration>, String> {
    let Some(text) = template::fill_known(parsed, env, Quoting::None)
        .map_err(|e| format!("`{name}`: {}", e.message))?
    else {
        return Ok(None);
    };
    let trimmed = text.trim();
    runbook_dsl::duration::rendered_duration(trimmed)
        .map(Some)
        .map_err(|why| format!("`{name}` is `{trimmed}`, which is not a duration: {why}"))
}
