//! The edges of the two graphs compared: by their ends (as the new plan
//! names the steps, so a rename moves no edge) and kind, then by condition.

use super::{EdgeChange, EdgeStatus, Sides};
use crate::graph::EdgeKind;
use std::collections::{BTreeSet, HashMap};

/// An edge as compared: ends as new ids, a kind, a condition.
struct EdgeKey {
    from: String,
    to: String,
    kind: &'static str,
    condition: Option<String>,
}

fn edge_kind(kind: &EdgeKind) -> (&'static str, Option<String>) {
    match kind {
        EdgeKind::Needs => ("needs", None),
        EdgeKind::Case { condition, .. } => ("case", Some(condition.clone())),
        EdgeKind::Else => ("else", None),
        EdgeKind::Failure => ("on_failure", None),
    }
}

/// The edges added, removed or with a changed condition, old ends and
/// conditions spelled with the new plan's ids.
pub(super) fn compare(sides: &Sides) -> Vec<EdgeChange> {
    let mut old_edges: Vec<EdgeKey> = Vec::new();
    if let Some(old) = sides.old {
        for (from, to, edge) in old.graph().edges() {
            let (kind, condition) = edge_kind(&edge.kind);
            let name = |i: usize| match sides.old_to_new.get(&i) {
                Some(&n) => sides.new_id(n).to_string(),
                None => sides.old_id(i).to_string(),
            };
            let condition = condition.map(|c| sides.renamed(&c));
            old_edges.push(EdgeKey {
                from: name(from),
                to: name(to),
                kind,
                condition,
            });
        }
    }
    let mut new_edges: Vec<EdgeKey> = Vec::new();
    if let Some(new) = sides.new {
        for (from, to, edge) in new.graph().edges() {
            let (kind, condition) = edge_kind(&edge.kind);
            new_edges.push(EdgeKey {
                from: sides.new_id(from).to_string(),
                to: sides.new_id(to).to_string(),
                kind,
                condition,
            });
        }
    }
    let key = |e: &EdgeKey| (e.from.clone(), e.to.clone(), e.kind);
    let old_index: HashMap<(String, String, &'static str), usize> = old_edges
        .iter()
        .enumerate()
        .map(|(i, e)| (key(e), i))
        .collect();
    let new_keys: BTreeSet<(String, String, &'static str)> = new_edges.iter().map(key).collect();
    let mut out = Vec::new();
    for edge in &new_edges {
        match old_index.get(&key(edge)) {
            None => out.push(EdgeChange {
                status: EdgeStatus::Added,
                from: edge.from.clone(),
                to: edge.to.clone(),
                kind: edge.kind,
                condition: edge.condition.clone(),
                old_condition: None,
            }),
            Some(&i) if old_edges[i].condition != edge.condition => out.push(EdgeChange {
                status: EdgeStatus::ConditionChanged,
                from: edge.from.clone(),
                to: edge.to.clone(),
                kind: edge.kind,
                condition: edge.condition.clone(),
                old_condition: old_edges[i].condition.clone(),
            }),
            Some(_) => {}
        }
    }
    for edge in &old_edges {
        if !new_keys.contains(&key(edge)) {
            out.push(EdgeChange {
                status: EdgeStatus::Removed,
                from: edge.from.clone(),
                to: edge.to.clone(),
                kind: edge.kind,
                condition: edge.condition.clone(),
                old_condition: None,
            });
        }
    }
    out
}
