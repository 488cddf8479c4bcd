//! The vocabulary of programs the lexer recognises by name: how a name
//! is read (`/usr/bin/sh` is `sh`), which programs run the command after
//! their options (`sudo`, `env`, `timeout`...), which options of script
//! interpreters take an argument or hold the program itself (`python -c`),
//! and what a program found to run text as code parses.

/// The name of the program at `word`, without its directory. A word kept
/// as an expansion of a variable that names a shell (`$SHELL`, see
/// [`names_a_shell`]) is `sh`.
pub(super) fn name(word: &str) -> &str {
    if word.as_bytes().first() == Some(&b'$') {
        return "sh";
    }
    word.rsplit('/').next().unwrap_or(word)
}

/// Variables whose value names a shell: `$SHELL`, bash's `$BASH`, zsh's
/// `$ZSH_NAME`, autoconf's `$CONFIG_SHELL`, and `$0`, which in a step's
/// command (`sh -c COMMAND`) is the shell running it.
const SHELL_VARIABLES: &[&str] = &["SHELL", "BASH", "ZSH_NAME", "CONFIG_SHELL", "0"];

/// The word as written (`raw`, possibly followed by the character that
/// ended it), when it is one expansion of a variable that names a shell:
/// `$SHELL`, `"$BASH"`, `${SHELL}`, `${SHELL:-sh}` (any operator but `+`,
/// which replaces a set value, and `#`, its length); returned without
/// the double quotes. Plain words never start with `$`, so [`name`] knows
/// such a word by its first character.
pub(super) fn names_a_shell(raw: &str) -> Option<&str> {
    if !matches!(raw.as_bytes().first(), Some(b'$' | b'"')) {
        return None;
    }
    let word = raw
        .strip_suffix([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')'])
        .unwrap_or(raw);
    let inner = match word.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => word,
    };
    let expansion = inner.strip_prefix('$')?;
    let named = match expansion.strip_prefix('{') {
        Some(braced) => {
            let body = braced.strip_suffix('}')?;
            let end = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            let operator = &body[end..];
            if operator.starts_with('+') || operator.starts_with(":+") {
                return None;
            }
            &body[..end]
        }
        None => expansion,
    };
    SHELL_VARIABLES.contains(&named).then_some(inner)
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

/// What a wrapper (one of [`WRAPPERS`]) runs.
pub(super) struct Wrapped {
    /// The index of the command it runs, when it is given one.
    pub(super) command: Option<usize>,
    /// `sudo -s`/`-i`, `doas -s`: with no command, a login shell reading stdin.
    pub(super) login_shell: bool,
    /// `flock FILE -c TEXT`: the index of the command text a shell runs.
    pub(super) command_text: Option<usize>,
}

/// When the word at `i` is a wrapper, what it runs: the one walk over a
/// wrapper's options (those in its [`WRAPPERS`] entry take the next word),
/// `env`'s assignments and its operands (`timeout`'s duration).
/// `command -v`/`-V` only print where a program is.
pub(super) fn wrapped(words: &[Option<&str>], i: usize) -> Option<Wrapped> {
    let program = name(words.get(i).copied().flatten()?);
    let (_, with_arg, operands) = WRAPPERS.iter().find(|(w, _, _)| *w == program)?;
    let mut j = i + 1;
    let mut login_shell = false;
    let mut printing = false;
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
            return Some(Wrapped {
                command: None,
                login_shell: false,
                command_text: Some(j + 1),
            });
        }
        printing |= program == "command" && matches!(*word, "-v" | "-V");
        j += if with_arg.contains(word) { 2 } else { 1 };
    }
    j += operands;
    Some(Wrapped {
        command: (j < words.len() && !printing).then_some(j),
        login_shell,
        command_text: None,
    })
}

/// Past the assignments written before a command (`LC_ALL=C sh`).
pub(super) fn skip_assignments(words: &[Option<&str>], mut i: usize) -> usize {
    while words
        .get(i)
        .copied()
        .flatten()
        .is_some_and(|w| w.contains('=') && super::variables::is_assignment(w))
    {
        i += 1;
    }
    i
}

/// The command that runs at `i`, through the assignments and wrappers
/// before it (`A=1 sudo -u app env B=2 sh` is `sh`); `None` when a wrapper
/// is given none.
pub(super) fn command_index(words: &[Option<&str>], i: usize) -> Option<usize> {
    let mut i = skip_assignments(words, i);
    while let Some(wrapper) = wrapped(words, i) {
        i = wrapper.command?;
    }
    (i < words.len()).then_some(i)
}

/// Past the options of the shell or script interpreter `program` whose
/// options start at `i`: the index of its first operand (its script, when
/// it has one) and whether an option makes it read its script from stdin
/// (`sh -s`). `None` when an option holds the program itself (`sh -c`,
/// `python -c`, `perl -e`).
pub(super) fn operands_start(
    words: &[Option<&str>],
    mut i: usize,
    program: &str,
) -> Option<(usize, bool)> {
    let shell = super::super::argv::SHELLS.contains(&program);
    let with_arg = interpreter_options(program);
    let mut stdin = false;
    while let Some(Some(word)) = words.get(i) {
        if *word == "--" {
            return Some((i + 1, stdin));
        }
        let flags = word
            .strip_prefix('-')
            .or_else(|| word.strip_prefix('+').filter(|_| shell))
            .filter(|f| !f.is_empty());
        let Some(flags) = flags else {
            break;
        };
        if !shell {
            if program_in_options(program, word) {
                return None;
            }
            i += if with_arg.contains(word) { 2 } else { 1 };
            continue;
        }
        if let Some(long) = flags.strip_prefix('-') {
            i += if matches!(long, "rcfile" | "init-file") {
                2
            } else {
                1
            };
            continue;
        }
        if flags.contains('c') {
            return None;
        }
        stdin |= flags.contains('s');
        i += if flags.ends_with('o') { 2 } else { 1 };
    }
    Some((i, stdin))
}

/// Whether the shell or script interpreter `program` at `i` runs its
/// stdin as code: no program in its options, and `-s`, no script operand
/// or a script that is stdin (`-`, `/dev/stdin`).
pub(super) fn reads_script_from_stdin(words: &[Option<&str>], i: usize, program: &str) -> bool {
    operands_start(words, i + 1, program).is_some_and(|(j, stdin)| {
        stdin
            || match words.get(j) {
                None => true,
                Some(Some(operand)) => is_stdin(operand),
                Some(None) => false,
            }
    })
}

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
