//! Filling in a parsed template, with handlebars' semantics for the subset
//! the checker accepts: strict (a missing value is an error, never an empty
//! string), every non-raw insertion into a shell command quoted for the
//! lexical context it lands in ([`ShellLexer`] follows the literal text as
//! it is written out; [`quote_in`] quotes or refuses). This is the only
//! place values enter a command, whether they come from `--input`, an
//! inputs file, the environment or an earlier step's output. Walking the parsed segments, rather than handing the text to a
//! template engine again, lets a dry-run show values it does not know
//! (results of steps it did not run) as visible placeholders such as
//! `<steps.migrate.stdout>` instead of failing.

use super::each::Bound;
use super::quote::{quote_nested, shell_quote, Parses};
use super::shell_lexer::ShellLexer;
use super::{Format, Segment, Template};
use crate::expr::{Env, Lookup};
use crate::source::Span;
use serde_json::Value;
use std::fmt::{self, Write};
use std::rc::Rc;

/// How inserted values are protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// The template is a shell command: every non-raw insertion is quoted
    /// for its lexical context (see [`quote_in`]).
    Shell,
    /// Values are inserted as they are (HTTP bodies, messages).
    None,
    /// Text a person reads before deciding (an approval question, a
    /// `manual` step's instructions): an inserted value stays on one line,
    /// its line breaks written `\n` and `\r`, so a value (a row, a key
    /// name) cannot add lines that look like the prompt's own. The text
    /// written in the playbook keeps its lines.
    Prose,
    /// Values are encoded for where they land (see [`encode`](super::encode)).
    Encoded(super::encode::Encoding),
}

/// Why a template could not be filled in, and where the insertion is.
#[derive(Clone, Debug, PartialEq)]
pub struct FillError {
    pub message: String,
    pub span: Span,
}

impl fmt::Display for FillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FillError {}

