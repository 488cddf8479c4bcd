//! Resolving `inputs.X`, `steps.ID.FIELD` and `steps.ID.outputs.NAME` in
//! expressions and templates: unknown names, results that are not upstream,
//! the type of what is read, and whether a secret flows through it.

use crate::ast::{Action, AnswerType, Output, Playbook, Step};
use crate::catalog::{Catalog, KindSchema};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Scope, Type};
use crate::graph::Ancestry;
use crate::path::Path;
use crate::source::Spanned;
use crate::suggest;
use std::collections::HashMap;

mod loops;
mod step_types;
pub(crate) use loops::literal_element_type;
use step_types::result_type;
pub(super) use step_types::{output_type, primary_result, result_names, StepTypes};

/// Resolves references made by one step.
pub(super) struct References<'a, 'b> {
    playbook: &'a Playbook,
    index: &'b HashMap<&'a str, usize>,
    types: &'b StepTypes<'a>,
    current: usize,
    /// Whether what is upstream of the current step is known (a cycle can
    /// make it unknowable; then reads are not checked against it).
    upstream_known: bool,
    /// Which steps are upstream of which.
    ancestry: &'b Ancestry,
    allow_self: bool,
    reads: Vec<usize>,
    /// The steps read through a result that may carry a secret (all reads
    /// but of outputs declared `secret: false`): a secret they used flows
    /// in.
    secret_reads: Vec<usize>,
    uses_secret: bool,
    /// The element of the current step's loop and its type, where readable.
    element: Option<(&'a str, Type)>,
    /// Where the reader is when the element is not bound, for the diagnostic.
    unbound_because: &'static str,
    /// The computed values, once checked; `None` while they are.
    vars: Option<&'b super::vars::Vars>,
    /// Values read (indices into `vars`), with the values they need.
    vars_read: Vec<usize>,
    /// A secret flows in where it can reach the step's results.
    reaches_results: bool,
    /// What is checked now is a parameter that only opens a connection.
    in_credential: bool,
}

impl<'a, 'b> References<'a, 'b> {
    pub(super) fn new(
        playbook: &'a Playbook,
        index: &'b HashMap<&'a str, usize>,
        types: &'b StepTypes<'a>,
        current: usize,
        upstream_known: bool,
        ancestry: &'b Ancestry,
    ) -> References<'a, 'b> {
        References {
            playbook,
            index,
            types,
            current,
            upstream_known,
            ancestry,
            allow_self: false,
            reads: Vec::new(),
            secret_reads: Vec::new(),
            uses_secret: false,
            element: None,
            unbound_because: "here",
            vars: None,
            vars_read: Vec::new(),
            reaches_results: false,
            in_credential: false,
        }
    }

    /// The references of a computed value: no current step, so reads are
    /// not checked against an upstream (the readers of the value are).
    pub(super) fn for_vars(
        playbook: &'a Playbook,
        index: &'b HashMap<&'a str, usize>,
        types: &'b StepTypes<'a>,
        ancestry: &'b Ancestry,
    ) -> References<'a, 'b> {
        References::new(playbook, index, types, usize::MAX, false, ancestry)
    }

    /// The computed values a step may read as `vars.NAME`.
    pub(super) fn with_vars(&mut self, vars: &'b super::vars::Vars) {
        self.vars = Some(vars);
    }

    /// The playbook whose names are resolved.
    pub(super) fn playbook(&self) -> &'a Playbook {
        self.playbook
    }

