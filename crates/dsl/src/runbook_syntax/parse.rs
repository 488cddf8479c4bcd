//! Builds the spanned [`Node`] tree from pest's pairs.
//!
//! Statements with their own syntax (`playbook`, `input`, `step`, `needs`,
//! `until`, `retry`, `on_failure goto`, `output`, `triage`/`branch`) become the
//! keys the YAML form spells; synthesised keys carry the span of the keyword
//! (or token) they came from, so a diagnostic about them points at the text.
//!
//! A statement's keyword is a literal in the grammar, not a pair of its own
//! (fewer pairs: less memory and time); [`keyword`] reads it from the start
//! of the statement's pair.

use super::collected::{Collected, CollectedItem};
use super::grammar::{Rule, RunbookParser};
use super::{error, scan, strings, Comment, Parsed};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Entry, Node, Text, Value};
use crate::runbook_words::{expression, is_one_string, typed_word};
use crate::source::{SourceFile, Span};
use pest::iterators::Pair;
use pest::Parser as _;
use std::borrow::Cow;

type Result<T> = std::result::Result<T, Box<Diagnostic>>;

/// Parses a `.runbook` playbook into the node tree and its comments.
/// Returns `None` on a syntax error, which is pushed to `diags` (one
/// diagnostic: later errors would mostly be echoes of the first).
pub fn parse(file: &SourceFile, diags: &mut Diagnostics) -> Option<Parsed> {
    let text = file.text();
    let result = scan::scan(text).and_then(|scan| {
        // Comments were collected by the scanner; pest sees them as blanks
        // (same byte offsets), which spares it a comment rule between tokens.
        let blanked = blank_comments(text, &scan.comments);
        let parsed = RunbookParser::parse(Rule::file, &blanked);
        let mut pairs = match (parsed, scan.brackets) {
            (Ok(pairs), None) => pairs,
            (Ok(_), Some(brackets)) => return Err(brackets),
            (Err(e), brackets) => {
                let pest = error::from_pest(&e, text);
                return Err(match brackets {
                    Some(b) if b.primary_span().start <= pest.primary_span().start => b,
                    _ => Box::new(pest),
                });
            }
        };
        let file_pair = pairs.next().expect("the file rule always yields a pair");
        let mut warnings = Vec::new();
        let node = top(file_pair, text.len(), &mut warnings)?;
        Ok((
            Parsed {
                node,
                comments: scan.comments,
            },
            warnings,
        ))
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

/// The text with every comment replaced by spaces, byte for byte (the text
/// itself, not a copy, when it has no comment).
fn blank_comments<'a>(text: &'a str, comments: &[Comment]) -> Cow<'a, str> {
    if comments.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for comment in comments {
        let end = comment.span.end.min(bytes.len());
        bytes[comment.span.start.min(end)..end].fill(b' ');
    }
    String::from_utf8(bytes).map_or(Cow::Borrowed(text), Cow::Owned)
}

fn span(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
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

/// The meaningful children of a pair: punctuation and separators dropped.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_noise(p.as_rule()))
}

fn top(file: Pair<Rule>, len: usize, warnings: &mut Vec<Diagnostic>) -> Result<Node> {
    let mut entries = Vec::new();
    let mut inputs = None;
    let mut vars = None;
    let mut steps = None;
    for pair in children(file) {
        match pair.as_rule() {
            Rule::playbook_stmt => {
                let kw = keyword(&pair).span;
                let name = children(pair).next().expect("name");
                entries.push(Entry {
                    key: synthetic("name", kw),
                    value: id_node(name),
                });
            }
            Rule::input_stmt => {
                let whole = span(&pair);
                let kw = keyword(&pair).span;
                let mut inner = pair.into_inner();
                let name = inner.next().expect("name");
                let key = Text::verbatim(name.as_str(), span(&name));
                let open = span(&inner.next().expect("`{`"));
                let value = block_from(inner, open.start, whole.end)?;
                let entry = Entry { key, value };
                Collected::push(
                    &mut inputs,
                    &mut entries,
                    "inputs",
                    kw,
                    CollectedItem::Entry(entry),
                );
            }
            Rule::var_stmt => {
                let kw = keyword(&pair).span;
                let mut inner = children(pair);
                let name = inner.next().expect("name");
                let key = Text::verbatim(name.as_str(), span(&name));
                let value = expr(inner.next().expect("expression"));
                Collected::push(
                    &mut vars,
                    &mut entries,
                    "vars",
                    kw,
                    CollectedItem::Entry(Entry { key, value }),
                );
            }
            Rule::step_stmt => {
                let kw = keyword(&pair).span;
                let step = step(pair, warnings)?;
                Collected::push(
                    &mut steps,
                    &mut entries,
                    "steps",
                    kw,
                    CollectedItem::Item(step),
                );
            }
            Rule::entry => entries.push(entry(pair)?),
            rule => unreachable!("unexpected top-level rule {rule:?}"),
        }
    }
    Ok(Node::new(Value::Map(entries), Span::new(0, len)))
}

fn step(pair: Pair<Rule>, warnings: &mut Vec<Diagnostic>) -> Result<Node> {
    let whole = span(&pair);
    let mut entries = Vec::new();
    let mut outputs = None;
    for item in children(pair) {
        match item.as_rule() {
            Rule::step_id => {
                let id = id_node(item);
                entries.push(Entry {
                    key: synthetic("id", id.span),
                    value: id,
                });
            }
            Rule::step_title => {
                let at = span(&item);
                let title = Node::new(Value::Str(strings::quoted(item.as_str(), at)?), at);
                entries.push(Entry {
                    key: synthetic("title", title.span),
                    value: title,
                });
            }
            Rule::needs_stmt => {
                let key = keyword(&item);
                let mut inner = children(item);
                let first = inner.next().expect("needs a value");
                let value = if first.as_rule() == Rule::list {
                    value(first)?
                } else {
                    let refs: Vec<Node> =
                        std::iter::once(first).chain(inner).map(id_node).collect();
                    let covered = refs[0].span.to(refs[refs.len() - 1].span);
                    Node::new(Value::Seq(refs), covered)
                };
                entries.push(Entry { key, value });
            }
            // `when EXPR`, `label EXPR`; `for_each EXPR` or a literal `[...]` list.
            Rule::when_stmt | Rule::for_each_stmt | Rule::label_stmt => {
                let key = keyword(&item);
                let mut inner = children(item);
                let v = inner.next().expect("value");
                let value = if v.as_rule() == Rule::list {
                    value(v)?
                } else {
                    expr(v)
                };
                entries.push(Entry { key, value });
            }
            Rule::until_stmt => entries.push(until(item, warnings)?),
            Rule::retry_stmt => entries.push(retry(item)?),
            Rule::on_failure_stmt => {
                let whole = span(&item);
                let key = keyword(&item);
                let mut inner = children(item);
                let goto = inner.next().expect("goto");
                let target = id_node(inner.next().expect("target"));
                let value = Node::new(
                    Value::Map(vec![Entry {
                        key: token(&goto),
                        value: target,
                    }]),
                    Span::new(span(&goto).start, whole.end),
                );
                entries.push(Entry { key, value });
            }
            Rule::output_stmt => {
                let kw = keyword(&item).span;
                let mut inner = children(item);
                let name = inner.next().expect("name");
                let key = Text::verbatim(name.as_str(), span(&name));
                let value = value(inner.next().expect("value"))?;
                Collected::push(
                    &mut outputs,
                    &mut entries,
                    "outputs",
                    kw,
                    CollectedItem::Entry(Entry { key, value }),
                );
            }
            Rule::cases_stmt => entries.push(cases(item)?),
            Rule::assert_stmt => entries.push(assert(item, warnings)?),
            Rule::entry => entries.push(entry(item)?),
            rule => unreachable!("unexpected step rule {rule:?}"),
        }
    }
    Ok(Node::new(Value::Map(entries), whole))
}

/// `[every D] [within D] until EXPR`: the plain expression when there is no
/// interval or deadline (YAML's shorthand), else `{condition, every, within}`.
fn until(pair: Pair<Rule>, warnings: &mut Vec<Diagnostic>) -> Result<Entry> {
    let whole = span(&pair);
    let mut clauses = Vec::new();
    let mut key = None;
    let mut condition = None;
    for item in children(pair) {
        match item.as_rule() {
            Rule::every_clause | Rule::within_clause => {
                let kw = keyword(&item);
                let value = scalar(item.into_inner().next().expect("duration"))?;
                clauses.push(Entry { key: kw, value });
            }
            Rule::kw_until => key = Some(token(&item)),
            Rule::expr => condition = Some(expr(item)),
            Rule::until_block => {
                let at = span(&item);
                let mut entries = Vec::new();
                for part in children(item) {
                    if part.as_rule() == Rule::condition_stmt {
                        let kw = keyword(&part);
                        let value = self::condition(
                            children(part).next().expect("expression"),
                            "condition",
                            warnings,
                        )?;
                        entries.push(Entry { key: kw, value });
                    } else {
                        entries.push(entry(part)?);
                    }
                }
                condition = Some(Node::new(Value::Map(entries), at));
            }
            rule => unreachable!("unexpected until rule {rule:?}"),
        }
    }
    let key = key.expect("until keyword");
    let condition = condition.expect("until condition");
    if let Value::Map(block) = condition.value {
        // `until { condition EXPR ... }`, after any `every`/`within` clauses.
        let at = if clauses.is_empty() {
            condition.span
        } else {
            whole
        };
        let mut map = clauses;
        map.extend(block);
        return Ok(Entry {
            key,
            value: Node::new(Value::Map(map), at),
        });
    }
    if clauses.is_empty() {
        return Ok(Entry {
            key,
            value: condition,
        });
    }
    let mut map = vec![Entry {
        key: synthetic("condition", key.span),
        value: condition,
    }];
    map.extend(clauses);
    Ok(Entry {
        key,
        value: Node::new(Value::Map(map), whole),
    })
}

/// `assert EXPR` or `assert { that EXPR ... }`: the kind `assert` with its
/// condition read like `when`'s.
fn assert(pair: Pair<Rule>, warnings: &mut Vec<Diagnostic>) -> Result<Entry> {
    let key = keyword(&pair);
    let body = children(pair).next().expect("a condition or a block");
    let value = if body.as_rule() == Rule::assert_block {
        let whole = span(&body);
        let mut entries = Vec::new();
        for item in children(body) {
            if item.as_rule() == Rule::that_stmt {
                let that = keyword(&item);
                let condition =
                    condition(children(item).next().expect("expression"), "that", warnings)?;
                entries.push(Entry {
                    key: that,
                    value: condition,
                });
            } else {
                entries.push(entry(item)?);
            }
        }
        Node::new(Value::Map(entries), whole)
    } else {
        condition(body, "assert", warnings)?
    };
    Ok(Entry { key, value })
}

/// The condition of `assert` or `that`. The quoted form older playbooks
/// use (`assert "a == b"`) is read as the expression inside the quotes,
/// with a warning whose fix is the bare form (`runbook fmt` writes it).
fn condition(pair: Pair<Rule>, keyword: &str, warnings: &mut Vec<Diagnostic>) -> Result<Node> {
    let node = expr(pair);
    let Value::Str(raw) = &node.value else {
        return Ok(node);
    };
    if !is_one_string(&raw.value) {
        return Ok(node);
    }
    let at = node.span;
    let text = strings::quoted(&raw.value, at)?;
    let bare = expression(&text.value);
    let warning = Diagnostic::warning(
        Code::QuotedExpression,
        format!("the `{keyword}` expression is written as a quoted string"),
    )
    .label(at, "an expression in quotes");
    // The bare form is offered only when it reads back as this expression
    // (the `check` error about a malformed one comes next).
    let reads_back = crate::expr::parse(&Text::verbatim(&bare, at)).is_ok();
    warnings.push(if reads_back {
        warning
            .help(format!(
                "write the expression without quotes, like `when`'s: `{keyword} {bare}` (`runbook fmt` rewrites it)"
            ))
            .fix(at, bare)
    } else {
        warning.help(format!(
            "write the expression without quotes, like `when`'s: `{keyword} EXPR`"
        ))
    });
    Ok(Node::new(Value::Str(text), at))
}

/// `retry N [delay D] [backoff F]` -> `{attempts, delay, backoff}`.
fn retry(pair: Pair<Rule>) -> Result<Entry> {
    let whole = span(&pair);
    let key = keyword(&pair);
    let mut inner = children(pair);
    let attempts = word(inner.next().expect("attempts"));
    let mut map = vec![Entry {
        key: synthetic("attempts", attempts.span),
        value: attempts,
    }];
    for clause in inner {
        let kw = keyword(&clause);
        // `delay "{{inputs.pause}}"`: a templated duration is a string.
        let value = scalar(clause.into_inner().next().expect("value"))?;
        map.push(Entry { key: kw, value });
    }
    let value_span = Span::new(map[0].value.span.start, whole.end);
    Ok(Entry {
        key,
        value: Node::new(Value::Map(map), value_span),
    })
}

/// `triage { when EXPR -> ID ... else -> ID }` -> a list of `{when, then}` / `{else}`.
fn cases(pair: Pair<Rule>) -> Result<Entry> {
    let whole = span(&pair);
    let key = keyword(&pair);
    let mut inner = pair.into_inner();
    let open = span(&inner.next().expect("`{`"));
    let mut items = Vec::new();
    for case in inner.filter(|p| !is_noise(p.as_rule())) {
        let case_span = span(&case);
        let rule = case.as_rule();
        let kw = keyword(&case);
        let mut parts = case.into_inner();
        let entries = if rule == Rule::when_case {
            let condition = expr(parts.next().expect("expression"));
            let arrow = span(&parts.next().expect("arrow"));
            let target = id_node(parts.next().expect("target"));
            vec![
                Entry {
                    key: kw,
                    value: condition,
                },
                Entry {
                    key: synthetic("then", arrow),
                    value: target,
                },
            ]
        } else {
            parts.next().expect("arrow");
            let target = id_node(parts.next().expect("target"));
            vec![Entry {
                key: kw,
                value: target,
            }]
        };
        items.push(Node::new(Value::Map(entries), case_span));
    }
    Ok(Entry {
        key,
        value: Node::new(Value::Seq(items), Span::new(open.start, whole.end)),
    })
}

fn entry(pair: Pair<Rule>) -> Result<Entry> {
    let mut inner = pair.into_inner();
    let key_pair = inner.next().expect("key");
    // A key is a word or a quoted string, told apart by its first character.
    let key = if key_pair.as_str().starts_with('"') {
        strings::quoted(key_pair.as_str(), span(&key_pair))?
    } else {
        token(&key_pair)
    };
    let value = value(inner.next().expect("value"))?;
    Ok(Entry { key, value })
}

/// A generic value: scalar, list or block.
fn value(pair: Pair<Rule>) -> Result<Node> {
    match pair.as_rule() {
        Rule::list => {
            let whole = span(&pair);
            let items = children(pair).map(value).collect::<Result<Vec<_>>>()?;
            Ok(Node::new(Value::Seq(items), whole))
        }
        Rule::block => {
            let whole = span(&pair);
            block_from(pair.into_inner(), whole.start, whole.end)
        }
        _ => scalar(pair),
    }
}

/// A block's entries (what follows its `{`), as a mapping spanning `start..end`.
fn block_from<'a>(
    inner: impl Iterator<Item = Pair<'a, Rule>>,
    start: usize,
    end: usize,
) -> Result<Node> {
    let entries = inner
        .filter(|p| p.as_rule() == Rule::entry)
        .map(entry)
        .collect::<Result<Vec<_>>>()?;
    Ok(Node::new(Value::Map(entries), Span::new(start, end)))
}

