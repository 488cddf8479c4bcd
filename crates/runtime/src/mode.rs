//! Run or rehearse: the one seam between a real run and a dry-run.
//!
//! Nothing else in the runtime checks a "dry run" flag: the runner asks the
//! mode what to do with a step of a given effect, and with a gate.

use runbook_dsl::ast::Effect;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Execute every step; ask at gates.
    #[default]
    Run,
    /// Change nothing: execute `read` steps so branch decisions are real,
    /// describe the others, show gates without asking.
    DryRun,
}

/// What the runner does with a step in a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Treatment {
    Execute,
    /// Describe what would happen; the step's results stay unknown.
    Describe,
}

impl Mode {
    /// Whether a step with this effect executes.
    pub fn treat(self, effect: Effect) -> Treatment {
        match (self, effect) {
            (Mode::Run, _) | (Mode::DryRun, Effect::Read) => Treatment::Execute,
            (Mode::DryRun, _) => Treatment::Describe,
        }
    }

    /// Whether gates are put to the operator (otherwise only shown).
    pub fn asks_at_gates(self) -> bool {
        self == Mode::Run
    }

    /// Whether a poll that does not hold yet is repeated. A dry-run probes
    /// once and does not wait: what a poll waits for is usually the effect
    /// of a write the dry-run did not make, which would never come.
    pub fn repeats_polls(self) -> bool {
        self == Mode::Run
    }

    /// Whether a fixed pause (`wait`) is slept. A dry-run only says how
    /// long a run would pause: what a pause lets settle is usually the
    /// effect of a write the dry-run did not make.
    pub fn pauses(self) -> bool {
        self == Mode::Run
    }

    /// Whether a `manual` step waits for the operator (in a dry-run the
    /// operator does nothing, so it is shown).
    pub fn waits_for_manual_steps(self) -> bool {
        self == Mode::Run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_executes_only_reads() {
        assert_eq!(Mode::DryRun.treat(Effect::Read), Treatment::Execute);
        assert_eq!(Mode::DryRun.treat(Effect::Write), Treatment::Describe);
        assert_eq!(Mode::DryRun.treat(Effect::Destructive), Treatment::Describe);
        assert_eq!(Mode::Run.treat(Effect::Destructive), Treatment::Execute);
    }
}
