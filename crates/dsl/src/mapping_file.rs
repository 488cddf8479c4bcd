//! The YAML or JSON mapping files a run is given (`--inputs-file`,
//! `--answers`): read as YAML 1.2, the way the playbook front end reads
//! YAML, so that `yes` in an inputs file is the string it is in a playbook.
//! One function, used by the CLI and by the fuzz target that exercises it.

use serde_json::Value;

/// Why a mapping file was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum MappingError {
    /// Not YAML (or JSON), with the parser's one-line reason and line.
    Syntax(String),
    /// YAML, but not a mapping of names to values (a list, a scalar).
    NotAMapping,
}

/// The entries of a mapping file's text, in file order; an empty file is
/// an empty mapping. Only `true`/`false` are booleans (`yes`, `on` stay
/// strings) and a repeated key is an error.
pub fn parse(text: &str) -> Result<Vec<(String, Value)>, MappingError> {
    let value: Value = serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        // The parser's hint names its own API; the user edits a file.
        let e = e.to_string();
        MappingError::Syntax(e.replace(", set DuplicateKeyPolicy in Options if acceptable", ""))
    })?;
    match value {
        Value::Object(map) => Ok(map.into_iter().collect()),
        Value::Null => Ok(Vec::new()),
        _ => Err(MappingError::NotAMapping),
    }
}

fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    options
}
