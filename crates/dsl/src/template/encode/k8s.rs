//! Values in Kubernetes names and selectors. A name is a path segment of the
//! API (`/api/v1/namespaces/NS/pods/NAME`), so an inserted value may only be
//! made of the characters of DNS-1123 names; a label selector value may not
//! hold the selector's own syntax; a field selector value is escaped as the
//! API server unescapes it.

/// A value inserted into a name: lowercase letters, digits, `-` and `.`.
pub(super) fn name(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` cannot be part of a Kubernetes name: names are made of lowercase \
             letters, digits, `-` and `.`"
        ))
    }
}

/// A value inserted into a label selector: a label key or value
/// (letters, digits, `-`, `_`, `.`, and `/` of a key's prefix).
pub(super) fn label(text: &str) -> Result<String, String> {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` cannot go in a label selector: label keys and values are made of \
             letters, digits, `-`, `_` and `.`"
        ))
    }
}

/// A value of a field selector, escaped as the API server reads it.
pub(super) fn field_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `s` is a DNS-1123 label (a namespace, a container): at most 63
/// lowercase letters, digits and `-`, starting and ending alphanumeric.
pub fn dns1123_label(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| alnum(c) || c == '-')
        && s.starts_with(alnum)
        && s.ends_with(alnum)
}

/// Whether `s` is a DNS-1123 subdomain (most object names): at most 253
/// characters, dot-separated DNS-1123 labels.
pub fn dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
            !label.is_empty()
                && label.chars().all(|c| alnum(c) || c == '-')
                && label.starts_with(alnum)
                && label.ends_with(alnum)
        })
}
