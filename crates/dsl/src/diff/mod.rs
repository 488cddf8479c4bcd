//! Semantic diff of two plans, for the review of a playbook change.
//!
//! A line diff of YAML hides what a change does to the procedure: a step
//! renamed shows as a removal and an addition, an effect raised by a kind's
//! default is invisible, an approval removed is one line among many. Here the
//! two checked [`Plan`]s are compared as procedures: steps are matched by id
//! (unless their contents say the ids were swapped or reused, see
//! `matching.rs`), then by content (a rename), compared field by field in
//! their canonical form (so both syntaxes and any formatting compare equal;
//! lists as sequences, see `fields.rs`), edges are compared with their
//! conditions, and [`risk`] says what a reviewer must look at, with a
//! severity.
//!
//! Either side may be absent (a playbook added or deleted): it then has no
//! steps. Every walk is a loop over steps or edges, never a recursion.

mod edges;
mod fields;
mod markdown;
mod matching;
mod renames;
pub mod risk;
mod text;
mod words;

pub use markdown::markdown;
pub use risk::{Risk, RiskKind, RiskSeverity};
pub use text::{text, TextStyle};
pub use words::{word_diff, WordChunk, WordTag};

use crate::ast::Effect;
use crate::plan::Plan;
use crate::print::{self, yaml_value::Yaml};
use matching::match_steps;
use renames::{rename_all, rename_value};
use serde::Serialize;
use std::collections::HashMap;

/// What happened to one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Added,
    Removed,
    /// Matched by content under a new id (its fields may have changed too).
    Renamed,
    Changed,
}

/// A step that differs between the two plans.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepChange {
    pub status: StepStatus,
    /// The id in the new plan (in the old one for a removed step).
    pub id: String,
    /// The id in the old plan, when the step was renamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_id: Option<String>,
    /// The kind (`shell`, `triage`, ...).
    pub kind: String,
    /// The resolved effect (new plan; old plan for a removed step).
    #[serde(serialize_with = "effect_name")]
    pub effect: Effect,
    /// Field by field, for changed and renamed steps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// One field of a step (or of the playbook) that differs, by its path in the
/// canonical YAML form: `shell.command`, `approval`, `triage[0].when`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// A word diff, when both sides are text of several words (a command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<WordChunk>>,
}

/// What happened to one edge of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeStatus {
    Added,
    Removed,
    ConditionChanged,
}

/// An edge that differs, named by the new ids of its ends.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EdgeChange {
    pub status: EdgeStatus,
    pub from: String,
    pub to: String,
    /// `needs`, `case`, `else` or `on_failure`.
    pub kind: &'static str,
    /// The condition (new plan; old plan for a removed edge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The old condition, when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_condition: Option<String>,
}

/// Everything that differs between two plans, and what a reviewer should
/// worry about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanDiff {
    pub old_name: String,
    pub new_name: String,
    /// Playbook-level fields (name, inputs, tags, ...).
    pub playbook: Vec<FieldChange>,
    /// Changed and added steps in new-plan order, then removed ones in old order.
    pub steps: Vec<StepChange>,
    pub edges: Vec<EdgeChange>,
    /// Most severe first.
    pub risks: Vec<Risk>,
    /// The path the playbook had, when `diff --git` follows a rename
    /// (`old_name` is then the same path; two files given are not a rename).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl PlanDiff {
    /// Whether the two plans describe the same procedure.
    pub fn is_empty(&self) -> bool {
        self.playbook.is_empty() && self.steps.is_empty() && self.edges.is_empty()
    }

    /// The most severe risk found, if any.
    pub fn max_severity(&self) -> Option<RiskSeverity> {
        self.risks.iter().map(|r| r.severity).max()
    }
}

/// The two sides of a diff and how their steps correspond.
pub(crate) struct Sides<'a> {
    pub old: Option<&'a Plan>,
    pub new: Option<&'a Plan>,
    /// Old step index -> new step index, for steps present in both.
    pub old_to_new: HashMap<usize, usize>,
    pub new_to_old: HashMap<usize, usize>,
    /// `(old id, new id)` of each step matched under another id.
    pub renames: Vec<(String, String)>,
    /// New ids of two steps that swapped ids, in the new plan's order.
    pub swaps: Vec<(String, String)>,
}

