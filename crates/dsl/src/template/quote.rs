//! POSIX shell quoting of inserted values, so a value can never become
//! shell syntax (the `${{ }}` script-injection lesson of GitHub Actions):
//! one quoted word, written so that it means the same in the lexical
//! context ([`ShellContext`]) it is inserted in, or a refusal.

use super::shell_lexer::ShellContext;

/// The value as one shell word: bare when it contains only characters no
/// POSIX shell treats specially (`alphaswarm`, `v1.2.3`, `a/b`), otherwise
/// single-quoted with `'` written as `'\''`. The empty string is `''`.
pub fn shell_quote(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    // A leading `=` is expanded by zsh (`=ls`), a leading `-`... is just an
    // option, which quoting would not prevent anyway.
    if !value.is_empty() && value.chars().all(safe) && !value.starts_with('=') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// How many times a shell parses an inserted value before the program
/// that uses it sees it: once for a plain insertion, twice for
/// `{{quote path}}` (the local shell, then the one `ssh` or `sh -c` starts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parses {
    Once,
    Twice,
}

/// Why an insertion cannot be made safe where it is, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsafe {
    pub message: String,
    pub help: String,
}

/// How to hand a value to the shell without it ever being parsed.
const ENV_HINT: &str =
    "pass the value through the step's `env:` (`env: {VALUE: \"{{inputs.x}}\"}`)";

/// The text that makes `value` arrive intact, as data, where `context` says
/// it is inserted into a shell command, or why no such text exists there.
/// `integer` says whether the value is an integer (the only values an
/// arithmetic expression accepts). Every accepted insertion leaves the
/// shell in the context it found it in, so the lexer can go on.
pub fn quote_in(
    context: ShellContext,
    parses: Parses,
    value: &str,
    integer: bool,
) -> Result<String, Unsafe> {
    let word = || match parses {
        Parses::Once => shell_quote(value),
        Parses::Twice => shell_quote(&shell_quote(value)),
    };
    match context {
        ShellContext::Word => Ok(word()),
        ShellContext::DoubleQuoted => {
            // Close the double quotes, write one quoted word, reopen them:
            // `"a $b"` + value -> `"a $b"'value'""`.
            let word = word();
            if word == value {
                Ok(word)
            } else {
                Ok(format!("\"{word}\""))
            }
        }
        ShellContext::SingleQuoted => match parses {
            // `'cd /x && restore '{{quote f}}`: the text inside the single
            // quotes is a script another shell parses, which sees the value
            // quoted once.
            Parses::Twice => Ok(format!("'{}'", word())),
            Parses::Once => Err(Unsafe {
                message: "a value inserted inside `'...'`".into(),
                help: "remove the quotes around it: the value is quoted for you (also for the shell `sh -c`, `ssh`, `su -c` or `eval` starts, which runbook follows); if the quoted text is a script that some other program hands to a shell, insert it with `{{quote path}}`, which quotes it for that shell too".into(),
            }),
        },
        ShellContext::AnsiCQuoted => Err(Unsafe {
            message: "a value inserted inside `$'...'`".into(),
            help: "in `$'...'` a backslash escapes the closing quote: write the value outside it, where it is quoted for you".into(),
        }),
        ShellContext::Arithmetic if parses == Parses::Once && integer => Ok(value.to_string()),
        ShellContext::Arithmetic => Err(Unsafe {
            message: "a value that is not an integer inserted into an arithmetic expression".into(),
            help: "the shell evaluates arithmetic text as code, quoted or not (`a[$(cmd)]` runs `cmd`): only an `int` or a `duration` (whole seconds) can be inserted there, as `{{path}}`".into(),
        }),
        ShellContext::Heredoc { .. } => Err(Unsafe {
            message: "a value inserted into a here-document".into(),
            help: format!("a line of the value can end the here-document and run what follows it: {ENV_HINT} and write `$VALUE` in an unquoted here-document (`<<EOF`)"),
        }),
        ShellContext::Backquoted => Err(Unsafe {
            message: "a value inserted inside backquotes".into(),
            help: "write the command substitution as `$(...)`: values inside it are quoted for the inner command".into(),
        }),
        ShellContext::ParameterExpansion => Err(Unsafe {
            message: "a value inserted inside `${...}`".into(),
            help: format!("the text of a parameter expansion is expanded again: {ENV_HINT} and write `${{X:-\"$VALUE\"}}`"),
        }),
        ShellContext::Comment => Err(Unsafe {
            message: "a value inserted into a shell comment".into(),
            help: "a newline in the value would end the comment and run the rest: move the insertion out of the comment, or remove it".into(),
        }),
        ShellContext::AfterEscape => Err(Unsafe {
            message: "a value inserted right after `\\` or `$`".into(),
            help: "the character before it would change how the value's quotes are read: put a space or other text between them, or insert the value on its own".into(),
        }),
        ShellContext::HeredocDelimiter => Err(Unsafe {
            message: "a value inserted as a here-document's delimiter".into(),
            help: "write the delimiter literally (`<<'EOF'`)".into(),
        }),
        ShellContext::SqlText => Err(Unsafe {
            message: "a value inserted into the SQL of a database client's command".into(),
            help: "shell quoting keeps the value from the shell, not from SQL (`O'Brien; DROP TABLE ...`): use the `sql` kind, which binds values as parameters (`query: SELECT ... WHERE name = $1`, `params: [\"{{inputs.x}}\"]`), or pipe a quoted here-document to `psql -v name=...` and read it as `:'name'`".into(),
        }),
        ShellContext::ProgramText(_) if integer => Ok(word()),
        ShellContext::ProgramText(language) => Err(Unsafe {
            message: format!("a value inserted into the {} program an interpreter is given on its command line", language.name()),
            help: format!("shell quoting hands the value to the interpreter intact, and it parses the value as {} code (a quote in the value ends the string it is in): {ENV_HINT} and {}", language.name(), language.reads_value()),
        }),
        ShellContext::VariableName => Err(Unsafe {
            message: "a value inserted where bash reads a variable's name".into(),
            help: "bash evaluates the subscript of a name as arithmetic, so `a[$(cmd)]` runs `cmd`: write the name literally, and pass the value through the step's `env:`".into(),
        }),
        ShellContext::ArrayAssignment => Err(Unsafe {
            message: "a value inserted as the value of an array declaration".into(),
            help: format!("bash parses the value of `declare -a`/`-A` as a compound assignment `(...)`, quoted or not, and runs the substitutions in it: {ENV_HINT} and write `arr=(\"$VALUE\")`"),
        }),
        ShellContext::Ambiguous => Err(Unsafe {
            message: "the shell cannot tell where this value lands".into(),
            help: "the sides of an `{{#if}}` before it leave the command in different contexts (a quote opened on one side only, a `#` that starts a comment on one side only): make each side complete".into(),
        }),
    }
}

