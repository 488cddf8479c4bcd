//! `runbook`: check, graph, format, convert, plan and run playbooks.

mod cli;
mod closed_pipe;
mod commands;
mod console;
mod decisions;
mod diagnostics;
mod exit_code;
mod inputs;
mod live;
mod load;
mod palette;
mod programs;
mod prompt;
mod run_dir;
mod secret_file;
mod shared_libraries;
mod signals;
mod view;

fn main() {
    // Before parsing: `--help` prints too.
    closed_pipe::end_quietly();
    let cli = cli::Cli::parse_args();
    if matches!(cli.command, cli::Command::Run(_) | cli::Command::Resume(_)) {
        closed_pipe::keep_running();
    }
    let code = commands::dispatch(cli);
    std::process::exit(code);
}
