//! A playbook's inputs as the command line gives them (`--input k=v`,
//! `--inputs-file F`); the runtime resolves them
//! ([`runbook_runtime::session::inputs`]: the environment, defaults, types).

use runbook_dsl::ast::Playbook;
use runbook_runtime::session::inputs::InputProblem;
use serde_json::{Map, Value};
use std::path::Path;

/// Inputs as given, before typing.
#[derive(Debug, Default)]
pub struct Given {
    pub values: Map<String, Value>,
}

impl Given {
    /// Reads `--inputs-file` then `--input` (the command line wins).
    pub fn read(pairs: &[String], file: Option<&Path>) -> Result<Given, String> {
        let mut values = Map::new();
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

/// A problem with an input, in command-line terms (a name the playbook
/// does not have lists the ones it has).
pub fn say(problem: &InputProblem, playbook: &Playbook) -> String {
    match problem {
        InputProblem::Unknown { name } => {
            let known: Vec<String> = playbook
                .inputs
                .iter()
                .map(|i| format!("`{}`", i.name.value))
                .collect();
            format!(
                "the playbook has no input `{name}`{}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (its inputs are {})", known.join(", "))
                }
            )
        }
        InputProblem::Invalid { name, error } => format!("input `{name}`: {error}"),
        InputProblem::Missing { name, env } => {
            let env = env
                .as_ref()
                .map(|e| format!(" or set ${e}"))
                .unwrap_or_default();
            format!("input `{name}` is required: pass `--input {name}=VALUE`{env}")
        }
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
