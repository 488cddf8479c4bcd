//! Running a `shell` step: a string command through `sh -c` (its inserted
//! values already shell-quoted by the renderer), or an argv list with no
//! shell at all; in its own process group; stdout, stderr and the exit code
//! captured.

use crate::process;
use runbook_dsl::template::shell_quote;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{Action, ActionContext, ActionResult};
use serde_json::{Map, Value};
use tokio::process::Command;

/// The `shell` action.
pub struct Shell;

/// What to execute, from the rendered parameters.
fn argv(ctx: &ActionContext) -> Result<Vec<String>, String> {
    match ctx.args.get("command").and_then(|a| a.as_value()) {
        Some(Value::String(command)) => {
            let shell = ctx.str_arg("shell").unwrap_or("sh");
            Ok(vec![shell.to_string(), "-c".into(), command.clone()])
        }
        Some(Value::Array(items)) if !items.is_empty() => Ok(items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()),
        _ => Err("`command` must be a string or a non-empty list".into()),
    }
}

impl Action for Shell {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let argv = match argv(ctx) {
                Ok(argv) => argv,
                Err(e) => return ActionResult::failure(e),
            };
            let env = match ctx.args.get("env").and_then(|a| a.as_value()) {
                Some(Value::Object(env)) => Some(env),
                _ => None,
            };
            let path_is_set = env.is_some_and(|env| env.contains_key("PATH"));
            let mut command = Command::new(crate::program::resolve(&argv[0], path_is_set));
            // `$0` stays the name as written.
            command.arg0(&argv[0]);
            command.args(&argv[1..]);
            let dir = match ctx.str_arg("workdir") {
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
            if finished.exit_code == 0 {
                ActionResult::success(fields)
            } else {
                let last = finished.stderr.lines().rev().find(|l| !l.trim().is_empty());
                let message = match last {
                    Some(line) => format!("exited with status {}: {line}", finished.exit_code),
                    None => format!("exited with status {}", finished.exit_code),
                };
                ActionResult::failure(message).with_fields(fields)
            }
        })
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        match argv(ctx) {
            Ok(argv) if argv.len() == 3 && argv[1] == "-c" => argv[2].clone(),
            Ok(argv) => argv
                .iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => e,
        }
    }

    fn primary_result(&self) -> &'static str {
        "stdout"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_runtime::render::Arg;

    fn ctx(command: Value) -> ActionContext {
        let mut args = runbook_runtime::render::Args::new();
        args.insert("command".into(), Arg::Value(command));
        ActionContext::new("t", args)
    }

    #[tokio::test]
    async fn captures_output_and_status() {
        let c = ctx(Value::from("echo out; echo err >&2; exit 3"));
        let r = Shell.run(&c).await;
        assert!(!r.ok);
        assert_eq!(r.fields["stdout"], "out");
        assert_eq!(r.fields["stderr"], "err");
        assert_eq!(r.fields["exit_code"], 3);
        assert_eq!(r.message.as_deref(), Some("exited with status 3: err"));
    }

    #[tokio::test]
    async fn runs_an_argv_list_without_a_shell() {
        let c = ctx(serde_json::json!(["echo", "$(id)", "a b"]));
        let r = Shell.run(&c).await;
        assert!(r.ok);
        assert_eq!(r.fields["stdout"], "$(id) a b");
    }
}
