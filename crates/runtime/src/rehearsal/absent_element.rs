//! Why an entry that names one element of a loop answered for nothing:
//! where the scenario cannot know a loop's list (a computed value, a step
//! of a called playbook), [`super::prepare`] cannot check an entry that
//! names one element (`CALL[LABEL].STEP` under `steps:`, `answers:`,
//! `gates:`, or an element under a loop's `items:`). After the run, such an
//! entry whose element the loop did not have is unused
//! ([`super::unreached`]), and this says which loop lacked it, the
//! elements it had and the closest label, so a typo in a label is found.

use super::element_address::{written, Part, Selector};
use super::elements::ElementRef;
use super::verdict::{ElementEnd, Rehearsed};
use runbook_dsl::suggest::did_you_mean;

/// An element a loop of the run did not have.
pub(super) struct Unmatched {
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
pub(super) fn unmatched_selector(parts: &[Part], run: &Rehearsed) -> Option<Unmatched> {
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
                        let e = elements
                            .iter()
                            .find(|e| selector.names(e.index, &e.label))?;
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
pub(super) fn unmatched_item(
    parts: &[Part],
    element: &ElementRef,
    run: &Rehearsed,
) -> Option<Unmatched> {
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
                    .filter(|e| {
                        part.element
                            .as_ref()
                            .is_none_or(|s| s.names(e.index, &e.label))
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

impl Unmatched {
    /// What it says: the loop lacked the element; its elements, and the
    /// closest entry.
    pub(super) fn explained(&self) -> (String, String) {
        let mut shown: Vec<&ElementEnd> = Vec::new();
        for e in &self.elements {
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
                .map(|e| format!("[{}] {}", e.index, e.label.escape_debug()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let why = format!(
            "the loop `{}` had no element {}",
            self.loop_address, self.named
        );
        let elements = match &self.closest {
            Some(closest) => format!("its elements: {labels}; did you mean {closest}?"),
            None => format!("its elements: {labels}"),
        };
        (why, elements)
    }
}
