//! Filling in a template with handlebars in strict mode: a missing value is
//! an error, never an empty string, and in a shell command every non-raw
//! insertion is shell-quoted.

use super::quote::shell_quote;
use crate::node::Text;
use crate::source::Span;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
    ScopedJson,
};
use serde_json::Value;
use std::fmt;

/// How inserted values are protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// Every non-raw insertion becomes one shell word (see [`shell_quote`]).
    Shell,
    /// Values are inserted as they are (HTTP bodies, messages).
    None,
}

/// Why a template could not be rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderError {
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}

/// Renders `template` (already checked by [`super::parse`]; checked again
/// here, so nothing outside the supported subset ever runs) with `context`,
/// a JSON object such as `{"inputs": {...}, "steps": {...}}`.
pub fn render(template: &str, context: &Value, quoting: Quoting) -> Result<String, RenderError> {
    super::parse(&Text::opaque(template, Span::default())).map_err(|d| RenderError {
        message: match d.help {
            Some(help) if d.code != crate::code::Code::TemplateSyntax => {
                format!("{} ({help})", d.message)
            }
            _ => d.message,
        },
    })?;
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    match quoting {
        Quoting::Shell => registry.register_escape_fn(shell_quote),
        Quoting::None => registry.register_escape_fn(handlebars::no_escape),
    }
    registry.register_helper("raw", Box::new(Raw));
    registry.register_helper("json", Box::new(Transform::Json));
    registry.register_helper("upper", Box::new(Transform::Upper));
    registry.register_helper("lower", Box::new(Transform::Lower));
    registry.register_helper("default", Box::new(Default));
    registry
        .render_template(template, context)
        .map_err(|e| RenderError {
            message: describe(&e),
        })
}

fn describe(error: &handlebars::RenderError) -> String {
    match error.reason() {
        RenderErrorReason::MissingVariable(Some(path)) => format!("`{path}` has no value"),
        RenderErrorReason::MissingVariable(None) => {
            "a value used by the template is missing".into()
        }
        other => other.to_string(),
    }
}

/// The first parameter's value; an error in strict mode when it is missing.
fn value<'a>(h: &'a Helper<'_>, name: &str) -> Result<&'a Value, handlebars::RenderError> {
    let param = h
        .param(0)
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("helper", 0))?;
    if param.is_value_missing() {
        let path = param
            .relative_path()
            .cloned()
            .unwrap_or_else(|| name.to_string());
        return Err(RenderErrorReason::MissingVariable(Some(path)).into());
    }
    Ok(param.value())
}

/// Text of a value as handlebars would insert it.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `{{raw path}}`: written without escaping, whatever the quoting.
struct Raw;

impl HelperDef for Raw {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        out.write(&text(value(h, "raw")?))?;
        Ok(())
    }
}

/// Helpers that return a value, so handlebars applies the escape (the
/// shell quoting) to their result unless the insertion is `{{{triple}}}`.
enum Transform {
    Json,
    Upper,
    Lower,
}

impl HelperDef for Transform {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let (name, result) = match self {
            Transform::Json => ("json", None),
            Transform::Upper => ("upper", Some(true)),
            Transform::Lower => ("lower", Some(false)),
        };
        let v = value(h, name)?;
        let out = match result {
            None => {
                serde_json::to_string(v).map_err(|e| RenderErrorReason::Other(e.to_string()))?
            }
            Some(true) => text(v).to_uppercase(),
            Some(false) => text(v).to_lowercase(),
        };
        Ok(ScopedJson::Derived(Value::String(out)))
    }
}

/// `{{default path "fallback"}}`: the fallback when the value is missing or null.
struct Default;

impl HelperDef for Default {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let fallback = h
            .param(1)
            .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("default", 1))?;
        let chosen = match h.param(0) {
            Some(p) if !p.is_value_missing() && !p.value().is_null() => p.value(),
            _ => fallback.value(),
        };
        Ok(ScopedJson::Derived(chosen.clone()))
    }
}
