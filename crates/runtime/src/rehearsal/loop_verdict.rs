//! What a loop did against what a scenario's `expect: loops:` says of it:
//! the loop's state, how many elements ran, each named element's state.

use super::elements::LoopExpect;
use super::verdict::{called_words, reached, state_words, ElementEnd, Mismatch, Rehearsed};
use crate::event::StepState;
use runbook_dsl::plan::Plan;

/// What a loop did against what the scenario expects of it.
pub(super) fn loop_mismatches(
    plan: &Plan,
    run: &Rehearsed,
    expected: &LoopExpect,
    found: &mut Vec<Mismatch>,
) {
    let address = expected.step.value.as_str();
    let at = plan.index_of(address);
    let call = plan.index_of(address.split('.').next().unwrap_or(address));
    let (state, words) = match at {
        Some(i) if run.states[i] == StepState::Pending => (None, state_words(run, i)),
        Some(i) => (
            Some(run.states[i]),
            state_words(run, i).replacen("was ", "", 1),
        ),
        None => (
            run.called.get(address).map(|r| r.state),
            called_words(run, address),
        ),
    };
    let mismatch = |message: String, expected: String, actual: String| Mismatch {
        step: call,
        labels: call
            .map(|i| (plan.step(i).0.id.span, message.clone()))
            .into_iter()
            .collect(),
        message,
        expected,
        actual,
    };
    if let Some(want) = &expected.state {
        if state != Some(want.value) {
            found.push(mismatch(
                format!("the loop `{address}` {words}"),
                want.value.name().into(),
                state.map(|s| s.name()).unwrap_or("not reached").into(),
            ));
        }
    }
    let none = Vec::new();
    let elements = run.items.get(address).unwrap_or(&none);
    if let Some(want) = &expected.ran {
        let ran = elements.iter().filter(|e| reached(e.state)).count();
        if ran != want.value {
            found.push(mismatch(
                format!(
                    "{ran} elements of the loop `{address}` ran, the scenario expects {}",
                    want.value
                ),
                format!("{} ran", want.value),
                format!("{ran} ran ({})", element_list(elements)),
            ));
        }
    }
    for (element, want) in &expected.items {
        let got: Vec<&ElementEnd> = elements
            .iter()
            .filter(|e| element.matches(e.index, &e.label))
            .collect();
        if got.is_empty() {
            found.push(mismatch(
                format!("the loop `{address}` had no element {}", element.name()),
                format!("{} {}", element.name(), want.value.name()),
                format!("its elements: {}", element_list(elements)),
            ));
        }
        for e in got.into_iter().filter(|e| e.state != want.value) {
            found.push(mismatch(
                format!(
                    "element [{}] `{}` of the loop `{address}` {}",
                    e.index,
                    e.label,
                    e.state.name()
                ),
                want.value.name().into(),
                e.state.name().into(),
            ));
        }
    }
}

fn element_list(elements: &[ElementEnd]) -> String {
    if elements.is_empty() {
        return "none".into();
    }
    elements
        .iter()
        .map(|e| format!("[{}] {} {}", e.index, e.label, e.state.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
