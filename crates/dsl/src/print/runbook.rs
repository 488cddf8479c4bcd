//! The canonical `.runbook` text of a playbook, comments kept.
//!
//! Printing first lays out [`Line`]s, each remembering the source offset of
//! the element it prints; comments are then placed among them by offset:
//! a comment that followed code on its source line stays at the end of the
//! printed line of that code, any other goes on its own line before the
//! element that followed it in the source (the printed line with the
//! smallest offset after it), wherever the canonical order puts that
//! element, so a comment about a field moves with the field. A second `fmt`
//! finds every comment right before the element it was put before:
//! `fmt(fmt(x)) == fmt(x)`.

use super::{float_text, is_bare_word, is_grammar_word};
use crate::ast::*;
use crate::node::{Node, Value};
use crate::runbook_syntax::Comment;

/// Prints `playbook` as canonical `.runbook` text. `comments` are those of
/// the source the playbook was read from (empty when converting from YAML);
/// `source` is its text, used to tell trailing comments from comments on a
/// line of their own and to keep a blank line that followed a comment.
pub fn runbook(playbook: &Playbook, comments: &[Comment], source: Option<&str>) -> String {
    let mut out = Printer::default();
    out.playbook(playbook);
    place_comments(out.lines, comments, source)
}

/// One printed line.
#[derive(Debug)]
struct Line {
    indent: usize,
    text: String,
    /// The source offset of what this line prints, for placing comments.
    key: Option<usize>,
    /// The line opens a `"""` block: nothing may follow it on the line.
    no_trailing: bool,
}

#[derive(Default)]
struct Printer {
    lines: Vec<Line>,
    indent: usize,
}

