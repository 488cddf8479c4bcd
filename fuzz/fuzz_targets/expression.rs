//! Arbitrary text as an expression and as a template: parsing must not panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use runbook_dsl::node::Text;
use runbook_dsl::Span;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let text = Text::verbatim(text, Span::new(0, text.len()));
        let _ = runbook_dsl::expr::parse(&text);
        let _ = runbook_dsl::template::parse(&text);
    }
});
