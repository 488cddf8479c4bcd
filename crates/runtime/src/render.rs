//! Filling in a step's templated parameters at run time.
//!
//! Templates were parsed and checked by the analyzer; here their segments
//! are filled in from the run's values with the semantics of
//! `runbook_dsl::template::render` (strict: a missing value is an error,
//! never an empty string; every non-raw insertion into a shell command is
//! one shell-quoted word). Walking the parsed segments rather than
//! re-rendering the text lets a dry-run render values that are not known
//! (results of steps it did not execute) as visible placeholders such as
//! `<steps.migrate.stdout>`, instead of failing.

use runbook_dsl::expr::{Env, Lookup};
use runbook_dsl::path::{Path, Segment as PathSegment};
use runbook_dsl::plan::{Param, ParamValue, Params};
use runbook_dsl::template::{shell_quote, Format, Quoting, Segment, Template};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// Why a template could not be filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderError {
    pub message: String,
    pub span: runbook_dsl::Span,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}

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

/// Renders every parameter of a step.
pub fn render_params(params: &Params, env: &dyn Env) -> Result<Args, RenderError> {
    let mut args = Args::new();
    for (name, param) in params {
        let arg = match &param.value {
            ParamValue::Duration(d) => Arg::Duration(*d),
            ParamValue::Expr(e) => Arg::Expr(e.clone()),
            _ => Arg::Value(render_value(param, env)?),
        };
        args.insert(name.clone(), arg);
    }
    Ok(args)
}

/// A parameter value as JSON, its templates filled in.
pub fn render_value(param: &Param, env: &dyn Env) -> Result<Value, RenderError> {
    Ok(match &param.value {
        ParamValue::Null => Value::Null,
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Int(i) => Value::from(*i),
        ParamValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ParamValue::Str(s) => Value::String(s.clone()),
        ParamValue::Template { template, quoting } => {
            Value::String(render(template, env, *quoting)?)
        }
        ParamValue::Expr(e) => Value::String(e.to_string()),
        ParamValue::Duration(d) => Value::String(humantime::format_duration(*d).to_string()),
        ParamValue::List(items) => Value::Array(
            items
                .iter()
                .map(|p| render_value(p, env))
                .collect::<Result<_, _>>()?,
        ),
        ParamValue::Map(entries) => {
            let mut map = Map::new();
            for (k, p) in entries {
                map.insert(k.clone(), render_value(p, env)?);
            }
            Value::Object(map)
        }
    })
}

/// Fills in a template.
pub fn render(template: &Template, env: &dyn Env, quoting: Quoting) -> Result<String, RenderError> {
    let mut out = String::new();
    // Iterative: a stack of segment lists still to write.
    let mut stack: Vec<std::slice::Iter<'_, Segment>> = vec![template.segments.iter()];
    while let Some(top) = stack.last_mut() {
        let Some(segment) = top.next() else {
            stack.pop();
            continue;
        };
        match segment {
            Segment::Text { text, .. } => out.push_str(text),
            Segment::Insert(insertion) => {
                let looked = env.lookup(&insertion.path);
                let value = match (&insertion.format, looked) {
                    (Format::Default(fallback), Lookup::Missing) => fallback.clone(),
                    (Format::Default(fallback), Lookup::Known(Value::Null)) => fallback.clone(),
                    (_, Lookup::Known(v)) => v,
                    (_, Lookup::Unknown) => {
                        // Only in a dry-run: the value comes from a step that did not run.
                        let _ = write!(out, "<{}>", show_path(&insertion.path));
                        continue;
                    }
                    (_, Lookup::Missing) => {
                        return Err(RenderError {
                            message: format!("`{}` has no value", show_path(&insertion.path)),
                            span: insertion.span,
                        })
                    }
                };
                let text = match &insertion.format {
                    Format::Plain | Format::Default(_) => text(&value),
                    Format::Json => serde_json::to_string(&value).unwrap_or_default(),
                    Format::Upper => text(&value).to_uppercase(),
                    Format::Lower => text(&value).to_lowercase(),
                };
                if insertion.raw || quoting == Quoting::None {
                    out.push_str(&text);
                } else {
                    out.push_str(&shell_quote(&text));
                }
            }
            Segment::If(block) => {
                let holds = match env.lookup(&block.path) {
                    Lookup::Known(v) => truthy(&v),
                    Lookup::Missing => false,
                    Lookup::Unknown => {
                        let _ = write!(out, "<if {}>", show_path(&block.path));
                        false
                    }
                };
                let chosen = if holds != block.negated {
                    &block.then
                } else {
                    &block.otherwise
                };
                stack.push(chosen.iter());
            }
        }
    }
    Ok(out)
}

/// Text of a value as handlebars inserts it.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Handlebars truthiness: `false`, `null`, `0`, `""` and `[]` are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// `steps.a.outputs.b[0]`, as written.
pub fn show_path(path: &Path) -> String {
    let mut out = String::new();
    for (i, segment) in path.segments.iter().enumerate() {
        match &segment.value {
            PathSegment::Name(n) => {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(n);
            }
            PathSegment::Index(n) => {
                let _ = write!(out, "[{n}]");
            }
            PathSegment::Key(k) => {
                let _ = write!(out, "[{}]", serde_json::to_string(k).unwrap_or_default());
            }
        }
    }
    out
}
