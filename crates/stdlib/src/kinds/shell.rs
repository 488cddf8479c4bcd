//! `shell`: run a command. The workhorse of the seed runbooks (`kubectl`,
//! `helm`, `docker compose`, `redis-cli`, `alembic`), so its parameters are
//! the ones an operator reaches for: the command, its environment, where it
//! runs.

use crate::params::param;
use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{KindSchema, ParamProblem, ParamSchema, ParamType, ResultField};
use runbook_dsl::node::Node;

pub const EFFECT: &str = "`write`, always: a command can do anything, and nothing short of \
running it tells what. Declare `effect: read` on a probe such as `kubectl get pods` so that \
dry-run executes it.";

/// The `shell` kind. `command` is a [`ParamType::ShellTemplate`] when it is a
/// string, so that values inserted into it are quoted for their shell
/// context and cannot inject a command; an argv list ([`ParamType::Argv`])
/// runs without a shell, except for the scripts in it that a shell parses.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "shell",
        summary: "Run a command through `sh -c`, or an argv list directly.",
        params: vec![
            ParamSchema::required(
                "command",
                ParamType::OneOf(vec![ParamType::ShellTemplate, ParamType::Argv]),
                "A command line run by `sh -c` (inserted values are quoted for where they land), or an argv list run without a shell (in which the script of `sh -c` and the command of `ssh` are shell templates).",
            ),
            ParamSchema::optional(
                "env",
                ParamType::Map(Box::new(ParamType::Template)),
                "Environment variables added to the runner's environment.",
            ),
            ParamSchema::optional(
                "workdir",
                ParamType::Template,
                "Working directory, relative to the directory `runbook` was started in; defaults to it (not the playbook's directory).",
            ),
            ParamSchema::optional(
                "shell",
                ParamType::String,
                "POSIX shell that runs a string command instead of `sh` (`bash`, `dash`, `ksh`, `zsh`), invoked with `-c`.",
            ),
        ],
        shorthand: Some("command"),
        results: vec![
            ResultField::new("stdout", ValueType::String, "Standard output, trailing newline removed."),
            ResultField::new("stderr", ValueType::String, "Standard error, trailing newline removed."),
            ResultField::new("exit_code", ValueType::Int, "Exit status; a non-zero status fails the step."),
        ],
        primary_result: "stdout",
        default_effect: super::writes,
        rules,
    }
}

/// Shells whose quoting is POSIX's: the quoting of inserted values is
/// written for them (`fish` and `csh` read `'...'` differently).
const POSIX_SHELLS: &[&str] = &["sh", "bash", "dash", "ksh", "mksh", "zsh", "ash", "posh"];

fn rules(params: &Node) -> Vec<ParamProblem> {
    let Some(shell) = param(params, Some("command"), "shell") else {
        return Vec::new();
    };
    let Some(name) = shell.scalar_string() else {
        return Vec::new();
    };
    let program = name.rsplit('/').next().unwrap_or(&name);
    if POSIX_SHELLS.contains(&program) {
        return Vec::new();
    }
    vec![ParamProblem {
        code: runbook_dsl::Code::InvalidParam,
        span: shell.span,
        message: format!("`{name}` is not a POSIX shell"),
        label: "not a POSIX shell".into(),
        help: "inserted values are quoted for POSIX shells: use `sh`, `bash`, `dash`, `ksh` or `zsh`, or run another interpreter through an argv list".into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{map, text};
    use runbook_dsl::ast::Effect;

    #[test]
    fn only_posix_shells_run_string_commands() {
        let with = |shell: &str| {
            rules(&map(vec![
                ("command", text("echo {{inputs.x}}")),
                ("shell", text(shell)),
            ]))
        };
        assert!(with("bash").is_empty());
        assert!(with("/usr/bin/zsh").is_empty());
        assert_eq!(with("fish")[0].message, "`fish` is not a POSIX shell");
        assert!(rules(&text("echo hi")).is_empty());
    }

    #[test]
    fn every_command_writes() {
        let effect = schema().default_effect;
        assert_eq!(effect(&text("kubectl get pods")), Effect::Write);
        assert_eq!(
            effect(&map(vec![("command", text("rm -rf /tmp/x"))])),
            Effect::Write
        );
        assert_eq!(effect(&map(vec![])), Effect::Write);
    }
}
