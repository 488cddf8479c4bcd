//! Checking a template against the playbook's names: every path resolves
//! through the same [`Scope`] as expressions, so `{{inputs.namspace}}` and
//! `steps.x.namspace == 1` get the same "did you mean" diagnostic. In a
//! shell command, each insertion's lexical context is found by the
//! [`ShellLexer`] and an insertion that cannot be quoted safely there is
//! refused ([`quote_in`] is the one rule for both check and fill).

use super::quote::{quote_nested, Parses};
use super::shell_lexer::{Interpreter, Language, Piped, Route, ShellContext, ShellLexer};
use super::{Conditional, Format, Insertion, Quoting, Segment, Template};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Scope, Type};

/// Resolves every path of `template`, and reports insertions that cannot
/// produce sensible text (a list inserted as-is, `upper` of a number) or,
/// in a shell command, safe text where they are.
pub fn check<S: Scope>(
    template: &Template,
    quoting: Quoting,
    scope: &mut S,
    diags: &mut Diagnostics,
) {
    let mut types: Vec<(&Insertion, Type)> = Vec::new();
    resolve_segments(&template.segments, scope, diags, &mut types);
    if quoting == Quoting::Shell {
        let mut lexer = REUSED.take().unwrap_or_default();
        lexer.reset();
        // Insertions by key (index + 1), and those already refused.
        let mut keyed: Vec<&Insertion> = Vec::new();
        let mut refused: Vec<*const Insertion> = Vec::new();
        // Insertions in an `echo` (or a `printf` format), which rewrites
        // the quoting `{{quote}}` wrote for a later shell.
        let mut echoed: Vec<*const Insertion> = Vec::new();
        // Insertions refused in a here-document written to a file: if a
        // later command runs the file, that is the diagnostic to give.
        let mut deferred: Vec<(*const Insertion, Diagnostics)> = Vec::new();
        let walked = walk_shell(
            &template.segments,
            &mut lexer,
            &mut keyed,
            &mut |insertion, lexer, following| {
                let unsafe_here = match lexer.heredoc_reader() {
                    Some(reader) if !insertion.raw => {
                        diags.push(piped_diagnostic(insertion, reader, None, None));
                        true
                    }
                    _ if lexer.heredoc_written() => {
                        let mut own = Diagnostics::new();
                        let refused =
                            refuse_unsafe(insertion, &lexer.contexts(following), &types, &mut own);
                        deferred.push((insertion, own));
                        refused
                    }
                    _ => refuse_unsafe(insertion, &lexer.contexts(following), &types, diags),
                };
                if unsafe_here {
                    refused.push(insertion);
                }
                if lexer.rewrites_escapes() {
                    echoed.push(insertion);
                }
            },
        );
        if walked.is_ok() {
            lexer.finish();
            let mut reported: Vec<*const Insertion> = Vec::new();
            for piped in lexer.piped() {
                let Some(insertion) = piped.key.checked_sub(1).and_then(|i| keyed.get(i)) else {
                    continue;
                };
                let pointer: *const Insertion = *insertion;
                let in_written_heredoc = deferred.iter().position(|(d, _)| *d == pointer);
                if let (Some(at), Route::File) = (in_written_heredoc, piped.route) {
                    if !insertion.raw && !reported.contains(&pointer) {
                        deferred.remove(at);
                        reported.push(pointer);
                        diags.push(piped_diagnostic(
                            insertion,
                            &piped.interpreter,
                            None,
                            piped.file.as_deref(),
                        ));
                    }
                    continue;
                }
                if insertion.raw
                    || refused.contains(&pointer)
                    || reported.contains(&pointer)
                    || quoted_for_the_reader(insertion, piped, echoed.contains(&pointer))
                {
                    continue;
                }
                reported.push(pointer);
                diags.push(piped_diagnostic(
                    insertion,
                    &piped.interpreter,
                    Some(piped.route),
                    piped.file.as_deref(),
                ));
            }
        }
        for (_, own) in deferred {
            diags.extend(own);
        }
        if let Err(block) = walked {
            diags.push(
                Diagnostic::error(
                    Code::UnsafeShellInsertion,
                    "the sides of this `{{#if}}` leave the shell command in different contexts",
                )
                .label(
                    block.span,
                    "a quote, substitution or here-document is opened or closed on one side only",
                )
                .help("make each side complete (open and close its quotes inside the block; an `{{#each}}` body too, since it repeats), so the values inserted after it can be quoted"),
            );
        }
        REUSED.set(Some(lexer));
    }
}

