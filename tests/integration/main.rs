//! Integration tests: fixture playbooks through the whole pipeline, and the
//! `runbook` binary itself. One test binary, one module per feature.

mod cli;
mod closed_pipe;
mod diagnostics;
mod diagnostics_doc;
mod diff;
mod doc;
#[path = "../drills/mod.rs"]
mod drills;
mod examples_doc;
mod harness;
mod kind_http;
mod kind_k8s;
mod kind_playbook;
mod kind_prometheus;
mod kind_sql;
mod lint;
mod never_panics;
mod plans;
mod rehearsals;
mod round_trip;
mod run_dry;
mod run_gates;
mod run_journal;
mod run_live;
mod run_safety;
mod run_semantics;
mod running;
mod schema;
mod stdlib_examples;
mod support;
