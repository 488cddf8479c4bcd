//! A gate put to the operator and the decision taken at it.

use super::{Via, Withdrawal};
use runbook_dsl::ast::Effect;
use std::time::Duration;

/// A gate put to the operator.
#[derive(Clone, Debug)]
pub struct GateRequest {
    pub step: String,
    pub title: Option<String>,
    pub question: String,
    pub effect: Effect,
    /// The rendered command, masked.
    pub detail: Option<String>,
    /// Resume: the step was interrupted and would run again.
    pub rerun: bool,
    /// The gate is an `approve` step: a checkpoint a person must pass, so
    /// `--yes` does not pass it (only `--approve STEP` or a prompt does).
    pub checkpoint: bool,
    /// The step's description and what the steps it follows read, masked.
    pub context: Context,
    /// Four-eyes (`approval: {by: other}`): only a person other than the
    /// one running this process may approve, so neither the prompt of this
    /// terminal nor `--approve`/`--yes` passes it; only a remote decision.
    pub by_other: bool,
    /// The element of a loop whose own gate this is (`approval_per_item`):
    /// `[INDEX] LABEL`.
    pub element: Option<String>,
    /// The labels of the elements of the loops that called the playbook it
    /// is in, by run address: its `step` names them by position
    /// (`each[0].restart`), and a person may name them by label.
    pub labels: crate::element_name::ElementLabels,
    /// How long the person has before the gate is rejected, if limited.
    pub deadline: Option<Duration>,
    /// How to decide it from another terminal (`runbook approve RUN STEP`),
    /// when the gate is open to remote decisions; a prompt shows it.
    pub remote_hint: Option<String>,
    /// Set when the gate no longer waits for this operator (decided
    /// elsewhere, timed out, cancelled): a prompt stops asking and returns.
    pub withdrawn: Withdrawal,
}

/// What the person deciding sees besides the question: the step's
/// `description`, and the evidence of the steps it needs or reads
/// (`evidence::lines`), by step id. Masked before it gets here.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub description: Option<String>,
    pub evidence: Vec<(String, Vec<String>)>,
}

impl Context {
    /// The lines a prompt shows before its question.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(d) = &self.description {
            out.extend(d.trim_end().lines().map(str::to_string));
        }
        for (step, lines) in &self.evidence {
            out.push(format!("`{step}` read:"));
            out.extend(lines.iter().map(|l| format!("  {l}")));
        }
        out
    }
}

/// The operator's decision at a gate.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub approved: bool,
    pub who: String,
    pub via: Via,
    pub reason: Option<String>,
}
