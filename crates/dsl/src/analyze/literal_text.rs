//! Fields that nothing fills in: a kind parameter declared a plain string
//! (the k8s `resource`, a SQL `query`), a title, a description. A `{{...}}`
//! written there would be sent or shown as written, so it is an error at
//! check time (`template_in_literal`) rather than a surprise at run time.

use crate::ast::Playbook;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::Text;

/// Where a template insertion starts in `text`, if it holds one: `{{`
/// followed by a name, `#`, `/` or a third brace. A Postgres array literal
/// (`'{{1,2},{3,4}}'`) or a JSON document is not one.
pub fn insertion_at(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find("{{") {
        let at = from + found;
        let rest = text[at + 2..].trim_start();
        let next = rest.chars().next();
        if next.is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '#' | '/' | '{' | '_')) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// The insertion's extent: up to the closing `}}`, or the end.
fn insertion_span(text: &Text, at: usize) -> crate::source::Span {
    let end = text.value[at..]
        .find("}}")
        .map(|e| at + e + 2)
        .unwrap_or(text.value.len());
    text.file_span(at, end)
}

/// The error for a `{{...}}` in a parameter of plain-string type.
pub(super) fn in_param(name: &str, text: &Text, diags: &mut Diagnostics) -> bool {
    let Some(at) = insertion_at(&text.value) else {
        return false;
    };
    let help = if name == "query" {
        "a query is sent as written: pass values as `params` and refer to them as `$1`, `$2`, ... (they are bound, never spliced in)".to_string()
    } else {
        format!("`{name}` takes the value itself; to act on one of several values, branch to one step per value")
    };
    diags.push(
        Diagnostic::error(
            Code::TemplateInLiteral,
            format!("`{name}` is not a template: `{{{{...}}}}` would be used as written"),
        )
        .label(insertion_span(text, at), "never filled in")
        .help(help),
    );
    true
}

/// Titles and descriptions are shown as written (`runbook doc`, prompts).
pub(super) fn check(playbook: &Playbook, diags: &mut Diagnostics) {
    let mut fields: Vec<(&str, &Text)> = Vec::new();
    fields.extend(playbook.title.iter().map(|t| ("title", t)));
    fields.extend(playbook.description.iter().map(|t| ("description", t)));
    for input in &playbook.inputs {
        fields.extend(input.description.iter().map(|t| ("description", t)));
    }
    for step in &playbook.steps {
        fields.extend(step.title.iter().map(|t| ("title", t)));
        fields.extend(step.description.iter().map(|t| ("description", t)));
    }
    for (field, text) in fields {
        let Some(at) = insertion_at(&text.value) else {
            continue;
        };
        diags.push(
            Diagnostic::error(
                Code::TemplateInLiteral,
                format!("a `{field}` is not a template: `{{{{...}}}}` would be shown as written"),
            )
            .label(insertion_span(text, at), "never filled in")
            .help("titles and descriptions are shown as written; put values the operator needs in a `log` step, or in the text of a `manual` or `ask` step, which are templates"),
        );
    }
}
