//! Type checking at `runbook check` time: every operator gets operands of
//! types that fit, every function its arguments, every comparison with an
//! `ask` answer a value the answer can have. Names are resolved by the
//! caller's [`Scope`], which reports unknown ones and answers `Type::Any` so
//! that one mistake is reported once.

use super::syntax::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::types::Type;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::path::Path;
use crate::source::Spanned;
use crate::suggest::help_for;

/// What names mean where the expression is written. Implemented by the
/// analyzer, which knows the inputs, the steps upstream and their outputs.
pub trait Scope {
    /// The type of `inputs.X`, `steps.ID.FIELD`, `steps.ID.outputs.NAME`, ...
    /// Reports an unknown or unreachable name itself and returns `Type::Any`.
    fn resolve(&mut self, path: &Path, diags: &mut Diagnostics) -> Type;
    /// A step named by `succeeded(ID)`, `failed(ID)` or `skipped(ID)`;
    /// reports it if unknown or not upstream.
    fn step(&mut self, id: &Spanned<String>, diags: &mut Diagnostics);
}

/// The type of `expr`, reporting every type error into `diags`.
pub fn check<S: Scope + ?Sized>(expr: &Expr, scope: &mut S, diags: &mut Diagnostics) -> Type {
    Checker {
        scope,
        diags,
        locals: Vec::new(),
    }
    .expr(expr)
}

/// Like [`check`], and the result must be a boolean: `what` names the place,
/// as in "a `when` guard must be a boolean, this is an integer".
pub fn check_bool<S: Scope + ?Sized>(
    expr: &Expr,
    scope: &mut S,
    diags: &mut Diagnostics,
    what: &str,
) -> Type {
    let ty = check(expr, scope, diags);
    if let ExprKind::Literal(Literal::String(inner)) = &expr.kind {
        // `when "steps.a.exit_code == 0"`: an expression written in quotes.
        diags.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("{what} must be a boolean, this is a string in quotes"),
            )
            .label(expr.span, "a string, not a condition")
            .help(format!(
                "remove the quotes around the condition: write `{}` itself, not the text of it",
                inner.trim()
            )),
        );
        return ty;
    }
    if !ty.is_bool() {
        let example = match ty {
            Type::Int | Type::Float => format!("`{expr} > 0`"),
            Type::String | Type::Enum(_) => format!("`{expr} == \"...\"`"),
            Type::List(_) | Type::Map | Type::Record(_) => format!("`len({expr}) > 0`"),
            _ => "`steps.health.status == 200`".to_string(),
        };
        diags.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("{what} must be a boolean, this is {}", ty.describe()),
            )
            .label(expr.span, format!("this is {}", ty.describe()))
            .help(format!("write a condition, such as {example}")),
        );
    }
    ty
}

pub(super) struct Checker<'a, S: ?Sized> {
    pub(super) scope: &'a mut S,
    pub(super) diags: &'a mut Diagnostics,
    /// The lambda parameters in scope, innermost last, with their types.
    pub(super) locals: Vec<(String, Type)>,
}

