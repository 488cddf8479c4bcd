//! Compares what a rehearsal did with what its scenario expects, and finds
//! the first step where they part: the place a reviewer needs to look at.

use super::address::Addressed;
use super::loop_verdict::loop_mismatches;
use super::path_order::first_out_of_order;
use super::run_address::{canonical_expect, named};
use super::scenario::{ExpectedOutcome, Scenario};
use crate::event::{RunStatus, StepState};
use crate::runner::Failure;
use runbook_dsl::ast::Action as StepAction;
use runbook_dsl::graph::EdgeKind;
use runbook_dsl::plan::Plan;
use runbook_dsl::{Span, Spanned};
use std::collections::HashMap;

/// What the scheduler did in a rehearsal.
#[derive(Clone, Debug)]
pub struct Rehearsed {
    pub status: RunStatus,
    pub states: Vec<StepState>,
    /// Why each step ended as it did (a skip reason, a failure message).
    pub messages: Vec<Option<String>>,
    /// The steps reached (not skipped), in the order they settled.
    pub path: Vec<usize>,
    /// Each settled branch and the step it took (`None`: no case held).
    pub taken: Vec<(usize, Option<String>)>,
    pub failures: Vec<Failure>,
    /// Steps of called playbooks that settled, by address (`CALL.STEP`;
    /// an element's called run's steps too, reached by any element, and
    /// also by their own address, `CALL[INDEX].STEP`).
    pub called: HashMap<String, Reached>,
    /// Those reached (not skipped), in the order they settled, under both
    /// addresses.
    pub called_path: Vec<String>,
    /// Every step reached, of the rehearsed playbook (its id) and of the
    /// playbooks it called (its address as the run wrote it,
    /// `CALL[INDEX].STEP`), in the order they settled.
    pub settled: Vec<String>,
    /// How each element of each loop ended, by the loop's address (a loop
    /// in an element's called run under both addresses, as `called`).
    pub items: HashMap<String, Vec<ElementEnd>>,
}

/// How a step of a called playbook settled.
#[derive(Clone, Debug)]
pub struct Reached {
    pub state: StepState,
    pub message: Option<String>,
    /// For a branch that was decided: the step it took.
    pub taken: Option<Option<String>>,
}

/// How one element of a loop ended.
#[derive(Clone, Debug)]
pub struct ElementEnd {
    pub index: usize,
    pub label: String,
    pub state: StepState,
}

/// One way the rehearsal differs from the scenario.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The step it is about, when there is one.
    pub step: Option<usize>,
    /// What differs, in one line (`step `x` was skipped, the path expects it`).
    pub message: String,
    pub expected: String,
    pub actual: String,
    /// Places in the playbook, the first being the primary one.
    pub labels: Vec<(Span, String)>,
}

pub(super) fn reached(state: StepState) -> bool {
    !matches!(state, StepState::Skipped | StepState::Pending)
}

/// What a reached step did, for a headline: a step whose gate was
/// rejected, or that was cancelled, was reached and did not run.
fn reached_words(state: StepState) -> &'static str {
    match state {
        StepState::Rejected => "was reached (rejected)",
        StepState::Cancelled => "was reached (cancelled)",
        _ => "ran",
    }
}

fn list(plan: &Plan, steps: impl IntoIterator<Item = usize>) -> String {
    let ids: Vec<&str> = steps
        .into_iter()
        .map(|i| plan.step(i).0.id.value.as_str())
        .collect();
    format!("[{}]", ids.join(", "))
}

fn outcome_name(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Succeeded => "succeeded",
        RunStatus::Failed => "failed",
        RunStatus::Rejected => "rejected",
        RunStatus::Interrupted => "did not end (a step polls forever?)",
    }
}

