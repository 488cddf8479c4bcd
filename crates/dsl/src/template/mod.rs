//! Handlebars templates in step parameters: `kubectl get pods -n {{inputs.namespace}}`.
//!
//! Only a small, checkable subset of handlebars is accepted: insertions of a
//! path (plain, `raw`, `json`, `default`, `upper`, `lower`, `{{{triple}}}`)
//! or of an expression (`{{format(x, 1)}}`, `expr_insertion.rs`), and
//! `{{#if}}`/`{{#unless}}` blocks over a path or an expression
//! (`condition.rs`) and `{{#each}}` blocks (`each.rs`). [`parse`] reads a template into
//! [`Segment`]s whose paths have per-segment file spans, [`check`] resolves
//! every path through the same [`Scope`](crate::expr::Scope) as expressions
//! and, in a shell command, refuses insertions that no quoting makes safe
//! where they land, and [`fill`] fills it in with strict handlebars,
//! quoting every non-raw insertion into a shell command for its lexical
//! context ([`ShellLexer`], [`quote_in`]), and every insertion into a URL, a
//! JSON body, a PromQL query or a Kubernetes name for where it lands
//! ([`encode`]).

mod argv;
mod check;
mod condition;
mod each;
pub mod encode;
mod expr_insertion;
mod fill;
mod parse;
mod quote;
mod shell_lexer;

#[cfg(test)]
mod condition_tests;
#[cfg(test)]
mod each_mapping_tests;
#[cfg(test)]
mod each_tests;
#[cfg(test)]
mod expr_insertion_tests;
#[cfg(test)]
mod tests;

pub use argv::shell_parsed;
pub use check::check;
pub(crate) use each::position_name_outside;
pub use each::POSITION_NAMES;
pub use fill::{fill, fill_known, FillError, Quoting};
pub use parse::{parse, MAX_BLOCK_DEPTH};
pub use quote::{quote_in, shell_quote, Parses, Unsafe};
pub use shell_lexer::{ShellContext, ShellLexer};

use crate::path::Path;
use crate::source::Span;

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub segments: Vec<Segment>,
    pub span: Span,
}

/// A piece of a template.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// Literal text, copied as written (escapes such as `\{{` resolved).
    /// `map` traces its characters to the file, when they can be (so a
    /// diagnostic can point at a program named inside a block scalar).
    Text {
        text: String,
        span: Span,
        map: crate::node::TextMap,
    },
    /// `{{path}}` and its variants.
    Insert(Insertion),
    /// `{{#if path}}...{{else}}...{{/if}}` or `{{#if EXPR}}...`, or
    /// `#unless` (`negated`).
    If(Conditional),
}

impl Template {
    /// The insertion, when the whole template is exactly one plain `{{path}}`.
    pub fn single_insertion(&self) -> Option<&Insertion> {
        match self.segments.as_slice() {
            [Segment::Insert(insertion)]
                if insertion.format == Format::Plain && insertion.expr.is_none() =>
            {
                Some(insertion)
            }
            _ => None,
        }
    }
}

/// A value inserted into the output.
#[derive(Clone, Debug, PartialEq)]
pub struct Insertion {
    /// What is inserted; for a computed insertion (`expr`), a path with no
    /// segments at the expression's span.
    pub path: Path,
    /// `{{format(vars.used_pct, 1)}}`: a value computed by an expression
    /// (see `expr_insertion.rs`) instead of read at `path`.
    pub expr: Option<Box<crate::expr::Expr>>,
    pub format: Format,
    /// Inserted without quoting (`{{raw path}}`, `{{{path}}}`, `{{&path}}`).
    /// Explicit, so a linter can flag it in shell commands.
    pub raw: bool,
    /// The whole `{{...}}`.
    pub span: Span,
}

impl Insertion {
    /// Every path the insertion reads: its path, or the paths its
    /// expression reads.
    pub fn paths(&self) -> Vec<&Path> {
        match &self.expr {
            Some(expr) => expr.paths(),
            None => vec![&self.path],
        }
    }

    /// What the insertion reads, as written: the path or the expression.
    pub fn subject(&self) -> String {
        match &self.expr {
            Some(expr) => expr.to_string(),
            None => self.path.to_string(),
        }
    }

