//! A cleanup (`finally: true`) runs when the run stops, after a rejected
//! gate or on a signal too, where nobody may be there to answer: it cannot
//! wait for a person (an approval gate, an `ask`, a `manual` step).

use crate::ast::{Action, Playbook};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};

pub(super) fn check(playbook: &Playbook, diags: &mut Diagnostics) {
    for step in &playbook.steps {
        let Some(at) = &step.finally else {
            continue;
        };
        let waits = match (&step.action, &step.approval) {
            (Action::Ask(ask), _) => Some((ask.span, "an `ask` waits for an answer")),
            (Action::Manual { span, .. }, _) => {
                Some((*span, "a `manual` step waits for a person to confirm"))
            }
            (_, Some(approval)) => Some((approval.span, "this gate waits for an approval")),
            _ => None,
        };
        let Some((span, what)) = waits else {
            continue;
        };
        diags.push(
            Diagnostic::error(
                Code::FinallyWaits,
                format!("the cleanup `{}` waits for a person", step.id.value),
            )
            .label(span, what)
            .label(**at, "runs when the run stops, a signal or a rejection included")
            .help("a `finally` step must be able to run unattended: drop the gate (make the cleanup safe to run at any time, such as expiring a silence by its id), or make it an ordinary step"),
        );
    }
}
