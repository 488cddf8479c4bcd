//! analyze: the checked playbook. Resolves every reference, parses every
//! expression and template, checks parameters against the kinds' schemas,
//! builds the step graph and rejects cycles — collecting every diagnostic
//! rather than stopping at the first. Only this module can build a [`Plan`].

pub(crate) mod branches;
mod durations;
mod effect;
mod failure_reads;
mod finally;
mod host_inputs;
mod iteration;
mod known_values;
mod literal_text;
mod output_sources;
mod params;
mod path_reachability;
mod reachability;
mod references;
mod skipped_reads;
mod subplaybook;
mod vars;

pub use branches::choices_of;
pub use subplaybook::{inputs_given, static_call_path, MAX_CALL_DEPTH};

use crate::ast::{Action, AnswerType, OnFailure, Playbook, Step};
use crate::catalog::{Catalog, KindSchema};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{self, Expr, Type};
use crate::graph::Ancestry;
use crate::graph::{Edge, EdgeKind, StepGraph};
use crate::node::Text;
use crate::plan::{Plan, StepPlan};
use crate::source::{SourceFile, Span, Spanned};
use crate::suggest;
use crate::template::{self, Template};
use fixedbitset::FixedBitSet;
use references::{References, StepTypes};
use std::collections::HashMap;

/// Checks a lowered playbook. Returns the plan when there is no error, else
/// the playbook back; the diagnostics (warnings included) go to `diags`.
pub fn analyze(
    file: &SourceFile,
    playbook: Playbook,
    catalog: &dyn Catalog,
    diags: &mut Diagnostics,
) -> Result<Plan, Box<Playbook>> {
    let mut analyzer = Analyzer::new(file, &playbook, catalog, diags);
    analyzer.index_steps();
    analyzer.build_graph();
    let order = analyzer.order();
    let ancestry = analyzer.graph.ancestry(&order);
    let mut plans: Vec<Option<StepPlan>> = (0..playbook.steps.len()).map(|_| None).collect();
    let mut types = StepTypes::new(&playbook, catalog);
    // Steps in dependency order, so whether a step handles a secret is known
    // before the steps that read its results are checked.
    let mut visit: Vec<usize> = order.clone();
    let mut placed = FixedBitSet::with_capacity(playbook.steps.len());
    for &i in &order {
        placed.insert(i);
    }
    visit.extend((0..playbook.steps.len()).filter(|i| !placed.contains(*i)));
    // Values are typed before the steps that read them; whether a step they
    // read handles a secret is looked up when a reader is checked (after
    // that step, in dependency order).
    let computed = vars::check(
        &playbook,
        &analyzer.index,
        &types,
        &ancestry,
        analyzer.diags,
    );
    let cap = analyzer.playbook_output_cap(&types, &ancestry, &computed);
    for &i in &visit {
        let plan = analyzer.step(i, &ancestry, &mut types, &computed);
        plans[i] = Some(plan);
    }
    let mut plans: Vec<StepPlan> = plans.into_iter().map(|p| p.unwrap_or_default()).collect();
    branches::check_exhaustive(&playbook, &plans, analyzer.diags);
    failure_reads::check(&playbook, &plans, analyzer.diags);
    finally::check(&playbook, analyzer.diags);
    finally::check_order(&playbook, &analyzer.graph, &ancestry, analyzer.diags);
    literal_text::check(&playbook, analyzer.diags);
    reachability::mark_unreachable(
        &playbook,
        &analyzer.graph,
        &order,
        &mut plans,
        analyzer.diags,
    );
    if !analyzer.diags.has_errors() {
        let vars = computed.by_name(&playbook);
        finally::check_reads(&playbook, &plans, &vars, analyzer.diags);
        path_reachability::check(
            &playbook,
            &analyzer.graph,
            &order,
            &plans,
            &vars,
            analyzer.diags,
        );
    }
    let graph = analyzer.graph;
    if diags.has_errors() {
        return Err(Box::new(playbook));
    }
    let mut var_plans = computed.plans(&playbook);
    for (plan, &v) in var_plans.iter_mut().zip(
        computed
            .order
            .iter()
            .filter(|&&v| computed.exprs[v].is_some()),
    ) {
        plan.uses_secret |= computed.infos[v]
            .secret_steps
            .iter()
            .any(|&s| types.step_uses_secret(s));
    }
    let unread = types.unread_inputs();
    Ok(Plan::new(file.clone(), playbook, graph, order, plans)
        .with_vars(var_plans, cap)
        .with_unread_inputs(unread))
}

