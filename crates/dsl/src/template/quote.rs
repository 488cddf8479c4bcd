//! POSIX shell quoting of inserted values, so a value can never become
//! shell syntax (the `${{ }}` script-injection lesson of GitHub Actions).

/// The value as one shell word: bare when it contains only characters no
/// POSIX shell treats specially (`alphaswarm`, `v1.2.3`, `a/b`), otherwise
/// single-quoted with `'` written as `'\''`. The empty string is `''`.
pub fn shell_quote(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    // A leading `=` is expanded by zsh (`=ls`), a leading `-`... is just an
    // option, which quoting would not prevent anyway.
    if !value.is_empty() && value.chars().all(safe) && !value.starts_with('=') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(shell_quote("alphaswarm"), "alphaswarm");
        assert_eq!(shell_quote("v1.2.3"), "v1.2.3");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(id)"), "'$(id)'");
        assert_eq!(shell_quote("=ls"), "'=ls'");
    }
}
