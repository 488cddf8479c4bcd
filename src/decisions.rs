//! The command line's decisions (`--approve STEP`, `--answer STEP=VALUE`,
//! `--answers FILE`) checked against the playbook before anything runs: a
//! step that does not exist (`--approve restrat`) or an answer that cannot
//! be right (outside an `ask`'s choices, a manual step's `doneness`) is a
//! mistake to report now, not after the probes ran or never.
//!
//! A step of a called playbook is addressed `CALL.STEP` (see
//! `operator::Nested`); the called file is read and checked to resolve it.

use runbook_dsl::ast::{Action as StepAction, AnswerType};
use runbook_dsl::diagnostic::Report;
use runbook_dsl::plan::Plan;
use runbook_dsl::suggest;
use runbook_dsl::terminal_text::escape;
use runbook_runtime::element_address::{self, Part};
use runbook_runtime::element_name::{ElementLabels, Target};
use runbook_runtime::operator::{confirmation, not_a_confirmation, validate_answer, Preapproved};
use runbook_runtime::{Event, Record, Subscriber};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A decision that fits its step, or why not.
type Checked = Result<(), Box<Report>>;

/// Every problem with the decisions, in the order given (approvals first).
pub fn check(plan: &Plan, decisions: &Preapproved) -> Vec<Report> {
    let mut problems = Vec::new();
    let mut approved: Vec<&String> = decisions.steps.iter().collect();
    approved.sort();
    for address in approved {
        let checked = match Target::parse(address) {
            // One element of a loop: the step must ask per element.
            Ok(Target {
                step,
                element: Some(_),
            }) => resolve(plan, address, &step, "--approve", &|plan, i| {
                asks_per_element(plan, i, address, &step)
            }),
            Ok(_) => resolve(plan, address, address, "--approve", &|_, _| Ok(())),
            Err(why) => Err(Box::new(
                Report::problem(
                    plan.file(),
                    "runbook::unknown_decision_step",
                    format!("`--approve {address}` names no element: {why}"),
                )
                .help("an element of a loop is named `STEP[INDEX]` or `STEP[LABEL]`, as the run and `runbook pending` show it; nothing was run"),
            )),
        };
        if let Err(problem) = checked {
            problems.push(*problem);
        }
    }
    let mut answered: Vec<(&String, &String)> = decisions.answers.iter().collect();
    answered.sort();
    for (address, given) in answered {
        let checked = resolve(plan, address, address, "--answer", &|plan, i| {
            answer_fits(plan, i, address, given)
        });
        if let Err(problem) = checked {
            problems.push(*problem);
        }
    }
    problems
}

/// A warning for each `--approve STEP` of a new run that names a step
/// which asks nothing: no `approval`, no kind that gates, not a `manual`
/// step, not a loop gated per element. It approves nothing, and the
/// operator believes it approved something (`--approve snapshot` for a
/// `playbook` step whose called playbook asks at `snapshot.bgsave`). Not
/// for `resume`, where `--approve STEP` also passes an interrupted step's
/// "run it again?".
pub fn approving_nothing(plan: &Plan, approved: &[String]) -> Vec<String> {
    let mut approved: Vec<&String> = approved.iter().collect();
    approved.sort();
    approved.dedup();
    let mut warnings = Vec::new();
    for address in approved {
        let Ok(target) = Target::parse(address) else {
            continue;
        };
        let asks = std::cell::Cell::new(true);
        let calls = std::cell::Cell::new(false);
        let _ = resolve(plan, address, &target.step, "--approve", &|plan, i| {
            let step = plan.step(i).0;
            asks.set(
                plan.is_gated(i)
                    || matches!(step.action, StepAction::Manual { .. })
                    || step
                        .for_each
                        .as_ref()
                        .is_some_and(|f| f.approval_per_item()),
            );
            calls.set(plan.step_plan(i).capabilities.calls_playbook);
            Ok(())
        });
        if asks.get() {
            continue;
        }
        let step = escape(&target.step);
        let inside = if calls.get() {
            format!(
                " (the gates of the playbook it calls are named `{step}.STEP`, as `runbook plan` lists them)"
            )
        } else {
            String::new()
        };
        warnings.push(format!(
            "`--approve {}` approves nothing: `{step}` asks no approval{inside}",
            escape(address)
        ));
    }
    warnings
}

/// Whether step `i` asks a gate per element, so `--approve STEP[...]` can
/// name one of them.
fn asks_per_element(plan: &Plan, i: usize, address: &str, step: &str) -> Checked {
    let declared = plan.step(i).0;
    if declared
        .for_each
        .as_ref()
        .is_some_and(|f| f.approval_per_item())
    {
        return Ok(());
    }
    Err(Box::new(
        Report::problem(
            plan.file(),
            "runbook::unknown_decision_step",
            format!(
                "`--approve {address}` names an element, but `{step}` asks no gate per element"
            ),
        )
        .label(
            declared.id.span,
            "not a loop with `approval_per_item: true`",
        )
        .help(format!(
            "approve the step as a whole with `--approve {step}`; nothing was run"
        )),
    ))
}

