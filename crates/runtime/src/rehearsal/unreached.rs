//! Entries of a scenario file that no rehearsal used: a step result no
//! run asked for, an answer to a question never put, a decision at a gate
//! never reached, an element of `items:` or an entry for one element's run
//! (`CALL[LABEL].STEP`) that named no element the loop had. Such an entry
//! is dead scripting at best, and at worst a typo that makes a scenario
//! rehearse something else than its author thinks: a warning
//! (`unused_scenario_entry`) drawn at the entry in the scenario file.
//!
//! An entry is used when the rehearsal's scripted world answered from it
//! ([`super::element_scripts::Used`]). A scenario's own entry is judged by
//! its run; an entry shared by the file (under the file's `steps:`,
//! `answers:`, `gates:`) is unused only if no scenario that has it used it.
//! A scenario whose run stopped on a missing script did not go where it
//! meant to: neither its own entries nor the shared ones it has are judged.

use super::absent_element::{unmatched_item, unmatched_selector, Unmatched};
use super::element_address::parse;
use super::element_scripts::{entry_key, Used};
use super::scenario::Scenario;
#[cfg(doc)]
use super::scenario::ScenarioFile;
use super::verdict::Rehearsed;
use runbook_dsl::{Code, Diagnostic, Span, Spanned};

/// What one scenario's rehearsal used, by where the entries are.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub steps: Used,
    pub items: Used,
    pub answers: Used,
    pub gates: Used,
}

/// One scenario as it went, for judging its entries: `None` when it did
/// not run to its end (a step reached without a script).
pub struct Judged<'a> {
    pub scenario: &'a Scenario,
    pub run: Option<(&'a Usage, &'a Rehearsed)>,
}

/// One entry of the file, over the scenarios that have it.
struct Entry {
    span: Span,
    /// How the message names it: `` `scale` under `steps:` ``.
    named: String,
    /// The scenario it belongs to; `None`: shared by the file.
    own: Option<String>,
    /// Some scenario used it.
    used: bool,
    /// A scenario that has it did not run to its end.
    unjudged: bool,
    /// Why it answered for nothing, when it names an element.
    absent: Option<Unmatched>,
}

/// What an entry is: a step's whole result, one element of its `items:`
/// (by position in the list), an answer or a decision.
#[derive(Clone, Copy)]
enum Under {
    Steps,
    Item(usize),
    Answers,
    Gates,
}