/// Fills in a template from `env`.
pub fn fill(template: &Template, env: &dyn Env, quoting: Quoting) -> Result<String, FillError> {
    let mut out = String::new();
    let mut lexer = (quoting == Quoting::Shell).then(ShellLexer::default);
    // The insertions made, by key (index + 1), to tell which one reaches
    // an interpreter once the whole command is known.
    let mut keyed: Vec<(&super::Insertion, bool)> = Vec::new();
    // Iterative: a stack of segment lists still to write, each with the
    // values the `{{#each}}` blocks around it bind.
    type Bindings = Rc<Vec<(String, Value)>>;
    let mut stack: Vec<(std::slice::Iter<'_, Segment>, Bindings)> =
        vec![(template.segments.iter(), Rc::default())];
    while let Some((top, bindings)) = stack.last_mut() {
        let Some(segment) = top.next() else {
            stack.pop();
            continue;
        };
        let bindings = bindings.clone();
        let bound = Bound {
            env,
            bindings: &bindings,
        };
        let env: &dyn Env = &bound;
        match segment {
            Segment::Text { text, .. } => {
                out.push_str(text);
                if let Some(lexer) = lexer.as_mut() {
                    lexer.feed(text);
                }
            }
            Segment::Insert(insertion) => {
                // The literal text right after the insertion, if any.
                let following = stack
                    .last()
                    .and_then(|(rest, _)| match rest.clone().next() {
                        Some(Segment::Text { text, .. }) => Some(text.as_str()),
                        _ => None,
                    });
                let context = lexer.as_mut().map(|l| {
                    let context = l.contexts(following);
                    keyed.push((insertion, l.rewrites_escapes()));
                    l.insertion_keyed(keyed.len());
                    context
                });
                let value = match (&insertion.format, insertion.lookup(env)?) {
                    (Format::Default(fallback), Lookup::Missing) => fallback.clone(),
                    (Format::Default(fallback), Lookup::Known(Value::Null)) => fallback.clone(),
                    (_, Lookup::Known(v)) => v,
                    (_, Lookup::Unknown) => {
                        // Only in a dry-run: the value comes from a step that
                        // did not run. A read step may still execute the
                        // command, so in a shell command the placeholder is
                        // quoted like a value (`<` and `>` are redirections).
                        let placeholder = format!("<{}>", insertion.subject());
                        let quoted = match context {
                            Some(contexts) if !insertion.raw => {
                                quote_nested(&contexts, Parses::Once, &placeholder, false).ok()
                            }
                            _ => None,
                        };
                        out.push_str(quoted.as_deref().unwrap_or(&placeholder));
                        continue;
                    }
                    (_, Lookup::Missing) => {
                        return Err(FillError {
                            message: crate::expr::no_value(
                                &insertion.subject(),
                                env.absence(&insertion.path).as_deref(),
                            ),
                            span: insertion.span,
                        })
                    }
                };
                let text = match &insertion.format {
                    Format::Plain | Format::Default(_) | Format::Quote => text(&value),
                    Format::Json => serde_json::to_string(&value).unwrap_or_default(),
                    Format::Upper => text(&value).to_uppercase(),
                    Format::Lower => text(&value).to_lowercase(),
                };
                let parses = match insertion.format {
                    Format::Quote => Parses::Twice,
                    _ => Parses::Once,
                };
                match (context, quoting) {
                    _ if insertion.raw => out.push_str(&text),
                    (Some(context), _) => {
                        let integer = value.is_i64() || value.is_u64();
                        match quote_nested(&context, parses, &text, integer) {
                            Ok(quoted) => out.push_str(&quoted),
                            Err(refused) => {
                                return Err(FillError {
                                    message: format!(
                                        "`{}`: {}",
                                        insertion.subject(),
                                        refused.message
                                    ),
                                    span: insertion.span,
                                })
                            }
                        }
                    }
                    // Where a kind encodes values, `quote`'s quoted text is
                    // encoded too.
                    (None, Quoting::Encoded(encoding)) => {
                        let text = match parses {
                            Parses::Twice => shell_quote(&text),
                            Parses::Once => text,
                        };
                        let encoded = encoding
                            .insert(&out, following, insertion, &value, &text)
                            .map_err(|message| FillError {
                                message,
                                span: insertion.span,
                            })?;
                        out.push_str(&encoded);
                    }
                    // Not a shell command: `quote` still quotes once, for
                    // an argv element that a shell runs.
                    (None, _) if parses == Parses::Twice => out.push_str(&shell_quote(&text)),
                    (None, Quoting::Prose) => out.push_str(&one_line(&text)),
                    (None, _) => out.push_str(&text),
                }
            }
            Segment::If(block) if block.each.is_some() => {
                let walked = match env.lookup(&block.path) {
                    Lookup::Known(Value::Null) | Lookup::Missing => Value::Array(Vec::new()),
                    Lookup::Known(value) => value,
                    Lookup::Unknown => {
                        let _ = write!(out, "<each {}>", block.path);
                        continue;
                    }
                };
                let Some(each) = &block.each else {
                    continue;
                };
                // The value itself stays out of the message: it may be secret.
                let kind = match &walked {
                    Value::String(_) => "a string",
                    Value::Bool(_) => "a boolean",
                    _ => "a number",
                };
                let Some(rounds) = super::each::rounds(each, walked) else {
                    return Err(FillError {
                        message: format!(
                            "`#each {}` needs a list or a mapping, this is {kind}",
                            block.path
                        ),
                        span: block.path.span,
                    });
                };
                if rounds.is_empty() {
                    stack.push((block.otherwise.iter(), bindings.clone()));
                    continue;
                }
                // Pushed last first, so the first element is written first.
                for round in rounds.into_iter().rev() {
                    let mut inner = (*bindings).clone();
                    inner.extend(round);
                    stack.push((block.then.iter(), Rc::new(inner)));
                }
            }
            Segment::If(block) => {
                let holds = match &block.condition {
                    Some(condition) => super::condition::holds(condition, env)?,
                    None => match env.lookup(&block.path) {
                        Lookup::Known(v) => Some(truthy(&v)),
                        Lookup::Missing => Some(false),
                        Lookup::Unknown => None,
                    },
                };
                // Only in a dry-run: a visible placeholder, then the
                // `{{else}}` side (as for a path that is absent).
                let holds = holds.unwrap_or_else(|| {
                    let tested = match &block.condition {
                        Some(condition) => condition.to_string(),
                        None => block.path.to_string(),
                    };
                    let _ = write!(out, "<if {tested}>");
                    false
                });
                let chosen = if holds != block.negated {
                    &block.then
                } else {
                    &block.otherwise
                };
                stack.push((chosen.iter(), bindings.clone()));
            }
        }
    }
    if let Some(mut lexer) = lexer {
        lexer.finish();
        for piped in lexer.piped() {
            let Some((insertion, echoed)) = piped.key.checked_sub(1).and_then(|i| keyed.get(i))
            else {
                continue;
            };
            if !insertion.raw && !super::check::quoted_for_the_reader(insertion, piped, *echoed) {
                return Err(FillError {
                    message: format!(
                        "`{}`: the value flows into `{}`, which runs what it reads as code",
                        insertion.subject(),
                        piped.interpreter.name
                    ),
                    span: insertion.span,
                });
            }
        }
    }
    Ok(out)
}

/// Text of a value as handlebars inserts it.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `text` on one line: line breaks written as `\n` and `\r`
/// ([`Quoting::Prose`]; every other control character is escaped wherever
/// the text is shown).
fn one_line(text: &str) -> String {
    if !text.contains(['\n', '\r']) {
        return text.to_string();
    }
    text.replace('\r', "\\r").replace('\n', "\\n")
}

/// Handlebars truthiness: `false`, `null`, `0`, `""` and `[]` are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// Fills in a template whose text is read as a value (a duration), not
/// shown: `Ok(None)` when it reads anything not known (a dry-run's result
/// of a step that did not run, or at check time a value only the run
/// knows), instead of writing placeholders into it.
pub fn fill_known(
    template: &Template,
    env: &dyn Env,
    quoting: Quoting,
) -> Result<Option<String>, FillError> {
    let watched = Watched {
        env,
        unknown: std::cell::Cell::new(false),
    };
    let text = fill(template, &watched, quoting)?;
    Ok((!watched.unknown.get()).then_some(text))
}

/// An environment that notes whether a value read was not known.
struct Watched<'e> {
    env: &'e dyn Env,
    unknown: std::cell::Cell<bool>,
}

impl Env for Watched<'_> {
    fn lookup(&self, path: &crate::path::Path) -> Lookup {
        let found = self.env.lookup(path);
        if found == Lookup::Unknown {
            self.unknown.set(true);
        }
        found
    }

    fn step_state(&self, id: &str) -> Option<crate::expr::StepOutcome> {
        let state = self.env.step_state(id);
        if state.is_none() {
            self.unknown.set(true);
        }
        state
    }

    fn now(&self) -> Option<std::time::SystemTime> {
        let now = self.env.now();
        if now.is_none() {
            self.unknown.set(true);
        }
        now
    }

    fn absence(&self, path: &crate::path::Path) -> Option<String> {
        self.env.absence(path)
    }
}
