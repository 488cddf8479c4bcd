//! A run in a scripted world, for rehearsals (`runbook test`): no journal
//! file (its records, called playbooks' included, are collected), one step
//! at a time, and time paused, so polls and `wait` steps take no
//! time. Its called playbooks start through [`super::nest`] like a real
//! run's, with the scripted actions.

use crate::action::Executors;
use crate::bus::{Collector, EventBus};
use crate::event::Record;
use crate::journal::{CallJournal, SharedWriter};
use crate::operator::Operator;
use crate::runner::{Restored, RunOptions, RunOutcome, Runner};
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A week of paused time: a poll that never holds and has no deadline
/// would otherwise loop forever.
const HORIZON: Duration = Duration::from_secs(7 * 24 * 3600);

/// Runs `plan` with `inputs` ([`super::inputs::resolve`]d) to its end;
/// returns how it ended and every record it published.
pub fn run(
    plan: &Arc<Plan>,
    actions: Arc<dyn Executors>,
    operator: Arc<dyn Operator>,
    inputs: Map<String, Value>,
) -> (RunOutcome, Vec<Record>) {
    let playbook_dir = Path::new(plan.file().name())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let collector = Collector {
        journal: true,
        ..Collector::default()
    };
    let records = collector.records.clone();
    let mut bus = EventBus::new();
    // Called playbooks' runs are collected as a run journals them (`called`
    // records, step ids `CALL.STEP`), so expectations can name their steps.
    let calls = CallJournal {
        run_id: String::new(),
        writer: SharedWriter::new(collector.clone()),
        sequence: bus.sequence(),
        address: String::new(),
        force: false,
    };
    bus.subscribe(Box::new(collector));
    let options = RunOptions {
        jobs: 1,
        playbook_dir,
        journal: Some(calls),
        ..RunOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime starts");
    let runner = Runner::new(plan.clone(), actions, operator, options);
    let outcome = runtime.block_on(async {
        let cancel = CancellationToken::new();
        let watchdog = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(HORIZON).await;
            watchdog.cancel();
        });
        runner
            .run(&mut bus, inputs, Restored::default(), cancel)
            .await
    });
    let records = records.lock().map(|r| r.clone()).unwrap_or_default();
    (outcome, records)
}
