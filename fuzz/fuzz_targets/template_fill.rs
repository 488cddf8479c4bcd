//! Arbitrary text as a template, filled in with an arbitrary value for every
//! insertion, quoted for a shell and not: never a panic. And the shell
//! property: a value inserted as a word of a shell command reads back, by
//! POSIX quoting rules, as exactly the value, with nothing outside quotes
//! that a shell would treat specially. The input is split at the first NUL:
//! the template, then the value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use runbook_dsl::expr::JsonEnv;
use runbook_dsl::node::Text;
use runbook_dsl::template::{fill, parse, Quoting};
use runbook_dsl::Span;
use serde_json::json;

/// The word a POSIX shell reads from `word`: `'...'` quotes literally,
/// `\` quotes the next character; anything else special is refused.
fn unquote(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            c if c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c) => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, value) = text.split_once('\0').unwrap_or((text, "$(id)"));
    let env = JsonEnv {
        root: json!({"inputs": {"x": value, "n": 3, "list": [value, 1]}}),
        ..JsonEnv::default()
    };
    if let Ok(parsed) = parse(&Text::verbatim(template, Span::new(0, template.len()))) {
        let _ = fill(&parsed, &env, Quoting::Shell);
        let _ = fill(&parsed, &env, Quoting::None);
    }
    let word = "{{inputs.x}}";
    let parsed = parse(&Text::verbatim(word, Span::new(0, word.len()))).expect("a valid template");
    let filled = fill(&parsed, &env, Quoting::Shell).expect("x is known");
    assert_eq!(
        unquote(&filled).as_deref(),
        Some(value),
        "{value:?} filled in as {filled:?}"
    );
});
