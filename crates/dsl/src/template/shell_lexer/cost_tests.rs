//! What the lexer's cheaper bookkeeping must not change: the program found
//! after assignments counted once per command, words' texts kept in
//! reused strings, and word positions worked out only at a word's ends.

use super::ShellContext::{self, *};
use super::{Route, ShellLexer};
use crate::node::TextMap;
use crate::source::Span;

/// The context of the `@` in `text`, in the command itself.
fn context(text: &str) -> ShellContext {
    let (before, after) = text.split_once('@').unwrap_or_default();
    let mut lexer = ShellLexer::default();
    lexer.feed(before);
    lexer.context(Some(after))
}

/// The contexts, outermost first, of each `@` in `text`.
fn chains(text: &str) -> Vec<Vec<ShellContext>> {
    let mut lexer = ShellLexer::default();
    let mut out = Vec::new();
    for (i, piece) in text.split('@').enumerate() {
        if i > 0 {
            out.push(lexer.contexts(Some(piece)));
            lexer.insertion();
        }
        lexer.feed(piece);
    }
    out
}

/// The insertions of `text` (each `@`, numbered from 1) that reach an
/// interpreter, with the interpreter's name.
fn piped(text: &str) -> Vec<(usize, String)> {
    let mut lexer = ShellLexer::default();
    for (i, piece) in text.split('@').enumerate() {
        if i > 0 {
            lexer.insertion_keyed(i);
        }
        lexer.feed(piece);
    }
    lexer.finish();
    let mut out: Vec<(usize, String)> = lexer
        .piped()
        .iter()
        .map(|p| (p.key, p.interpreter.name.clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_program_comes_after_the_assignments_written_before_it() {
    for text in [
        "LC_ALL=C read @",
        "LC_ALL=C IFS= read -r @",
        "A=\"$x\" B=1 unset @",
        "X=1 Y=$(A=1 echo b) read @",
        "echo x; LC_ALL=C read @",
        "read x; A=1 unset @",
        "X=$(read y) unset @",
    ] {
        assert_eq!(context(text), VariableName, "{text:?}");
    }
    // Not a program: still assignments, whose subscript is arithmetic.
    assert_eq!(context("A=1 B=2 a[@]=1"), Arithmetic);
    assert_eq!(context("A=1 echo x; a[@]=1"), Arithmetic);
    // Once a program is named, a later `NAME=` is its argument.
    assert!(matches!(context("env A=1 read @"), Word));
    assert!(matches!(context("echo A=1 a[@]=1"), Word));
    assert!(matches!(context("read -r x A=1; echo @"), Word));
    // Inside `$(...)` the command is its own; the outer one goes on after.
    assert_eq!(context("X=1 echo $(Y=1 unset @)"), VariableName);
    assert!(matches!(context("A=1 echo \"$(B=2 true)\" @"), Word));
    assert_eq!(context("A=$(echo x) B=$(true) read @"), VariableName);
    // `declare -i` after an assignment makes an integer variable.
    assert_eq!(context("X=1 declare -i n; n=@"), Arithmetic);
    assert_eq!(context("LC_ALL=C typeset -i n=5 m; m=@"), Arithmetic);
}

#[test]
fn a_shell_after_assignments_or_env_is_followed() {
    assert_eq!(chains("LC_ALL=C sh -c '@'"), [vec![SingleQuoted, Word]]);
    assert_eq!(
        chains("env X=1 sh -c \"echo @\""),
        [vec![DoubleQuoted, Word]]
    );
    assert_eq!(
        chains("A=1 B=\"$y\" bash -c 'echo @'"),
        [vec![SingleQuoted, Word]]
    );
    assert_eq!(piped("echo @ | LC_ALL=C sh"), [(1, "sh".to_string())]);
    assert_eq!(piped("echo @ | env X=1 sh"), [(1, "sh".to_string())]);
    assert_eq!(piped("X=1 echo @ | cat"), Vec::<(usize, String)>::new());
}

#[test]
fn words_after_a_here_document_are_a_new_command() {
    assert_eq!(context("cat <<EOF\nA=1 x\nEOF\nread @"), VariableName);
    assert_eq!(context("cat <<EOF\nbody\nEOF\nX=1 unset @"), VariableName);
    assert!(matches!(context("read <<EOF\nbody\nEOF\necho @"), Word));
    assert_eq!(
        piped("cat <<EOF\nbody\nEOF\necho @ | LC_ALL=C sh"),
        [(1, "sh".to_string())]
    );
    assert_eq!(
        chains("cat <<'EOF'\nsh -c x\nEOF\nsh -c 'echo @'"),
        [vec![SingleQuoted, Word]]
    );
}

/// Words' texts reuse the strings of an earlier command's words: none
/// keeps a character of the word whose string it reuses.
#[test]
fn a_word_keeps_no_text_of_an_earlier_command() {
    assert_eq!(
        chains("sudoers longer words; sh -c '@'"),
        [vec![SingleQuoted, Word]]
    );
    assert_eq!(chains("shx -c y; ls -c '@'"), [vec![SingleQuoted]]);
    assert_eq!(piped("shells x\necho @ | sh"), [(1, "sh".to_string())]);
    assert_eq!(
        piped("echo a | sh\necho @ | s"),
        Vec::<(usize, String)>::new()
    );
    assert_eq!(context("readonly x; read @"), VariableName);
    assert!(matches!(context("read x; rea @"), Word));
}

/// Feeds `text` (each `@` an insertion) as a template written at `at` in
/// the file: each piece verbatim, or with a map of runs when `runs`.
fn mapped(text: &str, at: usize, runs: bool) -> ShellLexer {
    let mut lexer = ShellLexer::default();
    let mut offset = at;
    for (i, piece) in text.split('@').enumerate() {
        if i > 0 {
            lexer.insertion_keyed(i);
            offset += 1;
        }
        let span = Span::new(offset, offset + piece.len());
        let map = if runs {
            TextMap::Runs(vec![(0, offset)])
        } else {
            TextMap::Verbatim(offset)
        };
        lexer.feed_mapped(piece, span, &map);
        offset += piece.len();
    }
    lexer.finish();
    lexer
}

/// Where the interpreter each insertion reaches is written, as text.
fn interpreter_at(text: &str, runs: bool) -> Vec<(Route, String)> {
    let at = 100;
    let lexer = mapped(text, at, runs);
    lexer
        .piped()
        .iter()
        .map(|p| {
            let span = p.interpreter.span;
            (p.route, text[span.start - at..span.end - at].to_string())
        })
        .collect()
}

#[test]
fn an_interpreter_is_pointed_at_where_it_is_written() {
    for runs in [false, true] {
        assert_eq!(
            interpreter_at("echo @ | sh", runs),
            [(Route::Pipe, "sh".to_string())]
        );
        assert_eq!(
            interpreter_at("echo @ | /bin/bash -s", runs),
            [(Route::Pipe, "/bin/bash".to_string())]
        );
        assert_eq!(
            interpreter_at("echo x@y | \"$SHELL\" ", runs),
            [(Route::Pipe, "\"$SHELL\"".to_string())]
        );
        assert_eq!(
            interpreter_at("sh <<< @", runs),
            [(Route::HereString, "sh".to_string())]
        );
        assert_eq!(
            interpreter_at("printf %s @ | LC_ALL=C python3", runs),
            [(Route::Pipe, "python3".to_string())]
        );
        // A word that a substitution interrupts still ends where it ends.
        assert_eq!(
            interpreter_at("echo @ | s$(true)h", runs),
            Vec::<(Route, String)>::new()
        );
    }
}
