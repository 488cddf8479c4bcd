//! A JSON Schema (draft 2020-12) for YAML playbooks, so editors running
//! yaml-language-server complete field names, kinds and parameters and flag
//! structural mistakes as the author types.
//!
//! It is built from the same lists the lowerer checks against
//! ([`PLAYBOOK_FIELDS`], [`INPUT_FIELDS`], [`STEP_FIELDS`], [`OUTPUT_FIELDS`],
//! [`LANGUAGE_KINDS`]) and from each kind's [`KindSchema`], so it cannot drift
//! from what `runbook check` accepts: a field added to a list without a schema
//! here fails [`json_schema`]'s test. The schema is looser than `check` where
//! only analysis can tell (references, expressions, templates): it validates
//! shape, `check` validates meaning.

use crate::catalog::{Catalog, KindSchema, ParamType};
use crate::lower::{INPUT_FIELDS, LANGUAGE_KINDS, OUTPUT_FIELDS, PLAYBOOK_FIELDS, STEP_FIELDS};
use serde_json::{json, Map, Value};

/// Where the schema says it lives; editors key caches on it.
pub const SCHEMA_ID: &str = "https://runbook.dev/schema/playbook.json";

const ID_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// What humantime reads: one or more `<number><unit>` (`30s`, `1h30m`), or
/// a template that renders one when the step runs (`"{{inputs.grace}}"`).
const DURATION_PATTERN: &str = "^(([0-9]+(\\.[0-9]+)?\\s*[A-Za-z]+\\s*)+|.*\\{\\{.*\\}\\}.*)$";

/// A size (`64KiB`, `1MiB`, `5MB`, bytes), or a template that renders one.
const SIZE_PATTERN: &str = "^(\\s*[0-9]+\\s*([KkMmGg]([Ii]?[Bb])?|[Bb])?\\s*|.*\\{\\{.*\\}\\}.*)$";

/// An output cap: a number of bytes, or a size as text.
fn output_cap(description: &str) -> Value {
    let description = format!("{description} A size between 1KiB and 256MiB (`64KiB`, `1MiB`, `5MB`, or bytes) or a template that renders one; see docs/semantics.md, \"Output caps\".");
    json!({
        "description": description,
        "anyOf": [
            {"type": "integer", "minimum": crate::size::MIN_OUTPUT_CAP, "maximum": crate::size::MAX_OUTPUT_CAP},
            {"type": "string", "pattern": SIZE_PATTERN}
        ]
    })
}

fn text(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

fn duration(description: &str) -> Value {
    let description =
        format!("{description} A duration (`30s`, `5m`, `1h30m`) or a template that renders one.");
    json!({"type": "string", "pattern": DURATION_PATTERN, "description": description})
}

/// An expression: written as a string, or a YAML literal (`when: false`).
fn expression(description: &str) -> Value {
    json!({"type": ["string", "boolean", "number"], "description": description})
}

fn strings(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string"}, "description": description})
}

fn ids(description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}},
            {"type": "string", "pattern": ID_PATTERN}
        ]
    })
}

fn object(properties: Map<String, Value>, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

/// The schema of a playbook field, by name.
fn playbook_field(name: &str) -> Option<Value> {
    Some(match name {
        "name" => text("The playbook's name, used in reports and journals."),
        "title" => text("A human title."),
        "description" => text("What the playbook is for (Markdown)."),
        "owners" => strings("Who maintains it."),
        "tags" => strings("Free tags; `on-call` makes `runbook lint` ask for step descriptions."),
        "inputs" => json!({
            "type": "object",
            "description": "Typed parameters, given on the command line or from the environment.",
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/input"}
        }),
        "output_cap" => output_cap("What is kept of each step's output and large results, for steps that set no `output_cap` of their own."),
        "vars" => json!({
            "type": "object",
            "description": "Computed values: names for expressions over inputs, results and other values, or for YAML data (a list or a mapping), read as `vars.NAME` in conditions, templates and questions.",
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": {
                "anyOf": [
                    expression("An expression, e.g. `steps.mem.outputs.used / steps.mem.outputs.total * 100`."),
                    {"type": ["array", "object"], "description": "Data: a list or a mapping, every scalar in it a literal (`regions: [eu-west-1, us-east-1]`)."}
                ]
            }
        }),
        "steps" => json!({
            "type": "array",
            "minItems": 1,
            "description": "The steps; order matters only for ties.",
            "items": {"$ref": "#/$defs/step"}
        }),
        _ => return None,
    })
}

