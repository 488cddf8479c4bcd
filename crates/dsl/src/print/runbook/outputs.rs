//! Printing a step's `output` statement: the one-line `output NAME = FIELD`
//! when it only names a result field, else its block.

use super::scalars::{close_key, quote, scalar_string};
use super::Printer;
use crate::ast::Output;
use crate::print::is_grammar_word;

impl Printer {
    pub(super) fn output(&mut self, o: &Output) {
        let name = &o.name.value;
        let at = Some(o.span.start);
        let only_from = o.json.is_none()
            && o.regex.is_none()
            && o.lines.is_none()
            && o.separator.is_none()
            && o.select.is_none()
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
            if let Some(lines) = &o.lines {
                out.line(
                    format!("lines {}", quote(&lines.value)),
                    Some(lines.span.start),
                );
            }
            if let Some(separator) = &o.separator {
                out.line(
                    format!("separator {}", separator.value.name()),
                    Some(separator.span.start),
                );
            }
            if let Some(select) = &o.select {
                out.line(
                    format!("select {}", select.value.name()),
                    Some(select.span.start),
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
}
