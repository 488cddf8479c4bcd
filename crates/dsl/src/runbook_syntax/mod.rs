//! The `.runbook` front end: `.runbook` text -> spanned [`Node`] tree.
//!
//! The grammar is written for review in a PR diff: one step per block, little
//! punctuation, `#` comments anywhere. It spells exactly the tree the YAML
//! front end produces (see `crate::yaml`), so both syntaxes share the
//! lowering, the analyzer and every diagnostic after parsing.
//!
//! Parsing runs in three stages: a lexical scan (`scan.rs`: comments,
//! unterminated strings, brackets, the nesting cap), pest (`runbook.pest`,
//! derived in `grammar.rs`), and a walk of pest's pairs that builds the tree
//! (`parse.rs`). pest parses the file in chunks of whole top-level
//! statements, cut by the scanner, so that only one chunk's tokens are in
//! memory beside the tree. A syntax error is reported as one [`crate::Diagnostic`]
//! with the `runbook::syntax` code (worded in `error.rs`), pointing at the
//! offending token.

mod collected;
mod error;
mod grammar;
mod parse;
mod scan;
mod strings;

pub use parse::parse;

use crate::node::Node;
use crate::source::Span;

/// A parsed `.runbook` file: the tree and the comments, which the tree does
/// not hold but `runbook fmt` must keep.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub node: Node,
    pub comments: Vec<Comment>,
}

/// One `#` comment, in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// From the `#` to the last non-blank character of the line.
    pub span: Span,
    /// The comment as written, `#` included, without trailing whitespace.
    pub text: String,
}

#[cfg(test)]
pub(crate) mod tests;