impl<S: Scope + ?Sized> Checker<'_, S> {
    pub(super) fn expr(&mut self, expr: &Expr) -> Type {
        match &expr.kind {
            ExprKind::Literal(literal) => literal_type(literal),
            ExprKind::Path(path) => match self.local(path) {
                Some(ty) => ty,
                None => self.scope.resolve(path, self.diags),
            },
            ExprKind::Lambda { .. } if expr.element_path().is_some() => {
                self.diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        "a `.field` path is not a value on its own",
                    )
                    .label(expr.span, "a path from each element here")
                    .help("`.name` stands for each element's `name` as the second argument of `filter`, `map`, `any`, `all`, `count`, `max`, `min` or `sum`: `map(steps.pods.items, .metadata.name)`"),
                );
                Type::Any
            }
            ExprKind::Lambda { .. } => {
                self.diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        "a lambda is not a value on its own",
                    )
                    .label(expr.span, "a lambda here")
                    .help("a lambda `x => ...` is the second argument of `filter`, `map`, `any`, `all`, `count`, `max`, `min` or `sum`: `any(steps.cpu.series, s => s.value > 80)`"),
                );
                Type::Any
            }
            ExprKind::List(items) => {
                let mut item = None::<Type>;
                for e in items {
                    let ty = self.expr(e);
                    item = Some(match item {
                        Some(prev) => prev.join(&ty),
                        None => ty,
                    });
                }
                Type::List(Box::new(item.unwrap_or(Type::Any)))
            }
            ExprKind::Map(entries) => self.map_literal(entries),
            ExprKind::Unary { op, operand } => {
                let ty = self.expr(operand);
                match op.value {
                    UnaryOp::Not => {
                        if !ty.is_bool() {
                            self.mismatch(
                                format!("`!` needs a boolean, this is {}", ty.describe()),
                                &[(operand, &ty)],
                                Some(format!(
                                    "compare the value instead, such as `{operand} == ...`"
                                )),
                            );
                        }
                        Type::Bool
                    }
                    UnaryOp::Neg => {
                        if ty.is_numeric() {
                            ty
                        } else {
                            self.mismatch(
                                format!("`-` needs a number, this is {}", ty.describe()),
                                &[(operand, &ty)],
                                conversion_help(operand, &ty),
                            );
                            Type::Any
                        }
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(op.value, lhs, rhs),
            ExprKind::Call { name, args } => self.call(expr, name, args),
            ExprKind::Index { base, index } => {
                let base_ty = self.expr(base);
                let index_ty = self.expr(index);
                match (&base_ty, &index_ty) {
                    (Type::List(item), t) if t.is_numeric() => (**item).clone(),
                    (Type::String | Type::Enum(_), t) if t.is_numeric() => Type::String,
                    (Type::Map, t) if t.is_stringy() => Type::Any,
                    (Type::Record(record), t) if t.is_stringy() => {
                        let key = index.as_str_literal().map(|k| (k, index.span));
                        super::index_type(record, &base.to_string(), key, self.diags)
                    }
                    (Type::Any, _) => Type::Any,
                    _ => {
                        self.mismatch(
                            format!(
                                "cannot index {} with {}",
                                base_ty.describe(),
                                index_ty.describe()
                            ),
                            &[(base, &base_ty), (index, &index_ty)],
                            Some(
                                "index a list with an integer (`items[0]`) and a mapping with a string (`labels[\"app\"]`)"
                                    .into(),
                            ),
                        );
                        Type::Any
                    }
                }
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Type {
        let lt = self.expr(lhs);
        let rt = self.expr(rhs);
        let symbol = op.symbol();
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let bad: Vec<(&Expr, &Type)> = [(lhs, &lt), (rhs, &rt)]
                    .into_iter()
                    .filter(|(_, t)| !t.is_bool())
                    .collect();
                if let Some((first, ty)) = bad.first() {
                    self.mismatch(
                        format!("`{symbol}` needs booleans, this is {}", ty.describe()),
                        &bad,
                        Some(format!(
                            "`{symbol}` combines conditions; compare the value, such as `{first} == ...`"
                        )),
                    );
                }
                Type::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if !lt.comparable(&rt) {
                    self.mismatch(
                        format!(
                            "`{symbol}` compares {} with {}, which are never equal",
                            lt.describe(),
                            rt.describe()
                        ),
                        &[(lhs, &lt), (rhs, &rt)],
                        comparison_help(lhs, &lt, rhs, &rt),
                    );
                } else {
                    self.choices(lhs, &lt, rhs);
                    self.choices(rhs, &rt, lhs);
                }
                Type::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let numbers = lt.is_numeric() && rt.is_numeric();
                let strings = lt.is_stringy() && rt.is_stringy();
                let durations = lt.is_duration() && rt.is_duration();
                if !numbers && !strings && !durations {
                    self.mismatch(
                        format!(
                            "`{symbol}` orders two numbers{} or two strings, not {} and {}",
                            if lt == Type::Duration || rt == Type::Duration {
                                ", two durations"
                            } else {
                                ""
                            },
                            lt.describe(),
                            rt.describe()
                        ),
                        &[(lhs, &lt), (rhs, &rt)],
                        comparison_help(lhs, &lt, rhs, &rt),
                    );
                }
                Type::Bool
            }
            BinaryOp::In | BinaryOp::NotIn => {
                self.membership(symbol, lhs, &lt, rhs, &rt);
                Type::Bool
            }
            BinaryOp::Matches => {
                for (side, ty) in [(lhs, &lt), (rhs, &rt)] {
                    if !ty.is_stringy() {
                        self.mismatch(
                            format!("`matches` needs strings, this is {}", ty.describe()),
                            &[(side, ty)],
                            Some(
                                "write `text matches \"regex\"`; convert with `string(...)`".into(),
                            ),
                        );
                    }
                }
                if let Some(pattern) = rhs.as_str_literal() {
                    if let Err(error) = regex::Regex::new(pattern) {
                        self.diags.push(
                            Diagnostic::error(
                                Code::InvalidRegex,
                                "this regular expression does not compile",
                            )
                            .label(rhs.span, "not a valid regex")
                            .help(regex_problem(&error)),
                        );
                    }
                }
                Type::Bool
            }
            _ if duration_arithmetic(op, &lt, &rt).is_some() => {
                duration_arithmetic(op, &lt, &rt).unwrap_or(Type::Any)
            }
            BinaryOp::Add => match (&lt, &rt) {
                (Type::Int, Type::Int) => Type::Int,
                (Type::Any, _) | (_, Type::Any) => Type::Any,
                (a, b) if a.is_numeric() && b.is_numeric() => Type::Float,
                (a, b) if a.is_stringy() && b.is_stringy() => Type::String,
                (Type::List(a), Type::List(b)) => Type::List(Box::new(a.join(b))),
                _ => {
                    let help = if lt.is_stringy() || rt.is_stringy() {
                        "to join text with another value, convert it: `string(...)`".to_string()
                    } else {
                        "`+` adds numbers, joins strings and joins lists".to_string()
                    };
                    self.mismatch(
                        format!("`+` cannot combine {} and {}", lt.describe(), rt.describe()),
                        &[(lhs, &lt), (rhs, &rt)],
                        Some(help),
                    );
                    Type::Any
                }
            },
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let bad: Vec<(&Expr, &Type)> = [(lhs, &lt), (rhs, &rt)]
                    .into_iter()
                    .filter(|(_, t)| !t.is_numeric())
                    .collect();
                if let Some((first, ty)) = bad.first() {
                    let help = conversion_help(first, ty);
                    self.mismatch(
                        format!("`{symbol}` needs numbers, this is {}", ty.describe()),
                        &bad,
                        help,
                    );
                    return Type::Any;
                }
                match (op, &lt, &rt) {
                    // `/` is true division: 1 / 2 is 0.5, so ratios work.
                    (BinaryOp::Div, _, _) => Type::Float,
                    (_, Type::Int, Type::Int) => Type::Int,
                    (_, Type::Any, _) | (_, _, Type::Any) => Type::Any,
                    _ => Type::Float,
                }
            }
        }
    }

    /// `x in list`, `x in text`, `key in mapping`.
    pub(super) fn membership(
        &mut self,
        symbol: &str,
        lhs: &Expr,
        lt: &Type,
        rhs: &Expr,
        rt: &Type,
    ) {
        match rt {
            Type::List(item) => {
                if !lt.comparable(item) {
                    self.mismatch(
                        format!(
                            "`{symbol}` looks for {} in {}, which never holds it",
                            lt.describe(),
                            rt.describe()
                        ),
                        &[(lhs, lt), (rhs, rt)],
                        None,
                    );
                } else if let (Type::Enum(values), ExprKind::List(items)) = (lt, &rhs.kind) {
                    for item in items {
                        self.choice(lhs, values, item);
                    }
                }
            }
            Type::String | Type::Enum(_) | Type::Map | Type::Record(_) => {
                if !lt.is_stringy() {
                    let what = if rt.is_mapping() {
                        "a key of a mapping"
                    } else {
                        "a substring"
                    };
                    self.mismatch(
                        format!(
                            "`{symbol}` {what} must be a string, this is {}",
                            lt.describe()
                        ),
                        &[(lhs, lt), (rhs, rt)],
                        conversion_help(lhs, lt),
                    );
                }
            }
            Type::Any => {}
            _ => self.mismatch(
                format!(
                    "`{symbol}` needs a list, a string or a mapping on its right, this is {}",
                    rt.describe()
                ),
                &[(rhs, rt)],
                Some(format!("write `x {symbol} [\"a\", \"b\"]`")),
            ),
        }
    }

    /// When `side` is an enum, `other` (if a string literal) must be one of its values.
    fn choices(&mut self, side: &Expr, ty: &Type, other: &Expr) {
        if let Type::Enum(values) = ty {
            self.choice(side, values, other);
        }
    }

    fn choice(&mut self, side: &Expr, values: &[String], literal: &Expr) {
        let Some(value) = literal.as_str_literal() else {
            return;
        };
        if values.iter().any(|v| v == value) {
            return;
        }
        let shown: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        self.diags.push(
            Diagnostic::error(Code::UnknownChoice, format!("`{side}` is never `{value}`"))
                .label(literal.span, "not one of the choices")
                .label(side.span, format!("this is one of {}", shown.join(", ")))
                .with_help(help_for("choice", value, values.iter().map(String::as_str))),
        );
    }

    /// A TypeMismatch labelling each operand with its type.
    pub(super) fn mismatch(
        &mut self,
        message: String,
        operands: &[(&Expr, &Type)],
        help: Option<String>,
    ) {
        let mut diagnostic = Diagnostic::error(Code::TypeMismatch, message);
        for (expr, ty) in operands {
            diagnostic = diagnostic.label(expr.span, format!("this is {}", ty.describe()));
        }
        self.diags.push(diagnostic.with_help(help));
    }
}

