//! Fenced code blocks of the Markdown files in docs/, read as CommonMark
//! reads them, for the tests that the docs render (`docs_fences`) and that
//! their example commands run (`docs_commands`).

use std::path::PathBuf;

/// One fenced code block.
#[derive(Debug)]
pub struct Block {
    /// The info string's first word (`sh`, `console`, `yaml`), or empty.
    pub lang: String,
    /// Line number (1-based) of the opening fence.
    pub line: usize,
    /// The lines between the fences, each with its 1-based line number.
    pub lines: Vec<(usize, String)>,
}

/// Why a file's fences do not pair up.
#[derive(Debug)]
pub struct Unbalanced {
    pub line: usize,
    pub message: String,
}

/// A fence line: its character, length and info string.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|x| *x == c).count();
    (len >= 3).then(|| (c, len, rest[len..].trim()))
}

/// The fenced blocks of a Markdown text. A block still open at the end of
/// the file is an error, and so is a fence line with an info string inside
/// a block opened by a fence of the same length (CommonMark reads it as
/// code, but it is almost always the opening of the next block after a
/// missing close: a block that shows fences uses a longer fence).
pub fn blocks(text: &str) -> Result<Vec<Block>, Unbalanced> {
    let mut found = Vec::new();
    let mut open: Option<(char, usize, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        match (&mut open, fence(line)) {
            (None, Some((c, len, info))) => {
                let lang = info.split_whitespace().next().unwrap_or("").to_string();
                open = Some((
                    c,
                    len,
                    Block {
                        lang,
                        line: number,
                        lines: Vec::new(),
                    },
                ));
            }
            (None, None) => {}
            (Some((c, len, block)), Some((c2, len2, info))) if *c == c2 && len2 >= *len => {
                if info.is_empty() {
                    let (_, _, block) = open.take().expect("a block is open");
                    found.push(block);
                } else if len2 == *len {
                    return Err(Unbalanced {
                        line: number,
                        message: format!(
                            "a fence with `{info}` inside the block opened at line {}: \
                             that block is not closed",
                            block.line
                        ),
                    });
                } else {
                    block.lines.push((number, line.to_string()));
                }
            }
            (Some((_, _, block)), _) => block.lines.push((number, line.to_string())),
        }
    }
    match open {
        Some((_, _, block)) => Err(Unbalanced {
            line: block.line,
            message: format!(
                "the code block opened at line {} is never closed",
                block.line
            ),
        }),
        None => Ok(found),
    }
}

/// Every Markdown file of docs/ (recursively) and the README, sorted.
pub fn documents() -> Vec<PathBuf> {
    let root = crate::support::root();
    let mut found = vec![root.join("README.md")];
    found.extend(crate::support::files_under(&root.join("docs"), |path| {
        path.extension().is_some_and(|e| e == "md")
    }));
    found.sort();
    found
}

#[test]
fn fences_pair_up_and_a_missing_close_is_found() {
    let good = "a\n```sh\nrunbook check x\n```\n````markdown\n```yaml\nx: 1\n```\n````\n";
    let found = blocks(good).expect("balanced");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].lang, "sh");
    assert_eq!(found[0].lines, vec![(3, "runbook check x".to_string())]);
    assert_eq!(found[1].lines.len(), 3);
    let unclosed = "```console\n$ runbook diff a b\n\n## next\n\n```console\n$ runbook schema\n";
    let err = blocks(unclosed).expect_err("unbalanced");
    assert_eq!(err.line, 6);
    let err = blocks("```\nx\n").expect_err("never closed");
    assert_eq!(err.line, 1);
}
