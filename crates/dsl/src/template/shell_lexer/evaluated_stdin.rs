//! Commands that run what they read on stdin as shell code otherwise than
//! as their script: `eval "$(cat)"`, `sh -c "$(cat)"`, `source <(cat)`
//! (the command of a substitution reads the stdin of the command it is
//! part of, and its output is evaluated), and `sh -c 'SCRIPT'` whose
//! SCRIPT has a reader of its own stdin (`sh -c sh`).

use super::super::argv::{script_of_shell, SHELLS};
use super::pasting::script_operand;
use super::pipeline::MAX_FOLLOWED;
use super::programs::{command_index, name, Language, Reader};
use super::script::OPAQUE;
use super::ShellLexer;

impl ShellLexer {
    /// A command that runs what it reads on stdin as shell code otherwise
    /// than as its script: `eval "$(cat)"`, `sh -c "$(cat)"`, `source
    /// <(cat)` (the command of a substitution reads the stdin of the
    /// command it is part of, and its output is evaluated), or `sh -c
    /// 'SCRIPT'` whose SCRIPT has a reader of its stdin (`sh -c sh`).
    pub(super) fn evaluates_stdin(&self, words: &[Option<&str>], texts: &[&str]) -> Option<Reader> {
        // Neither a shell nor a substitution: the common case, answered at once.
        if !self.follows_words && !self.metas.iter().any(|m| m.substitution) {
            return None;
        }
        let p = command_index(words, 0)?;
        let program = name(words[p]?);
        let shell = Some(Reader {
            word: p,
            language: Language::Shell,
        });
        let substitution = |i: usize| self.word_meta(i).substitution;
        match program {
            "eval" => {
                return (p + 1..words.len())
                    .any(substitution)
                    .then_some(shell)
                    .flatten()
            }
            "." | "source" => {
                return (p + 1 < words.len() && substitution(p + 1))
                    .then_some(shell)
                    .flatten()
            }
            _ if !SHELLS.contains(&program) => return None,
            _ => {}
        }
        if let Some((_, operand)) = script_operand(words) {
            return substitution(operand).then_some(shell).flatten();
        }
        let script = script_of_shell(words, p + 1)?;
        if substitution(script) {
            return shell;
        }
        let text = texts.get(script).filter(|t| !t.is_empty())?;
        if self.depth + 1 >= MAX_FOLLOWED {
            return None;
        }
        let mut inner = ShellLexer {
            depth: self.depth + 1,
            reads_own_stdin: true,
            ..ShellLexer::default()
        };
        for (n, piece) in text.split(OPAQUE).enumerate() {
            if n > 0 {
                inner.insertion();
            }
            inner.feed(piece);
        }
        inner.finish();
        let reads = inner.lists.first()?.reads.as_ref()?;
        Some(Reader {
            word: p,
            language: reads.language,
        })
    }
}
