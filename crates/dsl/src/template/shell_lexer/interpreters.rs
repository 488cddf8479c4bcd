//! Programs that run what they read on their standard input as code: a
//! value that reaches one through a pipe (`echo {{x}} | sh`), a
//! here-string (`sh <<< {{x}}`) or a here-document is parsed by it, so
//! quoting the value for the command that wrote it does not keep it from
//! running. Given the words of a simple command, [`stdin_interpreter`]
//! says whether it is one (and which word names it); `xargs`, `find` and
//! process substitutions, which paste text into a script, are in
//! [`super::pasting`].
//!
//! The list (documented in docs/semantics.md, "Values that reach another
//! interpreter"): any shell (`sh bash dash zsh ksh mksh ash posh`,
//! `busybox sh`, a shell named by a variable: `$SHELL`, `"$BASH"`, `$0`,
//! see [`super::programs::names_a_shell`]) with no script operand, with
//! `-s` or with `/dev/stdin`;
//! `ssh HOST` with no remote command, or whose remote command is one of
//! these; `su`/`runuser` with no `-c` (a login shell), or whose `-c`
//! command is one; `sudo -s`/`-i` and `doas -s` with no command; every
//! wrapper that runs the command it is given (`sudo doas env timeout nice
//! ionice nohup exec command time stdbuf setsid chrt taskset flock
//! unbuffer chroot`) around one; `xargs` running a shell with no `-c`
//! (the items name its script) or whose `-c` script holds the replace
//! string of `-I`; `kubectl exec|run|debug ... -- CMD` and `docker|podman
//! exec|run ... CMD` with CMD one of these; `python*`/`pypy*`, `perl`,
//! `ruby`, `node`, `php`, `lua`, `tclsh` with no script (or `-`) and no
//! `-c`/`-e`-style program; `psql` with no `-c`/`-f FILE`, `mysql`/`mariadb`
//! with no `-e`, `sqlite3` with no SQL operand (its `.shell` runs
//! commands), `redis-cli` with no command, `clickhouse-client` with no
//! `--query`, `cqlsh` with no `-e`/`-f`, `mongosh`/`mongo` with no
//! `--eval` or script; `at`/`batch` with no `-f`; `crontab` with no file
//! or `-`; `source`/`.` of `/dev/stdin`. Commands that evaluate their
//! stdin otherwise (`eval "$(cat)"`, `sh -c sh`) are found by
//! `ShellLexer::evaluates_stdin` (evaluated_stdin.rs), which sees substitutions
//! and can lex a `-c` script; files written and run later, in
//! [`super::redirections`].

use super::super::argv::{host_of_ssh, SHELLS};
use super::pasting::xargs_runs_items;
use super::programs::{
    is_script_interpreter, is_stdin, name, reads_script_from_stdin, skip_assignments, skip_options,
    wrapped, Language, Reader,
};

/// How many commands deep (`ssh h "sudo su -c 'bash -s'"`) the remote and
/// `-c` commands are followed; deeper is taken to read its stdin.
const MAX_DEPTH: usize = 4;

