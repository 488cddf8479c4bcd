//! Evaluation over JSON values, with unknowns.
//!
//! The runtime evaluates guards with real results; `runbook plan` evaluates
//! them with the outputs of steps that did not run left *unknown*, so the
//! logic is three-valued: `false && unknown` is false, `true || unknown` is
//! true, and otherwise an unknown operand makes the result unknown.

use super::syntax::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use crate::path::Path;
use crate::source::Span;
use serde_json::{Number, Value};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

/// What an environment knows about a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// The value is known.
    Known(Value),
    /// The value exists but is not known yet (a step that has not run, in a plan).
    Unknown,
    /// There is no such value (a JSON field absent from a response): an
    /// error, unless `default(...)` supplies a fallback.
    Missing,
}

/// How a finished step ended, for `succeeded(ID)`, `failed(ID)`, `skipped(ID)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepOutcome {
    Succeeded,
    Failed,
    Skipped,
}

/// The values an expression reads.
pub trait Env {
    fn lookup(&self, path: &Path) -> Lookup;
    /// `None` when the step has not finished (or, in a plan, is not known).
    fn step_state(&self, id: &str) -> Option<StepOutcome>;
    /// The time `now()` reads; `None` where it is not known (the checker's
    /// constant folding), so nothing depends on when a playbook is checked.
    fn now(&self) -> Option<std::time::SystemTime> {
        Some(std::time::SystemTime::now())
    }
    /// Why a path that is [`Lookup::Missing`] has no value, when the
    /// environment knows ("`probe` failed before producing it: connection
    /// refused"), for the reader's error message.
    fn absence(&self, _path: &Path) -> Option<String> {
        None
    }
}

/// The result of evaluating an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Known(Value),
    Unknown,
}

impl Outcome {
    /// `Some(b)` when the result is a known boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Outcome::Known(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
}

/// A failure at run time, at the part of the expression that failed.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