impl Printer {
    fn line(&mut self, text: impl Into<String>, key: Option<usize>) {
        self.lines.push(Line {
            indent: self.indent,
            text: text.into(),
            key,
            no_trailing: false,
        });
    }

    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.text.is_empty()) {
            self.lines.push(Line {
                indent: 0,
                text: String::new(),
                key: None,
                no_trailing: false,
            });
        }
    }

    /// Opens `head {`, runs `body` one level deeper, closes with `}` keyed at
    /// `end` (the offset of the source's `}`), so comments before it stay inside.
    fn block(
        &mut self,
        head: String,
        key: Option<usize>,
        end: Option<usize>,
        body: impl FnOnce(&mut Printer),
    ) {
        self.line(format!("{head} {{"), key);
        self.indent += 1;
        body(self);
        self.indent -= 1;
        self.line("}", end);
    }

    /// `key "text"`, or a `"""` block when the text is several lines.
    fn text_stmt(&mut self, key: &str, text: &str, at: Option<usize>) {
        match block_lines(text) {
            Some(lines) => {
                self.lines.push(Line {
                    indent: self.indent,
                    text: format!("{key} \"\"\""),
                    key: at,
                    no_trailing: true,
                });
                self.indent += 1;
                for l in lines {
                    if l.is_empty() {
                        self.lines.push(Line {
                            indent: 0,
                            text: String::new(),
                            key: None,
                            no_trailing: true,
                        });
                    } else {
                        self.lines.push(Line {
                            indent: self.indent,
                            text: l.to_string(),
                            key: None,
                            no_trailing: true,
                        });
                    }
                }
                self.line("\"\"\"", None);
                self.indent -= 1;
            }
            None => self.line(format!("{key} {}", quote(text)), at),
        }
    }

    fn playbook(&mut self, p: &Playbook) {
        if let Some(name) = &p.name {
            if is_grammar_word(&name.value) {
                self.line(format!("playbook {}", name.value), Some(name.span.start));
            } else {
                self.line(
                    format!("name {}", quote(&name.value)),
                    Some(name.span.start),
                );
            }
        }
        if let Some(title) = &p.title {
            self.text_stmt("title", &title.value, Some(title.span.start));
        }
        if let Some(description) = &p.description {
            self.text_stmt(
                "description",
                &description.value,
                Some(description.span.start),
            );
        }
        if let Some(first) = p.owners.first() {
            self.line(
                format!("owners {}", string_list(&p.owners)),
                Some(first.span.start),
            );
        }
        if let Some(first) = p.tags.first() {
            self.line(
                format!("tags {}", string_list(&p.tags)),
                Some(first.span.start),
            );
        }
        for input in &p.inputs {
            self.blank();
            self.input(input);
        }
        for step in &p.steps {
            self.blank();
            self.step(step);
        }
    }

    fn input(&mut self, input: &Input) {
        let head = format!("input {}", input.name.value);
        let end = close_key(input.span);
        self.block(head, Some(input.span.start), end, |out| {
            let ty = &input.ty;
            out.line(format!("type {}", ty.value.name()), Some(ty.span.start));
            if let InputType::Enum(choices) = &ty.value {
                let at = choices.first().map_or(ty.span.start, |c| c.span.start);
                out.line(format!("choices {}", string_list(choices)), Some(at));
            }
            if let Some(default) = &input.default {
                out.node_stmt("default", default);
            }
            if let Some(d) = &input.description {
                out.text_stmt("description", &d.value, Some(d.span.start));
            }
            if let Some(r) = &input.required {
                out.line(format!("required {}", r.value), Some(r.span.start));
            }
            if let Some(s) = &input.secret {
                out.line(format!("secret {}", s.value), Some(s.span.start));
            }
            if let Some(env) = &input.env {
                out.line(
                    format!("env {}", scalar_string(&env.value)),
                    Some(env.span.start),
                );
            }
        });
    }

    fn step(&mut self, step: &Step) {
        let mut head = format!("step {}", step.id.value);
        if let Some(title) = &step.title {
            head.push(' ');
            head.push_str(&quote(&title.value));
        }
        self.block(head, Some(step.span.start), close_key(step.span), |out| {
            if let Some(d) = &step.description {
                out.text_stmt("description", &d.value, Some(d.span.start));
            }
            if let Some(first) = step.needs.first() {
                let ids: Vec<&str> = step.needs.iter().map(|n| n.value.as_str()).collect();
                out.line(format!("needs {}", ids.join(", ")), Some(first.span.start));
            }
            if let Some(when) = &step.when {
                out.line(
                    format!("when {}", expression(&when.value)),
                    Some(when.span.start),
                );
            }
            if let Some(f) = &step.for_each {
                out.for_each(f);
            }
            out.action(&step.action);
            if let Some(e) = &step.effect {
                out.line(format!("effect {}", e.value.name()), Some(e.span.start));
            }
            if let Some(a) = &step.approval {
                match &a.question {
                    Some(q) => out.text_stmt("approval", &q.value, Some(a.span.start)),
                    None => out.line("approval true", Some(a.span.start)),
                }
            }
            if let Some(t) = &step.timeout {
                out.line(format!("timeout {}", duration(t)), Some(t.span.start));
            }
            if let Some(r) = &step.retry {
                out.retry(r);
            }
            if let Some(u) = &step.until {
                out.until(u);
            }
            if let Some(f) = &step.on_failure {
                let text = match &f.value {
                    OnFailure::Abort => "on_failure abort".to_string(),
                    OnFailure::Continue => "on_failure continue".to_string(),
                    OnFailure::Goto(target) => format!("on_failure goto {}", target.value),
                };
                out.line(text, Some(f.span.start));
            }
            for output in &step.outputs {
                out.output(output);
            }
            if let Some(lint) = &step.lint {
                out.lint_allow(lint);
            }
        });
    }

    fn for_each(&mut self, f: &ForEach) {
        match &f.list {
            ForEachList::Expr(text) => self.line(
                format!("for_each {}", expression(&text.value)),
                Some(f.span.start),
            ),
            ForEachList::Literal(node) => self.node_stmt_at("for_each", node, f.span.start),
        }
        if let Some(name) = &f.name {
            self.line(format!("as {}", name.value), Some(name.span.start));
        }
        if let Some(p) = &f.parallel {
            self.line(format!("parallel {}", p.value), Some(p.span.start));
        }
        if let Some(policy) = &f.on_item_failure {
            self.line(
                format!("on_item_failure {}", policy.value.name()),
                Some(policy.span.start),
            );
        }
        if let Some(per_item) = &f.approval_per_item {
            self.line(
                format!("approval_per_item {}", per_item.value),
                Some(per_item.span.start),
            );
        }
    }

    fn action(&mut self, action: &Action) {
        match action {
            Action::Kind { name, params } if name.value == "assert" => {
                self.assert(params, name.span.start)
            }
            Action::Kind { name, params } => {
                self.node_stmt_at(&name.value, params, name.span.start)
            }
            Action::Manual { instructions, span } => {
                self.text_stmt("manual", &instructions.value, Some(span.start))
            }
            Action::Ask(ask) => {
                self.block(
                    "ask".into(),
                    Some(ask.span.start),
                    close_key(ask.span),
                    |out| {
                        let q = &ask.question;
                        out.text_stmt("question", &q.value, Some(q.span.start));
                        match &ask.answer {
                            AnswerType::Choice(choices) => {
                                let at = choices.first().map(|c| c.span.start);
                                out.line(format!("choices {}", string_list(choices)), at);
                            }
                            AnswerType::Number { min, max } => {
                                out.line("type number", None);
                                if let Some(min) = min {
                                    out.line(
                                        format!("min {}", float_text(min.value)),
                                        Some(min.span.start),
                                    );
                                }
                                if let Some(max) = max {
                                    out.line(
                                        format!("max {}", float_text(max.value)),
                                        Some(max.span.start),
                                    );
                                }
                            }
                            AnswerType::Text => out.line("type text", None),
                        }
                        if let Some(default) = &ask.default {
                            let value = match (&ask.answer, default.value.parse::<f64>()) {
                                (AnswerType::Number { .. }, Ok(n)) => float_text(n),
                                _ => scalar_string(&default.value),
                            };
                            out.line(format!("default {value}"), Some(default.span.start));
                        }
                    },
                );
            }
            Action::Branch(branch) => {
                let head = branch.keyword.value.name().to_string();
                self.block(
                    head,
                    Some(branch.span.start),
                    close_key(branch.span),
                    |out| {
                        for case in &branch.cases {
                            out.line(
                                format!(
                                    "when {} -> {}",
                                    expression(&case.when.value),
                                    case.then.value
                                ),
                                Some(case.span.start),
                            );
                        }
                        if let Some(otherwise) = &branch.otherwise {
                            out.line(
                                format!("else -> {}", otherwise.value),
                                Some(otherwise.span.start),
                            );
                        }
                    },
                );
            }
        }
    }

    /// `assert EXPR`, or a block whose `that` is a bare expression.
    fn assert(&mut self, params: &Node, at: usize) {
        match &params.value {
            Value::Str(text) => self.line(format!("assert {}", condition(&text.value)), Some(at)),
            Value::Map(entries) if !entries.is_empty() => {
                self.block("assert".into(), Some(at), close_key(params.span), |out| {
                    for entry in entries {
                        match &entry.value.value {
                            Value::Str(text) if entry.key.value == "that" => out.line(
                                format!("that {}", condition(&text.value)),
                                Some(entry.key.span.start),
                            ),
                            _ => out.node_stmt_at(
                                &entry.key.value,
                                &entry.value,
                                entry.key.span.start,
                            ),
                        }
                    }
                });
            }
            _ => self.node_stmt_at("assert", params, at),
        }
    }

    fn lint_allow(&mut self, lint: &LintAllow) {
        self.block("lint".into(), Some(lint.span.start), None, |out| {
            let at = lint.allow.first().map(|r| r.span.start);
            out.line(format!("allow {}", string_list(&lint.allow)), at);
            out.text_stmt("reason", &lint.reason.value, Some(lint.reason.span.start));
        });
    }

    fn retry(&mut self, r: &Retry) {
        let words = [&r.delay]
            .into_iter()
            .flatten()
            .all(|d| is_grammar_word(&d.text));
        if words {
            let mut text = format!("retry {}", r.attempts.value);
            if let Some(d) = &r.delay {
                text.push_str(&format!(" delay {}", d.text));
            }
            if let Some(b) = &r.backoff {
                text.push_str(&format!(" backoff {}", float_text(b.value)));
            }
            self.line(text, Some(r.span.start));
            return;
        }
        self.block("retry".into(), Some(r.span.start), None, |out| {
            out.line(
                format!("attempts {}", r.attempts.value),
                Some(r.attempts.span.start),
            );
            if let Some(d) = &r.delay {
                out.line(format!("delay {}", duration(d)), Some(d.span.start));
            }
            if let Some(b) = &r.backoff {
                out.line(
                    format!("backoff {}", float_text(b.value)),
                    Some(b.span.start),
                );
            }
        });
    }

    /// `every D within D until EXPR`, the condition bare (a duration that
    /// is not one word is quoted).
    fn until(&mut self, u: &Until) {
        let clauses = [("every", &u.every), ("within", &u.within)];
        let mut text = String::new();
        for (word, d) in clauses {
            if let Some(d) = d {
                text.push_str(&format!("{word} {} ", duration(d)));
            }
        }
        text.push_str(&format!("until {}", expression(&u.condition.value)));
        self.line(text, Some(u.span.start));
    }

    fn output(&mut self, o: &Output) {
        let name = &o.name.value;
        let at = Some(o.span.start);
        let only_from = o.json.is_none()
            && o.regex.is_none()
            && o.ty.is_none()
            && o.secret.is_none()
            && o.default.is_none();
        match &o.from {
            Some(from) if only_from && is_grammar_word(&from.value) => {
                self.line(format!("output {name} = {}", from.value), at);
                return;
            }
            None if only_from => {
                self.line(format!("output {name} {{}}"), at);
                return;
            }
            _ => {}
        }
        self.block(format!("output {name}"), at, close_key(o.span), |out| {
            if let Some(from) = &o.from {
                out.line(
                    format!("from {}", scalar_string(&from.value)),
                    Some(from.span.start),
                );
            }
            if let Some(json) = &o.json {
                out.line(
                    format!("json {}", quote(&json.value)),
                    Some(json.span.start),
                );
            }
            if let Some(regex) = &o.regex {
                out.line(
                    format!("regex {}", quote(&regex.value)),
                    Some(regex.span.start),
                );
            }
            if let Some(ty) = &o.ty {
                out.line(format!("type {}", ty.value.name()), Some(ty.span.start));
            }
            if let Some(secret) = &o.secret {
                out.line(format!("secret {}", secret.value), Some(secret.span.start));
            }
            if let Some(default) = &o.default {
                out.node_stmt("default", default);
            }
        });
    }

    /// A generic `key value` statement for a node from the tree.
    fn node_stmt(&mut self, key: &str, node: &Node) {
        self.node_stmt_at(key, node, node.span.start);
    }

    fn node_stmt_at(&mut self, key: &str, node: &Node, at: usize) {
        let key = key_text(key);
        match &node.value {
            Value::Str(text) if is_bare_word(&text.value) => {
                self.line(format!("{key} {}", text.value), Some(at))
            }
            Value::Str(text) => self.text_stmt(&key, &text.value, Some(at)),
            Value::Map(entries) if entries.is_empty() => self.line(format!("{key} {{}}"), Some(at)),
            Value::Map(entries) => {
                self.block(key, Some(at), close_key(node.span), |out| {
                    for entry in entries {
                        out.node_stmt_at(&entry.key.value, &entry.value, entry.key.span.start);
                    }
                });
            }
            Value::Seq(_) => {
                if let Some(inline) = inline(node) {
                    self.line(format!("{key} {inline}"), Some(at));
                } else {
                    self.line(format!("{key} ["), Some(at));
                    self.list_items(node);
                    self.line("]", close_key(node.span));
                }
            }
            _ => self.line(
                format!("{key} {}", inline(node).unwrap_or_default()),
                Some(at),
            ),
        }
    }

    /// The items of a list that does not fit on one line, one per line.
    fn list_items(&mut self, node: &Node) {
        self.indent += 1;
        for item in node.as_seq().unwrap_or_default() {
            let at = Some(item.span.start);
            match &item.value {
                Value::Map(entries) if !entries.is_empty() => {
                    self.line("{", at);
                    self.indent += 1;
                    for entry in entries {
                        self.node_stmt_at(&entry.key.value, &entry.value, entry.key.span.start);
                    }
                    self.indent -= 1;
                    self.line("},", close_key(item.span));
                }
                Value::Seq(_) if inline(item).is_none() => {
                    self.line("[", at);
                    self.list_items(item);
                    self.line("],", close_key(item.span));
                }
                _ => {
                    let text = inline(item).unwrap_or_else(|| quote(&scalar_text(item)));
                    self.line(format!("{text},"), at);
                }
            }
        }
        self.indent -= 1;
    }
}

