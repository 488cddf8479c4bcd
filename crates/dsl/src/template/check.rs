//! Checking a template against the playbook's names: every path resolves
//! through the same [`Scope`] as expressions, so `{{inputs.namspace}}` and
//! `steps.x.namspace == 1` get the same "did you mean" diagnostic. In a
//! shell command, each insertion's lexical context is found by the
//! [`ShellLexer`] and an insertion that cannot be quoted safely there is
//! refused ([`quote_in`] is the one rule for both check and fill).

use super::quote::{quote_nested, Parses};
use super::shell_lexer::{ShellContext, ShellLexer};
use super::{Conditional, Format, Insertion, Quoting, Segment, Template};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Scope, Type};

/// Resolves every path of `template`, and reports insertions that cannot
/// produce sensible text (a list inserted as-is, `upper` of a number) or,
/// in a shell command, safe text where they are.
pub fn check<S: Scope>(
    template: &Template,
    quoting: Quoting,
    scope: &mut S,
    diags: &mut Diagnostics,
) {
    let mut types: Vec<(&Insertion, Type)> = Vec::new();
    resolve_segments(&template.segments, scope, diags, &mut types);
    if quoting == Quoting::Shell {
        let mut lexer = ShellLexer::default();
        let walked = walk_shell(
            &template.segments,
            &mut lexer,
            &mut |insertion, lexer, following| {
                refuse_unsafe(insertion, &lexer.contexts(following), &types, diags)
            },
        );
        if let Err(block) = walked {
            diags.push(
                Diagnostic::error(
                    Code::UnsafeShellInsertion,
                    "the sides of this `{{#if}}` leave the shell command in different contexts",
                )
                .label(
                    block.span,
                    "a quote, substitution or here-document is opened or closed on one side only",
                )
                .help("make each side complete (open and close its quotes inside the block; an `{{#each}}` body too, since it repeats), so the values inserted after it can be quoted"),
            );
        }
    }
}

/// Resolves the paths of `segments` (recursively into blocks, whose depth
/// the parser bounds), typing each insertion; an `{{#each}}` body resolves
/// `this`, `@index` and the element's name first.
fn resolve_segments<'t>(
    segments: &'t [Segment],
    scope: &mut dyn Scope,
    diags: &mut Diagnostics,
    types: &mut Vec<(&'t Insertion, Type)>,
) {
    for segment in segments {
        match segment {
            Segment::Text { .. } => {}
            Segment::If(block) => {
                match (&block.condition, &block.each) {
                    (Some(condition), _) => {
                        super::condition::check(condition, block.negated, scope, diags);
                        resolve_segments(&block.then, scope, diags, types);
                    }
                    (None, None) => {
                        scope.resolve(&block.path, diags);
                        resolve_segments(&block.then, scope, diags, types);
                    }
                    (None, Some(each)) => {
                        let ty = scope.resolve(&block.path, diags);
                        let element = super::each::element_type(&block.path, &ty, diags);
                        let mut body = super::each::BodyScope {
                            outer: scope,
                            locals: super::each::bindings(each.alias.as_deref(), element),
                        };
                        resolve_segments(&block.then, &mut body, diags, types);
                    }
                }
                resolve_segments(&block.otherwise, scope, diags, types);
            }
            Segment::Insert(insertion) => {
                let ty = insertion.resolve(scope, diags);
                let problem = match (&insertion.format, &ty) {
                    (
                        Format::Plain | Format::Default(_),
                        Type::List(_) | Type::Map | Type::Record(_),
                    ) => Some((
                        format!("inserting {} as text", ty.describe()),
                        format!("insert it as JSON: `{{{{json {}}}}}`", insertion.subject()),
                    )),
                    (Format::Upper | Format::Lower, t) if !t.is_stringy() => Some((
                        format!("changing the case of {}", ty.describe()),
                        "`upper` and `lower` apply to text".to_string(),
                    )),
                    _ => None,
                };
                if let Some((message, help)) = problem {
                    diags.push(
                        Diagnostic::error(Code::TypeMismatch, message)
                            .label(insertion.path.span, format!("this is {}", ty.describe()))
                            .help(help),
                    );
                }
                types.push((insertion, ty));
            }
        }
    }
}

/// Feeds a shell command's segments to the lexer, calling `on_insert` with
/// the lexer as it is at each insertion, on both sides of every `{{#if}}`
/// (nesting is bounded by `MAX_BLOCK_DEPTH`, so recursion is). Stops at a
/// block whose sides leave different nesting, and returns it.
fn walk_shell<'t>(
    segments: &'t [Segment],
    lexer: &mut ShellLexer,
    on_insert: &mut dyn FnMut(&'t Insertion, &ShellLexer, Option<&str>),
) -> Result<(), &'t Conditional> {
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Text { text, .. } => lexer.feed(text),
            Segment::Insert(insertion) => {
                let following = match segments.get(i + 1) {
                    Some(Segment::Text { text, .. }) => Some(text.as_str()),
                    _ => None,
                };
                on_insert(insertion, lexer, following);
                lexer.insertion();
            }
            Segment::If(block) => {
                let mut then = lexer.clone();
                let mut otherwise = lexer.clone();
                walk_shell(&block.then, &mut then, on_insert)?;
                walk_shell(&block.otherwise, &mut otherwise, on_insert)?;
                if !then.same_nesting(&otherwise) {
                    return Err(block);
                }
                then.merge(&otherwise);
                *lexer = then;
            }
        }
    }
    Ok(())
}

/// Reports an insertion that no quoting makes safe in its context.
fn refuse_unsafe(
    insertion: &Insertion,
    contexts: &[ShellContext],
    types: &[(&Insertion, Type)],
    diags: &mut Diagnostics,
) {
    if insertion.raw {
        return;
    }
    let ty = types
        .iter()
        .find(|(i, _)| std::ptr::eq(*i, insertion))
        .map(|(_, t)| t.clone())
        .unwrap_or(Type::Any);
    let parses = match insertion.format {
        Format::Quote => Parses::Twice,
        _ => Parses::Once,
    };
    let integer = matches!(ty, Type::Int | Type::Duration)
        && match &insertion.format {
            Format::Plain | Format::Json => true,
            Format::Default(fallback) => fallback.is_i64() || fallback.is_u64(),
            _ => false,
        };
    if let Err(refused) = quote_nested(contexts, parses, "", integer) {
        let label = match contexts {
            [context] | [.., context @ ShellContext::SqlText] => {
                format!("inserted {}", context.describe())
            }
            [.., inner] => format!(
                "inserted {} in a script another shell parses",
                inner.describe()
            ),
            [] => "inserted here".to_string(),
        };
        diags.push(
            Diagnostic::error(Code::UnsafeShellInsertion, refused.message)
                .label(insertion.span, label)
                .help(refused.help),
        );
    }
}
