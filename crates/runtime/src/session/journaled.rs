//! What a journal says about a run that stopped: which steps succeeded
//! (their results come back and they do not run again) and which were
//! running when it stopped (they are asked for again: their side effects
//! may or may not have happened, so a resume is at-least-once for them);
//! and the same of each called playbook's run journaled inside it
//! ([`Event::Called`]), so a resume continues inside those too.

use crate::event::{Event, Record, StepState};
use crate::journal_output::OutputLedger;
use crate::mode::Mode;
use crate::runner::{Captured, ItemCall, Restored, RestoredItem};
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
    /// The operator's `--output-cap`, in bytes: of `run_started`, or of
    /// the last `run_resumed` when a resume journaled one.
    pub output_cap: Option<u64>,
    pub restored: Restored,
    /// How the run's last part ended (none when it was killed).
    pub stopped_as: Option<crate::event::RunStatus>,
    /// The signal that interrupted the last part of the run, if one did.
    pub stopped_by: Option<String>,
    /// Whether the run reached its end successfully.
    pub finished: bool,
    /// The next sequence number.
    pub next_seq: u64,
    /// The uids of who started the run and of each who resumed it, in
    /// order (a record journaled before uids were: its user's name looked
    /// up; a name that is no user's adds none).
    pub ran_by: Vec<u32>,
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
        user,
        uid,
        output_cap,
        ..
    }) = records.first().map(|r| &r.event)
    else {
        return Err("the journal does not start with `run_started`".into());
    };
    // A step is interrupted when it started and never came to an end of its
    // own: no `step_finished`, or one saying it was cancelled (Ctrl-C, an
    // abort). A rejected gate on resume leaves it interrupted; a rejection
    // during the attempt (a gate of the playbook it calls) ends it. A loop
    // stopped by the rejection of one element (its own gate, or a gate in
    // the playbook it calls) came to an end of its own: every element that
    // ran is on record, and the rejected one did nothing past that gate.
    let mut interrupted: HashMap<&str, bool> = HashMap::new();
    // Elements started and not yet ended, by step, since its last start.
    let mut in_flight: HashMap<&str, usize> = HashMap::new();
    // Which part of the run (0, then one more at each resume) each step
    // last started in: a rejection in the part it started in is a
    // person's "no" during the attempt (a gate of the playbook it calls,
    // an `approve` step), which ends it; one in a later part is the "run
    // it again?" gate of a resume refused, which leaves it interrupted.
    let mut part = 0usize;
    // How the last part of the run ended, if it ended.
    let mut stopped_as = None;
    let mut stopped_by = None;
    let mut last_end = None;
    // The inputs as the last part of the run had them.
    let mut inputs = inputs.clone();
    let mut started_in: HashMap<&str, usize> = HashMap::new();
    let mut element_rejected: std::collections::HashSet<&str> = Default::default();
    let mut succeeded: HashMap<&str, Captured> = HashMap::new();
    let mut failed: HashMap<&str, crate::restored::Failed> = HashMap::new();
    // Steps whose last end was a rejection or a cancellation, as it was.
    let mut stopped: HashMap<&str, crate::restored::Failed> = HashMap::new();
    let mut finished = false;
    let mut restored_items: HashMap<String, Vec<RestoredItem>> = HashMap::new();
    // The label of the element last started at each position of a loop.
    let mut item_labels: HashMap<(&str, usize), &str> = HashMap::new();
    let mut vars: Vec<(String, Value)> = Vec::new();
    let mut ledger = OutputLedger::default();
    let uid_of = |uid: &Option<u32>, user: &str| uid.or_else(|| crate::operator::uid_of_name(user));
    let mut ran_by: Vec<u32> = uid_of(uid, user).into_iter().collect();
    let mut output_cap = *output_cap;
    for record in records {
        ledger.observe(&record.event);
        match &record.event {
            Event::StepStarted { step, .. } => {
                interrupted.insert(step, true);
                in_flight.insert(step, 0);
                started_in.insert(step, part);
                element_rejected.remove(step.as_str());
                succeeded.remove(step.as_str());
                failed.remove(step.as_str());
                stopped.remove(step.as_str());
            }
            Event::StepFinished {
                step,
                state,
                simulated,
                results,
                outputs,
                output_in_lines,
                message,
                ..
            } => match state {
                StepState::Succeeded if !simulated => {
                    interrupted.insert(step, false);
                    let mut results = results.clone();
                    ledger.restore(step, output_in_lines, &mut results);
                    succeeded.insert(step, (results, outputs.clone()));
                }
                StepState::Cancelled | StepState::Rejected if !simulated => {
                    let ended_it = *state == StepState::Rejected
                        && (element_rejected.contains(step.as_str())
                            || started_in.get(step.as_str()) == Some(&part));
                    if ended_it {
                        interrupted.insert(step, false);
                    }
                    let record = (step.as_str(), output_in_lines.as_slice(), results, outputs);
                    stopped.insert(step, ended(&mut ledger, record, *state, message));
                }
                StepState::Cancelled | StepState::Rejected => {}
                StepState::Failed | StepState::TimedOut if !simulated => {
                    interrupted.insert(step, false);
                    let record = (step.as_str(), output_in_lines.as_slice(), results, outputs);
                    failed.insert(step, ended(&mut ledger, record, *state, message));
                }
                _ => {
                    interrupted.insert(step, false);
                }
            },
            Event::ItemStarted {
                step, index, label, ..
            } => {
                item_labels.insert((step, *index), label);
                *in_flight.entry(step).or_default() += 1;
            }
            Event::ItemFinished {
                step,
                index,
                label,
                state,
                results,
                outputs,
                attempts,
                output_in_lines,
                ..
            } => {
                if let Some(n) = in_flight.get_mut(step.as_str()) {
                    *n = n.saturating_sub(1);
                }
                // Every element's streams are rebuilt (its loop's end
                // repeats them), the succeeded ones restored.
                if *state == StepState::Rejected {
                    element_rejected.insert(step);
                }
                let mut results = results.clone();
                ledger.restore_item(step, *index, output_in_lines, &mut results);
                if *state == StepState::Succeeded && *mode != Mode::DryRun {
                    let items = restored_items.entry(step.clone()).or_default();
                    items.retain(|i: &RestoredItem| i.index != *index);
                    items.push(RestoredItem {
                        index: *index,
                        label: label.clone(),
                        results,
                        outputs: outputs.clone(),
                        attempts: *attempts,
                    });
                }
            }
            Event::RunInterrupted { signal } => stopped_by = Some(signal.clone()),
            Event::RunFinished { status, .. } => {
                finished = *status == crate::event::RunStatus::Succeeded;
                stopped_as = Some(*status);
                last_end = crate::restored::LastEnd::of(&record.event);
            }
            Event::RunResumed {
                uid,
                user,
                output_cap: bound,
                inputs: changed,
                ..
            } => {
                inputs.extend(changed.iter().map(|(k, v)| (k.clone(), v.clone())));
                part += 1;
                finished = false;
                stopped_as = None;
                last_end = None;
                stopped_by = None;
                ran_by.extend(uid_of(uid, user));
                output_cap = bound.or(output_cap);
            }
            Event::VarComputed { name, value } => vars.push((name.clone(), value.clone())),
            _ => {}
        }
    }
    let mut called = called(records);
    let item_calls = element_calls(&mut called, &item_labels, &restored_items);
    let mut restored = Restored {
        called,
        plan_hash: Some(plan_hash.clone()),
        items: restored_items,
        item_calls,
        vars,
        last_end,
        ..Restored::default()
    };
    for (step, (results, outputs)) in succeeded {
        restored
            .succeeded
            .insert(step.to_string(), (results.clone(), outputs.clone()));
    }
    for (step, ended) in failed {
        restored.failed.insert(step.to_string(), ended);
    }
    for (step, ended) in stopped {
        restored.stopped.insert(step.to_string(), ended);
    }
    for (step, flag) in interrupted {
        if flag {
            restored.interrupted.insert(step.to_string());
            if in_flight.get(step).copied().unwrap_or(0) == 0 {
                restored.between_elements.insert(step.to_string());
            }
        }
    }
    Ok(Journaled {
        run_id: run_id.clone(),
        playbook: playbook.clone(),
        plan_hash: plan_hash.clone(),
        mode: *mode,
        inputs,
        workdir: workdir.clone(),
        output_cap,
        restored,
        finished,
        stopped_as,
        stopped_by,
        next_seq: records.last().map(|r| r.seq + 1).unwrap_or(0),
        ran_by,
    })
}