thread_local! {
    /// The lexer of the last shell command checked on this thread, reset
    /// and reused for the next ([`ShellLexer::reset`]): a playbook has
    /// thousands of commands, each shorter than what a new lexer costs.
    /// Taken out while in use, so a nested check gets a new one.
    static REUSED: std::cell::Cell<Option<ShellLexer>> = const { std::cell::Cell::new(None) };
}

/// Resolves the paths of `segments` (recursively into blocks, whose depth
/// the parser bounds), typing each insertion; an `{{#each}}` body resolves
/// `this`, `@index` and the element's name first.
fn resolve_segments<'t>(
    segments: &'t [Segment],
    scope: &mut dyn Scope,
    diags: &mut Diagnostics,
    types: &mut Vec<(&'t Insertion, Type)>,
) {
    for segment in segments {
        match segment {
            Segment::Text { .. } => {}
            Segment::If(block) => {
                match (&block.condition, &block.each) {
                    (Some(condition), _) => {
                        super::condition::check(condition, block.negated, scope, diags);
                        resolve_segments(&block.then, scope, diags, types);
                    }
                    (None, None) => {
                        scope.resolve(&block.path, diags);
                        resolve_segments(&block.then, scope, diags, types);
                    }
                    (None, Some(each)) => {
                        let ty = scope.resolve(&block.path, diags);
                        let (element, walked) = super::each::element_type(&block.path, &ty, diags);
                        let mut body = super::each::BodyScope {
                            outer: scope,
                            locals: super::each::bindings(each, element, walked),
                            keyless: super::each::keyless(each, walked),
                        };
                        resolve_segments(&block.then, &mut body, diags, types);
                    }
                }
                resolve_segments(&block.otherwise, scope, diags, types);
            }
            Segment::Insert(insertion) => {
                let ty = insertion.resolve(scope, diags);
                let problem = match (&insertion.format, &ty) {
                    (
                        Format::Plain | Format::Default(_),
                        Type::List(_) | Type::Map | Type::Record(_),
                    ) => Some((
                        format!("inserting {} as text", ty.describe()),
                        naming_field(&ty).map_or_else(
                            || format!("insert it as JSON: `{{{{json {}}}}}`", insertion.subject()),
                            |field| {
                                format!(
                                    "insert the field that names it: `{{{{{}.{field}}}}}` (or the whole value as JSON: `{{{{json {}}}}}`)",
                                    insertion.subject(),
                                    insertion.subject()
                                )
                            },
                        ),
                    )),
                    (Format::Upper | Format::Lower, t) if !t.is_stringy() => Some((
                        format!("changing the case of {}", ty.describe()),
                        "`upper` and `lower` apply to text".to_string(),
                    )),
                    _ => None,
                };
                if let Some((message, help)) = problem {
                    diags.push(
                        Diagnostic::error(Code::TypeMismatch, message)
                            .label(insertion.path.span, format!("this is {}", ty.describe()))
                            .help(help),
                    );
                }
                types.push((insertion, ty));
            }
        }
    }
}

/// Feeds a shell command's segments to the lexer, calling `on_insert` with
/// the lexer as it is at each insertion, on both sides of every `{{#if}}`
/// (nesting is bounded by `MAX_BLOCK_DEPTH`, so recursion is). Stops at a
/// block whose sides leave different nesting, and returns it.
fn walk_shell<'t>(
    segments: &'t [Segment],
    lexer: &mut ShellLexer,
    keyed: &mut Vec<&'t Insertion>,
    on_insert: &mut dyn FnMut(&'t Insertion, &ShellLexer, Option<&str>),
) -> Result<(), &'t Conditional> {
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Text { text, span, map } => lexer.feed_mapped(text, *span, map),
            Segment::Insert(insertion) => {
                let following = match segments.get(i + 1) {
                    Some(Segment::Text { text, .. }) => Some(text.as_str()),
                    _ => None,
                };
                on_insert(insertion, lexer, following);
                keyed.push(insertion);
                lexer.insertion_keyed(keyed.len());
            }
            Segment::If(block) => {
                let mut then = lexer.clone();
                let mut otherwise = lexer.clone();
                walk_shell(&block.then, &mut then, keyed, on_insert)?;
                walk_shell(&block.otherwise, &mut otherwise, keyed, on_insert)?;
                if !then.same_nesting(&otherwise) {
                    return Err(block);
                }
                then.merge(&otherwise);
                *lexer = then;
            }
        }
    }
    Ok(())
}

