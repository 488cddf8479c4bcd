//! Integration tests: fixture playbooks through the whole pipeline, and the
//! `runbook` binary itself. One test binary, one module per feature.

mod cli;
mod diagnostics;
mod diagnostics_doc;
mod diff;
mod doc;
mod docs_commands;
mod docs_fences;
#[path = "../drills/mod.rs"]
mod drills;
mod dry_run_undecided;
mod examples_doc;
mod failed_steps;
mod harness;
mod insertions;
mod kind_http;
mod kind_k8s;
mod kind_playbook;
mod kind_prometheus;
mod kind_sql;
mod kind_sql_dry_run;
mod lint;
mod literal_fields;
mod markdown;
mod never_panics;
mod optional_outputs;
mod plans;
mod reachability;
mod rehearsals;
mod round_trip;
mod run_dry;
mod run_gates;
mod run_journal;
mod run_journal_integrity;
mod run_live;
mod run_operator;
mod run_output_cap;
mod run_safety;
mod run_semantics;
mod run_signals;
mod running;
mod schema;
mod shell_contexts;
mod stdlib_examples;
mod support;
mod typed_insertions;
