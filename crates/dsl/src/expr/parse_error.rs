//! Turning pest's errors into diagnostics that point at the file and say
//! what was expected in words ("a value", "an operator", "`,` or `)`")
//! rather than grammar rule names.

use super::parse::Rule;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::Text;

/// What pest expected, in words.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the expression",
        Rule::or_op
        | Rule::and_op
        | Rule::eq_op
        | Rule::ne_op
        | Rule::le_op
        | Rule::ge_op
        | Rule::lt_op
        | Rule::gt_op
        | Rule::not_in_op
        | Rule::in_op
        | Rule::matches_op
        | Rule::add_op
        | Rule::sub_op
        | Rule::mul_op
        | Rule::div_op
        | Rule::rem_op => "an operator",
        Rule::expr
        | Rule::operand
        | Rule::not_op
        | Rule::neg_op
        | Rule::postfix
        | Rule::primary
        | Rule::float
        | Rule::int
        | Rule::string
        | Rule::true_lit
        | Rule::false_lit
        | Rule::null_lit
        | Rule::call
        | Rule::list
        | Rule::paren
        | Rule::lambda
        | Rule::name => "a value",
        Rule::ident => "a name",
        _ => return None,
    })
}

pub(super) fn syntax_error(text: &Text, error: &pest::error::Error<Rule>) -> Diagnostic {
    let source = text.as_str();
    let at = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
    .min(source.len());
    let mut words: Vec<&str> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for word in positives.iter().filter_map(|r| describe(*r)) {
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    // pest does not name the brackets it expected; the open one says.
    if words.contains(&"an operator") {
        if let Some(close) = open_bracket(&source[..at]) {
            words.push(close);
        }
    }
    // A fixed order reads better than pest's: value, operator, end.
    let order = [
        "a value",
        "a name",
        "an operator",
        "`,` or `)`",
        "`)`",
        "`,` or `]`",
        "`]`",
        "the end of the expression",
    ];
    words.sort_by_key(|w| order.iter().position(|o| o == w));
    let expected = match words.as_slice() {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    };
    let found = token_at(&source[at..]);
    let (span, label) = if found.is_empty() {
        (
            text.file_span(at, at),
            "the expression ends here".to_string(),
        )
    } else {
        (
            text.file_span(at, at + found.len()),
            format!("unexpected `{}`", found.escape_debug()),
        )
    };
    let mut diagnostic =
        Diagnostic::error(Code::ExprSyntax, format!("expected {expected}")).label(span, label);
    if source[at..].starts_with("->") {
        diagnostic = diagnostic.help("`->` belongs to a branch case: `when EXPR -> target`");
    } else if source[at..].starts_with('=') && !source[at..].starts_with("==") {
        diagnostic = diagnostic.help("compare with `==`");
    } else if words.contains(&"a value") && found.is_empty() {
        diagnostic = diagnostic.help("the expression stops in the middle; complete it");
    }
    diagnostic
}

/// The word, operator or single character at the start of `rest`, to name
/// in "unexpected `||`".
fn token_at(rest: &str) -> &str {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let symbol = |c: char| "|&=!<>+-*/%".contains(c);
    let Some(first) = rest.chars().next() else {
        return "";
    };
    let class: &dyn Fn(char) -> bool = if word(first) {
        &word
    } else if symbol(first) {
        &symbol
    } else {
        return &rest[..first.len_utf8()];
    };
    let end = rest.find(|c: char| !class(c)).unwrap_or(rest.len());
    &rest[..end]
}

/// What closes the innermost bracket still open in `before`, if any:
/// "`,` or `)`" in a call, "`)`" after a parenthesis, and so on.
fn open_bracket(before: &str) -> Option<&'static str> {
    let mut open: Vec<(char, bool)> = Vec::new();
    let mut quotes = crate::quotes::Quotes::default();
    let mut previous: Option<char> = None;
    for c in before.chars() {
        if quotes.inside(c) {
            continue;
        }
        match c {
            '(' | '[' => {
                // After a name, `(` is a call; after a value, `[` is an index.
                let after_value = previous
                    .is_some_and(|p| p.is_alphanumeric() || p == '_' || p == ')' || p == ']');
                open.push((c, after_value));
            }
            ')' | ']' => {
                open.pop();
            }
            _ => {}
        }
        if !c.is_whitespace() {
            previous = Some(c);
        }
    }
    Some(match open.last()? {
        ('(', true) => "`,` or `)`",
        ('(', false) => "`)`",
        (_, true) => "`]`",
        (_, false) => "`,` or `]`",
    })
}
