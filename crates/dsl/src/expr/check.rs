//! Type checking at `runbook check` time: every operator gets operands of
//! types that fit, every function its arguments, every comparison with an
//! `ask` answer a value the answer can have. Names are resolved by the
//! caller's [`Scope`], which reports unknown ones and answers `Type::Any` so
//! that one mistake is reported once.

use super::function::{step_argument, Function};
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
    Checker { scope, diags }.expr(expr)
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
            Type::List(_) | Type::Map => format!("`len({expr}) > 0`"),
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

struct Checker<'a, S: ?Sized> {
    scope: &'a mut S,
    diags: &'a mut Diagnostics,
}

impl<S: Scope + ?Sized> Checker<'_, S> {
    fn expr(&mut self, expr: &Expr) -> Type {
        match &expr.kind {
            ExprKind::Literal(literal) => literal_type(literal),
            ExprKind::Path(path) => self.scope.resolve(path, self.diags),
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
                if !numbers && !strings {
                    self.mismatch(
                        format!(
                            "`{symbol}` orders two numbers or two strings, not {} and {}",
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
    fn membership(&mut self, symbol: &str, lhs: &Expr, lt: &Type, rhs: &Expr, rt: &Type) {
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
            Type::String | Type::Enum(_) | Type::Map => {
                if !lt.is_stringy() {
                    let what = if matches!(rt, Type::Map) {
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

    fn call(&mut self, call: &Expr, name: &Spanned<String>, args: &[Expr]) -> Type {
        let Some(function) = Function::from_name(&name.value) else {
            let names = Function::ALL.iter().map(|f| f.name());
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownFunction,
                    format!("there is no function `{}`", name.value),
                )
                .label(name.span, "unknown function")
                .with_help(help_for("function", &name.value, names)),
            );
            return Type::Any;
        };
        if args.len() != function.arity() {
            let plural = if function.arity() == 1 { "" } else { "s" };
            let span = match args.get(function.arity()..) {
                Some(extra) if !extra.is_empty() => extra[0].span.to(extra[extra.len() - 1].span),
                _ => call.span,
            };
            let label = if args.len() > function.arity() {
                "extra arguments"
            } else {
                "missing arguments"
            };
            self.diags.push(
                Diagnostic::error(
                    Code::WrongArity,
                    format!(
                        "`{}` takes {} argument{plural}, but {} {} given",
                        function.name(),
                        function.arity(),
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                )
                .label(span, label)
                .help(format!("call it as `{}`", function.signature())),
            );
        }
        if function.takes_step() {
            for arg in args {
                match step_argument(arg) {
                    Some(id) => self.scope.step(&id, self.diags),
                    None => self.diags.push(
                        Diagnostic::error(
                            Code::InvalidPath,
                            format!("`{}` takes a step id", function.name()),
                        )
                        .label(arg.span, "not a step id")
                        .help(format!(
                            "write `{0}(health)` or `{0}(steps.health)`",
                            function.name()
                        )),
                    ),
                }
            }
            return Type::Bool;
        }
        let types: Vec<Type> = args.iter().map(|a| self.expr(a)).collect();
        let arg = |i: usize| args.get(i).zip(types.get(i));
        match function {
            Function::Len => {
                if let Some((a, t)) = arg(0) {
                    if !matches!(
                        t,
                        Type::String | Type::Enum(_) | Type::List(_) | Type::Map | Type::Any
                    ) {
                        self.mismatch(
                            format!(
                                "`len` needs a string, a list or a mapping, this is {}",
                                t.describe()
                            ),
                            &[(a, t)],
                            None,
                        );
                    }
                }
                Type::Int
            }
            Function::Contains => {
                if let (Some((h, ht)), Some((n, nt))) = (arg(0), arg(1)) {
                    self.membership("contains", n, nt, h, ht);
                }
                Type::Bool
            }
            Function::StartsWith | Function::EndsWith | Function::Lower | Function::Upper => {
                for (a, t) in args.iter().zip(&types) {
                    if !t.is_stringy() {
                        self.mismatch(
                            format!(
                                "`{}` needs strings, this is {}",
                                function.name(),
                                t.describe()
                            ),
                            &[(a, t)],
                            Some("convert it first: `string(...)`".into()),
                        );
                    }
                }
                match function {
                    Function::Lower | Function::Upper => Type::String,
                    _ => Type::Bool,
                }
            }
            Function::Int | Function::Float => {
                if let Some((a, t)) = arg(0) {
                    if matches!(t, Type::List(_) | Type::Map) {
                        self.mismatch(
                            format!(
                                "`{}` converts a single value, this is {}",
                                function.name(),
                                t.describe()
                            ),
                            &[(a, t)],
                            None,
                        );
                    }
                }
                if function == Function::Int {
                    Type::Int
                } else {
                    Type::Float
                }
            }
            Function::String => Type::String,
            Function::Default => match (arg(0), arg(1)) {
                (Some((v, vt)), Some((f, ft))) => {
                    if !vt.comparable(ft) {
                        self.mismatch(
                            format!(
                                "the fallback of `default` is {}, but the value is {}",
                                ft.describe(),
                                vt.describe()
                            ),
                            &[(f, ft), (v, vt)],
                            Some("give a fallback of the value's type".into()),
                        );
                    }
                    match vt {
                        Type::Any => Type::Any,
                        Type::Null => ft.clone(),
                        _ => vt.join(ft),
                    }
                }
                _ => Type::Any,
            },
            Function::Succeeded | Function::Failed | Function::Skipped => Type::Bool,
        }
    }

    /// A TypeMismatch labelling each operand with its type.
    fn mismatch(&mut self, message: String, operands: &[(&Expr, &Type)], help: Option<String>) {
        let mut diagnostic = Diagnostic::error(Code::TypeMismatch, message);
        for (expr, ty) in operands {
            diagnostic = diagnostic.label(expr.span, format!("this is {}", ty.describe()));
        }
        self.diags.push(diagnostic.with_help(help));
    }
}

fn literal_type(literal: &Literal) -> Type {
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
                return Some(format!(
                    "convert the value to a number: `int({value})`, or declare the output it reads with `type: int`"
                ));
            }
        }
    }
    if (lt.is_numeric() && rt.is_stringy()) || (lt.is_stringy() && rt.is_numeric()) {
        let text = if lt.is_stringy() { lhs } else { rhs };
        return Some(format!("convert the text to a number: `int({text})`"));
    }
    None
}

/// "use int(...)" when a string stands where a number belongs.
fn conversion_help(expr: &Expr, ty: &Type) -> Option<String> {
    match ty {
        Type::String | Type::Enum(_) => Some(format!("convert it to a number: `int({expr})`")),
        Type::Int | Type::Float | Type::Bool => {
            Some(format!("convert it to text: `string({expr})`"))
        }
        _ => None,
    }
}

/// The one line of a regex error that says what is wrong.
fn regex_problem(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(|l| format!("the regex is invalid: {l}"))
        .unwrap_or(text)
}
