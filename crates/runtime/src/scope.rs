//! The values expressions and templates read during a run: `inputs.*`,
//! `steps.ID.*` and the states behind `succeeded(ID)`.
//!
//! The runner keeps one [`Scope`] for the whole run; a step's task gets a
//! cheap subset holding only the steps it reads (the analyzer lists them in
//! `StepPlan::reads`), so starting a step never copies the whole run.

use runbook_dsl::expr::{Env, Lookup, StepOutcome};
use runbook_dsl::path::Path;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
struct StepValues {
    /// Result fields and `outputs`, once the step ended: all of them when it
    /// succeeded, those it produced before failing when it failed.
    values: Option<Arc<Value>>,
    outcome: Option<StepOutcome>,
    /// Dry-run: the step was described, not executed; its values are unknown.
    unknown: bool,
    /// Why a value the step did not produce has none: how it failed, or why
    /// it was skipped (for the reader's error message).
    cause: Option<String>,
}

/// A computed value (`vars:`) once it was needed.
#[derive(Clone, Debug, PartialEq)]
pub enum VarValue {
    Known(Value),
    /// Dry-run: it reads results that are not known.
    Unknown,
    /// It could not be computed; why (read by whoever needs it).
    Failed(String),
}

/// Inputs and step results, readable as an expression environment.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    inputs: Arc<Value>,
    steps: HashMap<String, StepValues>,
    /// The element of a `for_each` step, by the name it is bound to.
    element: Option<Arc<(String, Value)>>,
    /// Computed values, shared by every subset (computed once per run).
    vars: Arc<HashMap<String, VarValue>>,
}

impl Scope {
    pub fn new(inputs: Map<String, Value>) -> Scope {
        Scope {
            inputs: Arc::new(Value::Object(inputs)),
            steps: HashMap::new(),
            element: None,
            vars: Arc::default(),
        }
    }

    pub fn inputs(&self) -> &Value {
        &self.inputs
    }

    /// Records a step that succeeded, with its results and outputs.
    pub fn succeeded(
        &mut self,
        id: &str,
        results: Map<String, Value>,
        outputs: Map<String, Value>,
    ) {
        self.ended(id, results, outputs, StepOutcome::Succeeded, None);
    }

    /// `steps.ID.message`: what the step said as it ended (why it failed;
    /// null when it succeeded), unless its kind has a result of that name.
    fn with_message(results: &mut Map<String, Value>, message: Option<&str>) {
        results
            .entry("message")
            .or_insert_with(|| message.map_or(Value::Null, |m| Value::String(m.to_string())));
    }

    /// Records a step that failed, with the results and outputs it produced
    /// before failing (a non-zero exit still has its `exit_code` and
    /// `stderr`; a refused connection has no `status`), and the cause.
    pub fn failed(
        &mut self,
        id: &str,
        results: Map<String, Value>,
        outputs: Map<String, Value>,
        cause: &str,
    ) {
        let mut results = results;
        Scope::with_message(&mut results, Some(cause));
        let cause = format!("`{id}` failed before producing it: {cause}");
        self.ended(id, results, outputs, StepOutcome::Failed, Some(cause));
    }

    fn ended(
        &mut self,
        id: &str,
        results: Map<String, Value>,
        outputs: Map<String, Value>,
        outcome: StepOutcome,
        cause: Option<String>,
    ) {
        let mut values = results;
        Scope::with_message(&mut values, None);
        values.insert("outputs".into(), Value::Object(outputs));
        self.steps.insert(
            id.to_string(),
            StepValues {
                values: Some(Arc::new(Value::Object(values))),
                outcome: Some(outcome),
                unknown: false,
                cause,
            },
        );
    }

    /// Records a step whose values are unknown (described in a dry-run).
    pub fn unknown(&mut self, id: &str) {
        self.steps.insert(
            id.to_string(),
            StepValues {
                values: None,
                outcome: None,
                unknown: true,
                cause: None,
            },
        );
    }

