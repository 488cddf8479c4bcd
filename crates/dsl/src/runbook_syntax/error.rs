//! pest's errors in words: the rules pest expected at the failing position
//! are renamed into what an author would call them ("a step id", "`{` to
//! open the step's block"), the label covers the offending token, and the
//! help says how the line should look. Byte positions are converted here,
//! not through pest's own miette conversion, which loses the file.

use super::grammar::Rule;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use pest::error::{ErrorVariant, InputLocation};

/// Converts pest's error, from parsing the chunk of `text` that starts at
/// byte `offset`, into one diagnostic about `text`.
pub(super) fn from_pest(error: &pest::error::Error<Rule>, text: &str, offset: usize) -> Diagnostic {
    let at = (offset
        + match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((p, _)) => p,
        })
    .min(text.len());
    let positives: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let (found, found_span) = found(text, at);
    // The most specific expectation decides the help.
    let mut expected: Vec<Expectation> = positives.iter().filter_map(|&r| expectation(r)).collect();
    expected.sort_by_key(|e| e.rank);
    // `else` is only expected between the cases of a branch, where the
    // `when` that pest also tried is the start of a case, not a field.
    if positives.contains(&Rule::else_case) {
        expected.retain(|e| e.rank <= 2 || e.what == "`}` to close the block");
        expected.sort_by_key(|e| e.rank);
    }
    let mut seen = Vec::new();
    expected.retain(|e| {
        let first = !seen.contains(&e.what);
        seen.push(e.what);
        first
    });
    // "`,` or `]`" already says "`,`".
    if seen.contains(&"`,` or `]`") {
        expected.retain(|e| e.what != "`,`");
    }
    // A statement may also end at the `}` of its block: saying so is noise.
    if seen.contains(&"the end of the statement") {
        expected.retain(|e| e.what != "`}` to close the block");
    }
    // "or the end of the file" adds nothing when another token was expected.
    if expected.len() > 1 {
        expected.retain(|e| e.what != "the end of the file");
    }
    let what = match expected.len() {
        0 => "something else".to_string(),
        _ => join_or(expected.iter().take(4).map(|e| e.what)),
    };
    let mut help = expected.first().and_then(|e| e.help).map(str::to_string);
    let rest = &text[at..];
    let comment = ["//", "/*"].into_iter().find(|c| rest.starts_with(c));
    let (what, found, found_span) = match comment {
        // Another language's comment: say what a comment is here.
        Some(marker) => {
            help = Some(format!(
                "`{marker}` does not start a comment in `.runbook`: a comment starts with `#` and runs to the end of the line, as in YAML"
            ));
            let end = rest.find('\n').map_or(text.len(), |n| at + n);
            (
                "a statement or `#` for a comment".to_string(),
                format!("`{marker}`"),
                Span::new(at, end.min(at + 2)),
            )
        }
        None => (what, found, found_span),
    };
    if found == "`:`" {
        help = Some("`.runbook` fields are written `key value`, without a `:`".into());
    } else if found == "`=`" && !positives.contains(&Rule::output_eq) {
        help = Some(equals_help(text, at));
    }
    Diagnostic::error(
        Code::GrammarSyntax,
        format!("expected {what}, found {found}"),
    )
    .label(
        found_span,
        match comment {
            Some(_) => "not a comment in `.runbook`".to_string(),
            None => format!(
                "expected {}",
                expected.first().map_or("something else", |e| e.what)
            ),
        },
    )
    .with_help(help)
}

/// The help for an unexpected `=`: a comparison written where a value is
/// read says where expressions go; a `key = value` says to drop the `=`.
fn equals_help(text: &str, at: usize) -> String {
    let before = text[..at].trim_end_matches([' ', '\t']);
    let is_comparison = text[at..].starts_with("==") || before.ends_with(['!', '<', '>', '=']);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let key = text[line_start..at].split_whitespace().next().unwrap_or("");
    if is_comparison {
        format!(
            "this looks like an expression, but `{key}` takes a value: conditions are written bare after `when`, `until`, `assert`, `that` and in `when EXPR -> STEP` cases; anywhere else, quote text that holds spaces: `{key} \"...\"`"
        )
    } else {
        format!("remove the `=`: a field is written `key value`, such as `{key} VALUE` (only `output NAME = FIELD` takes a `=`)")
    }
}