/// Takes out of `called` the runs that elements of loops called (journaled
/// at `STEP[INDEX]`), by step, each with the label of the element that
/// started it; an element that succeeded is not run again, so its called
/// run is not needed.
fn element_calls(
    called: &mut HashMap<String, Restored>,
    labels: &HashMap<(&str, usize), &str>,
    succeeded: &HashMap<String, Vec<RestoredItem>>,
) -> HashMap<String, Vec<ItemCall>> {
    let addresses: Vec<String> = called
        .keys()
        .filter(|k| k.ends_with(']'))
        .cloned()
        .collect();
    let mut calls: HashMap<String, Vec<ItemCall>> = HashMap::new();
    for address in addresses {
        let run = called.remove(&address);
        let Some((step, index)) = address
            .strip_suffix(']')
            .and_then(|a| a.rsplit_once('['))
            .and_then(|(step, index)| Some((step, index.parse::<usize>().ok()?)))
        else {
            continue;
        };
        let Some(label) = labels.get(&(step, index)) else {
            continue;
        };
        let done = succeeded
            .get(step)
            .is_some_and(|items| items.iter().any(|i| i.index == index));
        if let (Some(run), false) = (run, done) {
            calls.entry(step.to_string()).or_default().push(ItemCall {
                index,
                label: label.to_string(),
                called: run,
            });
        }
    }
    calls
}

