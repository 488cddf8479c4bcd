//! The elements of a `for_each` step in a scenario: scripted one by one
//! (`items:` under the loop step's script, the step's own script answering
//! the others) and expected one by one (`expect: loops:`). An element is
//! named by its position (`index`), its label (`label`: the step's
//! `label:` expression's value, else the string itself or an object's
//! `metadata.name` or `name`, as the journal and `resume` name it), or
//! both. Both are checked against the list the scenario scripts, when the
//! scenario makes it known (a literal list, an input, a scripted step's
//! result): a position or label that list cannot have is an error in the
//! scenario file.

use super::scenario::{key, mapping, script_at, string, unknown_keys, wrong_type, StepScript};
use crate::event::StepState;
use runbook_dsl::node::Node;
use runbook_dsl::suggest::help_for;
use runbook_dsl::{Code, Diagnostic, Diagnostics, Span, Spanned};
use serde_json::Value;

/// Which element a script or an expectation is about.
#[derive(Clone, Debug)]
pub struct ElementRef {
    pub index: Option<Spanned<usize>>,
    pub label: Option<Spanned<String>>,
    pub span: Span,
}

impl ElementRef {
    /// Whether the element at `index` labelled `label` is this one.
    pub fn matches(&self, index: usize, label: &str) -> bool {
        self.index.as_ref().is_none_or(|i| i.value == index)
            && self.label.as_ref().is_none_or(|l| l.value == label)
    }

    /// How a person names it: `[1] web-2`, `[1]`, `web-2`.
    pub fn name(&self) -> String {
        match (&self.index, &self.label) {
            (Some(i), Some(l)) => format!("[{}] {}", i.value, one_line(&l.value)),
            (Some(i), None) => format!("[{}]", i.value),
            (None, Some(l)) => format!("`{}`", one_line(&l.value)),
            (None, None) => "an element".into(),
        }
    }
}

/// One element's scripted result.
#[derive(Clone, Debug)]
pub struct ItemScript {
    pub element: ElementRef,
    pub script: StepScript,
}

/// What a scenario expects of a loop.
#[derive(Clone, Debug)]
pub struct LoopExpect {
    pub step: Spanned<String>,
    /// The loop step's own state.
    pub state: Option<Spanned<StepState>>,
    /// How many elements ran (were not skipped).
    pub ran: Option<Spanned<usize>>,
    /// Each named element's state.
    pub items: Vec<(ElementRef, Spanned<StepState>)>,
}

const ITEM_KEYS: &[&str] = &["index", "label", "state", "message", "results", "outputs"];
const LOOP_KEYS: &[&str] = &["state", "ran", "items"];
const EXPECTED_ITEM_KEYS: &[&str] = &["index", "label", "state"];
const STATES: &[&str] = &[
    "succeeded",
    "failed",
    "skipped",
    "rejected",
    "timed_out",
    "cancelled",
];

/// `items:` under the script of the loop step `step`: a list of mappings,
/// each naming its element and giving its result as a step's is given.
pub fn item_scripts(
    step: &Spanned<String>,
    node: &Node,
    diags: &mut Diagnostics,
) -> Vec<ItemScript> {
    let Some(items) = node.as_seq() else {
        wrong_type(node, "a list of elements' results", diags);
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        if mapping(
            item,
            "an element's result (a mapping with `index` or `label`)",
            diags,
        )
        .is_none()
        {
            continue;
        }
        let Some(element) = element_ref(item, diags) else {
            continue;
        };
        if let Some(script) = script_at(step.clone(), item, ITEM_KEYS, "element's result", diags) {
            out.push(ItemScript { element, script });
        }
    }
    out
}

/// `expect: loops:`, a mapping of loop steps to what is expected of them.
pub fn loop_expects(node: &Node, diags: &mut Diagnostics) -> Vec<LoopExpect> {
    let mut out = Vec::new();
    for e in mapping(node, "a mapping of loop steps to expectations", diags).unwrap_or(&[]) {
        let Some(entries) = mapping(&e.value, "a mapping with `state`, `ran`, `items`", diags)
        else {
            continue;
        };
        unknown_keys(entries, LOOP_KEYS, "loop expectation", diags);
        let mut expect = LoopExpect {
            step: key(e),
            state: e.value.get("state").and_then(|s| state(s, diags)),
            ran: None,
            items: Vec::new(),
        };
        if let Some(ran) = e.value.get("ran") {
            expect.ran = count(ran, "`ran`", diags);
        }
        if let Some(items) = e.value.get("items") {
            let Some(list) = items.as_seq() else {
                wrong_type(items, "a list of elements and their states", diags);
                continue;
            };
            for item in list {
                let Some(entries) =
                    mapping(item, "an element and its state (`label`, `state`)", diags)
                else {
                    continue;
                };
                unknown_keys(entries, EXPECTED_ITEM_KEYS, "element expectation", diags);
                let Some(element) = element_ref(item, diags) else {
                    continue;
                };
                match item.get("state") {
                    Some(s) => {
                        if let Some(s) = state(s, diags) {
                            expect.items.push((element, s));
                        }
                    }
                    None => diags.push(
                        Diagnostic::error(
                            Code::MissingField,
                            format!("the element {} expects no `state`", element.name()),
                        )
                        .label(item.span, "no `state`")
                        .help("add `state: succeeded` (or `failed`, `skipped`, `rejected`, `timed_out`, `cancelled`)"),
                    ),
                }
            }
        }
        if expect.state.is_none() && expect.ran.is_none() && expect.items.is_empty() {
            diags.push(
                Diagnostic::error(
                    Code::MissingField,
                    format!(
                        "the expectation of the loop `{}` asserts nothing",
                        e.key.value
                    ),
                )
                .label(e.value.span, "empty expectation")
                .help("give its `state`, how many elements `ran`, or `items` with their states"),
            );
        }
        out.push(expect);
    }
    out
}

