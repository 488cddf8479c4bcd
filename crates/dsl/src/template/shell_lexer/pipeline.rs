//! Where each insertion's text flows once its command has run: into the
//! later stages of its pipeline (`echo {{x}} | sh`), into the stdin of the
//! command a here-string feeds (`sh <<< {{x}}`), into the names `find`
//! pastes into a script, into a script as a command substitution's output
//! (`sh -c "$(printf %s {{x}})"`). Quoting protects a value from the shell
//! that runs the command; when one of those later readers runs what it
//! reads as code ([`super::interpreters`]), the value would be parsed again,
//! so the insertion is reported ([`Piped`]) and `check` refuses it.
//!
//! The lexer keeps a stack of [`List`]s: the whole text, each `$(...)`,
//! `(...)`, `<(...)`, `>(...)`, and each compound command (`{ ...; }`,
//! `if`, `while`, `until`, `for`, `case`, `select`). A list whose first
//! stage is an interpreter reads the stdin of the stage it is part of
//! (`echo {{x}} | { sh; }`, `echo {{x}} | tee >(sh)`), so that stage counts
//! as one too; everything inserted inside it flows out with the stage.

use super::interpreters::stdin_interpreter;
use super::pasting::{find_pastes_names, script_operand};
use super::programs::Language;
use super::script::{hands_on, script_words, OPAQUE};
use super::ShellLexer;
use crate::source::Span;

/// Something whose text flows on with its stage: an insertion (by the
/// caller's key) or a here-document declared there (by its index among
/// the lexer's pending here-documents).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Item {
    Insertion(usize),
    Heredoc(usize),
}

/// A program that runs what reaches it as code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    /// The program as written (`sh`, `ssh`, `python3`), or a description.
    pub name: String,
    /// Where it is written (a default span when the lexer had none).
    pub span: Span,
    pub language: Language,
}

/// How a value reaches an interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Written to a pipe a later stage reads.
    Pipe,
    /// The here-string of the interpreter (or of a stage before it).
    HereString,
    /// Among the operands of a `find` that pastes names into a script.
    FoundNames,
    /// The output of a command substitution inside a script.
    Substitution,
    /// Written to a file that a later command of the template runs or
    /// sources (`echo {{x}} > f.sh; sh f.sh`), named by [`Piped::file`].
    File,
}

/// An insertion whose value reaches an interpreter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piped {
    pub key: usize,
    pub interpreter: Interpreter,
    pub route: Route,
    /// The file it was written to, for [`Route::File`].
    pub file: Option<String>,
}

/// A command list being read.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(super) struct List {
    /// A compound command's body (closed by a keyword), not a `(...)`.
    pub(super) compound: bool,
    /// Items of the earlier stages of the pipeline being read.
    upstream: Vec<Item>,
    /// Items of the current stage.
    stage: Vec<Item>,
    /// Items in the current stage's here-string.
    herestring: Vec<Item>,
    /// A here-string's word is being read.
    pub(super) in_herestring: bool,
    /// The current stage is not the pipeline's first.
    later_stage: bool,
    /// A `|` was read and no word of the next stage yet (a newline there
    /// continues the pipeline).
    pub(super) awaiting_stage: bool,
    /// An interpreter in a list nested in the current stage, reading the
    /// stage's stdin.
    nested_reader: Option<Interpreter>,
    /// Items of this list's finished pipelines: what flows out of it.
    all: Vec<Item>,
    /// An interpreter reading this list's own stdin (a pipeline's first stage).
    pub(super) reads: Option<Interpreter>,
    /// What replaced the current stage's stdin, if a redirection did.
    pub(super) stdin: Option<super::redirections::Stdin>,
    /// The literal files the current stage's redirections write.
    pub(super) writes: Vec<String>,
    /// The current pipeline's first stage kept the list's stdin, so what
    /// its later stages read may come from there (`{ grep x | sh; }`).
    head_kept_stdin: bool,
}

