//! Every Markdown file in docs/ and the README closes each code block it
//! opens: one missing fence turns the rest of a page into code (issue 11,
//! item 18: docs/cli.md's `lint`, `schema` and `doc` sections were).

use crate::markdown::{blocks, documents};
use crate::support::root;

#[test]
fn issue11_item18_every_markdown_file_in_docs_has_balanced_fences() {
    let mut problems = Vec::new();
    for path in documents() {
        let text = std::fs::read_to_string(&path).expect("the document is readable");
        if let Err(e) = blocks(&text) {
            let name = path.strip_prefix(root()).unwrap_or(&path).display();
            problems.push(format!("{name}:{}: {}", e.line, e.message));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