/// The `index` and `label` of an element's mapping; at least one.
fn element_ref(node: &Node, diags: &mut Diagnostics) -> Option<ElementRef> {
    let index = match node.get("index") {
        Some(i) => Some(count(i, "`index`", diags)?),
        None => None,
    };
    let label = match node.get("label") {
        Some(l) => Some(string(l, "`label`", diags)?),
        None => None,
    };
    if index.is_none() && label.is_none() {
        diags.push(
            Diagnostic::error(Code::MissingField, "this element is named by neither `index` nor `label`")
                .label(Span::new(node.span.start, node.span.start), "which element?")
                .help("name it by its position (`index: 0` is the first) or its label (`label: web-2`: what the step's `label:` gives, else the string itself, or `metadata.name`/`name` of an object)"),
        );
        return None;
    }
    Some(ElementRef {
        index,
        label,
        span: node.span,
    })
}

fn count(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<Spanned<usize>> {
    match node.scalar_string().and_then(|s| s.parse::<usize>().ok()) {
        Some(n) => Some(Spanned::new(n, node.span)),
        None => {
            wrong_type(node, &format!("{what} (a whole number, 0 or more)"), diags);
            None
        }
    }
}

fn state(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<StepState>> {
    let text = node.scalar_string();
    let parsed = text
        .as_deref()
        .filter(|t| STATES.contains(t))
        .and_then(|t| serde_json::from_value::<StepState>(Value::from(t)).ok());
    match parsed {
        Some(s) => Some(Spanned::new(s, node.span)),
        None => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "`{}` is not a state a loop or an element ends in",
                        text.unwrap_or_default()
                    ),
                )
                .label(node.span, "not a state")
                .with_help(help_for(
                    "state",
                    &node.scalar_string().unwrap_or_default(),
                    STATES.iter().copied(),
                ))
                .help(format!("one of {}", STATES.join(", "))),
            );
            None
        }
    }
}

/// Checks that the element named can be in the list the scenario scripts
/// for the loop `step` (when known; `labels` are its elements' labels):
/// its position within it, its label one of its elements', and both
/// together the same element.
pub fn check_element(step: &str, element: &ElementRef, labels: &[String], diags: &mut Diagnostics) {
    let count = labels.len();
    let elements = if count == 1 { "element" } else { "elements" };
    if let Some(index) = &element.index {
        if index.value >= count {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "the list of `{step}`, as the scenario scripts it, has {count} {elements}: there is no element [{}]",
                        index.value
                    ),
                )
                .label(index.span, "past the end of the list")
                .help(format!(
                    "positions count from 0: the last is [{}]",
                    count.saturating_sub(1)
                )),
            );
            return;
        }
    }
    if let Some(label) = &element.label {
        if !labels.contains(&label.value) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "the list of `{step}`, as the scenario scripts it, has no element `{}`",
                        one_line(&label.value)
                    ),
                )
                .label(label.span, "no element with this label")
                .help({
                    // The closest label first, then the list.
                    let all = format!("its elements: {}", few(labels));
                    match help_for("element", &label.value, labels.iter().map(String::as_str)) {
                        Some(closest) => format!("{closest} ({all})"),
                        None => all,
                    }
                }),
            );
            return;
        }
    }
    if let (Some(index), Some(label)) = (&element.index, &element.label) {
        let at = &labels[index.value];
        if *at != label.value {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "element [{}] of `{step}` is `{at}`, not `{}`",
                        index.value,
                        one_line(&label.value)
                    ),
                )
                .label(label.span, format!("[{}] is `{at}`", index.value))
                .help("name the element by its `index` or its `label` alone, or by both of the same element"),
            );
        }
    }
}

/// The first labels of a list, for a help line that stays short.
fn few(labels: &[String]) -> String {
    const SHOWN: usize = 10;
    let first = labels[..labels.len().min(SHOWN)].join(", ");
    if labels.len() > SHOWN {
        format!("{first}, ... ({} in all)", labels.len())
    } else {
        first
    }
}

/// A label as a message shows it: on one line, control characters escaped
/// (as element labels themselves are).
fn one_line(label: &str) -> String {
    if label.chars().any(char::is_control) {
        label.chars().flat_map(char::escape_default).collect()
    } else {
        label.to_string()
    }
}

/// The error for `items` on a step that is not a loop.
pub fn not_a_loop(step: &str, span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        format!("`{step}` is not a `for_each` step: it has no elements {what}"),
    )
    .label(span, "not a loop")
}
