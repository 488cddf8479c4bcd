//! A step's declared outputs.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Entry, Node, Value};
use crate::source::Spanned;
use crate::suggest;

impl Lowerer<'_> {
    pub(super) fn outputs(&mut self, node: &Node) -> Vec<Output> {
        let Some(fields) = self.fields(node, "`outputs`") else {
            return Vec::new();
        };
        let entries: Vec<&Entry> = fields.entries.clone();
        sized(
            entries.len(),
            entries.into_iter().filter_map(|e| self.output(e)),
        )
    }

    pub(super) fn output(&mut self, entry: &Entry) -> Option<Output> {
        let name_node = Node::new(Value::Str(entry.key.clone()), entry.key.span);
        let name = self.ident(&name_node, "output name");
        let span = entry.key.span.to(entry.value.span);
        let mut output = Output {
            name: name
                .clone()
                .unwrap_or_else(|| Spanned::new(String::new(), entry.key.span)),
            from: None,
            json: None,
            regex: None,
            lines: None,
            separator: None,
            select: None,
            ty: None,
            secret: None,
            default: None,
            span,
        };
        match &entry.value.value {
            Value::Str(_) => output.from = self.ident(&entry.value, "result field"),
            Value::Map(_) => {
                let mut fields = self.fields(&entry.value, "an output")?;
                output.from = fields
                    .take("from")
                    .and_then(|n| self.ident(n, "result field"));
                output.json = fields.take("json").and_then(|n| self.text(n, "`json`"));
                output.regex = fields.take("regex").and_then(|n| self.text(n, "`regex`"));
                output.lines = fields.take("lines").and_then(|n| self.text(n, "`lines`"));
                output.separator = fields
                    .take("separator")
                    .and_then(|n| self.separator(n))
                    .map(Box::new);
                output.select = fields.take("select").and_then(|n| self.select(n));
                output.secret = fields.take("secret").and_then(|n| self.bool(n, "`secret`"));
                if let Some(t) = fields.take("type") {
                    output.ty = self.value_type(t);
                }
                output.default = fields.take("default").cloned();
                self.unknown_fields(&fields, OUTPUT_FIELDS, "an output");
            }
            _ => {
                self.wrong_type(
                    &entry.value,
                    "an output",
                    "a result field name or a mapping",
                );
                return None;
            }
        }
        if let (Some(json), Some(regex)) = (&output.json, &output.regex) {
            self.error(
                Diagnostic::error(
                    Code::InvalidValue,
                    "an output is captured by `json` or by `regex`, not both",
                )
                .label(regex.span, "regex")
                .label(json.span, "json path")
                .help("split it into two outputs"),
            );
        }
        self.check_lines(&output);
        if let Some(regex) = &output.regex {
            // Parsing validates the pattern as `regex` will compile it at run
            // time, without the cost of building its automaton now.
            // A pattern seen valid before is not parsed again (an invalid
            // one is, so each use gets its own diagnostic).
            if !self.valid_regexes.contains(&regex.value) {
                match regex_syntax::Parser::new().parse(&regex.value) {
                    Ok(_) => {
                        self.valid_regexes.insert(regex.value.clone());
                    }
                    Err(error) => self.error(
                        Diagnostic::error(Code::InvalidRegex, "the output's regular expression does not compile")
                            .label(regex.span, first_line(&error.to_string()))
                            .help("regular expressions use Rust `regex` syntax; capture group 1 is the value when present"),
                    ),
                }
            }
        }
        self.output_default(&output);
        if let Some(json) = &output.json {
            if let Err((offset, reason)) = crate::json_path::JsonPath::parse(&json.value) {
                self.error(
                    Diagnostic::error(
                        Code::InvalidJsonPath,
                        format!("`{}` is not a JSON path: {reason}", json.value),
                    )
                    .label(
                        json.file_span(offset, (offset + 1).min(json.value.len()).max(offset)),
                        reason,
                    )
                    .help(match kubectl_form(&json.value) {
                        Some(path) => format!("write `{path}`, without kubectl's braces"),
                        None => "write a path such as `$.status.readyReplicas` or `items[0].metadata.name`".into(),
                    }),
                );
            }
        }
        name.map(|_| output)
    }

    /// An output's `default` must be a value of its declared `type`
    /// (`null` fits every type: "absent" then reads as null).
    pub(super) fn output_default(&mut self, output: &Output) {
        let (Some(default), Some(ty)) = (&output.default, &output.ty) else {
            return;
        };
        let fits = match (ty.value, &default.value) {
            (_, Value::Null) | (ValueType::Any, _) => true,
            (ValueType::String, v) => !matches!(v, Value::Seq(_) | Value::Map(_)),
            (ValueType::Int, Value::Int(_)) => true,
            (ValueType::Float, Value::Int(_) | Value::Float(_)) => true,
            (ValueType::Bool, Value::Bool(_)) => true,
            (ValueType::List, Value::Seq(_)) => true,
            (ValueType::Map, Value::Map(_)) => true,
            _ => false,
        };
        if !fits {
            self.error(
                Diagnostic::error(
                    Code::InvalidDefault,
                    format!(
                        "the default of the output `{}` is {}, but the output is {}",
                        output.name.value,
                        default.type_name(),
                        article(ty.value.name())
                    ),
                )
                .label(default.span, format!("not {}", article(ty.value.name())))
                .label(ty.span, "type declared here")
                .help("write a default of the output's type, or `null`"),
            );
        }
    }

    pub(super) fn value_type(&mut self, node: &Node) -> Option<Spanned<ValueType>> {
        self.word(node, "an output `type`", ValueType::parse, |word| {
            Diagnostic::error(Code::InvalidValue, format!("`{word}` is not a value type"))
                .label(node.span, "unknown type")
                .with_help(suggest::help_for(
                    "type",
                    word,
                    ValueType::ALL.iter().map(|t| t.name()),
                ))
        })
    }
}