fn scalar(pair: Pair<Rule>) -> Result<Node> {
    let at = span(&pair);
    let text = match pair.as_rule() {
        Rule::string => strings::quoted(pair.as_str(), at)?,
        Rule::triple => strings::block(pair.as_str(), at)?,
        Rule::word => return Ok(word(pair)),
        rule => unreachable!("unexpected value rule {rule:?}"),
    };
    Ok(Node::new(Value::Str(text), at))
}

/// A bare word (or a token spelled like one): `true`, `false`, `null` and numbers are typed, the rest are
/// strings, as YAML types plain scalars.
fn word(pair: Pair<Rule>) -> Node {
    let at = span(&pair);
    let text = pair.as_str();
    let value = typed_word(text).unwrap_or_else(|| Value::Str(Text::verbatim(text, at)));
    Node::new(value, at)
}

/// A word naming something (a step, an input, the playbook): always a string.
fn id_node(pair: Pair<Rule>) -> Node {
    let at = span(&pair);
    Node::new(Value::Str(Text::verbatim(pair.as_str(), at)), at)
}

/// A token used as a key (`goto`, `until`, a field's name): its text is the
/// key, written verbatim.
fn token(pair: &Pair<Rule>) -> Text {
    Text::verbatim(pair.as_str(), span(pair))
}

/// The keyword a statement starts with (`needs`, `when`, `retry`, ...),
/// written verbatim: the grammar matches it as a literal, so it is the run
/// of lowercase letters and `_` at the start of the statement's pair.
fn keyword(pair: &Pair<Rule>) -> Text {
    let text = pair.as_str();
    let len = text
        .bytes()
        .position(|b| !(b.is_ascii_lowercase() || b == b'_'))
        .unwrap_or(text.len());
    let start = pair.as_span().start();
    Text::verbatim(&text[..len], Span::new(start, start + len))
}

/// An expression: the raw text, trimmed, mapped verbatim.
fn expr(pair: Pair<Rule>) -> Node {
    let start = pair.as_span().start();
    let raw = pair.as_str().trim_end();
    let at = Span::new(start, start + raw.len());
    Node::new(Value::Str(Text::verbatim(raw, at)), at)
}