/// The type of arithmetic that involves a duration, when it makes sense:
/// durations add and subtract, scale by a number, and divide into a ratio.
fn duration_arithmetic(op: BinaryOp, lt: &Type, rt: &Type) -> Option<Type> {
    let (ld, rd) = (*lt == Type::Duration, *rt == Type::Duration);
    if !ld && !rd {
        return None;
    }
    let number = |t: &Type| matches!(t, Type::Int | Type::Float);
    match op {
        BinaryOp::Add | BinaryOp::Sub if lt.is_duration() && rt.is_duration() => {
            Some(Type::Duration)
        }
        BinaryOp::Mul if (ld && number(rt)) || (rd && number(lt)) => Some(Type::Duration),
        BinaryOp::Div if ld && number(rt) => Some(Type::Duration),
        BinaryOp::Div if lt.is_duration() && rt.is_duration() => Some(Type::Float),
        BinaryOp::Mul | BinaryOp::Div if lt.is_any() || rt.is_any() => Some(Type::Any),
        _ => None,
    }
}

pub(super) fn literal_type(literal: &Literal) -> Type {
    match literal {
        Literal::Null => Type::Null,
        Literal::Bool(_) => Type::Bool,
        Literal::Int(_) => Type::Int,
        Literal::Float(_) => Type::Float,
        Literal::String(_) => Type::String,
    }
}

