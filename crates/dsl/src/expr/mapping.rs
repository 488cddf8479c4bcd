//! Mappings as values: map literals (`{name: "web", "x-y": 1}`) and the
//! functions that take a mapping apart (`keys`, `values`, `entries`), typed
//! at `check` time and evaluated over JSON objects.
//!
//! A map literal's type is a closed record of its keys, so `{a: 1}.b` is
//! caught. At run time a mapping is a JSON object whose keys are kept in
//! sorted order (byte order of the key), not in the order written: `keys`,
//! `values`, `entries` and `{{#each}}` all walk it in that order.

use super::check::{Checker, Scope};
use super::eval::{show, EvalError, Evaluator, V};
use super::function::Function;
use super::record::{Record, Rest};
use super::syntax::Expr;
use super::types::Type;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Span, Spanned};
use serde_json::{Map, Value};
use std::borrow::Cow;

impl<S: Scope + ?Sized> Checker<'_, S> {
    /// The type of a map literal: a closed record of its keys. A key
    /// written twice is reported (the first one is kept).
    pub(super) fn map_literal(&mut self, entries: &[(Spanned<String>, Expr)]) -> Type {
        let mut fields: Vec<(Cow<'static, str>, Type)> = Vec::with_capacity(entries.len());
        let mut seen: Vec<&Spanned<String>> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let ty = self.expr(value);
            if let Some(first) = seen.iter().find(|k| k.value == key.value) {
                self.diags.push(
                    Diagnostic::error(
                        Code::DuplicateKey,
                        format!(
                            "`{}` is given twice in this mapping",
                            super::print::key_text(&key.value)
                        ),
                    )
                    .label(key.span, "given again here")
                    .label(first.span, "first given here")
                    .help("remove one of them: a mapping holds each key once"),
                );
                continue;
            }
            seen.push(key);
            fields.push((Cow::Owned(key.value.clone()), ty));
        }
        Record {
            name: None,
            fields,
            rest: Rest::Closed,
        }
        .into_type()
    }

    /// The type of `keys(m)`, `values(m)` or `entries(m)`, reporting an
    /// argument that is not a mapping.
    pub(super) fn map_call(&mut self, function: Function, arg: Option<(&Expr, &Type)>) -> Type {
        let Some((arg, ty)) = arg else {
            return Type::List(Box::new(Type::Any));
        };
        let value = match ty {
            Type::Record(record) => value_type(record),
            Type::Map | Type::Any => Type::Any,
            other => {
                let help = match other {
                    Type::List(_) => format!(
                        "`{}` takes a mapping; a list's elements are walked with `map`, `filter` or `{{{{#each}}}}`",
                        function.name()
                    ),
                    _ => format!("call it as `{}`", function.signature()),
                };
                self.mismatch(
                    format!(
                        "`{}` needs a mapping, this is {}",
                        function.name(),
                        other.describe()
                    ),
                    &[(arg, other)],
                    Some(help),
                );
                Type::Any
            }
        };
        let item = match function {
            Function::Keys => Type::String,
            Function::Values => value,
            _ => entry_type(value),
        };
        Type::List(Box::new(item))
    }
}

/// The type every value of a record has, as far as it is known: what
/// `values(m)` holds and what `{{#each m}}` binds to `this`.
pub fn value_type(record: &Record) -> Type {
    let rest = match &record.rest {
        Rest::Closed => None,
        Rest::Values(ty) => Some(ty.clone()),
        Rest::Open => Some(Type::Any),
    };
    let mut types = record.fields.iter().map(|(_, t)| t.clone()).chain(rest);
    let Some(first) = types.next() else {
        return Type::Any;
    };
    types.fold(first, |all, t| all.join(&t))
}

/// `{key: string, value: T}`: an element of `entries(m)`.
pub(crate) fn entry_type(value: Type) -> Type {
    Record {
        name: None,
        fields: vec![
            (Cow::Borrowed("key"), Type::String),
            (Cow::Borrowed("value"), value),
        ],
        rest: Rest::Closed,
    }
    .into_type()
}

impl<E: super::Env + ?Sized> Evaluator<'_, E> {
    /// A map literal's value; unknown when any value is.
    pub(super) fn map_literal(&self, entries: &[(Spanned<String>, Expr)]) -> Result<V, EvalError> {
        let mut map = Map::new();
        let mut unknown = false;
        for (key, value) in entries {
            match self.value(value)? {
                Some(v) => {
                    map.insert(key.value.clone(), v);
                }
                None => unknown = true,
            }
        }
        Ok(if unknown {
            V::Unknown
        } else {
            V::Known(Value::Object(map))
        })
    }
}

/// `keys(m)`, `values(m)`, `entries(m)` of a known value, in the mapping's
/// key order.
pub(super) fn map_function(
    function: Function,
    value: &Value,
    span: Span,
) -> Result<Value, EvalError> {
    let Value::Object(map) = value else {
        return Err(EvalError::new(
            span,
            format!(
                "`{}` needs a mapping, found {}",
                function.name(),
                show(value)
            ),
        ));
    };
    Ok(Value::Array(match function {
        Function::Keys => map.keys().map(|k| Value::String(k.clone())).collect(),
        Function::Values => map.values().cloned().collect(),
        _ => map
            .iter()
            .map(|(k, v)| {
                let mut entry = Map::new();
                entry.insert("key".into(), Value::String(k.clone()));
                entry.insert("value".into(), v.clone());
                Value::Object(entry)
            })
            .collect(),
    }))
}
