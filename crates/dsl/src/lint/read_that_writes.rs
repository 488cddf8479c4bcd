//! `lint::read_that_writes`: a `shell` step declared `effect: read` whose
//! command plainly changes something: a redirection into a file, or a
//! program that writes (`mkdir`, `rm`, `kill`, `systemctl restart`,
//! `kubectl delete`, `sed -i`, `tee FILE`). A read runs in a dry-run and
//! is never asked for, so the declaration decides whether the preview
//! changes the world. Only the literal text is read: an inserted value is
//! quoted, so it cannot add a redirection or a program.

use super::{new, LintRule};
use crate::ast::{Effect, Step};
use crate::diagnostic::Diagnostic;
use crate::plan::Plan;

pub(super) fn read_that_writes(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    let Some(declared) = &step.effect else {
        return;
    };
    if plan.step_plan(i).effect != Effect::Read {
        return;
    }
    let Some(command) = super::names_read_as_lines::shell_text(&plan.step_plan(i).params) else {
        return;
    };
    let Some(write) = first_write(&command) else {
        return;
    };
    add(
        LintRule::ReadThatWrites,
        new(format!(
            "`{}` is declared `effect: read`, but its command {write}",
            step.id.value
        ))
        .label(declared.span, "declared read: a dry-run runs it, and nobody is asked")
        .help("declare `effect: write` (a dry-run then describes it instead of running it, and it can be gated), or take the write out of a step meant to read"),
    );
}

/// What the command writes, said for a message: the first redirection into
/// a file, or the first program that changes something.
pub(super) fn first_write(command: &str) -> Option<String> {
    let words = words(command);
    let mut at_command = true;
    let mut program: Option<&str> = None;
    let mut args: Vec<&str> = Vec::new();
    for word in &words {
        match word {
            Word::Separator => {
                if let Some(write) = program.and_then(|p| writer(p, &args)) {
                    return Some(write);
                }
                program = None;
                args.clear();
                at_command = true;
            }
            Word::Redirect(target) => {
                let quiet = target.starts_with('&')
                    || matches!(
                        target.as_str(),
                        "/dev/null" | "/dev/stderr" | "/dev/stdout" | "/dev/tty" | "-"
                    );
                if !quiet {
                    return Some(format!("writes to `{target}`"));
                }
            }
            Word::Text(text) if at_command => {
                let assignment = text.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
                if !assignment && !PREFIXES.contains(&text.as_str()) {
                    program = Some(text.as_str());
                    at_command = false;
                }
            }
            Word::Text(text) => args.push(text.as_str()),
        }
    }
    program.and_then(|p| writer(p, &args))
}

/// Words before a command that leave it the command (`sudo rm`, `if rm`).
const PREFIXES: [&str; 17] = [
    "sudo", "env", "command", "exec", "nohup", "time", "nice", "ionice", "timeout", "if", "then",
    "else", "elif", "do", "while", "until", "!",
];

