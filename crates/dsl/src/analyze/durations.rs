//! Durations written as templates (`timeout: "{{inputs.wait}}"`,
//! `within: "{{vars.grace}}"`): checked like any template, and what they
//! insert must be able to render a duration: a `duration` input or value,
//! or text (checked when the step runs). A number is refused here, since
//! `300` says nothing about its unit.

use super::references::References;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::Type;
use crate::plan::DurationField;
use crate::template::{self, Quoting, Template};

const FIELDS: [DurationField; 4] = [
    DurationField::Timeout,
    DurationField::RetryDelay,
    DurationField::Every,
    DurationField::Within,
];

/// Checks the templated durations of a step; returns them parsed.
pub(super) fn check(
    step: &crate::ast::Step,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Vec<(DurationField, Template)> {
    let mut out = Vec::new();
    for field in FIELDS {
        let Some(text) = field.of(step).and_then(|d| d.template.as_ref()) else {
            continue;
        };
        let parsed = match template::parse(text) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        template::check(&parsed, Quoting::None, refs, diags);
        for insertion in parsed.insertions() {
            let ty = insertion.resolve(refs, &mut Diagnostics::new());
            if matches!(
                ty,
                Type::Int | Type::Float | Type::Bool | Type::List(_) | Type::Map | Type::Record(_)
            ) {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidDuration,
                        format!(
                            "`{}` inserts {}, which is not a duration",
                            field.name(),
                            ty.describe()
                        ),
                    )
                    .label(insertion.span, format!("this is {}", ty.describe()))
                    .help("insert a duration: an input with `type: duration`, a value such as `duration(\"5m\")`, or text such as `5m`"),
                );
            }
        }
        out.push((field, parsed));
    }
    out
}