/// The runs of the playbooks called by the steps of the run `records`
/// journal, by calling step: each from its own records (the events
/// journaled as [`Event::Called`] at its address, step ids unaddressed),
/// from its latest start on. Calls within calls come back inside them.
fn called(records: &[Record]) -> HashMap<String, Restored> {
    let mut by_call: HashMap<&str, Vec<Record>> = HashMap::new();
    for record in records {
        let Event::Called {
            call,
            record: event,
        } = &record.event
        else {
            continue;
        };
        // Calls nest at most MAX_CALL_DEPTH deep: a deeper address was not
        // written by a run (and would be read back level by level).
        if call.split('.').count() > runbook_dsl::analyze::MAX_CALL_DEPTH {
            continue;
        }
        let (step, deeper) = match call.split_once('.') {
            Some((step, deeper)) => (step, Some(deeper)),
            None => (call.as_str(), None),
        };
        let prefix = format!("{step}.");
        let event =
            crate::journal::readdress(event, |s| s.strip_prefix(&prefix).unwrap_or(s).to_string());
        let event = match deeper {
            Some(deeper) => Event::Called {
                call: deeper.to_string(),
                record: Box::new(event),
            },
            None => event,
        };
        let of_call = by_call.entry(step).or_default();
        // A fresh start (the calling step ran again without a resume, a
        // retry) makes what an earlier one did history.
        if matches!(event, Event::RunStarted { .. }) {
            of_call.clear();
        }
        of_call.push(Record {
            seq: record.seq,
            time: record.time.clone(),
            event,
        });
    }
    by_call
        .into_iter()
        .filter_map(|(step, records)| {
            let journaled = from_records(&records).ok()?;
            Some((step.to_string(), journaled.restored))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::from_records;
    use crate::event::{Event, Record, StepState};
    use crate::mode::Mode;
    use serde_json::Map;

    fn started(run_id: &str) -> Event {
        Event::RunStarted {
            run_id: run_id.into(),
            playbook: "p.yaml".into(),
            name: None,
            plan_hash: format!("hash of {run_id}"),
            mode: Mode::Run,
            inputs: Map::new(),
            user: "tester".into(),
            workdir: ".".into(),
            uid: None,
            output_cap: None,
        }
    }

    fn step(step: &str, state: Option<StepState>) -> Event {
        match state {
            None => Event::StepStarted {
                step: step.into(),
                attempt: 1,
                command: None,
            },
            Some(state) => Event::StepFinished {
                step: step.into(),
                state,
                message: None,
                results: Map::new(),
                outputs: Map::new(),
                simulated: false,
                output_in_lines: Vec::new(),
                attempts: 1,
                duration_ms: 0,
            },
        }
    }

    fn called(call: &str, event: Event) -> Event {
        Event::Called {
            call: call.into(),
            record: Box::new(event),
        }
    }

    fn records(events: Vec<Event>) -> Vec<Record> {
        events
            .into_iter()
            .enumerate()
            .map(|(seq, event)| Record {
                seq: seq as u64,
                time: String::new(),
                event,
            })
            .collect()
    }

    #[test]
    fn a_called_playbooks_run_comes_back_inside_its_calling_step() {
        let ok = Some(StepState::Succeeded);
        let journal = records(vec![
            started("parent"),
            step("shared", None),
            called("shared", started("child")),
            called("shared", step("shared.first", None)),
            called("shared", step("shared.first", ok)),
            called("shared", step("shared.inner", None)),
            called("shared.inner", started("grandchild")),
            called("shared.inner", step("shared.inner.deep", None)),
            called("shared.inner", step("shared.inner.deep", ok)),
            called("shared", step("shared.second", None)),
        ]);
        let journaled = from_records(&journal).expect("a run");
        // Not steps of the caller.
        assert_eq!(
            journaled.restored.interrupted.iter().collect::<Vec<_>>(),
            ["shared"]
        );
        assert!(journaled.restored.succeeded.is_empty());
        let shared = &journaled.restored.called["shared"];
        assert_eq!(shared.plan_hash.as_deref(), Some("hash of child"));
        assert!(shared.succeeded.contains_key("first"));
        let mut interrupted: Vec<_> = shared.interrupted.iter().collect();
        interrupted.sort();
        assert_eq!(interrupted, ["inner", "second"]);
        let inner = &shared.called["inner"];
        assert_eq!(inner.plan_hash.as_deref(), Some("hash of grandchild"));
        assert!(inner.succeeded.contains_key("deep"));
    }

    #[test]
    fn an_address_deeper_than_calls_nest_is_not_read() {
        let deep = vec!["c"; 100_000].join(".");
        let journal = records(vec![
            started("parent"),
            called(&deep, started("deep")),
            called(&deep, step(&format!("{deep}.x"), None)),
        ]);
        let journaled = from_records(&journal).expect("a run");
        assert!(journaled.restored.called.is_empty());
    }

    #[test]
    fn a_fresh_start_of_a_called_playbook_forgets_the_earlier_one() {
        let journal = records(vec![
            started("parent"),
            step("shared", None),
            called("shared", started("child")),
            called("shared", step("shared.first", None)),
            called("shared", step("shared.first", Some(StepState::Succeeded))),
            called("shared", started("child again")),
            called("shared", step("shared.second", None)),
        ]);
        let shared = &from_records(&journal).expect("a run").restored.called["shared"];
        assert_eq!(shared.plan_hash.as_deref(), Some("hash of child again"));
        assert!(shared.succeeded.is_empty());
        assert!(shared.interrupted.contains("second"));
    }
}

#[cfg(test)]
mod loop_tests {
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

    /// Each element's called run comes back at its position, with the
    /// label of the element that started it; one whose element succeeded
    /// is not needed.
    #[test]
    fn an_elements_called_run_comes_back_with_its_element() {
        let called =
            |call: &str, event: Value| json!({"event": "called", "call": call, "record": event});
        let child = json!({"event": "run_started", "run_id": "r", "playbook": "body.yaml",
            "name": null, "plan_hash": "child", "mode": "run", "inputs": {}, "user": "u",
            "workdir": "/"});
        let item_started = |index: usize, label: &str| {
            json!({"event": "item_started", "step": "restart", "index": index,
                   "label": label, "attempt": 1})
        };
        let first = |call: &str| {
            json!({"event": "step_finished", "step": format!("{call}.first"),
                   "state": "succeeded", "message": null, "results": {}, "outputs": {},
                   "simulated": false, "attempts": 1, "duration_ms": 0})
        };
        let journaled = from_records(&records(vec![
            started("run"),
            json!({"event": "step_started", "step": "restart", "attempt": 1}),
            item_started(0, "web-1"),
            called("restart[0]", child.clone()),
            called("restart[0]", first("restart[0]")),
            item(0, "web-1", "succeeded"),
            item_started(1, "web-2"),
            called("restart[1]", child),
            called("restart[1]", first("restart[1]")),
        ]))
        .unwrap();
        let restored = &journaled.restored;
        assert!(restored.called.is_empty(), "{:?}", restored.called);
        let calls = &restored.item_calls["restart"];
        assert_eq!(calls.len(), 1);
        assert_eq!((calls[0].index, calls[0].label.as_str()), (1, "web-2"));
        assert_eq!(calls[0].called.plan_hash.as_deref(), Some("child"));
        assert!(calls[0].called.succeeded.contains_key("first"));
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

/// A step's end that is not a success (its id, its output held apart in
/// the journal, its results and outputs), with that output put back into
/// its results.
fn ended(
    ledger: &mut OutputLedger,
    (step, output_in_lines, results, outputs): (
        &str,
        &[String],
        &Map<String, Value>,
        &Map<String, Value>,
    ),
    state: StepState,
    message: &Option<String>,
) -> crate::restored::Failed {
    let mut results = results.clone();
    ledger.restore(step, output_in_lines, &mut results);
    crate::restored::Failed {
        results,
        outputs: outputs.clone(),
        state,
        message: message.clone(),
    }
}
