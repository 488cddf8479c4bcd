//! Builds the spanned [`Node`] tree from pest's pairs.
//!
//! Statements with their own syntax (`playbook`, `input`, `step`, `needs`,
//! `until`, `retry`, `on_failure goto`, `output`, `triage`/`branch`) become the
//! keys the YAML form spells; synthesised keys carry the span of the keyword
//! (or token) they came from, so a diagnostic about them points at the text.
//!
//! A statement's keyword is a literal in the grammar, not a pair of its own
//! (fewer pairs: less memory and time); [`Chunk::keyword`] reads it from the
//! start of the statement's pair.
//!
//! pest builds the queue of tokens of everything it parses before the first
//! pair can be read, about 80 bytes a pair. Parsing the whole file at once
//! kept the queue of every statement alive beside the growing tree (24 MiB
//! at 20,000 steps), so the file is parsed in chunks of whole top-level
//! statements (the scanner finds where they may be cut, `scan.rs`), and each
//! chunk's pairs are dropped once its statements are nodes. Positions in a
//! chunk's pairs count from the chunk's start; [`Chunk`] adds its offset, so
//! every span is a byte of the file.

use super::collected::{Collected, CollectedItem};
use super::grammar::{Rule, RunbookParser};
use super::{error, scan, strings, Comment, Parsed};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Entry, Node, Text, Value};
use crate::runbook_words::{expression, is_one_string, typed_word};
use crate::source::{SourceFile, Span};
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use std::borrow::Cow;

mod step_parts;

type Result<T> = std::result::Result<T, Box<Diagnostic>>;

/// How many bytes of the file pest parses at a time, at least (a chunk ends
/// at the first line break between top-level statements after this many
/// bytes). Large enough that pest's fixed cost per call is lost in the
/// parsing, small enough that a chunk's tokens are a few hundred KiB.
const CHUNK_BYTES: usize = 16 * 1024;

/// Parses a `.runbook` playbook into the node tree and its comments.
/// Returns `None` on a syntax error, which is pushed to `diags` (one
/// diagnostic: later errors would mostly be echoes of the first).
pub fn parse(file: &SourceFile, diags: &mut Diagnostics) -> Option<Parsed> {
    parse_in_chunks(file, diags, CHUNK_BYTES)
}

/// [`parse`], cutting the file into chunks of at least `chunk_bytes` (0: at
/// every line break between top-level statements; `usize::MAX`: the whole
/// file at once). The tree, the comments and the diagnostics do not depend
/// on it (the tests compare cuts against the whole file).
pub(super) fn parse_in_chunks(
    file: &SourceFile,
    diags: &mut Diagnostics,
    chunk_bytes: usize,
) -> Option<Parsed> {
    let text = file.text();
    let result = scan::scan(text, chunk_bytes).and_then(|scan| match parse_chunks(text, scan) {
        Some(result) => result,
        // The scanner counts every bracket, also one inside an expression
        // (`when x}` is an expression to pest), so a cut may fall inside a
        // statement when a file is wrong: a syntax error is reported as
        // the whole file's parse reports it.
        None => {
            let whole = scan::scan(text, usize::MAX)?;
            parse_chunks(text, whole).expect("a file in one chunk is parsed")
        }
    });
    match result {
        Ok((parsed, warnings)) => {
            diags.extend(warnings);
            Some(parsed)
        }
        Err(diagnostic) => {
            diags.push(*diagnostic);
            None
        }
    }
}

