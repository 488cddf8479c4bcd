//! Which steps can run on some path, by the runner's own readiness rule
//! ([`crate::activation`]): a step that can run on none is an error
//! (`unreachable_step`), and a step that runs only when another step fails,
//! because it `needs` that failure's recovery step, is a warning
//! (`only_after_failure`) when nothing goes on after that step succeeds —
//! the shape that silently cuts a procedure short.
//!
//! The walk goes through the steps in dependency order over a set of
//! *worlds*, each a way the steps so far could have ended. Results are
//! unknown, so a branch forks a world per case it could take, and a step
//! whose failure is handled (`goto`, `continue`) forks into "succeeded" and
//! "failed"; `when` guards that are not decided are assumed to hold (a skip
//! never lets more steps run). Worlds that agree on every step that still
//! matters (one with an edge to, or read by, a step not walked yet) are
//! merged, so independent branches add up instead of multiplying. Past
//! [`MAX_WORLDS`] the walk goes on over a deterministic sample of
//! [`SAMPLE_WORLDS`] worlds, which proves some steps reachable but can
//! prove none unreachable: it reports `reachability_unchecked` (a warning
//! naming the steps it did not see run) instead of any finding.

use super::skipped_reads::{self, PathValues, SkippedRead};
use crate::activation::{activation, handles_failure, Blocked, Ended};
use crate::ast::{Action, Playbook};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{self, Env, Lookup, Outcome, StepOutcome};
use crate::graph::{EdgeKind, StepGraph};
use crate::path::Path;
use crate::plan::StepPlan;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// More worlds than this at once and the walk goes on over a sample.
pub const MAX_WORLDS: usize = 4096;

/// How many worlds the sample keeps: enough to see most steps run, few
/// enough that a playbook of thousands of branches checks in no time.
pub const SAMPLE_WORLDS: usize = 256;

/// Where the walk stopped following every world.
struct Sampled {
    /// The step at which the worlds first outgrew [`MAX_WORLDS`].
    at: usize,
    /// How many worlds there were then.
    worlds: usize,
}

/// One set of paths through the steps walked so far. It holds the states
/// of the steps that still matter only (see `live` in [`walk`]): a world is
/// cloned at every branch and handled failure, so a state per step of the
/// playbook made the walk quadratic in the steps (a 20,000-step playbook
/// spent a tenth of `check` copying and dropping them).
#[derive(Clone, Default)]
struct World {
    /// How each step that still matters ended, and the case a branch took.
    states: HashMap<usize, (Ended, Option<usize>)>,
    /// Steps that failed (a handled failure) on every path this world stands for.
    failed: BTreeSet<usize>,
}

impl World {
    /// A step's end; a step that has not ended, or no longer matters, is
    /// `Unsettled` (no step reads one that no longer matters).
    fn ended(&self, j: usize) -> Ended {
        self.states.get(&j).map_or(Ended::Unsettled, |s| s.0)
    }

    fn taken(&self, j: usize) -> Option<usize> {
        self.states.get(&j).and_then(|s| s.1)
    }

    fn end(&mut self, j: usize, ended: Ended) {
        self.states.entry(j).or_insert((Ended::Unsettled, None)).0 = ended;
    }

    fn take(&mut self, j: usize, target: Option<usize>) {
        self.states.entry(j).or_insert((Ended::Unsettled, None)).1 = target;
    }
}

/// The world's step states, for `failed(ID)` and friends; every value is unknown.
struct Symbolic<'a> {
    index: &'a HashMap<&'a str, usize>,
    world: &'a World,
}

impl Env for Symbolic<'_> {
    fn lookup(&self, _: &Path) -> Lookup {
        Lookup::Unknown
    }

    fn step_state(&self, id: &str) -> Option<StepOutcome> {
        self.world.ended(*self.index.get(id)?).outcome()
    }
}

/// What the walk learnt about one step.
#[derive(Clone, Default)]
struct Seen {
    runs: bool,
    /// Failed steps common to every world in which it runs.
    gate: Option<BTreeSet<usize>>,
    /// Why it did not run in a world where a case or failure edge chose it.
    blocked_when_chosen: Option<Blocked>,
    blocked: Option<Blocked>,
    /// A result of a step skipped on a path where this one runs, read so
    /// that this step fails there.
    skipped_read: Option<SkippedRead>,
}

