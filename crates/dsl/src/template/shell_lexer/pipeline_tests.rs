//! Which insertions reach a program that runs what it reads as code.

use super::ShellContext::{self, *};
use super::{Route, ShellLexer};

/// For the whole `text` (each `@` an insertion, numbered from 1), the
/// insertions found to reach an interpreter: (number, interpreter, route).
fn piped(text: &str) -> Vec<(usize, String, Route)> {
    let mut lexer = ShellLexer::default();
    for (i, piece) in text.split('@').enumerate() {
        if i > 0 {
            lexer.insertion_keyed(i);
        }
        lexer.feed(piece);
    }
    lexer.finish();
    let mut out: Vec<(usize, String, Route)> = lexer
        .piped()
        .iter()
        .map(|p| (p.key, p.interpreter.name.clone(), p.route))
        .collect();
    out.sort_by_key(|p| p.0);
    out.dedup_by_key(|p| p.0);
    out
}

/// The numbers of the insertions found to reach an interpreter.
fn refused(text: &str) -> Vec<usize> {
    piped(text).into_iter().map(|p| p.0).collect()
}

#[test]
fn a_later_stage_that_runs_its_stdin() {
    assert_eq!(
        piped("echo \"echo @\" | sh"),
        [(1, "sh".to_string(), Route::Pipe)]
    );
    assert_eq!(refused("printf '%s\\n' @ | bash -s"), [1]);
    assert_eq!(refused("echo @ |& dash -e"), [1]);
    assert_eq!(refused("echo @ | tr a b | /bin/sh"), [1]);
    assert_eq!(refused("echo @ |\n  zsh"), [1]);
    assert_eq!(refused("echo @ 2>&1 | ksh"), [1]);
    assert_eq!(refused("echo @ | busybox sh"), [1]);
    assert_eq!(refused("echo @ | sh /dev/stdin"), [1]);
    assert_eq!(refused("echo @ | sh -"), [1]);
    // Wrappers around one.
    assert_eq!(refused("echo @ | sudo -u app sh"), [1]);
    assert_eq!(refused("echo @ | sudo -s"), [1]);
    assert_eq!(refused("echo @ | env A=1 timeout 5 nice -n 3 bash"), [1]);
    assert_eq!(refused("echo @ | nohup doas sh"), [1]);
    assert_eq!(refused("echo @ | su - postgres"), [1]);
    assert_eq!(refused("echo @ | su -c 'bash -s' app"), [1]);
    // ssh with no remote command, or with a shell reading stdin.
    assert_eq!(refused("echo @ | ssh -p 22 root@h"), [1]);
    assert_eq!(refused("echo @ | ssh h bash -s"), [1]);
    assert_eq!(refused("echo @ | ssh h 'sudo sh'"), [1]);
    assert_eq!(refused("cat f @ | kubectl exec -i pod -- sh"), [1]);
    assert_eq!(refused("cat f @ | docker exec -i -u root c bash"), [1]);
    // Other languages.
    for reader in [
        "python3",
        "python -",
        "perl",
        "ruby -",
        "node",
        "php",
        "lua -",
        "psql -d app",
        "psql -f -",
        "mysql app",
        "sqlite3 app.db",
        "redis-cli -h r",
        "redis-cli --pipe",
        "clickhouse-client",
        "at now",
        "batch",
        "crontab -",
        "crontab -u app",
        "xargs sh",
        "xargs -I{} sh -c 'echo {}'",
        "xargs -I % bash -c \"echo %\"",
        "xargs -i ssh h 'echo {}'",
        "tee >(sh)",
        "{ read a; sh; }",
        "if true; then bash; fi",
        "while read l; do sh; done",
        "(cd /; sh)",
        "source /dev/stdin",
    ] {
        assert_eq!(refused(&format!("echo @ | {reader}")), [1], "{reader}");
    }
}