/// Every difference, the first step where the path differs first (in the
/// playbook's dependency order); differences about no step come last.
/// `path_steps` holds the steps at each part of each address the path
/// lists (for its order).
pub fn compare(
    plan: &Plan,
    scenario: &Scenario,
    run: &Rehearsed,
    path_steps: &[Vec<Addressed>],
) -> Vec<Mismatch> {
    let mut found = Vec::new();
    let id = |i: usize| plan.step(i).0.id.value.as_str();
    let index = |s: &str| plan.index_of(s);
    // `CALL[LABEL].STEP` as the run addresses it: `CALL[INDEX].STEP`.
    let (expect, unknown) = canonical_expect(&scenario.expect, run);
    let expect = &expect;
    // An element's run as the scenario names it: by its label.
    let name = |address: &str| named(address, run);
    for (address, why) in unknown {
        found.push(called_mismatch(
            plan,
            &address,
            format!("`{address}` names no element the run had: {why}"),
            format!("`{address}` runs"),
            why,
        ));
    }
    if let Some(path) = &expect.path {
        let listed: Vec<&str> = path.value.iter().map(|s| s.value.as_str()).collect();
        let whole = scenario.expect.path.as_ref().map(|p| p.value.len()) == Some(listed.len());
        if let Some((k, m)) = first_out_of_order(&listed, path_steps).filter(|_| whole) {
            let (earlier, later) = (listed[k], listed[m]);
            let message = format!(
                "the path lists `{}` before `{}`, which runs first",
                name(earlier),
                name(later)
            );
            let show = |steps: &[&str]| {
                let steps: Vec<String> = steps.iter().map(|s| name(s)).collect();
                format!("[{}]", steps.join(", "))
            };
            let actual: Vec<&str> = run.settled.iter().map(String::as_str).collect();
            found.push(match (index(earlier), index(later)) {
                (Some(i), Some(j)) => Mismatch {
                    step: Some(i),
                    message,
                    expected: list(plan, listed.iter().filter_map(|s| index(s))),
                    actual: list(plan, run.path.clone()),
                    labels: vec![
                        (plan.step(i).0.id.span, "listed too early".into()),
                        (plan.step(j).0.id.span, "runs before it".into()),
                    ],
                },
                (_, later_at) => {
                    // Drawn at the steps of this playbook they are in (a
                    // called step at its calling step).
                    let top =
                        |address: &str| index(address.split(['.', '[']).next().unwrap_or(address));
                    let (earlier_top, later_top) = (top(earlier), later_at.or_else(|| top(later)));
                    let mut labels = Vec::new();
                    if earlier_top == later_top {
                        labels.extend(earlier_top.map(|i| {
                            (
                                plan.step(i).0.id.span,
                                format!("its called playbook: {message}"),
                            )
                        }));
                    } else {
                        labels.extend(earlier_top.map(|i| {
                            (
                                plan.step(i).0.id.span,
                                format!("`{}` is listed too early", name(earlier)),
                            )
                        }));
                        labels.extend(later_top.map(|i| {
                            (
                                plan.step(i).0.id.span,
                                format!("`{}` runs before it", name(later)),
                            )
                        }));
                    }
                    Mismatch {
                        step: earlier_top,
                        message,
                        expected: show(&listed),
                        actual: show(&actual),
                        labels,
                    }
                }
            });
        }
    }
    if let Some(path) = &expect.path {
        let expected: Vec<usize> = path.value.iter().filter_map(|s| index(&s.value)).collect();
        let actual = &run.path;
        let (exp, act) = (list(plan, expected.clone()), list(plan, actual.clone()));
        for &i in actual {
            if !expected.contains(&i) {
                found.push(unexpected(plan, run, i, &exp, &act));
            }
        }
        for &i in &expected {
            if !actual.contains(&i) {
                found.push(missed(plan, run, i, &exp, &act));
            }
        }
    }
    if let Some(path) = &expect.path {
        called_path(plan, run, path, &mut found);
    }
    let act = list(plan, run.path.clone());
    for s in &expect.ran {
        match index(&s.value) {
            Some(i) if !reached(run.states[i]) => {
                found.push(missed(plan, run, i, &format!("`{}` runs", s.value), &act))
            }
            Some(_) => {}
            None if !run.called.get(&s.value).is_some_and(|r| reached(r.state)) => {
                let shown = name(&s.value);
                found.push(called_mismatch(
                    plan,
                    &s.value,
                    format!("`{shown}` did not run"),
                    format!("`{shown}` runs"),
                    format!("`{shown}` {}", called_words(run, &s.value)),
                ))
            }
            None => {}
        }
    }
    for s in &expect.skipped {
        match index(&s.value) {
            Some(i) if reached(run.states[i]) => found.push(unexpected(
                plan,
                run,
                i,
                &format!("`{}` is skipped", s.value),
                &act,
            )),
            Some(_) => {}
            None if run.called.get(&s.value).is_some_and(|r| reached(r.state)) => {
                let shown = name(&s.value);
                let did = run
                    .called
                    .get(&s.value)
                    .map_or("ran", |r| reached_words(r.state));
                found.push(called_mismatch(
                    plan,
                    &s.value,
                    format!("`{shown}` {did}"),
                    format!("`{shown}` is skipped"),
                    format!("`{shown}` {}", called_words(run, &s.value)),
                ))
            }
            None => {}
        }
    }
    for (branch, target) in &expect.branches {
        let want = target.value.clone();
        let Some(b) = index(&branch.value) else {
            let got = run.called.get(&branch.value).and_then(|r| r.taken.clone());
            if got.as_ref() != Some(&want) {
                let show = |t: &Option<String>| match t {
                    Some(t) => format!("`{t}`"),
                    None => "no case".into(),
                };
                let shown = name(&branch.value);
                found.push(called_mismatch(
                    plan,
                    &branch.value,
                    match &got {
                        Some(got) => format!("the branch `{shown}` took {}", show(got)),
                        None => format!("the branch `{shown}` was never decided"),
                    },
                    show(&want),
                    match &got {
                        Some(got) => show(got),
                        None => format!("`{shown}` {}", called_words(run, &branch.value)),
                    },
                ));
            }
            continue;
        };
        let got = run
            .taken
            .iter()
            .find(|(i, _)| *i == b)
            .map(|(_, t)| t.clone());
        let show = |t: &Option<String>| match t {
            Some(t) => format!("`{t}`"),
            None => "no case".into(),
        };
        match got {
            Some(got) if got == want => {}
            Some(got) => {
                let mut labels = vec![(
                    plan.step(b).0.id.span,
                    format!("took {}, the scenario expects {}", show(&got), show(&want)),
                )];
                labels.extend(case_label(plan, b, got.as_deref(), "this case held"));
                found.push(Mismatch {
                    step: Some(b),
                    message: format!("the branch `{}` took {}", branch.value, show(&got)),
                    expected: show(&want),
                    actual: show(&got),
                    labels,
                });
            }
            None => found.push(Mismatch {
                step: Some(b),
                message: format!("the branch `{}` was never decided", branch.value),
                expected: show(&want),
                actual: format!("`{}` {}", branch.value, state_words(run, b)),
                labels: vec![(plan.step(b).0.id.span, state_words(run, b))],
            }),
        }
    }
    for expected in &expect.loops {
        loop_mismatches(plan, run, expected, &mut found);
    }
    if let Some(outcome) = &expect.outcome {
        let matches = matches!(
            (outcome.value, run.status),
            (ExpectedOutcome::Succeeded, RunStatus::Succeeded)
                | (ExpectedOutcome::Failed, RunStatus::Failed)
                | (ExpectedOutcome::Rejected, RunStatus::Rejected)
        );
        if !matches {
            // Why it ended so: the failure that stopped it (or, when every
            // failure was handled, the last one), in the message itself, so
            // that it is read also when another difference comes first.
            let failure = run
                .failures
                .iter()
                .find(|f| !f.handled)
                .or(run.failures.last());
            let why = failure
                .map(|f| {
                    format!(
                        ": `{}` {} ({})",
                        id(f.step),
                        f.state.name(),
                        one_line(&f.message)
                    )
                })
                .unwrap_or_default();
            found.push(Mismatch {
                // Drawn at the failing step: what else differs follows from it.
                step: failure.map(|f| f.step),
                message: format!("the run {}{why}", outcome_name(run.status)),
                expected: outcome.value.name().into(),
                actual: outcome_name(run.status).into(),
                labels: failure
                    .map(|f| {
                        vec![(
                            plan.step(f.step).0.id.span,
                            format!("{}: {}", f.state.name(), f.message),
                        )]
                    })
                    .unwrap_or_default(),
            });
        }
    }
    let position: Vec<usize> = {
        let mut p = vec![usize::MAX; plan.len()];
        for (k, &i) in plan.order().iter().enumerate() {
            p[i] = k;
        }
        p
    };
    found.sort_by_key(|m| m.step.map(|s| position[s]).unwrap_or(usize::MAX));
    found
}

