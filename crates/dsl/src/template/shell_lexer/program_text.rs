//! Interpreters given their program on the command line: `python3 -c
//! "..."`, `perl -ne '...'`, `node -e`, `awk '{...}'`, `sed "s/.../"`,
//! `jq '...'`. Shell quoting hands an inserted value to such a program
//! intact, and the program then parses it as code (`'); import os;
//! os.system('reboot'); print('` in Python, `/;e reboot;#` in GNU sed,
//! `") | env | ("` in jq), so an insertion into the program is refused
//! unless it is an integer; the help says how the language reads a value
//! as data (docs/semantics.md, "Programs given on the command line").
//!
//! A `-c`/`-e`-style option is recognised anywhere in the command
//! (`docker exec db python3 -c`), as a shell's `-c` is: it is specific
//! enough. A program given as the first operand (`awk`, `sed`, `jq`,
//! `yq`) only where a command name stands, so `apt-get install jq {{x}}`
//! is not a jq program.

use super::programs::{command_index, interpreter_options, name};

/// The language of a program given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramLanguage {
    Python,
    Perl,
    Ruby,
    Node,
    Php,
    Lua,
    R,
    PowerShell,
    Expect,
    Awk,
    Sed,
    Jq,
    Yq,
}

impl ProgramLanguage {
    /// The language's name, as a diagnostic says it.
    pub fn name(self) -> &'static str {
        match self {
            ProgramLanguage::Python => "Python",
            ProgramLanguage::Perl => "Perl",
            ProgramLanguage::Ruby => "Ruby",
            ProgramLanguage::Node => "JavaScript",
            ProgramLanguage::Php => "PHP",
            ProgramLanguage::Lua => "Lua",
            ProgramLanguage::R => "R",
            ProgramLanguage::PowerShell => "PowerShell",
            ProgramLanguage::Expect => "Tcl (expect)",
            ProgramLanguage::Awk => "awk",
            ProgramLanguage::Sed => "sed",
            ProgramLanguage::Jq => "jq",
            ProgramLanguage::Yq => "yq",
        }
    }

    /// How a program in this language reads a value as data, which is how
    /// the help tells the author to hand it over.
    pub fn reads_value(self) -> &'static str {
        match self {
            ProgramLanguage::Python => "read it as `os.environ[\"VALUE\"]`",
            ProgramLanguage::Perl => "read it as `$ENV{VALUE}`",
            ProgramLanguage::Ruby => "read it as `ENV[\"VALUE\"]`",
            ProgramLanguage::Node => "read it as `process.env.VALUE`",
            ProgramLanguage::Php => "read it as `getenv('VALUE')`",
            ProgramLanguage::Lua => "read it as `os.getenv(\"VALUE\")`",
            ProgramLanguage::R => "read it as `Sys.getenv(\"VALUE\")`",
            ProgramLanguage::PowerShell => "read it as `$env:VALUE`",
            ProgramLanguage::Expect => "read it as `$env(VALUE)`",
            ProgramLanguage::Awk => "read it as `ENVIRON[\"VALUE\"]`",
            ProgramLanguage::Sed => {
                "sed cannot read a value as data: use `awk` and read it as `ENVIRON[\"VALUE\"]`"
            }
            ProgramLanguage::Jq => {
                "read it as `env.VALUE`, or give it as `--arg value {{inputs.x}}` and read `$value`"
            }
            ProgramLanguage::Yq => "read it as `strenv(VALUE)`",
        }
    }
}

/// An interpreter that takes its program on the command line.
struct Takes {
    language: ProgramLanguage,
    /// Options whose next word is the program (`-c`, `--eval`).
    flags: &'static [&'static str],
    /// Letters that end a bundle of one-letter options whose next word is
    /// the program (`perl -ne`, `python3 -Ic`).
    bundled: &'static [char],
    /// When the program may be the first operand: how to find it.
    operand: Option<Operand>,
}

/// How to find a program given as the first operand.
struct Operand {
    /// Options that take the next word as their argument.
    one: &'static [&'static str],
    /// Options that take the next two words (`jq --arg NAME VALUE`).
    two: &'static [&'static str],
    /// Options that give the program another way (`-f FILE`, `sed -e`):
    /// with one of them, the first operand is data.
    elsewhere: &'static [&'static str],
    /// Subcommands before the program (`yq eval '.a'`).
    subcommands: &'static [&'static str],
}

const AWK: Operand = Operand {
    one: &[
        "-F",
        "-v",
        "-f",
        "-i",
        "-l",
        "-E",
        "-e",
        "--field-separator",
        "--assign",
        "--file",
        "--include",
        "--load",
        "--source",
        "--exec",
    ],
    two: &[],
    elsewhere: &["-f", "--file", "-E", "--exec", "-e", "--source"],
    subcommands: &[],
};

const SED: Operand = Operand {
    one: &["-e", "-f", "-l", "--expression", "--file", "--line-length"],
    two: &[],
    elsewhere: &["-e", "-f", "--expression", "--file"],
    subcommands: &[],
};

const JQ: Operand = Operand {
    one: &["-f", "--from-file", "-L", "--indent"],
    two: &["--arg", "--argjson", "--slurpfile", "--rawfile"],
    elsewhere: &["-f", "--from-file"],
    subcommands: &[],
};

const YQ: Operand = Operand {
    one: &[
        "-I",
        "--indent",
        "-o",
        "--output-format",
        "-p",
        "--input-format",
        "--from-file",
    ],
    two: &[],
    elsewhere: &["--from-file"],
    subcommands: &["e", "eval", "ea", "eval-all"],
};

