//! Which output cap a step runs with, and what set it. The author knows
//! which steps are large (`kubectl logs`, `pg_dump`) and which are small
//! (`curl` of a health check), so a playbook sets `output_cap:` for its
//! steps and a step for itself; the operator's `--output-cap`, given on the
//! command line, is a bound for this machine and this run, so it lowers an
//! author's cap and never raises it (see docs/semantics.md, "Output caps").
//! What set the cap is named in the marker of a cut result, so that a
//! truncated result in the journal or a report says which field or flag to
//! change.

use runbook_dsl::ast::{Playbook, Step};
use runbook_dsl::expr::Env;
use runbook_dsl::plan::{Plan, StepPlan};
use runbook_dsl::size::{parse_output_cap, write_size, DEFAULT_OUTPUT_CAP};
use runbook_dsl::source::Span;
use runbook_dsl::template::{self, Quoting};
use std::fmt;

/// What set an output cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CapSource {
    /// Neither the playbook nor the command line set one.
    Default,
    /// `--output-cap` on the command line.
    Flag,
    /// `--output-cap` of the run a `resume` continues (journaled in its
    /// `run_started`), kept because the resume gave none lower.
    InterruptedFlag,
    /// The `output_cap` of a playbook (by name, or file name without one).
    Playbook(String),
    /// The `output_cap` of a step (by id).
    Step(String),
}

impl fmt::Display for CapSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapSource::Default => f.write_str("the default of `--output-cap`"),
            CapSource::Flag => f.write_str("`--output-cap`"),
            CapSource::InterruptedFlag => f.write_str("`--output-cap` of the run before `resume`"),
            CapSource::Playbook(name) => write!(f, "`output_cap` of playbook `{name}`"),
            CapSource::Step(id) => write!(f, "`output_cap` of step `{id}`"),
        }
    }
}

/// The bytes kept of each output stream and large result of a step, and
/// what set that number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputCap {
    pub bytes: usize,
    pub set_by: CapSource,
}

impl OutputCap {
    pub fn new(bytes: usize, set_by: CapSource) -> OutputCap {
        OutputCap { bytes, set_by }
    }

    /// ``1MiB (1048576 bytes), set by `--output-cap` ``: how a message or
    /// a marker line names the cap.
    pub fn describe(&self) -> String {
        let size = write_size(self.bytes as u64);
        if size.ends_with(" bytes") {
            format!("{size}, set by {}", self.set_by)
        } else {
            format!("{size} ({} bytes), set by {}", self.bytes, self.set_by)
        }
    }
}

impl Default for OutputCap {
    fn default() -> OutputCap {
        OutputCap::new(DEFAULT_OUTPUT_CAP as usize, CapSource::Default)
    }
}

/// The caps of a run: the one a step gets when neither it nor its
/// playbook sets one, and the operator's bound, if given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputCaps {
    /// For steps whose playbook sets no cap: `--output-cap` or its
    /// default; in a called playbook, the calling step's cap.
    pub default: OutputCap,
    /// `--output-cap` given on the command line: no step keeps more.
    pub ceiling: Option<OutputCap>,
}

impl OutputCaps {
    /// The caps of a run started from the command line: `flag` is
    /// `--output-cap` when it was given.
    pub fn from_flag(flag: Option<usize>) -> OutputCaps {
        match flag {
            Some(bytes) => {
                let cap = OutputCap::new(bytes, CapSource::Flag);
                OutputCaps {
                    default: cap.clone(),
                    ceiling: Some(cap),
                }
            }
            None => OutputCaps::default(),
        }
    }

