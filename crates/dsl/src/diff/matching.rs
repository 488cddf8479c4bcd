//! Which old step is which new one: by id, then by content (a rename).
//! Two steps matched by id whose contents each match the other's better
//! are taken as having swapped ids, and an id match of steps not alike
//! gives way to a match by content (an id another step left, reused).

use super::{steps_of, Flat};
use crate::ast::Action;
use crate::plan::Plan;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How the steps of the two plans correspond.
pub(super) struct Matching {
    pub old_to_new: HashMap<usize, usize>,
    pub new_to_old: HashMap<usize, usize>,
    /// New indices of two steps that swapped ids (each matched to the
    /// other's old id), in the new plan's order.
    pub swaps: Vec<(usize, usize)>,
}

/// Matches steps by id, undoes the id matches of steps that swapped ids,
/// then matches the rest of the same kind by content, with the id matches
/// of steps not alike.
pub(super) fn match_steps(
    old: Option<&Plan>,
    new: Option<&Plan>,
    old_flat: &[Flat],
    new_flat: &[Flat],
) -> Matching {
    let mut old_to_new = HashMap::new();
    let mut new_to_old = HashMap::new();
    let (old_steps, new_steps) = (steps_of(old), steps_of(new));
    let new_by_id: HashMap<&str, usize> = new_steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.value.as_str(), i))
        .collect();
    for (o, step) in old_steps.iter().enumerate() {
        if let Some(&n) = new_by_id.get(step.id.value.as_str()) {
            old_to_new.insert(o, n);
            new_to_old.insert(n, o);
        }
    }
    let score = |o: usize, n: usize| similarity(old_steps, new_steps, old_flat, new_flat, o, n);
    let swaps = swapped(&old_to_new, &score);
    for &(o1, n1, o2, n2) in &swaps {
        old_to_new.insert(o1, n2);
        old_to_new.insert(o2, n1);
        new_to_old.insert(n2, o1);
        new_to_old.insert(n1, o2);
    }
    // An id match of two steps not alike (less than a rename's likeness)
    // is decided again by content, with the steps matched by no id: a
    // step renamed into an id another step left (`step2` -> `step3`,
    // `step1` -> `step2` when a step is inserted before them).
    let swapped_old: HashSet<usize> = swaps.iter().flat_map(|s| [s.0, s.2]).collect();
    let mut unlike: Vec<(usize, usize)> = old_to_new
        .iter()
        .map(|(&o, &n)| (o, n))
        .filter(|&(o, n)| !swapped_old.contains(&o) && score(o, n) < SAME_STEP)
        .collect();
    unlike.sort_unstable();
    for (o, n) in &unlike {
        old_to_new.remove(o);
        new_to_old.remove(n);
    }
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for o in 0..old_steps.len() {
        if old_to_new.contains_key(&o) {
            continue;
        }
        for n in 0..new_steps.len() {
            if new_to_old.contains_key(&n) {
                continue;
            }
            let score = score(o, n);
            if score >= SAME_STEP {
                candidates.push((score, o, n));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, o, n) in candidates {
        if old_to_new.contains_key(&o) || new_to_old.contains_key(&n) {
            continue;
        }
        old_to_new.insert(o, n);
        new_to_old.insert(n, o);
    }
    // Those content did not take elsewhere stay matched by their id.
    for (o, n) in unlike {
        if !old_to_new.contains_key(&o) && !new_to_old.contains_key(&n) {
            old_to_new.insert(o, n);
            new_to_old.insert(n, o);
        }
    }
    let mut swaps: Vec<(usize, usize)> = swaps
        .into_iter()
        .map(|(_, n1, _, n2)| (n1.min(n2), n1.max(n2)))
        .collect();
    swaps.sort_unstable();
    Matching {
        old_to_new,
        new_to_old,
        swaps,
    }
}

/// The least similarity (per mille) of two steps taken as one step.
const SAME_STEP: usize = 600;

/// Pairs of id matches `(o1, n1)`, `(o2, n2)` whose steps swapped ids: `o1`
/// is like `n2` and `o2` like `n1` (each at least [`SAME_STEP`]), both
/// more than like the step that has their id. Only steps that changed
/// under their id are looked at, the best gains first, each step in one
/// swap at most. Returned as `(o1, n1, o2, n2)`.
fn swapped(
    old_to_new: &HashMap<usize, usize>,
    score: &dyn Fn(usize, usize) -> usize,
) -> Vec<(usize, usize, usize, usize)> {
    let mut changed: Vec<(usize, usize, usize)> = old_to_new
        .iter()
        .map(|(&o, &n)| (o, n, score(o, n)))
        .filter(|&(_, _, s)| s < 1000)
        .collect();
    changed.sort_unstable();
    let mut candidates = Vec::new();
    for (i, &(o1, n1, s11)) in changed.iter().enumerate() {
        for &(o2, n2, s22) in &changed[i + 1..] {
            let (s12, s21) = (score(o1, n2), score(o2, n1));
            if s12 >= SAME_STEP && s21 >= SAME_STEP && s12 > s11 && s21 > s22 {
                let gain = s12 + s21 - s11 - s22;
                candidates.push((std::cmp::Reverse(gain), o1, n1, o2, n2));
            }
        }
    }
    candidates.sort_unstable();
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (_, o1, n1, o2, n2) in candidates {
        if taken.contains(&o1) || taken.contains(&o2) {
            continue;
        }
        taken.extend([o1, o2]);
        out.push((o1, n1, o2, n2));
    }
    out
}

/// The share (per mille) of the fields besides the id that two steps of
/// the same kind have equal; 0 for steps of different kinds.
fn similarity(
    old_steps: &[crate::ast::Step],
    new_steps: &[crate::ast::Step],
    old_flat: &[Flat],
    new_flat: &[Flat],
    o: usize,
    n: usize,
) -> usize {
    let (a, b) = (&old_steps[o], &new_steps[n]);
    if a.action.kind_name() != b.action.kind_name() || !same_action_shape(&a.action, &b.action) {
        return 0;
    }
    let (old_fields, new_fields) = (fields(&old_flat[o]), fields(&new_flat[n]));
    let common = old_fields.intersection(&new_fields).count();
    let total = old_fields.len().max(new_fields.len()).max(1);
    common * 1000 / total
}

fn fields(flat: &Flat) -> BTreeSet<&(String, String)> {
    flat.iter().filter(|(k, _)| k != "id").collect()
}

fn same_action_shape(a: &Action, b: &Action) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
