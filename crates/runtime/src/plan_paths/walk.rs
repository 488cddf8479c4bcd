//! The walk over one playbook's paths: steps in topological order, each
//! decided with the runner's readiness rule and three-valued logic over
//! symbolic step results, forking at undecided branches and handled
//! failures, with a worklist instead of recursion.

use super::{PathStep, Paths, PlanPath, MAX_PATHS};
use crate::event::StepState;
use runbook_dsl::activation;
use runbook_dsl::ast::{Action as StepAction, OnFailure};
use runbook_dsl::expr::{self, Env, Lookup, Outcome, StepOutcome};
use runbook_dsl::path::Path;
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};

#[derive(Clone)]
struct Partial {
    position: usize,
    states: Vec<StepState>,
    taken: Vec<Option<usize>>,
    /// Choices this path assumes: the answer (or enum input) at the path is
    /// one of the values.
    assumed: Vec<(Path, Vec<String>)>,
    path: PlanPath,
}

struct Symbolic<'a> {
    plan: &'a Plan,
    inputs: &'a Map<String, Value>,
    states: &'a [StepState],
    assumed: &'a [(Path, Vec<String>)],
}

impl Env for Symbolic<'_> {
    fn lookup(&self, path: &Path) -> Lookup {
        if let Some((_, values)) = self.assumed.iter().find(|(p, _)| p.same_as(path)) {
            if let [value] = values.as_slice() {
                return Lookup::Known(Value::String(value.clone()));
            }
        }
        match path.key(0) {
            Some("inputs") => match path.get_in(1, &Value::Object(self.inputs.clone())) {
                Some(v) => Lookup::Known(v.clone()),
                None => Lookup::Unknown,
            },
            // A value computed from what the plan knows (inputs, answers it
            // assumes) is known on this path; the checker refused circles.
            Some("vars") => {
                let name = path.key(1);
                let Some(var) = self
                    .plan
                    .vars()
                    .iter()
                    .find(|v| Some(v.name.as_str()) == name)
                else {
                    return Lookup::Unknown;
                };
                match expr::eval(&var.expr, self) {
                    Ok(expr::Outcome::Known(v)) => path
                        .get_in(2, &v)
                        .cloned()
                        .map_or(Lookup::Unknown, Lookup::Known),
                    _ => Lookup::Unknown,
                }
            }
            _ => Lookup::Unknown,
        }
    }

    fn step_state(&self, id: &str) -> Option<StepOutcome> {
        let i = self.plan.index_of(id)?;
        match self.states[i] {
            StepState::Succeeded => Some(StepOutcome::Succeeded),
            StepState::Skipped => Some(StepOutcome::Skipped),
            StepState::Failed => Some(StepOutcome::Failed),
            _ => None,
        }
    }
}

/// Known inputs: those given, then defaults.
fn known_inputs(plan: &Plan, given: &Map<String, Value>) -> Map<String, Value> {
    let mut inputs = given.clone();
    for input in &plan.playbook().inputs {
        if inputs.contains_key(&input.name.value) {
            continue;
        }
        if let Some(default) = &input.default {
            if let Some(text) = default.scalar_string() {
                let value = match &default.value {
                    runbook_dsl::node::Value::Bool(b) => Value::Bool(*b),
                    runbook_dsl::node::Value::Int(i) => Value::from(*i),
                    _ => Value::String(text),
                };
                inputs.insert(input.name.value.clone(), value);
            }
        }
    }
    inputs
}

