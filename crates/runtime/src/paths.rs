//! `runbook plan`: every path through a playbook's branches, executing
//! nothing.
//!
//! Step results are symbolic unknowns; inputs are known when given or
//! defaulted. Guards and branch cases are evaluated with the expression
//! language's three-valued logic: a case that is known false is never taken,
//! one that is known true cuts off the cases after it, and an unknown one
//! forks the path. A step whose failure is handled (`on_failure: {goto}` or
//! `continue`) forks into "succeeds" and "fails".
//!
//! A branch whose cases all switch on one choice (an `ask` answer or an enum
//! input that was not given) forks once per distinct target instead, each
//! fork assuming the answers that lead there; later guards and branches over
//! the same answer see that assumption. So a branch that `runbook check`
//! proves exhaustive never gets an impossible "no case holds" path, and two
//! branches over one answer do not multiply into paths no operator can take. The walk follows the same readiness rules as the runner
//! (`docs/semantics.md`), in topological order, with a worklist (no
//! recursion), and stops listing after [`MAX_PATHS`].

use crate::event::StepState;
use runbook_dsl::activation;
use runbook_dsl::ast::{Action as StepAction, OnFailure};
use runbook_dsl::expr::{self, Env, Lookup, Outcome, StepOutcome};
use runbook_dsl::path::Path;
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use std::fmt::Write;

/// More paths than this are not listed (the count says so).
pub const MAX_PATHS: usize = 256;

/// One step on a path.
#[derive(Clone, Debug, PartialEq)]
pub struct PathStep {
    pub index: usize,
    /// The `when` guard could not be decided: the step runs only if it holds.
    pub condition: Option<String>,
    pub gated: bool,
    /// On this path the step fails (its failure edge is followed).
    pub fails: bool,
}

/// One way through the playbook.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanPath {
    /// The choices that make this path, in order: "`route` -> `workload` (when ...)".
    pub decisions: Vec<String>,
    pub steps: Vec<PathStep>,
}

/// Every path, and whether the list was cut at [`MAX_PATHS`].
#[derive(Clone, Debug, Default)]
pub struct Paths {
    pub paths: Vec<PlanPath>,
    pub truncated: bool,
    /// When the decisions fall into independent groups (no decision of one
    /// is upstream of a decision of another: eight alert branches side by
    /// side), the paths are listed per group instead of multiplied, and
    /// `paths` is empty.
    pub parts: Option<Parts>,
}

/// The paths of a playbook whose decisions are independent of each other.
#[derive(Clone, Debug, Default)]
pub struct Parts {
    /// Steps downstream of no decision: on every path.
    pub common: Vec<PathStep>,
    /// One entry per group of decisions, with the steps only it decides.
    pub parts: Vec<Paths>,
    /// Steps downstream of several groups (joins): they run on the paths
    /// where the readiness rules let them.
    pub joins: Vec<usize>,
    /// The number of whole paths: the product of the parts' counts.
    pub total: u128,
}

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

/// The steps at which a path can fork: branches, and steps whose failure
/// is handled.
fn decisions(plan: &Plan) -> Vec<usize> {
    plan.order()
        .iter()
        .copied()
        .filter(|&i| {
            let step = plan.step(i).0;
            matches!(step.action, StepAction::Branch(_))
                || matches!(
                    step.on_failure.as_ref().map(|o| &o.value),
                    Some(OnFailure::Goto(_) | OnFailure::Continue)
                )
        })
        .collect()
}

