//! The forms a secret takes when a program prints it escaped with
//! backslashes, to be pasted back into a shell or a program: bash's
//! `printf %q`, `$'...'` and `declare -p`, coreutils' `printf %q`, and
//! Python's `repr`. These are the debug idioms (`declare -p TOKEN`,
//! `print(repr(token))`, `print(subprocess.check_output(...))`) that
//! printed a secret in clear.
//!
//! Each form is the inside of the quotes, escaped as if the secret stood
//! alone, so a secret printed inside a longer value is found too. They are
//! computed once, when the secret is registered.

/// Pushes every backslash-escaped form of `secret`. Forms equal to the
/// secret or to one another are dropped by the caller's set.
pub(super) fn escaped_forms(secret: &str, forms: &mut Vec<String>) {
    // `printf %q` of a value printed as it is: with a `#` or `~` first
    // escaped (the value starts with the secret) and not (it does not).
    forms.push(bash_backslashed(secret, true));
    forms.push(bash_backslashed(secret, false));
    // What bash writes when the value has a control character (a newline):
    // `printf %q`, `${x@Q}`, `declare -p`, `set`, in a UTF-8
    // locale and in the C locale (where every byte beyond ASCII is octal).
    forms.push(ansi_c_quoted(secret, false));
    forms.push(ansi_c_quoted(secret, true));
    // What coreutils writes for a value with a control character
    // (`env printf %q`, `ls`, `stat`, its error messages), in both locales.
    forms.push(coreutils_quoted(secret, false));
    forms.push(coreutils_quoted(secret, true));
    // A multi-line value printed in double quotes spans lines.
    let double = double_quoted(secret);
    super::lines_of(&double, forms);
    forms.push(double);
    for non_ascii in [
        NonAscii::Verbatim,
        NonAscii::CodePoints,
        NonAscii::Utf8Bytes,
    ] {
        // `'` is escaped when the repr is in single quotes (the value has a
        // `"`), and not when it is in double quotes (a `'` and no `"`).
        forms.push(python_repr(secret, non_ascii, true));
        forms.push(python_repr(secret, non_ascii, false));
    }
}

/// Characters bash's `printf %q` writes with a `\` before them wherever they
/// are (`sh_backslash_quote`'s table, read from bash 5.2's output).
const BASH_SPECIAL: &str = " \t\n!\"$&'()*,;<>?[\\]^`{|}";

/// The inside of bash's backslash form (`printf %q` of a value without
/// control characters): each shell-special character after a
/// `\`, `~` after `:` or `=` too, and a first `#` or `~` when `first`.
fn bash_backslashed(secret: &str, first: bool) -> String {
    let mut out = String::with_capacity(secret.len() * 2);
    let mut previous = None;
    for c in secret.chars() {
        let special = BASH_SPECIAL.contains(c)
            || (c == '~' && matches!(previous, Some(':' | '=')))
            || (first && previous.is_none() && matches!(c, '#' | '~'));
        if special {
            out.push('\\');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// The inside of bash's `$'...'` (ANSI-C) form: `\` and `'` escaped,
/// control characters by name (`\n`, `\E` for escape) or in octal, and what
/// is not ASCII as it is or, in the C locale, each byte in octal.
/// A control character as `$'...'` and coreutils' quoting name it
/// (`\t`), where they name it.
fn named_control(c: char) -> Option<&'static str> {
    Some(match c {
        '\x07' => "\\a",
        '\x08' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\x0b' => "\\v",
        '\x0c' => "\\f",
        '\r' => "\\r",
        _ => return None,
    })
}

fn ansi_c_quoted(secret: &str, octal_beyond_ascii: bool) -> String {
    let mut out = String::with_capacity(secret.len() * 2);
    for c in secret.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\x1b' => out.push_str("\\E"),
            c if let Some(name) = named_control(c) => out.push_str(name),
            c if c.is_ascii_control() => push_octal(&mut out, c as u8),
            c if octal_beyond_ascii && !c.is_ascii() => {
                let mut bytes = [0; 4];
                c.encode_utf8(&mut bytes)
                    .bytes()
                    .for_each(|b| push_octal(&mut out, b));
            }
            c => out.push(c),
        }
    }
    out
}

