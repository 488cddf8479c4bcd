//! Two versions of a step (or of the playbook's fields) compared field by
//! field in their canonical YAML form, lists as sequences: a case inserted
//! at the top of a `triage`, a step added to `needs` or a target to a
//! `for_each` list is one insertion, not a change of every element after
//! it. Elements are aligned by their longest common subsequence; between
//! two aligned elements, the rest pair by what they share (a case that
//! kept its target or its condition), then in order by their fields.
//!
//! The walk is a loop over a stack, never a recursion.

use super::{field_change, flatten, FieldChange, Flat};
use crate::print::yaml_value::Yaml;
use std::collections::{BTreeMap, BTreeSet};

/// An old leaf's text as the new plan would spell it, from its path and
/// value (renamed step ids).
pub(super) type Rename<'a> = &'a dyn Fn(&str, &str) -> String;

/// The fields that differ, in the new version's order, then those only the
/// old one has. A path names the new position of a list element, the old
/// one for an element removed.
pub(super) fn compare(old: Option<&Yaml>, new: Option<&Yaml>, rename: Rename) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut removed = Vec::new();
    let mut stack = vec![(String::new(), String::new(), old, new)];
    while let Some((old_path, new_path, old, new)) = stack.pop() {
        let mut children = Vec::new();
        match (old, new) {
            (Some(Yaml::Mapping(o)), Some(Yaml::Mapping(n))) if !o.is_empty() && !n.is_empty() => {
                let join = |path: &str, key: &str| {
                    if path.is_empty() {
                        key.to_string()
                    } else {
                        format!("{path}.{key}")
                    }
                };
                for (key, value) in n.iter() {
                    children.push((
                        join(&old_path, key),
                        join(&new_path, key),
                        o.get(key),
                        Some(value),
                    ));
                }
                for (key, value) in o.iter().filter(|(k, _)| n.get(k).is_none()) {
                    children.push((
                        join(&old_path, key),
                        join(&new_path, key),
                        Some(value),
                        None,
                    ));
                }
            }
            (Some(Yaml::Sequence(o)), Some(Yaml::Sequence(n)))
                if !o.is_empty() && !n.is_empty() =>
            {
                for (i, j) in align(o, n, &old_path, &new_path, rename) {
                    // An element only the old list has keeps its old position.
                    let at = |path: &str, k: usize| format!("{path}[{k}]");
                    let new_at =
                        j.map_or_else(|| at(&new_path, i.unwrap_or(0)), |j| at(&new_path, j));
                    let old_at = i.map_or_else(|| new_at.clone(), |i| at(&old_path, i));
                    children.push((old_at, new_at, i.map(|i| &o[i]), j.map(|j| &n[j])));
                }
            }
            _ => leaves(
                &old_path,
                &new_path,
                old,
                new,
                rename,
                &mut out,
                &mut removed,
            ),
        }
        stack.extend(children.into_iter().rev());
    }
    out.extend(removed);
    out
}

/// The leaves of two values that are not both mappings or both lists,
/// compared by their path below the value.
fn leaves(
    old_path: &str,
    new_path: &str,
    old: Option<&Yaml>,
    new: Option<&Yaml>,
    rename: Rename,
    out: &mut Vec<FieldChange>,
    removed: &mut Vec<FieldChange>,
) {
    let old_leaves = old
        .map(|o| below(o, old_path, Some(rename)))
        .unwrap_or_default();
    let new_leaves = new.map(|n| below(n, new_path, None)).unwrap_or_default();
    let old_map: BTreeMap<&str, &str> = old_leaves
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let new_keys: BTreeSet<&str> = new_leaves.iter().map(|(k, _)| k.as_str()).collect();
    for (rest, value) in &new_leaves {
        match old_map.get(rest.as_str()) {
            Some(was) if *was == value => {}
            was => out.push(field_change(
                &format!("{new_path}{rest}"),
                was.copied(),
                Some(value),
            )),
        }
    }
    for (rest, value) in &old_leaves {
        if !new_keys.contains(rest.as_str()) {
            removed.push(field_change(
                &format!("{old_path}{rest}"),
                Some(value),
                None,
            ));
        }
    }
}

/// A value's leaves as `(path below it, text)`, old ones renamed.
fn below(value: &Yaml, path: &str, rename: Option<Rename>) -> Flat {
    let mut flat = Vec::new();
    flatten(value, path.to_string(), &mut flat);
    flat.into_iter()
        .map(|(full, text)| {
            let text = rename.map_or(text.clone(), |r| r(&full, &text));
            let rest = full.strip_prefix(path).unwrap_or(&full).to_string();
            (rest, text)
        })
        .collect()
}