fn union(into: &mut Vec<Item>, from: &[Item]) {
    for item in from {
        if !into.contains(item) {
            into.push(*item);
        }
    }
}

impl List {
    pub(super) fn nested(compound: bool) -> List {
        List {
            compound,
            ..List::default()
        }
    }

    /// Joins the other side of an `{{#if}}`: what either side holds.
    pub(super) fn merge(&mut self, other: &List) {
        union(&mut self.upstream, &other.upstream);
        union(&mut self.stage, &other.stage);
        union(&mut self.herestring, &other.herestring);
        union(&mut self.all, &other.all);
        self.in_herestring |= other.in_herestring;
        self.later_stage &= other.later_stage;
        self.head_kept_stdin |= other.head_kept_stdin;
        self.awaiting_stage |= other.awaiting_stage;
        if self.nested_reader.is_none() {
            self.nested_reader = other.nested_reader.clone();
        }
        if self.reads.is_none() {
            self.reads = other.reads.clone();
        }
        if self.stdin != other.stdin {
            self.stdin = None;
        }
        for path in &other.writes {
            if !self.writes.contains(path) {
                self.writes.push(path.clone());
            }
        }
    }

    /// Notes the current stage's reader, when the `{{#if}}` merge is about
    /// to forget which program the stage runs.
    pub(super) fn keep_reader(&mut self, reader: Option<Interpreter>) {
        if self.nested_reader.is_none() {
            self.nested_reader = reader;
        }
    }
}

impl ShellLexer {
    pub(super) fn top_list(&mut self) -> &mut List {
        if self.lists.is_empty() {
            self.lists.push(List::default());
        }
        let last = self.lists.len() - 1;
        &mut self.lists[last]
    }

    /// An insertion made now flows on with the current stage (or its
    /// here-string), and with the current word.
    pub(super) fn note_insertion(&mut self, key: usize) {
        let top = self.top_list();
        if top.in_herestring {
            top.herestring.push(Item::Insertion(key));
        } else {
            top.stage.push(Item::Insertion(key));
        }
        self.meta.keys.push(key);
    }

    /// A here-document was declared in the current stage.
    pub(super) fn note_heredoc(&mut self, index: usize) {
        self.top_list().stage.push(Item::Heredoc(index));
    }

    /// Here-documents whose bodies are about to be read are no longer
    /// known by index.
    pub(super) fn forget_heredocs(&mut self) {
        for list in &mut self.lists {
            for items in [
                &mut list.upstream,
                &mut list.stage,
                &mut list.herestring,
                &mut list.all,
            ] {
                items.retain(|i| matches!(i, Item::Insertion(_)));
            }
        }
    }

    /// The interpreter the current simple command is, if it runs its
    /// stdin as code.
    pub(super) fn stage_reader(&self) -> Option<Interpreter> {
        let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        let texts: Vec<&str> = (0..words.len())
            .map(|i| self.texts.get(i).map(String::as_str).unwrap_or_default())
            .collect();
        let reader =
            stdin_interpreter(&words, &texts).or_else(|| self.evaluates_stdin(&words, &texts))?;
        Some(Interpreter {
            name: words[reader.word].unwrap_or("the program").to_string(),
            span: self.word_meta(reader.word).span.unwrap_or_default(),
            language: reader.language,
        })
    }

    /// What the lexer knows of word `i` of the command (nothing for a word
    /// it did not record).
    pub(super) fn word_meta(&self, i: usize) -> &super::WordMeta {
        static NONE: super::WordMeta = super::WordMeta::EMPTY;
        self.metas.get(i).unwrap_or(&NONE)
    }

    fn report(&mut self, key: usize, interpreter: &Interpreter, route: Route) {
        let piped = Piped {
            key,
            interpreter: interpreter.clone(),
            route,
            file: None,
        };
        if !self.piped.contains(&piped) {
            self.piped.push(piped);
        }
    }