    /// The computed values, once checked.
    pub(super) fn computed(&self) -> Option<&'b super::vars::Vars> {
        self.vars
    }

    /// The values read, with those they are computed from, in plan order.
    pub(super) fn take_vars_read(&mut self) -> Vec<usize> {
        let mut read = std::mem::take(&mut self.vars_read);
        if let Some(vars) = self.vars {
            read = read
                .into_iter()
                .filter_map(|v| vars.plan_position(v))
                .collect();
        }
        read.sort_unstable();
        read.dedup();
        read
    }

    fn resolve_var(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        let Some(vars) = self.vars else {
            return Type::Any;
        };
        let Some(name) = path.key(1) else {
            diags.push(
                Diagnostic::error(Code::InvalidPath, "`vars` alone is not a value")
                    .label(path.span, "name a value")
                    .help("write `vars.NAME`"),
            );
            return Type::Any;
        };
        let Some(&v) = vars.index.get(name) else {
            diags.push(super::vars::unknown_var(self.playbook, path, name));
            return Type::Any;
        };
        let info = &vars.infos[v];
        self.vars_read.push(v);
        self.vars_read.extend(&info.needs);
        if info.uses_secret {
            self.uses_secret = true;
        }
        let at = path.span;
        for &target in &info.steps {
            self.reads.push(target);
            self.check_upstream(target, at, diags);
        }
        for &target in &info.secret_steps {
            self.secret_reads.push(target);
            if self.types.uses_secret[target] {
                self.uses_secret = true;
            }
        }
        super::vars::field_of(&info.ty, path, diags)
    }

    /// From here on the step may read its own results (`until` polls them).
    pub(super) fn allow_self(&mut self) {
        self.allow_self = true;
    }

    pub(super) fn take_reads(&mut self) -> Vec<usize> {
        let mut reads = std::mem::take(&mut self.reads);
        reads.sort_unstable();
        reads.dedup();
        reads
    }

    /// See [`References::secret_reads`].
    pub(super) fn take_secret_reads(&mut self) -> Vec<usize> {
        let mut reads = std::mem::take(&mut self.secret_reads);
        reads.sort_unstable();
        reads.dedup();
        reads
    }

    pub(super) fn uses_secret(&self) -> bool {
        self.uses_secret
    }

    pub(super) fn secret_reaches_results(&self) -> bool {
        self.reaches_results
    }

    /// Whether what is checked next is a parameter that only opens a
    /// connection (a secret there does not reach the results).
    pub(super) fn set_in_credential(&mut self, in_credential: bool) {
        self.in_credential = in_credential;
    }

    /// A secret flows in (`reaches`: one that can reach what it reads).
    fn secret_flows(&mut self, reaches: bool) {
        self.uses_secret = true;
        if reaches && !self.in_credential {
            self.reaches_results = true;
        }
    }

    fn current_step(&self) -> &'a Step {
        &self.playbook.steps[self.current]
    }

    fn find_step(
        &mut self,
        id: &str,
        span: crate::source::Span,
        diags: &mut Diagnostics,
    ) -> Option<usize> {
        if let Some(&i) = self.index.get(id) {
            return Some(i);
        }
        if self.playbook.unreadable_steps.iter().any(|s| s.value == id) {
            return None;
        }
        diags.push(
            Diagnostic::error(Code::UnknownStep, format!("there is no step `{id}`"))
                .label(span, "unknown step")
                .with_help(suggest::help_for(
                    "step",
                    id,
                    self.playbook.steps.iter().map(|s| s.id.value.as_str()),
                )),
        );
        None
    }

    /// Reports a read of a step that cannot have run before the current one.
    fn check_upstream(
        &mut self,
        target: usize,
        span: crate::source::Span,
        diags: &mut Diagnostics,
    ) -> bool {
        if target == self.current {
            if self.allow_self {
                return true;
            }
            let id = &self.current_step().id.value;
            diags.push(
                Diagnostic::error(Code::NotUpstream, format!("step `{id}` reads its own result before it has run"))
                    .label(span, "read here")
                    .help("a step's own results can be read in its `until` condition and outputs, not in `when` or its parameters"),
            );
            return false;
        }
        if !self.upstream_known || self.ancestry.is_upstream(target, self.current) {
            return true;
        }
        let current = &self.current_step().id.value;
        let target_id = &self.playbook.steps[target].id.value;
        let downstream = self.ancestry.is_upstream(self.current, target);
        let (label, help) = if downstream {
            (
                format!("`{target_id}` runs after `{current}`"),
                format!("`{target_id}` comes after `{current}` in the graph, so its results do not exist yet when `{current}` runs; read them in a step that needs `{target_id}`"),
            )
        } else if (0..self.playbook.steps.len())
            .all(|i| i == self.current || !self.ancestry.is_upstream(i, self.current))
        {
            // Nothing leads to it: it starts with the run. Often a branch
            // case or an `else` that named it was removed.
            (
                format!("`{target_id}` may not have run yet"),
                format!("add `{target_id}` to the `needs` of `{current}` so that it runs first; nothing leads to `{current}` now, so it starts with the run (if a branch case or `else` used to name it, give it back)"),
            )
        } else {
            (
                format!("`{target_id}` may not have run yet"),
                format!("add `{target_id}` to the `needs` of `{current}` so that it runs first"),
            )
        };
        diags.push(
            Diagnostic::error(
                Code::NotUpstream,
                format!(
                    "step `{current}` reads a result of `{target_id}`, which is not upstream of it"
                ),
            )
            .label(span, label)
            .label(
                self.playbook.steps[target].id.span,
                format!("`{target_id}` is defined here"),
            )
            .help(help),
        );
        false
    }

    fn resolve_input(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        let Some(name) = path.segments.get(1) else {
            diags.push(
                Diagnostic::error(Code::InvalidPath, "`inputs` alone is not a value")
                    .label(path.span, "name an input")
                    .with_help(input_help(self.playbook)),
            );
            return Type::Any;
        };
        let Some(key) = name.value.as_key() else {
            diags.push(
                Diagnostic::error(Code::InvalidPath, "inputs are named, not numbered")
                    .label(name.span, "expected an input name"),
            );
            return Type::Any;
        };
        let Some(position) = self
            .playbook
            .inputs
            .iter()
            .position(|i| i.name.value == key)
        else {
            diags.push(
                Diagnostic::error(Code::UnknownInput, format!("there is no input `{key}`"))
                    .label(name.span, "unknown input")
                    .with_help(
                        suggest::help_for(
                            "input",
                            key,
                            self.playbook.inputs.iter().map(|i| i.name.value.as_str()),
                        )
                        .or_else(|| {
                            Some(format!(
                                "declare it under `inputs:` as `{key}: {{type: string}}`"
                            ))
                        }),
                    ),
            );
            return Type::Any;
        };
        if let Some(read) = self.types.inputs_read.borrow_mut().get_mut(position) {
            *read = true;
        }
        let input = &self.playbook.inputs[position];
        if input.is_secret() {
            self.secret_flows(true);
        }
        let ty = Type::from_input_type(&input.ty.value);
        if let Some(extra) = path.segments.get(2) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidPath,
                    format!(
                        "the input `{key}` is a {}, it has no fields",
                        input.ty.value.name()
                    ),
                )
                .label(path.span_from(2), "no such field")
                .label(extra.span, "remove this"),
            );
            return Type::Any;
        }
        ty
    }

    fn resolve_step_path(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        let Some(id_segment) = path.segments.get(1) else {
            diags.push(
                Diagnostic::error(Code::InvalidPath, "`steps` alone is not a value")
                    .label(path.span, "name a step")
                    .help("write `steps.ID.FIELD` or `steps.ID.outputs.NAME`"),
            );
            return Type::Any;
        };
        let Some(id) = id_segment.value.as_key() else {
            diags.push(
                Diagnostic::error(Code::InvalidPath, "steps are named, not numbered")
                    .label(id_segment.span, "expected a step id"),
            );
            return Type::Any;
        };
        let Some(target) = self.find_step(id, id_segment.span, diags) else {
            return Type::Any;
        };
        self.reads.push(target);
        self.check_upstream(target, id_segment.span, diags);
        let step = &self.playbook.steps[target];
        // An output its author declared `secret: false` carries no secret,
        // whatever the step read: what reads it (a computed value, a
        // question) is not masked for it.
        let declared_plain = path.key(2) == Some("outputs")
            && path
                .key(3)
                .and_then(|name| step.outputs.iter().find(|o| o.name.value == name))
                .is_some_and(|o| o.secret.as_ref().is_some_and(|s| !s.value));
        if !declared_plain {
            self.secret_reads.push(target);
            if self.types.uses_secret[target] {
                self.secret_flows(self.types.reaches_results[target]);
            }
        }
        let schema = self.types.schema(step);
        if path.segments.get(2).is_none() {
            let results = result_names(step, schema).unwrap_or_default().join("`, `");
            diags.push(
                Diagnostic::error(Code::InvalidPath, format!("`steps.{id}` is a step, not a value"))
                    .label(path.span, "name one of its results")
                    .help(if results.is_empty() {
                        format!("write `steps.{id}.outputs.NAME`, or use `succeeded({id})` for its state")
                    } else {
                        format!("its results are `{results}`; or `steps.{id}.outputs.NAME`; or `succeeded({id})` for its state")
                    }),
            );
            return Type::Any;
        }
        let iterated = step.for_each.is_some() && !(target == self.current && self.allow_self);
        if iterated {
            return self.resolve_loop_results(id, step, schema, path, diags);
        }
        self.resolve_result(id, step, schema, path, 2, diags)
    }

    /// `FIELD`, `outputs.NAME` and what follows, read from position `at` of
    /// `path` in the results of one run of `step` (the step itself, or one
    /// element of a loop: `results[0].FIELD`).
    fn resolve_result(
        &mut self,
        id: &str,
        step: &'a Step,
        schema: Option<&KindSchema>,
        path: &Path,
        at: usize,
        diags: &mut Diagnostics,
    ) -> Type {
        let Some(field_segment) = path.segments.get(at) else {
            return Type::Map;
        };
        let Some(field) = field_segment.value.as_key() else {
            diags.push(
                Diagnostic::error(
                    Code::InvalidPath,
                    "a step's results are named, not numbered",
                )
                .label(field_segment.span, "expected a result name"),
            );
            return Type::Any;
        };
        let (ty, consumed) = if field == "outputs" {
            let Some(name_segment) = path.segments.get(at + 1) else {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidPath,
                        format!("`steps.{id}.outputs` needs an output name"),
                    )
                    .label(path.span, "which output?")
                    .with_help(outputs_help(step)),
                );
                return Type::Any;
            };
            let name = name_segment.value.as_key().unwrap_or_default();
            let Some(output) = step.outputs.iter().find(|o| o.name.value == name) else {
                let declared = suggest::help_for(
                    "output",
                    name,
                    step.outputs.iter().map(|o| o.name.value.as_str()),
                );
                // A kind whose own result is named `outputs` (`playbook`:
                // the called playbook's outputs): `steps.ID.outputs` is the
                // step's declared outputs, so that result is read through one.
                let kind_outputs = result_type(step, schema, "outputs").map(|_| {
                    let rest: Vec<String> = path.segments[at + 1..]
                        .iter()
                        .filter_map(|s| s.value.as_key().map(str::to_string))
                        .collect();
                    format!(
                        "`steps.{id}.outputs` names the outputs `{id}` declares; the kind's result `outputs` (the called playbook's outputs, `outputs.STEP.NAME`) is read by declaring one from it: `outputs: {{{name}: {{from: outputs, json: $.{}}}}}`, then `steps.{id}.outputs.{name}`",
                        rest.join(".")
                    )
                });
                let help = declared.or(kind_outputs)
                    .unwrap_or_else(|| format!("step `{id}` declares no outputs; capture one with `outputs: {{{name}: stdout}}`"));
                diags.push(
                    Diagnostic::error(
                        Code::UnknownOutput,
                        format!("step `{id}` has no output `{name}`"),
                    )
                    .label(name_segment.span, "unknown output")
                    .help(help),
                );
                return Type::Any;
            };
            if output.is_secret() {
                self.secret_flows(true);
            }
            (output_type(step, schema, output), at + 2)
        } else {
            match result_type(step, schema, field) {
                Some(ty) => (ty, at + 1),
                // What the step said as it ended, whatever its kind (an
                // element's is `results[i].message`).
                None if field == "message" && at == 2 => (Type::String, at + 1),
                None => {
                    let Some(results) = result_names(step, schema) else {
                        return Type::Any;
                    };
                    let mut candidates = results.clone();
                    candidates.push("outputs");
                    let mut help = suggest::help_for("result", field, candidates.iter().copied());
                    if step.outputs.iter().any(|o| o.name.value == field) {
                        help = Some(format!(
                            "`{field}` is an output: write `steps.{id}.outputs.{field}`"
                        ));
                    }
                    diags.push(
                        Diagnostic::error(
                            Code::UnknownResult,
                            format!(
                                "a `{}` step has no result `{field}`",
                                step.action.kind_name()
                            ),
                        )
                        .label(field_segment.span, "unknown result")
                        .with_help(help),
                    );
                    return Type::Any;
                }
            }
        };
        if path.segments.len() > consumed {
            let help = "declare the output with `type: map` or `json:` to read into it";
            return super::vars::read_into(&ty, path, consumed, Some(help), diags);
        }
        ty
    }
}

