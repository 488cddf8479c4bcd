//! The condition of `{{#if EXPR}}` / `{{#unless EXPR}}` written as an
//! expression (`{{#if len(steps.pods.json.items) > 0}}`, `{{#if
//! !inputs.force}}`): read with the expression parser's public entry point,
//! checked as a condition by the same checker as `when:` (a non-boolean is
//! an error), and evaluated the way `when:` is when the template is filled
//! in. A condition that is a single path (`{{#if inputs.force}}`) keeps
//! handlebars' truthiness (`""`, `0`, `[]` and absent are false).
//!
//! A block only chooses which literal text and insertions are written; the
//! insertions inside it are quoted or encoded for where they land as
//! everywhere else.

use super::FillError;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Env, Expr, Outcome, Scope};
use crate::node::Text;
use serde_json::Value;

/// What a condition names in diagnostics: "an `{{#if}}` condition must be
/// a boolean".
fn what(negated: bool) -> &'static str {
    if negated {
        "an `{{#unless}}` condition"
    } else {
        "an `{{#if}}` condition"
    }
}

/// For the content of a tag (`#if a > 1`, without `{{ }}` and `~`): the
/// block (`if` or `unless`) and the offset of its condition, when the
/// condition is an expression rather than a single path.
pub(super) fn opening(content: &str) -> Option<(&'static str, usize)> {
    let (name, rest) = if let Some(rest) = content.strip_prefix("#if") {
        ("if", rest)
    } else {
        ("unless", content.strip_prefix("#unless")?)
    };
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let condition = rest.trim();
    let expression = super::expr_insertion::is_expression(condition)
        || condition.starts_with('!')
        || !single_word(condition);
    expression.then(|| {
        let leading = rest.len() - rest.trim_start().len();
        (name, content.len() - rest.len() + leading)
    })
}

/// Whether `text` is one word: no whitespace outside `[...]` (a path
/// segment `[my key]` may hold spaces).
fn single_word(text: &str) -> bool {
    let mut bracket = false;
    for c in text.chars() {
        match c {
            '[' => bracket = true,
            ']' => bracket = false,
            c if c.is_whitespace() && !bracket => return false,
            _ => {}
        }
    }
    true
}

/// Reads the condition written at `start..stop` of `text`. Inside an
/// `{{#each}}` body it may read `@index` (an integer), `@first` and
/// `@last` (booleans), which the body's scope binds.
pub(super) fn read(text: &Text, start: usize, stop: usize) -> Result<Expr, Diagnostic> {
    crate::expr::parse(&text.slice(start, stop))
}

/// Types the condition through `scope`, which must give a boolean.
pub(super) fn check(
    condition: &Expr,
    negated: bool,
    scope: &mut dyn Scope,
    diags: &mut Diagnostics,
) {
    crate::expr::check_bool(condition, scope, diags, what(negated));
}

/// Whether the condition holds in `env`, as `when:` decides: only a known
/// `true` holds; `None` when it reads a value not known (a dry-run's step
/// that did not run); an evaluation error is the block's failure to fill in.
pub(super) fn holds(condition: &Expr, env: &dyn Env) -> Result<Option<bool>, FillError> {
    match crate::expr::eval(condition, env) {
        Ok(Outcome::Known(value)) => Ok(Some(value == Value::Bool(true))),
        Ok(Outcome::Unknown) => Ok(None),
        Err(error) => Err(FillError {
            message: format!("cannot evaluate `{condition}`: {}", error.message),
            span: error.span,
        }),
    }
}