/// Help for `==`/`<` between types that do not fit, from what is literal.
fn comparison_help(lhs: &Expr, lt: &Type, rhs: &Expr, rt: &Type) -> Option<String> {
    for (value, vt, other) in [(lhs, lt, rhs), (rhs, rt, lhs)] {
        if let Some(text) = other.as_str_literal() {
            if vt.is_numeric() && text.trim().parse::<f64>().is_ok() {
                return Some(format!(
                    "compare with a number: `{}` instead of `{other}`",
                    text.trim()
                ));
            }
            if matches!(vt, Type::Bool) && matches!(text, "true" | "false") {
                return Some(format!(
                    "compare with a boolean: `{text}` instead of `{other}`"
                ));
            }
        }
        if let ExprKind::Literal(Literal::Int(_) | Literal::Float(_)) = &other.kind {
            if matches!(vt, Type::String) {
                // Text compared as text orders letter by letter ("9" > "50"):
                // the fix is a number, not a quoted literal.
                let reads_step =
                    matches!(&value.kind, ExprKind::Path(p) if p.key(0) == Some("steps"));
                return Some(if reads_step {
                    format!("convert the value to a number: `int({value})`, or declare the output it reads with `type: int`")
                } else {
                    format!("convert the value to a number: `int({value})`")
                });
            }
        }
    }
    for (list, lty, other) in [(lhs, lt, rt), (rhs, rt, lt)] {
        if matches!(lty, Type::List(_)) && matches!(other, Type::Int | Type::Float) {
            return Some(format!("count the elements: `len({list})`"));
        }
    }
    if matches!(
        (lt, rt),
        (Type::Duration, Type::Int | Type::Float) | (Type::Int | Type::Float, Type::Duration)
    ) {
        return Some(
            "compare a duration with a duration: `duration(\"5m\")`, not a bare number".into(),
        );
    }
    if (lt.is_numeric() && rt.is_stringy()) || (lt.is_stringy() && rt.is_numeric()) {
        let text = if lt.is_stringy() { lhs } else { rhs };
        return Some(format!("convert the text to a number: `int({text})`"));
    }
    None
}

/// "use int(...)" when a string stands where a number belongs.
pub(super) fn conversion_help(expr: &Expr, ty: &Type) -> Option<String> {
    match ty {
        Type::String | Type::Enum(_) => Some(format!("convert it to a number: `int({expr})`")),
        Type::Int | Type::Float | Type::Bool => {
            Some(format!("convert it to text: `string({expr})`"))
        }
        _ => None,
    }
}

/// The one line of a regex error that says what is wrong.
pub(super) fn regex_problem(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(|l| format!("the regex is invalid: {l}"))
        .unwrap_or(text)
}
