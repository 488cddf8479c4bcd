//! Arbitrary input never panics: random bytes, and random mutations of the
//! real playbooks, through both front ends, the expression parser and the
//! template parser. (The cargo-fuzz targets under `fuzz/` do the same, longer.)

use crate::support::{playbooks_under, root};
use runbook_dsl::node::Text;
use runbook_dsl::{SourceFile, Span};

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "\"\"\"",
    ":",
    "-",
    "->",
    "\n",
    "  ",
    "#",
    "{{",
    "}}",
    "{{{",
    "(",
    ")",
    "&&",
    "||",
    "==",
    "steps.",
    "inputs.",
    "step ",
    "when ",
    "else",
    "needs ",
    "\\",
    "\t",
    "é",
    "\u{0}",
    "*x",
    "&a ",
    "!!str ",
    "---\n",
    "null",
    "1e999",
    "-9223372036854775809",
    "succeeded(",
    "[[[[[[[[",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut bytes: Vec<u8> = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 if !bytes.is_empty() => {
                let end = (at + rng.below(20)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                bytes.splice(at..at, piece.bytes());
            }
            2 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = (rng.next() & 0x7f) as u8;
            }
            _ => {
                let from = rng.below(bytes.len());
                let len = rng.below(40).min(bytes.len() - from);
                let copy: Vec<u8> = bytes[from..from + len].to_vec();
                let at = at.min(bytes.len());
                bytes.splice(at..at, copy);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn exercise(text: &str) {
    let catalog = runbook_stdlib::builtin();
    for name in ["fuzz.yaml", "fuzz.runbook"] {
        let _ = runbook_dsl::load::check(SourceFile::new(name, text), catalog);
    }
    let t = Text::verbatim(text, Span::new(0, text.len()));
    let _ = runbook_dsl::expr::parse(&t);
    let _ = runbook_dsl::template::parse(&t);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn mutated_playbooks_never_panic() {
    let mut rng = Rng(42);
    let mut sources: Vec<String> = playbooks_under(&root().join("playbooks"))
        .into_iter()
        .chain(playbooks_under(&root().join("tests/fixtures")))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    sources.truncate(60);
    assert!(!sources.is_empty());
    for source in &sources {
        for _ in 0..15 {
            exercise(&mutate(&mut rng, source));
        }
    }
}

#[test]
fn deep_nesting_never_overflows() {
    for depth in [100, 10_000] {
        exercise(&format!("a: {}{}", "[".repeat(depth), "]".repeat(depth)));
        exercise(&format!(
            "steps:\n  - id: a\n    when: {}true{}\n    log: x\n",
            "(".repeat(depth),
            ")".repeat(depth)
        ));
        exercise(&format!(
            "step a {{\n  when {}\n  log \"x\"\n}}\n",
            "!".repeat(depth)
        ));
        exercise(&"{".repeat(depth));
    }
}
