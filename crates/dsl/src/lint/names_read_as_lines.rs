//! `lint::names_read_as_lines`: a `lines` output that splits at line ends
//! the file names a shell command writes. Names written a NUL apart
//! (`find -print0`, `git ls-files -z`, `grep -lZ`, `sort -z`) read as one
//! record holding every name; names `find` prints one a line, looped over
//! by a step that changes something, read a name holding a line break as
//! two names, each of which may exist.

use super::{new, LintRule};
use crate::ast::{Effect, ForEachList, Separator, Step};
use crate::diagnostic::Diagnostic;
use crate::plan::Plan;
use crate::template::{Quoting, Segment};

pub(super) fn names_read_as_lines(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    let Some(command) = shell_text(&plan.step_plan(i).params) else {
        return;
    };
    // What the command prints is what its last pipeline stage writes.
    let last: Vec<&str> = last_stage(&command).split_whitespace().collect();
    let nul = nul_writer(&last);
    let find = last.first() == Some(&"find");
    let lines = step
        .outputs
        .iter()
        .filter(|o| o.lines.is_some() && o.separator() == Separator::Newline);
    for output in lines {
        if let Some(flag) = nul {
            add(
                LintRule::NamesReadAsLines,
                new(format!(
                    "`{}` splits at line ends what `{}` writes a NUL apart",
                    output.name.value, step.id.value
                ))
                .label(
                    output.name.span,
                    format!("`{flag}`: every name in one record"),
                )
                .help("add `separator: nul` to the output (in .runbook, `separator nul`)"),
            );
            continue;
        }
        if !find {
            continue;
        }
        let list = format!("steps.{}.outputs.{}", step.id.value, output.name.value);
        let playbook = plan.playbook();
        let changer = playbook.steps.iter().enumerate().find(|(j, other)| {
            let loops_over = other.for_each.as_ref().is_some_and(
                |f| matches!(&f.list, ForEachList::Expr(text) if text.value.trim() == list),
            );
            loops_over && plan.step_plan(*j).effect != Effect::Read
        });
        if let Some((_, changer)) = changer {
            add(
                LintRule::NamesReadAsLines,
                new(format!(
                    "`{}` changes each of the names `find` prints one a line in `{}`",
                    changer.id.value, step.id.value
                ))
                .label(output.name.span, "a name holding a line break reads as two")
                .help("print the names with `-print0` and add `separator: nul` to the output (in .runbook, `separator nul`)"),
            );
        }
    }
}

/// The literal text of a step's shell commands (the values inserted into
/// them cannot add a flag: they are quoted).
pub(super) fn shell_text(params: &crate::plan::Params) -> Option<String> {
    let mut text = String::new();
    for (template, quoting) in super::templates(params) {
        if quoting != Quoting::Shell {
            continue;
        }
        for segment in &template.segments {
            if let Segment::Text { text: literal, .. } = segment {
                text.push_str(literal);
            }
            text.push(' ');
        }
    }
    (!text.is_empty()).then_some(text)
}

/// The text after the last `|` that is not `||`, trimmed.
fn last_stage(command: &str) -> &str {
    let bytes = command.as_bytes();
    let mut start = 0;
    for (at, &b) in bytes.iter().enumerate() {
        let doubled = (at > 0 && bytes[at - 1] == b'|') || bytes.get(at + 1) == Some(&b'|');
        if b == b'|' && !doubled {
            start = at + 1;
        }
    }
    command[start..].trim()
}

/// The flag by which the stage's program writes NUL-ended records.
fn nul_writer<'a>(words: &[&'a str]) -> Option<&'a str> {
    let program = *words.first()?;
    words.iter().skip(1).copied().find(|&word| match program {
        "find" => word == "-print0",
        "git" => word == "-z",
        "grep" | "egrep" | "fgrep" => {
            word == "--null"
                || (word.starts_with('-') && !word.starts_with("--") && word.contains('Z'))
        }
        "sort" | "uniq" | "head" | "tail" | "cut" => word == "-z" || word == "--zero-terminated",
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::{last_stage, nul_writer};

    fn flag(command: &str) -> Option<String> {
        let words: Vec<&str> = last_stage(command).split_whitespace().collect();
        nul_writer(&words).map(str::to_string)
    }

    #[test]
    fn nul_writers_are_read_off_the_last_stage() {
        assert_eq!(
            flag("find /var/log -name '*.gz' -print0").as_deref(),
            Some("-print0")
        );
        assert_eq!(flag("git ls-files -z").as_deref(), Some("-z"));
        assert_eq!(flag("grep -rlZ error /var/log").as_deref(), Some("-rlZ"));
        assert_eq!(flag("find . -print0 | sort -z").as_deref(), Some("-z"));
        // The last stage turns them back into lines.
        assert_eq!(flag("find . -print0 | xargs -0 du -sh"), None);
        // `||` is not a pipe: what `find` writes is still the output.
        assert_eq!(flag("find . -print0 || true").as_deref(), Some("-print0"));
        assert_eq!(flag("find . -name x"), None);
        assert_eq!(flag("grep -c Z file"), None);
    }
}