struct Analyzer<'a> {
    file: &'a SourceFile,
    playbook: &'a Playbook,
    catalog: &'a dyn Catalog,
    diags: &'a mut Diagnostics,
    /// Step id -> index of its first definition.
    index: HashMap<&'a str, usize>,
    graph: StepGraph,
    /// Whether the graph has a cycle (then upstream checks are skipped).
    cyclic: bool,
}

impl<'a> Analyzer<'a> {
    fn new(
        file: &'a SourceFile,
        playbook: &'a Playbook,
        catalog: &'a dyn Catalog,
        diags: &'a mut Diagnostics,
    ) -> Analyzer<'a> {
        Analyzer {
            file,
            playbook,
            catalog,
            diags,
            index: HashMap::with_capacity(playbook.steps.len()),
            graph: StepGraph::new(playbook.steps.len()),
            cyclic: false,
        }
    }

    fn index_steps(&mut self) {
        for (i, step) in self.playbook.steps.iter().enumerate() {
            match self.index.get(step.id.value.as_str()) {
                Some(&first) => self.diags.push(
                    Diagnostic::error(
                        Code::DuplicateStep,
                        format!("two steps have the id `{}`", step.id.value),
                    )
                    .label(step.id.span, "defined again here")
                    .label(self.playbook.steps[first].id.span, "first defined here")
                    .help("step ids must be unique: rename one of them"),
                ),
                None => {
                    self.index.insert(step.id.value.as_str(), i);
                }
            }
        }
    }

    /// The index of a referenced step, or an `unknown_step` diagnostic.
    fn resolve_step(&mut self, name: &Spanned<String>, role: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(name.value.as_str()) {
            return Some(i);
        }
        if self
            .playbook
            .unreadable_steps
            .iter()
            .any(|s| s.value == name.value)
        {
            return None;
        }
        let help = suggest::help_for(
            "step",
            &name.value,
            self.playbook.steps.iter().map(|s| s.id.value.as_str()),
        );
        self.diags.push(
            Diagnostic::error(
                Code::UnknownStep,
                format!("there is no step `{}`", name.value),
            )
            .label(name.span, format!("{role} an unknown step"))
            .with_help(help),
        );
        None
    }

    fn build_graph(&mut self) {
        let playbook = self.playbook;
        for (i, step) in playbook.steps.iter().enumerate() {
            for need in &step.needs {
                if let Some(from) = self.resolve_step(need, "needs") {
                    if from == i {
                        self.self_reference(step, need.span, "needs");
                        continue;
                    }
                    self.graph.add_edge(
                        from,
                        i,
                        Edge {
                            kind: EdgeKind::Needs,
                            span: need.span,
                        },
                    );
                }
            }
            if let Action::Branch(branch) = &step.action {
                for (index, case) in branch.cases.iter().enumerate() {
                    if let Some(to) = self.resolve_step(&case.then, "goes to") {
                        if to == i {
                            self.self_reference(step, case.then.span, "a case of");
                            continue;
                        }
                        let condition = case.when.value.trim().to_string();
                        self.graph.add_edge(
                            i,
                            to,
                            Edge {
                                kind: EdgeKind::Case { index, condition },
                                span: case.then.span,
                            },
                        );
                    }
                }
                if let Some(otherwise) = &branch.otherwise {
                    if let Some(to) = self.resolve_step(otherwise, "goes to") {
                        if to == i {
                            self.self_reference(step, otherwise.span, "the `else` of");
                        } else {
                            self.graph.add_edge(
                                i,
                                to,
                                Edge {
                                    kind: EdgeKind::Else,
                                    span: otherwise.span,
                                },
                            );
                        }
                    }
                }
            }
            if let Some(Spanned {
                value: OnFailure::Goto(target),
                ..
            }) = &step.on_failure
            {
                if let Some(to) = self.resolve_step(target, "on failure goes to") {
                    if to == i {
                        self.self_reference(step, target.span, "the failure edge of");
                    } else {
                        self.graph.add_edge(
                            i,
                            to,
                            Edge {
                                kind: EdgeKind::Failure,
                                span: target.span,
                            },
                        );
                    }
                }
            }
        }
    }

    fn self_reference(&mut self, step: &Step, span: Span, role: &str) {
        self.diags.push(
            Diagnostic::error(
                Code::SelfDependency,
                format!("step `{}` depends on itself", step.id.value),
            )
            .label(span, format!("{role} `{}` itself", step.id.value))
            .label(step.id.span, "this step")
            .help("remove the reference: a step cannot come after itself"),
        );
    }

    /// A topological order of the steps; with a cycle, of the steps before
    /// every cycle (the cycles are reported).
    fn order(&mut self) -> Vec<usize> {
        match self.graph.topological_order() {
            Ok(order) => order,
            Err(cyclic) => {
                self.cyclic = true;
                for cycle in self.graph.cycles(&cyclic.leftover) {
                    self.report_cycle(&cycle);
                }
                cyclic.ordered
            }
        }
    }

    fn report_cycle(&mut self, cycle: &[(usize, usize, Edge)]) {
        let steps = &self.playbook.steps;
        let Some((first, _, _)) = cycle.first() else {
            return;
        };
        let mut names: Vec<&str> = cycle
            .iter()
            .map(|(from, _, _)| steps[*from].id.value.as_str())
            .collect();
        names.push(steps[*first].id.value.as_str());
        let mut diagnostic = Diagnostic::error(
            Code::Cycle,
            format!(
                "steps depend on each other in a cycle: {}",
                names.join(" -> ")
            ),
        );
        for (from, to, edge) in cycle {
            let (a, b) = (&steps[*from].id.value, &steps[*to].id.value);
            let label = match &edge.kind {
                EdgeKind::Needs => format!("`{b}` needs `{a}`"),
                EdgeKind::Case { .. } | EdgeKind::Else => format!("`{a}` branches to `{b}`"),
                EdgeKind::Failure => format!("`{a}` goes to `{b}` on failure"),
            };
            diagnostic = diagnostic.label(edge.span, label);
        }
        self.diags.push(diagnostic.help("remove one of these dependencies; to repeat a step until something holds, use `until` instead"));
    }

    /// Checks one step and computes what the plan needs to know about it.
    fn step(
        &mut self,
        i: usize,
        ancestry: &Ancestry,
        types: &mut StepTypes,
        computed: &vars::Vars,
    ) -> StepPlan {
        let step = &self.playbook.steps[i];
        // In a cyclic graph, what is upstream of a step on or after a cycle
        // is unknowable, and so (as before) for a step with nothing upstream.
        let upstream_known =
            !(self.cyclic && (!ancestry.is_ordered(i) || self.graph.incoming(i).next().is_none()));
        let schema = self.kind_schema(step);
        let mut refs = References::new(
            self.playbook,
            &self.index,
            types,
            i,
            upstream_known,
            ancestry,
        );
        refs.with_vars(computed);
        let mut plan = StepPlan::default();

        refs.unbind_element("in `when`, which is decided once for the whole loop");
        if let Some(when) = &step.when {
            plan.when = check_condition(when, &mut refs, self.diags, "a `when` guard");
        }
        if let Some(for_each) = &step.for_each {
            refs.unbind_element("in its own `for_each` list");
            let gates_by_itself = schema.is_some_and(|s| s.capabilities.gates);
            plan.iteration =
                iteration::check(step, for_each, gates_by_itself, &mut refs, self.diags)
                    .map(Box::new);
            // Bound even when the list was wrong (reported), so that uses of
            // the element are not reported again.
            let ty = plan.iteration.as_ref().map(|i| i.element_type.clone());
            refs.bind_element(for_each.element_name(), ty.unwrap_or(Type::Any));
            iteration::check_label(
                for_each,
                plan.iteration.as_deref_mut(),
                &mut refs,
                self.diags,
            );
        }
        match &step.action {
            Action::Kind { name, params } => {
                if let Some(schema) = schema {
                    plan.params = params::check(schema, name, params, &mut refs, self.diags);
                    if schema.capabilities.calls_playbook {
                        subplaybook::check_call(self.file, name, params, self.catalog, self.diags);
                    }
                }
            }
            Action::Branch(branch) => {
                plan.cases = branch
                    .cases
                    .iter()
                    .map(|case| {
                        check_condition(&case.when, &mut refs, self.diags, "a case condition")
                    })
                    .collect();
            }
            Action::Manual { instructions, .. } => {
                plan.text = check_template(instructions, &mut refs, self.diags);
            }
            Action::Ask(ask) => {
                plan.text = check_template(&ask.question, &mut refs, self.diags);
                if let AnswerType::Number {
                    min: Some(min),
                    max: Some(max),
                } = &ask.answer
                {
                    if min.value > max.value {
                        self.diags.push(
                            Diagnostic::error(Code::InvalidValue, "`min` is greater than `max`")
                                .label(min.span, "min")
                                .label(max.span, "max")
                                .help("swap them"),
                        );
                    }
                }
                if let Some(default) = &ask.default {
                    if let Err(why) = ask.answer.accept(&default.value) {
                        let help = match &ask.answer {
                            AnswerType::Choice(_) => "write one of the choices, or remove `default` so that the deadline rejects",
                            _ => "write a number within `min` and `max`, or remove `default` so that the deadline rejects",
                        };
                        self.diags.push(
                            Diagnostic::error(
                                Code::InvalidAnswerDefault,
                                format!(
                                    "the default answer of `{}` is not an answer it accepts: {why}",
                                    step.id.value
                                ),
                            )
                            .label(default.span, "taken when the step's `timeout` passes")
                            .help(help),
                        );
                    }
                }
            }
        }
        if let Some(approval) = &step.approval {
            if let Some(question) = &approval.question {
                let per_item = step
                    .for_each
                    .as_ref()
                    .is_some_and(|f| f.approval_per_item());
                if !per_item {
                    refs.unbind_element("in the question of a gate asked once for the whole set (with `approval_per_item: true` it is asked per element)");
                }
                plan.approval_question = check_template(question, &mut refs, self.diags);
                if let Some(f) = &step.for_each {
                    let ty = plan.iteration.as_ref().map(|i| i.element_type.clone());
                    refs.bind_element(f.element_name(), ty.unwrap_or(Type::Any));
                }
            }
        }
        plan.durations = durations::check(step, &mut refs, self.diags);
        plan.output_cap = durations::check_output_cap(step, &mut refs, self.diags);
        // The step's own results are in scope for `until`: it polls them.
        refs.allow_self();
        if let Some(until) = &step.until {
            plan.until = check_condition(
                &until.condition,
                &mut refs,
                self.diags,
                "an `until` condition",
            );
        }
        plan.reads = refs.take_reads();
        plan.vars = refs.take_vars_read();
        plan.uses_secret = refs.uses_secret();
        plan.secret_reaches_results = refs.secret_reaches_results();
        plan.outputs_hold_text = step
            .outputs
            .iter()
            .map(|o| {
                !matches!(
                    references::output_type(step, schema, o),
                    crate::expr::Type::Int | crate::expr::Type::Float | crate::expr::Type::Bool
                )
            })
            .collect();
        drop(refs);
        output_sources::check(step, schema, self.diags);
        plan.effect = effect::step_effect(step, schema, self.diags);
        plan.effect_declared = step.effect.is_some();
        if let Some(schema) = schema {
            plan.capabilities = schema.capabilities;
        }
        plan.primary_result = references::primary_result(step, schema).unwrap_or("");
        types.record(i, plan.uses_secret, plan.secret_reaches_results);
        if let Some(iteration) = &plan.iteration {
            types.record_element(i, iteration.element_type.clone());
        }
        plan
    }

    fn kind_schema(&mut self, step: &Step) -> Option<&'a KindSchema> {
        let Action::Kind { name, .. } = &step.action else {
            return None;
        };
        let catalog = self.catalog;
        if let Some(schema) = catalog.kind(&name.value) {
            return Some(schema);
        }
        let mut names = catalog.kind_names();
        names.extend(crate::lower::LANGUAGE_KINDS);
        names.sort_unstable();
        self.diags.push(
            Diagnostic::error(
                Code::UnknownKind,
                format!("there is no step kind `{}`", name.value),
            )
            .label(name.span, "unknown kind")
            .with_help(suggest::help_for(
                "kind",
                &name.value,
                names.iter().copied(),
            )),
        );
        None
    }
}

/// Parses and type-checks a boolean expression.
fn check_condition(
    text: &Text,
    refs: &mut References,
    diags: &mut Diagnostics,
    what: &str,
) -> Option<Expr> {
    match expr::parse(text) {
        Ok(parsed) => {
            expr::check_bool(&parsed, refs, diags, what);
            Some(parsed)
        }
        Err(diagnostic) => {
            diags.push(with_expression_help(diagnostic));
            None
        }
    }
}

/// Syntax errors in expressions get a reminder of what expressions look like.
fn with_expression_help(mut diagnostic: Diagnostic) -> Diagnostic {
    if diagnostic.help.is_none() {
        diagnostic.help = Some(
            "an expression compares results and inputs, e.g. `steps.health.status == 200 && inputs.env != \"prod\"`"
                .into(),
        );
    }
    diagnostic
}

/// Parses a template and resolves every variable it uses.
fn check_template(text: &Text, refs: &mut References, diags: &mut Diagnostics) -> Option<Template> {
    match template::parse(text) {
        Ok(parsed) => {
            template::check(&parsed, template::Quoting::None, refs, diags);
            Some(parsed)
        }
        Err(diagnostic) => {
            diags.push(diagnostic);
            None
        }
    }
}
