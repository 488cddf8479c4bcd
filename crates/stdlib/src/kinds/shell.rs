//! `shell`: run a command. The workhorse of the seed runbooks (`kubectl`,
//! `helm`, `docker compose`, `redis-cli`, `alembic`), so its parameters are
//! the ones an operator reaches for: the command, its environment, where it
//! runs. A string command runs through `sh -c` (its inserted values already
//! shell-quoted by the renderer), an argv list with no shell at all; in its
//! own process group; stdout, stderr and the exit code captured.

use crate::params::param;
use crate::process;
use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{
    Capabilities, KindSchema, ParamProblem, ParamSchema, ParamType, ResultField,
};
use runbook_dsl::node::Node;
use runbook_dsl::template::shell_quote;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The `shell` kind. `command` is a [`ParamType::ShellTemplate`] when it is a
/// string, so that values inserted into it are quoted for their shell
/// context and cannot inject a command; an argv list ([`ParamType::Argv`])
/// runs without a shell, except for the scripts in it that a shell parses.
pub struct Shell;

#[derive(Deserialize)]
pub struct Params {
    command: CommandLine,
    env: Option<Map<String, Value>>,
    workdir: Option<String>,
    shell: Option<String>,
}

/// `command`: a line for `sh -c`, or an argv list.
#[derive(Deserialize)]
#[serde(untagged)]
enum CommandLine {
    Line(String),
    Argv(Vec<Value>),
}

/// What to execute.
fn argv(params: &Params) -> Result<Vec<String>, String> {
    match &params.command {
        CommandLine::Line(command) => {
            let shell = params.shell.as_deref().unwrap_or("sh");
            Ok(vec![shell.to_string(), "-c".into(), command.clone()])
        }
        CommandLine::Argv(items) if !items.is_empty() => Ok(items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()),
        CommandLine::Argv(_) => Err("`command` must be a string or a non-empty list".into()),
    }
}

impl Kind for Shell {
    type Params = Params;

    fn schema(&self) -> KindSchema {
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
            effect_doc: "`write`, always: a command can do anything, and nothing short of \
running it tells what. Declare `effect: read` on a probe such as `kubectl get pods` so that \
dry-run executes it.",
            rules,
            capabilities: Capabilities {
                command: Some("command"),
                ..Capabilities::default()
            },
        }
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let argv = match argv(&params) {
                Ok(argv) => argv,
                Err(e) => return ActionResult::failure(e),
            };
            if argv.iter().any(|arg| arg.contains('\0')) {
                return ActionResult::failure(
                    "the command holds a NUL byte (from an inserted value), which no command \
                     line can carry: not run",
                );
            }
            let env = params.env.as_ref();
            if let Some((name, _)) = env
                .into_iter()
                .flatten()
                .find(|(k, v)| k.contains('\0') || v.as_str().is_some_and(|v| v.contains('\0')))
            {
                return ActionResult::failure(format!(
                    "the environment variable `{}` holds a NUL byte, which no environment \
                     can carry: not run",
                    name.escape_debug()
                ));
            }
            let path_is_set = env.is_some_and(|env| env.contains_key("PATH"));
            let mut command =
                crate::spawn::Command::new(crate::program::resolve(&argv[0], path_is_set));
            // `$0` stays the name as written.
            command.arg0(&argv[0]);
            command.args(&argv[1..]);
            let dir = match &params.workdir {
                Some(dir) => ctx.workdir.join(dir),
                None => ctx.workdir.clone(),
            };
            command.current_dir(&dir);
            if let Some(env) = env {
                for (k, v) in env {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    command.env(k, v);
                }
            }
            let finished = match process::run(command, ctx).await {
                Ok(finished) => finished,
                Err(e) => {
                    return ActionResult::failure(format!(
                        "cannot run `{}` in {}: {e}",
                        argv[0],
                        dir.display()
                    ))
                }
            };
            let mut fields = Map::new();
            fields.insert("stdout".into(), Value::String(finished.stdout));
            fields.insert("stderr".into(), Value::String(finished.stderr.clone()));
            fields.insert("exit_code".into(), Value::from(finished.exit_code));
            if finished.cancelled {
                return ActionResult::failure("stopped (its process group was killed)")
                    .with_fields(fields);
            }
            // Which cap cut the output, and what set it, for the journal
            // and the report (the marker line says it inside the text).
            let cut = (!finished.cut.is_empty()).then(|| {
                let streams: Vec<String> = finished.cut.iter().map(|s| format!("`{s}`")).collect();
                format!(
                    "{} cut at the output cap ({})",
                    streams.join(" and "),
                    ctx.output_cap.describe()
                )
            });
            if finished.exit_code == 0 {
                let mut result = ActionResult::success(fields);
                result.message = cut;
                result
            } else {
                let last = finished.stderr.lines().rev().find(|l| !l.trim().is_empty());
                let mut message = match last {
                    Some(line) => format!("exited with status {}: {line}", finished.exit_code),
                    None => format!("exited with status {}", finished.exit_code),
                };
                if let Some(cut) = cut {
                    message = format!("{message}; {cut}");
                }
                ActionResult::failure(message).with_fields(fields)
            }
        })
    }

    /// The command as it would run, and the environment and directory the
    /// step gives it: an approver sees the values a command reads from
    /// `$NAME` (masked like everything shown, when secret).
    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        let mut said = match argv(params) {
            Ok(argv) if argv.len() == 3 && argv[1] == "-c" => argv[2].clone(),
            Ok(argv) => argv
                .iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => return e,
        };
        if let Some(env) = params.env.as_ref().filter(|e| !e.is_empty()) {
            // As JSON: one line, and the escaped form the masker knows.
            let pairs: Vec<String> = env
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            said.push_str(&format!("\nenv: {}", pairs.join(" ")));
        }
        if let Some(dir) = &params.workdir {
            said.push_str(&format!("\nin: {}", Value::String(dir.clone())));
        }
        said
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
        let effect = Shell.schema().default_effect;
        assert_eq!(effect(&text("kubectl get pods")), Effect::Write);
        assert_eq!(
            effect(&map(vec![("command", text("rm -rf /tmp/x"))])),
            Effect::Write
        );
        assert_eq!(effect(&map(vec![])), Effect::Write);
    }
}

#[cfg(test)]
mod run_tests {
    use super::*;
    use runbook_runtime::arguments::Arg;
    use runbook_runtime::Execute;

    fn ctx(command: Value) -> ActionContext {
        let mut args = runbook_runtime::arguments::Args::new();
        args.insert("command".into(), Arg::Value(command));
        ActionContext::new("t", args)
    }

    #[tokio::test]
    async fn captures_output_and_status() {
        let c = ctx(Value::from("echo out; echo err >&2; exit 3"));
        let r = Execute::run(&Shell, &c).await;
        assert!(!r.ok);
        assert_eq!(r.fields["stdout"], "out");
        assert_eq!(r.fields["stderr"], "err");
        assert_eq!(r.fields["exit_code"], 3);
        assert_eq!(r.message.as_deref(), Some("exited with status 3: err"));
    }

    #[tokio::test]
    async fn runs_an_argv_list_without_a_shell() {
        let c = ctx(serde_json::json!(["echo", "$(id)", "a b"]));
        let r = Execute::run(&Shell, &c).await;
        assert!(r.ok);
        assert_eq!(r.fields["stdout"], "$(id) a b");
    }
}