/// What was found at `at`, in words, with its span.
fn found(text: &str, at: usize) -> (String, Span) {
    let rest = &text[at..];
    let Some(first) = rest.chars().next() else {
        return ("the end of the file".into(), Span::at(at));
    };
    if first == '\n' || first == '\r' {
        return ("the end of the line".into(), Span::at(at));
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || "_.-/@+".contains(c);
    let len = if is_word(first) {
        rest.find(|c: char| !is_word(c)).unwrap_or(rest.len())
    } else if rest.starts_with("->") {
        2
    } else {
        first.len_utf8()
    };
    let token = &rest[..len];
    let shown = if first == '"' {
        "a string".to_string()
    } else {
        format!("`{}`", token.escape_debug())
    };
    (shown, Span::new(at, at + len))
}

struct Expectation {
    what: &'static str,
    help: Option<&'static str>,
    /// Lower is more specific; the first expectation gives the label and help.
    rank: u8,
}

fn expectation(rule: Rule) -> Option<Expectation> {
    let (what, help, rank) = match rule {
        Rule::step_id => (
            "a step id",
            Some("a step starts with `step ID` or `step ID \"Title\"`, then its block: `step check_pods \"Pod status\" { ... }`"),
            0,
        ),
        Rule::step_title | Rule::step_open => (
            "`{` to open the step's block",
            Some("a step reads `step ID \"Title\" { ... }`: the title is a quoted string and `{` ends the line"),
            0,
        ),
        Rule::input_name => ("an input name", Some("an input reads `input NAME { type string ... }`"), 0),
        Rule::input_open => (
            "`{` to open the input's block",
            Some("an input reads `input NAME { ... }` with `{` on the same line"),
            0,
        ),
        Rule::var_name => ("a value name", Some("a computed value reads `var NAME = EXPRESSION`"), 0),
        Rule::var_eq => (
            "`=` and an expression",
            Some("a computed value reads `var NAME = EXPRESSION`, e.g. `var used_pct = steps.mem.outputs.used / steps.mem.outputs.total * 100`"),
            0,
        ),
        Rule::playbook_name => ("the playbook's name", Some("write `playbook NAME`, e.g. `playbook db-failover`"), 0),
        Rule::expr | Rule::case_expr => (
            "an expression",
            Some("write the condition after the keyword, e.g. `when steps.health.status == 200`"),
            0,
        ),
        Rule::arrow => (
            "`->` and the step to go to",
            Some("a case reads `when EXPR -> STEP`; the last one may be `else -> STEP`"),
            1,
        ),
        Rule::step_ref => ("a step id", Some("name the step by its id, e.g. `rollback`"), 1),
        Rule::kw_goto => ("`goto`", Some("write `on_failure goto STEP`, or `on_failure abort` / `on_failure continue`"), 1),
        Rule::kw_until => (
            "`until` and a condition",
            Some("polling reads `every 2s within 5m until EXPR`"),
            1,
        ),
        Rule::retry_attempts => ("the number of attempts", Some("retry reads `retry 3 delay 2s backoff 2`"), 1),
        Rule::output_name => ("an output name", Some("an output reads `output NAME = FIELD` or `output NAME { from stdout ... }`"), 1),
        Rule::output_eq => (
            "`= FIELD` or `{`",
            Some("an output reads `output NAME = FIELD` or `output NAME { from stdout ... }`"),
            1,
        ),
        Rule::cases_open => (
            "`{` to open the cases",
            Some("a branch reads `triage {` followed by lines `when EXPR -> STEP` and `else -> STEP`"),
            1,
        ),
        Rule::when_case | Rule::else_case => (
            "a case (`when EXPR -> STEP` or `else -> STEP`)",
            Some("each line of a `triage`/`branch` block is `when EXPR -> STEP` or `else -> STEP`"),
            2,
        ),
        Rule::list_close => ("`,` or `]`", Some("separate list items with commas: `[a, b]`"), 3),
        Rule::comma => ("`,`", Some("separate items with commas: `needs a, b` or `[a, b]`"), 4),
        Rule::triple | Rule::string | Rule::list | Rule::block | Rule::word => (
            "a value",
            Some("a value is a word (`read`, `30s`, `3`), a quoted string, a list `[a, b]` or a block `{ ... }`"),
            5,
        ),
        Rule::key => (
            "a field",
            Some("each line of a block is `key value`"),
            6,
        ),
        Rule::block_close => ("`}` to close the block", Some("each statement goes on a line of its own; a block ends with `}`"), 7),
        Rule::sep => (
            "the end of the statement",
            Some("one statement per line (or separated by `;`), `key value`; quote a value that holds spaces: `\"a b\"`"),
            8,
        ),
        Rule::EOI => ("the end of the file", None, 9),
        Rule::step_stmt | Rule::input_stmt | Rule::var_stmt | Rule::playbook_stmt => (
            "a statement (`playbook`, `input`, `var`, `step` or `key value`)",
            None,
            10,
        ),
        // A statement rule that failed at its keyword: a field was expected.
        Rule::assert_stmt
        | Rule::that_stmt
        | Rule::condition_stmt
        | Rule::needs_stmt
        | Rule::when_stmt
        | Rule::for_each_stmt
        | Rule::label_stmt
        | Rule::until_stmt
        | Rule::retry_stmt
        | Rule::on_failure_stmt
        | Rule::output_stmt
        | Rule::cases_stmt
        | Rule::entry => ("a field", Some("each line of a block is `key value`"), 6),
        _ => return None,
    };
    Some(Expectation { what, help, rank })
}

fn join_or<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}
