//! A step's arguments: its checked parameters with their templates filled
//! in at run time, as its action receives them.
//!
//! Templates were parsed and checked by the analyzer; here their segments
//! are filled in from the run's values with the semantics of
//! `runbook_dsl::template::fill` (strict: a missing value is an error,
//! never an empty string; every non-raw insertion into a shell command is
//! one shell-quoted word). Walking the parsed segments rather than
//! re-rendering the text lets a dry-run render values that are not known
//! (results of steps it did not execute) as visible placeholders such as
//! `<steps.migrate.stdout>`, instead of failing.

use runbook_dsl::expr::{Env, Lookup};
use runbook_dsl::plan::{Param, ParamValue, Params};
use runbook_dsl::template::{fill as fill_template, FillError, Quoting};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// A parameter as an action receives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Strings (templates rendered), numbers, lists, mappings.
    Value(Value),
    Duration(Duration),
    /// An expression, evaluated by the action itself (`assert`).
    Expr(runbook_dsl::expr::Expr),
}

impl Arg {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Arg::Value(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    pub fn as_value(&self) -> Option<&Value> {
        match self {
            Arg::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// The rendered parameters of a step, by name.
pub type Args = BTreeMap<String, Arg>;

/// Fills in every parameter of a step.
pub fn fill(params: &Params, env: &dyn Env) -> Result<Args, FillError> {
    let mut args = Args::new();
    for (name, param) in params {
        let arg = match &param.value {
            ParamValue::Duration(d) => Arg::Duration(*d),
            ParamValue::DurationTemplate(template) => {
                match crate::durations::render(name, template, env) {
                    Ok(Some(d)) => Arg::Duration(d),
                    // A dry-run's unknown: shown as a placeholder.
                    Ok(None) => Arg::Value(fill_value(param, env)?),
                    Err(message) => {
                        return Err(FillError {
                            message,
                            span: param.span,
                        })
                    }
                }
            }
            ParamValue::Expr(e) => Arg::Expr(e.clone()),
            _ => Arg::Value(fill_value(param, env)?),
        };
        args.insert(name.clone(), arg);
    }
    Ok(args)
}

/// A parameter value as JSON, its templates filled in.
pub fn fill_value(param: &Param, env: &dyn Env) -> Result<Value, FillError> {
    Ok(match &param.value {
        ParamValue::Null => Value::Null,
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Int(i) => Value::from(*i),
        ParamValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ParamValue::Str(s) => Value::String(s.clone()),
        ParamValue::Template {
            template,
            quoting,
            typed,
        } => match template.single_insertion().filter(|_| *typed) {
            // One insertion where any type fits: the value itself (`20`,
            // not `"20"`); a dry-run's unknown and a missing value render
            // as text does (a placeholder, an error).
            Some(insertion) => match env.lookup(&insertion.path) {
                Lookup::Known(value) => value,
                _ => Value::String(fill_template(template, env, *quoting)?),
            },
            None => Value::String(fill_template(template, env, *quoting)?),
        },
        ParamValue::Expr(e) => Value::String(e.to_string()),
        ParamValue::Duration(d) => Value::String(humantime::format_duration(*d).to_string()),
        ParamValue::DurationTemplate(template) => {
            Value::String(fill_template(template, env, Quoting::None)?)
        }
        ParamValue::List(items) => Value::Array(
            items
                .iter()
                .map(|p| fill_value(p, env))
                .collect::<Result<_, _>>()?,
        ),
        ParamValue::Map(entries) => {
            let mut map = Map::new();
            for (k, p) in entries {
                map.insert(k.clone(), fill_value(p, env)?);
            }
            Value::Object(map)
        }
    })
}
