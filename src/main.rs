//! `runbook`: check, graph, format, convert, plan and run playbooks.

mod cli;
mod commands;
mod decisions;
mod failure;
mod inputs;
mod live;
mod report;
mod run_dir;
mod signals;
mod view;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = commands::dispatch(cli);
    std::process::exit(code);
}
