//! Checking a template against the playbook's names: every path resolves
//! through the same [`Scope`] as expressions, so `{{inputs.namspace}}` and
//! `steps.x.namspace == 1` get the same "did you mean" diagnostic.

use super::{Format, Segment, Template};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Scope, Type};

/// Resolves every path of `template`, and reports insertions that cannot
/// produce sensible text (a list inserted as-is, `upper` of a number).
pub fn check<S: Scope + ?Sized>(template: &Template, scope: &mut S, diags: &mut Diagnostics) {
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
            }
        }
    }
}
