//! Word diffs of text fields (a shell command, a question), so a reviewer
//! sees the one flag that changed rather than two whole lines.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// Whether a run of words is in both texts, only the old or only the new.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WordTag {
    Same,
    Removed,
    Added,
}

/// A run of consecutive words (with their whitespace) of one tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WordChunk {
    pub tag: WordTag,
    pub text: String,
}

/// The word diff of two texts, with runs of one tag merged.
pub fn word_diff(old: &str, new: &str) -> Vec<WordChunk> {
    let diff = TextDiff::from_words(old, new);
    let mut out: Vec<WordChunk> = Vec::new();
    for change in diff.iter_all_changes() {
        let tag = match change.tag() {
            ChangeTag::Equal => WordTag::Same,
            ChangeTag::Delete => WordTag::Removed,
            ChangeTag::Insert => WordTag::Added,
        };
        match out.last_mut() {
            Some(last) if last.tag == tag => last.text.push_str(change.value()),
            _ => out.push(WordChunk {
                tag,
                text: change.value().to_string(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_changed_word_only() {
        let chunks = word_diff(
            "kubectl rollout restart deploy/api -n prod",
            "kubectl rollout restart deploy/web -n prod",
        );
        let removed: Vec<&str> = chunks
            .iter()
            .filter(|c| c.tag == WordTag::Removed)
            .map(|c| c.text.as_str())
            .collect();
        let added: Vec<&str> = chunks
            .iter()
            .filter(|c| c.tag == WordTag::Added)
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(removed, ["deploy/api"]);
        assert_eq!(added, ["deploy/web"]);
    }
}
