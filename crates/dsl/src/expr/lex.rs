//! Text to tokens for the expression parser: one pass over the bytes, with
//! string escapes resolved here so the parser only sees values. The whole
//! expression is read before parsing, so an unterminated string or brackets
//! nested too deep are reported first, whatever else is wrong.

use super::parse::MAX_NESTING;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::Text;

/// What a token is. Words that are keywords keep their own kinds; a field
/// name after `.` may still be one (`x.in`), which the parser allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Float,
    /// A quoted string; its value is in [`Lexed::strings`] at `Token::string`.
    Str,
    Ident,
    True,
    False,
    Null,
    And,
    Or,
    Not,
    In,
    Matches,
    /// `!`
    Bang,
    AndAnd,
    OrOr,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// `{` and `}` of a map literal, and the `:` between a key and its value.
    LBrace,
    RBrace,
    Colon,
    Comma,
    Dot,
    /// `=>`, between a lambda's parameter and its body.
    Arrow,
    /// Anything else (`=`, `->`, `|`, `$`, a non-ASCII letter): the parser
    /// reports it as unexpected where it stands.
    Stray,
    /// After the last token; its span is empty, at the end of the text.
    End,
}

/// One token: byte offsets into the expression's text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// Whether whitespace comes right before it: `a.b` is a path, `a .b` is not.
    pub spaced: bool,
    /// For [`Kind::Str`]: the index of its value in [`Lexed::strings`].
    pub string: usize,
}

/// The tokens of one expression, ending with [`Kind::End`].
pub(super) struct Lexed {
    pub tokens: Vec<Token>,
    pub strings: Vec<String>,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn keyword(word: &[u8]) -> Kind {
    match word {
        b"true" => Kind::True,
        b"false" => Kind::False,
        b"null" => Kind::Null,
        b"and" => Kind::And,
        b"or" => Kind::Or,
        b"not" => Kind::Not,
        b"in" => Kind::In,
        b"matches" => Kind::Matches,
        _ => Kind::Ident,
    }
}

/// Reads the whole expression. Errors: a string never closed, an unknown
/// escape, brackets nested beyond [`MAX_NESTING`].
pub(super) fn lex(text: &Text) -> Result<Lexed, Diagnostic> {
    let source = text.as_str();
    let bytes = source.as_bytes();
    // At most one token per three bytes in real conditions
    // (`steps.s1.outputs.count >= 0` is 10 tokens in 27 bytes).
    let mut tokens = Vec::with_capacity(bytes.len() / 3 + 2);
    let mut strings = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut spaced = false;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            spaced = true;
            i += 1;
            continue;
        }
        let start = i;
        let next = bytes.get(i + 1).copied();
        let (kind, len) = match b {
            b'0'..=b'9' => number(bytes, i),
            _ if is_word_start(b) => {
                let len = bytes[i..]
                    .iter()
                    .position(|&c| !is_word(c))
                    .unwrap_or(bytes.len() - i);
                (keyword(&bytes[i..i + len]), len)
            }
            // `@index`, `@first`, `@last`: the names an `{{#each}}` body
            // binds, read in its `{{#if}}` conditions (the checker refuses
            // them anywhere else).
            b'@' if next.is_some_and(is_word_start) => {
                let len = bytes[i + 1..]
                    .iter()
                    .position(|&c| !is_word(c))
                    .unwrap_or(bytes.len() - i - 1);
                (Kind::Ident, len + 1)
            }
            b'"' | b'\'' => {
                let end = string_end(bytes, i).ok_or_else(|| never_closed(text, i, b))?;
                let value = unescape(text, i + 1, end - 1)?;
                tokens.push(Token {
                    kind: Kind::Str,
                    start,
                    end,
                    spaced,
                    string: strings.len(),
                });
                strings.push(value);
                spaced = false;
                i = end;
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Diagnostic::error(
                        Code::ExprSyntax,
                        format!("brackets are nested more than {MAX_NESTING} deep"),
                    )
                    .label(text.file_span(i, i + 1), "too deep here")
                    .help("split the condition into simpler parts"));
                }
                let kind = match b {
                    b'(' => Kind::LParen,
                    b'[' => Kind::LBracket,
                    _ => Kind::LBrace,
                };
                (kind, 1)
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                let kind = match b {
                    b')' => Kind::RParen,
                    b']' => Kind::RBracket,
                    _ => Kind::RBrace,
                };
                (kind, 1)
            }
            b':' => (Kind::Colon, 1),
            b'!' if next == Some(b'=') => (Kind::NotEq, 2),
            b'!' => (Kind::Bang, 1),
            b'&' if next == Some(b'&') => (Kind::AndAnd, 2),
            b'|' if next == Some(b'|') => (Kind::OrOr, 2),
            b'=' if next == Some(b'=') => (Kind::EqEq, 2),
            b'=' if next == Some(b'>') => (Kind::Arrow, 2),
            b'<' if next == Some(b'=') => (Kind::Le, 2),
            b'<' => (Kind::Lt, 1),
            b'>' if next == Some(b'=') => (Kind::Ge, 2),
            b'>' => (Kind::Gt, 1),
            b'+' => (Kind::Plus, 1),
            // `-` never takes the `-` of `->`: a branch case is `when EXPR -> target`.
            b'-' if next == Some(b'>') => (Kind::Stray, 2),
            b'-' => (Kind::Minus, 1),
            b'*' => (Kind::Star, 1),
            b'/' => (Kind::Slash, 1),
            b'%' => (Kind::Percent, 1),
            b',' => (Kind::Comma, 1),
            b'.' => (Kind::Dot, 1),
            // One whole character, so a span never splits a UTF-8 sequence.
            _ => (
                Kind::Stray,
                source[i..].chars().next().map_or(1, char::len_utf8),
            ),
        };
        tokens.push(Token {
            kind,
            start,
            end: start + len,
            spaced,
            string: 0,
        });
        spaced = false;
        i = start + len;
    }
    tokens.push(Token {
        kind: Kind::End,
        start: bytes.len(),
        end: bytes.len(),
        spaced,
        string: 0,
    });
    Ok(Lexed { tokens, strings })
}

