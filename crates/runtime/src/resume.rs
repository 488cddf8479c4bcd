//! What a journal says about a run that stopped: which steps succeeded
//! (their results come back and they do not run again) and which were
//! running when it stopped (they are asked for again: their side effects
//! may or may not have happened, so a resume is at-least-once for them).

use crate::event::{Event, Record, StepState};
use crate::journal_output::OutputLedger;
use crate::mode::Mode;
use crate::runner::{Captured, Restored, RestoredItem};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The facts a resume needs from a journal.
#[derive(Clone, Debug)]
pub struct Journaled {
    pub run_id: String,
    pub playbook: String,
    pub plan_hash: String,
    pub mode: Mode,
    /// As journaled: secret inputs are masked and must be given again.
    pub inputs: Map<String, Value>,
    /// The directory `runbook run` was started in.
    pub workdir: String,
    pub restored: Restored,
    /// Whether the run reached its end successfully.
    pub finished: bool,
    /// The next sequence number.
    pub next_seq: u64,
}

/// Reads the state of a run out of its records.
pub fn from_records(records: &[Record]) -> Result<Journaled, String> {
    let Some(Event::RunStarted {
        run_id,
        playbook,
        plan_hash,
        mode,
        inputs,
        workdir,
        ..
    }) = records.first().map(|r| &r.event)
    else {
        return Err("the journal does not start with `run_started`".into());
    };
    // A step is interrupted when it started and never came to an end of its
    // own: no `step_finished`, or one saying it was cancelled (Ctrl-C, an
    // abort). A rejected gate on resume leaves it interrupted.
    let mut interrupted: HashMap<&str, bool> = HashMap::new();
    let mut succeeded: HashMap<&str, Captured> = HashMap::new();
    let mut finished = false;
    let mut restored_items: HashMap<String, Vec<RestoredItem>> = HashMap::new();
    let mut ledger = OutputLedger::default();
    for record in records {
        ledger.observe(&record.event);
        match &record.event {
            Event::StepStarted { step, .. } => {
                interrupted.insert(step, true);
                succeeded.remove(step.as_str());
            }
            Event::StepFinished {
                step,
                state,
                simulated,
                results,
                outputs,
                output_in_lines,
                ..
            } => match state {
                StepState::Succeeded if !simulated => {
                    interrupted.insert(step, false);
                    let mut results = results.clone();
                    ledger.restore(step, output_in_lines, &mut results);
                    succeeded.insert(step, (results, outputs.clone()));
                }
                StepState::Cancelled | StepState::Rejected => {}
                _ => {
                    interrupted.insert(step, false);
                }
            },
            Event::ItemFinished {
                step,
                index,
                label,
                state: StepState::Succeeded,
                results,
                outputs,
                attempts,
                ..
            } if *mode != Mode::DryRun => {
                let items = restored_items.entry(step.clone()).or_default();
                items.retain(|i: &RestoredItem| i.index != *index);
                items.push(RestoredItem {
                    index: *index,
                    label: label.clone(),
                    results: results.clone(),
                    outputs: outputs.clone(),
                    attempts: *attempts,
                });
            }
            Event::RunFinished { status, .. } => {
                finished = *status == crate::event::RunStatus::Succeeded
            }
            Event::RunResumed { .. } => finished = false,
            _ => {}
        }
    }
    let mut restored = Restored {
        items: restored_items,
        ..Restored::default()
    };
    for (step, (results, outputs)) in succeeded {
        restored
            .succeeded
            .insert(step.to_string(), (results.clone(), outputs.clone()));
    }
    for (step, flag) in interrupted {
        if flag {
            restored.interrupted.insert(step.to_string());
        }
    }
    Ok(Journaled {
        run_id: run_id.clone(),
        playbook: playbook.clone(),
        plan_hash: plan_hash.clone(),
        mode: *mode,
        inputs: inputs.clone(),
        workdir: workdir.clone(),
        restored,
        finished,
        next_seq: records.last().map(|r| r.seq + 1).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records(events: Vec<Value>) -> Vec<Record> {
        events
            .into_iter()
            .enumerate()
            .map(|(seq, mut e)| {
                e["seq"] = json!(seq);
                e["time"] = json!("2026-11-30T00:00:00.000Z");
                serde_json::from_value(e).expect("a record")
            })
            .collect()
    }

    fn started(mode: &str) -> Value {
        json!({"event": "run_started", "run_id": "r", "playbook": "p.yaml", "name": null,
               "plan_hash": "h", "mode": mode, "inputs": {}, "user": "u", "workdir": "/"})
    }

    fn item(index: usize, label: &str, state: &str) -> Value {
        json!({"event": "item_finished", "step": "restart", "index": index, "label": label,
               "state": state, "message": null, "results": {"exit_code": 0},
               "outputs": {}, "attempts": 1})
    }

    #[test]
    fn a_loop_killed_mid_way_restores_the_elements_that_succeeded() {
        let journaled = from_records(&records(vec![
            started("run"),
            json!({"event": "step_started", "step": "restart", "attempt": 1}),
            item(0, "web-1", "succeeded"),
            item(2, "web-3", "failed"),
            item(1, "web-2", "succeeded"),
        ]))
        .unwrap();
        let restored = &journaled.restored;
        assert!(restored.interrupted.contains("restart"));
        let mut items: Vec<(usize, &str)> = restored.items["restart"]
            .iter()
            .map(|i| (i.index, i.label.as_str()))
            .collect();
        items.sort();
        assert_eq!(items, [(0, "web-1"), (1, "web-2")]);
    }

    #[test]
    fn a_dry_run_restores_no_element() {
        let journaled = from_records(&records(vec![
            started("dry_run"),
            item(0, "web-1", "succeeded"),
        ]))
        .unwrap();
        assert!(journaled.restored.items.is_empty());
    }
}