/// The offset of a block's closing `}`, when the span ends with one.
fn close_key(span: crate::source::Span) -> Option<usize> {
    (span.end > span.start).then(|| span.end - 1)
}

/// A node on one line, if it fits there: scalars, and lists of scalars.
fn inline(node: &Node) -> Option<String> {
    Some(match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(t) => scalar_string(&t.value),
        Value::Seq(items) => {
            let items: Option<Vec<String>> = items
                .iter()
                .map(|i| match i.value {
                    Value::Seq(_) | Value::Map(_) => None,
                    _ => inline(i),
                })
                .collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Map(entries) if entries.is_empty() => "{}".into(),
        Value::Map(_) => return None,
    })
}

fn scalar_text(node: &Node) -> String {
    node.scalar_string().unwrap_or_default()
}

/// A string value: bare when it reads back as the same string, else quoted.
fn scalar_string(s: &str) -> String {
    if is_bare_word(s) {
        s.to_string()
    } else {
        quote(s)
    }
}

fn key_text(key: &str) -> String {
    if is_grammar_word(key) {
        key.to_string()
    } else {
        quote(key)
    }
}

fn string_list(items: &[crate::source::Spanned<String>]) -> String {
    let items: Vec<String> = items.iter().map(|i| scalar_string(&i.value)).collect();
    format!("[{}]", items.join(", "))
}

