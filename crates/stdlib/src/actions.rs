//! The executable side of the catalog: which kinds can run in this version.
//!
//! A kind that is checked (its schema is in [`crate::kinds`]) but has no
//! action here cannot run: `runbook run` refuses a playbook that uses it
//! before anything starts, so nothing half-runs.

use crate::kinds::{
    approve_action, assert_action, http_action, k8s_action, log_action, notify_action,
    playbook_action, prometheus_action, shell_action, sql_action, wait_action,
};
use runbook_runtime::{Action, ActionSet};
use std::sync::Arc;

/// The built-in actions.
pub struct Builtins;

/// Kinds with an action.
pub const RUNNABLE: &[&str] = &[
    "shell",
    "wait",
    "assert",
    "log",
    "approve",
    "http",
    "notify",
    "prometheus",
    "sql",
    "k8s",
    "playbook",
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
            "prometheus" => Arc::new(prometheus_action::Prometheus),
            "sql" => Arc::new(sql_action::Sql),
            "k8s" => Arc::new(k8s_action::K8s),
            "playbook" => Arc::new(playbook_action::Playbook),
            _ => return None,
        })
    }
}

/// Whether a step kind can run in this version.
pub fn is_runnable(kind: &str) -> bool {
    RUNNABLE.contains(&kind)
}