fn input_help(playbook: &Playbook) -> Option<String> {
    let names: Vec<String> = playbook
        .inputs
        .iter()
        .map(|i| format!("`inputs.{}`", i.name.value))
        .collect();
    (!names.is_empty()).then(|| format!("the inputs are {}", names.join(", ")))
}

fn outputs_help(step: &Step) -> Option<String> {
    let names: Vec<String> = step
        .outputs
        .iter()
        .map(|o| format!("`{}`", o.name.value))
        .collect();
    (!names.is_empty()).then(|| format!("its outputs are {}", names.join(", ")))
}

impl Scope for References<'_, '_> {
    fn resolve(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        match path.key(0) {
            Some("inputs") => self.resolve_input(path, diags),
            Some("steps") => self.resolve_step_path(path, diags),
            Some("vars") => self.resolve_var(path, diags),
            Some(other) => {
                let other = other.to_string();
                if let Some(ty) = self.resolve_other(&other, path, diags) {
                    return ty;
                }
                let help = if self.playbook.inputs.iter().any(|i| i.name.value == other) {
                    format!("inputs are read as `inputs.{other}`")
                } else if self.index.contains_key(other.as_str()) {
                    format!("a step's results are read as `steps.{other}.FIELD`")
                } else if self
                    .vars
                    .is_some_and(|v| v.index.contains_key(other.as_str()))
                {
                    format!("a computed value is read as `vars.{other}`")
                } else {
                    "a value is `inputs.NAME`, `steps.ID.FIELD`, `steps.ID.outputs.NAME` or `vars.NAME`"
                        .to_string()
                };
                let first = path.segments.first().map(|s| s.span).unwrap_or(path.span);
                diags.push(
                    Diagnostic::error(
                        Code::InvalidPath,
                        format!("`{other}` is not something a playbook can read"),
                    )
                    .label(first, "unknown name")
                    .help(help),
                );
                Type::Any
            }
            None => Type::Any,
        }
    }

    fn step(&mut self, id: &Spanned<String>, diags: &mut Diagnostics) {
        if let Some(target) = self.find_step(&id.value, id.span, diags) {
            self.reads.push(target);
            self.check_upstream(target, id.span, diags);
        }
    }
}