const INPUT_TYPES: &[&str] = &[
    "string", "int", "integer", "float", "number", "bool", "boolean", "duration", "enum",
];

fn input_field(name: &str) -> Option<Value> {
    Some(match name {
        "type" => json!({"enum": INPUT_TYPES, "description": "The input's type."}),
        "description" => text("Shown in `--help` of the playbook and in docs."),
        "default" => json!({"description": "The value when none is given."}),
        "required" => json!({"type": "boolean"}),
        "secret" => json!({"type": "boolean", "description": "Masked everywhere it appears."}),
        "env" => text("Environment variable the value is read from."),
        "choices" => strings("The values of an enum input."),
        _ => return None,
    })
}

fn output_field(name: &str) -> Option<Value> {
    Some(match name {
        "from" => text("The result field it is taken from (default: the kind's main result)."),
        "json" => text("A JSON path into the result."),
        "regex" => text("A regular expression; capture group 1 when present."),
        "lines" => {
            text("Keep the lines of the text that match this regular expression (`error|panic`).")
        }
        "separator" => {
            json!({"enum": ["newline", "nul"], "description": "What splits the text into the records `lines` matches: line ends (the default) or NUL bytes, for `find -print0`, `git ls-files -z` and the like."})
        }
        "select" => {
            json!({"enum": ["all", "count", "first", "last"], "description": "Which matches of `lines` or `regex`: every one as a list (`lines`' default), how many, the first (`regex`'s default) or the last."})
        }
        "type" => json!({"enum": ["string", "int", "float", "bool", "list", "map", "any"]}),
        "secret" => json!({"type": "boolean"}),
        "default" => {
            json!({"description": "Makes the output optional: its value when what it is captured from is absent (no such field, nothing at the JSON path, no regex match)."})
        }
        _ => return None,
    })
}

fn step_field(name: &str) -> Option<Value> {
    Some(match name {
        "id" => {
            json!({"type": "string", "pattern": ID_PATTERN, "description": "Unique id, used in `needs` and `steps.ID` references."})
        }
        "title" => text("A human title."),
        "description" => text("Why the step is there (Markdown)."),
        "needs" => ids("Steps that must succeed before this one."),
        "when" => expression("Run only when this expression holds."),
        "effect" => {
            json!({"enum": ["read", "write", "destructive"], "description": "What the step does to the world; the kind's default when absent."})
        }
        "approval" => json!({
            "description": "Ask an operator before running: `true`, the question to ask, or `{question, by}` (`by: other`: four-eyes, only someone other than the person running the playbook approves, from another terminal).",
            "anyOf": [
                {"type": "boolean"},
                {"type": "string"},
                {"type": "object", "properties": {
                    "question": {"type": "string"},
                    "by": {"enum": ["anyone", "other"], "description": "Who may approve: `anyone` (default) or `other` (four-eyes: not the person running the playbook)."}
                }, "additionalProperties": false}
            ]
        }),
        "timeout" => duration("How long the step may take."),
        "output_cap" => output_cap("What is kept of this step's output and large results (overrides the playbook's `output_cap`)."),
        "retry" => json!({
            "description": "Attempts (counting the first), or `{attempts, delay, backoff}`.",
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 1000},
                {
                    "type": "object",
                    "properties": {
                        "attempts": {"type": "integer", "minimum": 1, "maximum": 1000},
                        "delay": duration("Wait between attempts."),
                        "backoff": {"type": "number", "minimum": 1, "maximum": 10}
                    },
                    "required": ["attempts"],
                    "additionalProperties": false
                }
            ]
        }),
        "until" => json!({
            "description": "Poll: re-run the step until the condition holds, every `every`, at most `within`.",
            "anyOf": [
                {"type": ["string", "boolean"]},
                {
                    "type": "object",
                    "properties": {
                        "condition": expression("Stop polling when this holds."),
                        "every": duration("Interval between polls."),
                        "within": duration("Deadline.")
                    },
                    "required": ["condition"],
                    "additionalProperties": false
                }
            ]
        }),
        "finally" => json!({
            "type": "boolean",
            "description": "A cleanup: runs however the run goes on or stops (a failure, a rejected gate, a signal), once the steps it needs ended or will not run; skip it with `when: succeeded(SETUP)`."
        }),
        "on_failure" => json!({
            "description": "`abort` (default), `continue`, or `{goto: STEP}`.",
            "anyOf": [
                {"enum": ["abort", "continue"]},
                {
                    "type": "object",
                    "properties": {"goto": {"type": "string", "pattern": ID_PATTERN}},
                    "required": ["goto"],
                    "additionalProperties": false
                }
            ]
        }),
        "outputs" => json!({
            "type": "object",
            "description": "Named values captured from the result.",
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/output"}
        }),
        "lint" => json!({
            "type": "object",
            "description": "Lint rules this step is exempt from, and why.",
            "properties": {
                "allow": strings("Rule names (`ungated_write` or `lint::ungated_write`)."),
                "reason": {"type": "string", "minLength": 1}
            },
            "required": ["reason"],
            "additionalProperties": false
        }),
        "for_each" => json!({
            "description": "Run the step once per element of this list: an expression (`steps.pods.outputs.names`) or a list written out.",
            "anyOf": [{"type": "string"}, {"type": "array"}]
        }),
        "as" => {
            json!({"type": "string", "pattern": ID_PATTERN, "not": {"enum": ["inputs", "steps", "vars"]}, "description": "With `for_each`: the name the element is bound to (default `item`)."})
        }
        "label" => {
            json!({"type": "string", "minLength": 1, "description": "With `for_each`: an expression over the element naming it in the live view, the journal, reports, rehearsals and resume (`item.labels.instance`); one short line, unique among the elements."})
        }
        "parallel" => {
            json!({"type": "integer", "minimum": 1, "maximum": crate::lower::MAX_PARALLEL, "description": "With `for_each`: how many elements run at once (default 1: in order)."})
        }
        "on_item_failure" => {
            json!({"enum": ["stop", "continue"], "description": "With `for_each`: `stop` (default) starts no further element after a failure; `continue` runs every element and fails the step at the end."})
        }
        "approval_per_item" => {
            json!({"type": "boolean", "description": "With `for_each`: ask the step's gate once per element rather than once for the whole set."})
        }
        _ => return None,
    })
}

