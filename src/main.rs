//! `runbook`: check, graph, format and convert playbooks.

mod cli;
mod commands;
mod report;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = commands::dispatch(cli);
    std::process::exit(code);
}
