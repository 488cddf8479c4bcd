//! The executable side of the catalog: which kinds can run in this version.
//!
//! `http`, `k8s`, `prometheus`, `sql`, `notify` and `playbook` are checked
//! (their schemas are in [`crate::kinds`]) but cannot run yet: `runbook run`
//! refuses a playbook that uses them before anything starts, so nothing
//! half-runs.

use crate::kinds::{
    approve_action, assert_action, http_action, log_action, notify_action, shell_action,
    wait_action,
};
use runbook_runtime::{Action, ActionSet};
use std::sync::Arc;

/// The built-in actions.
pub struct Builtins;

/// Kinds with an action.
pub const RUNNABLE: &[&str] = &[
    "shell", "wait", "assert", "log", "approve", "http", "notify",
];

impl ActionSet for Builtins {
    fn action(&self, kind: &str) -> Option<Arc<dyn Action>> {
        Some(match kind {
            "shell" => Arc::new(shell_action::Shell),
            "wait" => Arc::new(wait_action::Wait),
            "assert" => Arc::new(assert_action::Assert),
            "log" => Arc::new(log_action::Log),
            "approve" => Arc::new(approve_action::Approve),
            "http" => Arc::new(http_action::Http),
            "notify" => Arc::new(notify_action::Notify),
            _ => return None,
        })
    }
}

/// Whether a step kind can run in this version.
pub fn is_runnable(kind: &str) -> bool {
    RUNNABLE.contains(&kind)
}
