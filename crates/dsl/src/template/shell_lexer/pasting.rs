//! Programs that paste text into a script another program runs: `xargs`
//! (its items become a shell's script or arguments, or replace `-I`'s
//! string inside a `sh -c` script), `find -exec sh -c '... {}'` (the names
//! it finds), a process substitution that is a shell's script (`bash
//! <(...)`). A value that decides that text is code for the script's shell.

use super::super::argv::{host_of_ssh, script_of_shell, SHELLS};
use super::programs::{
    command_index, is_script_interpreter, name, operands_start, Language, Reader,
};

/// `xargs [options] COMMAND`: the items it reads become code when COMMAND
/// is a shell with no `-c` (they name its script and its arguments) or a
/// shell or `ssh` whose script holds the replace string of `-I`/`-i`.
pub(super) fn xargs_runs_items(words: &[Option<&str>], texts: &[&str], i: usize) -> Option<Reader> {
    let mut replace: Option<String> = None;
    let mut j = i + 1;
    while let Some(Some(word)) = words.get(j) {
        if *word == "--" {
            j += 1;
            break;
        }
        if !word.starts_with('-') || *word == "-" {
            break;
        }
        match *word {
            "-I" => {
                replace = Some(
                    words
                        .get(j + 1)
                        .copied()
                        .flatten()
                        .unwrap_or("{}")
                        .to_string(),
                );
                j += 2;
                continue;
            }
            "-i" | "--replace" => replace = Some("{}".into()),
            w if w.starts_with("--replace=") => replace = Some(w["--replace=".len()..].into()),
            w if w.starts_with("-I") || w.starts_with("-i") => replace = Some(w[2..].into()),
            _ => {}
        }
        let takes_next = matches!(
            *word,
            "-a" | "--arg-file"
                | "-d"
                | "--delimiter"
                | "-E"
                | "-L"
                | "--max-lines"
                | "-n"
                | "--max-args"
                | "-P"
                | "--max-procs"
                | "-s"
                | "--max-chars"
                | "--process-slot-var"
        );
        j += if takes_next { 2 } else { 1 };
    }
    // The command, through the wrappers that run it.
    let command = command_index(words, j)?;
    let program = name(words.get(command).copied().flatten()?);
    let text = |k: usize| match words.get(k) {
        Some(Some(w)) => w.to_string(),
        _ => texts.get(k).copied().unwrap_or_default().to_string(),
    };
    let script = if SHELLS.contains(&program) {
        match script_of_shell(words, command + 1) {
            Some(script) => text(script),
            // Items are the shell's script and its arguments.
            None => {
                return Some(Reader {
                    word: command,
                    language: Language::Shell,
                })
            }
        }
    } else if program == "ssh" {
        let host = host_of_ssh(words, command + 1)?;
        (host + 1..words.len())
            .map(text)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        return None;
    };
    let pasted =
        replace.is_some_and(|r| !r.is_empty() && (script.contains(&r) || script.contains('\u{0}')));
    pasted.then_some(Reader {
        word: command,
        language: Language::Shell,
    })
}

/// `find ... -exec sh -c 'SCRIPT' \;` (or `-execdir`, `-ok`, `-okdir`)
/// whose SCRIPT holds `{}`: find pastes each name it finds into the
/// script, so a value among find's operands (the directory it starts
/// from, a `-name` pattern) decides text that the shell parses. Returns
/// the index of the shell's word.
pub(super) fn find_pastes_names(words: &[Option<&str>], texts: &[&str]) -> Option<usize> {
    let find = words
        .iter()
        .position(|w| w.is_some_and(|w| name(w) == "find"))?;
    let mut k = find + 1;
    while k < words.len() {
        if matches!(words[k], Some("-exec" | "-execdir" | "-ok" | "-okdir")) {
            let shell = k + 1;
            let program = words.get(shell).copied().flatten().map(name);
            if program.is_some_and(|p| SHELLS.contains(&p)) {
                if let Some(script) = script_of_shell(words, shell + 1) {
                    let text = match words[script] {
                        Some(w) => w,
                        None => texts.get(script).copied().unwrap_or_default(),
                    };
                    if text.contains("{}") || text.contains('\u{0}') {
                        return Some(shell);
                    }
                }
            }
        }
        k += 1;
    }
    None
}

/// The script operand of a shell or script interpreter that runs a file
/// (`bash FILE`, `source FILE`, `python3 FILE`, also behind a wrapper:
/// `sudo bash FILE`), as (program, operand) indexes: when the operand is a
/// process substitution (`bash <(...)`), what the substitution prints is
/// the script; when it is a file the command wrote earlier, what it wrote.
pub(super) fn script_operand(words: &[Option<&str>]) -> Option<(usize, usize)> {
    let p = command_index(words, 0)?;
    let program = words[p].map(name)?;
    if matches!(program, "source" | ".") {
        return (words.len() > p + 1).then_some((p, p + 1));
    }
    if !SHELLS.contains(&program) && !is_script_interpreter(program) {
        return None;
    }
    let (j, stdin) = operands_start(words, p + 1, program)?;
    (!stdin && j < words.len()).then_some((p, j))
}
