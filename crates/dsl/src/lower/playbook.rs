//! The playbook itself and its inputs.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Entry, Node, Value};
use crate::source::{Span, Spanned};
use crate::suggest;

impl Lowerer<'_> {
    pub(super) fn playbook(&mut self, root: &Node) -> Playbook {
        let mut playbook = Playbook {
            name: None,
            title: None,
            description: None,
            owners: Vec::new(),
            tags: Vec::new(),
            inputs: Vec::new(),
            vars: Vec::new(),
            output_cap: None,
            steps: Vec::new(),
            unreadable_steps: Vec::new(),
            span: root.span,
        };
        if root.value == Value::Null || root.as_map().is_some_and(|m| m.is_empty()) {
            self.error(
                Diagnostic::error(Code::MissingField, "the playbook is empty")
                    .label(root.span, "nothing here")
                    .help("a playbook needs at least `steps`; see docs/language.md"),
            );
            return playbook;
        }
        let Some(mut fields) = self.fields(root, "a playbook") else {
            return playbook;
        };
        if let Some(node) = fields.take("name") {
            playbook.name = self.string(node, "`name`");
        }
        if let Some(node) = fields.take("title") {
            playbook.title = self.text(node, "`title`");
        }
        if let Some(node) = fields.take("description") {
            playbook.description = self.text(node, "`description`");
        }
        if let Some(node) = fields.take("owners") {
            playbook.owners = self.string_list(node, "an owner");
        }
        if let Some(node) = fields.take("tags") {
            playbook.tags = self.string_list(node, "a tag");
        }
        if let Some(node) = fields.take("inputs") {
            playbook.inputs = self.inputs(node);
        }
        if let Some(node) = fields.take("vars") {
            playbook.vars = self.vars(node);
        }
        if let Some(node) = fields.take("output_cap") {
            // A template is checked by `analyze` (`durations`), as a step's.
            playbook.output_cap = self.output_cap(node);
        }
        match fields.take("steps") {
            Some(node) => playbook.steps = self.steps(node),
            None => self.error(
                Diagnostic::error(Code::MissingField, "the playbook has no `steps`")
                    .label(Span::at(root.span.start), "steps expected in this playbook")
                    .help("add a `steps:` list (YAML) or `step ID { ... }` blocks (.runbook)"),
            ),
        }
        self.unknown_fields(&fields, PLAYBOOK_FIELDS, "a playbook");
        playbook
    }

    /// `vars:`: a mapping of names to expressions, or to YAML data (a
    /// list or a mapping, see `data_var.rs`).
    pub(super) fn vars(&mut self, node: &Node) -> Vec<Var> {
        let Some(fields) = self.fields(node, "`vars`") else {
            return Vec::new();
        };
        let entries: Vec<&Entry> = fields.entries.clone();
        let mut vars = Vec::new();
        for entry in entries {
            let name_node = Node::new(Value::Str(entry.key.clone()), entry.key.span);
            let Some(name) = self.ident(&name_node, "value name") else {
                continue;
            };
            let span = entry.key.span.to(entry.value.span);
            if let Value::Seq(_) | Value::Map(_) = &entry.value.value {
                if let Some(text) = self.data_expression(&entry.value) {
                    vars.push(Var {
                        name,
                        expr: text,
                        span,
                    });
                }
                continue;
            }
            let what = format!("the value `{}`", name.value);
            if let Some(expr) = self.expression(&entry.value, &what) {
                vars.push(Var { name, expr, span });
            }
        }
        vars
    }

    pub(super) fn inputs(&mut self, node: &Node) -> Vec<Input> {
        let Some(fields) = self.fields(node, "`inputs`") else {
            return Vec::new();
        };
        let entries: Vec<&Entry> = fields.entries.clone();
        sized(
            entries.len(),
            entries.into_iter().filter_map(|e| self.input(e)),
        )
    }

    pub(super) fn input(&mut self, entry: &Entry) -> Option<Input> {
        let name_node = Node::new(Value::Str(entry.key.clone()), entry.key.span);
        let name = self.ident(&name_node, "input name")?;
        let span = entry.key.span.to(entry.value.span);
        // `namespace: string` is short for `namespace: {type: string}`.
        let mut fields = match &entry.value.value {
            Value::Str(_) => {
                let ty = self.input_type(&entry.value, None)?;
                return Some(Input {
                    name,
                    ty,
                    description: None,
                    default: None,
                    required: None,
                    secret: None,
                    env: None,
                    span,
                });
            }
            _ => self.fields(&entry.value, "an input")?,
        };
        let choices = fields.take("choices");
        let ty = match fields.take("type") {
            Some(t) => self.input_type(t, choices)?,
            None => match choices {
                Some(c) => Spanned::new(InputType::Enum(self.choices(c)), c.span),
                None => Spanned::new(InputType::String, name.span),
            },
        };
        let description = fields
            .take("description")
            .and_then(|n| self.text(n, "`description`"));
        let default = fields.take("default").cloned();
        let required = fields
            .take("required")
            .and_then(|n| self.bool(n, "`required`"));
        let secret = fields.take("secret").and_then(|n| self.bool(n, "`secret`"));
        let env = fields.take("env").and_then(|n| self.string(n, "`env`"));
        self.unknown_fields(&fields, INPUT_FIELDS, "an input");
        let input = Input {
            name,
            ty,
            description,
            default,
            required,
            secret,
            env,
            span,
        };
        self.check_default(&input);
        Some(input)
    }

    pub(super) fn input_type(
        &mut self,
        node: &Node,
        choices: Option<&Node>,
    ) -> Option<Spanned<InputType>> {
        let word = self.string(node, "an input's `type`")?;
        let ty = match word.value.as_str() {
            "string" => InputType::String,
            "int" | "integer" => InputType::Int,
            "float" | "number" => InputType::Float,
            "bool" | "boolean" => InputType::Bool,
            "duration" => InputType::Duration,
            "enum" => match choices {
                Some(c) => InputType::Enum(self.choices(c)),
                None => {
                    self.error(
                        Diagnostic::error(
                            Code::EmptyChoices,
                            "an enum input must list its `choices`",
                        )
                        .label(node.span, "enum without choices")
                        .help("add `choices: [a, b]`"),
                    );
                    InputType::Enum(Vec::new())
                }
            },
            other => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("`{other}` is not an input type"),
                    )
                    .label(node.span, "unknown type")
                    .with_help(suggest::help_for(
                        "type",
                        other,
                        ["string", "int", "float", "bool", "duration", "enum"],
                    )),
                );
                return None;
            }
        };
        if choices.is_some() && !matches!(ty, InputType::Enum(_)) {
            self.error(
                Diagnostic::error(Code::InvalidValue, "only an enum input has `choices`")
                    .label(node.span, format!("this input is a {}", word.value))
                    .help("write `type: enum`, or remove `choices`"),
            );
        }
        Some(Spanned::new(ty, node.span))
    }

    pub(super) fn choices(&mut self, node: &Node) -> Vec<Spanned<String>> {
        let choices = self.string_list(node, "a choice");
        if choices.is_empty() && node.as_seq().is_some() {
            self.error(
                Diagnostic::error(Code::EmptyChoices, "the list of choices is empty")
                    .label(node.span, "no choices")
                    .help("list the possible answers, e.g. `[workload, platform]`"),
            );
        }
        for (i, choice) in choices.iter().enumerate() {
            if let Some(first) = choices[..i].iter().find(|c| c.value == choice.value) {
                self.error(
                    Diagnostic::error(
                        Code::DuplicateKey,
                        format!("the choice `{}` is listed twice", choice.value),
                    )
                    .label(choice.span, "listed again here")
                    .label(first.span, "first listed here"),
                );
            }
        }
        choices
    }

    pub(super) fn check_default(&mut self, input: &Input) {
        let Some(default) = &input.default else {
            return;
        };
        let fits = match (&input.ty.value, &default.value) {
            (InputType::String, v) => !matches!(v, Value::Seq(_) | Value::Map(_) | Value::Null),
            (InputType::Int, Value::Int(_)) => true,
            (InputType::Float, Value::Int(_) | Value::Float(_)) => true,
            (InputType::Bool, Value::Bool(_)) => true,
            (InputType::Duration, Value::Str(text)) => {
                if let Err(why) = crate::duration::parse_duration(&text.value) {
                    self.error(
                        Diagnostic::error(
                            Code::InvalidDuration,
                            format!(
                                "the default of `{}`, `{}`, is not a duration: {why}",
                                input.name.value, text.value
                            ),
                        )
                        .label(default.span, "not a duration")
                        .label(input.ty.span, "type declared here")
                        .help("write a number and a unit: `500ms`, `30s`, `5m`, `1h30m`"),
                    );
                }
                true
            }
            (InputType::Enum(choices), v) => match default.scalar_string() {
                Some(s) if !matches!(v, Value::Seq(_) | Value::Map(_)) => {
                    if !choices.is_empty() && !choices.iter().any(|c| c.value == s) {
                        self.error(
                            Diagnostic::error(
                                Code::InvalidDefault,
                                format!("the default `{s}` is not one of the choices"),
                            )
                            .label(default.span, "not a choice")
                            .label(input.ty.span, "choices declared here")
                            .with_help(suggest::help_for(
                                "choice",
                                &s,
                                choices.iter().map(|c| c.value.as_str()),
                            )),
                        );
                    }
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !fits {
            self.error(
                Diagnostic::error(
                    Code::InvalidDefault,
                    format!(
                        "the default of `{}` is {}, but the input is {}",
                        input.name.value,
                        default.type_name(),
                        article(input.ty.value.name())
                    ),
                )
                .label(
                    default.span,
                    format!("not {}", article(input.ty.value.name())),
                )
                .label(input.ty.span, "type declared here"),
            );
        }
        if input.is_secret() {
            self.diags.push(
                Diagnostic::warning(
                    Code::SecretDefault,
                    format!(
                        "the secret input `{}` has a literal default",
                        input.name.value
                    ),
                )
                .label(default.span, "this value is committed with the playbook")
                .help("take the secret from the environment instead: `env: VAR_NAME`"),
            );
        }
    }
}
