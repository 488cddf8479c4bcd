//! Scripts another shell parses. A string command can hand part of itself
//! to a second shell: the script of `sh -c "..."` (also after `sudo`,
//! `env`, `timeout`, `kubectl exec ... --`), the command of `su -c`, the
//! words after `eval`, the remote command of `ssh`, the command of
//! `sudo -s`/`sudo -i` and of `watch`. A value inserted there is parsed
//! twice, so quoting it for the first shell alone lets the second run it.
//! The lexer keeps the text of such a script as the first shell will hand
//! it over (quotes removed), and a nested [`ShellLexer`] over that text
//! says where in the script the insertion lands; the value is then quoted
//! for the script's context and that text again for the command's.

use super::super::argv::{host_of_ssh, script_of_shell, SHELLS};
use super::programs::{name, WRAPPERS};
use super::{ShellContext, ShellLexer};
use std::ops::Range;

/// Stands for text the lexer cannot know: an insertion, or an expansion
/// of the first shell (`$HOME`, `$(cmd)`), which is assumed to leave the
/// script's nesting as it found it, as an insertion does.
pub(super) const OPAQUE: char = '\u{0}';

/// The words, by index into `words` (the finished words of a simple
/// command plus the word being read, last), whose text joined by spaces is
/// a script another shell parses, when the word being read is part of one.
/// `words` holds each word's text when it is plain (no quotes, no
/// insertion), which is all a program name or an option ever is.
pub(super) fn script_words(words: &[Option<&str>]) -> Option<Range<usize>> {
    let current = words.len().checked_sub(1)?;
    let name = |i: usize| words[i].map(name);
    let mut i = 0;
    while i < current {
        // A shell with `-c` is recognised anywhere (`docker exec c sh -c`,
        // `xargs sh -c`): `-c` is specific enough. The other programs only
        // where a command name stands, so `grep eval {{x}}` is not a script.
        if !SHELLS.contains(&name(i).unwrap_or_default()) && !command_position(words, i) {
            i += 1;
            continue;
        }
        match name(i) {
            Some(p) if SHELLS.contains(&p) => {
                if let Some(script) = script_of_shell(words, i + 1) {
                    if script == current {
                        return Some(current..current + 1);
                    }
                    // Arguments after the script are `$0`, `$1`...: data.
                    return None;
                }
            }
            Some("ssh") => {
                return host_of_ssh(words, i + 1)
                    .filter(|host| *host < current)
                    .map(|host| host + 1..current + 1);
            }
            Some("su" | "runuser") => {
                // `su [options] [user] -c COMMAND`: only the command.
                let command = (i + 1..current)
                    .find(|&j| matches!(words[j], Some("-c" | "--command")))
                    .map(|j| j + 1);
                return (command == Some(current)).then_some(current..current + 1);
            }
            Some("eval") => return Some(i + 1..current + 1),
            Some("sudo") => {
                // `sudo -s CMD...` / `sudo -i CMD...`: the words are joined
                // and given to a shell's `-c`.
                let mut j = i + 1;
                let mut shell = false;
                while let Some(Some(word)) = words.get(j).filter(|_| j < current) {
                    let Some(flags) = word.strip_prefix('-').filter(|f| !f.is_empty()) else {
                        break;
                    };
                    shell |= matches!(*word, "--shell" | "--login")
                        || (!flags.starts_with('-') && flags.contains(['s', 'i']));
                    // `-u USER`, `-g GROUP`... take the next word.
                    let takes_next = matches!(
                        *word,
                        "-u" | "-g" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-U"
                    );
                    j += if takes_next { 2 } else { 1 };
                }
                if shell && j <= current {
                    return Some(j..current + 1);
                }
            }
            Some("watch") => {
                // `watch [options] COMMAND...`: run by `sh -c` every interval.
                let mut j = i + 1;
                while let Some(Some(word)) = words.get(j).filter(|_| j < current) {
                    if !word.starts_with('-') {
                        break;
                    }
                    let takes_next = matches!(*word, "-n" | "--interval" | "-d" | "-q");
                    j += if takes_next { 2 } else { 1 };
                }
                return (j <= current).then_some(j..current + 1);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Database clients and the options whose argument is SQL they run.
const SQL_CLIENTS: &[(&str, &[&str])] = &[
    ("psql", &["-c", "--command"]),
    ("mysql", &["-e", "--execute"]),
    ("mariadb", &["-e", "--execute"]),
    ("clickhouse-client", &["-q", "--query"]),
    ("cqlsh", &["-e", "--execute"]),
];

/// Whether word `i` is where a command name stands: first, after `--`, or
/// after a wrapper's options and operands.
fn command_position(words: &[Option<&str>], i: usize) -> bool {
    if i == 0 || words[i - 1] == Some("--") {
        return true;
    }
    // Walk back over what a wrapper takes before its command.
    let mut j = i;
    while j > 0 {
        j -= 1;
        let Some(word) = words[j] else {
            return false;
        };
        let name = name(word);
        if name == "xargs" || WRAPPERS.iter().any(|(wrapper, _, _)| *wrapper == name) {
            return true;
        }
        let operand = word.starts_with('-')
            || word.contains('=')
            || word.chars().next().is_some_and(|c| c.is_ascii_digit());
        if !operand {
            return false;
        }
    }
    false
}

/// The text a shell hands on for a word as written (`raw`), quotes
/// removed and escapes resolved; expansions and insertions are
/// [`OPAQUE`]. Stops at the first character that would end the word.
pub(super) fn decode_word(raw: &str) -> String {
    #[derive(PartialEq)]
    enum Quote {
        None,
        Single,
        Double,
    }
    let mut out = String::with_capacity(raw.len());
    let mut quote = Quote::None;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match (&quote, c) {
            (Quote::Single, '\'') => quote = Quote::None,
            (Quote::Single, c) => out.push(c),
            (Quote::None, '\'') => quote = Quote::Single,
            (Quote::None, '"') => quote = Quote::Double,
            (Quote::Double, '"') => quote = Quote::None,
            (Quote::None, ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')') => break,
            (Quote::None, '\\') => match chars.next() {
                Some('\n') | None => {}
                Some(c) => out.push(c),
            },
            (Quote::Double, '\\') => match chars.peek() {
                Some('$' | '`' | '"' | '\\') => out.push(chars.next().unwrap_or('\\')),
                Some('\n') => {
                    chars.next();
                }
                _ => out.push('\\'),
            },
            (_, '$') => {
                out.push(OPAQUE);
                skip_expansion(&mut chars);
            }
            (_, '`') => {
                out.push(OPAQUE);
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '`' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            (_, c) => out.push(c),
        }
    }
    out
}

/// Skips what follows a `$`: a name, one special character, `{...}` or
/// `((...))`. `$(` leaves nothing to skip: the lexer drops a command
/// substitution's text from the word it is in.
fn skip_expansion(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('{') => skip_balanced(chars, '{', '}'),
        Some('(') => {
            chars.next();
            if chars.peek() == Some(&'(') {
                skip_balanced(chars, '(', ')');
                chars.next();
            }
        }
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                chars.next();
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

fn skip_balanced(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, open: char, close: char) {
    let mut depth = 0usize;
    for c in chars.by_ref() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                break;
            }
        }
    }
}

impl ShellLexer {
    /// Where an insertion made now lands: the context in this command,
    /// then, when that is inside a script another shell parses, the
    /// context in that script, and so on inwards (at most a few levels:
    /// each level is a real shell, and past [`MAX_SCRIPT_DEPTH`] the
    /// innermost is [`ShellContext::Ambiguous`], which is refused).
    pub fn contexts(&self, following: Option<&str>) -> Vec<ShellContext> {
        let mut out = Vec::new();
        self.push_contexts(following, &mut out);
        out
    }

    fn push_contexts(&self, following: Option<&str>, out: &mut Vec<ShellContext>) {
        let here = self.context(following);
        out.push(here);
        if !matches!(
            here,
            ShellContext::Word | ShellContext::DoubleQuoted | ShellContext::SingleQuoted
        ) {
            return;
        }
        if let Some(language) = self.in_program_argument() {
            out.push(ShellContext::ProgramText(language));
            return;
        }
        if !self.follows_words {
            return;
        }
        if self.in_sql_argument() {
            out.push(ShellContext::SqlText);
            return;
        }
        let Some(inner) = self.script_lexer() else {
            return;
        };
        if out.len() >= MAX_SCRIPT_DEPTH {
            out.push(ShellContext::Ambiguous);
            return;
        }
        inner.push_contexts(None, out);
    }

    /// A lexer over the script the word being read is part of, fed the
    /// script's text so far.
    pub(super) fn script_lexer(&self) -> Option<ShellLexer> {
        let script = self.script_so_far()?;
        let mut inner = ShellLexer {
            depth: self.depth + 1,
            ..ShellLexer::default()
        };
        for (i, piece) in script.split(OPAQUE).enumerate() {
            if i > 0 {
                inner.insertion();
            }
            inner.feed(piece);
        }
        Some(inner)
    }

    /// Whether the word being read is the SQL a database client runs:
    /// `psql -c`/`--command`, `mysql`/`mariadb -e`/`--execute`,
    /// `clickhouse-client -q`/`--query`, also written `--command=...`.
    fn in_sql_argument(&self) -> bool {
        let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        let Some(client) = (0..words.len()).rev().find_map(|i| {
            let name = words[i]?.rsplit('/').next()?;
            // Anywhere, as a shell with `-c`: `docker exec db psql -c`.
            SQL_CLIENTS.iter().any(|(c, _)| *c == name).then_some(name)
        }) else {
            return false;
        };
        let options = SQL_CLIENTS
            .iter()
            .find(|(c, _)| *c == client)
            .map(|(_, o)| *o)
            .unwrap_or_default();
        let previous = words.last().copied().flatten();
        let current = decode_word(&self.raw_word);
        previous.is_some_and(|p| options.contains(&p))
            || options.iter().filter(|o| o.starts_with("--")).any(|o| {
                current
                    .strip_prefix(o)
                    .is_some_and(|rest| rest.starts_with('='))
            })
    }

    /// The language of the program an interpreter is given on its command
    /// line, when the word being read is part of it (`python3 -c "..."`).
    fn in_program_argument(&self) -> Option<super::ProgramLanguage> {
        let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        let current = decode_word(&self.raw_word);
        super::program_text::program_text(&words, &current, |i| command_position(&words, i))
    }

    /// The text, so far, of the script another shell parses that the word
    /// being read is part of, if it is.
    fn script_so_far(&self) -> Option<String> {
        let mut words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        words.push(None);
        let range = script_words(&words)?;
        let current = decode_word(&self.raw_word);
        let mut text = String::new();
        for i in range {
            if !text.is_empty() {
                text.push(' ');
            }
            match self.texts.get(i) {
                Some(word) => text.push_str(word),
                None => text.push_str(&current),
            }
        }
        Some(text)
    }
}

/// Whether one of `words` is a program that can hand text to another
/// shell (so a command whose words an `{{#if}}` chooses may be one).
pub(super) fn may_start_script(words: &[Option<String>]) -> bool {
    // Conservative: anywhere in the command.
    words.iter().flatten().any(|w| hands_on(w))
}

/// Whether `word` names a program that hands text to another shell or runs
/// SQL it is given: what makes the words after it worth following.
pub(super) fn hands_on(word: &str) -> bool {
    let name = name(word);
    SHELLS.contains(&name)
        || matches!(name, "ssh" | "su" | "runuser" | "eval" | "sudo" | "watch")
        || SQL_CLIENTS.iter().any(|(client, _)| *client == name)
}

/// How many contexts deep the lexer follows scripts: the command and three
/// shells within it (`ssh h "sh -c 'bash -c ...'"`); an insertion in a
/// fourth is refused.
const MAX_SCRIPT_DEPTH: usize = 4;
