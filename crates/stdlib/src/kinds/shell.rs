//! `shell`: run a command. The workhorse of the seed runbooks (`kubectl`,
//! `helm`, `docker compose`, `redis-cli`, `alembic`), so its parameters are
//! the ones an operator reaches for: the command, its environment, where it
//! runs.

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType, ResultField};

pub const EFFECT: &str = "`write`, always: a command can do anything, and nothing short of \
running it tells what. Declare `effect: read` on a probe such as `kubectl get pods` so that \
dry-run executes it.";

/// The `shell` kind. `command` is a [`ParamType::ShellTemplate`] when it is a
/// string, so that values inserted into it are shell-quoted and cannot inject
/// a command; an argv list runs without a shell at all.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "shell",
        summary: "Run a command through `sh -c`, or an argv list directly.",
        params: vec![
            ParamSchema::required(
                "command",
                ParamType::OneOf(vec![
                    ParamType::ShellTemplate,
                    ParamType::List(Box::new(ParamType::Template)),
                ]),
                "A command line run by `sh -c` (inserted values are shell-quoted), or an argv list run without a shell.",
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
                "Shell that runs a string command instead of `sh` (`bash`, say), invoked with `-c`.",
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
        rules: runbook_dsl::catalog::no_rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{map, text};
    use runbook_dsl::ast::Effect;

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
