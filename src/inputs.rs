//! Resolving a playbook's inputs from the command line (`--input k=v`,
//! `--inputs-file F`), the environment (`env:`) and defaults, typed by the
//! input's declared type.

use runbook_dsl::ast::Playbook;
use runbook_dsl::node::Node;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// Inputs as given, before typing.
#[derive(Debug, Default)]
pub struct Given {
    pub values: HashMap<String, Value>,
}

impl Given {
    /// Reads `--inputs-file` then `--input` (the command line wins).
    pub fn read(pairs: &[String], file: Option<&Path>) -> Result<Given, String> {
        let mut values = HashMap::new();
        if let Some(file) = file {
            for (k, v) in read_mapping(file)? {
                values.insert(k, v);
            }
        }
        for pair in pairs {
            let (k, v) = split_pair(pair, "--input")?;
            values.insert(k, Value::String(v));
        }
        Ok(Given { values })
    }
}

/// `KEY=VALUE`.
pub fn split_pair(pair: &str, flag: &str) -> Result<(String, String), String> {
    match pair.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{flag} {pair}`: expected KEY=VALUE")),
    }
}

/// A YAML or JSON mapping file (`--inputs-file`, `--answers`).
pub fn read_mapping(file: &Path) -> Result<Vec<(String, Value)>, String> {
    let text = runbook_dsl::user_file::read_to_string(file)
        .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let value: Value = serde_yaml::from_str(&text)
        .map_err(|e| format!("`{}` is not a YAML or JSON mapping: {e}", file.display()))?;
    match value {
        Value::Object(map) => Ok(map.into_iter().collect()),
        Value::Null => Ok(Vec::new()),
        _ => Err(format!(
            "`{}` must be a mapping of names to values",
            file.display()
        )),
    }
}

/// Types every input; errors name the input and what is wrong.
pub fn resolve(playbook: &Playbook, given: &Given) -> Result<Map<String, Value>, Vec<String>> {
    let mut resolved = Map::new();
    let mut errors = Vec::new();
    for name in given.values.keys() {
        if !playbook.inputs.iter().any(|i| &i.name.value == name) {
            let known: Vec<String> = playbook
                .inputs
                .iter()
                .map(|i| format!("`{}`", i.name.value))
                .collect();
            errors.push(format!(
                "the playbook has no input `{name}`{}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (its inputs are {})", known.join(", "))
                }
            ));
        }
    }
    for input in &playbook.inputs {
        let name = &input.name.value;
        let raw = given
            .values
            .get(name)
            .cloned()
            .or_else(|| {
                input
                    .env
                    .as_ref()
                    .and_then(|e| std::env::var(&e.value).ok())
                    .map(Value::String)
            })
            .or_else(|| input.default.as_ref().map(Node::to_json));
        match raw {
            Some(raw) => match input.coerce(raw) {
                Ok(v) => {
                    resolved.insert(name.clone(), v);
                }
                Err(e) => errors.push(format!("input `{name}`: {e}")),
            },
            None if input.is_required() => {
                let env = input
                    .env
                    .as_ref()
                    .map(|e| format!(" or set ${}", e.value))
                    .unwrap_or_default();
                errors.push(format!(
                    "input `{name}` is required: pass `--input {name}=VALUE`{env}"
                ));
            }
            None => {
                resolved.insert(name.clone(), Value::Null);
            }
        }
    }
    if errors.is_empty() {
        Ok(resolved)
    } else {
        Err(errors)
    }
}