/// The tree of `text` parsed chunk by chunk at the cuts of `scan`, with its
/// warnings; `None` when pest rejects a chunk of a file cut in several.
fn parse_chunks(text: &str, mut scan: scan::Scan) -> Option<Result<(Parsed, Vec<Diagnostic>)>> {
    // A bracket error leaves the depth, and so the cuts, unreliable: the
    // file is then parsed whole, and pest's error is compared with it.
    let breaks: &[usize] = if scan.brackets.is_some() {
        &[]
    } else {
        &scan.breaks
    };
    let mut top = Top::default();
    let mut warnings = Vec::new();
    let mut comments = scan.comments.as_slice();
    let mut failed = None;
    let mut start = 0;
    for end in breaks.iter().copied().chain([text.len()]) {
        let own = comments.partition_point(|c| c.span.start < end);
        // Comments were collected by the scanner; pest sees them as blanks
        // (same byte offsets), which spares it a comment rule between tokens.
        let mut blanked = blank_comments(&text[start..end], start, &comments[..own]);
        // A `{` no `}` closes is a bracket error already; to pest it is a
        // blank, so that hostile input cannot make it try a map literal up
        // to the end of the file at each of them. The error is the
        // scanner's, or pest's if it comes before: text before it is as written.
        if !scan.unclosed_braces.is_empty() {
            let mut bytes = blanked.into_owned().into_bytes();
            for &at in &scan.unclosed_braces {
                if let Some(byte) = at.checked_sub(start).and_then(|i| bytes.get_mut(i)) {
                    *byte = b' ';
                }
            }
            blanked = Cow::Owned(String::from_utf8(bytes).expect("a `{` replaced by a space"));
        }
        comments = &comments[own..];
        let mut pairs = match (
            RunbookParser::parse(Rule::file, &blanked),
            scan.brackets.take(),
        ) {
            (Ok(pairs), None) => pairs,
            (Ok(_), Some(brackets)) => return Some(Err(brackets)),
            (Err(_), _) if !breaks.is_empty() => return None,
            (Err(e), brackets) => {
                let pest = error::from_pest(&e, text, start);
                return Some(Err(match brackets {
                    Some(b) if b.primary_span().start <= pest.primary_span().start => b,
                    _ => Box::new(pest),
                }));
            }
        };
        // An error building the tree (a string's escape, a block's
        // indentation) comes after any syntax error in the file, as when
        // pest parsed the whole file before the tree was built: the chunks
        // after it are still parsed, their tree is not built.
        if failed.is_none() {
            let file_pair = pairs.next().expect("the file rule always yields a pair");
            failed = top
                .add(Chunk { offset: start }, file_pair, &mut warnings)
                .err();
        }
        start = end;
    }
    if let Some(error) = failed {
        return Some(Err(error));
    }
    Some(Ok((
        Parsed {
            node: top.finish(text.len()),
            comments: scan.comments,
        },
        warnings,
    )))
}

/// `text` (the chunk of the file starting at byte `offset`) with every
/// comment replaced by spaces, byte for byte (the text itself, not a copy,
/// when it has no comment).
fn blank_comments<'a>(text: &'a str, offset: usize, comments: &[Comment]) -> Cow<'a, str> {
    if comments.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for comment in comments {
        let end = (comment.span.end - offset).min(bytes.len());
        bytes[(comment.span.start - offset).min(end)..end].fill(b' ');
    }
    String::from_utf8(bytes).map_or(Cow::Borrowed(text), Cow::Owned)
}

/// The file's mapping, built statement by statement as chunks are parsed:
/// `input`s, `var`s and `step`s are collected under one key each, wherever
/// in the file they are.
#[derive(Default)]
struct Top {
    entries: Vec<Entry>,
    inputs: Option<Collected>,
    vars: Option<Collected>,
    steps: Option<Collected>,
}

impl Top {
    /// Adds the statements of one chunk (its `file` pair).
    fn add(
        &mut self,
        chunk: Chunk,
        file: Pair<Rule>,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<()> {
        for pair in children(file) {
            match pair.as_rule() {
                Rule::playbook_stmt => {
                    let kw = chunk.keyword(&pair).span;
                    let name = children(pair).next().expect("name");
                    self.entries.push(Entry {
                        key: synthetic("name", kw),
                        value: chunk.id_node(name),
                    });
                }
                Rule::input_stmt => {
                    let whole = chunk.span(&pair);
                    let kw = chunk.keyword(&pair).span;
                    let mut inner = pair.into_inner();
                    let name = inner.next().expect("name");
                    let key = Text::verbatim(name.as_str(), chunk.span(&name));
                    let open = chunk.span(&inner.next().expect("`{`"));
                    let value = chunk.block_from(inner, open.start, whole.end)?;
                    let entry = Entry { key, value };
                    Collected::push(
                        &mut self.inputs,
                        &mut self.entries,
                        "inputs",
                        kw,
                        CollectedItem::Entry(entry),
                    );
                }
                Rule::var_stmt => {
                    let kw = chunk.keyword(&pair).span;
                    let mut inner = children(pair);
                    let name = inner.next().expect("name");
                    let key = Text::verbatim(name.as_str(), chunk.span(&name));
                    let value = chunk.expr(inner.next().expect("expression"));
                    Collected::push(
                        &mut self.vars,
                        &mut self.entries,
                        "vars",
                        kw,
                        CollectedItem::Entry(Entry { key, value }),
                    );
                }
                Rule::step_stmt => {
                    let kw = chunk.keyword(&pair).span;
                    let step = chunk.step(pair, warnings)?;
                    Collected::push(
                        &mut self.steps,
                        &mut self.entries,
                        "steps",
                        kw,
                        CollectedItem::Item(step),
                    );
                }
                Rule::entry => self.entries.push(chunk.entry(pair)?),
                rule => unreachable!("unexpected top-level rule {rule:?}"),
            }
        }
        Ok(())
    }

    /// The mapping of the whole file (`len` bytes).
    fn finish(mut self, len: usize) -> Node {
        for collected in [self.inputs, self.vars, self.steps].into_iter().flatten() {
            collected.close(&mut self.entries);
        }
        Node::new(Value::Map(sized(self.entries)), Span::new(0, len))
    }
}

/// A synthesised key: its text is not written in the file, so it maps to the
/// whole token it came from.
fn synthetic(key: &str, span: Span) -> Text {
    Text::opaque(key, span)
}

fn is_noise(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::sep
            | Rule::EOI
            | Rule::comma
            | Rule::list_open
            | Rule::list_close
            | Rule::block_open
            | Rule::block_close
            | Rule::step_open
            | Rule::input_open
            | Rule::cases_open
            | Rule::output_eq
            | Rule::var_eq
            | Rule::arrow
    )
}

