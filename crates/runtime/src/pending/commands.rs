//! The exact commands that decide a pending record, as text a person
//! copies into a terminal: every word taken from the record (the step's
//! address, a choice) or from the journal directory's path is shell-quoted,
//! so a pasted command is the command shown and nothing more.

use super::decide::Verdict;
use super::record::{AnswerSpec, PendingKind, PendingRecord};
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
    let dir = journal_dir
        .map(|d| format!(" --journal-dir {}", shell_quote(&d.display().to_string())))
        .unwrap_or_default();
    let run = shell_quote(&record.run_id);
    let step = shell_quote(&record.step);
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
                        command: line("answer", &shell_quote(&format!("{}={choice}", record.step))),
                    });
                }
            }
            _ => out.push(DecideCommand {
                verb: "answer",
                label: "answer".into(),
                command: line("answer", &format!("{}=VALUE", shell_quote(&record.step))),
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
}
