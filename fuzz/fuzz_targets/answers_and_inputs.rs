//! Arbitrary text as an answer to each kind of `ask`, as a value of each
//! input type, and as an `--inputs-file`/`--answers` document: never a
//! panic, and a number is always finite (`NaN` would pass `min`/`max`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use runbook_dsl::ast::{AnswerType, InputType};
use runbook_dsl::{Span, Spanned};
use serde_json::Value;

fn finite(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let bound = |v: f64| Some(Spanned::new(v, Span::default()));
    let choices = vec![
        Spanned::new("workload".to_string(), Span::default()),
        Spanned::new("platform".to_string(), Span::default()),
    ];
    for ty in [
        AnswerType::Text,
        AnswerType::Number { min: None, max: None },
        AnswerType::Number { min: bound(1.0), max: bound(32.0) },
        AnswerType::Choice(choices.clone()),
    ] {
        if let Ok(v) = runbook_runtime::operator::validate_answer(&ty, text) {
            assert!(finite(&v), "{text:?} gave {v}");
            assert!(!v.is_null(), "{text:?} gave null");
        }
    }
    for ty in [
        InputType::String,
        InputType::Int,
        InputType::Float,
        InputType::Bool,
        InputType::Enum(choices),
    ] {
        if let Ok(v) = ty.coerce(Value::String(text.to_string())) {
            assert!(finite(&v), "{text:?} gave {v}");
        }
    }
    // The mapping files are YAML or JSON, read by the CLI's own reader.
    if let Ok(entries) = runbook_dsl::mapping_file::parse(text) {
        for (_, v) in entries {
            let _ = InputType::Float.coerce(v);
        }
    }
});
