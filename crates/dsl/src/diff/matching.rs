//! Which old step is which new one: by id, then by content (a rename),
//! and two steps matched by id whose contents each match the other's
//! better are taken as having swapped ids.

use super::{steps_of, Flat};
use crate::ast::Action;
use crate::plan::Plan;
use std::collections::{BTreeSet, HashMap};

/// Matches steps by id, then unmatched steps of the same kind by content.
pub(super) fn match_steps(
    old: Option<&Plan>,
    new: Option<&Plan>,
    old_flat: &[Flat],
    new_flat: &[Flat],
) -> (HashMap<usize, usize>, HashMap<usize, usize>) {
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
    // Content matching: the share of fields (besides the id) that are equal.
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (o, step) in old_steps.iter().enumerate() {
        if old_to_new.contains_key(&o) {
            continue;
        }
        let old_fields: BTreeSet<&(String, String)> =
            old_flat[o].iter().filter(|(k, _)| k != "id").collect();
        for (n, new_step) in new_steps.iter().enumerate() {
            if new_to_old.contains_key(&n)
                || new_step.action.kind_name() != step.action.kind_name()
                || !same_action_shape(&step.action, &new_step.action)
            {
                continue;
            }
            let new_fields: BTreeSet<&(String, String)> =
                new_flat[n].iter().filter(|(k, _)| k != "id").collect();
            let common = old_fields.intersection(&new_fields).count();
            let total = old_fields.len().max(new_fields.len()).max(1);
            // Per mille, so candidates sort without floats.
            let score = common * 1000 / total;
            if score >= 600 {
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
    (old_to_new, new_to_old)
}

fn same_action_shape(a: &Action, b: &Action) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