impl Sides<'_> {
    pub fn old_id(&self, i: usize) -> &str {
        self.old
            .map_or("", |p| p.playbook().steps[i].id.value.as_str())
    }

    pub fn new_id(&self, i: usize) -> &str {
        self.new
            .map_or("", |p| p.playbook().steps[i].id.value.as_str())
    }

    /// Old text (a condition, a list expression) with its references to
    /// renamed steps spelled as the new plan spells them.
    pub fn renamed(&self, text: &str) -> String {
        rename_all(text, &self.renames)
    }
}

/// Compares two plans. `None` stands for a playbook that does not exist on
/// that side (added or deleted in the change).
pub fn diff(old: Option<&Plan>, new: Option<&Plan>) -> PlanDiff {
    let name = |p: Option<&Plan>| p.map(|p| p.file().name().to_string()).unwrap_or_default();
    let old_flat: Vec<Flat> = steps_of(old).iter().map(flatten_step).collect();
    let new_flat: Vec<Flat> = steps_of(new).iter().map(flatten_step).collect();
    let matching = match_steps(old, new, &old_flat, &new_flat);
    let mut sides = Sides {
        old,
        new,
        old_to_new: matching.old_to_new,
        new_to_old: matching.new_to_old,
        renames: Vec::new(),
        swaps: Vec::new(),
    };
    sides.swaps = matching
        .swaps
        .iter()
        .map(|&(a, b)| (sides.new_id(a).to_string(), sides.new_id(b).to_string()))
        .collect();
    // Old ids as the new plan spells them, so a rename does not show as a
    // change of every `needs` and reference to the renamed step.
    let mut renames: Vec<(String, String)> = sides
        .old_to_new
        .iter()
        .map(|(&o, &n)| (sides.old_id(o).to_string(), sides.new_id(n).to_string()))
        .filter(|(o, n)| o != n)
        .collect();
    renames.sort();
    sides.renames = renames;

    let mut steps = Vec::new();
    if let Some(new_plan) = new {
        for (n, step) in new_plan.playbook().steps.iter().enumerate() {
            let kind = step.action.kind_name().to_string();
            let effect = new_plan.step_plan(n).effect;
            match sides.new_to_old.get(&n) {
                None => steps.push(StepChange {
                    status: StepStatus::Added,
                    id: step.id.value.clone(),
                    old_id: None,
                    kind,
                    effect,
                    fields: Vec::new(),
                }),
                Some(&o) => {
                    let old_step = &steps_of(old)[o];
                    let (was, is) = (comparable(old_step), comparable(step));
                    let rename =
                        |path: &str, value: &str| rename_value(path, value, &sides.renames);
                    // A rename is said once, in the step's header, not as a field.
                    let fields: Vec<FieldChange> = fields::compare(Some(&was), Some(&is), &rename)
                        .into_iter()
                        .filter(|f| f.path != "id" && !same_meaning(new_plan, n, f))
                        .collect();
                    let old_id = sides.old_id(o);
                    let renamed = old_id != step.id.value;
                    if renamed || !fields.is_empty() {
                        steps.push(StepChange {
                            status: if renamed {
                                StepStatus::Renamed
                            } else {
                                StepStatus::Changed
                            },
                            id: step.id.value.clone(),
                            old_id: renamed.then(|| old_id.to_string()),
                            kind,
                            effect,
                            fields,
                        });
                    }
                }
            }
        }
    }
    if let Some(old_plan) = old {
        for (o, step) in old_plan.playbook().steps.iter().enumerate() {
            if !sides.old_to_new.contains_key(&o) {
                steps.push(StepChange {
                    status: StepStatus::Removed,
                    id: step.id.value.clone(),
                    old_id: None,
                    kind: step.action.kind_name().to_string(),
                    effect: old_plan.step_plan(o).effect,
                    fields: Vec::new(),
                });
            }
        }
    }

    let edges = edges::compare(&sides);
    let (was, is) = (playbook_fields(old), playbook_fields(new));
    let playbook = fields::compare(was.as_ref(), is.as_ref(), &|_, value| value.to_string());
    let mut risks = risk::assess(&sides, &steps);
    risks.sort_by_key(|r| std::cmp::Reverse(r.severity));
    PlanDiff {
        old_name: name(old),
        new_name: name(new),
        playbook,
        steps,
        edges,
        risks,
        renamed_from: None,
    }
}

fn effect_name<S: serde::Serializer>(effect: &Effect, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(effect.name())
}

fn steps_of(plan: Option<&Plan>) -> &[crate::ast::Step] {
    plan.map_or(&[], |p| p.playbook().steps.as_slice())
}

