//! Entries of a scenario that answered for no element of the run. Where
//! the scenario cannot know a loop's list (a computed value, a step of a
//! called playbook), [`super::prepare`] cannot check an entry that names
//! one element (`CALL[LABEL].STEP` under `steps:`, `answers:`, `gates:`,
//! or an element under a loop's `items:`); after the run, an entry whose
//! element the loop did not have is a difference of the scenario, so a
//! typo in a label fails the drill instead of hiding in it.
//!
//! Only the scenario's own entries are judged: an entry shared by the
//! whole file answers in the scenarios whose lists have its element.
//! An entry under a loop that did not run (a path not taken) is not judged.

use super::element_address::{parse, written, Part, Selector};
use super::elements::ElementRef;
use super::scenario::Scenario;
use super::verdict::{ElementEnd, Mismatch, Rehearsed};
use runbook_dsl::plan::Plan;
use runbook_dsl::suggest::did_you_mean;
use runbook_dsl::{SourceFile, Span, Spanned};

/// A difference for each of the scenario's own element entries that named
/// no element of the run; `file` is the scenario file, for where they are.
pub(super) fn unused_entries(
    plan: &Plan,
    scenario: &Scenario,
    file: &SourceFile,
    run: &Rehearsed,
) -> Vec<Mismatch> {
    let own = |span: Span| scenario.span.contains(span.start);
    let mut found = Vec::new();
    let mut judge = |under: &str, entry: &Spanned<String>| {
        if !own(entry.span) {
            return;
        }
        let Ok(parts) = parse(&entry.value) else {
            return;
        };
        if let Some(unmatched) = unmatched_selector(&parts, run) {
            let entry_span = entry.span;
            let entry = format!("`{}` under `{under}:`", written(&parts));
            found.push(mismatch(plan, file, &entry, entry_span, unmatched));
        }
    };
    for script in &scenario.steps {
        judge("steps", &script.step);
    }
    for answer in &scenario.answers {
        judge("answers", &answer.step);
    }
    for gate in &scenario.gates {
        judge("gates", &gate.step);
    }
    for script in &scenario.steps {
        let Ok(parts) = parse(&script.step.value) else {
            continue;
        };
        for item in script.items.iter().filter(|item| own(item.element.span)) {
            if let Some(unmatched) = unmatched_item(&parts, &item.element, run) {
                let entry = format!(
                    "the element {} under `items:` of `{}`",
                    item.element.name(),
                    written(&parts)
                );
                found.push(mismatch(plan, file, &entry, item.element.span, unmatched));
            }
        }
    }
    found
}

/// An element a loop of the run did not have.
struct Unmatched {
    /// The loop, as the entry names it (`region[us].restart`).
    loop_address: String,
    /// The element it names, as a person does: `` `web-9` ``, `[4]`.
    named: String,
    /// Its elements in the runs the entry could mean.
    elements: Vec<ElementEnd>,
    /// The entry with the closest label in place of the one it names,
    /// when it names one.
    closest: Option<String>,
}

/// The first selector of an address (`region[us].restart[web-9].STEP`)
/// that names no element of a loop that ran; `None` when each does, or a
/// loop on the way did not run.
fn unmatched_selector(parts: &[Part], run: &Rehearsed) -> Option<Unmatched> {
    let mut runs = vec![String::new()];
    for (at, part) in parts.iter().enumerate() {
        runs = runs.iter().map(|r| joined(r, &part.id)).collect();
        let last = at + 1 == parts.len();
        match &part.element {
            Some(selector) => {
                let ran: Vec<(&String, &Vec<ElementEnd>)> = runs
                    .iter()
                    .filter_map(|r| run.items.get(r).map(|e| (r, e)))
                    .collect();
                if ran.is_empty() {
                    return None;
                }
                let next: Vec<String> = ran
                    .iter()
                    .filter_map(|(r, elements)| {
                        let e = elements.iter().find(|e| match selector {
                            Selector::Index(i) => e.index == *i,
                            Selector::Label(l) => e.label == *l,
                        })?;
                        Some(format!("{r}[{}]", e.index))
                    })
                    .collect();
                if next.is_empty() {
                    let elements: Vec<ElementEnd> =
                        ran.into_iter().flat_map(|(_, e)| e.clone()).collect();
                    let closest = match selector {
                        Selector::Label(label) => closest(label, &elements).map(|c| {
                            let mut named = parts.to_vec();
                            named[at].element = Some(Selector::Label(c));
                            format!("`{}`", written(&named))
                        }),
                        Selector::Index(_) => None,
                    };
                    return Some(Unmatched {
                        named: match selector {
                            Selector::Index(i) => format!("[{i}]"),
                            Selector::Label(l) => format!("`{}`", l.escape_debug()),
                        },
                        loop_address: {
                            let mut named = parts[..=at].to_vec();
                            named[at].element = None;
                            written(&named)
                        },
                        elements,
                        closest,
                    });
                }
                runs = next;
            }
            // A loop on the way that the entry selects no element of:
            // the runs of every element.
            None if !last => {
                runs = runs
                    .iter()
                    .flat_map(|r| match run.items.get(r) {
                        Some(elements) => elements
                            .iter()
                            .map(|e| format!("{r}[{}]", e.index))
                            .collect(),
                        None => vec![r.clone()],
                    })
                    .collect();
            }
            None => {}
        }
    }
    None
}

