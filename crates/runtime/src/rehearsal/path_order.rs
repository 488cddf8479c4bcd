//! The order `expect: path:` lists its steps in, against the playbooks'
//! dependencies: a step listed before one that must settle before it in
//! every run is out of order. Steps of called playbooks (`CALL.STEP`,
//! `CALL[INDEX].STEP`) are held to their own playbook's dependencies, and
//! sit where their calling step sits among the caller's. Steps that no
//! dependency orders (parallel branches, two elements' runs of a loop,
//! a calling step and the steps of its own run) may be listed in either
//! order: the scheduler does not fix theirs.

use super::address::Addressed;
use super::element_address::{parse, Part};

/// The first pair `(earlier, later)` of positions in the path where the
/// later-listed step must settle before the earlier-listed one. `steps`
/// holds, for each listed address, the step at each part of it.
pub fn first_out_of_order(addresses: &[&str], steps: &[Vec<Addressed>]) -> Option<(usize, usize)> {
    let parts: Vec<Vec<Part>> = addresses
        .iter()
        .map(|a| parse(a).unwrap_or_default())
        .collect();
    let listed: Vec<(&[Addressed], &[Part])> = steps
        .iter()
        .zip(&parts)
        .map(|(s, p)| (s.as_slice(), p.as_slice()))
        .collect();
    for (k, &earlier) in listed.iter().enumerate() {
        if let Some(m) = (k + 1..listed.len()).find(|&m| runs_before(listed[m], earlier)) {
            return Some((k, m));
        }
    }
    None
}

/// Whether the step at `first` settles before the one at `then` in every
/// run: at the first part where their addresses part, two steps of the
/// same playbook, the first upstream of the other.
fn runs_before(first: (&[Addressed], &[Part]), then: (&[Addressed], &[Part])) -> bool {
    for level in 0..=first.0.len() {
        let (Some(a), Some(b)) = (first.0.get(level), then.0.get(level)) else {
            // One is the calling step of the other's run.
            return false;
        };
        if a.index != b.index {
            let plan = &a.plan;
            return plan
                .graph()
                .ancestry(plan.order())
                .is_upstream(a.index, b.index);
        }
        let selected = |parts: &[Part]| parts.get(level).and_then(|p| p.element.clone());
        if selected(first.1) != selected(then.1) {
            // Two elements' runs (or one and any): not ordered.
            return false;
        }
    }
    false
}