impl Lowerer<'_> {
    /// `separator: newline | nul`.
    fn separator(&mut self, node: &Node) -> Option<Spanned<Separator>> {
        self.word(node, "`separator`", Separator::parse, |word| {
            Diagnostic::error(
                Code::InvalidValue,
                format!("`{word}` is not a separator of `lines`"),
            )
            .label(node.span, "expected `newline` or `nul`")
            .help("`nul` splits at NUL bytes, for `find -print0` and the like; `newline` (the default) at line ends")
        })
    }

    /// `select: all | count | first | last`.
    fn select(&mut self, node: &Node) -> Option<Spanned<Select>> {
        self.word(node, "`select`", Select::parse, |word| {
            Diagnostic::error(
                Code::InvalidValue,
                format!("`{word}` is not something an output can select"),
            )
            .label(node.span, "expected `all`, `count`, `first` or `last`")
            .with_help(suggest::help_for(
                "selection",
                word,
                Select::ALL.iter().map(|s| s.name()),
            ))
        })
    }

    /// `lines:` filters text: alone, with a pattern that compiles; `select`
    /// applies to it and to `regex` only.
    fn check_lines(&mut self, output: &Output) {
        if let Some(lines) = &output.lines {
            let other = output
                .json
                .as_ref()
                .map(|j| (j, "json"))
                .or(output.regex.as_ref().map(|r| (r, "regex")));
            if let Some((other, name)) = other {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("an output is captured by `lines` or by `{name}`, not both"),
                    )
                    .label(lines.span, "lines")
                    .label(other.span, name)
                    .help("split it into two outputs"),
                );
            }
            if let Err(error) = regex_syntax::Parser::new().parse(&lines.value) {
                self.error(
                    Diagnostic::error(
                        Code::InvalidRegex,
                        "the pattern of `lines` does not compile",
                    )
                    .label(lines.span, first_line(&error.to_string()))
                    .help(
                        "`lines` keeps the lines that match a Rust `regex`, such as `error|panic`",
                    ),
                );
            }
        }
        if let (Some(separator), None) = (&output.separator, &output.lines) {
            self.error(
                Diagnostic::error(
                    Code::InvalidValue,
                    "`separator` says how `lines` splits the text, and there is no `lines`",
                )
                .label(separator.span, "nothing to split")
                .help("give a `lines` pattern (`.` keeps every record), or remove `separator`"),
            );
        }
        if let Some(select) = &output.select {
            if output.lines.is_none() && output.regex.is_none() {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        "`select` picks among the matches of `lines` or `regex`",
                    )
                    .label(select.span, "nothing to select from")
                    .help("add `lines: \"PATTERN\"` (matching lines) or `regex:` (matches), or remove `select`"),
                );
            }
        }
    }
}