/// Whether `given` can answer step `i` of `plan`.
fn answer_fits(plan: &Plan, i: usize, address: &str, given: &str) -> Checked {
    let step = plan.step(i).0;
    let problem =
        |message: String| Report::problem(plan.file(), "runbook::invalid_answer", message);
    match &step.action {
        StepAction::Ask(ask) => validate_answer(&ask.answer, given).map(|_| ()).map_err(|why| {
            // The choices, when there are some: what the answer must be one of.
            let (span, label) = match &ask.answer {
                AnswerType::Choice(c) if !c.is_empty() => {
                    (c[0].span.to(c[c.len() - 1].span), "the answers it accepts")
                }
                _ => (ask.span, "the question"),
            };
            Box::new(problem(format!("`--answer {address}={given}` cannot answer `{address}`: {why}"))
                .label(span, label)
                .help("give one of the answers it accepts (a choice by name or by its number); nothing was run"))
        }),
        StepAction::Manual { span, .. } => match confirmation(given) {
            Some(_) => Ok(()),
            None => Err(Box::new(
                problem(not_a_confirmation(address, given))
                    .label(*span, "a manual step")
                    .help("nothing was run"),
            )),
        },
        other => Err(Box::new(problem(format!(
            "`--answer {address}=...` answers nothing: `{address}` is a `{}` step, not an `ask` or a `manual` step",
            other.kind_name()
        ))
        .label(step.id.span, "not a question")
        .help(format!(
            "to approve its gate, pass `--approve {address}`; nothing was run"
        )))),
    }
}

/// Finds the step `remaining` names in `plan`, through called playbooks
/// (`address` is the whole address, for messages), and applies `fits` to it.
/// A part may select an element of a loop that calls a playbook
/// (`each[web-1].restart`): it must be such a loop.
fn resolve(
    plan: &Plan,
    address: &str,
    remaining: &str,
    flag: &str,
    fits: &dyn Fn(&Plan, usize) -> Checked,
) -> Checked {
    let parts = element_address::parse(remaining).unwrap_or_else(|_| {
        vec![Part {
            id: remaining.to_string(),
            element: None,
        }]
    });
    resolve_parts(plan, address, &parts, flag, fits)
}

fn resolve_parts(
    plan: &Plan,
    address: &str,
    parts: &[Part],
    flag: &str,
    fits: &dyn Fn(&Plan, usize) -> Checked,
) -> Checked {
    let Some((part, rest)) = parts.split_first() else {
        return Err(Box::new(unknown(plan, address, address, flag)));
    };
    let head = part.id.as_str();
    let Some(i) = plan.index_of(head) else {
        return Err(Box::new(unknown(plan, address, head, flag)));
    };
    let step = plan.step(i).0;
    if part.element.is_some() && plan.step_plan(i).iteration.is_none() {
        return Err(Box::new(
            Report::problem(
                plan.file(),
                "runbook::unknown_decision_step",
                format!("`{flag} {address}`: `{head}` is not a `for_each` step, so it has no elements to select"),
            )
            .label(step.id.span, "not a loop")
            .help(format!("write `{head}` without `[...]`; nothing was run")),
        ));
    }
    if rest.is_empty() {
        return fits(plan, i);
    }
    let called = match &step.action {
        StepAction::Kind { params, .. } if plan.step_plan(i).capabilities.calls_playbook => params
            .get("path")
            .unwrap_or(params)
            .as_text()
            .map(|t| t.value.clone()),
        _ => None,
    };
    let Some(called) = called else {
        return Err(Box::new(Report::problem(
            plan.file(),
            "runbook::unknown_decision_step",
            format!("`{flag} {address}`: `{head}` is a `{}` step, which calls no playbook", step.action.kind_name()),
        )
        .label(step.id.span, "calls no playbook")
        .help(format!("`CALL.STEP` names a step of the playbook a `playbook` step calls; for this step itself, drop what follows `{head}`. Nothing was run"))));
    };
    let base = Path::new(plan.file().name())
        .parent()
        .unwrap_or(Path::new(""));
    let checked = crate::load::load(&base.join(&called));
    let Some(child) = checked.plan else {
        // `check` of the caller reports a called playbook that does not check.
        return Ok(());
    };
    resolve_parts(&child, address, rest, flag, fits)
}