/// Whether the author quoted the value for the shell it reaches with
/// `{{quote}}`: it arrives there as one quoted word. Only a shell, only
/// through a pipe, a here-string or a substitution (a name `find` pastes
/// is not the value), and not through `echo` (`echoed`), whose escapes
/// (`\0047` in dash) would undo the quoting.
pub(super) fn quoted_for_the_reader(insertion: &Insertion, piped: &Piped, echoed: bool) -> bool {
    insertion.format == Format::Quote
        && !echoed
        && piped.interpreter.language == Language::Shell
        && piped.route != Route::FoundNames
}

/// The diagnostic for a value that reaches `reader`, which runs it as code
/// (`route` is `None` for a here-document's body; `file` names the file
/// the value was written to, when the reader runs one).
fn piped_diagnostic(
    insertion: &Insertion,
    reader: &Interpreter,
    route: Option<Route>,
    file: Option<&str>,
) -> Diagnostic {
    let name = &reader.name;
    let (message, label) = match (route, file) {
        (None, Some(file)) => (
            format!("a value inserted into a here-document written to `{file}`, which `{name}` then runs as code"),
            format!("this line of the here-document is written to `{file}`"),
        ),
        (Some(Route::File), file) => {
            let file = file.unwrap_or("a file");
            (
                format!("a value written to `{file}`, which `{name}` then runs as code"),
                format!("this value is written to `{file}`"),
            )
        }
        (None, None) => (
            format!("a value inserted into a here-document that `{name}` reads as code"),
            format!("this line of the here-document is code for `{name}`"),
        ),
        (Some(Route::Pipe), _) => (
            format!("a value written into a pipe that `{name}` reads as code"),
            format!("this value flows down the pipeline into `{name}`"),
        ),
        (Some(Route::HereString), _) => (
            format!("a value in the here-string of `{name}`, which reads it as code"),
            format!("this value is the stdin of `{name}`"),
        ),
        (Some(Route::FoundNames), _) => (
            format!("a value among the operands of a `find` that pastes the names it finds into the script of `{name}`"),
            "this value decides names that `find` pastes into a script".to_string(),
        ),
        (Some(Route::Substitution), _) => (
            format!("a command substitution's output becomes part of the script `{name}` parses"),
            "this value is printed into the script by a command substitution".to_string(),
        ),
    };
    // `{{quote}}` is accepted where the value reaches a shell as it was
    // written: through a pipe, a here-string, a substitution's output.
    let quote = if matches!(
        route,
        Some(Route::Pipe | Route::HereString | Route::Substitution | Route::File)
    ) {
        format!("; if you quoted the value for `{name}` yourself, insert it with `{{{{quote path}}}}`, which quotes it as one word for that shell")
    } else {
        String::new()
    };
    let ssh = name.rsplit('/').next() == Some("ssh");
    let help = match (reader.language, route) {
        (_, Some(Route::FoundNames)) => format!("pass the names to the script as arguments, where they are data: `-exec {name} -c '... \"$1\" ...' {name} {{}} \\;`"),
        (Language::Shell, _) if ssh => format!("quoting protects the value from this shell, not from the remote shell that `{name}` hands what it reads, and the environment does not travel with it: write the command as the remote command of `{name}` (`{name} host restore {{{{inputs.x}}}}`), where runbook quotes the value for the remote shell too{quote}"),
        (Language::Shell, _) if file.is_some() => format!("quoting protects the value from this shell, not from `{name}`, which parses the file as code: write the file without the value and give the value to it as an argument (`{name} FILE {{{{inputs.x}}}}`, read as `\"$1\"`) or through the step's `env:` (`env: {{VALUE: \"{{{{inputs.x}}}}\"}}`, read as `\"$VALUE\"`; in a here-document behind a quoted delimiter `<<'EOF'`, so that the file holds `$VALUE` and not the value){quote}"),
        (Language::Shell, _) => format!("quoting protects the value from this shell, not from `{name}`, which parses it again: pass the value through the step's `env:` (`env: {{VALUE: \"{{{{inputs.x}}}}\"}}`) and read `\"$VALUE\"` in the code `{name}` runs (in a here-document, behind a quoted delimiter `<<'EOF'`, so that `{name}`, not this shell, expands it){quote}"),
        (Language::Other, _) => format!("shell quoting does not make a value safe in the language `{name}` reads: pass the value through the step's `env:` (`env: {{VALUE: \"{{{{inputs.x}}}}\"}}`) and read it from the environment in that code (`os.environ['VALUE']`, `$ENV{{VALUE}}`, `process.env.VALUE`, psql's `\\getenv`), or give it as a bound parameter (the `sql` kind)"),
    };
    let help = if insertion.format == Format::Quote && reader.language == Language::Shell {
        format!("`{{{{quote}}}}` does not survive `echo` or a `printf` format, which rewrite backslash escapes (dash's `echo '\\0047'` prints `'`): print the value with `printf '%s\\n' ... {{{{quote path}}}}`, or pass it through the step's `env:` and read `\"$VALUE\"` in the code `{name}` runs")
    } else {
        help
    };
    let mut diagnostic =
        Diagnostic::error(Code::ValuePipedIntoInterpreter, message).label(insertion.span, label);
    if reader.span != crate::source::Span::default() && reader.span != insertion.span {
        let runs = match file {
            Some(file) => format!("`{name}` runs `{file}` as code"),
            None => format!("`{name}` runs what it reads as code"),
        };
        diagnostic = diagnostic.label(reader.span, runs);
    }
    diagnostic.help(help)
}

