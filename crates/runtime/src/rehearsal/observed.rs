//! What a rehearsal did, read from the records of its run: the steps it
//! reached and the cases its branches took, in the rehearsed playbook and
//! in the playbooks it called (their records are `called` ones, step ids
//! addressed `CALL.STEP`), and how each element of a loop ended.

use super::verdict::{ElementEnd, Reached, Rehearsed};
use crate::event::{Event, Record, StepState};
use crate::runner::RunOutcome;
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};

/// Reads the run's records.
pub fn rehearsed(plan: &Plan, outcome: RunOutcome, records: Vec<Record>) -> Rehearsed {
    let mut run = Rehearsed {
        status: outcome.status,
        messages: vec![None; plan.len()],
        states: outcome.states,
        path: Vec::new(),
        taken: Vec::new(),
        failures: outcome.failures,
        called: Default::default(),
        called_path: Vec::new(),
        settled: Vec::new(),
        items: Default::default(),
    };
    for record in records {
        let (called, event) = match record.event {
            Event::Called { record, .. } => (true, *record),
            event => (false, event),
        };
        let Event::StepFinished {
            step,
            state,
            message,
            results,
            ..
        } = event
        else {
            continue;
        };
        let taken = (state == StepState::Succeeded)
            .then(|| results.get("taken").map(|t| t.as_str().map(str::to_string)))
            .flatten();
        if called {
            // An element's called run is at `CALL[INDEX]`: its steps are
            // expected as `CALL.STEP`, whichever element reached them, and
            // as `CALL[INDEX].STEP`, that element's own.
            if state != StepState::Skipped {
                run.settled.push(step.clone());
            }
            let address = unindexed(&step);
            let addresses = if address == step {
                vec![address]
            } else {
                vec![address, step]
            };
            let reached = Reached {
                state,
                message,
                taken,
            };
            for address in addresses {
                if let Some(elements) = elements(&results) {
                    run.items.insert(address.clone(), elements);
                }
                if state != StepState::Skipped {
                    run.called_path.push(address.clone());
                }
                let earlier = run.called.get(&address);
                // Reached by one element is reached.
                if earlier.is_none_or(|e| e.state == StepState::Skipped) {
                    run.called.insert(address, reached.clone());
                }
            }
            continue;
        }
        let Some(i) = plan.index_of(&step) else {
            continue;
        };
        if plan.step_plan(i).iteration.is_some() {
            if let Some(elements) = elements(&results) {
                run.items.insert(step.clone(), elements);
            }
        }
        run.messages[i] = message;
        if state != StepState::Skipped {
            run.path.push(i);
            run.settled.push(step.clone());
        }
        if let Some(t) = taken {
            run.taken.push((i, t));
        }
    }
    run
}

/// `CALL[1].STEP` as `CALL.STEP`.
fn unindexed(address: &str) -> String {
    address
        .split('.')
        .map(
            |part| match part.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
                Some((call, index)) if index.parse::<usize>().is_ok() => call,
                _ => part,
            },
        )
        .collect::<Vec<_>>()
        .join(".")
}

/// How each element of a loop ended, from the loop's `results` list.
fn elements(results: &Map<String, Value>) -> Option<Vec<ElementEnd>> {
    results.get("succeeded_count")?;
    let list = results.get("results")?.as_array()?;
    Some(
        list.iter()
            .enumerate()
            .filter_map(|(at, r)| {
                let index = r.get("index").and_then(Value::as_u64).map(|i| i as usize)?;
                let item = r.get("item").cloned().unwrap_or(Value::Null);
                let state = serde_json::from_value(r.get("state")?.clone()).ok()?;
                // The label the run gave it (`label:` or the default).
                let label = r
                    .get("label")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| crate::runner::iteration_label(&item, at));
                Some(ElementEnd {
                    index,
                    label,
                    state,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::unindexed;

    #[test]
    fn an_elements_address_is_its_loops() {
        assert_eq!(unindexed("each[1].first"), "each.first");
        assert_eq!(unindexed("outer.each[12].inner[0].x"), "outer.each.inner.x");
        assert_eq!(unindexed("odd[x].y"), "odd[x].y");
        assert_eq!(unindexed("plain"), "plain");
    }
}