/// The words of a command written as one text (`su -c "bash -s"`, the
/// remote command of `ssh`), split where the shell would split it.
fn split_command(texts: &[&str]) -> Vec<String> {
    texts
        .join(" ")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Whether the command in `text` runs its stdin as code.
fn command_reads_stdin(texts: &[&str], depth: usize) -> Option<Language> {
    if depth >= MAX_DEPTH {
        return Some(Language::Shell);
    }
    let words = split_command(texts);
    let words: Vec<Option<&str>> = words.iter().map(|w| Some(w.as_str())).collect();
    let texts: Vec<&str> = words.iter().flatten().copied().collect();
    reader_at(&words, &texts, 0, depth + 1).map(|r| r.language)
}

/// Whether the simple command `words` runs what it reads on stdin as code.
/// `texts` holds each word's text as the shell hands it on (quotes
/// removed), when the lexer kept it (after a program that hands text to
/// another shell); an empty string otherwise.
pub(super) fn stdin_interpreter(words: &[Option<&str>], texts: &[&str]) -> Option<Reader> {
    reader_at(words, texts, 0, 0)
}

fn reader_at(words: &[Option<&str>], texts: &[&str], start: usize, depth: usize) -> Option<Reader> {
    let mut i = skip_assignments(words, start);
    let shell = |word| {
        Some(Reader {
            word,
            language: Language::Shell,
        })
    };
    // Iterative over wrappers, so `sudo sudo sudo ... sh` is no recursion.
    loop {
        let program = name(words.get(i).copied().flatten()?);
        if let Some(wrapper) = wrapped(words, i) {
            if let Some(text) = wrapper.command_text {
                let command: Vec<&str> = texts.get(text).copied().into_iter().collect();
                return command_reads_stdin(&command, depth)
                    .map(|language| Reader { word: i, language });
            }
            match wrapper.command {
                Some(command) => {
                    i = command;
                    continue;
                }
                None => return wrapper.login_shell.then(|| shell(i)).flatten(),
            }
        }
        if program == "busybox" {
            i += 1;
            continue;
        }
        if SHELLS.contains(&program) {
            return reads_script_from_stdin(words, i, program)
                .then(|| shell(i))
                .flatten();
        }
        if is_script_interpreter(program) {
            return reads_script_from_stdin(words, i, program).then_some(Reader {
                word: i,
                language: Language::Other,
            });
        }
        let other = Some(Reader {
            word: i,
            language: Language::Other,
        });
        let has = |options: &[&str]| {
            words[i + 1..].iter().flatten().any(|w| {
                options
                    .iter()
                    .any(|o| w == o || (o.starts_with("--") && w.starts_with(&format!("{o}="))))
            })
        };
        return match program {
            "ssh" => {
                let host = host_of_ssh(words, i + 1)?;
                if host + 1 >= words.len() {
                    return shell(i);
                }
                let remote: Vec<&str> = (host + 1..words.len())
                    .map(|k| match words[k] {
                        Some(w) => w,
                        None => texts.get(k).copied().unwrap_or_default(),
                    })
                    .collect();
                command_reads_stdin(&remote, depth).map(|language| Reader { word: i, language })
            }
            "su" | "runuser" => {
                let command = (i + 1..words.len())
                    .find(|&j| matches!(words[j], Some("-c" | "--command")))
                    .map(|j| j + 1);
                match command {
                    None => shell(i),
                    Some(c) => {
                        let text = match words.get(c) {
                            Some(Some(w)) => *w,
                            _ => texts.get(c).copied().unwrap_or_default(),
                        };
                        command_reads_stdin(&[text], depth)
                            .map(|language| Reader { word: i, language })
                    }
                }
            }
            "xargs" => xargs_runs_items(words, texts, i),
            "kubectl" | "oc" => {
                let runs = words[i + 1..]
                    .iter()
                    .flatten()
                    .take_while(|w| **w != "--")
                    .any(|w| matches!(*w, "exec" | "run" | "debug"));
                let command = words.iter().position(|w| *w == Some("--"))? + 1;
                if !runs || command >= words.len() {
                    return None;
                }
                i = command;
                continue;
            }
            "docker" | "podman" | "nerdctl" => {
                let sub = words.get(i + 1).copied().flatten()?;
                if !matches!(sub, "exec" | "run") {
                    return None;
                }
                let j = skip_options(
                    words,
                    i + 2,
                    &[
                        "-e",
                        "--env",
                        "--env-file",
                        "-u",
                        "--user",
                        "-w",
                        "--workdir",
                        "-v",
                        "--volume",
                        "-p",
                        "--publish",
                        "--name",
                        "--network",
                        "--entrypoint",
                        "--mount",
                        "-l",
                        "--label",
                        "-h",
                        "--hostname",
                        "--platform",
                        "--pull",
                        "--detach-keys",
                        "-m",
                        "--memory",
                        "--cpus",
                    ],
                );
                // The container or image, then the command.
                if j + 1 >= words.len() {
                    return None;
                }
                i = j + 1;
                continue;
            }
            "psql" => {
                let file = (i + 1..words.len()).find_map(|j| match words[j] {
                    Some("-f" | "--file") => Some(words.get(j + 1).copied().flatten()),
                    Some(w) => w.strip_prefix("--file=").map(Some),
                    None => None,
                });
                match file {
                    Some(file) => file.is_some_and(is_stdin).then_some(other).flatten(),
                    None if has(&["-c", "--command", "-l", "--list", "-V", "--version"]) => None,
                    None => other,
                }
            }
            "mysql" | "mariadb" => {
                let execute = words[i + 1..]
                    .iter()
                    .flatten()
                    .any(|w| w.starts_with("-e") || w.starts_with("--execute"));
                (!execute).then_some(other).flatten()
            }
            "sqlite3" => {
                let j = skip_options(
                    words,
                    i + 1,
                    &[
                        "-cmd",
                        "-separator",
                        "-newline",
                        "-nullvalue",
                        "-init",
                        "-vfs",
                        "-mmap",
                        "-pagecache",
                        "-lookaside",
                        "-heap",
                        "-maxsize",
                    ],
                );
                // `sqlite3 DB SQL` runs SQL and not stdin.
                (words.len() <= j + 1).then_some(other).flatten()
            }
            "redis-cli" => {
                if has(&["--pipe"]) {
                    return other;
                }
                let j = skip_options(
                    words,
                    i + 1,
                    &[
                        "-h",
                        "-p",
                        "-s",
                        "-a",
                        "-u",
                        "-r",
                        "-i",
                        "-n",
                        "-d",
                        "-D",
                        "--user",
                        "--pass",
                        "--eval",
                        "--cacert",
                        "--cacertdir",
                        "--cert",
                        "--key",
                        "--sni",
                        "--rdb",
                        "--pattern",
                        "--count",
                        "--pipe-timeout",
                    ],
                );
                (j >= words.len() && !has(&["--eval"]))
                    .then_some(other)
                    .flatten()
            }
            "clickhouse-client" => (!has(&["-q", "--query", "--queries-file"]))
                .then_some(other)
                .flatten(),
            "cqlsh" => (!has(&["-e", "--execute", "-f", "--file"]))
                .then_some(other)
                .flatten(),
            "mongosh" | "mongo" => {
                let script = words[i + 1..]
                    .iter()
                    .flatten()
                    .any(|w| w.ends_with(".js") || w.starts_with("--eval") || *w == "-f");
                (!script).then_some(other).flatten()
            }
            "at" | "batch" => {
                let lists = has(&["-f", "-l", "-d", "-r", "-c", "-V"]);
                (!lists).then(|| shell(i)).flatten()
            }
            "crontab" => {
                if has(&["-l", "-e", "-r", "-T", "-V"]) {
                    return None;
                }
                let j = skip_options(words, i + 1, &["-u", "-s"]);
                match words.get(j) {
                    None => shell(i),
                    Some(Some(w)) if is_stdin(w) => shell(i),
                    _ => None,
                }
            }
            "source" | "." => words
                .get(i + 1)
                .copied()
                .flatten()
                .is_some_and(is_stdin)
                .then(|| shell(i))
                .flatten(),
            _ => None,
        };
    }
}