fn takes(program: &str) -> Option<Takes> {
    let plain = |language, flags, bundled| Takes {
        language,
        flags,
        bundled,
        operand: None,
    };
    Some(match program {
        _ if program.starts_with("python") || program.starts_with("pypy") => {
            plain(ProgramLanguage::Python, &["-c"], &['c'])
        }
        "perl" => plain(ProgramLanguage::Perl, &["-e", "-E"], &['e', 'E']),
        "ruby" => plain(ProgramLanguage::Ruby, &["-e"], &['e']),
        "node" | "nodejs" => plain(
            ProgramLanguage::Node,
            &["-e", "--eval", "-p", "--print"],
            &['e', 'p'],
        ),
        "php" => plain(ProgramLanguage::Php, &["-r", "-B", "-R", "-E"], &[]),
        "lua" | "luajit" => plain(ProgramLanguage::Lua, &["-e"], &[]),
        "Rscript" | "R" => plain(ProgramLanguage::R, &["-e"], &[]),
        "pwsh" | "powershell" => plain(
            ProgramLanguage::PowerShell,
            &["-c", "-Command", "-command", "-CommandWithArgs", "-cwa"],
            &[],
        ),
        "expect" => plain(ProgramLanguage::Expect, &["-c"], &[]),
        "awk" | "gawk" | "mawk" | "nawk" => Takes {
            operand: Some(AWK),
            ..plain(ProgramLanguage::Awk, &["-e", "--source"], &[])
        },
        "sed" | "gsed" => Takes {
            operand: Some(SED),
            ..plain(ProgramLanguage::Sed, &["-e", "--expression"], &[])
        },
        "jq" | "gojq" | "jaq" => Takes {
            operand: Some(JQ),
            ..plain(ProgramLanguage::Jq, &[], &[])
        },
        "yq" => Takes {
            operand: Some(YQ),
            ..plain(ProgramLanguage::Yq, &[], &[])
        },
        _ => return None,
    })
}

/// The language of the program the word being read is part of, when it
/// is a program an interpreter is given on the command line. `words` are
/// the finished words of the simple command (`None`: not plain text);
/// `current` is the word being read, decoded (quotes removed).
pub(super) fn program_text(
    words: &[Option<&str>],
    current: &str,
    command_position: impl Fn(usize) -> bool,
) -> Option<ProgramLanguage> {
    let here = words.len();
    (0..here).rev().find_map(|i| {
        let program = name(words[i]?);
        let takes = takes(program)?;
        if given_by_flag(&takes, program, words, i, current) {
            return Some(takes.language);
        }
        let operand = takes.operand.as_ref()?;
        ((command_position(i) || command_index(words, 0) == Some(i))
            && first_operand(operand, words, i + 1) == Some(here))
        .then_some(takes.language)
    })
}

/// Whether the word being read is the argument of one of the program's
/// options (`-c`, a bundle `-ne`, `--eval=...`) among the options before
/// its first operand (`python3 script.py -c x`: `-c` is the script's).
fn given_by_flag(
    takes: &Takes,
    program: &str,
    words: &[Option<&str>],
    i: usize,
    current: &str,
) -> bool {
    if takes.flags.is_empty() {
        return false;
    }
    let here = words.len();
    let mut j = i + 1;
    while j < here {
        let Some(word) = words[j] else {
            return false;
        };
        if takes.flags.contains(&word) || ends_bundle(word, takes.bundled) {
            if j + 1 == here {
                return true;
            }
            // Its argument, a program too (`perl -ne '...' -e '...'`).
            j += 2;
            continue;
        }
        if !word.starts_with('-') || word == "-" || word == "--" {
            // An operand (the script) or the end of the options: what
            // follows is the script's.
            return false;
        }
        j += if interpreter_options(program).contains(&word) {
            2
        } else {
            1
        };
    }
    j == here
        && takes.flags.iter().any(|flag| {
            flag.starts_with("--")
                && current
                    .strip_prefix(flag)
                    .is_some_and(|rest| rest.starts_with('='))
        })
}

/// Whether `word` is a bundle of one-letter options that ends in a letter
/// whose argument is the program (`-lne`).
fn ends_bundle(word: &str, letters: &[char]) -> bool {
    word.len() > 2
        && word.starts_with('-')
        && !word.starts_with("--")
        && word[1..].chars().all(|c| c.is_ascii_alphabetic())
        && word.chars().last().is_some_and(|c| letters.contains(&c))
}

/// The index of the first operand after the options that start at
/// `start`, when it is the program: `None` when an option gives the
/// program another way (`awk -f FILE`).
fn first_operand(operand: &Operand, words: &[Option<&str>], start: usize) -> Option<usize> {
    let mut j = start;
    let mut subcommand = false;
    while let Some(word) = words.get(j) {
        let Some(word) = word else {
            // Not plain text: an operand (an option is always plain).
            return Some(j);
        };
        if *word == "--" {
            return Some(j + 1);
        }
        if word.starts_with('-') && word.len() > 1 {
            let elsewhere = operand.elsewhere.iter().any(|e| {
                word == e
                    || (e.starts_with("--")
                        && word.strip_prefix(e).is_some_and(|r| r.starts_with('=')))
            });
            if elsewhere {
                return None;
            }
            j += 1;
            if operand.one.contains(word) {
                j += 1;
            } else if operand.two.contains(word) {
                j += 2;
            }
            continue;
        }
        if !subcommand && operand.subcommands.contains(word) {
            subcommand = true;
            j += 1;
            continue;
        }
        return Some(j);
    }
    Some(j)
}
