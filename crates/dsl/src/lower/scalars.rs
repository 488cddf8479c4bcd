//! Scalars of a playbook: text, ids, lists, booleans, numbers, durations.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Node, Text, Value};
use crate::source::Spanned;

impl Lowerer<'_> {
    pub(super) fn text(&mut self, node: &Node, what: &str) -> Option<Text> {
        match &node.value {
            Value::Str(text) => Some(text.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => Some(Text::verbatim(
                node.scalar_string().unwrap_or_default(),
                node.span,
            )),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    pub(super) fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        self.text(node, what)
            .map(|t| Spanned::new(t.value, node.span))
    }

    /// One word of a fixed set (`effect: read`, `select: count`): `parse`
    /// reads it, and any other word is the diagnostic `unknown` makes of it
    /// (a `runbook::invalid_value` at the word, saying what the set is).
    pub(super) fn word<T>(
        &mut self,
        node: &Node,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
        unknown: impl FnOnce(&str) -> Diagnostic,
    ) -> Option<Spanned<T>> {
        let word = self.string(node, what)?;
        match parse(&word.value) {
            Some(value) => Some(Spanned::new(value, node.span)),
            None => {
                self.error(unknown(&word.value));
                None
            }
        }
    }

    /// An expression's source text; numbers and booleans are accepted as written.
    pub(super) fn expression(&mut self, node: &Node, what: &str) -> Option<Text> {
        let text = self.text(node, what)?;
        if text.value.trim().is_empty() {
            self.error(
                Diagnostic::error(Code::ExprSyntax, format!("{what} is empty"))
                    .label(node.span, "expected an expression")
                    .help("write a condition such as `steps.health.status == 200`"),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn ident(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        let name = self.string(node, what)?;
        if is_ident(&name.value) {
            return Some(name);
        }
        let fixed: String = name
            .value
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let help = if !fixed.chars().any(|c| c.is_ascii_alphanumeric())
            || fixed.starts_with(|c: char| c.is_ascii_digit())
        {
            "start with an ASCII letter or `_`, then ASCII letters, digits and `_`".to_string()
        } else {
            format!("use ASCII letters, digits and `_` only, e.g. `{fixed}`: ids are used in expressions like `steps.{fixed}.status`")
        };
        // The first character that is not allowed, named so that one that
        // looks like a letter (a Cyrillic `о`, a zero-width space) is seen.
        let label = match name
            .value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        {
            Some(c) if c.is_ascii_graphic() => format!("`{c}` is not allowed in a name"),
            Some(c) if c.is_alphanumeric() => {
                format!(
                    "`{c}` (U+{:04X}) is not an ASCII letter or digit",
                    u32::from(c)
                )
            }
            Some(c) if c.is_whitespace() || c.is_control() || c.is_ascii() => {
                format!("a space or invisible character (U+{:04X})", u32::from(c))
            }
            Some(c) => format!(
                "`{}` (U+{:04X}) is not allowed in a name",
                c.escape_debug(),
                u32::from(c)
            ),
            None => "invalid name".to_string(),
        };
        self.error(
            Diagnostic::error(
                Code::InvalidId,
                format!("`{}` is not a valid {what}", name.value.escape_debug()),
            )
            .label(node.span, label)
            .help(help),
        );
        None
    }

    pub(super) fn ident_list(&mut self, node: &Node, what: &str) -> Vec<Spanned<String>> {
        match &node.value {
            Value::Seq(items) => sized(
                items.len(),
                items.iter().filter_map(|item| self.ident(item, what)),
            ),
            Value::Str(_) => self.ident(node, what).into_iter().collect(),
            _ => {
                self.wrong_type(node, &format!("a list of {what}s"), "a list of names");
                Vec::new()
            }
        }
    }

    pub(super) fn string_list(&mut self, node: &Node, what: &str) -> Vec<Spanned<String>> {
        match &node.value {
            Value::Seq(items) => sized(
                items.len(),
                items.iter().filter_map(|item| self.string(item, what)),
            ),
            Value::Str(_) => self.string(node, what).into_iter().collect(),
            _ => {
                self.wrong_type(node, what, "a list of strings");
                Vec::new()
            }
        }
    }

    pub(super) fn bool(&mut self, node: &Node, what: &str) -> Option<Spanned<bool>> {
        match node.value {
            Value::Bool(b) => Some(Spanned::new(b, node.span)),
            _ => {
                self.wrong_type(node, what, "`true` or `false`");
                None
            }
        }
    }

    pub(super) fn float(&mut self, node: &Node, what: &str) -> Option<Spanned<f64>> {
        match node.value {
            Value::Int(i) => Some(Spanned::new(i as f64, node.span)),
            Value::Float(f) => Some(Spanned::new(f, node.span)),
            _ => {
                self.wrong_type(node, what, "a number");
                None
            }
        }
    }

    pub(super) fn duration(&mut self, node: &Node, what: &str) -> Option<DurationLit> {
        let text = match &node.value {
            Value::Str(t) if t.value.contains("{{") => {
                return Some(DurationLit {
                    value: std::time::Duration::ZERO,
                    text: t.value.clone(),
                    span: node.span,
                    template: Some(t.clone()),
                });
            }
            Value::Str(t) => t.value.clone(),
            Value::Int(i) => {
                self.error(
                    Diagnostic::error(Code::InvalidDuration, format!("{what} needs a unit"))
                        .label(node.span, "a number without a unit")
                        .help(format!("write `{i}s` for seconds or `{i}m` for minutes")),
                );
                return None;
            }
            _ => {
                self.wrong_type(node, what, "a duration such as `30s`");
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(value) => Some(DurationLit {
                value,
                text,
                span: node.span,
                template: None,
            }),
            Err(reason) => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidDuration,
                        format!("`{text}` is not a duration: {reason}"),
                    )
                    .label(node.span, "invalid duration")
                    .help("write a number and a unit: `500ms`, `30s`, `5m`, `1h30m`"),
                );
                None
            }
        }
    }

    /// `output_cap:`: a size within the bounds of an output cap, a number
    /// of bytes, or a template that renders a size when the step runs.
    pub(super) fn output_cap(&mut self, node: &Node) -> Option<SizeLit> {
        let (text, number) = match &node.value {
            Value::Str(t) if t.value.contains("{{") => {
                return Some(SizeLit {
                    bytes: 0,
                    text: t.value.clone(),
                    span: node.span,
                    template: Some(t.clone()),
                    number: false,
                });
            }
            Value::Str(t) => (t.value.clone(), false),
            Value::Int(i) => (i.to_string(), true),
            _ => {
                self.wrong_type(node, "`output_cap`", "a size such as `64KiB` or `1MiB`");
                return None;
            }
        };
        match crate::size::parse_output_cap(&text) {
            Ok(bytes) => Some(SizeLit {
                bytes,
                text,
                span: node.span,
                template: None,
                number,
            }),
            Err(reason) => {
                self.error(crate::size::invalid_output_cap(&text, &reason, node.span));
                None
            }
        }
    }
}