/// `42`, `2.5`, `1e3`, `2.5E-3`: a float needs digits after its `.`, so
/// `1.x` is the integer 1 and a field.
fn number(bytes: &[u8], start: usize) -> (Kind, usize) {
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = start + digits(start);
    let mut kind = Kind::Int;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1 + digits(end + 1);
        kind = Kind::Float;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exponent = digits(end + 1 + sign);
        if exponent > 0 {
            end += 1 + sign + exponent;
            kind = Kind::Float;
        }
    }
    (kind, end - start)
}

/// The offset just past the closing quote of the string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn never_closed(text: &Text, at: usize, quote: u8) -> Diagnostic {
    Diagnostic::error(Code::ExprSyntax, "this string is never closed")
        .label(text.file_span(at, at + 1), "the string starts here")
        .help(format!("end it with `{}`", quote as char))
}

/// The value of the string between `from` and `to` (quotes excluded),
/// escapes resolved; an unknown escape is an error at its characters.
fn unescape(text: &Text, from: usize, to: usize) -> Result<String, Diagnostic> {
    let raw = &text.as_str()[from..to];
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            break;
        };
        let simple = match e {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '0' => Some('\0'),
            '\\' | '"' | '\'' | '/' => Some(e),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let mut end = i + 1 + e.len_utf8();
        if e == 'u' {
            // \u{1F600}
            let rest = &raw[end..];
            if let Some(close) = rest.strip_prefix('{').and_then(|r| r.find('}')) {
                let hex = &rest[1..1 + close];
                let code = (1..=6)
                    .contains(&hex.len())
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                end += close + 2;
                if let Some(c) = code {
                    out.push(c);
                    while chars.peek().is_some_and(|(j, _)| *j < end) {
                        chars.next();
                    }
                    continue;
                }
            }
        }
        let span = text.file_span(from + i, from + end.min(raw.len()));
        return Err(
            Diagnostic::error(Code::ExprSyntax, "unknown escape in a string")
                .label(span, "not an escape")
                .help(r#"the escapes are \n \t \r \0 \\ \" \' and \u{HEX}"#),
        );
    }
    Ok(out)
}
