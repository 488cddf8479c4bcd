//! `targets_changed` through a computed value: a write loop's list that
//! reads `vars.targets` is the same text before and after, but what it
//! lists changed when `targets` (or a value it reads, `vars.hosts`) is
//! computed differently (a filter removed: the canary is restarted too).

use super::{by_effect, Risk, RiskKind};
use crate::ast::ForEachList;
use crate::plan::Plan;
use std::collections::{BTreeSet, HashMap};

/// The write and destructive loops of `new` whose list reads a value
/// computed differently in `old`, each named with the values that changed.
pub(super) fn assess(old: &Plan, new: &Plan, matched: &dyn Fn(usize) -> bool) -> Vec<Risk> {
    let defs = |plan: &Plan| -> HashMap<String, String> {
        plan.playbook()
            .vars
            .iter()
            .map(|v| (v.name.value.clone(), v.expr.value.trim().to_string()))
            .collect()
    };
    let (was, now) = (defs(old), defs(new));
    let mut risks = Vec::new();
    for (n, step) in new.playbook().steps.iter().enumerate() {
        let Some(each) = &step.for_each else {
            continue;
        };
        let ForEachList::Expr(list) = &each.list else {
            continue;
        };
        let Some(severity) = by_effect(new.step_plan(n).effect) else {
            continue;
        };
        if !matched(n) {
            continue;
        }
        let changed: Vec<String> = reads(&list.value, &now)
            .into_iter()
            .filter(|name| was.get(name) != now.get(name))
            .collect();
        if changed.is_empty() {
            continue;
        }
        let id = step.id.value.as_str();
        let said: Vec<String> = changed
            .iter()
            .map(|name| match (was.get(name), now.get(name)) {
                (Some(before), Some(after)) => {
                    format!("`vars.{name}` was `{before}`, is `{after}`")
                }
                (None, Some(after)) => format!("`vars.{name}` is new: `{after}`"),
                (Some(before), None) => format!("`vars.{name}` was `{before}`, is gone"),
                (None, None) => format!("`vars.{name}`"),
            })
            .collect();
        risks.push(Risk {
            severity,
            kind: RiskKind::TargetsChanged,
            step: id.to_string(),
            message: format!(
                "the {} step `{id}` runs over `{}`, computed differently: {}: it may act on other targets (does its gate's question still say which?)",
                new.step_plan(n).effect.name(),
                list.value.trim(),
                said.join("; ")
            ),
        });
    }
    risks
}

/// The computed values `text` reads, and those they read in turn.
fn reads(text: &str, defs: &HashMap<String, String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = named(text);
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            if let Some(def) = defs.get(&name) {
                todo.extend(named(def));
            }
        }
    }
    seen
}

/// The names after `vars.` in an expression's text.
fn named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("vars.") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "vars.".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}