/// The larger of two lists' lengths past which elements are paired by
/// position rather than by a common subsequence (quadratic in time).
const ALIGNED_AT_MOST: usize = 1000;

/// Old and new positions of the elements of two lists, in the new order,
/// then the old elements not kept.
fn align(
    old: &[Yaml],
    new: &[Yaml],
    old_path: &str,
    new_path: &str,
    rename: Rename,
) -> Vec<(Option<usize>, Option<usize>)> {
    let old_keys: Vec<Flat> = (0..old.len())
        .map(|i| below(&old[i], &format!("{old_path}[{i}]"), Some(rename)))
        .collect();
    let new_keys: Vec<Flat> = (0..new.len())
        .map(|j| below(&new[j], &format!("{new_path}[{j}]"), None))
        .collect();
    let mut new_to_old: Vec<Option<usize>> = vec![None; new.len()];
    if old.len().max(new.len()) > ALIGNED_AT_MOST {
        for (j, slot) in new_to_old.iter_mut().enumerate().take(old.len()) {
            *slot = Some(j);
        }
    } else {
        let anchors = common_subsequence(&old_keys, &new_keys);
        // The gaps between anchors, and after the last one.
        let mut previous = (0, 0);
        let end = (old.len(), new.len());
        for (i, j) in anchors.into_iter().chain(std::iter::once(end)) {
            pair_gap(
                &old_keys,
                &new_keys,
                previous.0..i,
                previous.1..j,
                &mut new_to_old,
            );
            if i < old.len() {
                new_to_old[j] = Some(i);
            }
            previous = (i + 1, j + 1);
        }
    }
    let kept: BTreeSet<usize> = new_to_old.iter().flatten().copied().collect();
    let mut out: Vec<(Option<usize>, Option<usize>)> = new_to_old
        .iter()
        .enumerate()
        .map(|(j, i)| (*i, Some(j)))
        .collect();
    out.extend(
        (0..old.len())
            .filter(|i| !kept.contains(i))
            .map(|i| (Some(i), None)),
    );
    out
}

/// The pairs `(old, new)` of a longest common subsequence of equal elements.
fn common_subsequence(old: &[Flat], new: &[Flat]) -> Vec<(usize, usize)> {
    let (m, n) = (old.len(), new.len());
    // lengths[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut lengths = vec![vec![0u32; n + 1]; m + 1];
    for i in (0..m).rev() {
        for j in (0..n).rev() {
            lengths[i][j] = if old[i] == new[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < m && j < n {
        if old[i] == new[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if lengths[i + 1][j] >= lengths[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Pairs the elements of one gap between aligned elements: first those
/// that share most leaves (a case that kept its condition or its target),
/// then in order those with the same fields (two values, two `else`s); the
/// rest are added or removed.
fn pair_gap(
    old: &[Flat],
    new: &[Flat],
    old_gap: std::ops::Range<usize>,
    new_gap: std::ops::Range<usize>,
    new_to_old: &mut [Option<usize>],
) {
    let mut shared = Vec::new();
    for i in old_gap.clone() {
        for j in new_gap.clone() {
            let common = old[i].iter().filter(|leaf| new[j].contains(leaf)).count();
            if common > 0 {
                shared.push((std::cmp::Reverse(common), i, j));
            }
        }
    }
    shared.sort_unstable();
    let mut paired = BTreeSet::new();
    for (_, i, j) in shared {
        if new_to_old[j].is_none() && !paired.contains(&i) {
            new_to_old[j] = Some(i);
            paired.insert(i);
        }
    }
    // The rest in order, each with the next one of the same fields (a
    // value for a value, an `else` for an `else`).
    let shape = |flat: &Flat| {
        flat.iter()
            .map(|(rest, _)| rest.clone())
            .collect::<Vec<_>>()
    };
    let mut new_left: Vec<usize> = new_gap.filter(|&j| new_to_old[j].is_none()).collect();
    for i in old_gap.filter(|i| !paired.contains(i)) {
        if let Some(at) = new_left
            .iter()
            .position(|&j| shape(&new[j]) == shape(&old[i]))
        {
            new_to_old[new_left[at]] = Some(i);
            new_left.drain(..=at);
        }
    }
}