fn duration(d: &DurationLit) -> String {
    if is_grammar_word(&d.text) {
        d.text.clone()
    } else {
        quote(&d.text)
    }
}

/// An expression as written, on one line: line breaks (from a YAML block
/// scalar) and the indentation after them become one space.
pub(crate) fn expression(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.trim().lines().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(if i > 0 { line.trim() } else { line.trim_end() });
    }
    out
}

/// A condition of `assert`/`that`, bare; one that is a single string
/// literal (not a boolean, so `check` rejects it) is put in brackets, since
/// the quoted form is read as the expression inside the quotes.
fn condition(text: &str) -> String {
    let bare = expression(text);
    if crate::runbook_syntax::is_one_string(&bare) {
        format!("({bare})")
    } else {
        bare
    }
}

/// A double-quoted string with the grammar's escapes.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The lines of a text printed as a `"""` block, or `None` when the text
/// would not read back the same from one: a block always ends with a line
/// break, cannot hold a line that starts with `"""`, a carriage return or a
/// control character, and reads whitespace-only lines as empty.
fn block_lines(text: &str) -> Option<Vec<&str>> {
    let body = text.strip_suffix('\n')?;
    let lines: Vec<&str> = body.split('\n').collect();
    let representable = lines.iter().all(|l| {
        !l.trim_start_matches([' ', '\t']).starts_with("\"\"\"")
            && !l.chars().any(|c| c.is_control() && c != '\t')
            && (l.is_empty() || !l.trim().is_empty())
    });
    representable.then_some(lines)
}

