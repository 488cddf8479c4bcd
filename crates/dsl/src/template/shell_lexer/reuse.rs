//! One lexer for many commands: `check` reads thousands of shell
//! templates, and a new lexer for each allocated its vectors and strings
//! afresh (and freed them), which cost more than lexing a short command.
//! [`ShellLexer::reset`] puts a lexer back in its starting state but keeps
//! what it allocated.

use super::cursor::Cursor;
use super::frames::{Frame, Pending, WordStart};
use super::{pipeline, ShellLexer, WordMeta};

impl ShellLexer {
    /// The state of [`ShellLexer::default`], keeping the capacity of the
    /// lexer's buffers. Every field is named (no `..`), so a field added
    /// later cannot be forgotten here; a test compares the result with a
    /// new lexer after text that leaves every kind of state behind.
    pub fn reset(&mut self) {
        let ShellLexer {
            frames,
            pending,
            word_start,
            command_start,
            word,
            word_at_command_start,
            heredocs,
            delimiter,
            line,
            ambiguous,
            words,
            texts,
            raw_word,
            follows_words,
            interrupted,
            metas,
            meta,
            lists,
            piped,
            depth,
            cursor,
            word_end,
            assignments,
            spare,
            redirect_target,
            redirect_op,
            int_vars,
            redirect,
            reads_own_stdin,
            written,
        } = self;
        frames.clear();
        frames.push(Frame::Command {
            closes_on_paren: false,
            case_depth: 0,
        });
        *pending = Pending::None;
        *word_start = WordStart::Yes;
        *command_start = true;
        word.clear();
        *word_at_command_start = true;
        heredocs.clear();
        *delimiter = None;
        line.clear();
        *ambiguous = false;
        for text in words.drain(..).flatten() {
            spare.push(text);
        }
        texts.clear();
        raw_word.clear();
        *follows_words = false;
        interrupted.clear();
        metas.clear();
        *meta = WordMeta::default();
        lists.clear();
        lists.push(pipeline::List::default());
        piped.clear();
        *depth = 0;
        *cursor = Cursor::Unknown;
        *word_end = Cursor::Unknown;
        *assignments = 0;
        *redirect_target = false;
        *redirect_op = false;
        int_vars.clear();
        *redirect = None;
        *reads_own_stdin = false;
        written.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::TextMap;
    use crate::source::Span;

    /// The lexer's state as `Debug` shows it, without the spare strings
    /// (kept on purpose, and never read before they are cleared).
    fn state(lexer: &ShellLexer) -> String {
        let mut shown = lexer.clone();
        shown.spare.clear();
        format!("{shown:?}")
    }

    #[test]
    fn a_reset_lexer_is_a_new_one() {
        for text in [
            "echo 'open",
            "cat <<EOF\nbody @",
            "cat <<'E",
            "declare -i n; n=@ x=\"$(sh -c 'a @",
            "echo @ | sh",
            "ssh h \"r @",
            "X=1 Y=2 a[@",
            "case $x in (a) echo @",
            "echo ${X:-@",
            "echo `a @",
            "echo $(( 1 + @",
            "echo @ > f; sh < f",
            "{ echo @; } | bash -s; # @",
            "psql -c \"select @",
            "echo \\",
        ] {
            let mut lexer = ShellLexer::default();
            let mut at = 7;
            for (i, piece) in text.split('@').enumerate() {
                if i > 0 {
                    lexer.insertion_keyed(i);
                    at += 1;
                }
                let span = Span::new(at, at + piece.len());
                lexer.feed_mapped(piece, span, &TextMap::Verbatim(at));
                at += piece.len();
            }
            // Mid-text, and after the end.
            let mut unfinished = lexer.clone();
            unfinished.reset();
            assert_eq!(
                state(&unfinished),
                state(&ShellLexer::default()),
                "{text:?}"
            );
            lexer.finish();
            lexer.reset();
            assert_eq!(state(&lexer), state(&ShellLexer::default()), "{text:?}");
            // And it reads the next command as a new lexer does.
            let mut fresh = ShellLexer::default();
            for lexer in [&mut lexer, &mut fresh] {
                lexer.feed("sh -c 'echo ");
            }
            assert_eq!(lexer.contexts(None), fresh.contexts(None), "{text:?}");
        }
    }
}
