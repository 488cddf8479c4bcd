//! Evaluating function calls: the text and number functions, durations
//! (a number of seconds at run time), timestamps, and the list functions
//! that apply a lambda to each element.

use super::eval::{
    contains, float_value, show, to_float, to_int, Env, EvalError, Evaluator, Num, StepOutcome, V,
};
use super::function::{step_argument, Function};
use super::syntax::{Expr, ExprKind};
use crate::path::Path;
use crate::source::Span;
use serde_json::Value;
use std::cmp::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

impl<E: Env + ?Sized> Evaluator<'_, E> {
    /// Whether the path starts with a bound lambda parameter.
    pub(super) fn is_local(&self, path: &Path) -> bool {
        let Some(first) = path.key(0) else {
            return false;
        };
        self.locals.borrow().iter().any(|(name, _)| name == first)
    }

    /// The value a path reads from a bound lambda parameter.
    pub(super) fn local(&self, path: &Path) -> Option<Value> {
        let first = path.key(0)?;
        let locals = self.locals.borrow();
        let (_, value) = locals.iter().rev().find(|(name, _)| name == first)?;
        path.get_in(1, value).cloned()
    }

    pub(super) fn call(&self, span: Span, name: &str, args: &[Expr]) -> Result<V, EvalError> {
        let function = Function::from_name(name)
            .ok_or_else(|| EvalError::new(span, format!("there is no function `{name}`")))?;
        let (min, max) = function.arity();
        if !(min..=max).contains(&args.len()) {
            return Err(EvalError::new(
                span,
                format!("call `{}` as `{}`", name, function.signature()),
            ));
        }
        if function.takes_step() {
            let id = step_argument(&args[0])
                .ok_or_else(|| EvalError::new(args[0].span, "expected a step id"))?;
            let wanted = match function {
                Function::Succeeded => StepOutcome::Succeeded,
                Function::Failed => StepOutcome::Failed,
                _ => StepOutcome::Skipped,
            };
            return Ok(match self.env.step_state(&id.value) {
                Some(state) => V::Known(Value::Bool(state == wanted)),
                None => V::Unknown,
            });
        }
        if function == Function::Default {
            return Ok(match self.eval(&args[0])? {
                V::Missing(..) | V::Known(Value::Null) => self.eval(&args[1])?,
                other => other,
            });
        }
        if function.takes_lambda() {
            return self.list_call(function, span, args);
        }
        if function == Function::Now {
            return Ok(match self.env.now() {
                Some(now) => V::Known(Value::String(
                    humantime::format_rfc3339_seconds(now).to_string(),
                )),
                None => V::Unknown,
            });
        }
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            match self.value(arg)? {
                Some(v) => values.push(v),
                None => return Ok(V::Unknown),
            }
        }
        let bad = |i: usize, needs: &str| {
            EvalError::new(
                args[i].span,
                format!("`{name}` needs {needs}, found {}", show(&values[i])),
            )
        };
        let text = |i: usize| values[i].as_str().ok_or_else(|| bad(i, "a string"));
        let number = |i: usize| Num::of(&values[i]).ok_or_else(|| bad(i, "a number"));
        let decimals = |i: usize| {
            values[i]
                .as_u64()
                .filter(|d| *d <= 12)
                .map(|d| d as usize)
                .ok_or_else(|| bad(i, "a number of decimals from 0 to 12"))
        };
        let result = match function {
            Function::Len => Value::from(match &values[0] {
                Value::String(s) => s.chars().count(),
                Value::Array(items) => items.len(),
                Value::Object(map) => map.len(),
                _ => return Err(bad(0, "a string, a list or a mapping")),
            }),
            Function::Contains => Value::Bool(
                contains(&values[0], &values[1])
                    .ok_or_else(|| bad(1, "a value that the first argument can hold"))?,
            ),
            Function::StartsWith => Value::Bool(text(0)?.starts_with(text(1)?)),
            Function::EndsWith => Value::Bool(text(0)?.ends_with(text(1)?)),
            Function::Lower => Value::String(text(0)?.to_lowercase()),
            Function::Upper => Value::String(text(0)?.to_uppercase()),
            Function::Int => {
                Value::from(to_int(&values[0]).ok_or_else(|| bad(0, "a number or numeric text"))?)
            }
            Function::Float => float_value(
                to_float(&values[0]).ok_or_else(|| bad(0, "a number or numeric text"))?,
                span,
            )?,
            Function::String => Value::String(match &values[0] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            Function::Join => {
                let Value::Array(items) = &values[0] else {
                    return Err(bad(0, "a list"));
                };
                let separator = text(1)?;
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    parts.push(match item {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        Value::Array(_) | Value::Object(_) => {
                            return Err(bad(0, "a list of texts or numbers"))
                        }
                        other => other.to_string(),
                    });
                }
                Value::String(parts.join(separator))
            }
            Function::Split => {
                let separator = text(1)?;
                if separator.is_empty() {
                    return Err(bad(1, "a separator that is not empty"));
                }
                Value::Array(
                    text(0)?
                        .split(separator)
                        .map(|p| Value::String(p.to_string()))
                        .collect(),
                )
            }
            Function::Round => {
                let x = number(0)?;
                if values.len() == 1 {
                    match x {
                        Num::Int(i) => Value::from(i),
                        Num::Float(f) => Value::from(
                            super::eval::float_to_int(f.round())
                                .ok_or_else(|| EvalError::new(span, "integer overflow"))?,
                        ),
                    }
                } else {
                    let scale = 10f64.powi(decimals(1)? as i32);
                    float_value((x.float() * scale).round() / scale, span)?
                }
            }
            Function::Format if values.len() == 1 => {
                Value::String(crate::duration::write_duration(number(0)?.float()))
            }
            Function::Format => Value::String(format!("{:.*}", decimals(1)?, number(0)?.float())),
            Function::Duration => {
                let parsed = crate::duration::parse_duration(text(0)?).map_err(|why| {
                    EvalError::new(
                        args[0].span,
                        format!("`{}` is not a duration: {why}", text(0).unwrap_or_default()),
                    )
                })?;
                seconds(parsed.as_secs_f64(), span)?
            }
            Function::FromNow => {
                let Some(now) = self.env.now() else {
                    return Ok(V::Unknown);
                };
                let secs = Num::of(&values[0])
                    .map(|n| n.float())
                    .filter(|s| s.is_finite() && s.abs() < 1.0e11)
                    .ok_or_else(|| bad(0, "a duration"))?;
                let offset = std::time::Duration::from_secs_f64(secs.abs());
                let then = if secs >= 0.0 {
                    now.checked_add(offset)
                } else {
                    now.checked_sub(offset)
                }
                .ok_or_else(|| bad(0, "a duration that stays within the calendar"))?;
                Value::String(humantime::format_rfc3339_seconds(then).to_string())
            }
            Function::Age => {
                let Some(now) = self.env.now() else {
                    return Ok(V::Unknown);
                };
                let then = timestamp(&values[0])
                    .ok_or_else(|| bad(0, "a timestamp (RFC 3339 text or seconds since 1970)"))?;
                let age = match now.duration_since(then) {
                    Ok(d) => d.as_secs_f64(),
                    Err(e) => -e.duration().as_secs_f64(),
                };
                seconds(age, span)?
            }
            Function::Keys | Function::Values | Function::Entries => {
                super::mapping::map_function(function, &values[0], args[0].span)?
            }
            _ => return Err(EvalError::new(span, "internal: handled above")),
        };
        Ok(V::Known(result))
    }

    /// The list functions: the list, then each element's value through the
    /// lambda when there is one.
    fn list_call(&self, function: Function, span: Span, args: &[Expr]) -> Result<V, EvalError> {
        let name = function.name();
        let Some(list) = self.value(&args[0])? else {
            return Ok(V::Unknown);
        };
        let Value::Array(items) = list else {
            return Err(EvalError::new(
                args[0].span,
                format!("`{name}` needs a list, found {}", show(&list)),
            ));
        };
        let mut mapped = Vec::with_capacity(items.len());
        match args.get(1).map(|a| &a.kind) {
            Some(ExprKind::Lambda { param, body }) => {
                for item in &items {
                    self.locals
                        .borrow_mut()
                        .push((param.value.clone(), item.clone()));
                    let value = self.value(body);
                    self.locals.borrow_mut().pop();
                    match value? {
                        Some(v) => mapped.push(v),
                        None => return Ok(V::Unknown),
                    }
                }
            }
            Some(_) => {
                return Err(EvalError::new(
                    args[1].span,
                    format!("call `{name}` as `{}`", function.signature()),
                ))
            }
            None => mapped.clone_from(&items),
        }
        let value_span = args.get(1).unwrap_or(&args[0]).span;
        let boolean = |v: &Value| {
            v.as_bool().ok_or_else(|| {
                EvalError::new(
                    value_span,
                    format!("`{name}` needs booleans, found {}", show(v)),
                )
            })
        };
        let result = match function {
            Function::Any => {
                let mut any = false;
                for v in &mapped {
                    any |= boolean(v)?;
                }
                Value::Bool(any)
            }
            Function::All => {
                let mut all = true;
                for v in &mapped {
                    all &= boolean(v)?;
                }
                Value::Bool(all)
            }
            Function::Count if args.len() == 1 => Value::from(mapped.len()),
            Function::Count => {
                let mut n = 0usize;
                for v in &mapped {
                    n += usize::from(boolean(v)?);
                }
                Value::from(n)
            }
            Function::Filter => {
                let mut kept = Vec::new();
                for (item, v) in items.into_iter().zip(&mapped) {
                    if boolean(v)? {
                        kept.push(item);
                    }
                }
                Value::Array(kept)
            }
            Function::Map => Value::Array(mapped),
            _ => {
                let mut numbers = Vec::with_capacity(mapped.len());
                for v in &mapped {
                    numbers.push(Num::of(v).ok_or_else(|| {
                        EvalError::new(
                            value_span,
                            format!("`{name}` needs numbers, found {}", show(v)),
                        )
                    })?);
                }
                if function == Function::Sum {
                    return Ok(V::Known(sum(&numbers, span)?));
                }
                let wanted = if function == Function::Max {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                let mut best: Option<(Num, &Value)> = None;
                for (n, v) in numbers.iter().zip(&mapped) {
                    let better = match best {
                        None => true,
                        Some((b, _)) => n.float().partial_cmp(&b.float()) == Some(wanted),
                    };
                    if better {
                        best = Some((*n, v));
                    }
                }
                match best {
                    Some((_, v)) => v.clone(),
                    None => {
                        return Ok(V::Missing(
                            span,
                            format!("{name}(...)"),
                            Some("the list is empty".into()),
                        ))
                    }
                }
            }
        };
        Ok(V::Known(result))
    }
}