/// The warnings for the entries of a file that no rehearsal used;
/// `shared`: the keys of the file's shared entries ([`ScenarioFile::shared`]).
pub fn unused(judged: &[Judged], shared: &[(&str, Spanned<String>)]) -> Vec<Diagnostic> {
    let mut entries: Vec<Entry> = Vec::new();
    // The keys of the entries some scenario has (a shared one not
    // replaced by it).
    let mut had: Vec<Span> = Vec::new();
    for one in judged {
        let s = one.scenario;
        had.extend(s.steps.iter().map(|x| x.step.span));
        had.extend(s.answers.iter().map(|x| x.step.span));
        had.extend(s.gates.iter().map(|x| x.step.span));
        let mut note = |address: &Spanned<String>, span: Span, under: Under, what: &str| {
            let Ok(parts) = parse(&address.value) else {
                return;
            };
            let key = entry_key(&parts);
            let named = what.replace("{}", &one_line(&address.value));
            let (used, absent) = match one.run {
                None => (false, None),
                Some((usage, run)) => {
                    let used = match under {
                        Under::Steps => usage.steps.has(&key, None),
                        Under::Item(at) => usage.items.has(&key, Some(at)),
                        Under::Answers => usage.answers.has(&key, None),
                        Under::Gates => usage.gates.has(&key, None),
                    };
                    let absent = match (used, under) {
                        (true, _) => None,
                        (false, Under::Item(at)) => s
                            .steps
                            .iter()
                            .find(|script| script.step.span == address.span)
                            .and_then(|script| script.items.get(at))
                            .and_then(|item| unmatched_item(&parts, &item.element, run)),
                        (false, _) => unmatched_selector(&parts, run),
                    };
                    (used, absent)
                }
            };
            let at = match entries.iter().position(|e| e.span == span) {
                Some(at) => at,
                None => {
                    entries.push(Entry {
                        span,
                        named,
                        own: s.span.contains(span.start).then(|| s.name.value.clone()),
                        used: false,
                        unjudged: false,
                        absent: None,
                    });
                    entries.len() - 1
                }
            };
            let entry = &mut entries[at];
            entry.used |= used;
            entry.unjudged |= one.run.is_none();
            if entry.absent.is_none() {
                entry.absent = absent;
            }
        };
        for script in &s.steps {
            let step = &script.step;
            if script.whole {
                note(step, step.span, Under::Steps, "`{}` under `steps:`");
            }
            for (at, item) in script.items.iter().enumerate() {
                let what = format!(
                    "the element {} under `items:` of `{{}}`",
                    one_line(&item.element.name()).replace("{}", "{ }")
                );
                note(step, item.element.span, Under::Item(at), &what);
            }
        }
        for answer in &s.answers {
            note(
                &answer.step,
                answer.step.span,
                Under::Answers,
                "`{}` under `answers:`",
            );
        }
        for gate in &s.gates {
            note(
                &gate.step,
                gate.step.span,
                Under::Gates,
                "`{}` under `gates:`",
            );
        }
    }
    let mut found: Vec<Diagnostic> = entries
        .into_iter()
        .filter(|e| !e.used && !e.unjudged)
        .map(warning)
        .collect();
    if !judged.is_empty() {
        for (under, key) in shared.iter().filter(|(_, k)| !had.contains(&k.span)) {
            found.push(replaced(under, key));
        }
    }
    found
}

/// A shared entry that every scenario replaces with its own.
fn replaced(under: &str, key: &Spanned<String>) -> Diagnostic {
    let shown = one_line(&key.value);
    Diagnostic::warning(
        Code::UnusedScenarioEntry,
        format!("`{shown}` under `{under}:` answers for nothing: every scenario replaces it"),
    )
    .label(key.span, "replaced by each scenario's own entry")
    .help(format!(
        "every scenario scripts `{shown}` under `{under}:` itself, so this shared entry is never used: remove it, or remove the scenarios' own entries that say the same"
    ))
}

fn warning(entry: Entry) -> Diagnostic {
    let (message, by, reach) = match &entry.own {
        Some(name) => (
            format!(
                "{} in scenario `{name}` answers for nothing: its rehearsal never used it",
                entry.named
            ),
            format!("not used by the rehearsal of `{name}`"),
            "make the scenario reach it",
        ),
        None => (
            format!(
                "{} answers for nothing: no scenario's rehearsal used it",
                entry.named
            ),
            "shared by the scenarios, used by none".to_string(),
            "make a scenario reach it (an entry at the top of the file is shared by every scenario that does not replace it)",
        ),
    };
    let d = Diagnostic::warning(Code::UnusedScenarioEntry, message);
    match &entry.absent {
        Some(absent) => {
            let (why, elements) = absent.explained();
            let stop = if elements.ends_with('?') { "" } else { "." };
            d.label(entry.span, why).help(format!(
                "{elements}{stop} An entry for an element the loop does not have answers for nothing: name an element it has, or remove the entry"
            ))
        }
        None => d.label(entry.span, by).help(format!(
            "an entry is used when the run asks for it: a step's result when the step runs, an answer when it asks, a decision when it reaches the gate; nothing did (the step was not reached, its gate rejected it, or an element's own entry or a result scripted for its calling step answered instead): remove it, or {reach}"
        )),
    }
}

/// An address or a label as the scenario file has it, on one line: a
/// control character (a line break in a quoted key) shown escaped.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
