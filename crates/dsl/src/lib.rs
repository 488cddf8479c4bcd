//! The runbook playbook language.
//!
//! Pipeline: a source file is read by one of two thin front ends ([`yaml`],
//! [`runbook_syntax`]) into a spanned [`node::Node`] tree, lowered into the
//! [`ast::Playbook`] model ([`lower`]), then checked by [`analyze`] into an
//! immutable [`plan::Plan`] or a list of [`diagnostic::Diagnostic`]s.

pub mod activation;
pub mod analyze;
pub mod ast;
pub mod catalog;
pub mod code;
pub mod diagnostic;
pub mod diff;
pub mod doc;
pub mod draw;
pub mod duration;
pub mod expr;
pub mod files;
pub mod graph;
pub mod json_path;
pub mod lint;
pub mod load;
#[cfg(test)]
mod loop_tests;
pub mod lower;
pub mod mapping_file;
#[cfg(test)]
mod model_sizes;
pub mod node;
pub mod path;
pub mod plan;
pub mod playbook_file;
pub mod print;
mod quotes;
pub mod report_source;
pub mod runbook_syntax;
mod runbook_words;
pub mod schema;
pub mod severity;
pub mod size;
pub mod source;
pub mod suggest;
pub mod template;
#[cfg(test)]
mod templated_duration_tests;
pub mod terminal_text;
pub mod user_file;
pub mod yaml;
pub mod yaml_comments;

pub use code::Code;
pub use diagnostic::{Diagnostic, Diagnostics};
pub use severity::Severity;
pub use source::{SourceFile, Span, Spanned, Syntax};
/// Encodings are part of templates (how a value lands in a URL, a JSON
/// body, a PromQL query, a Kubernetes name); the kinds name them in their
/// schemas as `runbook_dsl::encode::Encoding`.
pub use template::encode;