/// The sum of numbers: an integer while every term is one.
fn sum(numbers: &[Num], span: Span) -> Result<Value, EvalError> {
    if numbers.iter().all(|n| matches!(n, Num::Int(_))) {
        let mut total: i64 = 0;
        for n in numbers {
            if let Num::Int(i) = n {
                total = total
                    .checked_add(*i)
                    .ok_or_else(|| EvalError::new(span, "integer overflow"))?;
            }
        }
        return Ok(Value::from(total));
    }
    float_value(numbers.iter().map(|n| n.float()).sum(), span)
}

/// A duration as the number of seconds it is at run time: an integer when whole.
pub(super) fn seconds(secs: f64, span: Span) -> Result<Value, EvalError> {
    if secs.fract() == 0.0 && secs.abs() < 9.0e15 {
        Ok(Value::from(secs as i64))
    } else {
        float_value(secs, span)
    }
}

/// A point in time written as RFC 3339 text (Kubernetes' `creationTimestamp`)
/// or as seconds since 1970.
fn timestamp(value: &Value) -> Option<SystemTime> {
    match value {
        Value::String(text) => humantime::parse_rfc3339_weak(text.trim()).ok(),
        Value::Number(_) => {
            let secs = Num::of(value)?.float();
            if (0.0..1.0e12).contains(&secs) {
                Some(UNIX_EPOCH + std::time::Duration::from_secs_f64(secs))
            } else {
                None
            }
        }
        _ => None,
    }
}
