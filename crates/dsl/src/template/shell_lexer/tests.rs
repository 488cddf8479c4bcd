use super::ShellContext::{self, *};
use super::ShellLexer;

/// The context of each `@` in `text` (a stand-in for an insertion) in the
/// command itself.
fn contexts(text: &str) -> Vec<ShellContext> {
    chains(text).into_iter().map(|chain| chain[0]).collect()
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

/// For each `@`, the contexts from the command inwards through the
/// scripts other shells parse.
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

#[test]
fn the_remote_command_of_ssh() {
    assert_eq!(
        chains("ssh admin.@ 'cd /x && restore' @"),
        [vec![Word], vec![Word, Word]]
    );
    assert_eq!(
        chains("ssh -p @ -i k h \"r @\"; echo @"),
        [vec![Word], vec![DoubleQuoted, Word], vec![Word]]
    );
    assert_eq!(
        chains("/usr/bin/ssh h 'r @' | grep @"),
        [vec![SingleQuoted, Word], vec![Word]]
    );
    assert_eq!(chains("echo ssh h @"), [vec![Word]]);
}

#[test]
fn scripts_other_shells_parse() {
    // The script of `-c`, after options and wrappers, not its arguments.
    assert_eq!(chains("sh -c \"echo @\""), [vec![DoubleQuoted, Word]]);
    assert_eq!(
        chains("sudo -u app bash -euo pipefail -c 'cd /x && echo \"@\"' sh @"),
        [vec![SingleQuoted, DoubleQuoted], vec![Word]]
    );
    assert_eq!(
        chains("kubectl exec p -- sh -c \"echo '@'\""),
        [vec![DoubleQuoted, SingleQuoted]]
    );
    assert_eq!(chains("sh script.sh -c @"), [vec![Word]]);
    // `su -c`, `eval`, `sudo -s`, `watch`.
    assert_eq!(
        chains("su - postgres -c \"pg_ctl status -D @\" @"),
        [vec![DoubleQuoted, Word], vec![Word]]
    );
    assert_eq!(
        chains("eval echo @ \"@\""),
        [vec![Word, Word], vec![DoubleQuoted, Word]]
    );
    assert_eq!(chains("sudo -s echo @"), [vec![Word, Word]]);
    assert_eq!(chains("sudo echo @"), [vec![Word]]);
    assert_eq!(chains("watch -n 5 ls @"), [vec![Word, Word]]);
    // Text the first shell expands stands for itself in the script.
    assert_eq!(
        chains("sh -c \"cd $HOME && ${X:-y} $(pwd) `pwd` '@'\""),
        [vec![DoubleQuoted, SingleQuoted]]
    );
    // A substitution inside the command does not lose it.
    assert_eq!(
        chains("x=$(sh -c \"echo @\"); bash -c \"a $(b) @\""),
        [vec![DoubleQuoted, Word], vec![DoubleQuoted, Word]]
    );
    // Shells within shells, up to a bound.
    assert_eq!(
        chains("sh -c \"bash -c 'echo @'\""),
        [vec![DoubleQuoted, SingleQuoted, Word]]
    );
    let deep = chains("sh -c 'sh -c \"sh -c \\\"sh -c @\\\"\"'");
    assert_eq!(deep[0].last(), Some(&Ambiguous), "{deep:?}");
}

#[test]
fn the_sql_of_a_database_client_is_not_a_shell_context() {
    assert_eq!(
        chains("psql -d app -c \"select '@'\" -v x=@"),
        [vec![DoubleQuoted, SqlText], vec![Word]]
    );
    assert_eq!(
        chains("docker exec db psql --command=\"select @\""),
        [vec![DoubleQuoted, SqlText]]
    );
    assert_eq!(chains("mysql -e 'select @'"), [vec![SingleQuoted, SqlText]]);
    assert_eq!(
        chains("ssh h \"psql -c 'select @'\""),
        [vec![DoubleQuoted, SingleQuoted, SqlText]]
    );
    // Not SQL: a variable psql quotes itself (`:'x'`), a file name.
    assert_eq!(chains("psql -v x=@ -f check.sql"), [vec![Word]]);
}

#[test]
fn the_program_an_interpreter_is_given_is_not_a_shell_context() {
    use super::ProgramLanguage::*;
    let program = |text: &str| {
        chains(text)
            .into_iter()
            .map(|chain| match chain.last() {
                Some(ProgramText(language)) => Some(*language),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    // An option whose argument is the program, anywhere in the command.
    assert_eq!(program("python3 -c \"print('@')\" @"), [Some(Python), None]);
    assert_eq!(program("docker exec db python3 -Ic \"@\""), [Some(Python)]);
    assert_eq!(program("perl -lne 'print' -e \"@\""), [Some(Perl)]);
    assert_eq!(program("perl -ne \"print '@'\""), [Some(Perl)]);
    assert_eq!(program("ruby -e @"), [Some(Ruby)]);
    assert_eq!(program("node --eval=\"f('@')\""), [Some(Node)]);
    assert_eq!(program("pwsh -Command \"Get-Item @\""), [Some(PowerShell)]);
    assert_eq!(program("gawk -e \"{print @}\" f"), [Some(Awk)]);
    assert_eq!(program("sed -n -e \"s/@//p\""), [Some(Sed)]);
    // The first operand, where a command name stands.
    assert_eq!(
        program("awk -F, -v x=@ 'BEGIN{print \"'@'\"}' @"),
        [None, Some(Awk), None]
    );
    assert_eq!(program("sudo -u app sed -i \"s/a/@/\" f"), [Some(Sed)]);
    assert_eq!(
        program("jq -r --arg n @ --argjson m 1 \".[@]\" @"),
        [None, Some(Jq), None]
    );
    assert_eq!(program("yq eval \".a = @\" f"), [Some(Yq)]);
    assert_eq!(program("sh -c \"awk '{print @}'\""), [Some(Awk)]);
    // Data: a script's arguments, a program from a file, a package name.
    assert_eq!(program("python3 script.py -c @"), [None]);
    assert_eq!(program("python3 -c 'print(1)' @"), [None]);
    assert_eq!(program("awk -f prog.awk @"), [None]);
    assert_eq!(program("sed -e p @"), [None]);
    assert_eq!(program("jq -f filter.jq @"), [None]);
    assert_eq!(program("apt-get install -y jq @"), [None]);
    assert_eq!(program("grep awk @"), [None]);
}

#[test]
fn decoded_words_keep_what_the_shell_hands_on() {
    use super::script::decode_word;
    assert_eq!(decode_word("'a b'\"c\\\"d\"e\\ f g"), "a bc\"de f");
    assert_eq!(decode_word("\"$HOME/${X}$1\""), "\u{0}/\u{0}\u{0}");
    assert_eq!(decode_word("a$((1 + (2)))b"), "a\u{0}b");
    assert_eq!(decode_word("\"x\\n\""), "x\\n");
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

/// Commands made of shell metacharacters and the programs that start
/// other shells, with insertions anywhere: the lexer never panics, every
/// chain starts with the command's own context and stays bounded.
#[test]
fn arbitrary_commands_never_panic() {
    const PIECES: &[&str] = &[
        "sh -c ",
        "bash -lc ",
        "ssh -p 22 h ",
        "su - u -c ",
        "eval ",
        "sudo -s ",
        "watch -n1 ",
        "psql -c ",
        "env A=1 ",
        "timeout 5 ",
        "kubectl exec p -- ",
        "'",
        "\"",
        "\\",
        "$",
        "$(",
        "$((",
        "${",
        "`",
        ")",
        "}",
        "(",
        " ",
        "\n",
        ";",
        "|",
        "&&",
        "#",
        "<<EOF\n",
        "EOF\n",
        "<<",
        "x",
        "=",
        "-c",
        "--command=",
        "[[ ",
        " -eq ",
        "let ",
        "case x in a) ",
        "esac",
        // Pipelines, here-strings, compound commands, what bash evaluates.
        " | sh",
        " |& bash -s",
        " || ",
        " | xargs -I{} sh -c 'x {}'",
        "find . -exec sh -c '{}' \\; ",
        " <<< ",
        " 2>&1 ",
        ">(",
        "{ ",
        " }",
        "if ",
        " fi",
        "while ",
        " done",
        "ssh h <<'EOF'\n",
        "python3 ",
        "declare -i n=",
        "a[",
        "]",
        "$[",
        "for ((",
        "unset ",
        "@",
        "@",
        "@",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let len = (next() % 24) as usize;
        let text: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        // The whole text: every insertion found to reach an interpreter
        // is one of the text's.
        let insertions = text.matches('@').count();
        let mut lexer = ShellLexer::default();
        for (i, piece) in text.split('@').enumerate() {
            if i > 0 {
                lexer.insertion_keyed(i);
            }
            lexer.feed(piece);
        }
        lexer.finish();
        for piped in lexer.piped() {
            assert!((1..=insertions).contains(&piped.key), "{text:?}: {piped:?}");
        }
        for chain in chains(&text) {
            assert!(!chain.is_empty() && chain.len() <= 6, "{text:?}: {chain:?}");
            for value in ["", "a b", "$(touch p)", "'\"`\\\n"] {
                let _ = super::super::quote::quote_nested(
                    &chain,
                    super::super::quote::Parses::Once,
                    value,
                    false,
                );
            }
        }
    }
}