/// A message on one line, shortened: it goes inside a sentence.
fn one_line(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 160 {
        format!("{}...", line.chars().take(157).collect::<String>())
    } else {
        line
    }
}

pub(super) fn state_words(run: &Rehearsed, i: usize) -> String {
    let state = run.states[i];
    let word = if state == StepState::Pending {
        "was not reached".to_string()
    } else {
        format!("was {}", state.name())
    };
    match &run.messages[i] {
        Some(m) if !m.is_empty() => format!("{word}: {m}"),
        _ => word,
    }
}

/// A step the path expects but the run did not reach.
fn missed(plan: &Plan, run: &Rehearsed, i: usize, exp: &str, act: &str) -> Mismatch {
    let step = plan.step(i).0;
    let mut labels = vec![(
        step.id.span,
        format!(
            "the scenario expects this step to run, but it {}",
            state_words(run, i)
        ),
    )];
    labels.extend(deciding_branch(plan, run, i));
    Mismatch {
        step: Some(i),
        message: format!("`{}` did not run", step.id.value),
        expected: exp.into(),
        actual: act.into(),
        labels,
    }
}

/// A step the run reached that the scenario does not expect.
fn unexpected(plan: &Plan, run: &Rehearsed, i: usize, exp: &str, act: &str) -> Mismatch {
    let step = plan.step(i).0;
    let mut labels = vec![(
        step.id.span,
        format!(
            "this step {}, but the scenario does not expect it to run",
            state_words(run, i).replacen("was ", "", 1)
        ),
    )];
    labels.extend(deciding_branch(plan, run, i));
    Mismatch {
        step: Some(i),
        message: format!("`{}` {}", step.id.value, reached_words(run.states[i])),
        expected: exp.into(),
        actual: act.into(),
        labels,
    }
}

