//! Reading a template: an iterative scanner for the supported subset, which
//! gives every path per-segment file spans and precise errors for what is
//! not supported. It is the only judge of template syntax: the handlebars
//! crate once double-checked blocks and escapes, and caught nothing more
//! than a closing tag with parameters (`{{/if a}}`), now rejected here (see
//! docs/dependencies.md).

mod helper;
mod path;
mod whitespace;

use super::{Conditional, Format, Insertion, Segment, Template};
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Text, TextMap};
use crate::path::Path;
use crate::source::Span;
use helper::SUPPORTED;

/// How deep `{{#if}}` blocks may nest. Generous for real commands; it bounds
/// the recursion of checking and filling in nested blocks on hostile input.
pub const MAX_BLOCK_DEPTH: usize = 32;

/// Parses the template written in `text`.
pub fn parse(text: &Text) -> Result<Template, Diagnostic> {
    let segments = Scanner {
        text,
        source: text.as_str(),
        each_depth: std::cell::Cell::new(0),
    }
    .scan()?;
    Ok(Template {
        segments,
        span: text.span,
    })
}

/// An open `{{#if}}` / `{{#unless}}`.
struct Block {
    name: &'static str,
    path: Path,
    condition: Option<Box<crate::expr::Expr>>,
    /// Where `{{#if` starts, and the span of the opening tag.
    start: usize,
    tag: Span,
    then: Vec<Segment>,
    otherwise: Option<Vec<Segment>>,
    /// `{{#each LIST as |x|}}`: the name of the element, if given.
    alias: Option<String>,
    /// `{{#each MAPPING as |value key|}}`: the name of the key, if given.
    key_alias: Option<String>,
}

impl Block {
    fn segments(&mut self) -> &mut Vec<Segment> {
        match &mut self.otherwise {
            Some(otherwise) => otherwise,
            None => &mut self.then,
        }
    }
}

/// What a `{{...}}` tag is.
enum Tag {
    Comment,
    Open {
        name: &'static str,
        path: Path,
        condition: Option<Box<crate::expr::Expr>>,
        alias: Option<String>,
        key_alias: Option<String>,
    },
    Else,
    Close {
        name: String,
        span: Span,
    },
    Insert(Insertion),
}

pub(super) struct Scanner<'t> {
    text: &'t Text,
    source: &'t str,
    /// How many `{{#each}}` blocks are open: inside one, `this`, `@index`
    /// and the element's name are paths.
    each_depth: std::cell::Cell<usize>,
}