    /// Records a step that ended without results (skipped, or failed before
    /// it ran), and why.
    pub fn settled(&mut self, id: &str, outcome: StepOutcome, why: &str) {
        let cause = match outcome {
            StepOutcome::Skipped => format!("`{id}` was skipped: {why}"),
            _ => format!("`{id}` failed before producing it: {why}"),
        };
        self.steps.insert(
            id.to_string(),
            StepValues {
                values: None,
                outcome: Some(outcome),
                unknown: false,
                cause: Some(cause),
            },
        );
    }

    /// Whether the computed value `name` was computed (or tried) already.
    pub fn has_var(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Records a computed value.
    pub fn set_var(&mut self, name: &str, value: VarValue) {
        Arc::make_mut(&mut self.vars).insert(name.to_string(), value);
    }

    /// The values of a step that ended (see [`Scope::failed`] for a failure).
    pub fn values(&self, id: &str) -> Option<&Value> {
        self.steps.get(id).and_then(|s| s.values.as_deref())
    }

    /// The inputs and only the named steps.
    pub fn subset<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Scope {
        let mut steps = HashMap::new();
        for id in ids {
            if let Some(values) = self.steps.get(id) {
                steps.insert(id.to_string(), values.clone());
            }
        }
        Scope {
            inputs: self.inputs.clone(),
            steps,
            vars: self.vars.clone(),
            element: self.element.clone(),
        }
    }

    /// The same values with one element of a loop bound to `name`.
    pub fn with_element(&self, name: &str, value: Value) -> Scope {
        Scope {
            element: Some(Arc::new((name.to_string(), value))),
            ..self.clone()
        }
    }

    /// The scope as one JSON document `{inputs, steps}` (for messages).
    pub fn to_json(&self) -> Value {
        let mut steps = Map::new();
        for (id, s) in &self.steps {
            if let Some(v) = &s.values {
                steps.insert(id.clone(), (**v).clone());
            }
        }
        serde_json::json!({"inputs": *self.inputs, "steps": steps})
    }
}

impl Env for Scope {
    fn lookup(&self, path: &Path) -> Lookup {
        match path.key(0) {
            Some("inputs") => match path.get_in(1, &self.inputs) {
                Some(v) => Lookup::Known(v.clone()),
                None => Lookup::Missing,
            },
            Some("steps") => {
                let Some(step) = path.key(1).and_then(|id| self.steps.get(id)) else {
                    return Lookup::Missing;
                };
                if step.unknown {
                    return Lookup::Unknown;
                }
                match step.values.as_deref().and_then(|v| path.get_in(2, v)) {
                    Some(v) => Lookup::Known(v.clone()),
                    None => Lookup::Missing,
                }
            }
            Some("vars") => match path.key(1).and_then(|name| self.vars.get(name)) {
                Some(VarValue::Known(v)) => match path.get_in(2, v) {
                    Some(v) => Lookup::Known(v.clone()),
                    None => Lookup::Missing,
                },
                Some(VarValue::Unknown) => Lookup::Unknown,
                Some(VarValue::Failed(_)) | None => Lookup::Missing,
            },
            Some(name) => match self.element.as_deref() {
                Some((bound, value)) if bound == name => match path.get_in(1, value) {
                    Some(v) => Lookup::Known(v.clone()),
                    None => Lookup::Missing,
                },
                _ => Lookup::Missing,
            },
            None => Lookup::Missing,
        }
    }

    fn step_state(&self, id: &str) -> Option<StepOutcome> {
        self.steps.get(id).and_then(|s| s.outcome)
    }

    fn absence(&self, path: &Path) -> Option<String> {
        if path.key(0) == Some("vars") {
            return match self.vars.get(path.key(1)?)? {
                VarValue::Failed(why) => Some(format!("it could not be computed: {why}")),
                _ => None,
            };
        }
        if path.key(0) != Some("steps") {
            return None;
        }
        self.steps.get(path.key(1)?)?.cause.clone()
    }
}
