//! Printers: the playbook model back to text, for `runbook fmt` and
//! `runbook convert`.
//!
//! Both print from the [`crate::ast::Playbook`], not from the source, so the
//! output is canonical: fixed field order, fixed indentation, one spelling
//! per construct. Converting through the model is what makes the two
//! syntaxes interchangeable: YAML -> model -> `.runbook` -> model gives the
//! same model, spans aside.

mod runbook;
mod yaml;
pub mod yaml_value;

pub use runbook::runbook;
pub use yaml::{playbook_yaml, step_yaml, yaml};

/// Whether `s` can be written as a bare word in `.runbook` and read back as
/// the same string: a plain identifier-like token that is not typed as a
/// number, boolean or null. Other strings are quoted.
pub(crate) fn is_bare_word(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && crate::runbook_words::typed_word(s).is_none()
}

/// Whether `s` is a word of the grammar (used for keys and durations, which
/// are never typed): `[A-Za-z0-9_][A-Za-z0-9_.-/@+]*`.
pub(crate) fn is_grammar_word(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/' | b'@' | b'+')
        })
}

/// A float as text that reads back as the same number: integral values
/// without a fraction (`2`), others in Rust's shortest round-trip form.
pub(crate) fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f:?}")
    }
}

#[cfg(test)]
mod tests;
