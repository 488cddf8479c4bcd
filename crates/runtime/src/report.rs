//! `runbook report RUN`: the journal as a Markdown timeline, the draft of a
//! post-incident review. Everything in it comes from the journal, which was
//! masked when written, so the report cannot leak what the run hid.

use crate::event::{Event, Record, StepState};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Renders the records of one run.
pub fn markdown(records: &[Record]) -> String {
    let mut out = String::new();
    let mut steps: Vec<String> = Vec::new();
    let mut started: BTreeMap<String, String> = BTreeMap::new();
    let mut rows: Vec<String> = Vec::new();
    let mut approvals: Vec<String> = Vec::new();
    let mut timeline: Vec<String> = Vec::new();
    // The instructions of the `manual` steps asked, by step.
    let mut manual: BTreeMap<String, String> = BTreeMap::new();
    // What each step read, as the live view showed it (its last attempt).
    let mut evidence: Vec<(String, Vec<String>)> = Vec::new();
    for record in records {
        let time = &record.time;
        // A called playbook's run, journaled inside this one: its steps are
        // already addressed `CALL.STEP` and take their place in the tables
        // under the calling step; its own start and end are timeline rows.
        let (call, event) = match &record.event {
            Event::Called { call, record } => (Some(call.as_str()), record.as_ref()),
            event => (None, event),
        };
        if let Some(call) = call {
            match event {
                Event::RunStarted { playbook, .. } => {
                    timeline.push(format!("| {time} | `{call}` runs `{}` |", cell(playbook)));
                    continue;
                }
                Event::RunResumed { .. } => {
                    timeline.push(format!("| {time} | `{call}` resumes its playbook |"));
                    continue;
                }
                Event::RunFinished { status, .. } => {
                    let status = serde_json::to_value(status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    timeline.push(format!("| {time} | the playbook `{call}` runs {status} |"));
                    continue;
                }
                _ => {}
            }
        }
        match event {
            Event::RunStarted {
                run_id,
                playbook,
                name,
                plan_hash,
                mode,
                inputs,
                user,
                ..
            } => {
                let title = name.clone().unwrap_or_else(|| playbook.clone());
                let _ = writeln!(out, "# Run {run_id}: {title}\n");
                let _ = writeln!(
                    out,
                    "- Playbook: `{playbook}` (plan `{}`)",
                    &plan_hash[..plan_hash.len().min(12)]
                );
                let _ = writeln!(out, "- Started: {time} by {user}");
                let _ = writeln!(
                    out,
                    "- Mode: {}",
                    serde_json::to_value(mode)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                );
                if !inputs.is_empty() {
                    let list: Vec<String> = inputs
                        .iter()
                        .map(|(k, v)| format!("`{k}` = `{}`", plain(v)))
                        .collect();
                    let _ = writeln!(out, "- Inputs: {}", list.join(", "));
                }
                timeline.push(format!("| {time} | run started by {user} |"));
            }
            Event::RunResumed { user, restored, .. } => {
                timeline.push(format!(
                    "| {time} | run resumed by {user} ({} step(s) kept) |",
                    restored.len()
                ));
            }
            Event::StepStarted { step, attempt } => {
                if !steps.contains(step) {
                    steps.push(step.clone());
                }
                started.entry(step.clone()).or_insert_with(|| time.clone());
                if *attempt == 1 {
                    timeline.push(format!("| {time} | `{step}` started |"));
                }
            }
            Event::ItemFinished {
                step,
                index,
                label,
                state,
                message,
                ..
            } => {
                let why = message
                    .as_deref()
                    .filter(|_| *state != StepState::Succeeded)
                    .map(|m| format!(": {}", cell(m)))
                    .unwrap_or_default();
                timeline.push(format!(
                    "| {time} | `{step}` element [{index}] {} {}{why} |",
                    cell(label),
                    state.name()
                ));
            }
            Event::StepRetrying {
                step,
                attempt,
                message,
                ..
            } => {
                timeline.push(format!(
                    "| {time} | `{step}` attempt {attempt} failed: {} |",
                    cell(message)
                ));
            }
            Event::StepInterrupted { step } => {
                timeline.push(format!("| {time} | `{step}` had been interrupted |"))
            }
            Event::RunInterrupted { signal } => {
                timeline.push(format!("| {time} | run interrupted by {} |", cell(signal)))
            }
            Event::JournalRepaired {
                line,
                dropped_bytes,
            } => timeline.push(format!(
                "| {time} | journal repaired: torn line {line} cut off ({dropped_bytes} bytes) |"
            )),
            Event::StepWouldRun {
                step, description, ..
            } => {
                timeline.push(format!(
                    "| {time} | `{step}` would run: `{}` |",
                    cell(description)
                ));
            }
            Event::GateDecided {
                step,
                approved,
                who,
                via,
                reason,
                plan_hash,
            } => {
                let verdict = if *approved { "approved" } else { "rejected" };
                let why = reason.clone().unwrap_or_else(|| "—".into());
                approvals.push(format!(
                    "| {time} | `{step}` | {verdict} | {who} ({via}) | {} | `{}` |",
                    cell(&why),
                    &plan_hash[..plan_hash.len().min(12)]
                ));
                timeline.push(format!("| {time} | gate of `{step}` {verdict} by {who} |"));
            }
            Event::Asked {
                step, kind, text, ..
            } if kind == "manual" => {
                manual.insert(step.clone(), text.clone());
            }
            Event::Answered {
                step,
                answer,
                who,
                via,
            } if manual.contains_key(step) => {
                let text = manual.remove(step).unwrap_or_default();
                let note = match plain(answer) {
                    n if n.is_empty() => "—".to_string(),
                    n => cell(&n),
                };
                approvals.push(format!(
                    "| {time} | `{step}` | done: {} | {who} ({via}) | {note} | |",
                    cell(&text)
                ));
                timeline.push(format!("| {time} | `{step}` done, confirmed by {who} |"));
            }
            Event::Answered {
                step,
                answer,
                who,
                via,
            } => {
                approvals.push(format!(
                    "| {time} | `{step}` | answered `{}` | {who} ({via}) | — | |",
                    cell(&plain(answer))
                ));
                timeline.push(format!(
                    "| {time} | `{step}` answered by {who}: `{}` |",
                    cell(&plain(answer))
                ));
            }
            Event::StepFinished {
                step,
                state,
                message,
                outputs,
                simulated,
                results,
                ..
            } => {
                if !steps.contains(step) {
                    steps.push(step.clone());
                }
                let read = crate::evidence::lines(results);
                evidence.retain(|(s, _)| s != step);
                if !read.is_empty() {
                    evidence.push((step.clone(), read));
                }
                let state_word = if *simulated {
                    "dry-run".to_string()
                } else {
                    state.name().to_string()
                };
                let begin = started.get(step).cloned().unwrap_or_else(|| "—".into());
                let outs: Vec<String> = outputs
                    .iter()
                    .map(|(k, v)| format!("`{k}` = `{}`", cell(&plain(v))))
                    .collect();
                rows.push(format!(
                    "| `{step}` | {begin} | {time} | {state_word} | {} | {} |",
                    cell(message.as_deref().unwrap_or("")),
                    outs.join("<br>")
                ));
                if *state != StepState::Skipped {
                    timeline.push(format!("| {time} | `{step}` {state_word} |"));
                }
            }
            Event::RunFinished {
                status, summary, ..
            } => {
                let status = serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let counts: Vec<String> = summary.iter().map(|(k, v)| format!("{v} {k}")).collect();
                let _ = writeln!(
                    out,
                    "- Finished: {time}, **{status}** ({})",
                    counts.join(", ")
                );
                timeline.push(format!("| {time} | run {status} |"));
            }
            _ => {}
        }
    }
    if records
        .last()
        .is_some_and(|r| !matches!(r.event, Event::RunFinished { .. }))
    {
        let _ = writeln!(out, "- Finished: **no** (the journal ends without the end of the run: interrupted or killed)");
    }
    let _ = writeln!(out, "\n## Steps\n");
    let _ = writeln!(out, "| Step | Started | Ended | Result | Notes | Outputs |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(out, "{row}");
    }
    if !evidence.is_empty() {
        let _ = writeln!(out, "\n## What the steps read\n");
        for (step, lines) in evidence {
            let _ = writeln!(out, "`{step}`:\n\n```text");
            for line in lines {
                // A fence inside the evidence must not close the block.
                let _ = writeln!(out, "{}", line.replace("```", "`\u{200b}``"));
            }
            let _ = writeln!(out, "```\n");
        }
    }
    if !approvals.is_empty() {
        let _ = writeln!(out, "\n## Approvals and answers\n");
        let _ = writeln!(out, "| Time | Step | Decision | Who | Why | Plan |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for row in approvals {
            let _ = writeln!(out, "{row}");
        }
    }
    let _ = writeln!(out, "\n## Timeline\n");
    let _ = writeln!(out, "| Time | Event |");
    let _ = writeln!(out, "|---|---|");
    for row in timeline {
        let _ = writeln!(out, "{row}");
    }
    out
}

fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}