impl EvalError {
    pub(super) fn new(span: Span, message: impl Into<String>) -> EvalError {
        EvalError {
            span,
            message: message.into(),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// Evaluates `expr` against `env`.
pub fn eval<E: Env + ?Sized>(expr: &Expr, env: &E) -> Result<Outcome, EvalError> {
    let evaluator = Evaluator {
        env,
        locals: RefCell::new(Vec::new()),
    };
    match evaluator.eval(expr)? {
        V::Known(value) => Ok(Outcome::Known(value)),
        V::Unknown => Ok(Outcome::Unknown),
        V::Missing(span, what, why) => Err(missing(span, &what, why)),
    }
}

/// The value of `expr` when it does not depend on anything unknown: every
/// path and every step state is unknown. Lets the analyzer spot a case that
/// is always true or always false.
pub fn const_eval(expr: &Expr) -> Option<Value> {
    struct Nothing;
    impl Env for Nothing {
        fn lookup(&self, _: &Path) -> Lookup {
            Lookup::Unknown
        }
        fn step_state(&self, _: &str) -> Option<StepOutcome> {
            None
        }
        fn now(&self) -> Option<std::time::SystemTime> {
            None
        }
    }
    match eval(expr, &Nothing) {
        Ok(Outcome::Known(value)) => Some(value),
        _ => None,
    }
}

/// An intermediate value: absent values travel until something uses them,
/// so `default(...)` can catch them.
pub(super) enum V {
    Known(Value),
    Unknown,
    /// Where, what, and why when the environment knows.
    Missing(Span, String, Option<String>),
}

pub(super) fn missing(span: Span, what: &str, why: Option<String>) -> EvalError {
    EvalError::new(span, no_value(what, why.as_deref()))
}

/// "`steps.probe.status` has no value", with the reason when known.
pub fn no_value(what: &str, why: Option<&str>) -> String {
    match why {
        Some(why) => format!("`{what}` has no value because {why}"),
        None => format!("`{what}` has no value"),
    }
}

/// A short rendering of a value for error messages.
pub(super) fn show(value: &Value) -> String {
    let text = value.to_string();
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    if text.chars().count() > 40 {
        let short: String = text.chars().take(37).collect();
        format!("{kind} ({short}...)")
    } else {
        format!("{kind} ({text})")
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub(super) fn of(value: &Value) -> Option<Num> {
        let n = value.as_number()?;
        match n.as_i64() {
            Some(i) => Some(Num::Int(i)),
            None => n.as_f64().map(Num::Float),
        }
    }

    pub(super) fn float(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

pub(super) fn float_value(x: f64, span: Span) -> Result<Value, EvalError> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| EvalError::new(span, "the result is not a finite number"))
}

/// Equality as people mean it: `1 == 1.0`, lists and mappings element-wise.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => match (Num::of(a), Num::of(b)) {
            (Some(Num::Int(x)), Some(Num::Int(y))) => x == y,
            (Some(x), Some(y)) => x.float() == y.float(),
            _ => a == b,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

pub(super) struct Evaluator<'e, E: ?Sized> {
    pub(super) env: &'e E,
    /// The lambda parameters bound now, innermost last.
    pub(super) locals: RefCell<Vec<(String, Value)>>,
}

impl<E: Env + ?Sized> Evaluator<'_, E> {
    /// A known value, `None` when unknown, an error when missing.
    pub(super) fn value(&self, expr: &Expr) -> Result<Option<Value>, EvalError> {
        match self.eval(expr)? {
            V::Known(v) => Ok(Some(v)),
            V::Unknown => Ok(None),
            V::Missing(span, what, why) => Err(missing(span, &what, why)),
        }
    }

    fn boolean(&self, expr: &Expr, what: &str) -> Result<Option<bool>, EvalError> {
        match self.value(expr)? {
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(EvalError::new(
                expr.span,
                format!("{what} needs a boolean, found {}", show(&other)),
            )),
            None => Ok(None),
        }
    }

    pub(super) fn eval(&self, expr: &Expr) -> Result<V, EvalError> {
        let span = expr.span;
        Ok(match &expr.kind {
            ExprKind::Literal(literal) => V::Known(match literal {
                Literal::Null => Value::Null,
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Int(i) => Value::from(*i),
                Literal::Float(f) => float_value(*f, span)?,
                Literal::String(s) => Value::String(s.clone()),
            }),
            ExprKind::Path(path) if self.is_local(path) => match self.local(path) {
                Some(v) => V::Known(v),
                None => V::Missing(path.span, path.to_string(), None),
            },
            ExprKind::Lambda { .. } => {
                return Err(EvalError::new(
                    span,
                    "a lambda is only an argument of a list function",
                ))
            }
            ExprKind::Path(path) => match self.env.lookup(path) {
                Lookup::Known(v) => V::Known(v),
                Lookup::Unknown => V::Unknown,
                Lookup::Missing => V::Missing(path.span, path.to_string(), self.env.absence(path)),
            },
            ExprKind::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                let mut unknown = false;
                for item in items {
                    match self.value(item)? {
                        Some(v) => values.push(v),
                        None => unknown = true,
                    }
                }
                if unknown {
                    V::Unknown
                } else {
                    V::Known(Value::Array(values))
                }
            }
            ExprKind::Map(entries) => self.map_literal(entries)?,
            ExprKind::Unary { op, operand } => match op.value {
                UnaryOp::Not => match self.boolean(operand, "`!`")? {
                    Some(b) => V::Known(Value::Bool(!b)),
                    None => V::Unknown,
                },
                UnaryOp::Neg => match self.value(operand)? {
                    None => V::Unknown,
                    Some(v) => match Num::of(&v) {
                        Some(Num::Int(i)) => V::Known(Value::from(
                            i.checked_neg()
                                .ok_or_else(|| EvalError::new(span, "integer overflow"))?,
                        )),
                        Some(Num::Float(f)) => V::Known(float_value(-f, span)?),
                        None => {
                            return Err(EvalError::new(
                                operand.span,
                                format!("`-` needs a number, found {}", show(&v)),
                            ))
                        }
                    },
                },
            },
            ExprKind::Binary { op, lhs, rhs } => self.binary(op.value, span, lhs, rhs)?,
            ExprKind::Call { name, args } => self.call(span, &name.value, args)?,
            ExprKind::Index { base, index } => {
                let (Some(b), Some(i)) = (self.value(base)?, self.value(index)?) else {
                    return Ok(V::Unknown);
                };
                let found = match (&b, &i) {
                    (Value::Array(items), Value::Number(n)) => n
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .and_then(|n| items.get(n)),
                    (Value::Object(map), Value::String(k)) => map.get(k),
                    _ => {
                        return Err(EvalError::new(
                            span,
                            format!("cannot index {} with {}", show(&b), show(&i)),
                        ))
                    }
                };
                match found {
                    Some(v) => V::Known(v.clone()),
                    None => V::Missing(span, expr.to_string(), None),
                }
            }
        })
    }

    fn binary(&self, op: BinaryOp, span: Span, lhs: &Expr, rhs: &Expr) -> Result<V, EvalError> {
        let symbol = op.symbol();
        if let BinaryOp::And | BinaryOp::Or = op {
            // The value that decides the result on its own.
            let decisive = op == BinaryOp::Or;
            let what = format!("`{symbol}`");
            let left = self.boolean(lhs, &what)?;
            if left == Some(decisive) {
                return Ok(V::Known(Value::Bool(decisive)));
            }
            let right = self.boolean(rhs, &what)?;
            return Ok(match (left, right) {
                (_, Some(r)) if r == decisive => V::Known(Value::Bool(decisive)),
                (Some(_), Some(r)) => V::Known(Value::Bool(r)),
                _ => V::Unknown,
            });
        }
        let (Some(a), Some(b)) = (self.value(lhs)?, self.value(rhs)?) else {
            return Ok(V::Unknown);
        };
        let type_error = || {
            EvalError::new(
                span,
                format!("`{symbol}` cannot combine {} and {}", show(&a), show(&b)),
            )
        };
        let result = match op {
            BinaryOp::Eq => Value::Bool(values_equal(&a, &b)),
            BinaryOp::Ne => Value::Bool(!values_equal(&a, &b)),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ordering = match (&a, &b) {
                    (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                    _ => match (Num::of(&a), Num::of(&b)) {
                        (Some(Num::Int(x)), Some(Num::Int(y))) => Some(x.cmp(&y)),
                        (Some(x), Some(y)) => x.float().partial_cmp(&y.float()),
                        _ => None,
                    },
                }
                .ok_or_else(type_error)?;
                Value::Bool(match op {
                    BinaryOp::Lt => ordering == Ordering::Less,
                    BinaryOp::Le => ordering != Ordering::Greater,
                    BinaryOp::Gt => ordering == Ordering::Greater,
                    _ => ordering != Ordering::Less,
                })
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let found = contains(&b, &a).ok_or_else(type_error)?;
                Value::Bool(found == (op == BinaryOp::In))
            }
            BinaryOp::Matches => {
                let (Value::String(text), Value::String(pattern)) = (&a, &b) else {
                    return Err(type_error());
                };
                let regex = regex::Regex::new(pattern).map_err(|e| {
                    EvalError::new(rhs.span, format!("invalid regular expression: {e}"))
                })?;
                Value::Bool(regex.is_match(text))
            }
            BinaryOp::Add => match (&a, &b) {
                (Value::String(x), Value::String(y)) => Value::String(format!("{x}{y}")),
                (Value::Array(x), Value::Array(y)) => {
                    Value::Array(x.iter().chain(y).cloned().collect())
                }
                _ => self.arithmetic(op, span, &a, &b).ok_or_else(type_error)??,
            },
            _ => self.arithmetic(op, span, &a, &b).ok_or_else(type_error)??,
        };
        Ok(V::Known(result))
    }

    /// `None` when the operands are not numbers.
    fn arithmetic(
        &self,
        op: BinaryOp,
        span: Span,
        a: &Value,
        b: &Value,
    ) -> Option<Result<Value, EvalError>> {
        let (x, y) = (Num::of(a)?, Num::of(b)?);
        let overflow = || EvalError::new(span, "integer overflow");
        let zero = || EvalError::new(span, "division by zero");
        Some(match (op, x, y) {
            (BinaryOp::Div, _, _) => {
                if y.float() == 0.0 {
                    Err(zero())
                } else {
                    float_value(x.float() / y.float(), span)
                }
            }
            (BinaryOp::Rem, _, _) if y.float() == 0.0 => Err(zero()),
            (_, Num::Int(x), Num::Int(y)) => match op {
                BinaryOp::Add => x.checked_add(y),
                BinaryOp::Sub => x.checked_sub(y),
                BinaryOp::Mul => x.checked_mul(y),
                _ => x.checked_rem(y),
            }
            .map(Value::from)
            .ok_or_else(overflow),
            (_, x, y) => {
                let (x, y) = (x.float(), y.float());
                float_value(
                    match op {
                        BinaryOp::Add => x + y,
                        BinaryOp::Sub => x - y,
                        BinaryOp::Mul => x * y,
                        _ => x % y,
                    },
                    span,
                )
            }
        })
    }
}

/// Membership: an element of a list, a substring, a key of a mapping.
/// `None` when the container cannot hold the needle.
pub(super) fn contains(haystack: &Value, needle: &Value) -> Option<bool> {
    match (haystack, needle) {
        (Value::Array(items), _) => Some(items.iter().any(|i| values_equal(i, needle))),
        (Value::String(text), Value::String(part)) => Some(text.contains(part.as_str())),
        (Value::Object(map), Value::String(key)) => Some(map.contains_key(key)),
        _ => None,
    }
}

pub(super) fn to_int(value: &Value) -> Option<i64> {
    match value {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(_) => match Num::of(value)? {
            Num::Int(i) => Some(i),
            Num::Float(f) => float_to_int(f),
        },
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float_to_int))
        }
        _ => None,
    }
}

pub(super) fn float_to_int(f: f64) -> Option<i64> {
    let t = f.trunc();
    // i64::MAX as f64 rounds up to 2^63, which does not fit.
    (t.is_finite() && t >= i64::MIN as f64 && t < i64::MAX as f64).then_some(t as i64)
}

pub(super) fn to_float(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(_) => Num::of(value).map(Num::float),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// An environment over one JSON document: `{"inputs": {...}, "steps": {...}}`.
/// Convenient for tests, `runbook test` scenarios and simple callers.
#[derive(Clone, Debug, Default)]
pub struct JsonEnv {
    pub root: Value,
    pub states: HashMap<String, StepOutcome>,
}

impl Env for JsonEnv {
    fn lookup(&self, path: &Path) -> Lookup {
        match path.get_in(0, &self.root) {
            Some(v) => Lookup::Known(v.clone()),
            None => Lookup::Missing,
        }
    }

    fn step_state(&self, id: &str) -> Option<StepOutcome> {
        self.states.get(id).copied()
    }
}
