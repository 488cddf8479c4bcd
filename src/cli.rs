//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    about = "Declarative runbooks: playbooks as a checked step graph"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check playbooks and print every diagnostic (exit 2 on errors).
    Check {
        /// Playbook files (`.yaml`, `.yml`, `.runbook`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `human` for people, `json` (one object per line) for editors and CI annotations.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
    },
    /// Print the step graph of a playbook.
    Graph {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },
    /// Format `.runbook` files canonically (comments are kept).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Do not write; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Convert a playbook to the other syntax, printing it to stdout.
    Convert {
        file: PathBuf,
        #[arg(long, value_enum)]
        to: SyntaxArg,
    },
    /// Semantic diff of two playbooks (steps, edges, effects, approvals) with risks.
    Diff {
        /// OLD and NEW playbook files (none with `--git`).
        #[arg(required_unless_present = "git", num_args = 0..=2)]
        files: Vec<PathBuf>,
        /// Compare every changed playbook in the working tree with this git revision.
        #[arg(long, value_name = "BASE", conflicts_with = "files")]
        git: Option<String>,
        /// `text` for a terminal, `markdown` for a pull-request comment, `json` (one object per playbook).
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Exit 1 when a risk of this severity or above is found.
        #[arg(long, value_enum, value_name = "SEVERITY")]
        fail_on: Option<FailOn>,
    },
    /// Lint playbooks: rules beyond `check` (exit 1 on error findings, 2 if invalid).
    Lint {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `human` for people, `json` (one object per line) for editors and CI annotations.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// The `runbook.toml` to use (default: the nearest one above each file).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the JSON Schema of YAML playbooks (for editors with yaml-language-server).
    Schema,
    /// Render a playbook as the Markdown runbook an on-call engineer reads.
    Doc { file: PathBuf },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    High,
    Medium,
    Low,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyntaxArg {
    Yaml,
    Runbook,
}
