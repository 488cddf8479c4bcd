//! Whether a character-by-character scan is inside a quoted string: the
//! hand-written scanners of expressions and templates skip quoted text the
//! same way (`"..."` or `'...'`, `\` escaping the next character).

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Quotes {
    quote: Option<char>,
    escaped: bool,
}

impl Quotes {
    /// Feeds one character. True when it belongs to a quoted string (its
    /// closing quote included); an opening quote starts one and returns false
    /// so the caller sees where the string begins.
    pub(crate) fn inside(&mut self, c: char) -> bool {
        match self.quote {
            Some(q) => {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == q {
                    self.quote = None;
                }
                true
            }
            None => {
                if c == '"' || c == '\'' {
                    self.quote = Some(c);
                }
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_and_escapes_are_inside() {
        let mut q = Quotes::default();
        let inside: String =
            r#"a "b\"c" d"#.chars().map(|c| if q.inside(c) { '1' } else { '0' }).collect();
        assert_eq!(inside, "0001111100");
    }
}