/// Whether `program` with `args` changes something, said for a message.
fn writer(program: &str, args: &[&str]) -> Option<String> {
    let name = program.rsplit('/').next().unwrap_or(program);
    let runs = |what: &str| Some(format!("runs `{what}`"));
    match name {
        "mkdir" | "rmdir" | "rm" | "mv" | "cp" | "touch" | "ln" | "chmod" | "chown" | "chgrp"
        | "truncate" | "dd" | "install" | "shred" | "mkfifo" | "mknod" | "kill" | "pkill"
        | "killall" | "reboot" | "shutdown" | "useradd" | "userdel" | "crontab" => runs(name),
        "tee" => args
            .iter()
            .find(|a| !a.starts_with('-') && !a.starts_with("/dev/"))
            .map(|file| format!("writes to `{file}` (`tee`)")),
        "sed" | "perl" => args
            .iter()
            .find(|a| a.starts_with("-i") || a.starts_with("--in-place") || **a == "-pi")
            .map(|flag| format!("edits files in place (`{name} {flag}`)")),
        "systemctl" | "service" => args
            .iter()
            .find(|a| {
                matches!(
                    **a,
                    "start"
                        | "stop"
                        | "restart"
                        | "reload"
                        | "enable"
                        | "disable"
                        | "mask"
                        | "kill"
                        | "try-restart"
                        | "reload-or-restart"
                )
            })
            .map(|verb| format!("runs `{name} {verb}`")),
        "kubectl" | "oc" => args
            .iter()
            .find(|a| {
                matches!(
                    **a,
                    "apply"
                        | "create"
                        | "delete"
                        | "patch"
                        | "replace"
                        | "scale"
                        | "annotate"
                        | "label"
                        | "edit"
                        | "drain"
                        | "cordon"
                        | "uncordon"
                        | "taint"
                        | "set"
                        | "autoscale"
                        | "expose"
                )
            })
            .map(|verb| format!("runs `{name} {verb}`")),
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum Word {
    Text(String),
    /// `>`, `>>`, `>|`, `&>`, `N>`: where it goes (`&2` for a descriptor).
    Redirect(String),
    /// `;`, `&`, `|`, `&&`, `||`, a line break, `(`, `)`, `{`, `}`, `$(`,
    /// a backquote: a new command follows.
    Separator,
}

/// The command's words, quotes removed, with its redirections and the
/// places a new command starts. Rough by design: enough to tell a write,
/// never used to decide how a value is quoted.
fn words(command: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut redirect = false;
    let chars: Vec<char> = command.chars().collect();
    let mut i = 0;
    let flush = |word: &mut String, redirect: &mut bool, out: &mut Vec<Word>| {
        if !word.is_empty() {
            out.push(if *redirect {
                Word::Redirect(std::mem::take(word))
            } else {
                Word::Text(std::mem::take(word))
            });
            *redirect = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    if next != '\n' {
                        word.push(next);
                    }
                    i += 1;
                }
            }
            '#' if word.is_empty() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ' ' | '\t' => flush(&mut word, &mut redirect, &mut out),
            '>' => {
                // `2>`: the descriptor is not a word.
                if word.bytes().all(|b| b.is_ascii_digit()) || word == "&" {
                    word.clear();
                } else {
                    flush(&mut word, &mut redirect, &mut out);
                }
                while matches!(chars.get(i + 1), Some('>' | '|')) {
                    i += 1;
                }
                if chars.get(i + 1) == Some(&'&') {
                    word.push('&');
                    i += 1;
                }
                redirect = true;
                // The target follows, maybe after blanks.
                while matches!(chars.get(i + 1), Some(' ' | '\t')) {
                    i += 1;
                }
            }
            '<' => {
                flush(&mut word, &mut redirect, &mut out);
                // An input's source is a word to skip.
                while matches!(chars.get(i + 1), Some('<' | ' ' | '\t')) {
                    i += 1;
                }
                while let Some(&next) = chars.get(i + 1) {
                    if next.is_whitespace() || ";&|()".contains(next) {
                        break;
                    }
                    i += 1;
                }
            }
            ';' | '|' | '(' | ')' | '`' | '\n' | '{' | '}' => {
                flush(&mut word, &mut redirect, &mut out);
                out.push(Word::Separator);
            }
            '&' => {
                if chars.get(i + 1) == Some(&'>') {
                    // `&>file`: both streams.
                    flush(&mut word, &mut redirect, &mut out);
                } else {
                    flush(&mut word, &mut redirect, &mut out);
                    out.push(Word::Separator);
                }
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                flush(&mut word, &mut redirect, &mut out);
                out.push(Word::Separator);
                i += 1;
            }
            _ => word.push(c),
        }
        i += 1;
    }
    flush(&mut word, &mut redirect, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::first_write;

    #[test]
    fn plain_writes_are_found() {
        for (command, said) in [
            (
                "mkdir -p evidence && echo x > evidence/t.txt",
                "runs `mkdir`",
            ),
            ("echo x > evidence/t.txt", "writes to `evidence/t.txt`"),
            ("echo x >>log", "writes to `log`"),
            ("date &> out.log", "writes to `out.log`"),
            ("FOO=1 sudo rm -rf /tmp/x", "runs `rm`"),
            ("cat a | tee copy", "writes to `copy` (`tee`)"),
            ("sed -i 's/a/b/' f", "edits files in place (`sed -i`)"),
            ("systemctl restart nginx", "runs `systemctl restart`"),
            ("x=$(kubectl delete pod a)", "runs `kubectl delete`"),
            ("if true; then /bin/kill -9 1; fi", "runs `kill`"),
        ] {
            assert_eq!(first_write(command).as_deref(), Some(said), "{command}");
        }
    }

    #[test]
    fn reads_are_left_alone() {
        for command in [
            "echo 'a > b' \"c > d\" e\\>f",
            "grep -c ERROR app.log 2>/dev/null",
            "curl -s http://x 2>&1 | head -n 5",
            "cmd >&2",
            "ls -l /tmp # > not a redirect",
            "kubectl get pods -o json",
            "systemctl status nginx",
            "sed -n 1p f",
            "cat a | tee /dev/stderr",
            "echo rm mkdir",
            "sort < input.txt",
            "redis-cli -p 6390 INFO memory",
        ] {
            assert_eq!(first_write(command), None, "{command}");
        }
    }
}
