//! The operator of a called playbook.

use super::{Decision, GateRequest, Operator, Question, Reply, Via};
use runbook_dsl::ast::Effect;
use std::sync::Arc;

/// The operator of a called playbook: the caller's own (the same terminal,
/// the same `--approve`/`--answer`), with the called playbook's step ids
/// addressed through the calling step's id: gate `confirm` of the playbook
/// called by step `rollback` is `rollback.confirm`.
pub struct Nested {
    pub inner: Arc<dyn Operator>,
    /// The calling step's id (itself dotted when calls nest).
    pub call: String,
    /// Who approved the calling step's own gate, if it had one: that
    /// approval passes the called playbook's gates as `--yes` would (not a
    /// `destructive` step's, not an `approve` step's).
    pub caller_approved: Option<String>,
}

impl Nested {
    fn address(&self, step: &str) -> String {
        format!("{}.{step}", self.call)
    }
}

impl Operator for Nested {
    fn approve(&self, request: &GateRequest) -> Decision {
        let request = GateRequest {
            step: self.address(&request.step),
            ..request.clone()
        };
        if let Some(who) = &self.caller_approved {
            if request.effect != Effect::Destructive
                && !request.rerun
                && !request.checkpoint
                && !request.by_other
            {
                return Decision {
                    approved: true,
                    who: who.clone(),
                    via: Via::CallerApproval(self.call.clone()),
                    reason: None,
                };
            }
        }
        self.inner.approve(&request)
    }

    fn answer(&self, question: &Question) -> Reply {
        self.inner.answer(&Question {
            step: self.address(&question.step),
            ..question.clone()
        })
    }
}