/// Walks every path; decisions that are independent of each other are
/// grouped (see [`Paths::parts`]).
pub fn enumerate(plan: &Plan, given: &Map<String, Value>) -> Paths {
    let decisions = decisions(plan);
    let ancestry = plan.graph().ancestry(plan.order());
    // Union-find over decisions: one is upstream of the other.
    let mut group: Vec<usize> = (0..decisions.len()).collect();
    fn root(group: &mut [usize], mut a: usize) -> usize {
        while group[a] != a {
            group[a] = group[group[a]];
            a = group[a];
        }
        a
    }
    for a in 0..decisions.len() {
        for b in a + 1..decisions.len() {
            let (x, y) = (decisions[a], decisions[b]);
            if ancestry.is_upstream(y, x) || ancestry.is_upstream(x, y) {
                let (ra, rb) = (root(&mut group, a), root(&mut group, b));
                group[ra] = rb;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: Vec<Option<usize>> = vec![None; decisions.len()];
    for (a, &decision) in decisions.iter().enumerate() {
        let r = root(&mut group, a);
        let g = match group_of[r] {
            Some(g) => g,
            None => {
                groups.push(Vec::new());
                group_of[r] = Some(groups.len() - 1);
                groups.len() - 1
            }
        };
        groups[g].push(decision);
    }
    if groups.len() < 2 {
        return walk(plan, given, None);
    }
    // Which groups decide each step: those with a decision upstream of it
    // (or the step itself).
    let n = plan.len();
    let mut deciders: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deciders.iter_mut().enumerate() {
        for (g, members) in groups.iter().enumerate() {
            if members
                .iter()
                .any(|&m| m == i || ancestry.is_upstream(m, i))
            {
                d.push(g);
            }
        }
    }
    let mut parts = Parts {
        total: 1,
        ..Parts::default()
    };
    let first = walk(plan, given, Some(&[]));
    if let Some(path) = first.paths.first() {
        parts.common = path
            .steps
            .iter()
            .filter(|s| deciders[s.index].is_empty())
            .cloned()
            .collect();
    }
    for (g, members) in groups.iter().enumerate() {
        let mut part = walk(plan, given, Some(members));
        for path in &mut part.paths {
            path.steps.retain(|s| deciders[s.index] == [g]);
        }
        parts.total = parts.total.saturating_mul(part.paths.len().max(1) as u128);
        parts.parts.push(part);
    }
    parts.joins = plan
        .order()
        .iter()
        .copied()
        .filter(|&i| deciders[i].len() > 1)
        .collect();
    Paths {
        parts: Some(parts),
        ..Paths::default()
    }
}

/// Walks the paths, forking only at the decisions in `forks` (all of them
/// when `None`); elsewhere a branch takes its first possible way and a
/// handled failure does not happen.
fn walk(plan: &Plan, given: &Map<String, Value>, forks: Option<&[usize]>) -> Paths {
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

/// The paths as text.
pub fn render(plan: &Plan, paths: &Paths) -> String {
    let mut out = String::new();
    let name = plan
        .playbook()
        .name
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_else(|| plan.file().name().to_string());
    if let Some(parts) = &paths.parts {
        render_parts(plan, &name, parts, &mut out);
        return out;
    }
    let count = paths.paths.len();
    let _ = writeln!(
        out,
        "{count} path{} through `{name}`{}; nothing was executed.",
        if count == 1 { "" } else { "s" },
        if paths.truncated {
            format!(" (only the first {MAX_PATHS} are listed)")
        } else {
            String::new()
        }
    );
    for (n, path) in paths.paths.iter().enumerate() {
        render_path(plan, &format!("path {}", n + 1), path, "", &mut out);
    }
    out
}

fn render_path(plan: &Plan, title: &str, path: &PlanPath, indent: &str, out: &mut String) {
    let _ = writeln!(out, "\n{indent}{title}:");
    if path.decisions.is_empty() {
        let _ = writeln!(out, "{indent}  (no branch decisions)");
    }
    for decision in &path.decisions {
        let _ = writeln!(out, "{indent}  if {decision}");
    }
    let gates = path.steps.iter().filter(|s| s.gated).count();
    let _ = writeln!(
        out,
        "{indent}  {} step(s), {gates} gate(s):",
        path.steps.len()
    );
    render_steps(plan, &path.steps, &format!("{indent}    "), out);
}

fn render_steps(plan: &Plan, steps: &[PathStep], indent: &str, out: &mut String) {
    for s in steps {
        let (step, step_plan) = plan.step(s.index);
        let mut notes = vec![step_plan.effect.name().to_string()];
        if s.gated {
            notes.push("gate".into());
        }
        if s.fails {
            notes.push("fails".into());
        }
        if let Some(c) = &s.condition {
            notes.push(format!("only if {c}"));
        }
        let _ = writeln!(
            out,
            "{indent}{} {} [{}]",
            if s.gated { "◆" } else { "•" },
            step.id.value,
            notes.join(", ")
        );
        if let Some(body) = loop_body(step) {
            let _ = writeln!(out, "{indent}    {body}");
        }
    }
}

/// A loop is one node of the plan; under it, its body: what runs once per
/// element, over which list, how many at a time.
fn loop_body(step: &runbook_dsl::ast::Step) -> Option<String> {
    use runbook_dsl::ast::Action;
    let for_each = step.for_each.as_ref()?;
    let body = match &step.action {
        Action::Kind { name, params } => match params.scalar_string() {
            Some(text) => format!("{} {}", name.value, terminal_line(&text)),
            // The scalar parameters of the long form: `k8s operation=logs name={{pod}}`.
            None => {
                let fields: Vec<String> = params
                    .as_map()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| Some(format!("{}={}", e.key.value, e.value.scalar_string()?)))
                    .collect();
                format!("{} {}", name.value, terminal_line(&fields.join(" ")))
            }
        },
        other => other.kind_name().to_string(),
    };
    Some(format!("↻ {}: {body}", for_each.summary()))
}

/// The first line of a command, control characters escaped, for a line of the plan.
fn terminal_line(text: &str) -> String {
    let line: String = text
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let escaped = runbook_dsl::terminal_text::escape(&line).into_owned();
    if line.len() < text.len() {
        format!("{escaped} ...")
    } else {
        escaped
    }
}

/// Independent parts: the common steps, each part's paths, the joins.
fn render_parts(plan: &Plan, name: &str, parts: &Parts, out: &mut String) {
    let counts: Vec<String> = parts
        .parts
        .iter()
        .map(|p| p.paths.len().to_string())
        .collect();
    let _ = writeln!(
        out,
        "{} paths through `{name}`: {} independent parts ({}), each path taking one way through every part; nothing was executed.",
        parts.total,
        parts.parts.len(),
        counts.join(" × "),
    );
    let _ = writeln!(out, "\non every path:");
    if parts.common.is_empty() {
        let _ = writeln!(out, "  (no step)");
    }
    render_steps(plan, &parts.common, "  ", out);
    for (p, part) in parts.parts.iter().enumerate() {
        let count = part.paths.len();
        let _ = writeln!(
            out,
            "\npart {}: {count} way{}{}",
            p + 1,
            if count == 1 { "" } else { "s" },
            if part.truncated {
                format!(" (only the first {MAX_PATHS} are listed)")
            } else {
                String::new()
            }
        );
        for (n, path) in part.paths.iter().enumerate() {
            render_path(plan, &format!("way {}.{}", p + 1, n + 1), path, "  ", out);
        }
    }
    if !parts.joins.is_empty() {
        let _ = writeln!(
            out,
            "\nafter several parts (each runs when the ways taken let it: docs/semantics.md, \"Joins after branches\"):"
        );
        for &i in &parts.joins {
            let (step, step_plan) = plan.step(i);
            let gated = plan.is_gated(i);
            let mut notes = vec![step_plan.effect.name().to_string()];
            if gated {
                notes.push("gate".into());
            }
            let _ = writeln!(
                out,
                "  {} {} [{}]",
                if gated { "◆" } else { "•" },
                step.id.value,
                notes.join(", ")
            );
        }
    }
}
