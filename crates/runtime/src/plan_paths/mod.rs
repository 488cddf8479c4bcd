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
//! branches over one answer do not multiply into paths no operator can take.
//! The walk (`walk.rs`) follows the same readiness rules as the runner
//! (`docs/semantics.md`), in topological order, with a worklist (no
//! recursion), and stops listing after [`MAX_PATHS`]; `text.rs` prints the
//! paths.

mod called_gates;
mod loop_body;
mod text;
mod walk;

pub use called_gates::called_gates;
pub use text::text;

use runbook_dsl::ast::{Action as StepAction, OnFailure};
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use walk::walk;

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
