//! Arbitrary text to the hand-written expression parser (`expr::parse`):
//! never a panic; an error is `runbook::expr_syntax` with a hint and a span
//! inside the text on character boundaries; a tree has every span inside
//! the text, prints to text that parses back to the same tree, and that
//! printing is stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use runbook_dsl::expr::{self, Expr};
use runbook_dsl::node::Text;
use runbook_dsl::{Code, Span};

fn inside(span: Span, source: &str) -> bool {
    span.start <= span.end
        && span.end <= source.len()
        && source.is_char_boundary(span.start)
        && source.is_char_boundary(span.end)
}

fn parse(source: &str) -> Result<Expr, runbook_dsl::Diagnostic> {
    expr::parse(&Text::verbatim(source, Span::new(0, source.len())))
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match parse(source) {
        Err(d) => {
            assert_eq!(d.code, Code::ExprSyntax, "{source:?}: {}", d.message);
            assert!(d.help.is_some(), "{source:?}: {} has no hint", d.message);
            for label in &d.labels {
                assert!(inside(label.span, source), "{source:?}: {:?}", label.span);
            }
        }
        Ok(tree) => {
            let mut stack = vec![&tree];
            while let Some(node) = stack.pop() {
                assert!(inside(node.span, source), "{source:?}: {:?}", node.span);
                stack.extend(node.children());
            }
            let printed = tree.to_string();
            let again = parse(&printed)
                .unwrap_or_else(|d| panic!("{source:?} printed as {printed:?}: {}", d.message));
            assert_eq!(again.without_spans(), tree.without_spans(), "{source:?} -> {printed:?}");
            assert_eq!(again.to_string(), printed, "{source:?}");
            let _ = expr::const_eval(&tree);
            let _ = expr::enum_coverage(&tree);
        }
    }
});