/// A step's canonical YAML with its shorthands written out where two
/// forms mean one thing: `approval: TEXT` is `approval: {question: TEXT}`
/// (and `approval: true` asks the default question), so dropping `by:
/// other` reads as that alone, not as the question removed and added.
fn comparable(step: &crate::ast::Step) -> Yaml {
    let mut yaml = print::step_yaml(step);
    if let Yaml::Mapping(map) = &mut yaml {
        let question = match map.get("approval") {
            Some(text @ Yaml::String(_)) => Some(text.clone()),
            Some(Yaml::Bool(true)) => Some(Yaml::String("(the default question)".into())),
            _ => None,
        };
        if let Some(question) = question {
            let mut approval = print::yaml_value::Mapping::new();
            approval.insert("question", question);
            map.insert("approval", Yaml::Mapping(approval));
        }
    }
    yaml
}

/// A step or playbook as `(field path, scalar text)` pairs, in canonical order.
type Flat = Vec<(String, String)>;

fn flatten_step(step: &crate::ast::Step) -> Flat {
    let mut out = Vec::new();
    flatten(&comparable(step), String::new(), &mut out);
    out
}

/// The playbook's own fields (its steps left out) in canonical form.
fn playbook_fields(plan: Option<&Plan>) -> Option<Yaml> {
    let mut copy = plan?.playbook().clone();
    copy.steps.clear();
    let mut yaml = print::playbook_yaml(&copy);
    if let Yaml::Mapping(map) = &mut yaml {
        map.remove("steps");
    }
    Some(yaml)
}

/// Flattens a YAML value into leaf paths, iteratively.
fn flatten(value: &Yaml, prefix: String, out: &mut Flat) {
    let mut stack = vec![(value, prefix)];
    while let Some((value, path)) = stack.pop() {
        match value {
            Yaml::Mapping(map) if !map.is_empty() => {
                let entries: Vec<_> = map.iter().collect();
                for (key, v) in entries.into_iter().rev() {
                    let key = key.to_string();
                    let child = if path.is_empty() {
                        key
                    } else {
                        format!("{path}.{key}")
                    };
                    stack.push((v, child));
                }
            }
            Yaml::Sequence(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate().rev() {
                    stack.push((v, format!("{path}[{i}]")));
                }
            }
            other => out.push((path, scalar(other))),
        }
    }
}

fn scalar(value: &Yaml) -> String {
    match value {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        Yaml::String(s) => s.clone(),
        Yaml::Sequence(_) => "[]".into(),
        Yaml::Mapping(_) => "{}".into(),
    }
}

fn field_change(path: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
    let words = match (old, new) {
        (Some(o), Some(n))
            if o.contains(char::is_whitespace) || n.contains(char::is_whitespace) =>
        {
            Some(word_diff(o, n))
        }
        _ => None,
    };
    FieldChange {
        path: path.to_string(),
        old: old.map(str::to_string),
        new: new.map(str::to_string),
        words,
    }
}

/// Whether a changed field is the parameter the step's kind compares in a
/// normal form ([`crate::catalog::NormalForm`]) and both values have the
/// same one: a query reflowed, not changed.
fn same_meaning(plan: &Plan, index: usize, field: &FieldChange) -> bool {
    let Some(form) = plan.step_plan(index).capabilities.normal_form else {
        return false;
    };
    let kind = plan.playbook().steps[index].action.kind_name();
    let is_param = field.path.strip_prefix(kind).is_some_and(|rest| {
        rest.strip_prefix('.') == Some(form.param) || (rest.is_empty() && form.shorthand)
    });
    match (&field.old, &field.new) {
        (Some(old), Some(new)) if is_param => (form.of)(old) == (form.of)(new),
        _ => false,
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_names_leaves_by_path() {
        use crate::print::yaml_value::Mapping;
        let mut a = Mapping::new();
        a.insert("b", Yaml::Number(1i64.into()));
        let xy = vec![Yaml::String("x".into()), Yaml::String("y".into())];
        a.insert("c", Yaml::Sequence(xy));
        let mut root = Mapping::new();
        root.insert("a", Yaml::Mapping(a));
        root.insert("d", Yaml::String(String::new()));
        let yaml = Yaml::Mapping(root);
        let mut out = Vec::new();
        flatten(&yaml, String::new(), &mut out);
        let paths: Vec<&str> = out.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["a.b", "a.c[0]", "a.c[1]", "d"]);
    }
}
