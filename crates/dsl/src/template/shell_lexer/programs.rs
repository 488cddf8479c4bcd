//! The vocabulary of programs the lexer recognises by name: how a name
//! is read (`/usr/bin/sh` is `sh`), which programs run the command after
//! their options (`sudo`, `env`, `timeout`...), which options of script
//! interpreters take an argument or hold the program itself (`python -c`),
//! and what a program found to run text as code parses.

/// The name of the program at `word`, without its directory.
pub(super) fn name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Whether `word` reads as a path to standard input.
pub(super) fn is_stdin(word: &str) -> bool {
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

/// Programs that run the command after their own options, with the
/// options that take the next word as their argument and how many
/// operands come before the command (`timeout DURATION`, `flock FILE`).
pub(super) const WRAPPERS: &[(&str, &[&str], usize)] = &[
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
pub(super) fn skip_options(words: &[Option<&str>], mut i: usize, with_arg: &[&str]) -> usize {
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
pub(super) fn interpreter_options(program: &str) -> &'static [&'static str] {
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
pub(super) fn program_in_options(program: &str, option: &str) -> bool {
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
pub(super) fn is_script_interpreter(program: &str) -> bool {
    matches!(
        program,
        "perl" | "ruby" | "node" | "nodejs" | "php" | "lua" | "luajit" | "tclsh" | "wish"
    ) || program.starts_with("python")
        || program.starts_with("pypy")
}
