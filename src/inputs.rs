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

/// A YAML or JSON mapping file (`--inputs-file`, `--answers`), read as
/// [`runbook_dsl::mapping_file`] reads it.
pub fn read_mapping(file: &Path) -> Result<Vec<(String, Value)>, String> {
    use runbook_dsl::mapping_file::{parse, MappingError};
    let text = runbook_dsl::user_file::read_to_string(file)
        .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    parse(&text).map_err(|e| match e {
        MappingError::Syntax(e) => {
            format!("`{}` is not a YAML or JSON mapping: {e}", file.display())
        }
        MappingError::NotAMapping => {
            format!("`{}` must be a mapping of names to values", file.display())
        }
    })
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

#[cfg(test)]
mod tests {
    use super::read_mapping;
    use serde_json::json;

    fn read(text: &str) -> Result<Vec<(String, serde_json::Value)>, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("inputs.yaml");
        std::fs::write(&file, text).expect("write");
        read_mapping(&file)
    }

    #[test]
    fn values_keep_their_yaml_1_2_types() {
        let text = "name: \"$(rm -rf /) `id` 'q' ../ #x\"\nflag: yes\non: true\nn: 8\n\
                    ratio: 2.5\nnone: null\nlist: [a, 1]\nmulti: |\n  line 1\n  line 2\n";
        let values: serde_json::Map<_, _> = read(text).expect("a mapping").into_iter().collect();
        assert_eq!(
            serde_json::Value::Object(values),
            json!({
                "name": "$(rm -rf /) `id` 'q' ../ #x",
                "flag": "yes",
                "on": true,
                "n": 8,
                "ratio": 2.5,
                "none": null,
                "list": ["a", 1],
                "multi": "line 1\nline 2\n",
            })
        );
        // JSON is YAML too.
        let values = read("{\"a\": [1, {\"b\": \"c\"}]}").expect("JSON");
        assert_eq!(values, [("a".into(), json!([1, {"b": "c"}]))]);
        assert_eq!(read("").expect("empty file"), []);
    }

    #[test]
    fn mistakes_name_the_file_and_the_line() {
        let duplicate = read("a: 1\na: 2\n").unwrap_err();
        assert!(
            duplicate.contains("inputs.yaml` is not a YAML or JSON mapping"),
            "{duplicate}"
        );
        assert!(duplicate.contains("line 2"), "{duplicate}");
        assert!(!duplicate.contains("DuplicateKeyPolicy"), "{duplicate}");
        let unclosed = read("a: [1\n").unwrap_err();
        assert!(unclosed.contains("line 1"), "{unclosed}");
        let list = read("- 1\n").unwrap_err();
        assert!(
            list.contains("must be a mapping of names to values"),
            "{list}"
        );
    }
}
