//! Integration tests: fixture playbooks through the whole pipeline, and the
//! `runbook` binary itself. One test binary, one module per feature.

mod cli;
mod diagnostics;
mod never_panics;
mod plans;
mod support;