#[test]
fn neighbours_that_treat_their_stdin_as_data() {
    for reader in [
        "grep foo",
        "sha256sum",
        "sh -c 'cat'",
        "bash script.sh",
        "sh -c 'read l; printf %s \"$l\"'",
        "python3 -c 'import sys; print(sys.stdin.read())'",
        "python3 tool.py",
        "perl -ne print",
        "node -e 'process.stdin.pipe(process.stdout)'",
        "psql -c 'select 1'",
        "psql -f check.sql",
        "mysql -e 'select 1'",
        "sqlite3 app.db 'select 1'",
        "redis-cli -x set k",
        "ssh h cat",
        "ssh h 'cat > f'",
        "xargs kill",
        "xargs -I{} echo {}",
        "xargs sh -c 'echo \"$@\"' sh",
        "xargs -I{} sh -c 'echo \"$1\"' sh {}",
        "tee out.log",
        "crontab -l",
        "at -l",
        "sudo tee /etc/x",
        "env sort",
        "kubectl exec -i pod -- cat",
    ] {
        assert_eq!(
            refused(&format!("echo @ | {reader}")),
            Vec::<usize>::new(),
            "{reader}"
        );
    }
    // Not the same pipeline (a file run later is another file).
    assert_eq!(refused("echo @ > f; sh g"), Vec::<usize>::new());
    assert_eq!(refused("echo @ || sh"), Vec::<usize>::new());
    assert_eq!(refused("echo @ && sh -c 'x'"), Vec::<usize>::new());
    assert_eq!(refused("echo @ &\nsh script"), Vec::<usize>::new());
    // A later stage's own arguments are data; a stage after the reader too.
    assert_eq!(refused("echo a | sh -s @ | grep @"), Vec::<usize>::new());
    assert_eq!(refused("echo a | sh -s -- @"), Vec::<usize>::new());
    assert_eq!(refused("echo x >| f @ | grep y"), Vec::<usize>::new());
}

#[test]
fn here_strings_and_here_documents() {
    assert_eq!(
        piped("sh <<< @"),
        [(1, "sh".to_string(), Route::HereString)]
    );
    assert_eq!(refused("bash <<< \"echo @\""), [1]);
    assert_eq!(refused("bash <<< \"$(printf %s @)\""), [1]);
    assert_eq!(refused("cat <<< @ | sh"), [1]);
    assert_eq!(refused("python3 <<< @"), [1]);
    // A here-string of a program that reads data.
    assert_eq!(refused("grep x <<< @"), Vec::<usize>::new());
    assert_eq!(refused("sh -c 'cat' <<< @"), Vec::<usize>::new());
    assert_eq!(refused("read -r v <<< @"), Vec::<usize>::new());
    // A here-document's body: the lexer says which interpreter it feeds.
    for (text, reader) in [
        ("sh <<EOF\n@\nEOF\n", Some("sh")),
        ("ssh h <<'EOF'\n@\nEOF\n", Some("ssh")),
        ("cat <<EOF | bash\n@\nEOF\n", Some("bash")),
        ("psql <<-SQL\n\t@\n\tSQL\n", Some("psql")),
        ("cat <<EOF > f\n@\nEOF\n", None),
        ("sh -c 'cat' <<EOF\n@\nEOF\n", None),
    ] {
        let (before, _) = text.split_once('@').unwrap_or_default();
        let mut lexer = ShellLexer::default();
        lexer.feed(before);
        assert!(matches!(lexer.context(None), Heredoc { .. }), "{text:?}");
        assert_eq!(
            lexer.heredoc_reader().map(|r| r.name.as_str()),
            reader,
            "{text:?}"
        );
    }
}

#[test]
fn values_pasted_into_scripts() {
    // A command substitution's output inside a script another shell parses.
    assert_eq!(
        piped("sh -c \"echo $(printf %s @)\""),
        [(1, "sh".to_string(), Route::Substitution)]
    );
    assert_eq!(refused("ssh h echo \"$(cat @)\""), [1]);
    assert_eq!(refused("echo \"$(printf %s @)\""), Vec::<usize>::new());
    // A process substitution that is the script of a shell or `source`.
    assert_eq!(
        piped("bash <(printf %s @)"),
        [(1, "bash".to_string(), Route::Substitution)]
    );
    assert_eq!(refused("source <(echo @)"), [1]);
    assert_eq!(refused(". <(echo @) && echo @"), [1]);
    assert_eq!(refused("bash -c 'cat' <(echo @)"), Vec::<usize>::new());
    assert_eq!(refused("diff <(echo @) f"), Vec::<usize>::new());
    // A pipeline inside the script.
    assert_eq!(refused("ssh h \"echo @ | sh\""), [1]);
    assert_eq!(refused("sh -c 'printf %s @ | bash'"), [1]);
    assert_eq!(refused("sh -c 'printf %s @ | grep x'"), Vec::<usize>::new());
    // `find` pasting names into a script.
    assert_eq!(
        piped("find @ -name '*.log' -exec sh -c 'gzip {}' \\;"),
        [(1, "sh".to_string(), Route::FoundNames)]
    );
    assert_eq!(
        refused("find . -name @ -execdir bash -c \"rm {}\" \\;"),
        [1]
    );
    assert_eq!(
        refused("find @ -exec sh -c 'gzip \"$1\"' sh {} \\;"),
        Vec::<usize>::new()
    );
    assert_eq!(refused("find @ -exec gzip {} +"), Vec::<usize>::new());
}

