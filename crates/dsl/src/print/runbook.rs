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

mod comments;
mod outputs;
mod scalars;

use super::{float_text, is_bare_word, is_grammar_word};
use crate::ast::*;
use crate::node::{Node, Value};
use crate::runbook_syntax::Comment;
use crate::runbook_words::expression;
use comments::place_comments;
use scalars::{
    block_lines, close_key, condition, duration, inline, key_text, quote, scalar_string,
    scalar_text, size, string_list,
};

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
        if let Some(cap) = &p.output_cap {
            self.line(format!("output_cap {}", size(cap)), Some(cap.span.start));
        }
        for input in &p.inputs {
            self.blank();
            self.input(input);
        }
        if !p.vars.is_empty() {
            self.blank();
        }
        for var in &p.vars {
            self.line(
                format!("var {} = {}", var.name.value, expression(&var.expr.value)),
                Some(var.span.start),
            );
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
                match (&a.question, &a.by) {
                    (Some(q), None) => out.text_stmt("approval", &q.value, Some(a.span.start)),
                    (None, None) => out.line("approval true", Some(a.span.start)),
                    (question, Some(by)) => {
                        out.block("approval".into(), Some(a.span.start), None, |out| {
                            if let Some(q) = question {
                                out.text_stmt("question", &q.value, Some(q.span.start));
                            }
                            out.line(format!("by {}", by.value.name()), Some(by.span.start));
                        })
                    }
                }
            }
            if let Some(at) = &step.finally {
                out.line("finally true".to_string(), Some(at.start));
            }
            if let Some(t) = &step.timeout {
                out.line(format!("timeout {}", duration(t)), Some(t.span.start));
            }
            if let Some(cap) = &step.output_cap {
                out.line(format!("output_cap {}", size(cap)), Some(cap.span.start));
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
        if let Some(label) = &f.label {
            self.line(
                format!("label {}", expression(&label.value)),
                Some(label.span.start),
            );
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
