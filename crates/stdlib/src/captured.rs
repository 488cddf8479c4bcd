//! A step's output stream, kept within a cap: the first half of the cap (the
//! head) as it comes, the last half (the tail) in a ring of lines, and a
//! marker line between them saying how much was dropped. Bounds both the
//! memory a chatty command takes and what the journal receives (a step that
//! prints gigabytes journals about the cap per stream). Each line counts as
//! its bytes plus [`FRAMING`].

use runbook_runtime::output_cap::OutputCap;
use runbook_runtime::OutputPiece;
use std::collections::VecDeque;

/// The smallest cap honoured (`check` and the CLI refuse less).
const MIN_CAP: usize = runbook_dsl::size::MIN_OUTPUT_CAP as usize;

/// What a line costs besides its text: about what its journal record adds
/// (`{"seq":..,"time":..,"event":"step_output",...}`), so that a flood of
/// short lines cannot make a journal many times the cap.
const FRAMING: usize = 64;

/// One stream's kept output.
#[derive(Debug)]
pub struct Captured {
    head_budget: usize,
    tail_budget: usize,
    head: Vec<u8>,
    /// The head's bytes plus framing.
    head_cost: usize,
    /// Set once a line did not fit in the head: lines go to the tail since.
    head_closed: bool,
    /// The head's last piece has no line ending: the reader cut a long
    /// line there, and its next piece continues it.
    head_open: bool,
    tail: VecDeque<Vec<u8>>,
    /// The tail's bytes plus framing.
    tail_bytes: usize,
    dropped_bytes: u64,
    dropped_lines: u64,
    /// The cap and what set it, for the marker.
    cap: String,
}

impl Captured {
    pub fn new(cap: &OutputCap) -> Captured {
        let described = cap.describe();
        let cap = cap.bytes.max(MIN_CAP);
        Captured {
            head_budget: cap / 2,
            tail_budget: cap - cap / 2,
            head: Vec::new(),
            head_cost: 0,
            head_closed: false,
            head_open: false,
            tail: VecDeque::new(),
            tail_bytes: 0,
            dropped_bytes: 0,
            dropped_lines: 0,
            cap: described,
        }
    }

    /// The longest line worth reading at once: a longer one is split.
    pub fn longest_line(&self) -> usize {
        self.tail_budget.min(64 * 1024)
    }

    /// Takes one line (with its newline, if it had one), or a piece of a
    /// line longer than [`Captured::longest_line`]. Returns what to show
    /// live when it is kept in the head; tail lines are held until
    /// [`Captured::held_lines`].
    pub fn push(&mut self, line: &[u8]) -> Option<OutputPiece> {
        let cost = line.len() + FRAMING;
        if !self.head_closed && self.head_cost + cost <= self.head_budget {
            self.head_cost += cost;
            self.head.extend_from_slice(line);
            let continues = std::mem::replace(&mut self.head_open, is_open(line));
            return Some(shown(line, continues));
        }
        self.head_closed = true;
        self.tail_bytes += cost;
        self.tail.push_back(line.to_vec());
        // The last line stays, whatever its size (lines are split at
        // `longest_line`, so that bounds it).
        while self.tail_bytes > self.tail_budget && self.tail.len() > 1 {
            let Some(old) = self.tail.pop_front() else {
                break;
            };
            self.tail_bytes -= old.len() + FRAMING;
            self.dropped_bytes += old.len() as u64;
            self.dropped_lines += 1;
        }
        None
    }

    /// Whether the cap dropped anything.
    pub fn cut(&self) -> bool {
        self.dropped_bytes > 0
    }

    /// The marker line standing for what was dropped, if anything was.
    pub fn marker(&self) -> Option<String> {
        (self.dropped_bytes > 0).then(|| {
            format!(
                "[runbook: {} byte(s) in {} line(s) of output dropped here: the step printed more than the output cap keeps ({})]",
                self.dropped_bytes, self.dropped_lines, self.cap
            )
        })
    }

    /// The lines not shown yet: the marker, then the tail. The marker is a
    /// line of its own ([`Captured::into_text`] puts line breaks around it).
    pub fn held_lines(&self) -> Vec<OutputPiece> {
        let marker = self.marker();
        // Without a marker the tail follows the head directly.
        let mut open = marker.is_none() && self.head_open;
        let mut pieces: Vec<OutputPiece> = marker.into_iter().map(OutputPiece::line).collect();
        for line in &self.tail {
            pieces.push(shown(line, open));
            open = is_open(line);
        }
        pieces
    }

    /// The kept text: head, marker line, tail.
    pub fn into_text(self) -> String {
        let marker = self.marker();
        let mut all = self.head;
        if let Some(marker) = marker {
            if !all.is_empty() && !all.ends_with(b"\n") {
                all.push(b'\n');
            }
            all.extend_from_slice(marker.as_bytes());
            all.push(b'\n');
        }
        for line in self.tail {
            all.extend_from_slice(&line);
        }
        String::from_utf8_lossy(&all).into_owned()
    }
}

