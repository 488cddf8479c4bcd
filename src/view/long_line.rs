//! A long line of a step's output reaches the views in pieces: the reader
//! cuts a line longer than its piece size (64 KiB), and each piece after
//! the first is a `step_output` marked `continues` (its step, stream and
//! loop element name the line it continues). Both terminal views show such
//! a line as one line: the live view under its running step
//! (`live::Running`), the plain view as it prints (`view::Human`). What
//! joins, and how much of a joined line is shown, is decided here once;
//! the plain view's writing of a record (`Human::text`, which keeps a line
//! open for its next piece) is here too.

use super::{for_terminal, Human};
use runbook_runtime::event::{Event, Record, Stream};
use std::borrow::Cow;

/// Whose line a piece continues, within its step: the stream, and the loop
/// element that printed it (elements' lines interleave under the step's
/// id, so a piece joins a line of its own element only).
pub type Whose = (Stream, Option<usize>);

/// A line being shown as its pieces arrive: how much of it is shown, up to
/// a limit, after which the rest is one `…`.
#[derive(Debug)]
pub struct JoinedLine {
    whose: Whose,
    shown: usize,
    limit: usize,
    cut: bool,
}

impl JoinedLine {
    /// A line of `whose`, shown up to `limit` bytes.
    pub fn new(whose: Whose, limit: usize) -> JoinedLine {
        JoinedLine {
            whose,
            shown: 0,
            limit,
            cut: false,
        }
    }

    /// Whether a piece of `whose`, marked `continues` or not, goes on
    /// this line (with no break between).
    pub fn joins(&self, whose: Whose, continues: bool) -> bool {
        continues && self.whose == whose
    }

    /// What of `piece` is shown after what is shown of the line so far:
    /// all of it within the limit; past it, as much as fits (cut at a
    /// character boundary) and one `…`, then nothing.
    pub fn append<'a>(&mut self, piece: &'a str) -> Cow<'a, str> {
        if self.cut {
            return Cow::Borrowed("");
        }
        let room = self.limit.saturating_sub(self.shown);
        if piece.len() <= room {
            self.shown += piece.len();
            return Cow::Borrowed(piece);
        }
        let mut end = room;
        while !piece.is_char_boundary(end) {
            end -= 1;
        }
        self.shown += end;
        self.cut = true;
        Cow::Owned(format!("{}…", &piece[..end]))
    }
}

impl Human {
    /// What a record writes in the plain view, line breaks included. A
    /// line of output is written without its break, which comes before
    /// whatever is written next, unless that is the next piece of the same
    /// long line (same step, stream and loop element, marked `continues`):
    /// then the piece goes on the same line (the live view joins pieces
    /// the same way, [`long_line`]). The whole line is written: a log kept
    /// from a pipe keeps it all.
    pub fn text(&mut self, record: &Record) -> String {
        if let Event::StepOutput {
            step,
            stream,
            line,
            continues,
            item,
            ..
        } = &for_terminal(record).event
        {
            if let Some((_, joined)) = self
                .open
                .as_mut()
                .filter(|(s, j)| s == step && j.joins((*stream, *item), *continues))
            {
                return joined.append(line).into_owned();
            }
        }
        let mut text = String::new();
        if self.open.take().is_some() {
            text.push('\n');
        }
        let Some(line) = self.line(record) else {
            return text;
        };
        text.push_str(&line);
        match &record.event {
            Event::StepOutput {
                step,
                stream,
                line,
                item,
                ..
            } if *stream != Stream::Log => {
                let mut joined = JoinedLine::new((*stream, *item), usize::MAX);
                joined.append(line);
                self.open = Some((step.clone(), joined));
            }
            _ => text.push('\n'),
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: Whose = (Stream::Stdout, None);

    #[test]
    fn pieces_join_their_own_line_only() {
        let line = JoinedLine::new(OUT, 10);
        assert!(line.joins(OUT, true));
        assert!(!line.joins(OUT, false), "a new line");
        assert!(!line.joins((Stream::Stderr, None), true));
        assert!(
            !line.joins((Stream::Stdout, Some(1)), true),
            "another element"
        );
    }

    #[test]
    fn a_joined_line_is_cut_once_at_its_limit() {
        let mut line = JoinedLine::new(OUT, 10);
        assert_eq!(line.append("abcdef"), "abcdef");
        assert_eq!(line.append("ghijkl"), "ghij…");
        assert_eq!(line.append("mnop"), "");
        let mut line = JoinedLine::new(OUT, 4);
        // `é` is two bytes: the cut falls before it, not inside it.
        assert_eq!(line.append("abcé"), "abc…");
        let mut line = JoinedLine::new(OUT, usize::MAX);
        assert_eq!(line.append(&"x".repeat(100_000)).len(), 100_000);
        assert_eq!(line.append("y"), "y");
    }

    fn record(event: Event) -> Record {
        Record {
            seq: 0,
            time: String::new(),
            event,
        }
    }

    fn piece(step: &str, stream: Stream, line: &str, continues: bool) -> Record {
        record(Event::StepOutput {
            step: step.into(),
            stream,
            line: line.into(),
            continues,
            crlf: false,
            item: None,
        })
    }

    #[test]
    fn the_plain_view_writes_a_long_lines_pieces_on_one_line() {
        let mut view = Human::new(false, Default::default());
        let started = record(Event::StepStarted {
            step: "a".into(),
            attempt: 1,
            command: None,
        });
        let records = [
            started,
            piece("a", Stream::Stdout, "one", false),
            piece("a", Stream::Stdout, "-two", true),
            piece("a", Stream::Stdout, "-three", true),
            piece("a", Stream::Stdout, "next", false),
            // Another stream's line breaks the line; its piece then
            // starts a line of its own.
            piece("a", Stream::Stderr, "err", false),
            piece("a", Stream::Stdout, "-four", true),
            // Another step's line too, under its header.
            piece("b", Stream::Stdout, "bee", false),
            piece("a", Stream::Stdout, "-five", true),
        ];
        let written: String = records.iter().map(|r| view.text(r)).collect();
        assert_eq!(
            written,
            "▶ a\n  │ one-two-three\n  │ next\n  │ err\n  │ -four\n  ┌ b\n  │ bee\n  ┌ a\n  │ -five"
        );
        let mut view = Human::new(false, Default::default());
        view.text(&piece("a", Stream::Stdout, "x", false));
        runbook_runtime::Subscriber::finish(&mut view);
        // `finish` ended the line: nothing joins it after.
        assert_eq!(view.text(&piece("a", Stream::Stdout, "y", true)), "  │ y");
    }
}
