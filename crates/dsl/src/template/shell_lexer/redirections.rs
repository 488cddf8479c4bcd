//! What a command's redirections do to the values in it. A redirection of
//! stdin from a file, a here-document or a here-string replaces the pipe
//! (`echo {{x}} | sh < script.sh`: `sh` reads the file, not the value),
//! whatever its position among the words. A redirection of output to a
//! file, and `tee`'s files, write what the command prints (its values, and
//! what reaches it through the pipe) there; when a later command of the
//! same template runs or sources that file by the same literal path (`sh
//! f.sh`, `. ./f`, `./f`, `sh < f`), the value is code for it and is
//! reported ([`super::Route::File`]). Only literal paths are followed, and
//! only within one command template: a file written by one step and run by
//! another is the author's (docs/semantics.md).

use super::pipeline::{Interpreter, Item, Piped, Route};
use super::programs::{command_index, is_stdin, name, Language};
use super::script::{decode_word, OPAQUE};
use super::ShellLexer;

/// A redirection whose target word is being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Redirect {
    /// The descriptor written before the operator (`2>`), if one was.
    fd: Option<u32>,
    input: bool,
    output: bool,
    /// `>&`, `<&`: the target is a descriptor, not a file.
    dup: bool,
}

/// What replaced a stage's stdin (the pipe, when nothing did).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Stdin {
    /// `< PATH`, a literal path that is not stdin itself.
    File(String),
    /// `<<EOF`, `<<< word`.
    Document,
}

/// `./f` and `f` are the same file.
fn same_file(path: &str) -> &str {
    let mut path = path;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.trim_start_matches('/');
    }
    path
}

/// A path that certainly is not the stdin the stage was given.
fn other_than_stdin(path: &str) -> bool {
    !path.is_empty()
        && !is_stdin(path)
        && !path.starts_with("/dev/fd/")
        && !path.starts_with("/proc/")
}

impl Redirect {
    /// Whether it changes descriptor 0.
    fn of_stdin(&self) -> bool {
        self.fd.is_none_or(|fd| fd == 0)
    }
}

impl ShellLexer {
    /// A `<` (`input`) or `>` was read; `after`: right after another one
    /// (`>>`, `<>`), which it completes. A descriptor's number written
    /// just before it (`2>`) is part of it, and the next word is its target.
    pub(super) fn redirection(&mut self, input: bool, after: bool) {
        if after {
            if let Some(redirect) = self.redirect.as_mut() {
                redirect.input |= input;
                redirect.output |= !input;
                self.redirect_op = true;
                return;
            }
        }
        let fd = if !self.word.is_empty() && self.word.bytes().all(|b| b.is_ascii_digit()) {
            self.redirect = None;
            self.redirect_target = true;
            self.word.parse().ok()
        } else {
            None
        };
        self.end_word();
        self.redirect_target = true;
        self.redirect_op = true;
        self.redirect = Some(Redirect {
            fd,
            input,
            output: !input,
            dup: false,
        });
    }

    /// `>&`, `<&`: the redirection's target is a descriptor.
    pub(super) fn duplicating(&mut self) {
        if let Some(redirect) = self.redirect.as_mut() {
            redirect.dup = true;
        }
    }

    /// `<<` or `<<<`: the stage reads a here-document or a here-string.
    pub(super) fn document_redirect(&mut self) {
        if self.redirect.take().is_none_or(|r| r.of_stdin()) {
            self.top_list().stdin = Some(Stdin::Document);
        }
    }

    /// The target word of a redirection ended (`self.raw_word` is it).
    pub(super) fn redirect_target_ended(&mut self) {
        let Some(redirect) = self.redirect.take() else {
            return;
        };
        let target = decode_word(&self.raw_word);
        let literal = !target.contains(OPAQUE) && !target.is_empty();
        let top = self.top_list();
        if redirect.dup {
            // `<&0` keeps the pipe, `<&3` may be it: the pipe, as far as known.
            if redirect.input && redirect.of_stdin() {
                top.stdin = None;
            }
            return;
        }
        if redirect.output && literal {
            top.writes.push(same_file(&target).to_string());
        }
        if redirect.input && redirect.of_stdin() {
            top.stdin = (literal && other_than_stdin(&target))
                .then(|| Stdin::File(same_file(&target).to_string()));
        }
    }

    /// At the end of a stage: files it writes what it prints into (its
    /// redirections, `tee`'s files) now hold `output`'s values; the
    /// here-documents among them write their bodies there.
    pub(super) fn note_written(&mut self, mut writes: Vec<String>, output: &[Item]) {
        writes.extend(self.tee_files());
        if writes.is_empty() {
            return;
        }
        for item in output {
            match item {
                Item::Insertion(key) => {
                    for path in &writes {
                        if !self.written.contains(&(path.clone(), *key)) {
                            self.written.push((path.clone(), *key));
                        }
                    }
                }
                Item::Heredoc(index) => {
                    if let Some(heredoc) = self.heredocs.get_mut(*index) {
                        heredoc.writes.extend(writes.iter().cloned());
                    }
                }
            }
        }
    }

    /// `tee [options] FILE...`: the literal files it copies its stdin to.
    fn tee_files(&self) -> Vec<String> {
        let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        let Some(tee) = command_index(&words, 0).filter(|&i| words[i].map(name) == Some("tee"))
        else {
            return Vec::new();
        };
        words[tee + 1..]
            .iter()
            .flatten()
            .filter(|w| !w.starts_with('-'))
            .map(|w| same_file(w).to_string())
            .collect()
    }

    /// At the end of a stage: when it runs or sources a file this command
    /// wrote a value into (`sh f.sh`, `. ./f`, `./f`), or a reader's stdin
    /// is such a file (`stdin`), the values are reported.
    pub(super) fn check_written_runs(
        &mut self,
        stdin: Option<&Stdin>,
        reader: Option<&Interpreter>,
    ) {
        if self.written.is_empty() {
            return;
        }
        if let (Some(Stdin::File(path)), Some(reader)) = (stdin, reader) {
            self.report_written(path.clone(), reader.clone());
        }
        let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        let Some(p) = command_index(&words, 0) else {
            return;
        };
        let Some(program) = words[p] else {
            return;
        };
        let (path, language) = if program.contains('/') && !program.starts_with('$') {
            // Run as a program: whatever its first line says it is.
            (program.to_string(), Language::Other)
        } else {
            let Some((_, operand)) = super::pasting::script_operand(&words) else {
                return;
            };
            let text = match words[operand] {
                Some(word) => word.to_string(),
                None => self.texts.get(operand).cloned().unwrap_or_default(),
            };
            if text.is_empty() || text.contains(OPAQUE) {
                return;
            }
            let program = name(program);
            let language = if matches!(program, "." | "source")
                || super::super::argv::SHELLS.contains(&program)
            {
                Language::Shell
            } else {
                Language::Other
            };
            (text, language)
        };
        let interpreter = Interpreter {
            name: program.to_string(),
            span: self.word_meta(p).span.unwrap_or_default(),
            language,
        };
        self.report_written(same_file(&path).to_string(), interpreter);
    }

    fn report_written(&mut self, path: String, interpreter: Interpreter) {
        let keys: Vec<usize> = self
            .written
            .iter()
            .filter(|(written, _)| *written == path)
            .map(|(_, key)| *key)
            .collect();
        for key in keys {
            let piped = Piped {
                key,
                interpreter: interpreter.clone(),
                route: Route::File,
                file: Some(path.clone()),
            };
            if !self.piped.contains(&piped) {
                self.piped.push(piped);
            }
        }
    }
}
