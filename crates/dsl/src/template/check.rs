//! Checking a template against the playbook's names: every path resolves
//! through the same [`Scope`] as expressions, so `{{inputs.namspace}}` and
//! `steps.x.namspace == 1` get the same "did you mean" diagnostic. In a
//! shell command, each insertion's lexical context is found by the
//! [`ShellLexer`] and an insertion that cannot be quoted safely there is
//! refused ([`quote_in`] is the one rule for both check and render).

use super::quote::{quote_in, Parses};
use super::shell_lexer::ShellLexer;
use super::{Format, Insertion, Quoting, Segment, Template};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Scope, Type};

/// Resolves every path of `template`, and reports insertions that cannot
/// produce sensible text (a list inserted as-is, `upper` of a number) or,
/// in a shell command, safe text where they are.
pub fn check<S: Scope + ?Sized>(
    template: &Template,
    quoting: Quoting,
    scope: &mut S,
    diags: &mut Diagnostics,
) {
    let mut types: Vec<(&Insertion, Type)> = Vec::new();
    let mut stack: Vec<&Segment> = template.segments.iter().rev().collect();
    while let Some(segment) = stack.pop() {
        match segment {
            Segment::Text { .. } => {}
            Segment::If(conditional) => {
                scope.resolve(&conditional.path, diags);
                stack.extend(conditional.otherwise.iter().rev());
                stack.extend(conditional.then.iter().rev());
            }
            Segment::Insert(insertion) => {
                let ty = scope.resolve(&insertion.path, diags);
                let problem = match (&insertion.format, &ty) {
                    (Format::Plain | Format::Default(_), Type::List(_) | Type::Map) => Some((
                        format!("inserting {} as text", ty.describe()),
                        format!("insert it as JSON: `{{{{json {}}}}}`", insertion.path),
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
    if quoting == Quoting::Shell {
        let mut lexer = ShellLexer::default();
        let mut contexts = ShellCheck {
            types: &types,
            diags,
        };
        contexts.segments(&template.segments, &mut lexer);
    }
}

/// Walks a shell command's segments with the lexer, both sides of every
/// `{{#if}}` (nesting is bounded by `MAX_BLOCK_DEPTH`, so recursion is).
struct ShellCheck<'a, 't> {
    types: &'a [(&'t Insertion, Type)],
    diags: &'a mut Diagnostics,
}

impl ShellCheck<'_, '_> {
    /// Returns false when the context after the segments cannot be told.
    fn segments(&mut self, segments: &[Segment], lexer: &mut ShellLexer) -> bool {
        for segment in segments {
            match segment {
                Segment::Text { text, .. } => lexer.feed(text),
                Segment::Insert(insertion) => {
                    self.insertion(insertion, lexer);
                    lexer.insertion();
                }
                Segment::If(block) => {
                    let mut then = lexer.clone();
                    let mut otherwise = lexer.clone();
                    if !self.segments(&block.then, &mut then)
                        || !self.segments(&block.otherwise, &mut otherwise)
                    {
                        return false;
                    }
                    if !then.same_nesting(&otherwise) {
                        self.diags.push(
                            Diagnostic::error(
                                Code::UnsafeShellInsertion,
                                "the sides of this `{{#if}}` leave the shell command in different contexts",
                            )
                            .label(block.span, "a quote, substitution or here-document is opened or closed on one side only")
                            .help("make each side complete (open and close its quotes inside the block), so the values inserted after it can be quoted"),
                        );
                        return false;
                    }
                    then.merge(&otherwise);
                    *lexer = then;
                }
            }
        }
        true
    }

    fn insertion(&mut self, insertion: &Insertion, lexer: &ShellLexer) {
        if insertion.raw {
            return;
        }
        let ty = self
            .types
            .iter()
            .find(|(i, _)| std::ptr::eq(*i, insertion))
            .map(|(_, t)| t.clone())
            .unwrap_or(Type::Any);
        let parses = match insertion.format {
            Format::Quote => Parses::Twice,
            _ => Parses::Once,
        };
        let integer = ty == Type::Int
            && match &insertion.format {
                Format::Plain | Format::Json => true,
                Format::Default(fallback) => fallback.is_i64() || fallback.is_u64(),
                _ => false,
            };
        let context = lexer.context();
        if let Err(refused) = quote_in(context, parses, "", integer) {
            self.diags.push(
                Diagnostic::error(Code::UnsafeShellInsertion, refused.message)
                    .label(insertion.span, format!("inserted {}", context.describe()))
                    .help(refused.help),
            );
        }
    }
}
