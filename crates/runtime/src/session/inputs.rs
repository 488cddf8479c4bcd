//! A playbook's inputs, resolved one way for every run: a run from the
//! command line, a resume, a playbook called by a `playbook` step, and a
//! rehearsal. Each input takes the value given, else its `env:` variable
//! (unless the caller's world has no environment: a rehearsal is a closed
//! world), else its default, typed by its declared type. Problems are
//! returned, not worded: each caller says them in its own terms (a command
//! line flag, a step's `inputs:`, a scenario's diagnostic).

use runbook_dsl::ast::Playbook;
use runbook_dsl::node::Node;
use serde_json::{Map, Value};

/// Whether an input's `env:` variable is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// The process environment: a run, a resume, a called playbook.
    Process,
    /// None: a rehearsal gives every value its scenario needs.
    Closed,
}

/// What is wrong with one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputProblem {
    /// A value was given for an input the playbook does not declare.
    Unknown { name: String },
    /// The value does not have the input's type.
    Invalid { name: String, error: String },
    /// A required input has no value; `env` is its variable, when it has one.
    Missing { name: String, env: Option<String> },
}

/// Resolves every input of `playbook` from `given` (the values passed for
/// it), the environment and defaults. Problems come in the playbook's
/// order, unknown names first.
pub fn resolve(
    playbook: &Playbook,
    given: &Map<String, Value>,
    environment: Environment,
) -> Result<Map<String, Value>, Vec<InputProblem>> {
    let mut resolved = Map::new();
    let mut problems = Vec::new();
    for name in given.keys() {
        if !playbook.inputs.iter().any(|i| &i.name.value == name) {
            problems.push(InputProblem::Unknown { name: name.clone() });
        }
    }
    for input in &playbook.inputs {
        let name = &input.name.value;
        let from_env = || match environment {
            Environment::Process => input
                .env
                .as_ref()
                .and_then(|e| std::env::var(&e.value).ok())
                .map(Value::String),
            Environment::Closed => None,
        };
        let raw = given
            .get(name)
            .cloned()
            .or_else(from_env)
            .or_else(|| input.default.as_ref().map(Node::to_json));
        match raw {
            Some(raw) => match input.coerce(raw) {
                Ok(v) => {
                    resolved.insert(name.clone(), v);
                }
                Err(error) => problems.push(InputProblem::Invalid {
                    name: name.clone(),
                    error,
                }),
            },
            None if input.is_required() => problems.push(InputProblem::Missing {
                name: name.clone(),
                env: match environment {
                    Environment::Process => input.env.as_ref().map(|e| e.value.clone()),
                    Environment::Closed => None,
                },
            }),
            None => {
                resolved.insert(name.clone(), Value::Null);
            }
        }
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(problems)
    }
}

/// The inputs as journaled and shown: secret ones masked.
pub fn shown(playbook: &Playbook, inputs: &Map<String, Value>) -> Map<String, Value> {
    let mut shown = inputs.clone();
    for input in &playbook.inputs {
        if input.is_secret() {
            if let Some(v) = shown.get_mut(&input.name.value) {
                *v = Value::String(crate::mask::MASK.into());
            }
        }
    }
    shown
}

/// A masker that knows every secret input's value.
pub fn secrets(playbook: &Playbook, inputs: &Map<String, Value>) -> crate::Masker {
    let mut masker = crate::Masker::new();
    for input in &playbook.inputs {
        if input.is_secret() {
            if let Some(v) = inputs.get(&input.name.value) {
                masker.add_value(v);
            }
        }
    }
    masker
}
