//! Inserting values where they land outside a shell: a URL, a JSON body, a
//! PromQL query, a Kubernetes name or selector. A kind's parameter of type
//! [`ParamType::Encoded`](crate::catalog::ParamType::Encoded) names its
//! [`Encoding`]; filling in (`fill`) asks it for the text of each insertion, from
//! the text filled in so far (so the context is exact at run time), and the
//! checker asks it, from the template's literal text, which insertions no
//! encoding can make safe, so they are errors before anything runs.
//!
//! Raw insertions (`{{raw x}}`, `{{{x}}}`) are left alone: they are explicit
//! and linted.

mod file_path;
mod json;
mod k8s;
mod promql;
pub use promql::QueryLexer;
mod service_url;
mod url;

#[cfg(test)]
mod tests;

use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Scope, Type};
use crate::template::{Insertion, Segment, Template};
use serde_json::Value;

pub use k8s::{dns1123_label, dns1123_subdomain};

/// How the values inserted into one parameter are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// An absolute URL: path segments and query components percent-encoded;
    /// only an input may give the scheme and host, as the whole start.
    Url,
    /// A database's or a cache's connection URL: as [`Encoding::Url`], but
    /// a value in the authority (a password, a host) is percent-encoded.
    ServiceUrl,
    /// A raw request body: JSON when it starts with `{` or `[`, where values
    /// are inserted as JSON; other bodies are text, inserted as they are.
    JsonBody,
    /// A PromQL query: escaped inside string literals, numbers elsewhere.
    PromQl,
    /// A Kubernetes object name or namespace: inserted values are checked
    /// to be made of the characters of DNS-1123 names.
    K8sName,
    /// A Kubernetes label selector: inserted values are checked to be label
    /// keys or values, so they cannot add a requirement.
    LabelSelector,
    /// A Kubernetes field selector: `\`, `,` and `=` in values escaped.
    FieldSelector,
    /// A local file path: an inserted value is one file name; only an input
    /// may start the path with a directory.
    FilePath,
}

/// Why an insertion cannot be made safe where it is written.
pub(crate) struct Problem {
    pub code: Code,
    pub message: String,
    pub label: String,
    pub help: String,
}

impl Encoding {
    /// What a parameter of this encoding is, in "expected ..." messages.
    pub fn describe(self) -> &'static str {
        match self {
            Encoding::Url => "a string (a URL template)",
            Encoding::ServiceUrl => "a string (a connection URL template)",
            Encoding::JsonBody => "a string (a request body template)",
            Encoding::PromQl => "a string (a PromQL template)",
            Encoding::K8sName => "a string (a Kubernetes name template)",
            Encoding::LabelSelector => "a string (a label selector template)",
            Encoding::FieldSelector => "a string (a field selector template)",
            Encoding::FilePath => "a string (a file path template)",
        }
    }

    /// What the parameter holds, in a sentence ("inserted raw into the URL").
    pub fn noun(self) -> &'static str {
        match self {
            Encoding::Url => "the URL",
            Encoding::ServiceUrl => "the connection URL",
            Encoding::JsonBody => "the request body",
            Encoding::PromQl => "the PromQL query",
            Encoding::K8sName => "a Kubernetes name",
            Encoding::LabelSelector => "the label selector",
            Encoding::FieldSelector => "the field selector",
            Encoding::FilePath => "a file path",
        }
    }

    /// The text to insert for `value` (as `text` after its format) after
    /// `prefix`, the output filled in so far, and before `following`, the
    /// template's literal text right after it; or why it cannot be
    /// inserted.
    pub fn insert(
        self,
        prefix: &str,
        following: Option<&str>,
        insertion: &Insertion,
        value: &Value,
        text: &str,
    ) -> Result<String, String> {
        match self {
            Encoding::Url => url::insert(prefix, following, text),
            Encoding::ServiceUrl => service_url::insert(prefix, text),
            Encoding::JsonBody => json::insert(prefix, insertion, value, text),
            Encoding::PromQl => promql::insert(prefix, following, value, text),
            Encoding::K8sName => k8s::name(text),
            Encoding::LabelSelector => k8s::label(text),
            Encoding::FieldSelector => Ok(k8s::field_value(text)),
            Encoding::FilePath => file_path::insert(prefix, insertion, text),
        }
    }

    fn problem(self, prefix: &str, insertion: &Insertion, ty: &Type) -> Option<Problem> {
        match self {
            Encoding::Url | Encoding::ServiceUrl => url::problem(prefix, insertion),
            Encoding::JsonBody => json::problem(prefix),
            Encoding::PromQl => promql::problem(prefix, insertion, ty),
            Encoding::K8sName
            | Encoding::LabelSelector
            | Encoding::FieldSelector
            | Encoding::FilePath => None,
        }
    }

    /// Text standing for an insertion in the checker's picture of the
    /// filled-in output, so the context of the next insertion is right.
    fn placeholder(self, prefix: &str) -> String {
        match self {
            Encoding::Url | Encoding::ServiceUrl => url::placeholder(prefix),
            Encoding::JsonBody => json::placeholder(prefix),
            Encoding::PromQl => promql::placeholder(prefix),
            Encoding::K8sName
            | Encoding::LabelSelector
            | Encoding::FieldSelector
            | Encoding::FilePath => "x".into(),
        }
    }
}