pub(super) fn check(
    playbook: &Playbook,
    graph: &StepGraph,
    order: &[usize],
    plans: &[StepPlan],
    vars: &HashMap<&str, &expr::Expr>,
    diags: &mut Diagnostics,
) {
    let n = playbook.steps.len();
    if order.len() != n {
        return;
    }
    let (seen, sampled) = walk(playbook, graph, order, plans, vars);
    // A read found on one path fails the run there, sampled or not.
    for &i in order {
        if let Some(read) = &seen[i].skipped_read {
            diags.push(skipped_reads::warning(playbook, i, read));
        }
    }
    if let Some(sampled) = sampled {
        // A sample proves that steps run, never that one cannot: no
        // `unreachable_step`, and no `only_after_failure` (the failures
        // common to the sampled worlds may not be common to all).
        let unseen: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| !plans[i].unreachable && !seen[i].runs)
            .collect();
        diags.push(unchecked(playbook, &sampled, &unseen));
        return;
    }
    for &i in order {
        if plans[i].unreachable {
            continue;
        }
        if !seen[i].runs {
            diags.push(unreachable(playbook, graph, i, &seen[i]));
            continue;
        }
        if let Some(d) = only_after_failure(playbook, graph, plans, i, &seen) {
            diags.push(d);
        }
    }
}

fn walk(
    playbook: &Playbook,
    graph: &StepGraph,
    order: &[usize],
    plans: &[StepPlan],
    vars: &HashMap<&str, &expr::Expr>,
) -> (Vec<Seen>, Option<Sampled>) {
    let n = playbook.steps.len();
    let mut sampled: Option<Sampled> = None;
    let index: HashMap<&str, usize> = playbook
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.value.as_str(), i))
        .collect();
    let mut position = vec![0; n];
    for (p, &i) in order.iter().enumerate() {
        position[i] = p;
    }
    // The last position at which a step's state still matters.
    let mut last_use = position.clone();
    for (k, plan) in plans.iter().enumerate() {
        for &r in &plan.reads {
            last_use[r] = last_use[r].max(position[k]);
        }
    }
    for (from, to, _) in graph.edges() {
        last_use[from] = last_use[from].max(position[to]);
    }
    let mut seen = vec![Seen::default(); n];
    let mut worlds = vec![World::default()];
    let mut live: Vec<usize> = Vec::new();
    let mut is_live = vec![false; n];
    for (p, &i) in order.iter().enumerate() {
        let step = &playbook.steps[i];
        let mut next = Vec::with_capacity(worlds.len());
        for mut world in worlds {
            let decided = activation(
                graph,
                &playbook.steps,
                i,
                |j| world.ended(j),
                |b| world.taken(b) == Some(i),
            );
            if let Err(blocked) = decided {
                let chosen = graph.incoming(i).any(|(from, edge)| match edge.kind {
                    EdgeKind::Needs => false,
                    EdgeKind::Failure => world.ended(from).is_failure(),
                    _ => world.ended(from) == Ended::Succeeded && world.taken(from) == Some(i),
                });
                let s = &mut seen[i];
                if chosen && s.blocked_when_chosen.is_none() {
                    s.blocked_when_chosen = Some(blocked);
                }
                s.blocked.get_or_insert(blocked);
                world.end(i, Ended::Skipped);
                next.push(world);
                continue;
            }
            let env = Symbolic {
                index: &index,
                world: &world,
            };
            if let Some(when) = &plans[i].when {
                if let Ok(Outcome::Known(v)) = expr::eval(when, &env) {
                    if v != Value::Bool(true) {
                        world.end(i, Ended::Skipped);
                        next.push(world);
                        continue;
                    }
                }
            }
            let s = &mut seen[i];
            s.runs = true;
            let reads_skipped = plans[i]
                .reads
                .iter()
                .any(|&r| world.ended(r) == Ended::Skipped);
            if s.skipped_read.is_none() && reads_skipped {
                let ended = |j: usize| world.ended(j);
                let values = PathValues::new(&index, &ended, vars);
                s.skipped_read = skipped_reads::first(&plans[i], &values);
            }
            s.gate = Some(match s.gate.take() {
                Some(gate) => gate.intersection(&world.failed).copied().collect(),
                None => world.failed.clone(),
            });
            if let Action::Branch(branch) = &step.action {
                let mut targets: Vec<Option<usize>> = Vec::new();
                let mut settled = false;
                for (case, condition) in branch.cases.iter().zip(&plans[i].cases) {
                    let target = index.get(case.then.value.as_str()).copied();
                    match condition.as_ref().map(|c| expr::eval(c, &env)) {
                        Some(Ok(Outcome::Known(Value::Bool(true)))) => {
                            targets.push(target);
                            settled = true;
                            break;
                        }
                        Some(Ok(Outcome::Known(_))) => {}
                        _ => targets.push(target),
                    }
                }
                if !settled {
                    targets.push(
                        branch
                            .otherwise
                            .as_ref()
                            .and_then(|o| index.get(o.value.as_str()).copied()),
                    );
                }
                targets.dedup();
                world.end(i, Ended::Succeeded);
                for target in targets {
                    let mut fork = world.clone();
                    fork.take(i, target);
                    next.push(fork);
                }
                continue;
            }
            if handles_failure(step) {
                let mut failing = world.clone();
                failing.end(i, Ended::Failed);
                failing.failed.insert(i);
                next.push(failing);
            }
            world.end(i, Ended::Succeeded);
            next.push(world);
        }
        // Merge worlds that agree on every step that still matters.
        live.retain(|&j| {
            is_live[j] = last_use[j] > p;
            is_live[j]
        });
        if last_use[i] > p {
            live.push(i);
            is_live[i] = true;
        }
        let mut merged: Vec<World> = Vec::with_capacity(next.len());
        let mut at: HashMap<Vec<(Ended, Option<usize>)>, usize> = HashMap::new();
        for world in next {
            let key: Vec<(Ended, Option<usize>)> = live
                .iter()
                .map(|&j| (world.ended(j), world.taken(j)))
                .collect();
            match at.get(&key) {
                Some(&m) => {
                    let kept = &mut merged[m];
                    kept.failed = kept.failed.intersection(&world.failed).copied().collect();
                }
                None => {
                    at.insert(key, merged.len());
                    let mut world = world;
                    world.states.retain(|&j, _| is_live[j]);
                    merged.push(world);
                }
            }
        }
        if merged.len() > MAX_WORLDS && sampled.is_none() {
            sampled = Some(Sampled {
                at: i,
                worlds: merged.len(),
            });
        }
        if sampled.is_some() && merged.len() > SAMPLE_WORLDS {
            merged = sample(merged, SAMPLE_WORLDS);
        }
        worlds = merged;
    }
    (seen, sampled)
}

