//! Programs that run what they read on their standard input as code: a
//! value that reaches one through a pipe (`echo {{x}} | sh`), a
//! here-string (`sh <<< {{x}}`) or a here-document is parsed by it, so
//! quoting the value for the command that wrote it does not keep it from
//! running. Given the words of a simple command, [`stdin_interpreter`]
//! says whether it is one (and which word names it); [`find_pastes_names`]
//! says whether a `find` pastes the names it finds into a script.
//!
//! The list (documented in docs/semantics.md, "Values that reach another
//! interpreter"): any shell (`sh bash dash zsh ksh mksh ash posh`,
//! `busybox sh`) with no script operand, with `-s` or with `/dev/stdin`;
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
//! or `-`; `source`/`.` of `/dev/stdin`.

use super::super::argv::{host_of_ssh, script_of_shell, SHELLS};

/// The name of the program at `word`, without its directory.
fn name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Whether `word` reads as a path to standard input.
fn is_stdin(word: &str) -> bool {
    matches!(word, "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0")
}

/// What the code read from stdin is written in: `{{quote}}` quotes a
/// value for one more shell, which is right only when it is a shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Shell,
    Other,
}

/// A program found to run its stdin as code: the index of the word naming
/// it, and what it parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Reader {
    pub(super) word: usize,
    pub(super) language: Language,
}

/// How many commands deep (`ssh h "sudo su -c 'bash -s'"`) the remote and
/// `-c` commands are followed; deeper is taken to read its stdin.
const MAX_DEPTH: usize = 4;

/// Programs that run the command after their own options, with the
/// options that take the next word as their argument and how many
/// operands come before the command (`timeout DURATION`, `flock FILE`).
const WRAPPERS: &[(&str, &[&str], usize)] = &[
    (
        "sudo",
        &[
            "-u",
            "-g",
            "-C",
            "-D",
            "-h",
            "-p",
            "-r",
            "-t",
            "-U",
            "-R",
            "-T",
            "--user",
            "--group",
            "--chdir",
            "--prompt",
            "--host",
            "--role",
            "--type",
            "--other-user",
            "--close-from",
            "--command-timeout",
        ],
        0,
    ),
    ("doas", &["-u", "-C"], 0),
    (
        "env",
        &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
        0,
    ),
    ("timeout", &["-s", "--signal", "-k", "--kill-after"], 1),
    ("nice", &["-n", "--adjustment"], 0),
    (
        "ionice",
        &["-c", "--class", "-n", "--classdata", "-p", "--pid"],
        0,
    ),
    ("nohup", &[], 0),
    ("exec", &["-a"], 0),
    ("command", &[], 0),
    ("time", &["-f", "--format", "-o", "--output"], 0),
    ("stdbuf", &["-i", "-o", "-e"], 0),
    ("setsid", &[], 0),
    ("chrt", &[], 1),
    ("taskset", &[], 1),
    (
        "flock",
        &["-w", "--timeout", "-E", "--conflict-exit-code"],
        1,
    ),
    ("unbuffer", &[], 0),
    ("chroot", &["--userspec", "--groups"], 1),
];

/// The index of the first word from `i` that is not an option (those in
/// `with_arg` take the next word too) or an `env`-style assignment.
fn skip_options(words: &[Option<&str>], mut i: usize, with_arg: &[&str]) -> usize {
    while let Some(Some(word)) = words.get(i) {
        if *word == "--" {
            return i + 1;
        }
        let assignment = word.contains('=') && !word.starts_with('-');
        if (!word.starts_with('-') || *word == "-") && !assignment {
            break;
        }
        let takes_next = with_arg.contains(word);
        i += if takes_next { 2 } else { 1 };
    }
    i
}

/// Options of the interpreters that take the next word as their argument.
fn interpreter_options(program: &str) -> &'static [&'static str] {
    match program {
        "perl" | "ruby" => &["-I", "-r", "-C", "-E"],
        "node" | "nodejs" => &["-r", "--require", "--import", "--loader", "--input-type"],
        "lua" | "luajit" => &["-l"],
        _ if program.starts_with("python") || program.starts_with("pypy") => &["-W", "-X", "-Q"],
        _ => &[],
    }
}

/// Whether a script interpreter's options hold the program itself
/// (`python -c`, `perl -ne`, `node --eval`, `php -r`, `lua -e`).
fn program_in_options(program: &str, option: &str) -> bool {
    let flags = option.strip_prefix('-').unwrap_or_default();
    match program {
        "node" | "nodejs" => {
            matches!(option, "-e" | "--eval" | "-p" | "--print") || option.starts_with("--eval=")
        }
        "php" => matches!(option, "-r" | "-f" | "-B" | "-E" | "-R" | "-F"),
        "lua" | "luajit" => option == "-e",
        // `-I/usr/lib`, `-Mstrict`, `-0777`: options with attached text.
        "perl" | "ruby" => {
            !flags.starts_with(['I', 'M', 'm', '0', 'i', 'x', 'd', 'D', 'C', 'r', 'W'])
                && flags.contains(['e', 'E'])
        }
        _ => !option.starts_with("--") && flags.contains(['c', 'm']),
    }
}

