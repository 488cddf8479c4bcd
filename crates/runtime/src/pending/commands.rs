//! The exact commands that decide a pending record, as text a person
//! copies into a terminal: every word taken from the record (the step's
//! address, a choice) or from the journal directory's path is shell-quoted,
//! so a pasted command is the command shown and nothing more.

use super::decide::Verdict;
use super::record::{AnswerSpec, PendingKind, PendingRecord};
use super::target::Target;
use runbook_dsl::template::shell_quote;
use serde::Serialize;
use std::path::Path;

/// One way to decide a pending record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecideCommand {
    /// `approve`, `reject` or `answer`.
    pub verb: &'static str,
    /// What it does, for a label: `approve`, `answer platform`, ...
    pub label: String,
    /// The command line, its words shell-quoted; `VALUE` stands for a
    /// number or a text the person types.
    pub command: String,
}

/// The commands that decide `record`, with `--journal-dir DIR` when the
/// run store is not found from the environment of whoever pastes them.
pub fn commands(record: &PendingRecord, journal_dir: Option<&Path>) -> Vec<DecideCommand> {
    let dir = dir_words(journal_dir);
    let run = shell_quote(&record.run_id);
    // The step, and its loop's element when it has one: a bare step would
    // be refused while several elements wait.
    let target = Target::of(record).to_string();
    let step = shell_quote(&target);
    let line = |verb: &str, target: &str| format!("runbook {verb} {run} {target}{dir}");
    let mut out = Vec::new();
    match record.kind {
        PendingKind::Gate | PendingKind::Manual => out.push(DecideCommand {
            verb: Verdict::APPROVE,
            label: if record.kind == PendingKind::Manual {
                "it is done".into()
            } else {
                Verdict::APPROVE.into()
            },
            command: line(Verdict::APPROVE, &step),
        }),
        PendingKind::Ask => match &record.answer {
            Some(AnswerSpec::Choice { choices }) => {
                for choice in choices {
                    out.push(DecideCommand {
                        verb: "answer",
                        label: format!("answer {choice}"),
                        command: line("answer", &shell_quote(&format!("{target}={choice}"))),
                    });
                }
            }
            _ => out.push(DecideCommand {
                verb: "answer",
                label: "answer".into(),
                command: line("answer", &format!("{step}=VALUE")),
            }),
        },
    }
    out.push(DecideCommand {
        verb: "reject",
        label: "reject".into(),
        command: line("reject", &step),
    });
    out
}

/// The one command a prompt shows for deciding `record` from another
/// terminal: approve a gate or a `manual` step, answer an `ask`
/// (`STEP=VALUE`).
pub fn hint(record: &PendingRecord, journal_dir: Option<&Path>) -> String {
    match record.kind {
        // A choice has one command per answer: the prompt lists them.
        PendingKind::Ask => format!(
            "runbook answer {} {}=VALUE{}",
            shell_quote(&record.run_id),
            shell_quote(&Target::of(record).to_string()),
            dir_words(journal_dir)
        ),
        _ => commands(record, journal_dir).swap_remove(0).command,
    }
}

/// ` --journal-dir DIR`, quoted, or nothing.
fn dir_words(journal_dir: Option<&Path>) -> String {
    journal_dir
        .map(|d| format!(" --journal-dir {}", shell_quote(&d.display().to_string())))
        .unwrap_or_default()
}

/// ` --journal-dir DIR`, quoted, for a command printed on a terminal, when
/// [`journal_dir_to_name`] says it must be named; else nothing.
pub fn journal_dir_flag(journal_dir: &Path) -> String {
    dir_words(journal_dir_to_name(journal_dir))
}

/// `journal_dir` if a `runbook` started in the same environment would not
/// find it by itself (it is not `$RUNBOOK_JOURNAL_DIR`, nor, when that is
/// unset, the default): the decide commands printed for a terminal name it
/// then, and only then.
pub fn journal_dir_to_name(journal_dir: &Path) -> Option<&Path> {
    let found = std::env::var_os(crate::journal::DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::journal::DEFAULT_DIR.into());
    (journal_dir != found).then_some(journal_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: PendingKind, step: &str, answer: Option<AnswerSpec>) -> PendingRecord {
        PendingRecord {
            answer,
            ..PendingRecord::for_tests(kind, "20261201T031500Z-4f3a9c", step)
        }
    }

    #[test]
    fn every_word_from_the_record_or_the_directory_is_quoted() {
        let gate = record(PendingKind::Gate, "restart[0]", None);
        let dir = Path::new("/srv/run book/$(touch x)");
        let lines: Vec<String> = commands(&gate, Some(dir))
            .into_iter()
            .map(|c| c.command)
            .collect();
        assert_eq!(
            lines,
            [
                "runbook approve 20261201T031500Z-4f3a9c 'restart[0]' --journal-dir '/srv/run book/$(touch x)'",
                "runbook reject 20261201T031500Z-4f3a9c 'restart[0]' --journal-dir '/srv/run book/$(touch x)'",
            ]
        );
        let ask = record(
            PendingKind::Ask,
            "classify",
            Some(AnswerSpec::Choice {
                choices: vec!["workload".into(), "it's $(x)".into()],
            }),
        );
        let lines: Vec<String> = commands(&ask, None)
            .into_iter()
            .map(|c| c.command)
            .collect();
        assert_eq!(
            lines,
            [
                "runbook answer 20261201T031500Z-4f3a9c classify=workload",
                "runbook answer 20261201T031500Z-4f3a9c 'classify=it'\\''s $(x)'",
                "runbook reject 20261201T031500Z-4f3a9c classify",
            ]
        );
        let text = record(PendingKind::Ask, "why", Some(AnswerSpec::Text));
        assert_eq!(
            commands(&text, None)[0].command,
            "runbook answer 20261201T031500Z-4f3a9c why=VALUE"
        );
    }

    #[test]
    fn an_elements_commands_name_it_alone() {
        let mut gate = record(PendingKind::Gate, "drain", None);
        gate.element = Some("[1] it's \"q\" ]x[".into());
        assert_eq!(
            commands(&gate, None)[0].command,
            "runbook approve 20261201T031500Z-4f3a9c 'drain[it'\\''s \"q\" ]x[]'"
        );
        gate.element = Some("[12] 7".into());
        assert_eq!(
            hint(&gate, None),
            "runbook approve 20261201T031500Z-4f3a9c 'drain[\"7\"]'"
        );
    }

    #[test]
    fn the_prompts_hint_is_one_quoted_command() {
        let dir = Path::new("team's runs");
        let gate = record(PendingKind::Gate, "rollback.confirm[1]", None);
        assert_eq!(
            hint(&gate, Some(dir)),
            "runbook approve 20261201T031500Z-4f3a9c 'rollback.confirm[1]' --journal-dir 'team'\\''s runs'"
        );
        let ask = record(
            PendingKind::Ask,
            "classify",
            Some(AnswerSpec::Choice {
                choices: vec!["workload".into(), "platform".into()],
            }),
        );
        assert_eq!(
            hint(&ask, None),
            "runbook answer 20261201T031500Z-4f3a9c classify=VALUE"
        );
        let manual = record(PendingKind::Manual, "status page", None);
        assert_eq!(
            hint(&manual, None),
            "runbook approve 20261201T031500Z-4f3a9c 'status page'"
        );
    }
}