    /// The simple command (or compound command) of the current stage is
    /// complete: a value upstream of it, or in its here-string, that it
    /// runs as code is reported; its items become upstream of the next.
    pub(super) fn end_stage(&mut self) {
        self.check_scripts();
        let nested = self.top_list().nested_reader.take();
        let reader = if self.reader_matters() {
            self.stage_reader().or(nested)
        } else {
            None
        };
        let top = self.top_list();
        let upstream = std::mem::take(&mut top.upstream);
        let stage = std::mem::take(&mut top.stage);
        let herestring = std::mem::take(&mut top.herestring);
        let later = top.later_stage;
        let stdin = top.stdin.take();
        let writes = std::mem::take(&mut top.writes);
        // A redirection of stdin replaces the pipe: what flows down it
        // reaches neither the reader nor the files the stage writes.
        let from_pipe = stdin.is_none();
        let piped_in: &[Item] = if from_pipe { &upstream } else { &[] };
        if let Some(reader) = &reader {
            for (items, route) in [
                (piped_in, Some(Route::Pipe)),
                (&herestring, Some(Route::HereString)),
                (&stage, None),
            ] {
                for item in items {
                    match (item, route) {
                        (Item::Insertion(key), Some(route)) => self.report(*key, reader, route),
                        (Item::Heredoc(index), _) => {
                            if let Some(heredoc) = self.heredocs.get_mut(*index) {
                                heredoc.reader = Some(reader.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        self.check_written_runs(stdin.as_ref(), reader.as_ref());
        // `tee` copies its stdin: worth looking for when a value reaches it
        // (`tee_files` tells which word is `tee`; this only looks for one).
        let tee = || {
            let fed = !piped_in.is_empty()
                || !herestring.is_empty()
                || stage.iter().any(|i| matches!(i, Item::Heredoc(_)));
            fed && self
                .words
                .iter()
                .any(|w| w.as_deref().is_some_and(|w| w.ends_with("tee")))
        };
        if !writes.is_empty() || tee() {
            let output: Vec<Item> = [piped_in, &stage, &herestring].concat();
            self.note_written(writes, &output);
        }
        let top = self.top_list();
        if !later {
            top.head_kept_stdin = from_pipe;
        }
        if top.reads.is_none() && from_pipe && top.head_kept_stdin {
            top.reads = reader;
        }
        top.upstream = upstream;
        top.upstream.extend(stage);
        top.upstream.extend(herestring);
        top.later_stage = true;
        top.in_herestring = false;
    }

    /// Whether the stage being ended needs its reader found: something
    /// upstream or in its here-string would reach it, a here-document of
    /// its own would feed it, or it is the first stage of a nested list,
    /// whose reader reads the enclosing stage's stdin (`List::reads`).
    /// An insertion in the stage's own words never reaches its reader
    /// through stdin, and the whole text's first reader reads nothing of
    /// ours, so a plain `kubectl get pods -n {{x}}` skips the search.
    fn reader_matters(&self) -> bool {
        let Some(top) = self.lists.last() else {
            return false;
        };
        !top.upstream.is_empty()
            || !top.herestring.is_empty()
            || top.stage.iter().any(|i| matches!(i, Item::Heredoc(_)))
            || ((self.lists.len() > 1 || self.reads_own_stdin)
                && top.reads.is_none()
                && (!top.later_stage || top.head_kept_stdin))
            // `sh < f` where this command wrote a value into `f`.
            || (!self.written.is_empty()
                && matches!(top.stdin, Some(super::redirections::Stdin::File(_))))
    }

    /// A pipeline ends (`;`, `&`, `&&`, `||`, a newline, a `case` pattern).
    pub(super) fn end_pipeline(&mut self) {
        self.end_stage();
        let top = self.top_list();
        let upstream = std::mem::take(&mut top.upstream);
        top.all.extend(upstream);
        top.later_stage = false;
        top.awaiting_stage = false;
    }

    /// A `|` (or `|&`) was read: the stage ended and the next reads its output.
    pub(super) fn pipe(&mut self) {
        self.end_stage();
        self.top_list().awaiting_stage = true;
    }

    /// A compound command or a `(...)` opens.
    pub(super) fn open_list(&mut self, compound: bool) {
        self.lists.push(List::nested(compound));
    }

    /// The innermost list closes: what flows out of it joins the stage it
    /// is part of (or that stage's here-string); a command substitution's
    /// insertions are also the current word's, which a script may hold.
    pub(super) fn close_list(&mut self, substitution: bool) {
        if self.lists.len() < 2 {
            return;
        }
        self.end_pipeline();
        let Some(inner) = self.lists.pop() else {
            return;
        };
        if substitution {
            for item in &inner.all {
                if let Item::Insertion(key) = item {
                    self.meta.substituted.push(*key);
                }
            }
        }
        let top = self.top_list();
        if top.in_herestring {
            top.herestring.extend(inner.all);
        } else {
            top.stage.extend(inner.all);
        }
        if top.nested_reader.is_none() {
            top.nested_reader = inner.reads;
        }
    }

    /// Closes the compound commands open inside the innermost `(...)`.
    pub(super) fn close_compounds(&mut self) {
        while self.lists.len() > 1 && self.lists.last().is_some_and(|l| l.compound) {
            self.close_list(false);
        }
    }

    /// Closes one compound command, if one is open in the current `(...)`.
    pub(super) fn close_compound(&mut self) {
        if self.lists.len() > 1 && self.lists.last().is_some_and(|l| l.compound) {
            self.close_list(false);
        }
    }

    /// The end of the text: every list ends, so the last pipelines are
    /// judged. Call once, after the last [`ShellLexer::feed`].
    pub fn finish(&mut self) {
        self.settle();
        self.end_word();
        while self.lists.len() > 1 {
            self.close_list(false);
        }
        self.end_pipeline();
    }

    /// The insertions found to reach an interpreter so far (all of them
    /// once [`ShellLexer::finish`] was called).
    pub fn piped(&self) -> &[Piped] {
        &self.piped
    }

    /// Whether the command an insertion made now is part of rewrites
    /// backslash escapes in what it prints (`echo`, whose `\0047` is a
    /// `'` in dash, or `printf`'s format): text quoted for a later shell
    /// does not reach it as written.
    pub fn rewrites_escapes(&self) -> bool {
        let program = self
            .words
            .first()
            .and_then(|w| w.as_deref())
            .map(|w| w.rsplit('/').next().unwrap_or(w));
        match program {
            Some("echo" | "print") => true,
            Some("printf") => self.words.len() == 1,
            _ => false,
        }
    }

    /// The interpreter the here-document whose body is being read feeds,
    /// when it feeds one (`sh <<EOF`, `cat <<EOF | ssh h`).
    pub fn heredoc_reader(&self) -> Option<&Interpreter> {
        match self.frames.last() {
            Some(super::frames::Frame::Heredoc(heredoc)) => heredoc.reader.as_ref(),
            _ => None,
        }
    }

    /// Whether the here-document whose body is being read is written to
    /// a file (`cat > s <<EOF`), which a later command may run.
    pub fn heredoc_written(&self) -> bool {
        matches!(self.frames.last(), Some(super::frames::Frame::Heredoc(h)) if !h.writes.is_empty())
    }

    /// The scripts another shell parses among the current command's
    /// words: a value in one that flows into an interpreter within the
    /// script (`ssh h "echo {{x}} | sh"`), or that is a command
    /// substitution's output (`sh -c "echo $(printf %s {{x}})"`), is
    /// reported. Also `find -exec sh -c '... {} ...'` with a value among
    /// find's words.
    fn check_scripts(&mut self) {
        let count = self.words.len();
        if count == 0 {
            return;
        }
        // `bash <(printf %s {{x}})`, `source <(...)`: the output is the script.
        let substituted = self.metas.iter().any(|m| !m.substituted.is_empty());
        let operand = substituted
            .then(|| {
                let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
                script_operand(&words)
            })
            .flatten();
        if let Some((program, operand)) = operand {
            let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
            let interpreter = Interpreter {
                name: words[program].unwrap_or("sh").to_string(),
                span: self.word_meta(program).span.unwrap_or_default(),
                language: Language::Shell,
            };
            let keys = self.word_meta(operand).substituted.clone();
            for key in keys {
                self.report(key, &interpreter, Route::Substitution);
            }
        }
        if !self.follows_words {
            return;
        }
        let has_keys = (0..count).any(|i| {
            let meta = self.word_meta(i);
            !meta.keys.is_empty() || !meta.substituted.is_empty()
        });
        if !has_keys {
            return;
        }
        let words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        let texts: Vec<&str> = (0..count)
            .map(|i| self.texts.get(i).map(String::as_str).unwrap_or_default())
            .collect();
        let mut reports: Vec<(usize, Interpreter, Route)> = Vec::new();
        if let Some(shell) = find_pastes_names(&words, &texts) {
            let interpreter = Interpreter {
                name: words[shell].unwrap_or("sh").to_string(),
                span: self.word_meta(shell).span.unwrap_or_default(),
                language: Language::Shell,
            };
            for i in 0..shell {
                let meta = self.word_meta(i);
                for key in meta.keys.iter().chain(&meta.substituted) {
                    reports.push((*key, interpreter.clone(), Route::FoundNames));
                }
            }
        }
        let mut done: Vec<usize> = Vec::new();
        for k in 0..count {
            let meta = self.word_meta(k);
            if meta.keys.is_empty() && meta.substituted.is_empty() {
                continue;
            }
            let Some(range) = script_words(&words[..=k]) else {
                continue;
            };
            if done.contains(&range.start) {
                continue;
            }
            done.push(range.start);
            // `sh -c SCRIPT` is one word; the others run to the command's end.
            let range = if range.len() == 1 && range.start == k {
                range
            } else {
                range.start..count
            };
            let owner = (0..range.start)
                .rev()
                .find(|&i| words[i].is_some_and(hands_on))
                .unwrap_or(range.start);
            let named = |what: &str| Interpreter {
                name: words[owner].unwrap_or(what).to_string(),
                span: self.word_meta(owner).span.unwrap_or_default(),
                language: Language::Shell,
            };
            for i in range.clone() {
                for key in &self.word_meta(i).substituted {
                    reports.push((*key, named("sh"), Route::Substitution));
                }
            }
            if self.depth + 1 >= MAX_FOLLOWED {
                continue;
            }
            let script: Vec<&str> = range.clone().map(|i| texts[i]).collect();
            let mut inner = ShellLexer {
                depth: self.depth + 1,
                ..ShellLexer::default()
            };
            for (n, piece) in script.join(" ").split(OPAQUE).enumerate() {
                if n > 0 {
                    inner.insertion();
                }
                inner.feed(piece);
            }
            inner.finish();
            if let Some(first) = inner.piped.first() {
                let interpreter = Interpreter {
                    name: first.interpreter.name.clone(),
                    span: self.word_meta(range.start).span.unwrap_or_default(),
                    language: first.interpreter.language,
                };
                for i in range {
                    for key in &self.word_meta(i).keys {
                        reports.push((*key, interpreter.clone(), first.route));
                    }
                }
            }
        }
        for (key, interpreter, route) in reports {
            self.report(key, &interpreter, route);
        }
    }
}

/// How many scripts deep the pipelines inside scripts are followed (an
/// insertion deeper than this is refused by its context already).
pub(super) const MAX_FOLLOWED: usize = 4;