/// Script interpreters that read their program from stdin when they are
/// given none.
fn is_script_interpreter(program: &str) -> bool {
    matches!(
        program,
        "perl" | "ruby" | "node" | "nodejs" | "php" | "lua" | "luajit" | "tclsh" | "wish"
    ) || program.starts_with("python")
        || program.starts_with("pypy")
}

/// Whether a shell's options and operands (from `i`) leave it reading its
/// script from stdin: no `-c`, and `-s` or no script operand.
fn shell_reads_stdin(words: &[Option<&str>], mut i: usize) -> bool {
    let mut stdin = false;
    while let Some(Some(word)) = words.get(i) {
        if *word == "--" || *word == "-" {
            i += 1;
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            i += if matches!(long, "rcfile" | "init-file") {
                2
            } else {
                1
            };
            continue;
        }
        let Some(flags) = word
            .strip_prefix('-')
            .or_else(|| word.strip_prefix('+'))
            .filter(|f| !f.is_empty())
        else {
            break;
        };
        if flags.contains('c') {
            return false;
        }
        stdin |= flags.contains('s');
        i += if flags.ends_with('o') { 2 } else { 1 };
    }
    stdin
        || match words.get(i) {
            None => true,
            Some(Some(operand)) => is_stdin(operand),
            Some(None) => false,
        }
}

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
    let mut i = start;
    let shell = |word| {
        Some(Reader {
            word,
            language: Language::Shell,
        })
    };
    // Iterative over wrappers, so `sudo sudo sudo ... sh` is no recursion.
    loop {
        let program = name(words.get(i).copied().flatten()?);
        if let Some((_, with_arg, operands)) = WRAPPERS.iter().find(|(w, _, _)| *w == program) {
            let mut j = i + 1;
            let mut login_shell = false;
            while let Some(Some(word)) = words.get(j) {
                if *word == "--" {
                    j += 1;
                    break;
                }
                let assignment = program == "env" && word.contains('=') && !word.starts_with('-');
                let option = word.starts_with('-') && word.len() > 1;
                if !option && !assignment {
                    break;
                }
                if matches!(program, "sudo" | "doas") {
                    let flags = word.strip_prefix('-').unwrap_or_default();
                    login_shell |= matches!(*word, "--shell" | "--login")
                        || (!flags.starts_with('-') && flags.contains(['s', 'i']));
                }
                if program == "flock" && matches!(*word, "-c" | "--command") {
                    let command: Vec<&str> = texts.get(j + 1).copied().into_iter().collect();
                    return command_reads_stdin(&command, depth)
                        .map(|language| Reader { word: i, language });
                }
                j += if with_arg.contains(word) { 2 } else { 1 };
            }
            j += operands;
            if j >= words.len() {
                return login_shell.then(|| shell(i)).flatten();
            }
            i = j;
            continue;
        }
        if program == "busybox" {
            i += 1;
            continue;
        }
        if SHELLS.contains(&program) {
            return shell_reads_stdin(words, i + 1).then(|| shell(i)).flatten();
        }
        if is_script_interpreter(program) {
            let with_arg = interpreter_options(program);
            let mut j = i + 1;
            while let Some(Some(word)) = words.get(j) {
                if *word == "--" {
                    j += 1;
                    break;
                }
                if !word.starts_with('-') || *word == "-" {
                    break;
                }
                if program_in_options(program, word) {
                    return None;
                }
                j += if with_arg.contains(word) { 2 } else { 1 };
            }
            let reads = match words.get(j) {
                None => true,
                Some(Some(operand)) => is_stdin(operand),
                Some(None) => false,
            };
            return reads.then_some(Reader {
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

/// `xargs [options] COMMAND`: the items it reads become code when COMMAND
/// is a shell with no `-c` (they name its script and its arguments) or a
/// shell or `ssh` whose script holds the replace string of `-I`/`-i`.
fn xargs_runs_items(words: &[Option<&str>], texts: &[&str], i: usize) -> Option<Reader> {
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
    let mut command = j;
    while let Some((_, with_arg, operands)) = words
        .get(command)
        .copied()
        .flatten()
        .and_then(|w| WRAPPERS.iter().find(|(p, _, _)| *p == name(w)))
    {
        command = skip_options(words, command + 1, with_arg) + operands;
    }
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
/// (`bash FILE`, `source FILE`, `python3 FILE`), as (program, operand)
/// indexes: when the operand is a process substitution (`bash <(...)`),
/// what the substitution prints is the script.
pub(super) fn script_operand(words: &[Option<&str>]) -> Option<(usize, usize)> {
    let program = words.first().copied().flatten().map(name)?;
    if matches!(program, "source" | ".") {
        return (words.len() > 1).then_some((0, 1));
    }
    if !SHELLS.contains(&program) && !is_script_interpreter(program) {
        return None;
    }
    let mut j = 1;
    while let Some(Some(word)) = words.get(j) {
        if *word == "--" {
            j += 1;
            break;
        }
        if !word.starts_with(['-', '+']) || *word == "-" {
            break;
        }
        // A program given inline (`-c`, `-e`): no script file.
        if program_in_options(program, word) || (SHELLS.contains(&program) && word.contains('c')) {
            return None;
        }
        j += if word.ends_with('o') && SHELLS.contains(&program) {
            2
        } else {
            1
        };
    }
    (j < words.len()).then_some((0, j))
}
