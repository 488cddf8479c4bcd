//! Type checking of function calls and of the lambdas given to the list
//! functions (`any(steps.cpu.series, s => s.value > 80)`): arity, argument
//! types, and the element type a lambda's parameter takes from the list.

use super::check::{conversion_help, Checker, Scope};
use super::function::{step_argument, Function};
use super::syntax::{Expr, ExprKind};
use super::types::Type;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::path::Path;
use crate::source::Spanned;
use crate::suggest::help_for;

/// Names a lambda parameter cannot take: they are the playbook's own.
const RESERVED: &[&str] = &["inputs", "steps", "vars"];

impl<S: Scope + ?Sized> Checker<'_, S> {
    /// The type of a path that starts with a lambda parameter, `None` when
    /// it starts with anything else.
    pub(super) fn local(&mut self, path: &Path) -> Option<Type> {
        let first = path.key(0)?;
        let (_, ty) = self.locals.iter().rev().find(|(name, _)| name == first)?;
        let ty = ty.clone();
        if path.len() == 1 {
            return Some(ty);
        }
        Some(match super::read_path(&ty, path, 1, self.diags) {
            Ok(ty) => ty,
            Err(super::NoFields { at: 1, ty: other }) => {
                // An element path (`.name`) names no parameter to use instead.
                let (message, help) = if first == super::ELEMENT {
                    (
                        format!("each element is {}, it has no fields", other.describe()),
                        "use each element itself: `x => x`".to_string(),
                    )
                } else {
                    (
                        format!("`{first}` is {}, it has no fields", other.describe()),
                        format!("use `{first}` itself"),
                    )
                };
                self.diags.push(
                    Diagnostic::error(Code::InvalidPath, message)
                        .label(path.span_from(1), "no such field")
                        .help(help),
                );
                Type::Any
            }
            Err(deeper) => {
                self.diags.push(deeper.diagnostic(path));
                Type::Any
            }
        })
    }

    pub(super) fn call(&mut self, call: &Expr, name: &Spanned<String>, args: &[Expr]) -> Type {
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
        self.arity(function, call, args);
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
        if function.takes_lambda() {
            return self.list_call(function, args);
        }
        let types: Vec<Type> = args.iter().map(|a| self.expr(a)).collect();
        let arg = |i: usize| args.get(i).zip(types.get(i));
        let name = function.name();
        match function {
            Function::Len => {
                if let Some((a, t)) = arg(0) {
                    if !matches!(
                        t,
                        Type::String
                            | Type::Enum(_)
                            | Type::List(_)
                            | Type::Map
                            | Type::Record(_)
                            | Type::Any
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
            Function::StartsWith
            | Function::EndsWith
            | Function::Lower
            | Function::Upper
            | Function::Split => {
                for (a, t) in args.iter().zip(&types) {
                    self.expect(name, a, t, Type::is_stringy, "strings");
                }
                match function {
                    Function::Lower | Function::Upper => Type::String,
                    Function::Split => Type::List(Box::new(Type::String)),
                    _ => Type::Bool,
                }
            }
            Function::Int | Function::Float => {
                if let Some((a, t)) = arg(0) {
                    if matches!(t, Type::List(_)) || t.is_mapping() {
                        self.mismatch(
                            format!("`{name}` converts a single value, this is {}", t.describe()),
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
            Function::Join => {
                if let Some((a, t)) = arg(0) {
                    let scalars = match t {
                        Type::List(item) => !(matches!(**item, Type::List(_)) || item.is_mapping()),
                        Type::Any => true,
                        _ => false,
                    };
                    if !scalars {
                        self.mismatch(
                            format!("`join` needs a list of texts or numbers, this is {}", t.describe()),
                            &[(a, t)],
                            Some("pick a field of each element first: `join(map(list, x => x.name), \", \")`".into()),
                        );
                    }
                }
                if let Some((a, t)) = arg(1) {
                    self.expect(name, a, t, Type::is_stringy, "a separator string");
                }
                Type::String
            }
            // `format(d)`: a duration as a person reads it (`5m`).
            Function::Format if args.len() == 1 => {
                if let Some((a, t)) = arg(0) {
                    self.expect(
                        name,
                        a,
                        t,
                        Type::is_duration,
                        "a duration (or a number and its decimals)",
                    );
                }
                Type::String
            }
            Function::Round | Function::Format => {
                if let Some((a, t)) = arg(0) {
                    self.expect(name, a, t, Type::is_numeric, "a number");
                }
                if let Some((a, t)) = arg(1) {
                    self.decimals(name, a, t);
                }
                match function {
                    Function::Format => Type::String,
                    _ if args.len() == 1 => Type::Int,
                    _ => Type::Float,
                }
            }
            Function::Now => Type::String,
            Function::Keys | Function::Values | Function::Entries => {
                self.map_call(function, arg(0))
            }
            Function::FromNow => {
                if let Some((a, t)) = arg(0) {
                    self.expect(name, a, t, Type::is_duration, "a duration");
                }
                Type::String
            }
            Function::Age => {
                if let Some((a, t)) = arg(0) {
                    let fits = |t: &Type| t.is_stringy() || t.is_numeric();
                    self.expect(
                        name,
                        a,
                        t,
                        fits,
                        "a timestamp (RFC 3339 text or seconds since 1970)",
                    );
                }
                Type::Duration
            }
            Function::Duration => {
                if let Some((a, t)) = arg(0) {
                    self.expect(name, a, t, Type::is_stringy, "text such as \"5m\"");
                    if let Some(text) = a.as_str_literal() {
                        if let Err(why) = crate::duration::parse_duration(text) {
                            self.diags.push(
                                Diagnostic::error(
                                    Code::InvalidDuration,
                                    format!("`{text}` is not a duration: {why}"),
                                )
                                .label(a.span, "not a duration")
                                .help("write a number and a unit: `500ms`, `30s`, `5m`, `1h30m`"),
                            );
                        }
                    }
                }
                Type::Duration
            }
            Function::Succeeded
            | Function::Failed
            | Function::Skipped
            | Function::Any
            | Function::All
            | Function::Max
            | Function::Min
            | Function::Sum
            | Function::Count
            | Function::Filter
            | Function::Map => Type::Any,
        }
    }

    /// Reports a call with too few or too many arguments.
    fn arity(&mut self, function: Function, call: &Expr, args: &[Expr]) {
        let (min, max) = function.arity();
        if (min..=max).contains(&args.len()) {
            return;
        }
        let takes = match (min, max) {
            (0, 0) => "no arguments".to_string(),
            (1, 1) => "1 argument".to_string(),
            (a, b) if a == b => format!("{a} arguments"),
            (a, b) => format!("{a} or {b} arguments"),
        };
        let (span, label) = match args.get(max..) {
            Some(extra) if !extra.is_empty() => (
                extra[0].span.to(extra[extra.len() - 1].span),
                "extra arguments",
            ),
            _ => (call.span, "missing arguments"),
        };
        self.diags.push(
            Diagnostic::error(
                Code::WrongArity,
                format!(
                    "`{}` takes {takes}, but {} {} given",
                    function.name(),
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            )
            .label(span, label)
            .help(format!("call it as `{}`", function.signature())),
        );
    }

    /// A TypeMismatch unless `fits(ty)`: "`lower` needs strings, this is ...".
    fn expect(&mut self, name: &str, arg: &Expr, ty: &Type, fits: fn(&Type) -> bool, needs: &str) {
        if !fits(ty) {
            let help =
                conversion_help(arg, ty).filter(|_| needs == "strings" || needs == "a number");
            self.mismatch(
                format!("`{name}` needs {needs}, this is {}", ty.describe()),
                &[(arg, ty)],
                help,
            );
        }
    }

    /// The decimals of `round` and `format`: an integer from 0 to 12.
    fn decimals(&mut self, name: &str, arg: &Expr, ty: &Type) {
        if !matches!(ty, Type::Int | Type::Any) {
            self.mismatch(
                format!(
                    "the decimals of `{name}` are an integer, this is {}",
                    ty.describe()
                ),
                &[(arg, ty)],
                Some(format!("write `{name}(value, 1)` for one decimal")),
            );
        } else if let ExprKind::Literal(super::Literal::Int(n)) = &arg.kind {
            if !(0..=12).contains(n) {
                self.diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("`{name}` keeps from 0 to 12 decimals, not {n}"),
                    )
                    .label(arg.span, "out of range")
                    .help(format!("write `{name}(value, 1)` for one decimal")),
                );
            }
        }
    }

    /// `any`, `all`, `count`, `max`, `min`, `sum`, `filter`, `map`: a list,
    /// and a lambda applied to each element (required for `filter`/`map`).
    fn list_call(&mut self, function: Function, args: &[Expr]) -> Type {
        let name = function.name();
        let Some(list) = args.first() else {
            return Type::Any;
        };
        let list_ty = self.expr(list);
        let element = match &list_ty {
            Type::List(item) => (**item).clone(),
            Type::Any => Type::Any,
            other => {
                self.mismatch(
                    format!("`{name}` needs a list, this is {}", other.describe()),
                    &[(list, other)],
                    Some(format!("call it as `{}`", function.signature())),
                );
                Type::Any
            }
        };
        let lambda = args.get(1);
        let value = match lambda.map(|l| &l.kind) {
            Some(ExprKind::Lambda { param, body }) => {
                if RESERVED.contains(&param.value.as_str()) {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidPath,
                            format!("a lambda parameter cannot be named `{}`", param.value),
                        )
                        .label(param.span, "this name is the playbook's own")
                        .help("name it after the element: `pod => pod.ready`"),
                    );
                }
                self.locals.push((param.value.clone(), element.clone()));
                let ty = self.expr(body);
                self.locals.pop();
                Some((body.as_ref(), ty))
            }
            Some(_) => {
                let arg = &args[1];
                let ty = self.expr(arg);
                self.mismatch(
                    format!(
                        "the second argument of `{name}` is a lambda, this is {}",
                        ty.describe()
                    ),
                    &[(arg, &ty)],
                    Some(format!("call it as `{}`", function.signature())),
                );
                return match function {
                    Function::Any | Function::All => Type::Bool,
                    Function::Count => Type::Int,
                    Function::Filter => list_ty_of(element),
                    Function::Map => list_ty_of(Type::Any),
                    _ => Type::Any,
                };
            }
            None => None,
        };
        let (value_expr, value_ty) = match &value {
            Some((body, ty)) => (*body, ty.clone()),
            None => (list, element.clone()),
        };
        match function {
            Function::Any | Function::All | Function::Count | Function::Filter => {
                let needs_bool = lambda.is_some() || function != Function::Count;
                if needs_bool && !value_ty.is_bool() {
                    let what = if value.is_some() {
                        "the lambda must give a boolean"
                    } else {
                        "the list must hold booleans"
                    };
                    self.mismatch(
                        format!("`{name}`: {what}, this is {}", value_ty.describe()),
                        &[(value_expr, &value_ty)],
                        Some(format!("call it as `{}`", function.signature())),
                    );
                }
                match function {
                    Function::Count => Type::Int,
                    Function::Filter => list_ty_of(element),
                    _ => Type::Bool,
                }
            }
            Function::Map => list_ty_of(value_ty),
            _ => {
                // max, min, sum: numbers or durations.
                if !(value_ty.is_numeric() || value_ty == Type::Duration) {
                    self.mismatch(
                        format!(
                            "`{name}` needs numbers or durations, this is {}",
                            value_ty.describe()
                        ),
                        &[(value_expr, &value_ty)],
                        Some(format!(
                            "pick a number of each element: `{name}(list, x => x.value)`"
                        )),
                    );
                    return Type::Any;
                }
                value_ty
            }
        }
    }
}

fn list_ty_of(item: Type) -> Type {
    Type::List(Box::new(item))
}
