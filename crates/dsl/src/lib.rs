//! The runbook playbook language.
//!
//! Pipeline: a source file is read by one of two thin front ends ([`yaml`],
//! [`runbook_syntax`]) into a spanned [`node::Node`] tree, lowered into the
//! [`ast::Playbook`] model ([`lower`]), then checked by [`analyze`] into an
//! immutable [`plan::Plan`] or a list of [`diagnostic::Diagnostic`]s.

pub mod activation;
pub mod analyze;
pub mod ancestry;
pub mod ast;
pub mod catalog;
pub mod code;
pub mod diagnostic;
pub mod diff;
pub mod doc;
pub mod draw;
pub mod encode;
pub mod expr;
pub mod files;
pub mod graph;
pub mod json_path;
pub mod lint;
pub mod load;
pub mod lower;
pub mod mapping_file;
pub mod node;
pub mod path;
pub mod plan;
pub mod print;
mod quotes;
pub mod report_source;
pub mod runbook_syntax;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod template;
pub mod terminal_text;
pub mod user_file;
pub mod yaml;

pub use code::Code;
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use source::{SourceFile, Span, Spanned, Syntax};