/// `keep` of the worlds, chosen by a fixed pseudo-random sequence (not
/// evenly spaced: worlds fork in a regular pattern, and a stride would
/// keep only one side of every branch), in their order, so the same
/// playbook always checks the same way.
fn sample(worlds: Vec<World>, keep: usize) -> Vec<World> {
    let len = worlds.len();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15 ^ len as u64;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    // A partial Fisher-Yates shuffle of the positions.
    let mut positions: Vec<usize> = (0..len).collect();
    for k in 0..keep.min(len) {
        let pick = k + (next() % (len - k) as u64) as usize;
        positions.swap(k, pick);
    }
    let mut kept = vec![false; len];
    for &p in &positions[..keep.min(len)] {
        kept[p] = true;
    }
    worlds
        .into_iter()
        .zip(kept)
        .filter_map(|(w, k)| k.then_some(w))
        .collect()
}

/// The warning of a walk that went on over a sample: where the worlds
/// outgrew the limit, and the steps no sampled world ran (not reported
/// unreachable: they may run in a world the sample left out).
fn unchecked(playbook: &Playbook, sampled: &Sampled, unseen: &[usize]) -> Diagnostic {
    let at = &playbook.steps[sampled.at];
    let d = Diagnostic::warning(
        Code::ReachabilityUnchecked,
        format!(
            "the paths through this playbook were not all checked: more than {MAX_WORLDS} combinations of branch outcomes"
        ),
    );
    let d = match &playbook.name {
        Some(name) => d.label(name.span, "its reachability is checked on a sample"),
        None => d,
    };
    let shown: Vec<String> = unseen
        .iter()
        .take(5)
        .map(|&i| format!("`{}`", id(playbook, i)))
        .collect();
    let unseen_text = match unseen.len() {
        0 => "every step ran in some sampled world, so every step can run".to_string(),
        n => format!(
            "{n} step(s) did not run in any sampled world and are not reported unreachable (they may run in a world left out): {}{}",
            shown.join(", "),
            if n > shown.len() { ", ..." } else { "" }
        ),
    };
    d.label(
        at.id.span,
        format!(
            "{} combinations of branch outcomes after this step",
            sampled.worlds
        ),
    )
    .help(format!(
        "runbook checked a sample of {SAMPLE_WORLDS} of them: {unseen_text}; to have every path checked, move independent branches into called playbooks (`playbook:` steps, checked on their own), or make fewer later steps read the outcome of each branch"
    ))
}