fn language_kind(name: &str) -> Option<Value> {
    Some(match name {
        "branch" | "triage" => json!({
            "type": "array",
            "minItems": 1,
            "description": "Ordered cases `when: EXPR, then: STEP`, and an optional `else: STEP`.",
            "items": {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {
                            "when": expression("Taken when this holds and no earlier case was."),
                            "then": {"type": "string", "pattern": ID_PATTERN}
                        },
                        "required": ["when", "then"],
                        "additionalProperties": false
                    },
                    {
                        "type": "object",
                        "properties": {"else": {"type": "string", "pattern": ID_PATTERN}},
                        "required": ["else"],
                        "additionalProperties": false
                    }
                ]
            }
        }),
        "manual" => text("Instructions the operator follows, then confirms."),
        "ask" => json!({
            "description": "A typed question (a string: a text question); the answer is `steps.ID.answer`.",
            "anyOf": [{"type": "string"}, {
            "type": "object",
            "properties": {
                "question": {"type": "string"},
                "choices": {"type": "array", "items": {"type": ["string", "number", "boolean"]}},
                "type": {"enum": ["choice", "number", "text"]},
                "min": {"type": "number"},
                "max": {"type": "number"},
                "default": {
                    "description": "The answer taken when the step's `timeout` passes with no answer; one the question accepts.",
                    "type": ["string", "number", "boolean"]
                }
            },
            "required": ["question"],
            "additionalProperties": false
            }]
        }),
        _ => return None,
    })
}