    /// The caps of a resumed run: `journaled` is the interrupted run's
    /// `--output-cap` (as its journal says), `flag` the one given to
    /// `resume`. The operator's bound carries over, and a new flag may
    /// only lower it, as it only lowers an author's cap: the smaller holds.
    pub fn resumed(journaled: Option<usize>, flag: Option<usize>) -> OutputCaps {
        match (journaled, flag) {
            (Some(before), flag) if flag.is_none_or(|now| now > before) => {
                let cap = OutputCap::new(before, CapSource::InterruptedFlag);
                OutputCaps {
                    default: cap.clone(),
                    ceiling: Some(cap),
                }
            }
            (_, flag) => OutputCaps::from_flag(flag),
        }
    }

    /// The operator's bound in bytes, as `run_started` journals it.
    pub fn journaled(&self) -> Option<u64> {
        self.ceiling.as_ref().map(|c| c.bytes as u64)
    }

    /// The caps of the run of a playbook called by a step that runs with
    /// `caller`: its steps that set no cap (nor does their playbook) get
    /// the calling step's; the operator's bound still holds.
    pub fn called(&self, caller: &OutputCap) -> OutputCaps {
        OutputCaps {
            default: caller.clone(),
            ceiling: self.ceiling.clone(),
        }
    }

    /// The cap `step` of `plan` runs with: its own `output_cap` (a
    /// template rendered from `env`), else its playbook's (the same), else
    /// the default; lowered to the operator's bound. A template that cannot
    /// be rendered yet (a dry-run's unknown value) falls back to the next.
    pub fn for_step(
        &self,
        plan: &Plan,
        step: &Step,
        step_plan: &StepPlan,
        env: &dyn Env,
    ) -> OutputCap {
        let own = render(step, step_plan, env).ok().flatten();
        let author = own
            .map(|bytes| OutputCap::new(bytes, CapSource::Step(step.id.value.clone())))
            .or_else(|| {
                let bytes = render_playbook(plan, env).ok().flatten()?;
                Some(OutputCap::new(
                    bytes,
                    CapSource::Playbook(name_of(plan.playbook())),
                ))
            });
        self.resolve(author)
    }

    /// The cap a step runs with given its author's (its own or its
    /// playbook's): that, else the default; lowered to the operator's bound.
    pub fn resolve(&self, author: Option<OutputCap>) -> OutputCap {
        let author = author.unwrap_or_else(|| self.default.clone());
        match &self.ceiling {
            Some(ceiling) if ceiling.bytes < author.bytes => ceiling.clone(),
            _ => author,
        }
    }
}

/// A step's own `output_cap` in bytes: `Ok(None)` when it sets none or (in
/// a dry-run) its template reads a value not known; the error says what
/// was rendered and why it is not an output cap.
pub fn render(step: &Step, plan: &StepPlan, env: &dyn Env) -> Result<Option<usize>, String> {
    let Some(cap) = &step.output_cap else {
        return Ok(None);
    };
    let Some(parsed) = &plan.output_cap else {
        // A literal (a template that did not parse is a `check` error).
        return Ok(cap.template.is_none().then_some(cap.bytes as usize));
    };
    fill(parsed, env, "`output_cap`")
}

/// The playbook's `output_cap` in bytes, its template rendered from `env`
/// (a step's scope: the values it reads are computed before every step,
/// see `analyze::durations`); as [`render`].
pub fn render_playbook(plan: &Plan, env: &dyn Env) -> Result<Option<usize>, String> {
    let Some(cap) = &plan.playbook().output_cap else {
        return Ok(None);
    };
    let Some(parsed) = plan.output_cap() else {
        return Ok(cap.template.is_none().then_some(cap.bytes as usize));
    };
    fill(parsed, env, "the playbook's `output_cap`")
}

/// Renders a templated cap: `Ok(None)` when it reads a value not known.
fn fill(parsed: &template::Template, env: &dyn Env, what: &str) -> Result<Option<usize>, String> {
    let Some(text) = template::fill_known(parsed, env, Quoting::None)
        .map_err(|e| format!("{what}: {}", e.message))?
    else {
        return Ok(None);
    };
    let trimmed = text.trim();
    parse_output_cap(trimmed)
        .map(|bytes| Some(bytes as usize))
        .map_err(|why| format!("{what} is `{trimmed}`, which is not an output cap: {why}"))
}