fn id(playbook: &Playbook, i: usize) -> &str {
    &playbook.steps[i].id.value
}

fn unreachable(playbook: &Playbook, graph: &StepGraph, i: usize, seen: &Seen) -> Diagnostic {
    let step = &playbook.steps[i];
    let me = &step.id.value;
    let d = Diagnostic::error(
        Code::UnreachableStep,
        format!("step `{me}` can run on no path"),
    )
    .label(step.id.span, "never runs");
    let edge_span = |from: usize, needs: bool| {
        graph
            .incoming(i)
            .find(|(f, e)| *f == from && (e.kind == EdgeKind::Needs) == needs)
            .map(|(_, e)| e.span)
    };
    match seen.blocked_when_chosen.or(seen.blocked) {
        Some(Blocked::Need(need)) => {
            let need_id = id(playbook, need);
            let chosen = seen.blocked_when_chosen.is_some();
            let label = if chosen {
                format!("on every path that chooses `{me}`, `{need_id}` has failed (or did not run)")
            } else {
                format!("`{need_id}` never succeeds before it")
            };
            let d = match edge_span(need, true) {
                Some(span) => d.label(span, label),
                None => d,
            };
            d.help(format!(
                "a need that failed skips a step even when a branch or a failure edge chose it: if `{me}` is meant to run after `{need_id}` failed, remove `{need_id}` from its `needs` (the edge that chooses it already orders it), or give `{need_id}` `on_failure: continue`"
            ))
        }
        Some(Blocked::NotTaken { from, failure_edge }) => {
            let from_id = id(playbook, from);
            let label = if failure_edge {
                format!("`{from_id}` never fails where this edge could be taken")
            } else {
                format!("`{from_id}` never chooses it on a path where it runs")
            };
            let d = match edge_span(from, false) {
                Some(span) => d.label(span, label),
                None => d,
            };
            d.help("every conditional edge into it is ruled out on every path: check the branch's conditions and the `needs` of the steps before it")
        }
        Some(Blocked::AllNeedsSkipped) => d.help(format!(
            "every step `{me}` needs is skipped on every path: make it need a step that runs, or make it a branch target"
        )),
        None => d,
    }
}

/// A step whose every run needs a handled failure of `F`, because it needs
/// `F`'s recovery step (the target of `F`'s `on_failure: {goto}`), that
/// says nothing about `F` itself, while nothing goes on after `F`
/// succeeds: a "check, fix if needed, go on" written so that a successful
/// check ends the procedure.
fn only_after_failure(
    playbook: &Playbook,
    graph: &StepGraph,
    plans: &[StepPlan],
    i: usize,
    seen: &[Seen],
) -> Option<Diagnostic> {
    let step = &playbook.steps[i];
    let gate = seen[i].gate.as_ref()?;
    // A step chosen by a case or a failure edge is an explicit decision.
    if graph.incoming(i).any(|(_, e)| e.kind.is_conditional()) {
        return None;
    }
    for &failing in gate {
        // Reading the failing step is explicit; and when some step needs
        // it, its success has a path of its own (a recovery subtree then
        // hangs off its failure on purpose).
        let success_goes_on = graph
            .outgoing(failing)
            .any(|(_, e)| e.kind == EdgeKind::Needs);
        if plans[i].reads.contains(&failing) || success_goes_on {
            continue;
        }
        // Its recovery step, which `i` needs directly.
        let recovery = graph.incoming(i).find_map(|(from, edge)| {
            (edge.kind == EdgeKind::Needs
                && graph
                    .incoming(from)
                    .any(|(f, e)| f == failing && e.kind == EdgeKind::Failure))
            .then_some((from, edge.span))
        });
        let Some((recovery, span)) = recovery else {
            continue;
        };
        let (me, f, r) = (
            &step.id.value,
            id(playbook, failing),
            id(playbook, recovery),
        );
        return Some(
            Diagnostic::warning(
                Code::OnlyAfterFailure,
                format!("step `{me}` runs only if `{f}` fails"),
            )
            .label(step.id.span, format!("skipped whenever `{f}` succeeds"))
            .label(
                span,
                format!("`{r}` runs only when `{f}` fails (`{f}` has `on_failure: {{goto: {r}}}`)"),
            )
            .help(format!(
                "to run `{me}` whether or not `{f}` fails, give `{f}` `on_failure: continue`, guard `{r}` with `when: failed({f})` and write `needs: [{f}, {r}]`; to run it only after the failure, say so with `when: failed({f})`"
            )),
        );
    }
    None
}
