//! In-process tests of the scheduler with a stand-in kind, so they need
//! neither the standard library nor processes.

use crate::action::{ActionContext, ActionResult, BoxFuture, Execute, Executors};
use crate::bus::{Collector, EventBus};
use crate::event::{Event, RunStatus, StepState};
use crate::operator::Preapproved;
use crate::runner::{Restored, RunOptions, Runner};
use runbook_dsl::ast::Effect;
use runbook_dsl::catalog::{KindList, KindSchema};
use runbook_dsl::node::Node;
use serde_json::Map;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

fn read(_: &Node) -> Effect {
    Effect::Read
}

/// A kind `noop` that does nothing and succeeds.
fn catalog() -> KindList {
    KindList::new(vec![KindSchema {
        name: "noop",
        summary: "Nothing.",
        params: vec![],
        shorthand: None,
        results: vec![],
        primary_result: "",
        default_effect: read,
        effect_doc: "`read`.",
        rules: runbook_dsl::catalog::no_rules,
        capabilities: Default::default(),
    }])
}

struct Noop;

impl Execute for Noop {
    fn run<'a>(&'a self, _: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async { ActionResult::success(Map::new()) })
    }
    fn describe(&self, _: &ActionContext) -> String {
        "nothing".into()
    }
}

struct Actions;

impl Executors for Actions {
    fn executor(&self, kind: &str) -> Option<Arc<dyn Execute>> {
        (kind == "noop").then(|| Arc::new(Noop) as Arc<dyn Execute>)
    }
}

fn run(yaml: &str) -> (RunStatus, Vec<Event>) {
    let checked =
        runbook_dsl::load::check(runbook_dsl::SourceFile::new("t.yaml", yaml), &catalog());
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let runner = Runner::new(
        Arc::new(plan),
        Arc::new(Actions),
        Arc::new(Preapproved::default()),
        RunOptions::default(),
    );
    let collector = Collector::default();
    let mut bus = EventBus::new();
    bus.subscribe(Box::new(collector.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = rt.block_on(runner.run(
        &mut bus,
        Map::new(),
        Restored::default(),
        CancellationToken::new(),
    ));
    let events = collector
        .records
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.event.clone())
        .collect();
    (outcome.status, events)
}

#[test]
fn a_chain_ten_thousand_steps_deep_runs_without_recursion() {
    let mut yaml = String::from("steps:\n  - id: s0\n    noop: {}\n");
    for i in 1..10_000 {
        yaml.push_str(&format!(
            "  - id: s{i}\n    needs: [s{}]\n    noop: {{}}\n",
            i - 1
        ));
    }
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || run(&yaml))
        .unwrap();
    let (status, events) = handle.join().expect("no stack overflow");
    assert_eq!(status, RunStatus::Succeeded);
    let finished = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::StepFinished {
                    state: StepState::Succeeded,
                    ..
                }
            )
        })
        .count();
    assert_eq!(finished, 10_000);
}

#[test]
fn a_step_ends_before_the_next_one_starts() {
    let (_, events) =
        run("steps:\n  - id: a\n    noop: {}\n  - id: b\n    needs: [a]\n    noop: {}\n");
    let position = |want: &dyn Fn(&Event) -> bool| events.iter().position(want).unwrap();
    let a_done = position(&|e| matches!(e, Event::StepFinished { step, .. } if step == "a"));
    let b_start = position(&|e| matches!(e, Event::StepStarted { step, .. } if step == "b"));
    assert!(a_done < b_start);
}
