//! A branch step settles in the loop, without a task: its cases are
//! evaluated in order against the values in scope and the first that holds
//! is the edge taken.

use super::scheduler::Scheduler;
use crate::event::StepState;
use crate::mode::Mode;
use crate::step_message::StepDone;
use runbook_dsl::ast::Action as StepAction;
use runbook_dsl::expr::{self, Outcome};
use serde_json::Value;

/// Which way a settled branch went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Taken {
    Step(usize),
    Nothing,
    /// Dry-run: the cases read values that are not known.
    Unknown,
}

impl Scheduler<'_> {
    /// Evaluates a branch's cases in order; the first that holds is taken.
    pub(super) fn branch(&mut self, i: usize) {
        let plan = self.plan.clone();
        let (step, step_plan) = plan.step(i);
        let StepAction::Branch(branch) = &step.action else {
            return;
        };
        let mut chosen = None;
        let mut unknown = false;
        for (case, condition) in branch.cases.iter().zip(&step_plan.cases) {
            let Some(condition) = condition else { continue };
            match expr::eval(condition, &self.scope) {
                Ok(Outcome::Known(Value::Bool(true))) => {
                    chosen = Some(&case.then.value);
                    break;
                }
                Ok(Outcome::Known(_)) => {}
                Ok(Outcome::Unknown) => {
                    unknown = true;
                    break;
                }
                Err(e) => {
                    return self.settle(StepDone {
                        message: Some(format!("cannot evaluate `{condition}`: {e}")),
                        span: Some(e.span),
                        ..StepDone::new(i, StepState::Failed)
                    })
                }
            }
        }
        if chosen.is_none() && !unknown {
            chosen = branch.otherwise.as_ref().map(|o| &o.value);
        }
        let mut done = StepDone::new(i, StepState::Succeeded);
        if unknown {
            self.taken[i] = Taken::Unknown;
            done.simulated = true;
            done.message = Some("the cases read values not known in a dry-run".into());
        } else if let Some(target) = chosen {
            self.taken[i] = plan
                .index_of(target)
                .map(Taken::Step)
                .unwrap_or(Taken::Nothing);
            done.results
                .insert("taken".into(), Value::String(target.clone()));
            done.message = Some(match self.after_described(i) {
                // The values read may have waited on that write's effect
                // (a recheck after a cancel the dry-run did not make).
                Some(write) => format!(
                    "took `{target}`, on values read after `{write}`, which the dry-run only described: a run may take another case"
                ),
                None => format!("took `{target}`"),
            });
        } else {
            self.taken[i] = Taken::Nothing;
            done.results.insert("taken".into(), Value::Null);
            done.message = Some("no case held and there is no `else`".into());
        }
        self.settle(done);
    }

    /// In a dry-run, a step the dry-run only described that comes before a
    /// step whose values branch `i` reads, if any: those values may have
    /// waited on its effect. A step that only orders the branch (`needs`)
    /// and whose values it does not read does not count.
    fn after_described(&self, i: usize) -> Option<&str> {
        if self.shared.options.mode != Mode::DryRun {
            return None;
        }
        self.plan
            .step_plan(i)
            .reads
            .iter()
            .find_map(|&r| self.described[r])
            .map(|d| self.id(d))
    }
}