/// The schema of a parameter value. Templated strings can stand for any
/// scalar, so numbers and booleans also accept a string; and a text
/// parameter takes a number or a boolean as its text, as `check` does
/// (`[SCAN, 0]`, `port: 8080` where a template is expected).
fn param_type(ty: &ParamType) -> Value {
    match ty {
        ParamType::String
        | ParamType::Template
        | ParamType::ProseTemplate
        | ParamType::ShellTemplate
        | ParamType::Encoded(_) => {
            json!({"type": ["string", "number", "boolean"]})
        }
        ParamType::Argv => {
            json!({"type": "array", "items": {"type": ["string", "number", "boolean"]}})
        }
        ParamType::Expr => json!({"type": ["string", "boolean", "number"]}),
        ParamType::Int => json!({"type": ["integer", "string"]}),
        ParamType::Float => json!({"type": ["number", "string"]}),
        ParamType::Bool => json!({"type": ["boolean", "string"]}),
        ParamType::Duration => json!({"type": "string", "pattern": DURATION_PATTERN}),
        ParamType::Enum(words) => json!({"enum": words}),
        ParamType::List(item) => json!({"type": "array", "items": param_type(item)}),
        ParamType::Map(value) => {
            json!({"type": "object", "additionalProperties": param_type(value)})
        }
        ParamType::OneOf(types) => {
            json!({"anyOf": types.iter().map(param_type).collect::<Vec<_>>()})
        }
        ParamType::Any => json!({}),
    }
}

fn kind(schema: &KindSchema) -> Value {
    let mut properties = Map::new();
    for p in &schema.params {
        let mut value = param_type(&p.ty);
        if let Value::Object(map) = &mut value {
            map.insert("description".into(), p.description.into());
        }
        properties.insert(p.name.to_string(), value);
    }
    let required: Vec<&str> = schema
        .params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    let mapping = object(properties, &required);
    let shorthand = schema
        .shorthand
        .and_then(|name| schema.param(name))
        .map(|p| param_type(&p.ty));
    match shorthand {
        Some(short) => json!({"description": schema.summary, "anyOf": [short, mapping]}),
        None => {
            let mut mapping = mapping;
            if let Value::Object(map) = &mut mapping {
                map.insert("description".into(), schema.summary.into());
            }
            mapping
        }
    }
}

fn fields(names: &[&str], schema_of: fn(&str) -> Option<Value>) -> Map<String, Value> {
    names
        .iter()
        .map(|name| {
            let schema = schema_of(name).unwrap_or_else(|| {
                panic!("no JSON schema for the field `{name}`: add it to schema.rs")
            });
            (name.to_string(), schema)
        })
        .collect()
}

/// The JSON Schema of a YAML playbook for this catalog's kinds.
pub fn json_schema(catalog: &dyn Catalog) -> Value {
    let mut kind_names: Vec<&str> = LANGUAGE_KINDS.to_vec();
    let mut catalog_names = catalog.kind_names();
    catalog_names.sort_unstable();
    kind_names.extend(catalog_names.iter().copied());

    let mut step_properties = fields(STEP_FIELDS, step_field);
    for name in &kind_names {
        let schema = match catalog.kind(name) {
            Some(k) => kind(k),
            None => language_kind(name).expect("every language kind has a schema"),
        };
        step_properties.insert(name.to_string(), schema);
    }
    let mut step = object(step_properties, &["id"]);
    if let Value::Object(map) = &mut step {
        // Exactly one kind.
        let one_of: Vec<Value> = kind_names
            .iter()
            .map(|k| json!({"required": [k]}))
            .collect();
        map.insert("oneOf".into(), Value::Array(one_of));
    }

    let input = json!({
        "anyOf": [
            {"enum": INPUT_TYPES},
            object(fields(INPUT_FIELDS, input_field), &[])
        ]
    });
    let output = json!({
        "anyOf": [
            {"type": "string", "description": "The result field it is taken from."},
            object(fields(OUTPUT_FIELDS, output_field), &[])
        ]
    });
    let mut root = object(fields(PLAYBOOK_FIELDS, playbook_field), &["steps"]);
    if let Value::Object(map) = &mut root {
        let mut head = Map::new();
        head.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        head.insert("$id".into(), SCHEMA_ID.into());
        head.insert("title".into(), "runbook playbook".into());
        head.extend(std::mem::take(map));
        head.insert(
            "$defs".into(),
            json!({"step": step, "input": input, "output": output}),
        );
        *map = head;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::KindList;

    #[test]
    fn every_field_the_lowerer_accepts_has_a_schema() {
        // `fields` panics on a field without one.
        let schema = json_schema(&KindList::new(Vec::new()));
        let step = &schema["$defs"]["step"]["properties"];
        for field in STEP_FIELDS.iter().chain(LANGUAGE_KINDS) {
            assert!(step.get(field).is_some(), "{field}");
        }
    }
}