impl Scanner<'_> {
    pub(super) fn source(&self) -> &str {
        self.source
    }

    /// Whether an `{{#each}}` block is open, whose body binds `this`.
    pub(super) fn in_each(&self) -> bool {
        self.each_depth.get() > 0
    }

    pub(super) fn span(&self, start: usize, end: usize) -> Span {
        self.text.file_span(start, end)
    }

    /// How the literal text written at `start..end` of the source maps to
    /// the file: as the source does, unless an escape (`\{{`) changed it.
    fn map(&self, literal: &str, start: usize, end: usize) -> TextMap {
        if self.source.get(start..end) == Some(literal) {
            self.text.slice_map(start, end)
        } else {
            TextMap::Opaque
        }
    }

    pub(super) fn syntax(
        &self,
        start: usize,
        end: usize,
        message: impl Into<String>,
        label: &str,
    ) -> Diagnostic {
        Diagnostic::error(Code::TemplateSyntax, message)
            .label(self.span(start, end), label)
            .help(SUPPORTED)
    }

    fn scan(&self) -> Result<Vec<Segment>, Diagnostic> {
        let source = self.source;
        let mut root: Vec<Segment> = Vec::new();
        let mut stack: Vec<Block> = Vec::new();
        let mut literal = String::new();
        let mut literal_start = 0;
        let mut pos = 0;
        while let Some(found) = source[pos..].find("{{") {
            let open = pos + found;
            let backslashes = source[..open]
                .bytes()
                .rev()
                .take_while(|b| *b == b'\\')
                .count();
            if backslashes == 1 {
                // `\{{` is a literal `{{`.
                literal.push_str(&source[pos..open - 1]);
                literal.push_str("{{");
                pos = open + 2;
                continue;
            }
            literal.push_str(&source[pos..open]);
            let (end, tag) = self.tag(open)?;
            // Handlebars' whitespace rules: `{{~`/`~}}`, standalone lines.
            let (trim_before, trim_after) = whitespace::tildes(source, open, end);
            let line_end = match tag {
                Tag::Insert(_) => None,
                _ => whitespace::standalone(source, open, end),
            };
            let cut = if trim_before || line_end.is_some() {
                whitespace::trailing(&literal, trim_before)
            } else {
                0
            };
            literal.truncate(literal.len() - cut);
            if !literal.is_empty() {
                let segments = match stack.last_mut() {
                    Some(block) => block.segments(),
                    None => &mut root,
                };
                segments.push(Segment::Text {
                    map: self.map(&literal, literal_start, open - cut),
                    text: std::mem::take(&mut literal),
                    span: self.span(literal_start, open - cut),
                });
            }
            match tag {
                Tag::Comment => {}
                Tag::Insert(insertion) => {
                    let segments = match stack.last_mut() {
                        Some(block) => block.segments(),
                        None => &mut root,
                    };
                    segments.push(Segment::Insert(insertion));
                }
                Tag::Open {
                    name,
                    path,
                    condition,
                    alias,
                    key_alias,
                } => {
                    if stack.len() >= MAX_BLOCK_DEPTH {
                        return Err(self.syntax(
                            open,
                            end,
                            format!("blocks are nested more than {MAX_BLOCK_DEPTH} deep"),
                            "too deep here",
                        ));
                    }
                    stack.push(Block {
                        name,
                        path,
                        condition,
                        start: open,
                        tag: self.span(open, end),
                        then: Vec::new(),
                        otherwise: None,
                        alias,
                        key_alias,
                    });
                    if name == "each" {
                        self.each_depth.set(self.each_depth.get() + 1);
                    }
                }
                Tag::Else => match stack.last_mut() {
                    Some(block) if block.otherwise.is_none() => block.otherwise = Some(Vec::new()),
                    Some(_) => {
                        return Err(self.syntax(
                            open,
                            end,
                            "a second `{{else}}` in one block",
                            "second `else`",
                        ))
                    }
                    None => {
                        return Err(self.syntax(
                            open,
                            end,
                            "`{{else}}` outside of an `{{#if}}` block",
                            "no block to continue",
                        ))
                    }
                },
                Tag::Close { name, span } => {
                    let Some(block) = stack.pop() else {
                        return Err(self.syntax(
                            open,
                            end,
                            format!("`{{{{/{name}}}}}` closes nothing"),
                            "nothing is open here",
                        ));
                    };
                    if block.name != name {
                        return Err(Diagnostic::error(
                            Code::TemplateSyntax,
                            format!("`{{{{#{}}}}}` is closed by `{{{{/{name}}}}}`", block.name),
                        )
                        .label(span, format!("expected `{{{{/{}}}}}`", block.name))
                        .label(block.tag, "the block opens here")
                        .help(format!("close it with `{{{{/{}}}}}`", block.name)));
                    }
                    if block.name == "each" {
                        self.each_depth.set(self.each_depth.get().saturating_sub(1));
                    }
                    let conditional = Segment::If(Conditional {
                        each: (block.name == "each").then_some(super::Each {
                            alias: block.alias,
                            key_alias: block.key_alias,
                        }),
                        path: block.path,
                        condition: block.condition,
                        negated: block.name == "unless",
                        then: block.then,
                        otherwise: block.otherwise.unwrap_or_default(),
                        span: self.span(block.start, end),
                    });
                    match stack.last_mut() {
                        Some(parent) => parent.segments().push(conditional),
                        None => root.push(conditional),
                    }
                }
            }
            pos = line_end.unwrap_or(end);
            if trim_after {
                pos += whitespace::trailing_start(&source[pos..]);
            }
            literal_start = pos;
        }
        literal.push_str(&source[pos..]);
        if let Some(block) = stack.pop() {
            return Err(Diagnostic::error(
                Code::TemplateSyntax,
                format!("`{{{{#{}}}}}` is never closed", block.name),
            )
            .label(block.tag, "opened here")
            .help(format!("close it with `{{{{/{}}}}}`", block.name)));
        }
        if !literal.is_empty() {
            root.push(Segment::Text {
                map: self.map(&literal, literal_start, source.len()),
                text: literal,
                span: self.span(literal_start, source.len()),
            });
        }
        Ok(root)
    }

    /// Reads the tag starting at `open` (`{{`); returns where it ends.
    fn tag(&self, open: usize) -> Result<(usize, Tag), Diagnostic> {
        let source = self.source;
        let rest = &source[open..];
        if rest.starts_with("{{!--") {
            let end = source[open + 5..]
                .find("--}}")
                .map(|i| open + 5 + i + 4)
                .ok_or_else(|| {
                    self.syntax(
                        open,
                        open + 5,
                        "this comment is never closed",
                        "opened here",
                    )
                })?;
            return Ok((end, Tag::Comment));
        }
        if rest.starts_with("{{!") {
            let end = source[open + 3..]
                .find("}}")
                .map(|i| open + 3 + i + 2)
                .ok_or_else(|| {
                    self.syntax(
                        open,
                        open + 3,
                        "this comment is never closed",
                        "opened here",
                    )
                })?;
            return Ok((end, Tag::Comment));
        }
        if rest.starts_with("{{{{") {
            return Err(self.syntax(
                open,
                open + 4,
                "raw blocks (`{{{{`) are not supported",
                "here",
            ));
        }
        let triple = rest.starts_with("{{{");
        let inner_start = open + if triple { 3 } else { 2 };
        let close = if triple { "}}}" } else { "}}" };
        let inner_end = self.find_close(inner_start, close).ok_or_else(|| {
            self.syntax(
                open,
                inner_start,
                format!("this `{}` is never closed", &source[open..inner_start]),
                "opened here",
            )
            .help(format!("close it with `{close}`"))
        })?;
        let end = inner_end + close.len();
        // The `~` of whitespace control (see `whitespace`) is not part of the tag.
        let mut start = inner_start;
        let mut stop = inner_end;
        if source[start..stop].starts_with('~') {
            start += 1;
        }
        if stop > start && source[start..stop].ends_with('~') {
            stop -= 1;
        }
        if super::expr_insertion::is_expression(&source[start..stop]) {
            match super::expr_insertion::read(self.text, start, stop, open, end, triple) {
                Ok(insertion) => return Ok((end, Tag::Insert(insertion))),
                // `{{lower (upper x)}}` is handlebars, answered below.
                Err(_) if super::expr_insertion::is_subexpression(&source[start..stop]) => {}
                Err(diagnostic) => return Err(diagnostic),
            }
        }
        if let Some((name, at)) = super::condition::opening(&source[start..stop]) {
            let condition = super::condition::read(self.text, start + at, stop)?;
            let path = Path {
                segments: Vec::new(),
                span: condition.span,
            };
            return Ok((
                end,
                Tag::Open {
                    name,
                    path,
                    condition: Some(Box::new(condition)),
                    alias: None,
                    key_alias: None,
                },
            ));
        }
        let tokens = self.tokens(start, stop)?;
        let Some(&(first_start, first_end)) = tokens.first() else {
            return Err(self.syntax(open, end, "an empty `{{ }}`", "nothing inside"));
        };
        let first = &source[first_start..first_end];
        let insertion = |path: Path, format: Format, raw: bool| {
            Tag::Insert(Insertion {
                path,
                expr: None,
                format,
                raw,
                span: self.span(open, end),
            })
        };
        if triple {
            return self
                .insertion(&tokens, open, end)
                .map(|(p, f)| (end, insertion(p, f, true)));
        }
        match first.chars().next() {
            Some('#') => {
                let name = &first[1..];
                if name.starts_with('>') || name.starts_with('*') {
                    return Err(self.syntax(
                        open,
                        end,
                        "partials and decorators are not supported",
                        "not supported",
                    ));
                }
                let kind: &'static str = match name {
                    "if" => "if",
                    "unless" => "unless",
                    "each" => {
                        let (path, alias, key_alias) = super::each::open(self, &tokens, open, end)?;
                        return Ok((
                            end,
                            Tag::Open {
                                name: "each",
                                path,
                                condition: None,
                                alias,
                                key_alias,
                            },
                        ));
                    }
                    _ => return Err(self.unknown_helper(name, first_start + 1, first_end)),
                };
                if tokens.len() != 2 {
                    return Err(self.arity(kind, &tokens, open, end, "`{{#if path}}`"));
                }
                let path = self.path(tokens[1])?;
                Ok((
                    end,
                    Tag::Open {
                        name: kind,
                        path,
                        condition: None,
                        alias: None,
                        key_alias: None,
                    },
                ))
            }
            Some('/') => {
                let name = &first[1..];
                if let Some(&(extra_start, extra_end)) = tokens.get(1) {
                    return Err(Diagnostic::error(
                        Code::TemplateSyntax,
                        "the template cannot be read here",
                    )
                    .label(
                        self.span(extra_start, extra_end),
                        "a closing tag names only its block",
                    )
                    .help(format!("close the block with `{{{{/{name}}}}}`")));
                }
                Ok((
                    end,
                    Tag::Close {
                        name: name.to_string(),
                        span: self.span(open, end),
                    },
                ))
            }
            Some('>') | Some('*') => Err(self.syntax(
                open,
                end,
                "partials and decorators are not supported",
                "not supported",
            )),
            Some('^') if tokens.len() == 1 && first == "^" => Ok((end, Tag::Else)),
            Some('&') => {
                let mut tokens = tokens.clone();
                tokens[0].0 += 1;
                if tokens[0].0 == tokens[0].1 {
                    tokens.remove(0);
                }
                self.insertion(&tokens, open, end)
                    .map(|(p, f)| (end, insertion(p, f, true)))
            }
            _ if first == "else" => {
                if tokens.len() > 1 {
                    return Err(self.syntax(
                        open,
                        end,
                        "`{{else if ...}}` chains are not supported",
                        "write a nested `{{#if}}` inside `{{else}}`",
                    ));
                }
                Ok((end, Tag::Else))
            }
            _ => {
                let raw = first == "raw";
                self.insertion(&tokens, open, end)
                    .map(|(p, f)| (end, insertion(p, f, raw)))
            }
        }
    }

    /// The end of the tag content: the first `close` outside quotes.
    fn find_close(&self, from: usize, close: &str) -> Option<usize> {
        let source = self.source;
        let mut quotes = crate::quotes::Quotes::default();
        for (i, c) in source[from..].char_indices() {
            let at = from + i;
            if quotes.inside(c) {
                continue;
            }
            if source[at..].starts_with(close) {
                return Some(at);
            }
        }
        None
    }

    /// Splits tag content into words (quotes and `[...]` keep spaces).
    fn tokens(&self, start: usize, end: usize) -> Result<Vec<(usize, usize)>, Diagnostic> {
        let source = self.source;
        let mut tokens = Vec::new();
        let mut current: Option<usize> = None;
        let mut quotes = crate::quotes::Quotes::default();
        let mut bracket = false;
        for (i, c) in source[start..end].char_indices() {
            let at = start + i;
            if !bracket && quotes.inside(c) {
                continue;
            }
            if bracket {
                bracket = c != ']';
                continue;
            }
            match c {
                c if c.is_whitespace() => {
                    if let Some(s) = current.take() {
                        tokens.push((s, at));
                    }
                }
                '(' | ')' => {
                    return Err(self.syntax(
                        at,
                        at + 1,
                        "subexpressions `( )` are not supported",
                        "here",
                    ));
                }
                '=' => {
                    return Err(self.syntax(
                        at,
                        at + 1,
                        "named arguments (`key=value`) are not supported",
                        "here",
                    ));
                }
                _ => {
                    if current.is_none() {
                        current = Some(at);
                    }
                    if c == '[' {
                        bracket = true;
                    }
                }
            }
        }
        if let Some(s) = current {
            tokens.push((s, end));
        }
        Ok(tokens)
    }
}
