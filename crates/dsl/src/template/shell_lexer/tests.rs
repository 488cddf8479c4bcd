use super::ShellContext::{self, *};
use super::ShellLexer;

/// The context of each `@` in `text` (a stand-in for an insertion).
fn contexts(text: &str) -> Vec<ShellContext> {
    let mut lexer = ShellLexer::default();
    let mut out = Vec::new();
    for (i, piece) in text.split('@').enumerate() {
        if i > 0 {
            out.push(lexer.context(Some(piece)));
            lexer.insertion();
        }
        lexer.feed(piece);
    }
    out
}

#[test]
fn words_and_quotes() {
    assert_eq!(contexts("echo @ x@y"), [Word, Word]);
    assert_eq!(contexts("echo \"a @ b\" @"), [DoubleQuoted, Word]);
    assert_eq!(contexts("echo 'a @ \"b' @"), [SingleQuoted, Word]);
    assert_eq!(
        contexts("echo \"it's @\" 'say \"@'"),
        [DoubleQuoted, SingleQuoted]
    );
    assert_eq!(contexts(r#"echo "a \" @" \' @"#), [DoubleQuoted, Word]);
    assert_eq!(contexts(r"echo \@ a\\@"), [AfterEscape, Word]);
    assert_eq!(contexts("echo $@ \"$@\""), [AfterEscape, AfterEscape]);
    assert_eq!(
        contexts("echo $'a\\' @' @ \"$'@\""),
        [AnsiCQuoted, Word, DoubleQuoted]
    );
}

#[test]
fn substitutions_nest() {
    assert_eq!(
        contexts("echo \"$(printf %s \"@\" @ ')' '@')\" @"),
        [DoubleQuoted, Word, SingleQuoted, Word]
    );
    assert_eq!(contexts("x=$(@) y"), [Word]);
    assert_eq!(
        contexts("diff <(printf %s \"@\") >(cat '@') @"),
        [DoubleQuoted, SingleQuoted, Word]
    );
    assert_eq!(contexts("echo `echo @` @"), [Backquoted, Word]);
    assert_eq!(
        contexts("echo \"`echo @`\" \"@\""),
        [Backquoted, DoubleQuoted]
    );
    assert_eq!(contexts("echo $((1 + @)) @"), [Arithmetic, Word]);
    assert_eq!(contexts("echo $(( (1 + @) * 2 )) @"), [Arithmetic, Word]);
    assert_eq!(contexts("((n = @ + 1)); echo @"), [Arithmetic, Word]);
    assert_eq!(contexts("( cd /x && ls @ ) ; @"), [Word, Word]);
    assert_eq!(
        contexts("echo ${X:-@} \"${Y}\" @"),
        [ParameterExpansion, Word]
    );
    assert_eq!(
        contexts("v=$(case $x in a) echo @;; esac) \"@\""),
        [Word, DoubleQuoted]
    );
    assert_eq!(
        contexts("v=\"$(if true; then case $x in (a) echo @;; esac; fi)\" @"),
        [Word, Word]
    );
}

#[test]
fn what_bash_evaluates_as_arithmetic() {
    assert_eq!(
        contexts("[[ @ -eq 1 ]] && [[ \"@\" == x ]]; if [[ 2 -lt \"@\" ]]; then let n=@; fi"),
        [Arithmetic, DoubleQuoted, Arithmetic, Arithmetic]
    );
    assert_eq!(contexts("[[ -n @ ]] && echo @ -eq"), [Word, Word]);
}

#[test]
fn comments_only_at_word_starts() {
    assert_eq!(contexts("echo a#@ # @\necho @"), [Word, Comment, Word]);
    assert_eq!(contexts("curl http://x/#@"), [Word]);
    assert_eq!(contexts("echo '#' @"), [Word]);
}

#[test]
fn heredocs() {
    assert_eq!(
        contexts("cat <<EOF >out\nbody @\nEOF\necho @"),
        [Heredoc { quoted: false }, Word]
    );
    assert_eq!(
        contexts("cat <<'EOF'\n@\n EOF\nEOF\n@"),
        [Heredoc { quoted: true }, Word]
    );
    assert_eq!(
        contexts("cat <<-\"END\" ; echo @\n\tx @\n\tEND\n@"),
        [Word, Heredoc { quoted: true }, Word]
    );
    assert_eq!(
        contexts("cat <<A <<\\B\na @\nA\nb @\nB\n@"),
        [Heredoc { quoted: false }, Heredoc { quoted: true }, Word]
    );
    assert_eq!(contexts("cat <<<@ <<@"), [Word, HeredocDelimiter]);
    assert_eq!(contexts("sort < @"), [Word]);
}

#[test]
fn the_remote_command_of_ssh() {
    let remote = |text: &str| {
        let mut lexer = ShellLexer::default();
        let mut out = Vec::new();
        for (i, piece) in text.split('@').enumerate() {
            if i > 0 {
                out.push(lexer.in_ssh_command());
                lexer.insertion();
            }
            lexer.feed(piece);
        }
        out
    };
    assert_eq!(remote("ssh admin.@ 'cd /x && restore' @"), [false, true]);
    assert_eq!(
        remote("ssh -p @ -i k h \"r @\"; echo @"),
        [false, true, false]
    );
    assert_eq!(remote("/usr/bin/ssh h 'r @' | grep @"), [true, false]);
    assert_eq!(remote("echo ssh h @"), [false]);
}

#[test]
fn sides_of_a_block_compare_by_nesting() {
    let mut a = ShellLexer::default();
    a.feed("echo \"x");
    let mut b = ShellLexer::default();
    b.feed("echo x");
    assert!(!a.same_nesting(&b));
    let mut c = ShellLexer::default();
    c.feed("echo --force");
    assert!(b.same_nesting(&c));
    let mut d = ShellLexer::default();
    d.feed("echo ");
    assert!(d.same_nesting(&c));
    d.merge(&c);
    d.feed("#");
    assert_eq!(d.context(None), Ambiguous);
    d.feed("\n");
    assert_eq!(d.context(None), Word);
}
