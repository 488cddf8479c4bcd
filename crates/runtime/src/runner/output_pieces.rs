//! The pieces of a long output line, published so that a secret printed
//! across the reader's cut is still masked: each event is masked on its
//! own, so the end of a piece that could begin a secret form is held back
//! and published at the start of the next piece of the same line (the
//! line's text, joined, is unchanged; only where it is cut moves).

use crate::event::{Event, Stream};
use crate::mask::Masker;
use crate::step_message::OutputLine;
use std::collections::HashMap;

/// A line's stream: the step, the loop element that printed it, the stream.
type Key = (String, Option<usize>, Stream);

/// The held-back ends of open lines, by step (and loop element) and stream.
#[derive(Debug, Default)]
pub struct OutputPieces {
    held: HashMap<Key, Held>,
}

#[derive(Debug)]
struct Held {
    text: String,
    /// Whether the held text continues the piece published before it.
    continues: bool,
}

impl OutputPieces {
    /// The events to publish for one piece (the text held back from the
    /// line's previous piece comes first).
    pub fn take(&mut self, masker: &Masker, piece: OutputLine) -> Vec<Event> {
        let OutputLine {
            step,
            stream,
            line: mut text,
            mut continues,
            open,
            crlf,
            item,
        } = piece;
        let mut events = Vec::new();
        let key = (step, item, stream);
        if let Some(held) = self.held.remove(&key) {
            if continues {
                text.insert_str(0, &held.text);
                continues = held.continues;
            } else {
                events.push(output(&key, held.text, held.continues, false));
            }
        }
        if open {
            let end = masker.publishable(&text);
            if end < text.len() {
                let rest = text.split_off(end);
                let published = !text.is_empty();
                if published {
                    events.push(output(&key, text, continues, false));
                }
                let held = Held {
                    text: rest,
                    continues: published || continues,
                };
                self.held.insert(key, held);
                return events;
            }
        }
        events.push(output(&key, text, continues, crlf));
        events
    }

    /// What is held back of `step`'s lines, to publish before its next
    /// record (its end, a retry): the line ended there.
    pub fn flush(&mut self, step: &str) -> Vec<Event> {
        let keys: Vec<Key> = self
            .held
            .keys()
            .filter(|(s, _, _)| s == step)
            .cloned()
            .collect();
        let mut events = Vec::new();
        for key in keys {
            if let Some(held) = self.held.remove(&key) {
                events.push(output(&key, held.text, held.continues, false));
            }
        }
        events
    }
}

/// A held piece is always open, so only the piece that ends a line can
/// carry its `crlf`.
fn output((step, item, stream): &Key, line: String, continues: bool, crlf: bool) -> Event {
    Event::StepOutput {
        step: step.clone(),
        stream: *stream,
        line,
        continues,
        crlf,
        item: *item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(line: &str, continues: bool, open: bool) -> OutputLine {
        OutputLine {
            step: "s".into(),
            stream: Stream::Stdout,
            line: line.into(),
            continues,
            open,
            crlf: false,
            item: None,
        }
    }

    fn lines(events: &[Event]) -> Vec<(String, bool)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::StepOutput {
                    line, continues, ..
                } => Some((line.clone(), *continues)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_secret_cut_by_the_reader_is_published_in_one_piece() {
        let secret = "hunter2-the-long-secret";
        let mut masker = Masker::new();
        masker.add(secret);
        let mut pieces = OutputPieces::default();
        let first = format!("{}{}", "a".repeat(200), &secret[..7]);
        let mut events = pieces.take(&masker, piece(&first, false, true));
        let second = format!("{}{}", &secret[7..], "b".repeat(10));
        events.extend(pieces.take(&masker, piece(&second, true, false)));
        let got = lines(&events);
        let joined: String = got.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(joined, format!("{first}{second}"));
        assert!(got.iter().any(|(l, _)| l.contains(secret)), "{got:?}");
        assert!(!got[0].1 && got[1].1, "{got:?}");
        for (line, _) in &got {
            assert!(!masker.mask(line).contains("hunter2"), "{line}");
        }
    }

    #[test]
    fn without_secrets_nothing_is_held() {
        let masker = Masker::new();
        let mut pieces = OutputPieces::default();
        let events = pieces.take(&masker, piece("abc", false, true));
        assert_eq!(lines(&events), vec![("abc".to_string(), false)]);
        assert!(pieces.flush("s").is_empty());
    }

    #[test]
    fn a_held_end_is_flushed_when_the_line_stops_there() {
        let mut masker = Masker::new();
        masker.add("a-secret-of-some-length");
        let mut pieces = OutputPieces::default();
        let events = pieces.take(&masker, piece("short", false, true));
        assert!(events.is_empty());
        let events = pieces.take(&masker, piece("next line", false, false));
        assert_eq!(
            lines(&events),
            vec![
                ("short".to_string(), false),
                ("next line".to_string(), false)
            ]
        );
        pieces.take(&masker, piece("tail", false, true));
        assert_eq!(lines(&pieces.flush("s")), vec![("tail".to_string(), false)]);
    }
}
