//! A gate put to the operator and the decision taken at it.

use super::Via;
use runbook_dsl::ast::Effect;

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