/// A line as the live view shows it: without its line ending, `\n` or
/// `\r\n` (which `crlf` says, so that the journal's lines rebuild the
/// text exactly; any other `\r` stays in the text). A piece without one
/// (a long line cut by the reader, or the last line) is kept exact, so
/// that its pieces join to the line.
fn shown(line: &[u8], continues: bool) -> OutputPiece {
    let open = is_open(line);
    let (body, crlf) = match line.strip_suffix(b"\n") {
        Some(body) => match body.strip_suffix(b"\r") {
            Some(body) => (body, true),
            None => (body, false),
        },
        None => (line, false),
    };
    OutputPiece {
        text: String::from_utf8_lossy(body).into_owned(),
        continues,
        open,
        crlf,
    }
}

/// Whether a piece ends without a line ending (the next piece continues it).
fn is_open(line: &[u8]) -> bool {
    !line.ends_with(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_runtime::output_cap::CapSource;

    fn cap(bytes: usize) -> OutputCap {
        OutputCap::new(bytes, CapSource::Playbook("logs".into()))
    }

    #[test]
    fn small_output_is_kept_whole_and_shown_live() {
        let mut c = Captured::new(&cap(1024));
        assert_eq!(c.push(b"one\n").map(|p| p.text).as_deref(), Some("one"));
        assert_eq!(c.push(b"two").map(|p| p.text).as_deref(), Some("two"));
        assert!(c.held_lines().is_empty());
        assert_eq!(c.into_text(), "one\ntwo");
    }

    #[test]
    fn large_output_keeps_head_and_tail_with_a_marker() {
        let mut c = Captured::new(&cap(1000));
        let mut shown_live = 0;
        for i in 0..1000 {
            if c.push(format!("line {i:04}\n").as_bytes()).is_some() {
                shown_live += 1;
            }
        }
        // A 10-byte line costs 74: six fit in each half of 500.
        assert_eq!(shown_live, 6);
        let held = c.held_lines();
        assert!(
            held[0]
                .text
                .starts_with("[runbook: 9880 byte(s) in 988 line(s)"),
            "{held:?}"
        );
        assert!(
            held[0]
                .text
                .ends_with("keeps (1000 bytes, set by `output_cap` of playbook `logs`)]"),
            "{held:?}"
        );
        assert_eq!(held.last().map(|p| p.text.as_str()), Some("line 0999"));
        let text = c.into_text();
        assert!(text.starts_with("line 0000\n"), "{text}");
        assert!(text.contains("\n[runbook: 9880 byte(s)"), "{text}");
        assert!(text.ends_with("line 0999\n"), "{text}");
    }

    /// The text a journal reader rebuilds from the pieces: lines joined by
    /// `\n`, a continuing piece joined with nothing between.
    fn joined(pieces: &[OutputPiece]) -> String {
        let mut text = String::new();
        let mut crlf = false;
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 && !p.continues {
                text.push_str(if crlf { "\r\n" } else { "\n" });
            }
            text.push_str(&p.text);
            crlf = p.crlf;
        }
        text
    }

    /// What `process::collect` makes of the kept text.
    fn result(text: &str) -> String {
        text.strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(text)
            .to_string()
    }

    /// Feeds `raw` as the reader does: lines, cut at `piece` bytes.
    fn feed(c: &mut Captured, raw: &[u8], piece: usize) -> Vec<OutputPiece> {
        let mut shown = Vec::new();
        let mut rest = raw;
        while !rest.is_empty() {
            let n = match rest.iter().position(|&b| b == b'\n') {
                Some(i) if i < piece => i + 1,
                _ => piece.min(rest.len()),
            };
            shown.extend(c.push(&rest[..n]));
            rest = &rest[n..];
        }
        shown.extend(c.held_lines());
        shown
    }

    #[test]
    fn the_pieces_of_a_long_line_join_to_the_kept_text() {
        let long = "x".repeat(3 * 1000 + 17);
        let cases = [
            format!("{long}\nlast without newline"),
            format!("a\n{}\n", "y".repeat(1000)),
            format!("a\n{}\nb", "y".repeat(1001)),
            format!("{long}\r\n"),
            "\n\n".to_string(),
            format!("one\r\n{long}\r\n\r\ncr\r\r\nlast\r\n"),
            "a\r\nb".to_string(),
        ];
        for raw in &cases {
            let mut c = Captured::new(&cap(1 << 20));
            let pieces = feed(&mut c, raw.as_bytes(), 1000);
            assert!(pieces.iter().skip(1).any(|p| p.continues) || !raw.contains(&long));
            assert_eq!(joined(&pieces), result(&c.into_text()), "{raw:?}");
        }
    }

    #[test]
    fn pieces_cut_by_the_cap_join_around_the_marker() {
        let raw = format!("{}\n{}", "a".repeat(5000), "b".repeat(5000));
        let mut c = Captured::new(&cap(4096));
        let piece = c.longest_line();
        let pieces = feed(&mut c, raw.as_bytes(), piece);
        let marker = pieces.iter().find(|p| p.text.starts_with("[runbook:"));
        assert!(marker.is_some_and(|m| !m.continues), "{pieces:?}");
        assert_eq!(joined(&pieces), result(&c.into_text()));
    }

    #[test]
    fn the_tail_keeps_the_last_line_even_after_a_long_one() {
        let mut c = Captured::new(&cap(1024));
        assert!(c.push(&[b'x'; 600]).is_none());
        assert!(c.push(b"end\n").is_none());
        let text = c.into_text();
        assert!(
            text.starts_with("[runbook: 600 byte(s) in 1 line(s)"),
            "{text}"
        );
        assert!(text.ends_with("end\n"), "{text}");
    }
}