/// Renders a step's templated `output_cap`, and its playbook's, before
/// anything happens, so one that does not render a size fails the step
/// (its gate included); the error is at the field.
pub fn check(
    plan: &Plan,
    step: &Step,
    step_plan: &StepPlan,
    env: &dyn Env,
) -> Result<(), (String, Span)> {
    if let Err(message) = render(step, step_plan, env) {
        return Err((
            message,
            step.output_cap.as_ref().map_or(step.id.span, |c| c.span),
        ));
    }
    if step.output_cap.is_some() {
        // The step's own cap holds: the playbook's is not used.
        return Ok(());
    }
    match render_playbook(plan, env) {
        Ok(_) => Ok(()),
        Err(message) => Err((
            message,
            plan.playbook()
                .output_cap
                .as_ref()
                .map_or(step.id.span, |c| c.span),
        )),
    }
}

/// How a marker names a playbook: its `name`, else `the playbook`.
fn name_of(playbook: &Playbook) -> String {
    playbook
        .name
        .as_ref()
        .map_or_else(|| "(unnamed)".to_string(), |n| n.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(flag: Option<usize>) -> OutputCaps {
        OutputCaps::from_flag(flag)
    }

    #[test]
    fn a_resume_keeps_the_interrupted_runs_flag_unless_given_a_lower_one() {
        let before = OutputCap::new(64 << 10, CapSource::InterruptedFlag);
        let kept = OutputCaps::resumed(Some(64 << 10), None);
        assert_eq!(kept.ceiling, Some(before.clone()));
        assert_eq!(kept.default, before);
        assert_eq!(OutputCaps::resumed(Some(64 << 10), Some(1 << 20)), kept);
        assert_eq!(
            OutputCaps::resumed(Some(64 << 10), Some(16 << 10)),
            OutputCaps::from_flag(Some(16 << 10))
        );
        assert_eq!(
            OutputCaps::resumed(None, Some(16 << 10)),
            OutputCaps::from_flag(Some(16 << 10))
        );
        assert_eq!(OutputCaps::resumed(None, None), OutputCaps::default());
        assert_eq!(kept.journaled(), Some(64 << 10));
    }

    #[test]
    fn the_flag_lowers_an_authors_cap_and_never_raises_it() {
        let step = OutputCap::new(4 << 20, CapSource::Step("dump".into()));
        assert_eq!(caps(None).resolve(Some(step.clone())), step);
        assert_eq!(caps(Some(8 << 20)).resolve(Some(step.clone())), step);
        let lowered = caps(Some(64 << 10)).resolve(Some(step));
        assert_eq!(lowered, OutputCap::new(64 << 10, CapSource::Flag));
        assert_eq!(caps(None).resolve(None), OutputCap::default());
        assert_eq!(
            caps(Some(2048)).resolve(None),
            OutputCap::new(2048, CapSource::Flag)
        );
    }

    #[test]
    fn a_called_playbook_inherits_the_calling_steps_cap_under_the_same_bound() {
        let run = caps(Some(64 << 10));
        let caller = OutputCap::new(8 << 10, CapSource::Step("call".into()));
        let called = run.called(&caller);
        assert_eq!(called.default, caller);
        assert_eq!(called.ceiling, run.ceiling);
    }

    #[test]
    fn a_cap_says_what_set_it() {
        assert_eq!(
            OutputCap::default().describe(),
            "1MiB (1048576 bytes), set by the default of `--output-cap`"
        );
        assert_eq!(
            OutputCap::new(1500, CapSource::Step("fetch".into())).describe(),
            "1500 bytes, set by `output_cap` of step `fetch`"
        );
        assert_eq!(
            OutputCap::new(1 << 10, CapSource::Playbook("logs".into())).describe(),
            "1KiB (1024 bytes), set by `output_cap` of playbook `logs`"
        );
    }
}
