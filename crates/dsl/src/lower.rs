//! Lowering: the spanned node tree (from either syntax) -> the playbook model.
//!
//! This is where the shape of a playbook is checked: unknown and duplicate
//! fields, wrong types, ids, durations. It runs the same for YAML and
//! `.runbook`, so both syntaxes get the same diagnostics.

use crate::ast::*;
use crate::catalog::Catalog;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Entry, Node, Text, Value};
use crate::source::{Span, Spanned};
use crate::suggest;

/// Fields of the playbook itself.
pub const PLAYBOOK_FIELDS: &[&str] = &[
    "name",
    "title",
    "description",
    "owners",
    "tags",
    "inputs",
    "steps",
];
/// Fields of an input.
pub const INPUT_FIELDS: &[&str] = &[
    "type",
    "description",
    "default",
    "required",
    "secret",
    "env",
    "choices",
];
/// Fields every step may have besides its kind.
pub const STEP_FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "needs",
    "when",
    "effect",
    "approval",
    "timeout",
    "retry",
    "until",
    "on_failure",
    "outputs",
    "lint",
];
/// Fields of an output.
pub const OUTPUT_FIELDS: &[&str] = &["from", "json", "regex", "type", "secret", "default"];
/// Kinds the language itself defines (not catalog kinds).
pub const LANGUAGE_KINDS: &[&str] = &["branch", "triage", "manual", "ask"];

/// Lowers a document tree into a playbook. Problems are pushed to `diags`;
/// the playbook returned holds everything that could be read.
pub fn lower(root: &Node, catalog: &dyn Catalog, diags: &mut Diagnostics) -> Playbook {
    let mut lowerer = Lowerer {
        catalog,
        diags,
        unreadable: Vec::new(),
    };
    let mut playbook = lowerer.playbook(root);
    playbook.unreadable_steps = lowerer.unreadable;
    playbook
}

struct Lowerer<'a> {
    catalog: &'a dyn Catalog,
    diags: &'a mut Diagnostics,
    unreadable: Vec<Spanned<String>>,
}

/// The entries of a mapping, with duplicates reported once and fields taken by name.
struct Fields<'n> {
    entries: Vec<&'n Entry>,
    taken: Vec<bool>,
}

impl<'n> Fields<'n> {
    fn take(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.entries.iter().position(|e| e.key.value == key)?;
        self.taken[i] = true;
        Some(&self.entries[i].value)
    }

    fn rest(&self) -> impl Iterator<Item = &'n Entry> + '_ {
        self.entries
            .iter()
            .zip(&self.taken)
            .filter(|(_, taken)| !**taken)
            .map(|(e, _)| *e)
    }
}

