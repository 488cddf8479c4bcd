//! `{{#each LIST}}...{{/each}}`: reading the block's opening tag and the
//! paths only its body has (`this`, `this.field`, `@index`, `@first`,
//! `@last`, or the
//! element's name given with `as |name|`), the scope the checker types the
//! body in, and the values the renderer binds for each element.

use super::parse::Scanner;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Env, Lookup, Scope, StepOutcome, Type};
use crate::path::{Path, Segment};
use crate::source::Spanned;
use serde_json::Value;

/// The list path and the element's name of `{{#each LIST [as |name|]}}`.
pub(super) fn open(
    scanner: &Scanner<'_>,
    tokens: &[(usize, usize)],
    open: usize,
    end: usize,
) -> Result<(Path, Option<String>), Diagnostic> {
    let usage = || {
        scanner
            .syntax(
                open,
                end,
                "`#each` takes a list, and may name its element",
                "write `{{#each LIST}}` or `{{#each LIST as |item|}}`",
            )
            .help("inside the block, `{{this}}` (or the name) is the element and `{{@index}}` its position")
    };
    match tokens {
        [_, list] => Ok((scanner.path(*list)?, None)),
        [_, list, (as_start, as_end), (name_start, name_end)] => {
            let source = scanner.source();
            let name = source[*name_start..*name_end]
                .strip_prefix('|')
                .and_then(|n| n.strip_suffix('|'))
                .filter(|n| crate::path::is_identifier(n));
            match (&source[*as_start..*as_end], name) {
                ("as", Some(name)) if !matches!(name, "inputs" | "steps" | "vars" | "this") => {
                    Ok((scanner.path(*list)?, Some(name.to_string())))
                }
                _ => Err(usage()),
            }
        }
        _ => Err(usage()),
    }
}

/// `this`, `this.field...`, `@index`, `@first` or `@last`, inside an
/// `{{#each}}` body.
pub(super) fn element_path(
    scanner: &Scanner<'_>,
    word: &str,
    start: usize,
    end: usize,
) -> Option<Path> {
    let first =
        |name: &str, to: usize| Spanned::new(Segment::Name(name.into()), scanner.span(start, to));
    match word {
        "this" | "@index" | "@first" | "@last" => Some(Path {
            segments: vec![first(word, end)],
            span: scanner.span(start, end),
        }),
        _ => {
            let rest = word.strip_prefix("this.")?;
            if rest.is_empty() {
                return None;
            }
            let mut path = scanner.path((start + 5, end)).ok()?;
            path.segments.insert(0, first("this", start + 4));
            path.span = scanner.span(start, end);
            Some(path)
        }
    }
}

/// The names of an element's position an `{{#each}}` body binds, besides
/// `this`: its index from 0, whether it is the first, whether the last.
pub const POSITION_NAMES: &[&str] = &["@index", "@first", "@last"];

/// The error for `@NAME` read where no `{{#each}}` body binds it (a `when`,
/// a template outside a block), or for an `@NAME` no body binds.
pub(crate) fn position_name_outside(name: &str, span: crate::source::Span) -> Diagnostic {
    let shape = "inside `{{#each LIST}}...{{/each}}`, `@index` is the element's position from 0 (an integer), `@first` and `@last` are booleans: `{{#each LIST}}{{#if !@first}}, {{/if}}{{this}}{{/each}}`";
    if POSITION_NAMES.contains(&name) {
        Diagnostic::error(
            Code::ElementOutOfScope,
            format!("`{name}` is readable only inside an `{{{{#each}}}}` block"),
        )
        .label(span, "no `{{#each}}` block here")
        .help(format!("{shape}; a `for_each` step's elements are named by `as` (and `label`), not by position"))
    } else {
        Diagnostic::error(
            Code::InvalidPath,
            format!("`{name}` is not a name an `{{{{#each}}}}` block binds"),
        )
        .label(span, "unknown name")
        .help(
            crate::suggest::help_for("name", name, POSITION_NAMES.iter().copied())
                .unwrap_or_else(|| format!("{shape} (`#each` walks lists: there is no `@key`)")),
        )
    }
}

/// The names an `{{#each}}` body binds, given the element's type.
pub(super) fn bindings(alias: Option<&str>, element: Type) -> Vec<(String, Type)> {
    let mut out = vec![
        ("this".to_string(), element.clone()),
        ("@index".to_string(), Type::Int),
        ("@first".to_string(), Type::Bool),
        ("@last".to_string(), Type::Bool),
    ];
    if let Some(alias) = alias {
        out.push((alias.to_string(), element));
    }
    out
}

/// The element type of the list an `{{#each}}` walks; a mismatch when it
/// is not a list.
pub(super) fn element_type(list: &Path, ty: &Type, diags: &mut Diagnostics) -> Type {
    match ty {
        Type::List(item) => (**item).clone(),
        Type::Any => Type::Any,
        other => {
            diags.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("`#each` walks a list, this is {}", other.describe()),
                )
                .label(list.span, format!("this is {}", other.describe()))
                .help("give `#each` a list: an output with `type: list`, or JSON"),
            );
            Type::Any
        }
    }
}

/// The scope of an `{{#each}}` body: its own names first, then the outer one.
pub(super) struct BodyScope<'s> {
    pub outer: &'s mut dyn Scope,
    pub locals: Vec<(String, Type)>,
}

impl Scope for BodyScope<'_> {
    fn resolve(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        let Some(first) = path.key(0) else {
            return self.outer.resolve(path, diags);
        };
        let Some((_, ty)) = self.locals.iter().rev().find(|(n, _)| n == first) else {
            return self.outer.resolve(path, diags);
        };
        let ty = ty.clone();
        match crate::expr::read_path(&ty, path, 1, diags) {
            Ok(ty) => ty,
            Err(deeper) if deeper.at > 1 => {
                diags.push(deeper.diagnostic(path));
                Type::Any
            }
            Err(crate::expr::NoFields { ty: other, .. }) => {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidPath,
                        format!("`{first}` is {}, it has no fields", other.describe()),
                    )
                    .label(path.span_from(1), "no such field")
                    .help(format!("insert `{{{{{first}}}}}` itself")),
                );
                Type::Any
            }
        }
    }

    fn step(&mut self, id: &Spanned<String>, diags: &mut Diagnostics) {
        self.outer.step(id, diags);
    }
}

/// An environment with the values an `{{#each}}` body binds.
pub(super) struct Bound<'e> {
    pub env: &'e dyn Env,
    pub bindings: &'e [(String, Value)],
}

impl Env for Bound<'_> {
    fn lookup(&self, path: &Path) -> Lookup {
        let bound = path
            .key(0)
            .and_then(|first| self.bindings.iter().rev().find(|(n, _)| n == first));
        match bound {
            Some((_, value)) => match path.get_in(1, value) {
                Some(v) => Lookup::Known(v.clone()),
                None => Lookup::Missing,
            },
            None => self.env.lookup(path),
        }
    }

    fn step_state(&self, id: &str) -> Option<StepOutcome> {
        self.env.step_state(id)
    }

    fn absence(&self, path: &Path) -> Option<String> {
        self.env.absence(path)
    }

    fn now(&self) -> Option<std::time::SystemTime> {
        self.env.now()
    }
}
