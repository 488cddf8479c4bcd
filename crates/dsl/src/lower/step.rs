//! A step: its id, kind, action parameters, effect and lint allowances.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Entry, Node};
use crate::source::{Span, Spanned};
use crate::suggest;

impl Lowerer<'_> {
    pub(super) fn steps(&mut self, node: &Node) -> Vec<Step> {
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

    pub(super) fn step(&mut self, node: &Node) -> Option<Step> {
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
        let approval = fields
            .take("approval")
            .and_then(|n| self.approval(n))
            .map(Box::new);
        let timeout = fields
            .take("timeout")
            .and_then(|n| self.duration(n, "`timeout`"));
        let retry = fields
            .take("retry")
            .and_then(|n| self.retry(n))
            .map(Box::new);
        let until = fields
            .take("until")
            .and_then(|n| self.until(n))
            .map(Box::new);
        let on_failure = fields.take("on_failure").and_then(|n| self.on_failure(n));
        let outputs = fields
            .take("outputs")
            .map(|n| self.outputs(n))
            .unwrap_or_default();
        let lint = fields
            .take("lint")
            .and_then(|n| self.lint_allow(n))
            .map(Box::new);
        let for_each = self.for_each(&mut fields).map(Box::new);
        let output_cap = fields
            .take("output_cap")
            .and_then(|n| self.output_cap(n))
            .map(Box::new);
        let finally = fields
            .take("finally")
            .and_then(|n| self.bool(n, "`finally`"))
            .filter(|b| b.value)
            .map(|b| Box::new(b.span));
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
            for_each,
            output_cap,
            finally,
            span: node.span,
        })
    }

    pub(super) fn lint_allow(&mut self, node: &Node) -> Option<LintAllow> {
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
    pub(super) fn action(
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
            "ask" => self
                .ask(value, name.span)
                .map(|ask| Action::Ask(Box::new(ask))),
            _ => Some(Action::Kind {
                name,
                params: value.clone(),
            }),
        }
    }

    pub(super) fn unknown_step_key(&mut self, entry: &Entry, kind: Option<&str>) {
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
        if let Some((field, long_form)) = nested_field(key) {
            self.error(
                Diagnostic::error(
                    Code::UnknownField,
                    format!("`{key}` is a field of `{field}`, not of the step"),
                )
                .label(entry.key.span, format!("belongs under `{field}`"))
                .help(format!("write `{field}` in its long form: {long_form}")),
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

    pub(super) fn effect(&mut self, node: &Node) -> Option<Spanned<Effect>> {
        self.word(node, "`effect`", Effect::parse, |word| {
            Diagnostic::error(Code::InvalidValue, format!("`{word}` is not an effect"))
                .label(node.span, "unknown effect")
                .with_help(suggest::help_for(
                    "effect",
                    word,
                    ["read", "write", "destructive"],
                ))
        })
    }
}

/// A step field written one level too high: the fields of the long forms
/// of `until` and `retry` (`every: 2s` beside `until: EXPR`), with that
/// long form in both syntaxes.
fn nested_field(key: &str) -> Option<(&'static str, &'static str)> {
    match key {
        "every" | "within" => Some((
            "until",
            "`until: {condition: EXPR, every: 2s, within: 5m}` (YAML) or `every 2s within 5m until EXPR` (.runbook)",
        )),
        "attempts" | "delay" | "backoff" => Some((
            "retry",
            "`retry: {attempts: 3, delay: 2s, backoff: 2}` (YAML) or `retry 3 delay 2s backoff 2` (.runbook)",
        )),
        _ => None,
    }
}