/// The text that makes `value` arrive intact through every shell of
/// `contexts` (the command's context first, then, inwards, the contexts in
/// the scripts other shells parse: see [`ShellLexer::contexts`]): quoted
/// for the innermost context, then that text written as literal text in
/// each enclosing one. `{{quote}}` ([`Parses::Twice`]) is for a shell
/// runbook cannot see; where it sees one, the value is quoted for it
/// already, so `{{quote}}` there means what a plain insertion does.
///
/// [`ShellLexer::contexts`]: super::shell_lexer::ShellLexer::contexts
pub fn quote_nested(
    contexts: &[ShellContext],
    parses: Parses,
    value: &str,
    integer: bool,
) -> Result<String, Unsafe> {
    let Some((inner, outer)) = contexts.split_last() else {
        return Ok(shell_quote(value));
    };
    if outer.is_empty() || matches!(inner, ShellContext::SqlText | ShellContext::ProgramText(_)) {
        return quote_in(*inner, parses, value, integer);
    }
    let mut text = quote_in(*inner, Parses::Once, value, integer).map_err(|refused| Unsafe {
        message: format!("{}, in a script another shell parses", refused.message),
        help: match inner {
            ShellContext::SingleQuoted => "remove the quotes around it inside the script (`sh -c \"cmd {{x}}\"`, `ssh host cmd {{x}}`): runbook quotes the value for that shell and again for this one".into(),
            ShellContext::Ambiguous => "the script is nested too deep, or an `{{#if}}` leaves it in different contexts, for runbook to follow: pass the value through the step's `env:` and refer to it as `\"$VALUE\"` in the script".into(),
            _ => refused.help,
        },
    })?;
    for context in outer.iter().rev() {
        text = match context {
            ShellContext::Word => shell_quote(&text),
            ShellContext::DoubleQuoted => {
                let word = shell_quote(&text);
                if word == text {
                    word
                } else {
                    format!("\"{word}\"")
                }
            }
            // Close the quotes, write the text as a quoted word, reopen.
            ShellContext::SingleQuoted => format!("'{}'", shell_quote(&text)),
            // A script is a word: only the contexts above hold one.
            other => return quote_in(*other, Parses::Once, value, integer),
        };
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(shell_quote("alphaswarm"), "alphaswarm");
        assert_eq!(shell_quote("v1.2.3"), "v1.2.3");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(id)"), "'$(id)'");
        assert_eq!(shell_quote("=ls"), "'=ls'");
    }
}