/// Whether the element of a loop's `items:` (the loop at `parts`) names
/// no element of the loop in any of its runs (when it ran).
fn unmatched_item(parts: &[Part], element: &ElementRef, run: &Rehearsed) -> Option<Unmatched> {
    if unmatched_selector(parts, run).is_some() {
        // Reported as the entry's own address.
        return None;
    }
    let mut runs = vec![String::new()];
    for (at, part) in parts.iter().enumerate() {
        runs = runs.iter().map(|r| joined(r, &part.id)).collect();
        if at + 1 == parts.len() {
            break;
        }
        runs = runs
            .iter()
            .flat_map(|r| match run.items.get(r) {
                Some(elements) => elements
                    .iter()
                    .filter(|e| match &part.element {
                        Some(Selector::Index(i)) => e.index == *i,
                        Some(Selector::Label(l)) => e.label == *l,
                        None => true,
                    })
                    .map(|e| format!("{r}[{}]", e.index))
                    .collect(),
                None => vec![r.clone()],
            })
            .collect();
    }
    let elements: Vec<ElementEnd> = runs
        .iter()
        .filter_map(|r| run.items.get(r))
        .flatten()
        .cloned()
        .collect();
    let ran = runs.iter().any(|r| run.items.contains_key(r));
    if !ran || elements.iter().any(|e| element.matches(e.index, &e.label)) {
        return None;
    }
    let closest = element
        .label
        .as_ref()
        .and_then(|l| closest(&l.value, &elements))
        .map(|c| format!("`label: {c}`"));
    Some(Unmatched {
        named: element.name(),
        loop_address: written(parts),
        elements,
        closest,
    })
}

fn joined(run: &str, id: &str) -> String {
    if run.is_empty() {
        id.to_string()
    } else {
        format!("{run}.{id}")
    }
}

fn closest(label: &str, elements: &[ElementEnd]) -> Option<String> {
    did_you_mean(label, elements.iter().map(|e| e.label.as_str())).map(str::to_string)
}

/// The difference: drawn at the step the address starts from, saying
/// where the entry is in the scenario file.
fn mismatch(
    plan: &Plan,
    file: &SourceFile,
    entry: &str,
    span: Span,
    unmatched: Unmatched,
) -> Mismatch {
    let (line, column) = file.line_col(span.start);
    let first = unmatched.loop_address.split(['.', '[']).next();
    let step = first.and_then(|id| plan.index_of(id));
    let Unmatched {
        loop_address,
        named,
        elements,
        closest,
    } = unmatched;
    let message = format!(
        "{entry} ({}:{line}:{column}) names no element the run had: the loop `{loop_address}` had no element {named}",
        file.name()
    );
    let mut shown: Vec<&ElementEnd> = Vec::new();
    for e in &elements {
        if !shown
            .iter()
            .any(|s| s.index == e.index && s.label == e.label)
        {
            shown.push(e);
        }
    }
    let labels = if shown.is_empty() {
        "none".to_string()
    } else {
        shown
            .iter()
            .map(|e| format!("[{}] {}", e.index, e.label))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let actual = match closest {
        Some(closest) => format!("its elements: {labels}; did you mean {closest}?"),
        None => format!("its elements: {labels}"),
    };
    Mismatch {
        step,
        labels: step
            .map(|i| {
                (
                    plan.step(i).0.id.span,
                    format!("the loop `{loop_address}` ran without it"),
                )
            })
            .into_iter()
            .collect(),
        message,
        expected: "an element of the loop".into(),
        actual,
    }
}
