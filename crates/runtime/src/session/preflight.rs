//! Before anything runs: each input is tried where the steps insert it.
//! An input's value is known when the run starts, so a value that cannot
//! go where a step puts it (`127.0.0.1 ` in a URL's host, `99999` as its
//! port, `..` as a path segment, a name Kubernetes refuses) is refused
//! then, with nothing done, instead of failing that step mid-run, where
//! `on_failure: {goto: ...}` would take it for what the step probes (a
//! typo in the primary's host read as "the primary is down", and a
//! failover begun).

use crate::arguments;
use runbook_dsl::expr::{Env, Lookup, Outcome, StepOutcome};
use runbook_dsl::path::Path;
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// An input refused where a step inserts it.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub input: String,
    pub step: String,
    /// Why, with a secret input's value masked.
    pub message: String,
}

/// The inputs that cannot go where a step that may run inserts them.
/// Steps whose `when` the inputs alone make false are left out: they
/// would not run.
pub fn refused_inputs(plan: &Plan, inputs: &Map<String, Value>) -> Vec<Refused> {
    let env = InputsOnly {
        inputs,
        last: RefCell::new(None),
    };
    let mut refused = Vec::new();
    for i in 0..plan.len() {
        let (step, step_plan) = plan.step(i);
        if let Some(when) = &step_plan.when {
            if let Ok(Outcome::Known(Value::Bool(false))) = runbook_dsl::expr::eval(when, &env) {
                continue;
            }
        }
        env.last.replace(None);
        if let Err(error) = arguments::fill(&step_plan.params, &env) {
            if let Some(input) = env.last.take() {
                refused.push(Refused {
                    input,
                    step: step.id.value.clone(),
                    message: error.message,
                });
            }
        }
    }
    // Masked only when something is said: the masker's forms cost a run
    // with secrets that refuses nothing.
    if !refused.is_empty() {
        let masker = super::inputs::secrets(plan.playbook(), inputs);
        for r in &mut refused {
            r.message = masker.mask(&r.message);
        }
    }
    refused
}

/// The run's inputs, and nothing else known yet: whatever else a step
/// reads is filled in as a placeholder and cannot be refused.
struct InputsOnly<'a> {
    inputs: &'a Map<String, Value>,
    /// The input read last: the one an insertion refused is.
    last: RefCell<Option<String>>,
}

impl Env for InputsOnly<'_> {
    fn lookup(&self, path: &Path) -> Lookup {
        if path.key(0) != Some("inputs") {
            return Lookup::Unknown;
        }
        let Some(name) = path.key(1) else {
            return Lookup::Unknown;
        };
        self.last.replace(Some(name.to_string()));
        // An optional input not given: what reads it is decided at run
        // time (a `default(...)`, a guard).
        match self.inputs.get(name).and_then(|v| path.get_in(2, v)) {
            Some(value) => Lookup::Known(value.clone()),
            None => Lookup::Unknown,
        }
    }

    fn step_state(&self, _id: &str) -> Option<StepOutcome> {
        None
    }

    fn now(&self) -> Option<std::time::SystemTime> {
        None
    }
}
