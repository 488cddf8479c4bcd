//! An output names the result it captures (`from:`), or captures its kind's
//! primary result: one that names no result of the kind, or a kind that
//! produces none, is an error at the output.

use super::references;
use crate::ast::Step;
use crate::catalog::KindSchema;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::suggest;

pub(super) fn check(step: &Step, schema: Option<&KindSchema>, diags: &mut Diagnostics) {
    for output in &step.outputs {
        let results = references::result_names(step, schema);
        let Some(results) = results else {
            continue;
        };
        match &output.from {
            Some(from) => {
                if !results.contains(&from.value.as_str()) {
                    let kind = step.action.kind_name();
                    let message = if results.is_empty() {
                        format!("a `{kind}` step produces no results to capture")
                    } else {
                        format!("a `{kind}` step has no result `{}`", from.value)
                    };
                    diags.push(
                        Diagnostic::error(Code::UnknownOutputSource, message)
                            .label(from.span, "unknown result")
                            .with_help(suggest::help_for(
                                "result",
                                &from.value,
                                results.iter().copied(),
                            )),
                    );
                }
            }
            None => {
                if references::primary_result(step, schema).is_none() {
                    diags.push(
                        Diagnostic::error(
                            Code::UnknownOutputSource,
                            format!(
                                "a `{}` step produces no results to capture",
                                step.action.kind_name()
                            ),
                        )
                        .label(output.name.span, "nothing to capture")
                        .help("remove this output"),
                    );
                }
            }
        }
    }
}