    /// The type of the inserted value, resolving names through `scope`.
    pub fn resolve<S: crate::expr::Scope + ?Sized>(
        &self,
        scope: &mut S,
        diags: &mut crate::diagnostic::Diagnostics,
    ) -> crate::expr::Type {
        match &self.expr {
            Some(expr) => crate::expr::check(expr, scope, diags),
            None => scope.resolve(&self.path, diags),
        }
    }

    /// The value to insert, from `env`.
    pub fn lookup(&self, env: &dyn crate::expr::Env) -> Result<crate::expr::Lookup, FillError> {
        use crate::expr::{Lookup, Outcome};
        match &self.expr {
            None => Ok(env.lookup(&self.path)),
            Some(expr) => match crate::expr::eval(expr, env) {
                Ok(Outcome::Known(value)) => Ok(Lookup::Known(value)),
                Ok(Outcome::Unknown) => Ok(Lookup::Unknown),
                Err(error) => Err(FillError {
                    message: error.message,
                    span: error.span,
                }),
            },
        }
    }
}

/// How the value is turned into text before quoting.
#[derive(Clone, Debug, PartialEq)]
pub enum Format {
    /// As it is: strings verbatim, numbers and booleans as written.
    Plain,
    /// JSON-encoded: `{{json path}}`.
    Json,
    Upper,
    Lower,
    /// `{{quote path}}`: for a value that one more shell parses after the
    /// one running the command (`ssh host cmd {{quote f}}`, the script of
    /// `sh -c '...'`): quoted as a word, and that word quoted again for the
    /// context it is in. Outside shell commands (an argv element), quoted once.
    Quote,
    /// `{{default path "fallback"}}`: the fallback when the value is absent or null.
    Default(serde_json::Value),
}

/// What an `{{#each}}` block binds in its body: `this`, `@index`, and the
/// element's own name when written `as |name|`; over a mapping also
/// `@key`, and the key's own name when written `as |value key|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Each {
    pub alias: Option<String>,
    pub key_alias: Option<String>,
}

/// A conditional block.
#[derive(Clone, Debug, PartialEq)]
pub struct Conditional {
    /// `{{#each path}}` (or `{{#each path as |x|}}`, `as |value key|`):
    /// `then` is written once per element of the list (or entry of the
    /// mapping) at `path`, `otherwise` when it is empty.
    pub each: Option<Each>,
    /// What `{{#if path}}` tests (handlebars truthiness) or `{{#each}}`
    /// walks; for a `condition`, a path with no segments at its span.
    pub path: Path,
    /// `{{#if len(steps.pods.json.items) > 0}}`: a condition written as an
    /// expression, checked and evaluated as `when:` is (`condition.rs`).
    pub condition: Option<Box<crate::expr::Expr>>,
    /// `#unless`
    pub negated: bool,
    pub then: Vec<Segment>,
    pub otherwise: Vec<Segment>,
    /// From `{{#if` to the closing `}}` of `{{/if}}`.
    pub span: Span,
}

impl Template {
    /// Every segment, depth first in source order (iteratively).
    fn walk(&self) -> Vec<&Segment> {
        let mut out = Vec::new();
        let mut stack: Vec<&Segment> = self.segments.iter().rev().collect();
        while let Some(segment) = stack.pop() {
            out.push(segment);
            if let Segment::If(c) = segment {
                stack.extend(c.otherwise.iter().rev());
                stack.extend(c.then.iter().rev());
            }
        }
        out
    }

    /// Every path the template reads, in source order.
    pub fn paths(&self) -> Vec<&Path> {
        self.walk()
            .into_iter()
            .filter_map(|s| match s {
                Segment::Insert(i) if i.expr.is_none() => Some(&i.path),
                Segment::Insert(_) => None,
                Segment::If(c) if c.condition.is_none() => Some(&c.path),
                Segment::If(_) => None,
                Segment::Text { .. } => None,
            })
            .collect()
    }

    /// Every insertion, in source order: what a linter looks at for `raw`.
    pub fn insertions(&self) -> Vec<&Insertion> {
        self.walk()
            .into_iter()
            .filter_map(|s| match s {
                Segment::Insert(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    /// Whether the template is plain text with nothing to fill in.
    pub fn is_literal(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Text { .. }))
    }
}
