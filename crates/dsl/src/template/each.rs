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

/// What `{{#each PATH [as |name [key]|]}}` names: the path it walks, the
/// element's name and the key's name (of a mapping's entry), if given.
pub(super) type Opening = (Path, Option<String>, Option<String>);

/// The path and the names of `{{#each PATH [as |value [key]|]}}`.
pub(super) fn open(
    scanner: &Scanner<'_>,
    tokens: &[(usize, usize)],
    open: usize,
    end: usize,
) -> Result<Opening, Diagnostic> {
    let usage = || {
        scanner
            .syntax(
                open,
                end,
                "`#each` takes a list or a mapping, and may name its element and key",
                "write `{{#each LIST}}`, `{{#each LIST as |item|}}` or `{{#each MAPPING as |value key|}}`",
            )
            .help("inside the block, `{{this}}` (or the name) is the element, `{{@index}}` its position and, over a mapping, `{{@key}}` its key")
    };
    let source = scanner.source();
    let name = |name: &str| {
        (crate::path::is_identifier(name) && !matches!(name, "inputs" | "steps" | "vars" | "this"))
            .then(|| name.to_string())
    };
    match tokens {
        [_, list] => Ok((scanner.path(*list)?, None, None)),
        [_, list, (as_start, as_end), (name_start, name_end)] => {
            let value = source[*name_start..*name_end]
                .strip_prefix('|')
                .and_then(|n| n.strip_suffix('|'))
                .and_then(name);
            match (&source[*as_start..*as_end], value) {
                ("as", Some(value)) => Ok((scanner.path(*list)?, Some(value), None)),
                _ => Err(usage()),
            }
        }
        [_, list, (as_start, as_end), (value_start, value_end), (key_start, key_end)] => {
            let value = source[*value_start..*value_end]
                .strip_prefix('|')
                .and_then(name);
            let key = source[*key_start..*key_end]
                .strip_suffix('|')
                .and_then(name);
            match (&source[*as_start..*as_end], value, key) {
                ("as", Some(value), Some(key)) if value != key => {
                    Ok((scanner.path(*list)?, Some(value), Some(key)))
                }
                _ => Err(usage()),
            }
        }
        _ => Err(usage()),
    }
}

/// `this`, `this.field...`, `@index`, `@first`, `@last` or `@key`, inside an
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
        "this" | "@index" | "@first" | "@last" | "@key" => Some(Path {
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
/// `this`: its index from 0, whether it is the first, whether the last,
/// and (over a mapping) its key.
pub const POSITION_NAMES: &[&str] = &["@index", "@first", "@last", "@key"];

/// The error for `@NAME` read where no `{{#each}}` body binds it (a `when`,
/// a template outside a block), or for an `@NAME` no body binds.
pub(crate) fn position_name_outside(name: &str, span: crate::source::Span) -> Diagnostic {
    let shape = "inside `{{#each LIST}}...{{/each}}`, `@index` is the element's position from 0 (an integer), `@first` and `@last` are booleans: `{{#each LIST}}{{#if !@first}}, {{/if}}{{this}}{{/each}}`; over a mapping, `@key` is the entry's key: `{{#each MAPPING}}{{@key}}={{this}} {{/each}}`";
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
                .unwrap_or_else(|| shape.to_string()),
        )
    }
}

/// What an `{{#each}}` walks, as far as `check` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Walked {
    List,
    Mapping,
    /// JSON of unknown shape: either.
    Unknown,
}

/// The names an `{{#each}}` body binds, given the element's type: `this`
/// and the positions, the element's name, and over a mapping (or a value
/// that may be one) `@key` and the key's name.
pub(super) fn bindings(each: &super::Each, element: Type, walked: Walked) -> Vec<(String, Type)> {
    let mut out = vec![
        ("this".to_string(), element.clone()),
        ("@index".to_string(), Type::Int),
        ("@first".to_string(), Type::Bool),
        ("@last".to_string(), Type::Bool),
    ];
    if let Some(alias) = &each.alias {
        out.push((alias.clone(), element));
    }
    if walked != Walked::List {
        out.push(("@key".to_string(), Type::String));
        if let Some(key) = &each.key_alias {
            out.push((key.clone(), Type::String));
        }
    }
    out
}