/// Walks the paths, forking only at the decisions in `forks` (all of them
/// when `None`); elsewhere a branch takes its first possible way and a
/// handled failure does not happen.
pub(super) fn walk(plan: &Plan, given: &Map<String, Value>, forks: Option<&[usize]>) -> Paths {
    let forks_at = |i: usize| forks.is_none_or(|f| f.contains(&i));
    let inputs = known_inputs(plan, given);
    let n = plan.len();
    let order = plan.order();
    let mut work = vec![Partial {
        position: 0,
        states: vec![StepState::Pending; n],
        taken: vec![None; n],
        assumed: Vec::new(),
        path: PlanPath::default(),
    }];
    let mut out = Paths::default();
    while let Some(mut partial) = work.pop() {
        if out.paths.len() >= MAX_PATHS {
            out.truncated = true;
            break;
        }
        let mut forked = false;
        while partial.position < order.len() {
            let i = order[partial.position];
            partial.position += 1;
            let (step, step_plan) = plan.step(i);
            if !activated(plan, i, &partial) {
                partial.states[i] = StepState::Skipped;
                continue;
            }
            let env = Symbolic {
                plan,
                inputs: &inputs,
                states: &partial.states,
                assumed: &partial.assumed,
            };
            let mut condition = None;
            if let Some(when) = &step_plan.when {
                match expr::eval(when, &env) {
                    Ok(Outcome::Known(Value::Bool(true))) => {}
                    Ok(Outcome::Known(_)) => {
                        partial.states[i] = StepState::Skipped;
                        continue;
                    }
                    _ => condition = Some(when.to_string()),
                }
            }
            let mut entry = PathStep {
                index: i,
                condition,
                gated: plan.is_gated(i),
                fails: false,
            };
            if let StepAction::Branch(branch) = &step.action {
                if let Some(mut forks) = switch(plan, i, &inputs, &partial) {
                    partial.states[i] = StepState::Succeeded;
                    partial.path.steps.push(entry);
                    if !forks_at(i) {
                        forks.truncate(1);
                    }
                    for (target, decision, assumed) in forks.into_iter().rev() {
                        let mut next = partial.clone();
                        next.taken[i] = target;
                        if forks_at(i) {
                            next.path.decisions.push(decision);
                        }
                        next.assumed = assumed;
                        work.push(next);
                    }
                    forked = true;
                    break;
                }
                // Each possible target forks a path.
                let mut options: Vec<(Option<usize>, String)> = Vec::new();
                let mut settled = false;
                for (case, cond) in branch.cases.iter().zip(&step_plan.cases) {
                    let Some(cond) = cond else { continue };
                    let target = plan.index_of(&case.then.value);
                    match expr::eval(cond, &env) {
                        Ok(Outcome::Known(Value::Bool(true))) => {
                            options.push((
                                target,
                                format!(
                                    "`{}` -> `{}` (when {cond})",
                                    step.id.value, case.then.value
                                ),
                            ));
                            settled = true;
                            break;
                        }
                        Ok(Outcome::Known(_)) => {}
                        _ => options.push((
                            target,
                            format!("`{}` -> `{}` (when {cond})", step.id.value, case.then.value),
                        )),
                    }
                }
                if !settled {
                    match &branch.otherwise {
                        Some(o) => options.push((
                            plan.index_of(&o.value),
                            format!("`{}` -> `{}` (else)", step.id.value, o.value),
                        )),
                        None => options.push((None, format!("`{}`: no case holds", step.id.value))),
                    }
                }
                partial.states[i] = StepState::Succeeded;
                partial.path.steps.push(entry);
                if !forks_at(i) {
                    options.truncate(1);
                }
                for (target, decision) in options.into_iter().rev() {
                    let mut next = partial.clone();
                    next.taken[i] = target;
                    if forks_at(i) {
                        next.path.decisions.push(decision);
                    }
                    work.push(next);
                }
                forked = true;
                break;
            }
            // A failure that `goto` or `continue` handles is a way on: a
            // path of its own, on which `failed(ID)` holds.
            let handled = matches!(
                step.on_failure.as_ref().map(|o| &o.value),
                Some(OnFailure::Goto(_) | OnFailure::Continue)
            );
            if handled && forks_at(i) {
                let mut failing = partial.clone();
                failing.states[i] = StepState::Failed;
                failing
                    .path
                    .decisions
                    .push(format!("`{}` fails", step.id.value));
                failing.path.steps.push(PathStep {
                    fails: true,
                    ..entry.clone()
                });
                work.push(failing);
                entry.fails = false;
            }
            partial.states[i] = StepState::Succeeded;
            partial.path.steps.push(entry);
        }
        if !forked {
            out.paths.push(partial.path);
        }
    }
    out
}

/// What a branch switches on, when every case is `PATH == "lit"` (or `in`,
/// or an `||` of those) over one path whose values are listed: an `ask`
/// answer or an enum input.
fn subject(plan: &Plan, i: usize) -> Option<Path> {
    let (_, step_plan) = plan.step(i);
    let mut subject: Option<Path> = None;
    for case in &step_plan.cases {
        let (path, _) = case.as_ref().and_then(expr::enum_coverage)?;
        match &subject {
            Some(seen) if !seen.same_as(&path) => return None,
            Some(_) => {}
            None => subject = Some(path),
        }
    }
    subject
}

