//! The operator of a called playbook.

use super::{Decision, GateRequest, Operator, Question, Reply, Via};
use crate::element_name::ElementLabels;
use runbook_dsl::ast::Effect;
use std::sync::Arc;

/// The operator of a called playbook: the caller's own (the same terminal,
/// the same `--approve`/`--answer`), with the called playbook's step ids
/// addressed through the calling step's id: gate `confirm` of the playbook
/// called by step `rollback` is `rollback.confirm`, and, when a loop calls
/// it, through the element's position (`each[1].confirm`), with the
/// element's label beside it, so that a gate is one element's and
/// `--approve`, `runbook pending` and `runbook approve` can say which
/// (`each[web-2].confirm`).
pub struct Nested {
    pub inner: Arc<dyn Operator>,
    /// The calling step's run: its id, and its element's position when a
    /// loop calls (`each[1]`).
    pub call: String,
    /// The label of the calling loop's element, when a loop calls.
    pub label: Option<String>,
    /// Who approved the calling step's own gate, if it had one: that
    /// approval passes the called playbook's gates as `--yes` would (not a
    /// `destructive` step's, not an `approve` step's).
    pub caller_approved: Option<String>,
}

impl Nested {
    fn address(&self, step: &str) -> String {
        format!("{}.{step}", self.call)
    }

    /// The labels of the elements on the way, as the caller addresses
    /// them: those of loops further in, under this call, and this one's.
    fn labels(&self, inner: &ElementLabels) -> ElementLabels {
        let mut labels: ElementLabels = inner
            .iter()
            .map(|(run, label)| (self.address(run), label.clone()))
            .collect();
        if let Some(label) = &self.label {
            labels.insert(self.call.clone(), label.clone());
        }
        labels
    }
}

impl Operator for Nested {
    fn approve(&self, request: &GateRequest) -> Decision {
        let request = GateRequest {
            step: self.address(&request.step),
            labels: self.labels(&request.labels),
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
            labels: self.labels(&question.labels),
            ..question.clone()
        })
    }
}