/// The context of the `@` in `text`, in the command itself.
fn context(text: &str) -> ShellContext {
    let (before, after) = text.split_once('@').unwrap_or_default();
    let mut lexer = ShellLexer::default();
    lexer.feed(before);
    lexer.context(Some(after))
}

#[test]
fn where_bash_evaluates_arithmetic_or_names() {
    for text in [
        "declare -i n=@",
        "typeset -i n=\"@\"",
        "local -ri n=@",
        "declare -i n; n=@",
        "declare -i n\nn+=@",
        "a[@]=1",
        "X=1 a[\"@\"]=1 cmd",
        "for (( i = @; i < 3; i++ )); do :; done",
        "echo $[ @ + 1 ]",
        "let n=@",
        "(( n = @ ))",
        "echo $(( @ ))",
        "[[ @ -eq 1 ]]",
    ] {
        assert_eq!(context(text), Arithmetic, "{text:?}");
    }
    for text in [
        "declare @=1",
        "declare -n ref=@",
        "unset @",
        "read -r @",
        "printf -v @ %s x",
        "[[ -v @ ]]",
        "mapfile -t @",
    ] {
        assert_eq!(context(text), VariableName, "{text:?}");
    }
    assert_eq!(context("declare -a arr=@"), ArrayAssignment);
    assert_eq!(context("local -A m=\"@\""), ArrayAssignment);
    // Plain assignments and arguments stay words.
    for text in [
        "declare n=@",
        "local x=\"@\"",
        "export PATH=@",
        "n=@",
        "echo a[@]",
        "read -p @ v",
        "printf %s @",
        "[[ @ == x ]]",
        "declare -i n; echo n=@",
    ] {
        assert!(
            matches!(context(text), Word | DoubleQuoted),
            "{text:?}: {:?}",
            context(text)
        );
    }
}

#[test]
fn a_here_string_or_assignment_is_not_a_name() {
    assert!(matches!(context("IFS= read -r -d '' v <<< @"), Word));
    assert_eq!(context("IFS= read -r @"), VariableName);
    assert_eq!(context("X=1 declare -i n=@"), Arithmetic);
}

/// The sides of an `{{#if}}` that differ in whether a reader follows:
/// what either side would pipe into one is refused.
#[test]
fn a_reader_on_one_side_of_a_block() {
    for (before, side) in [
        ("echo @ ", "| sh"),
        ("echo @ ", "| sh "),
        ("echo @ | ", "sh"),
    ] {
        let (head, tail) = before.split_once('@').unwrap_or_default();
        let mut base = ShellLexer::default();
        base.feed(head);
        base.insertion_keyed(1);
        base.feed(tail);
        let mut then = base.clone();
        then.feed(side);
        let otherwise = base.clone();
        assert!(then.same_nesting(&otherwise), "{before:?} {side:?}");
        then.merge(&otherwise);
        then.finish();
        assert_eq!(then.piped().len(), 1, "{before:?} {side:?}");
    }
}

#[test]
fn a_shell_named_by_a_variable_or_behind_a_wrapper() {
    for reader in [
        "$SHELL",
        "\"$SHELL\"",
        "${SHELL:-sh}",
        "${SHELL}",
        "$BASH",
        "\"$0\"",
        "$ZSH_NAME",
        "sudo $SHELL",
        "env -i \"$SHELL\"",
        "nice -n 1 $SHELL -s",
        "env sh",
        "command sh",
        "exec sh",
        "nice sh",
        "timeout 5 sh",
        "timeout -s KILL 5 sh",
        "sudo sh",
        "sudo -u x bash",
        "A=1 sh",
        "LC_ALL=C A_B=2 $SHELL",
        "A=\"$x\" B=@ sh",
    ] {
        assert_eq!(refused(&format!("echo @ | {reader}")), [1], "{reader}");
    }
    // Not a shell: another variable, a replaced or measured value, `command -v`.
    for reader in ["$PAGER", "${SHELL:+cat}", "${#SHELL}", "command -v sh"] {
        assert_eq!(
            refused(&format!("echo @ | {reader}")),
            Vec::<usize>::new(),
            "{reader}"
        );
    }
    // `$SHELL -c` is a script another shell parses, as `sh -c` is.
    assert_eq!(context("$SHELL -c \"echo @"), DoubleQuoted);
}

