//! Where in the file the character being read is, worked out only when
//! a word's span needs it. Most of a shell command's characters never
//! need their position (only a word's first and last character do, see
//! `mark_word`), and in the common case (text written verbatim in the
//! file) the position is a sum: the lexer keeps the sum's terms per
//! character and adds them up on demand.

use crate::node::TextMap;
use crate::source::Span;

/// The position of one character of fed text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Cursor {
    /// Not known (text fed without a map).
    #[default]
    Unknown,
    /// Already resolved (a map that is not verbatim).
    At(Span),
    /// The bytes `offset..offset + len` of a piece written verbatim from
    /// file offset `base`, within the piece's span `within`.
    Verbatim {
        base: usize,
        offset: usize,
        len: usize,
        within: Span,
    },
}

impl Cursor {
    /// The character's span in the file, exactly as
    /// [`TextMap::file_span`] gives it; the default span when unknown.
    pub(super) fn span(self) -> Span {
        match self {
            Cursor::Unknown => Span::default(),
            Cursor::At(span) => span,
            Cursor::Verbatim {
                base,
                offset,
                len,
                within,
            } => TextMap::Verbatim(base).file_span(within, offset, offset + len),
        }
    }

    /// Whether the position is known, i.e. resolves to a span other than
    /// the default one (which the lexer treats as "unknown").
    pub(super) fn is_known(self) -> bool {
        match self {
            Cursor::Unknown => false,
            Cursor::At(span) => span != Span::default(),
            // Its end is at least 1.
            Cursor::Verbatim { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verbatim_cursor_resolves_as_the_map_does() {
        let within = Span::new(10, 20);
        for (offset, len) in [(0, 1), (3, 2), (9, 1), (12, 1), (40, 4)] {
            let lazy = Cursor::Verbatim {
                base: 10,
                offset,
                len,
                within,
            };
            assert_eq!(
                lazy.span(),
                TextMap::Verbatim(10).file_span(within, offset, offset + len),
                "offset {offset}"
            );
            assert!(lazy.is_known());
        }
    }

    #[test]
    fn an_unknown_or_default_cursor_is_not_known() {
        assert!(!Cursor::Unknown.is_known());
        assert!(!Cursor::At(Span::default()).is_known());
        assert!(Cursor::At(Span::new(0, 1)).is_known());
        assert_eq!(Cursor::Unknown.span(), Span::default());
    }
}