/// `--approve restrat`: no such step, with the closest one.
fn unknown(plan: &Plan, address: &str, name: &str, flag: &str) -> Report {
    let ids: Vec<&str> = (0..plan.len())
        .map(|i| plan.step(i).0.id.value.as_str())
        .collect();
    let place = if !address.contains('.') {
        String::new()
    } else {
        format!(" (in {})", plan.file().name())
    };
    let help = match suggest::help_for("step", name, ids) {
        Some(hint) => format!("{hint} Nothing was run."),
        None => "nothing was run".into(),
    };
    Report::problem(
        plan.file(),
        "runbook::unknown_decision_step",
        format!("`{flag} {address}` names no step: there is no step `{name}`{place}"),
    )
    .help(help)
}

/// The loop elements whose own gates were decided in a run
/// (`approval_per_item`), by step, as the run showed them, and the gates
/// of playbooks loops called, by their run's address (`each[0].restart`)
/// with the calling elements' labels: after the run, an `--approve` that
/// named none of the elements asked about is said, so an operator who
/// mistyped a label (or gave part of it, or wrote `each[007]`, which is
/// position 7) learns that the element they meant was not approved, and
/// how each is named.
#[derive(Clone, Default)]
pub struct AskedElements(Arc<Mutex<Asked>>);

#[derive(Default)]
struct Asked {
    /// `(step, [INDEX] LABEL)` of gates asked per element.
    elements: Vec<(String, String)>,
    /// The addresses of gates asked in the run of a looped call.
    in_calls: Vec<String>,
    /// The labels of the loops' elements, by the address of each
    /// element's run (`each[0]`).
    labels: ElementLabels,
}

impl Subscriber for AskedElements {
    fn on_event(&mut self, record: &Record) {
        let Ok(mut asked) = self.0.lock() else {
            return;
        };
        match &record.event {
            Event::GateDecided {
                step,
                element: Some(element),
                ..
            } => asked.elements.push((step.clone(), element.clone())),
            Event::GateDecided { step, .. } if step.contains('[') => {
                asked.in_calls.push(step.clone());
            }
            Event::ItemStarted {
                step, index, label, ..
            } => {
                asked
                    .labels
                    .insert(format!("{step}[{index}]"), label.clone());
            }
            _ => {}
        }
    }
}

impl AskedElements {
    /// A warning for each `--approve` in `approved` that selects an element
    /// (`STEP[SELECTOR]`, `CALL[SELECTOR].STEP`) where elements were asked
    /// about, none of which it names.
    pub fn unmatched(&self, approved: &[String]) -> Vec<String> {
        let Ok(asked) = self.0.lock() else {
            return Vec::new();
        };
        approved
            .iter()
            .filter_map(|address| {
                let target = Target::parse(address).ok()?;
                if target.step.contains('[') {
                    return unmatched_in_calls(address, &target, &asked);
                }
                target.element.as_ref()?;
                let elements: Vec<&str> = asked
                    .elements
                    .iter()
                    .filter(|(step, _)| *step == target.step)
                    .map(|(_, element)| element.as_str())
                    .collect();
                if elements.is_empty()
                    || elements
                        .iter()
                        .any(|e| target.names_element(&target.step, e))
                {
                    return None;
                }
                let shown: Vec<String> = elements.iter().map(|e| e.to_string()).collect();
                Some(format!(
                    "`--approve {}` named none of the elements of `{}` that were asked: {}. An element is named by its index or its whole label, as shown: `--approve '{}[INDEX]'`",
                    escape(address),
                    escape(&target.step),
                    listed(&shown),
                    escape(&target.step),
                ))
            })
            .collect()
    }
}

/// The warning for `--approve 'CALL[SELECTOR].STEP'` when that step was
/// asked in some element's run of the call, and in none it names.
fn unmatched_in_calls(address: &str, target: &Target, asked: &Asked) -> Option<String> {
    let unselected = |text: &str| {
        element_address::parse(text)
            .map(|parts| element_address::unselected(&parts))
            .unwrap_or_else(|_| text.to_string())
    };
    let step = unselected(&target.step);
    let runs: Vec<&String> = asked
        .in_calls
        .iter()
        .filter(|run| unselected(run) == step)
        .collect();
    if runs.is_empty()
        || runs.iter().any(|run| {
            target.names_run(
                run,
                &asked.labels,
                None,
                runbook_runtime::element_name::Bare::NamesEvery,
            )
        })
    {
        return None;
    }
    let shown: Vec<String> = runs
        .iter()
        .map(|run| runbook_runtime::element_name::named_address(run, &asked.labels))
        .collect();
    Some(format!(
        "`--approve {}` named none of the runs of `{}` that were asked: {}. An element is named by its index or its whole label, a label that is a number in quotes: `--approve 'CALL[\"007\"].STEP'`",
        escape(address),
        escape(&step),
        listed(&shown),
    ))
}

/// Up to five, each in backticks, and how many more.
fn listed(items: &[String]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(5)
        .map(|e| format!("`{}`", escape(e)))
        .collect();
    let more = match items.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    format!("{}{more}", shown.join(", "))
}