/// When a branch decides whether step `i` runs: the case it took.
fn deciding_branch(plan: &Plan, run: &Rehearsed, i: usize) -> Vec<(Span, String)> {
    let mut labels = Vec::new();
    for (from, edge) in plan.graph().incoming(i) {
        if !matches!(edge.kind, EdgeKind::Case { .. } | EdgeKind::Else) {
            continue;
        }
        match run.taken.iter().find(|(b, _)| *b == from) {
            Some((_, Some(t))) => {
                let took = case_label(plan, from, Some(t), &format!("the branch took `{t}`"));
                if took.is_empty() {
                    labels.push((plan.step(from).0.id.span, format!("took `{t}`")));
                }
                labels.extend(took);
            }
            Some((_, None)) => labels.push((
                plan.step(from).0.id.span,
                "no case held and there is no `else`".into(),
            )),
            None => labels.push((
                plan.step(from).0.id.span,
                format!("this branch {}", state_words(run, from)),
            )),
        }
    }
    labels
}

/// The case (or `else`) of branch `b` that leads to `target`.
fn case_label(plan: &Plan, b: usize, target: Option<&str>, text: &str) -> Vec<(Span, String)> {
    let StepAction::Branch(branch) = &plan.step(b).0.action else {
        return Vec::new();
    };
    let Some(target) = target else {
        return Vec::new();
    };
    if let Some(case) = branch.cases.iter().find(|c| c.then.value == target) {
        return vec![(case.when.span, text.to_string())];
    }
    match &branch.otherwise {
        Some(o) if o.value == target => vec![(o.span, text.to_string())],
        _ => Vec::new(),
    }
}

/// The steps of the called playbooks the path names (`CALL.STEP`): those
/// it lists must be exactly those each of those calls reached.
fn called_path(
    plan: &Plan,
    run: &Rehearsed,
    path: &Spanned<Vec<Spanned<String>>>,
    found: &mut Vec<Mismatch>,
) {
    let expected: Vec<&str> = path
        .value
        .iter()
        .map(|s| s.value.as_str())
        .filter(|s| plan.index_of(s).is_none())
        .collect();
    let calls: Vec<&str> = expected
        .iter()
        .filter_map(|s| s.rsplit_once('.').map(|(call, _)| call))
        .collect();
    let mut actual: Vec<&str> = Vec::new();
    for address in &run.called_path {
        let named = address
            .rsplit_once('.')
            .is_some_and(|(call, _)| calls.contains(&call));
        if named && !actual.contains(&address.as_str()) {
            actual.push(address);
        }
    }
    let name = |address: &str| named(address, run);
    let show = |steps: &[&str]| {
        let steps: Vec<String> = steps.iter().map(|s| name(s)).collect();
        format!("[{}]", steps.join(", "))
    };
    let (exp, act) = (show(&expected), show(&actual));
    for step in &actual {
        if !expected.contains(step) {
            found.push(called_mismatch(
                plan,
                step,
                format!("`{}` ran", name(step)),
                exp.clone(),
                act.clone(),
            ));
        }
    }
    for step in &expected {
        if !actual.contains(step) {
            found.push(called_mismatch(
                plan,
                step,
                format!("`{}` did not run", name(step)),
                exp.clone(),
                act.clone(),
            ));
        }
    }
}

/// How a step of a called playbook ended, in words.
pub(super) fn called_words(run: &Rehearsed, address: &str) -> String {
    match run.called.get(address) {
        None => "was not reached".into(),
        Some(r) => match &r.message {
            Some(m) if !m.is_empty() => format!("{}: {m}", r.state.name()),
            _ => r.state.name().to_string(),
        },
    }
}

/// A difference about a step of a called playbook, drawn at the step that
/// calls it (the called playbook is another file).
fn called_mismatch(
    plan: &Plan,
    address: &str,
    message: String,
    expected: String,
    actual: String,
) -> Mismatch {
    // `CALL.STEP`, `CALL[1].STEP`: drawn at `CALL`.
    let call = address.split(['.', '[']).next().unwrap_or(address);
    let step = plan.index_of(call);
    Mismatch {
        step,
        labels: step
            .map(|i| {
                vec![(
                    plan.step(i).0.id.span,
                    format!("its called playbook: {message}"),
                )]
            })
            .unwrap_or_default(),
        message,
        expected,
        actual,
    }
}