/// Reports an insertion that no quoting makes safe in its context; says
/// whether it did.
fn refuse_unsafe(
    insertion: &Insertion,
    contexts: &[ShellContext],
    types: &[(&Insertion, Type)],
    diags: &mut Diagnostics,
) -> bool {
    if insertion.raw {
        return false;
    }
    let ty = types
        .iter()
        .find(|(i, _)| std::ptr::eq(*i, insertion))
        .map(|(_, t)| t.clone())
        .unwrap_or(Type::Any);
    let parses = match insertion.format {
        Format::Quote => Parses::Twice,
        _ => Parses::Once,
    };
    let integer = matches!(ty, Type::Int | Type::Duration)
        && match &insertion.format {
            Format::Plain | Format::Json => true,
            Format::Default(fallback) => fallback.is_i64() || fallback.is_u64(),
            _ => false,
        };
    if let Err(refused) = quote_nested(contexts, parses, "", integer) {
        let label = match contexts {
            [context] | [.., context @ (ShellContext::SqlText | ShellContext::ProgramText(_))] => {
                format!("inserted {}", context.describe())
            }
            [.., inner] => format!(
                "inserted {} in a script another shell parses",
                inner.describe()
            ),
            [] => "inserted here".to_string(),
        };
        diags.push(
            Diagnostic::error(Code::UnsafeShellInsertion, refused.message)
                .label(insertion.span, label)
                .help(refused.help),
        );
        return true;
    }
    false
}

/// The field that names a typed element (a pod's `metadata.name`, a row's
/// `name`), which is what an author inserting the whole element meant.
fn naming_field(ty: &Type) -> Option<&'static str> {
    let Type::Record(record) = ty else {
        return None;
    };
    let metadata_name = record
        .field("metadata")
        .and_then(|m| match m {
            Type::Record(m) => m.field("name"),
            _ => None,
        })
        .is_some();
    if metadata_name {
        Some("metadata.name")
    } else if record.field("name").is_some() {
        Some("name")
    } else {
        None
    }
}