impl Lowerer<'_> {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.error(
            Diagnostic::error(
                Code::WrongType,
                format!("{what} must be {expected}, found {}", node.type_name()),
            )
            .label(node.span, format!("expected {expected}")),
        );
    }

    /// The fields of a mapping; duplicates are reported and the first kept.
    fn fields<'n>(&mut self, node: &'n Node, what: &str) -> Option<Fields<'n>> {
        let Some(entries) = node.as_map() else {
            self.wrong_type(node, what, "a mapping");
            return None;
        };
        let mut kept: Vec<&Entry> = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(first) = kept.iter().find(|e| e.key.value == entry.key.value) {
                self.error(
                    Diagnostic::error(
                        Code::DuplicateKey,
                        format!("`{}` is given twice", entry.key.value),
                    )
                    .label(entry.key.span, "given again here")
                    .label(first.key.span, "first given here")
                    .help("remove one of them"),
                );
            } else {
                kept.push(entry);
            }
        }
        let taken = vec![false; kept.len()];
        Some(Fields {
            entries: kept,
            taken,
        })
    }

    fn unknown_fields(&mut self, fields: &Fields, allowed: &[&str], what: &str) {
        let unknown: Vec<&Entry> = fields.rest().collect();
        for entry in unknown {
            self.error(
                Diagnostic::error(
                    Code::UnknownField,
                    format!("{what} has no field `{}`", entry.key.value),
                )
                .label(entry.key.span, "unknown field")
                .with_help(suggest::help_for(
                    "field",
                    &entry.key.value,
                    allowed.iter().copied(),
                )),
            );
        }
    }

    fn text(&mut self, node: &Node, what: &str) -> Option<Text> {
        match &node.value {
            Value::Str(text) => Some(text.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => Some(Text::verbatim(
                node.scalar_string().unwrap_or_default(),
                node.span,
            )),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        self.text(node, what)
            .map(|t| Spanned::new(t.value, node.span))
    }

    /// An expression's source text; numbers and booleans are accepted as written.
    fn expression(&mut self, node: &Node, what: &str) -> Option<Text> {
        let text = self.text(node, what)?;
        if text.value.trim().is_empty() {
            self.error(
                Diagnostic::error(Code::ExprSyntax, format!("{what} is empty"))
                    .label(node.span, "expected an expression")
                    .help("write a condition such as `steps.health.status == 200`"),
            );
            return None;
        }
        Some(text)
    }

    fn ident(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        let name = self.string(node, what)?;
        if is_ident(&name.value) {
            return Some(name);
        }
        let fixed: String = name
            .value
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let help = if fixed.is_empty() || fixed.starts_with(|c: char| c.is_ascii_digit()) {
            "start with a letter or `_`, then letters, digits and `_`".to_string()
        } else {
            format!("use letters, digits and `_` only, e.g. `{fixed}`: ids are used in expressions like `steps.{fixed}.status`")
        };
        self.error(
            Diagnostic::error(
                Code::InvalidId,
                format!("`{}` is not a valid {what}", name.value),
            )
            .label(node.span, "invalid name")
            .help(help),
        );
        None
    }

    fn ident_list(&mut self, node: &Node, what: &str) -> Vec<Spanned<String>> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| self.ident(item, what))
                .collect(),
            Value::Str(_) => self.ident(node, what).into_iter().collect(),
            _ => {
                self.wrong_type(node, &format!("a list of {what}s"), "a list of names");
                Vec::new()
            }
        }
    }

    fn string_list(&mut self, node: &Node, what: &str) -> Vec<Spanned<String>> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| self.string(item, what))
                .collect(),
            Value::Str(_) => self.string(node, what).into_iter().collect(),
            _ => {
                self.wrong_type(node, what, "a list of strings");
                Vec::new()
            }
        }
    }

    fn bool(&mut self, node: &Node, what: &str) -> Option<Spanned<bool>> {
        match node.value {
            Value::Bool(b) => Some(Spanned::new(b, node.span)),
            _ => {
                self.wrong_type(node, what, "`true` or `false`");
                None
            }
        }
    }

    fn float(&mut self, node: &Node, what: &str) -> Option<Spanned<f64>> {
        match node.value {
            Value::Int(i) => Some(Spanned::new(i as f64, node.span)),
            Value::Float(f) => Some(Spanned::new(f, node.span)),
            _ => {
                self.wrong_type(node, what, "a number");
                None
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<DurationLit> {
        let text = match &node.value {
            Value::Str(t) => t.value.clone(),
            Value::Int(i) => {
                self.error(
                    Diagnostic::error(Code::InvalidDuration, format!("{what} needs a unit"))
                        .label(node.span, "a number without a unit")
                        .help(format!("write `{i}s` for seconds or `{i}m` for minutes")),
                );
                return None;
            }
            _ => {
                self.wrong_type(node, what, "a duration such as `30s`");
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(value) => Some(DurationLit {
                value,
                text,
                span: node.span,
            }),
            Err(reason) => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidDuration,
                        format!("`{text}` is not a duration: {reason}"),
                    )
                    .label(node.span, "invalid duration")
                    .help("write a number and a unit: `500ms`, `30s`, `5m`, `1h30m`"),
                );
                None
            }
        }
    }

    fn playbook(&mut self, root: &Node) -> Playbook {
        let mut playbook = Playbook {
            name: None,
            title: None,
            description: None,
            owners: Vec::new(),
            tags: Vec::new(),
            inputs: Vec::new(),
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

    fn inputs(&mut self, node: &Node) -> Vec<Input> {
        let Some(fields) = self.fields(node, "`inputs`") else {
            return Vec::new();
        };
        let entries: Vec<&Entry> = fields.entries.clone();
        entries.into_iter().filter_map(|e| self.input(e)).collect()
    }

    fn input(&mut self, entry: &Entry) -> Option<Input> {
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

    fn input_type(&mut self, node: &Node, choices: Option<&Node>) -> Option<Spanned<InputType>> {
        let word = self.string(node, "an input's `type`")?;
        let ty = match word.value.as_str() {
            "string" => InputType::String,
            "int" | "integer" => InputType::Int,
            "float" | "number" => InputType::Float,
            "bool" | "boolean" => InputType::Bool,
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
                        ["string", "int", "float", "bool", "enum"],
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

    fn choices(&mut self, node: &Node) -> Vec<Spanned<String>> {
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

    fn check_default(&mut self, input: &Input) {
        let Some(default) = &input.default else {
            return;
        };
        let fits = match (&input.ty.value, &default.value) {
            (InputType::String, v) => !matches!(v, Value::Seq(_) | Value::Map(_) | Value::Null),
            (InputType::Int, Value::Int(_)) => true,
            (InputType::Float, Value::Int(_) | Value::Float(_)) => true,
            (InputType::Bool, Value::Bool(_)) => true,
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

    fn steps(&mut self, node: &Node) -> Vec<Step> {
        let Some(items) = node.as_seq() else {
            self.wrong_type(node, "`steps`", "a list of steps");
            return Vec::new();
        };
        // Sized once: a step is about a kilobyte, and growing by doubling
        // held the old and the new buffer at once (a third of the peak
        // memory of `check` on a large playbook).
        let mut steps = Vec::with_capacity(items.len());
        steps.extend(items.iter().filter_map(|item| self.step(item)));
        steps
    }

    fn step(&mut self, node: &Node) -> Option<Step> {
        let mut fields = self.fields(node, "a step")?;
        let id = match fields.take("id") {
            Some(n) => self.ident(n, "step id"),
            None => {
                self.error(
                    Diagnostic::error(Code::MissingField, "a step has no `id`")
                        .label(Span::new(node.span.start, node.span.start), "this step")
                        .help("give every step an `id`: other steps and expressions refer to it"),
                );
                None
            }
        };
        let title = fields.take("title").and_then(|n| self.text(n, "`title`"));
        let description = fields
            .take("description")
            .and_then(|n| self.text(n, "`description`"));
        let needs = fields
            .take("needs")
            .map(|n| self.ident_list(n, "step id"))
            .unwrap_or_default();
        let when = fields
            .take("when")
            .and_then(|n| self.expression(n, "`when`"));
        let effect = fields.take("effect").and_then(|n| self.effect(n));
        let approval = fields.take("approval").and_then(|n| self.approval(n));
        let timeout = fields
            .take("timeout")
            .and_then(|n| self.duration(n, "`timeout`"));
        let retry = fields.take("retry").and_then(|n| self.retry(n));
        let until = fields.take("until").and_then(|n| self.until(n));
        let on_failure = fields.take("on_failure").and_then(|n| self.on_failure(n));
        let outputs = fields
            .take("outputs")
            .map(|n| self.outputs(n))
            .unwrap_or_default();
        let lint = fields.take("lint").and_then(|n| self.lint_allow(n));
        let action = self.action(&fields, node, id.as_ref());
        let (Some(id), Some(action)) = (id, action) else {
            // Remember the id so references to this step are not reported as unknown too.
            if let Some(raw) = fields_id(node) {
                self.unreadable.push(raw);
            }
            return None;
        };
        Some(Step {
            id,
            title,
            description,
            action,
            needs,
            when,
            timeout,
            retry,
            until,
            on_failure,
            effect,
            approval,
            outputs,
            lint,
            span: node.span,
        })
    }

    fn lint_allow(&mut self, node: &Node) -> Option<LintAllow> {
        let mut fields = self.fields(node, "`lint`")?;
        let allow = fields.take("allow");
        let reason = fields.take("reason");
        self.unknown_fields(&fields, &["allow", "reason"], "`lint`");
        let allow = allow
            .map(|n| self.string_list(n, "a lint rule"))
            .unwrap_or_default();
        let Some(reason) = reason.and_then(|n| self.text(n, "the lint `reason`")) else {
            self.error(
                Diagnostic::error(Code::MissingField, "`lint` needs a `reason`")
                    .label(node.span, "allowed why?")
                    .help("e.g. `lint: {allow: [branch_without_else], reason: \"nothing to do when the endpoints are healthy\"}`: the reason tells the next reviewer why the rule does not apply"),
            );
            return None;
        };
        if reason.value.trim().is_empty() {
            self.error(
                Diagnostic::error(Code::InvalidValue, "the lint `reason` is empty")
                    .label(reason.span, "empty")
                    .help("say why the rule does not apply to this step"),
            );
            return None;
        }
        Some(LintAllow {
            allow,
            reason,
            span: node.span,
        })
    }

    /// The kind of a step: the one key that is not a common field.
    fn action(
        &mut self,
        fields: &Fields,
        node: &Node,
        id: Option<&Spanned<String>>,
    ) -> Option<Action> {
        let rest: Vec<&Entry> = fields.rest().collect();
        let known: Vec<&Entry> = rest
            .iter()
            .copied()
            .filter(|e| {
                LANGUAGE_KINDS.contains(&e.key.value.as_str())
                    || self.catalog.kind(&e.key.value).is_some()
            })
            .collect();
        let kind_entry = match (known.as_slice(), rest.as_slice()) {
            ([one], _) => *one,
            ([], [one]) => *one,
            ([], []) => {
                let who = id
                    .map(|i| format!("step `{}`", i.value))
                    .unwrap_or_else(|| "this step".into());
                let start = id.map(|i| i.span).unwrap_or(Span::at(node.span.start));
                self.error(
                    Diagnostic::error(Code::MissingKind, format!("{who} does not say what it does"))
                        .label(start, "no kind given")
                        .help("add one kind, e.g. `shell: \"kubectl get pods\"`, `http: {url: ...}`, `manual: ...`, `ask: ...` or `branch: [...]`"),
                );
                return None;
            }
            ([first, second, ..], _) => {
                self.error(
                    Diagnostic::error(
                        Code::MultipleKinds,
                        format!(
                            "a step has one kind, this one has `{}` and `{}`",
                            first.key.value, second.key.value
                        ),
                    )
                    .label(second.key.span, "second kind")
                    .label(first.key.span, "first kind")
                    .help("split it into two steps, the second with `needs` on the first"),
                );
                return None;
            }
            ([], [_, _, ..]) => {
                for entry in &rest {
                    self.unknown_step_key(entry, None);
                }
                return None;
            }
        };
        for entry in rest.iter().filter(|e| !std::ptr::eq(**e, kind_entry)) {
            self.unknown_step_key(entry, Some(&kind_entry.key.value));
        }
        let name = Spanned::new(kind_entry.key.value.clone(), kind_entry.key.span);
        let value = &kind_entry.value;
        match name.value.as_str() {
            "branch" | "triage" => {
                let keyword = if name.value == "branch" {
                    BranchKeyword::Branch
                } else {
                    BranchKeyword::Triage
                };
                self.branch(Spanned::new(keyword, name.span), value)
                    .map(Action::Branch)
            }
            "manual" => {
                let instructions = self.text(value, "`manual` instructions")?;
                Some(Action::Manual {
                    instructions,
                    span: name.span.to(value.span),
                })
            }
            "ask" => self.ask(value, name.span).map(Action::Ask),
            _ => Some(Action::Kind {
                name,
                params: value.clone(),
            }),
        }
    }

    fn unknown_step_key(&mut self, entry: &Entry, kind: Option<&str>) {
        let key = entry.key.value.as_str();
        let schema = kind.and_then(|k| self.catalog.kind(k));
        if let Some(schema) = schema.filter(|s| s.param(key).is_some()) {
            let shorthand = schema.shorthand.unwrap_or("...");
            self.error(
                Diagnostic::error(
                    Code::UnknownField,
                    format!("`{key}` is a parameter of the `{}` kind, not a field of the step", schema.name),
                )
                .label(entry.key.span, format!("belongs under `{}`", schema.name))
                .help(format!(
                    "write the kind in its long form, with `{key}` beside `{shorthand}`: `{kind}: {{{shorthand}: ..., {key}: ...}}` (YAML) or `{kind} {{ {shorthand} ... {key} ... }}` (.runbook)",
                    kind = schema.name
                )),
            );
            return;
        }
        let mut candidates: Vec<&str> = STEP_FIELDS.to_vec();
        candidates.extend(LANGUAGE_KINDS);
        candidates.extend(self.catalog.kind_names());
        let help = suggest::help_for("field", key, candidates.iter().copied());
        self.error(
            Diagnostic::error(
                Code::UnknownField,
                format!("a step has no field or kind `{key}`"),
            )
            .label(entry.key.span, "unknown field")
            .with_help(help),
        );
    }

    fn effect(&mut self, node: &Node) -> Option<Spanned<Effect>> {
        let word = self.string(node, "`effect`")?;
        match Effect::parse(&word.value) {
            Some(effect) => Some(Spanned::new(effect, node.span)),
            None => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("`{}` is not an effect", word.value),
                    )
                    .label(node.span, "unknown effect")
                    .with_help(suggest::help_for(
                        "effect",
                        &word.value,
                        ["read", "write", "destructive"],
                    )),
                );
                None
            }
        }
    }

    fn approval(&mut self, node: &Node) -> Option<Approval> {
        match &node.value {
            Value::Bool(true) => Some(Approval {
                question: None,
                span: node.span,
            }),
            Value::Bool(false) => None,
            Value::Str(text) => Some(Approval {
                question: Some(text.clone()),
                span: node.span,
            }),
            Value::Map(_) => {
                let mut fields = self.fields(node, "`approval`")?;
                let question = fields
                    .take("question")
                    .and_then(|n| self.text(n, "the approval `question`"));
                self.unknown_fields(&fields, &["question"], "an approval");
                Some(Approval {
                    question,
                    span: node.span,
                })
            }
            _ => {
                self.wrong_type(
                    node,
                    "`approval`",
                    "a question, `true`, or `{question: ...}`",
                );
                None
            }
        }
    }

    fn retry(&mut self, node: &Node) -> Option<Retry> {
        let (attempts_node, delay, backoff) = match &node.value {
            Value::Int(_) => (node, None, None),
            Value::Map(_) => {
                let mut fields = self.fields(node, "`retry`")?;
                let attempts = fields.take("attempts");
                let delay = fields
                    .take("delay")
                    .and_then(|n| self.duration(n, "the retry `delay`"));
                let backoff = fields
                    .take("backoff")
                    .and_then(|n| self.float(n, "the retry `backoff`"));
                self.unknown_fields(&fields, &["attempts", "delay", "backoff"], "`retry`");
                let Some(attempts) = attempts else {
                    self.error(
                        Diagnostic::error(Code::MissingField, "`retry` needs `attempts`")
                            .label(node.span, "how many attempts?")
                            .help("e.g. `retry: {attempts: 3, delay: 2s}`"),
                    );
                    return None;
                };
                (attempts, delay, backoff)
            }
            _ => {
                self.wrong_type(
                    node,
                    "`retry`",
                    "a number of attempts or `{attempts, delay, backoff}`",
                );
                return None;
            }
        };
        let attempts = match attempts_node.value {
            Value::Int(n) if (1..=1000).contains(&n) => Spanned::new(n as u32, attempts_node.span),
            Value::Int(n) => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("{n} is not a number of attempts"),
                    )
                    .label(attempts_node.span, "out of range")
                    .help("attempts count the first try too: use 1 to 1000"),
                );
                return None;
            }
            _ => {
                self.wrong_type(attempts_node, "retry `attempts`", "an integer");
                return None;
            }
        };
        if let Some(b) = &backoff {
            if !(1.0..=10.0).contains(&b.value) {
                self.error(
                    Diagnostic::error(Code::InvalidValue, format!("a backoff of {} is out of range", b.value))
                        .label(b.span, "out of range")
                        .help("the delay is multiplied by the backoff after each attempt: use 1 (constant) to 10"),
                );
            }
        }
        Some(Retry {
            attempts,
            delay,
            backoff,
            span: node.span,
        })
    }

    fn until(&mut self, node: &Node) -> Option<Until> {
        if !matches!(node.value, Value::Map(_)) {
            let condition = self.expression(node, "`until`")?;
            return Some(Until {
                condition,
                every: None,
                within: None,
                span: node.span,
            });
        }
        let mut fields = self.fields(node, "`until`")?;
        let condition = fields.take("condition");
        let every = fields
            .take("every")
            .and_then(|n| self.duration(n, "`every`"));
        let within = fields
            .take("within")
            .and_then(|n| self.duration(n, "`within`"));
        self.unknown_fields(&fields, &["condition", "every", "within"], "`until`");
        let Some(condition) = condition else {
            self.error(
                Diagnostic::error(Code::MissingField, "`until` needs a `condition`")
                    .label(node.span, "poll until what?")
                    .help("e.g. `until: {condition: \"steps.health.status == 200\", every: 2s, within: 5m}`"),
            );
            return None;
        };
        let condition = self.expression(condition, "the `until` condition")?;
        Some(Until {
            condition,
            every,
            within,
            span: node.span,
        })
    }

    fn on_failure(&mut self, node: &Node) -> Option<Spanned<OnFailure>> {
        match &node.value {
            Value::Str(text) => match text.value.as_str() {
                "abort" => Some(Spanned::new(OnFailure::Abort, node.span)),
                "continue" => Some(Spanned::new(OnFailure::Continue, node.span)),
                other => {
                    self.error(
                        Diagnostic::error(Code::InvalidValue, format!("`{other}` is not a failure policy"))
                            .label(node.span, "expected `abort`, `continue` or `{goto: STEP}`")
                            .help(match suggest::did_you_mean(other, ["abort", "continue"]) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!("to go to a step when this one fails, write `on_failure: {{goto: {other}}}` (YAML) or `on_failure goto {other}` (.runbook)"),
                            }),
                    );
                    None
                }
            },
            Value::Map(_) => {
                let mut fields = self.fields(node, "`on_failure`")?;
                let target = fields.take("goto");
                self.unknown_fields(&fields, &["goto"], "`on_failure`");
                let Some(target) = target else {
                    self.error(
                        Diagnostic::error(Code::MissingField, "`on_failure` needs `goto`")
                            .label(node.span, "go where?")
                            .help("write `{goto: STEP}`"),
                    );
                    return None;
                };
                let target = self.ident(target, "step id")?;
                Some(Spanned::new(OnFailure::Goto(target), node.span))
            }
            _ => {
                self.wrong_type(
                    node,
                    "`on_failure`",
                    "`abort`, `continue` or `{goto: STEP}`",
                );
                None
            }
        }
    }

    fn outputs(&mut self, node: &Node) -> Vec<Output> {
        let Some(fields) = self.fields(node, "`outputs`") else {
            return Vec::new();
        };
        let entries: Vec<&Entry> = fields.entries.clone();
        entries.into_iter().filter_map(|e| self.output(e)).collect()
    }

    fn output(&mut self, entry: &Entry) -> Option<Output> {
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
        if let Some(regex) = &output.regex {
            // Parsing validates the pattern as `regex` will compile it at run
            // time, without the cost of building its automaton now.
            if let Err(error) = regex_syntax::Parser::new().parse(&regex.value) {
                self.error(
                    Diagnostic::error(Code::InvalidRegex, "the output's regular expression does not compile")
                        .label(regex.span, first_line(&error.to_string()))
                        .help("regular expressions use Rust `regex` syntax; capture group 1 is the value when present"),
                );
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
    fn output_default(&mut self, output: &Output) {
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

    fn value_type(&mut self, node: &Node) -> Option<Spanned<ValueType>> {
        let word = self.string(node, "an output `type`")?;
        match ValueType::parse(&word.value) {
            Some(t) => Some(Spanned::new(t, node.span)),
            None => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("`{}` is not a value type", word.value),
                    )
                    .label(node.span, "unknown type")
                    .with_help(suggest::help_for(
                        "type",
                        &word.value,
                        ValueType::ALL.iter().map(|t| t.name()),
                    )),
                );
                None
            }
        }
    }

    fn branch(&mut self, keyword: Spanned<BranchKeyword>, node: &Node) -> Option<Branch> {
        let Some(items) = node.as_seq() else {
            self.wrong_type(
                node,
                &format!("`{}`", keyword.value.name()),
                "a list of cases",
            );
            return None;
        };
        let mut cases = Vec::new();
        let mut otherwise: Option<Spanned<String>> = None;
        for item in items {
            let Some(mut fields) = self.fields(item, "a case") else {
                continue;
            };
            let when = fields.take("when");
            let then = fields.take("then");
            let else_ = fields.take("else");
            self.unknown_fields(&fields, &["when", "then", "else"], "a case");
            if let Some(previous) = &otherwise {
                self.error(
                    Diagnostic::error(
                        Code::UnreachableCase,
                        "a case after `else` can never be taken",
                    )
                    .label(item.span, "after `else`")
                    .label(previous.span, "`else` is here")
                    .help("`else` must be the last case"),
                );
                continue;
            }
            match (when, then, else_) {
                (None, None, Some(target)) => otherwise = self.ident(target, "step id"),
                (Some(w), Some(t), None) => {
                    let when = self.expression(w, "a case condition");
                    let then = self.ident(t, "step id");
                    if let (Some(when), Some(then)) = (when, then) {
                        cases.push(Case {
                            when,
                            then,
                            span: item.span,
                        });
                    }
                }
                (Some(_), None, None) => self.error(
                    Diagnostic::error(Code::MissingField, "a case has no `then`")
                        .label(item.span, "which step runs when this holds?")
                        .help("write `- when: CONDITION` and `then: STEP`"),
                ),
                (None, Some(_), None) => self.error(
                    Diagnostic::error(Code::MissingField, "a case has no `when`")
                        .label(item.span, "taken when what holds?")
                        .help("write `when: CONDITION` before `then`, or use `else: STEP` for the fallback"),
                ),
                _ => self.error(
                    Diagnostic::error(Code::InvalidValue, "a case is `when` + `then`, or `else` alone")
                        .label(item.span, "this case")
                        .help("e.g. `- when: steps.classify.answer == \"workload\"` / `then: workload`, and a last `- else: escalate`"),
                ),
            }
        }
        if cases.is_empty() && otherwise.is_none() {
            self.error(
                Diagnostic::error(
                    Code::EmptyBranch,
                    format!("the {} has no cases", keyword.value.name()),
                )
                .label(keyword.span.to(node.span), "no cases")
                .help("add cases `when: CONDITION` / `then: STEP`"),
            );
        }
        Some(Branch {
            span: keyword.span.to(node.span),
            keyword,
            cases,
            otherwise,
        })
    }

    fn ask(&mut self, node: &Node, keyword: Span) -> Option<Ask> {
        let span = keyword.to(node.span);
        if let Value::Str(question) = &node.value {
            return Some(Ask {
                question: question.clone(),
                answer: AnswerType::Text,
                default: None,
                span,
            });
        }
        let mut fields = self.fields(node, "`ask`")?;
        let question = fields.take("question");
        let choices = fields.take("choices");
        let ty = fields.take("type");
        let min = fields.take("min").and_then(|n| self.float(n, "`min`"));
        let max = fields.take("max").and_then(|n| self.float(n, "`max`"));
        let default = match fields.take("default") {
            Some(d) => match d.scalar_string() {
                Some(value) => Some(Spanned::new(value, d.span)),
                None => {
                    self.error(
                        Diagnostic::error(Code::WrongType, "an answer's `default` is one value")
                            .label(d.span, "not a single value")
                            .help("write the answer taken when the step's `timeout` passes, such as `default: sev2`"),
                    );
                    None
                }
            },
            None => None,
        };
        self.unknown_fields(
            &fields,
            &["question", "choices", "type", "min", "max", "default"],
            "`ask`",
        );
        let question = match question {
            Some(q) => self.text(q, "the question")?,
            None => {
                self.error(
                    Diagnostic::error(Code::MissingField, "`ask` needs a `question`")
                        .label(keyword, "ask what?")
                        .help("e.g. `question: Is this a workload error or a platform error?`"),
                );
                return None;
            }
        };
        let ty_word = match ty {
            Some(t) => Some((self.string(t, "the answer `type`")?, t.span)),
            None => None,
        };
        let answer = match ty_word.as_ref().map(|(w, s)| (w.value.as_str(), *s)) {
            None | Some(("choice", _)) => match choices {
                Some(c) => AnswerType::Choice(self.choices(c)),
                None if ty_word.is_none() => AnswerType::Text,
                None => {
                    self.error(
                        Diagnostic::error(
                            Code::EmptyChoices,
                            "a choice question must list its `choices`",
                        )
                        .label(span, "no choices")
                        .help("add `choices: [a, b]`"),
                    );
                    AnswerType::Choice(Vec::new())
                }
            },
            Some(("number", _)) => AnswerType::Number { min, max },
            Some(("text", _)) => AnswerType::Text,
            Some((other, at)) => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("`{other}` is not an answer type"),
                    )
                    .label(at, "unknown answer type")
                    .with_help(suggest::help_for(
                        "answer type",
                        other,
                        ["choice", "number", "text"],
                    )),
                );
                return None;
            }
        };
        if choices.is_some() && !matches!(answer, AnswerType::Choice(_)) {
            self.error(
                Diagnostic::error(Code::InvalidValue, "only a choice question has `choices`")
                    .label(span, "not a choice question")
                    .help("remove `type`, or remove `choices`"),
            );
        }
        Some(Ask {
            question,
            answer,
            default,
            span,
        })
    }
}

/// `an int`, `a string`.
/// The path of this dialect a kubectl-style `{.status.readyReplicas}` means.
fn kubectl_form(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?.trim();
    let inner = inner.strip_prefix('$').unwrap_or(inner);
    let inner = inner.strip_prefix('.').unwrap_or(inner);
    Some(format!("$.{inner}"))
}

fn article(word: &str) -> String {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {word}")
    } else {
        format!("a {word}")
    }
}

/// The id a step was written with, whatever its validity.
fn fields_id(node: &Node) -> Option<Spanned<String>> {
    let id = node.get("id")?;
    Some(Spanned::new(id.scalar_string()?, id.span))
}

/// Whether a name can be used as a step, input or output id.
pub fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `500ms`, `30s`, `5m`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("it is empty".into());
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err("it has no unit".into());
    }
    humantime::parse_duration(trimmed).map_err(|e| e.to_string())
}

fn first_line(text: &str) -> String {
    text.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("invalid")
        .trim()
        .to_string()
}