#[test]
fn a_stage_that_evaluates_its_stdin() {
    for reader in [
        "eval \"$(cat)\"",
        "eval \"$(cat -)\"",
        "eval `cat`",
        ". /dev/stdin",
        "source /dev/stdin",
        "sh /dev/stdin",
        "bash -s",
        "sh -s --",
        "source <(cat)",
        "sh -c \"$(cat)\"",
        "sh -c sh",
        "sh -c 'eval \"$(cat)\"'",
        "bash -c '. /dev/stdin'",
        "sh -c 'cat; sh'",
        // Conservative: whatever the substitution runs.
        "eval \"$(ssh-agent -s)\"",
    ] {
        assert_eq!(refused(&format!("echo @ | {reader}")), [1], "{reader}");
    }
    for reader in ["eval \"$X\"", "sh -c 'cat'", "sh -c 'read l; echo \"$l\"'"] {
        assert_eq!(
            refused(&format!("echo @ | {reader}")),
            Vec::<usize>::new(),
            "{reader}"
        );
    }
}

#[test]
fn a_file_written_with_a_value_and_run_by_the_same_command() {
    for text in [
        "echo @ > f.sh; sh f.sh",
        "printf '%s' @ > /tmp/a; . /tmp/a",
        "printf '%s' @ >> ./job; bash job",
        "cat > s <<EOF\n@\nEOF\nbash s\n",
        "cat <<EOF > s\n@\nEOF\nsource ./s\n",
        "echo @ | tee f | cat; source f",
        "echo @ | tee -a f > /dev/null\nsudo sh f",
        "echo @ > f; chmod +x f; ./f",
        "{ echo @; } > f; sh < f",
        "echo @ > f 2>&1; sh ./f",
        "echo @ > \"f\"; sh f",
        "echo @ > job.py; python3 job.py",
    ] {
        assert_eq!(refused(text), [1], "{text:?}");
    }
    assert_eq!(
        piped("echo @ > f.sh; sh f.sh"),
        [(1, "sh".to_string(), Route::File)]
    );
    for text in [
        // Another file, run before the write, a path not written literally.
        "echo @ > f; sh g",
        "sh f; echo @ > f",
        "echo @ > \"$F\"; sh \"$F\"",
        // Written elsewhere than the file run, or read as data.
        "echo @ 2>&1 >/dev/null; sh f",
        "echo @ > f; cat f; grep x f",
        "echo @ | tee f; sh -s f < script",
    ] {
        assert_eq!(refused(text), Vec::<usize>::new(), "{text:?}");
    }
}

#[test]
fn a_reader_whose_stdin_is_replaced_reads_no_pipe() {
    for reader in [
        "sh < file",
        "< file sh",
        "sh <<< 'echo hi'",
        "sh <<'EOF'\necho hi\nEOF\n",
        "{ sh; } < file",
        "sh -c 'cat'",
        "{ grep x < file | sh; }",
    ] {
        assert_eq!(
            refused(&format!("echo @ | {reader}")),
            Vec::<usize>::new(),
            "{reader}"
        );
    }
    for reader in [
        "sh < /dev/stdin",
        "sh < /dev/fd/0",
        "sh 0<&0",
        "sh <&3",
        "sh 3< file",
        "sh < \"$F\"",
        "sh < file <&0",
        "{ sh < file; sh; }",
        // A reader later in a pipeline of a list reading the stage's stdin.
        "{ grep x | sh; }",
        "( tr a b | sh )",
    ] {
        assert_eq!(refused(&format!("echo @ | {reader}")), [1], "{reader}");
    }
    // The here-string or here-document itself still reaches the reader.
    assert_eq!(refused("echo a | sh <<< @"), [1]);
}