/// Renders the lines with the comments placed among them.
fn place_comments(lines: Vec<Line>, comments: &[Comment], source: Option<&str>) -> String {
    let mut trailing: Vec<Option<String>> = vec![None; lines.len()];
    let mut before: Vec<Vec<(&Comment, bool)>> = (0..=lines.len()).map(|_| Vec::new()).collect();
    for comment in comments {
        let at = comment.span.start;
        if let Some(source) = source {
            let line_start = source[..at.min(source.len())]
                .rfind(['\n', '\r'])
                .map_or(0, |i| i + 1);
            let is_trailing = !source[line_start..at.min(source.len())].trim().is_empty();
            if is_trailing {
                // The printed line of the last element that started on this source line.
                let host = lines
                    .iter()
                    .enumerate()
                    .filter(|(i, l)| {
                        l.key.is_some_and(|k| k >= line_start && k < at)
                            && !l.no_trailing
                            && trailing[*i].is_none()
                    })
                    .max_by_key(|(_, l)| l.key)
                    .map(|(i, _)| i);
                if let Some(i) = host {
                    trailing[i] = Some(comment.text.clone());
                    continue;
                }
            }
        }
        // The element that followed the comment in the source, wherever the
        // canonical order prints it.
        let index = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.key.is_some_and(|k| k > at))
            .min_by_key(|(_, l)| l.key)
            .map_or(lines.len(), |(i, _)| i);
        before[index].push((comment, blank_after(comment, source)));
    }
    let mut out = String::new();
    let push_comments = |out: &mut String, list: &[(&Comment, bool)], indent: usize, last: bool| {
        for (i, (comment, blank)) in list.iter().enumerate() {
            push_indent(out, indent);
            out.push_str(&comment.text);
            out.push('\n');
            let is_last = i + 1 == list.len();
            if *blank && !(is_last && last) {
                out.push('\n');
            }
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if !before[i].is_empty() {
            // A comment before a closing line belongs inside the block.
            let indent = if line.text.starts_with(['}', ']']) {
                line.indent + 1
            } else {
                line.indent
            };
            push_comments(&mut out, &before[i], indent, false);
        }
        if !line.text.is_empty() {
            push_indent(&mut out, line.indent);
            out.push_str(&line.text);
        }
        if let Some(comment) = &trailing[i] {
            out.push(' ');
            out.push_str(comment);
        }
        out.push('\n');
    }
    let rest = &before[lines.len()];
    if !rest.is_empty() {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        push_comments(&mut out, rest, 0, true);
    }
    out
}

/// Whether the source has a blank line right after this comment, which the
/// printer keeps (a header comment set apart from what follows).
fn blank_after(comment: &Comment, source: Option<&str>) -> bool {
    let Some(source) = source else {
        return false;
    };
    let rest = &source[comment.span.end.min(source.len())..];
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
        .unwrap_or(rest);
    match rest.find('\n') {
        Some(i) => rest[..i].trim().is_empty() && !rest[i + 1..].trim().is_empty(),
        None => false,
    }
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}