/// The forks of a branch over one choice: for each distinct outcome, its
/// target, the decision as shown, and the path's assumptions with the
/// answers that lead there. `None` when the branch does not switch on a
/// choice whose value is open on this path (the general walk handles it).
#[allow(clippy::type_complexity)]
fn switch(
    plan: &Plan,
    i: usize,
    inputs: &Map<String, Value>,
    partial: &Partial,
) -> Option<Vec<(Option<usize>, String, Vec<(Path, Vec<String>)>)>> {
    let (step, step_plan) = plan.step(i);
    let StepAction::Branch(branch) = &step.action else {
        return None;
    };
    let subject = subject(plan, i)?;
    let assumed_at = partial
        .assumed
        .iter()
        .position(|(p, _)| p.same_as(&subject));
    let values = match assumed_at {
        Some(at) => partial.assumed[at].1.clone(),
        None => {
            // Only an answer that exists on this path: the ask ran, or the
            // enum input was not given (a given one is simply known).
            match subject.key(0) {
                Some("steps") => {
                    let asked = plan.index_of(subject.key(1)?)?;
                    if partial.states[asked] != StepState::Succeeded {
                        return None;
                    }
                }
                Some("inputs") if inputs.contains_key(subject.key(1)?) => return None,
                _ => {}
            }
            runbook_dsl::analyze::choices_of(plan.playbook(), &subject)?.0
        }
    };
    if values.len() < 2 {
        return None;
    }
    // Outcome of each value, grouped by target in the order first seen.
    let mut groups: Vec<(Option<usize>, Option<usize>, Vec<String>)> = Vec::new();
    for value in &values {
        let mut assumed = partial.assumed.clone();
        assumed.retain(|(p, _)| !p.same_as(&subject));
        assumed.push((subject.clone(), vec![value.clone()]));
        let env = Symbolic {
            plan,
            inputs,
            states: &partial.states,
            assumed: &assumed,
        };
        let mut outcome = None;
        for (n, (case, cond)) in branch.cases.iter().zip(&step_plan.cases).enumerate() {
            match expr::eval(cond.as_ref()?, &env) {
                Ok(Outcome::Known(Value::Bool(true))) => {
                    outcome = Some((plan.index_of(&case.then.value), Some(n)));
                    break;
                }
                Ok(Outcome::Known(_)) => {}
                // A case this cannot decide: leave it to the general walk.
                _ => return None,
            }
        }
        let (target, case) = outcome.unwrap_or_else(|| {
            (
                branch
                    .otherwise
                    .as_ref()
                    .and_then(|o| plan.index_of(&o.value)),
                None,
            )
        });
        match groups
            .iter_mut()
            .find(|(t, c, _)| *t == target && *c == case)
        {
            Some(group) => group.2.push(value.clone()),
            None => groups.push((target, case, vec![value.clone()])),
        }
    }
    let id = &step.id.value;
    Some(
        groups
            .into_iter()
            .map(|(target, case, chosen)| {
                let answers: Vec<String> = chosen.iter().map(|v| format!("`{v}`")).collect();
                let answers = format!("{subject} is {}", answers.join(" or "));
                let decision = match (target, case) {
                    (Some(t), Some(_)) => {
                        format!("`{id}` -> `{}` ({answers})", plan.step(t).0.id.value)
                    }
                    (Some(t), None) => {
                        format!("`{id}` -> `{}` (else: {answers})", plan.step(t).0.id.value)
                    }
                    (None, _) => format!("`{id}`: no case holds ({answers})"),
                };
                let mut assumed = partial.assumed.clone();
                assumed.retain(|(p, _)| !p.same_as(&subject));
                assumed.push((subject.clone(), chosen));
                (target, decision, assumed)
            })
            .collect(),
    )
}

/// The runner's readiness rule (`runbook_dsl::activation`) over a path's states.
fn activated(plan: &Plan, i: usize, partial: &Partial) -> bool {
    activation::activation(
        plan.graph(),
        &plan.playbook().steps,
        i,
        |from| crate::runner::ended(partial.states[from]),
        |from| partial.taken[from] == Some(i),
    )
    .is_ok()
}
