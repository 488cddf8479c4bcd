//! The helpers an insertion may use (`raw`, `json`, `quote`, `default`,
//! `upper`, `lower`): which helper a tag names, how many arguments it takes,
//! and the literal fallback of `default`.

use super::Scanner;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::path::Path;
use crate::suggest::help_for;
use crate::template::Format;

/// The helpers an insertion may use, and the blocks.
const HELPERS: &[&str] = &[
    "raw", "json", "quote", "default", "upper", "lower", "if", "unless", "each",
];

/// What the scanner accepts, named in the help of every syntax error.
pub(super) const SUPPORTED: &str = "templates support `{{path}}`, `{{raw path}}`, `{{{path}}}`, \
`{{json path}}`, `{{quote path}}`, `{{default path \"fallback\"}}`, `{{upper path}}`, `{{lower path}}`, \
`{{#if path}}...{{else}}...{{/if}}`, `{{#if CONDITION}}` (such as `len(steps.pods.json.items) > 0`), \
`{{#unless path}}...{{/unless}}` and \
`{{#each list}}...{{this}}...{{/each}}`";

impl Scanner<'_> {
    pub(super) fn unknown_helper(&self, name: &str, start: usize, end: usize) -> Diagnostic {
        let help = match name {
            "with" | "lookup" | "log" => Some(format!("`{name}` is not supported: {SUPPORTED}")),
            _ => help_for("helper", name, HELPERS.iter().copied())
                .map(|h| format!("{h} ({SUPPORTED})")),
        };
        Diagnostic::error(
            Code::UnknownFunction,
            format!("there is no template helper `{name}`"),
        )
        .label(self.span(start, end), "unknown helper")
        .with_help(help.or_else(|| Some(SUPPORTED.to_string())))
    }

    pub(super) fn arity(
        &self,
        helper: &str,
        tokens: &[(usize, usize)],
        open: usize,
        end: usize,
        usage: &str,
    ) -> Diagnostic {
        let given = tokens.len().saturating_sub(1);
        Diagnostic::error(
            Code::WrongArity,
            format!(
                "`{helper}` takes {}, but {given} {} given",
                if helper == "default" {
                    "a path and a fallback"
                } else {
                    "one path"
                },
                if given == 1 { "was" } else { "were" }
            ),
        )
        .label(self.span(open, end), "here")
        .help(format!("write {usage}"))
    }

    /// `path`, `helper path`, `default path "fallback"`.
    pub(super) fn insertion(
        &self,
        tokens: &[(usize, usize)],
        open: usize,
        end: usize,
    ) -> Result<(Path, Format), Diagnostic> {
        let source = self.source;
        let Some(&(first_start, first_end)) = tokens.first() else {
            return Err(self.syntax(open, end, "an empty `{{ }}`", "nothing inside"));
        };
        let first = &source[first_start..first_end];
        if tokens.len() == 1 {
            return Ok((self.path(tokens[0])?, Format::Plain));
        }
        let (format, usage) = match first {
            "raw" => (Format::Plain, "`{{raw path}}`"),
            "json" => (Format::Json, "`{{json path}}`"),
            "quote" => (Format::Quote, "`{{quote path}}`"),
            "upper" => (Format::Upper, "`{{upper path}}`"),
            "lower" => (Format::Lower, "`{{lower path}}`"),
            "default" => {
                if tokens.len() != 3 {
                    return Err(self.arity(
                        "default",
                        tokens,
                        open,
                        end,
                        "`{{default path \"fallback\"}}`",
                    ));
                }
                let path = self.path(tokens[1])?;
                let fallback = self.literal(tokens[2])?;
                return Ok((path, Format::Default(fallback)));
            }
            "if" | "unless" => {
                return Err(self.syntax(
                    first_start,
                    first_end,
                    format!(
                        "`{first}` is a block: write `{{{{#{first} path}}}}...{{{{/{first}}}}}`"
                    ),
                    "not a block here",
                ))
            }
            _ => return Err(self.unknown_helper(first, first_start, first_end)),
        };
        if tokens.len() != 2 {
            return Err(self.arity(first, tokens, open, end, usage));
        }
        Ok((self.path(tokens[1])?, format))
    }

    /// The fallback of `default`: a string, number, boolean or null.
    fn literal(&self, (start, end): (usize, usize)) -> Result<serde_json::Value, Diagnostic> {
        let word = &self.source[start..end];
        let parsed = if let Some(inner) = word.strip_prefix('\'').and_then(|w| w.strip_suffix('\''))
        {
            let doubled = format!("\"{}\"", inner.replace("\\'", "'").replace('"', "\\\""));
            serde_json::from_str::<serde_json::Value>(&doubled).ok()
        } else {
            serde_json::from_str::<serde_json::Value>(word)
                .ok()
                .filter(|v| !v.is_array() && !v.is_object())
        };
        parsed.ok_or_else(|| {
            Diagnostic::error(
                Code::TemplateSyntax,
                "the fallback of `default` must be a literal",
            )
            .label(self.span(start, end), "not a string, number or boolean")
            .help("write `{{default path \"fallback\"}}`")
        })
    }
}