/// A vector without the room it grew by doubling: the tree of a large
/// file lives until it is lowered, beside the model. Maps and lists inside
/// it are sized from their pairs instead (no reallocation).
fn sized<T>(mut items: Vec<T>) -> Vec<T> {
    items.shrink_to_fit();
    items
}

/// The meaningful children of a pair: punctuation and separators dropped.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_noise(p.as_rule()))
}

/// Where pest's pairs of one chunk sit in the file: the builders of nodes
/// are its methods, so that every span they make is offset to the file.
#[derive(Clone, Copy)]
struct Chunk {
    /// The byte of the file the chunk starts at.
    offset: usize,
}

impl Chunk {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.offset + s.start(), self.offset + s.end())
    }

    fn step(&self, pair: Pair<Rule>, warnings: &mut Vec<Diagnostic>) -> Result<Node> {
        let whole = self.span(&pair);
        let inner = pair.into_inner();
        // At most one entry per pair (`output`s share one): no room to
        // give back once the step is built.
        let mut entries = Vec::with_capacity(inner.len());
        let mut outputs = None;
        for item in inner.filter(|p| !is_noise(p.as_rule())) {
            match item.as_rule() {
                Rule::step_id => {
                    let id = self.id_node(item);
                    entries.push(Entry {
                        key: synthetic("id", id.span),
                        value: id,
                    });
                }
                Rule::step_title => {
                    let at = self.span(&item);
                    let title = Node::new(Value::Str(strings::quoted(item.as_str(), at)?), at);
                    entries.push(Entry {
                        key: synthetic("title", title.span),
                        value: title,
                    });
                }
                Rule::needs_stmt => {
                    let key = self.keyword(&item);
                    let mut inner = item.into_inner();
                    let first = inner.next().expect("needs a value");
                    let value = if first.as_rule() == Rule::list {
                        self.value(first)?
                    } else {
                        let mut refs = Vec::with_capacity(inner.len() + 1);
                        refs.extend(
                            std::iter::once(first)
                                .chain(inner.filter(|p| !is_noise(p.as_rule())))
                                .map(|p| self.id_node(p)),
                        );
                        let covered = refs[0].span.to(refs[refs.len() - 1].span);
                        Node::new(Value::Seq(refs), covered)
                    };
                    entries.push(Entry { key, value });
                }
                // `when EXPR`, `label EXPR`; `for_each EXPR` or a literal `[...]` list.
                Rule::when_stmt | Rule::for_each_stmt | Rule::label_stmt => {
                    let key = self.keyword(&item);
                    let mut inner = children(item);
                    let v = inner.next().expect("value");
                    let value = if v.as_rule() == Rule::list {
                        self.value(v)?
                    } else {
                        self.expr(v)
                    };
                    entries.push(Entry { key, value });
                }
                Rule::until_stmt => entries.push(self.until(item, warnings)?),
                Rule::retry_stmt => entries.push(self.retry(item)?),
                Rule::on_failure_stmt => {
                    let whole = self.span(&item);
                    let key = self.keyword(&item);
                    let mut inner = children(item);
                    let goto = inner.next().expect("goto");
                    let target = self.id_node(inner.next().expect("target"));
                    let value = Node::new(
                        Value::Map(vec![Entry {
                            key: self.token(&goto),
                            value: target,
                        }]),
                        Span::new(self.span(&goto).start, whole.end),
                    );
                    entries.push(Entry { key, value });
                }
                Rule::output_stmt => {
                    let kw = self.keyword(&item).span;
                    let mut inner = children(item);
                    let name = inner.next().expect("name");
                    let key = Text::verbatim(name.as_str(), self.span(&name));
                    let value = self.value(inner.next().expect("value"))?;
                    Collected::push(
                        &mut outputs,
                        &mut entries,
                        "outputs",
                        kw,
                        CollectedItem::Entry(Entry { key, value }),
                    );
                }
                Rule::cases_stmt => entries.push(self.cases(item)?),
                Rule::assert_stmt => entries.push(self.assert(item, warnings)?),
                Rule::entry => entries.push(self.entry(item)?),
                rule => unreachable!("unexpected step rule {rule:?}"),
            }
        }
        Ok(Node::new(Value::Map(entries), whole))
    }

    fn entry(&self, pair: Pair<Rule>) -> Result<Entry> {
        let mut inner = pair.into_inner();
        let key_pair = inner.next().expect("key");
        // A key is a word or a quoted string, told apart by its first character.
        let key = if key_pair.as_str().starts_with('"') {
            strings::quoted(key_pair.as_str(), self.span(&key_pair))?
        } else {
            self.token(&key_pair)
        };
        let value = self.value(inner.next().expect("value"))?;
        Ok(Entry { key, value })
    }

    /// A generic value: scalar, list or block.
    fn value(&self, pair: Pair<Rule>) -> Result<Node> {
        match pair.as_rule() {
            Rule::list => {
                let whole = self.span(&pair);
                let inner = pair.into_inner();
                let mut items = Vec::with_capacity(inner.len());
                for item in inner.filter(|p| !is_noise(p.as_rule())) {
                    items.push(self.value(item)?);
                }
                Ok(Node::new(Value::Seq(items), whole))
            }
            Rule::block => {
                let whole = self.span(&pair);
                self.block_from(pair.into_inner(), whole.start, whole.end)
            }
            _ => self.scalar(pair),
        }
    }

    /// A block's entries (what follows its `{`), as a mapping spanning `start..end`.
    fn block_from(&self, inner: Pairs<Rule>, start: usize, end: usize) -> Result<Node> {
        let mut entries = Vec::with_capacity(inner.len());
        for pair in inner.filter(|p| p.as_rule() == Rule::entry) {
            entries.push(self.entry(pair)?);
        }
        Ok(Node::new(Value::Map(entries), Span::new(start, end)))
    }

    fn scalar(&self, pair: Pair<Rule>) -> Result<Node> {
        let at = self.span(&pair);
        let text = match pair.as_rule() {
            Rule::string => strings::quoted(pair.as_str(), at)?,
            Rule::triple => strings::block(pair.as_str(), at)?,
            Rule::word => return Ok(self.word(pair)),
            rule => unreachable!("unexpected value rule {rule:?}"),
        };
        Ok(Node::new(Value::Str(text), at))
    }

    /// A bare word (or a token spelled like one): `true`, `false`, `null` and numbers are typed, the rest are
    /// strings, as YAML types plain scalars.
    fn word(&self, pair: Pair<Rule>) -> Node {
        let at = self.span(&pair);
        let text = pair.as_str();
        let value = typed_word(text).unwrap_or_else(|| Value::Str(Text::verbatim(text, at)));
        Node::new(value, at)
    }

    /// A word naming something (a step, an input, the playbook): always a string.
    fn id_node(&self, pair: Pair<Rule>) -> Node {
        let at = self.span(&pair);
        Node::new(Value::Str(Text::verbatim(pair.as_str(), at)), at)
    }

    /// A token used as a key (`goto`, `until`, a field's name): its text is the
    /// key, written verbatim.
    fn token(&self, pair: &Pair<Rule>) -> Text {
        Text::verbatim(pair.as_str(), self.span(pair))
    }

    /// The keyword a statement starts with (`needs`, `when`, `retry`, ...),
    /// written verbatim: the grammar matches it as a literal, so it is the run
    /// of lowercase letters and `_` at the start of the statement's pair.
    fn keyword(&self, pair: &Pair<Rule>) -> Text {
        let text = pair.as_str();
        let len = text
            .bytes()
            .position(|b| !(b.is_ascii_lowercase() || b == b'_'))
            .unwrap_or(text.len());
        let start = self.offset + pair.as_span().start();
        Text::verbatim(&text[..len], Span::new(start, start + len))
    }

    /// An expression: the raw text, trimmed, mapped verbatim.
    fn expr(&self, pair: Pair<Rule>) -> Node {
        let start = self.offset + pair.as_span().start();
        let raw = pair.as_str().trim_end();
        let at = Span::new(start, start + raw.len());
        Node::new(Value::Str(Text::verbatim(raw, at)), at)
    }
}