/// Reports the insertions of `template` that `encoding` cannot make safe.
/// Inside `{{#if}}` blocks, each branch is read from the text before the
/// block, and the text after the block from the `then` branch; filling in
/// checks the exact context again at run time.
pub fn check<S: Scope + ?Sized>(
    encoding: Encoding,
    template: &Template,
    scope: &mut S,
    diags: &mut Diagnostics,
) {
    let mut prefix = String::new();
    walk(
        encoding,
        &template.segments,
        &mut prefix,
        0,
        &mut |prefix, insertion| {
            if insertion.raw {
                return;
            }
            // Resolved (and reported) by `template::check` already.
            let ty = insertion.resolve(scope, &mut Diagnostics::new());
            if let Some(p) = encoding.problem(prefix, insertion, &ty) {
                diags.push(
                    Diagnostic::error(p.code, p.message)
                        .label(insertion.span, p.label)
                        .help(p.help),
                );
            }
        },
    );
}

/// The inputs a URL template lets choose where the request goes (inserted
/// where only an input may be: the start, the host): a playbook that calls
/// this one must give them from its own inputs, never from a step's
/// result, or the rule would be passed through the call.
pub fn host_inputs(encoding: Encoding, template: &Template) -> Vec<String> {
    let mut found = Vec::new();
    if !matches!(encoding, Encoding::Url | Encoding::ServiceUrl) {
        return found;
    }
    let mut prefix = String::new();
    walk(
        encoding,
        &template.segments,
        &mut prefix,
        0,
        &mut |prefix, insertion| {
            let chooses = matches!(url::part(prefix), url::Part::Start | url::Part::Authority);
            if let (true, Some(name)) = (chooses, insertion.path.key(1)) {
                if insertion.path.starts_with(&["inputs"]) {
                    found.push(name.to_string());
                }
            }
        },
    );
    found
}

/// Visits every insertion of `segments` with the text before it as the
/// checker pictures the filled-in output. Inside `{{#if}}` blocks, each
/// branch is read from the text before the block, and the text after the
/// block from the `then` branch.
fn walk(
    encoding: Encoding,
    segments: &[Segment],
    prefix: &mut String,
    depth: usize,
    visit: &mut dyn FnMut(&str, &Insertion),
) {
    for segment in segments {
        match segment {
            Segment::Text { text, .. } => prefix.push_str(text),
            Segment::Insert(insertion) => {
                visit(prefix, insertion);
                let placeholder = encoding.placeholder(prefix);
                prefix.push_str(&placeholder);
            }
            Segment::If(block) => {
                if depth >= crate::template::MAX_BLOCK_DEPTH {
                    continue;
                }
                let mut otherwise = prefix.clone();
                walk(encoding, &block.then, prefix, depth + 1, visit);
                walk(encoding, &block.otherwise, &mut otherwise, depth + 1, visit);
            }
        }
    }
}

/// `text` with every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9
/// - . _ ~`) written `%XX`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
