//! Where bash evaluates a value as code although it is quoted: a value
//! assigned to an integer variable (`declare -i n={{x}}`, or `n={{x}}`
//! after it) is arithmetic, where `a[$(cmd)]` runs `cmd`; so is an array
//! subscript in an assignment (`a[{{x}}]=1`); a variable's name is read
//! with its subscript evaluated (`unset {{x}}`, `read {{x}}`, `printf -v
//! {{x}}`, `[[ -v {{x}} ]]`, `declare {{x}}=1`, the value of `declare -n`);
//! the value of `declare -a`/`-A` is parsed as a compound assignment
//! `(...)`. Each was tried with a real bash.

use super::{ShellContext, ShellLexer};

/// Builtins whose arguments are assignments bash parses itself.
const DECLARERS: &[&str] = &["declare", "typeset", "local", "readonly", "export"];

/// Whether `name` is a shell variable name.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The name an assignment word (`n=1`, `n+=1`, `a[2]=x`) assigns, and
/// whether the word got past its `=`; `None` when the word is no
/// assignment (so far).
fn assignment(word: &str) -> Option<(&str, bool)> {
    match word.find('=') {
        Some(eq) => {
            let target = word[..eq].strip_suffix('+').unwrap_or(&word[..eq]);
            let name = target.split('[').next().unwrap_or(target);
            is_name(name).then_some((name, true))
        }
        None => Some((word.split('[').next().unwrap_or(word), false)),
    }
}

/// Whether a finished word is an assignment (`X=1` before a command).
pub(super) fn is_assignment(word: &str) -> bool {
    matches!(assignment(word), Some((_, true)))
}

impl ShellLexer {
    /// Where the current command's program is: after the assignments
    /// written before it (`IFS= read ...`), counted as words end
    /// ([`ShellLexer::count_assignment`]).
    fn program_index(&self) -> usize {
        self.assignments
    }

    /// Whether every finished word of the current command is an
    /// assignment (or there is none): no program has been named yet.
    pub(super) fn only_assignments(&self) -> bool {
        self.assignments == self.words.len()
    }

    /// Counts `word`, about to be pushed onto the current command's
    /// words, when it is one more assignment written before the program.
    pub(super) fn count_assignment(&mut self, word: Option<&str>) {
        if self.only_assignments() && word.is_some_and(is_assignment) {
            self.assignments += 1;
        }
    }

    /// The flags of the current command's options (`-ix` and `-r` give "ixr").
    fn flags(&self) -> String {
        self.words
            .iter()
            .skip(self.program_index() + 1)
            .flatten()
            .filter_map(|w| w.strip_prefix('-').or_else(|| w.strip_prefix('+')))
            .collect()
    }

    /// Where bash evaluates an insertion made now, when it does
    /// ([`ShellContext::Arithmetic`] takes integers; the others refuse).
    pub(super) fn evaluated_by_bash(&self) -> Option<ShellContext> {
        // A redirection's target (`<<< {{x}}`, `> {{x}}`) is no argument.
        if self.redirect_target {
            return None;
        }
        let program = self
            .words
            .get(self.program_index())
            .and_then(|w| w.as_deref());
        let previous = self.words.last().and_then(|w| w.as_deref());
        // The word so far, its quotes and insertions as `\0`.
        let current = self.word.as_str();
        match program {
            Some(p) if DECLARERS.contains(&p) && !current.starts_with('-') => {
                let flags = self.flags();
                return match assignment(current) {
                    Some((name, true))
                        if flags.contains('i') || self.int_vars.iter().any(|v| v == name) =>
                    {
                        Some(ShellContext::Arithmetic)
                    }
                    Some((_, true)) if flags.contains(['a', 'A']) => {
                        Some(ShellContext::ArrayAssignment)
                    }
                    Some((_, true)) if flags.contains('n') => Some(ShellContext::VariableName),
                    Some((_, true)) => None,
                    _ => Some(ShellContext::VariableName),
                };
            }
            Some("unset") => return Some(ShellContext::VariableName),
            Some("read") => {
                let option_argument = previous
                    .is_some_and(|p| matches!(p, "-p" | "-d" | "-t" | "-n" | "-N" | "-u" | "-i"));
                return (!option_argument).then_some(ShellContext::VariableName);
            }
            Some("mapfile" | "readarray") => {
                let option_argument = previous
                    .is_some_and(|p| matches!(p, "-d" | "-n" | "-O" | "-s" | "-u" | "-C" | "-c"));
                return (!option_argument).then_some(ShellContext::VariableName);
            }
            Some("printf") if previous == Some("-v") => return Some(ShellContext::VariableName),
            Some("[[") if matches!(previous, Some("-v" | "-R")) => {
                return Some(ShellContext::VariableName)
            }
            _ => {}
        }
        // An assignment before the command (or standing alone).
        if !self.only_assignments() {
            return None;
        }
        match assignment(current) {
            // `a[{{x}}]=1`: the subscript is arithmetic.
            Some((name, false))
                if is_name(name) && current.contains('[') && !current.contains(']') =>
            {
                Some(ShellContext::Arithmetic)
            }
            Some((name, true)) if self.int_vars.iter().any(|v| v == name) => {
                Some(ShellContext::Arithmetic)
            }
            _ => None,
        }
    }

    /// A word of the current command ends: after `declare -i` (`typeset`,
    /// `local`...) its name is an integer variable from now on.
    pub(super) fn note_variable_word(&mut self) {
        let program = self
            .words
            .get(self.program_index())
            .and_then(|w| w.as_deref());
        if !program.is_some_and(|p| DECLARERS.contains(&p)) || self.word.starts_with('-') {
            return;
        }
        if !self.flags().contains('i') {
            return;
        }
        if let Some((name, _)) = assignment(&self.word) {
            if is_name(name) && !self.int_vars.iter().any(|v| v == name) {
                self.int_vars.push(name.to_string());
            }
        }
    }
}
