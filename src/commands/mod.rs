//! One file per subcommand. Each returns the process exit code.

mod check;
mod convert;
mod diff;
mod doc;
mod fmt;
mod graph;
mod lint;
mod pending;
mod plan;
mod report;
mod resume;
mod run;
mod runs;
mod schema;
mod serve;
mod test;

use crate::cli::{Cli, Command};

pub use crate::exit_code::*;
pub use crate::load::load;

pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Check { files, format } => check::run(&files, format),
        Command::Graph { file, format } => graph::run(&file, format),
        Command::Fmt { files, check } => fmt::run(&files, check),
        Command::Convert { file, to } => convert::run(&file, to),
        Command::Run(args) => run::run(&args),
        Command::Resume(args) => resume::run(&args),
        Command::Runs {
            journal_dir,
            format,
        } => runs::run(&journal_dir, format),
        Command::Report {
            run_id,
            journal_dir,
            force,
            format,
        } => report::run(&run_id, &journal_dir, force, format),
        Command::Serve {
            journal_dir,
            listen,
            token_file,
            decide,
            secure_cookie,
            tls_cert,
            tls_key,
            insecure_http,
            max_connections,
        } => serve::run(
            &journal_dir,
            listen,
            token_file.as_deref(),
            serve::Deciding {
                decide,
                secure_cookie,
            },
            serve::Transport {
                tls: tls_cert.zip(tls_key),
                insecure_http,
                max_connections: max_connections as usize,
            },
        ),
        Command::Plan { file, input } => plan::run(&file, &input),
        Command::Diff {
            files,
            git,
            format,
            fail_on,
        } => diff::run(&files, git.as_deref(), format, fail_on),
        Command::Lint {
            files,
            format,
            config,
        } => lint::run(&files, format, config.as_deref()),
        Command::Schema => schema::run(),
        Command::Doc { file } => doc::run(&file),
        Command::Test { paths } => test::run(&paths),
        Command::Pending {
            run_id,
            journal_dir,
            format,
            prune: true,
            ..
        } => pending::prune(&journal_dir, run_id.as_deref(), format),
        Command::Pending {
            run_id,
            journal_dir,
            format,
            all,
            ..
        } => pending::list(&journal_dir, run_id.as_deref(), format, all),
        Command::Approve(args) => pending::approve(&args, true),
        Command::Reject(args) => pending::approve(&args, false),
        Command::Answer {
            run_id,
            answer,
            journal_dir,
        } => pending::answer(&journal_dir, &run_id, &answer),
    }
}

/// The playbooks the arguments of `check` and `lint` name (files,
/// directories, glob patterns: see [`runbook_dsl::files::expand`]), and
/// whether every argument named something. Rehearsal scenarios
/// (`*.scenario.yaml`) sit next to playbooks and match the same globs, but
/// they are `runbook test`'s to read: how many were left out is said on
/// stderr, and so is each argument that names no playbook.
pub fn playbooks(args: &[std::path::PathBuf]) -> (Vec<std::path::PathBuf>, bool) {
    use runbook_dsl::files::{expand, Wanted};
    let expanded = expand(args, Wanted::Playbooks);
    let scenarios = &expanded.skipped_scenarios;
    match scenarios.len() {
        0 => {}
        1 => eprintln!(
            "note: skipped `{}`, a rehearsal scenario (`runbook test` reads it)",
            scenarios[0].display()
        ),
        n => eprintln!("note: skipped {n} rehearsal scenarios (`runbook test` reads them)"),
    }
    for problem in &expanded.problems {
        eprintln!("error: {problem}");
    }
    (expanded.files, expanded.problems.is_empty())
}