/// The inside of coreutils' shell-escape quoting of a value with a control
/// character: single-quoted (`'` written `'\''`), each run of control
/// characters (and, in the C locale, of text beyond ASCII) written between
/// `'$'` and `''`, by name (`\t`) or in octal (`\033`). A run at either
/// end of the secret stops at its escapes: the value may go on with more
/// control characters in the same run, and coreutils 9.1 leaves the `'$'`
/// out of a value that starts and ends with one and holds a `'`
/// (`'\t''it'\''s'$'\n'`).
fn coreutils_quoted(secret: &str, octal_beyond_ascii: bool) -> String {
    let mut out = String::with_capacity(secret.len() * 2);
    let mut in_run = false;
    let mut bytes = [0; 4];
    for c in secret.chars() {
        let escaped = c.is_ascii_control() || (octal_beyond_ascii && !c.is_ascii());
        if escaped != in_run {
            if !out.is_empty() {
                out.push_str(if escaped { "'$'" } else { "''" });
            }
            in_run = escaped;
        }
        match c {
            '\'' => out.push_str("'\\''"),
            c if let Some(name) = named_control(c) => out.push_str(name),
            c if escaped => c
                .encode_utf8(&mut bytes)
                .bytes()
                .for_each(|b| push_octal(&mut out, b)),
            c => out.push(c),
        }
    }
    out
}

fn push_octal(out: &mut String, byte: u8) {
    out.push('\\');
    for shift in [6, 3, 0] {
        out.push(char::from(b'0' + (byte >> shift & 7)));
    }
}

/// The inside of a double-quoted shell word as bash's `declare -p`,
/// `export -p` and many tools write it: `\` before `$`, `` ` ``, `"`, `\`.
fn double_quoted(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len() * 2);
    for c in secret.chars() {
        if matches!(c, '$' | '`' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How a Python repr writes a character beyond ASCII.
#[derive(Clone, Copy)]
enum NonAscii {
    /// `repr(str)`: as it is, when printable.
    Verbatim,
    /// `ascii(str)` (and Python 2's `repr(unicode)`): `\xe9`, `\u20ac`,
    /// `\U0001f511`.
    CodePoints,
    /// `repr(bytes)` (what `subprocess` returns): each UTF-8 byte `\xNN`.
    Utf8Bytes,
}

/// The inside of Python's repr of the secret: `\\`, `\'` when
/// `quote_escaped`, `\t` `\n` `\r`, and `\xNN` for other control characters
/// and for those Python does not print (U+0080 to U+00A0, U+00AD).
fn python_repr(secret: &str, non_ascii: NonAscii, quote_escaped: bool) -> String {
    let mut out = String::with_capacity(secret.len() * 2);
    let mut bytes = [0; 4];
    for c in secret.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' if quote_escaped => out.push_str("\\'"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => push_hex(&mut out, 'x', c as u32, 2),
            c if c.is_ascii() => out.push(c),
            c => match non_ascii {
                NonAscii::Utf8Bytes => c
                    .encode_utf8(&mut bytes)
                    .bytes()
                    .for_each(|b| push_hex(&mut out, 'x', b.into(), 2)),
                NonAscii::Verbatim if !matches!(c, '\u{80}'..='\u{a0}' | '\u{ad}') => out.push(c),
                _ => match c as u32 {
                    n @ 0..=0xff => push_hex(&mut out, 'x', n, 2),
                    n @ 0x100..=0xffff => push_hex(&mut out, 'u', n, 4),
                    n => push_hex(&mut out, 'U', n, 8),
                },
            },
        }
    }
    out
}

/// `\` then `letter` then `value` in `digits` lower-case hex digits.
fn push_hex(out: &mut String, letter: char, value: u32, digits: usize) {
    use std::fmt::Write;
    let _ = write!(out, "\\{letter}{value:0digits$x}");
}

#[cfg(test)]
mod tests;