/// The names of a mapping's key that an `{{#each}}` over a list leaves
/// unbound: `@key`, and the key's name if one was given.
pub(super) fn keyless(each: &super::Each, walked: Walked) -> Vec<String> {
    if walked != Walked::List {
        return Vec::new();
    }
    std::iter::once("@key".to_string())
        .chain(each.key_alias.clone())
        .collect()
}

/// The diagnostic for a key's name read in the body of an `{{#each}}`
/// that walks a list.
fn key_of_a_list(name: &str, span: crate::source::Span) -> Diagnostic {
    Diagnostic::error(
        Code::ElementOutOfScope,
        format!("`{name}` is the key of a mapping's entry, and this `{{{{#each}}}}` walks a list"),
    )
    .label(span, "no key here")
    .help("a list's elements have positions, not keys: read `@index` (from 0); `@key` is bound by `{{#each MAPPING}}` over a mapping")
}

/// The element type of the list or mapping an `{{#each}}` walks, and
/// which it is; a mismatch when it is neither.
pub(super) fn element_type(list: &Path, ty: &Type, diags: &mut Diagnostics) -> (Type, Walked) {
    match ty {
        Type::List(item) => ((**item).clone(), Walked::List),
        Type::Record(record) => (crate::expr::value_type(record), Walked::Mapping),
        Type::Map => (Type::Any, Walked::Mapping),
        Type::Any => (Type::Any, Walked::Unknown),
        other => {
            diags.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("`#each` walks a list or a mapping, this is {}", other.describe()),
                )
                .label(list.span, format!("this is {}", other.describe()))
                .help("give `#each` a list or a mapping: an output with `type: list` or `type: map`, JSON, or a `vars:` value"),
            );
            (Type::Any, Walked::Unknown)
        }
    }
}

/// The scope of an `{{#each}}` body: its own names first, then the outer one.
pub(super) struct BodyScope<'s> {
    pub outer: &'s mut dyn Scope,
    pub locals: Vec<(String, Type)>,
    /// Names of a key this body does not bind, since it walks a list
    /// ([`keyless`]): reading one is an error, not the outer block's key.
    pub keyless: Vec<String>,
}

impl Scope for BodyScope<'_> {
    fn resolve(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        let Some(first) = path.key(0) else {
            return self.outer.resolve(path, diags);
        };
        if self.keyless.iter().any(|k| k == first) {
            let span = path.segments.first().map_or(path.span, |s| s.span);
            diags.push(key_of_a_list(first, span));
            return Type::Any;
        }
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

/// The names and values an `{{#each}}` body binds, one set per element of
/// a list or entry of a mapping (in its key order), first to last; `None`
/// when `walked` is neither.
pub(super) fn rounds(each: &super::Each, walked: Value) -> Option<Vec<Vec<(String, Value)>>> {
    let entries: Vec<(Option<String>, Value)> = match walked {
        Value::Array(items) => items.into_iter().map(|v| (None, v)).collect(),
        Value::Object(map) => map.into_iter().map(|(k, v)| (Some(k), v)).collect(),
        _ => return None,
    };
    let last = entries.len().saturating_sub(1);
    let rounds = entries
        .into_iter()
        .enumerate()
        .map(|(i, (key, value))| {
            let mut bound = vec![
                ("this".to_string(), value.clone()),
                ("@index".to_string(), Value::from(i)),
                ("@first".to_string(), Value::Bool(i == 0)),
                ("@last".to_string(), Value::Bool(i == last)),
            ];
            if let Some(alias) = &each.alias {
                bound.push((alias.clone(), value));
            }
            if let Some(key) = key {
                if let Some(alias) = &each.key_alias {
                    bound.push((alias.clone(), Value::String(key.clone())));
                }
                bound.push(("@key".to_string(), Value::String(key)));
            }
            bound
        })
        .collect();
    Some(rounds)
}
