//! The Plan: the validated, immutable step graph every command consumes
//! (run, dry-run, plan, graph, diff, doc). Only [`crate::analyze`] builds one,
//! so holding a `Plan` means the playbook checked clean.

use crate::ast::{Effect, Playbook, Step};
use crate::catalog::Capabilities;
use crate::expr::Expr;
use crate::graph::StepGraph;
use crate::source::{SourceFile, Span};
use crate::template::{Quoting, Template};
use std::collections::HashMap;
use std::time::Duration;

/// A checked parameter value, typed by its kind's schema.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A literal string (not templated: a SQL query, a file path).
    Str(String),
    /// A template, filled in at run time with the given quoting.
    Template {
        template: Template,
        quoting: Quoting,
        /// The whole value is one insertion where a value of any type fits
        /// (a `patch`, a JSON body, `replicas`): it keeps the inserted
        /// value's type (`20`, `true`) instead of becoming text.
        typed: bool,
    },
    /// A parsed, type-checked expression.
    Expr(Expr),
    Duration(Duration),
    /// A duration written as a template (`wait: "{{inputs.settle}}"`),
    /// checked like a step's templated `timeout`; what it renders is read
    /// as a duration when the step runs (`duration::rendered_duration`).
    DurationTemplate(Template),
    List(Vec<Param>),
    Map(Vec<(String, Param)>),
}

/// A parameter value and where it was written, for runtime errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub value: ParamValue,
    pub span: Span,
}

/// The values under `roots` that are not lists or mappings (templates,
/// expressions, literals), depth first, walked without recursion: what a
/// check over every template or expression of a step looks at.
pub fn leaves<'p>(roots: impl IntoIterator<Item = &'p Param>) -> Vec<&'p Param> {
    let mut out = Vec::new();
    let mut stack: Vec<&Param> = roots.into_iter().collect();
    while let Some(param) = stack.pop() {
        match &param.value {
            ParamValue::List(items) => stack.extend(items.iter()),
            ParamValue::Map(entries) => stack.extend(entries.iter().map(|(_, p)| p)),
            _ => out.push(param),
        }
    }
    out
}

/// The parameters of a step, by name, in the order of their names. A step
/// has a handful, so they are a sorted vector sized for them: a `BTreeMap`
/// allocates a node for eleven entries whatever their number (1,300 bytes
/// per step, a sixth of what `check` of a large playbook holds at its peak).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(Vec<(String, Param)>);

impl Params {
    pub fn new() -> Params {
        Params(Vec::new())
    }

    /// Room for `n` parameters, so the vector is not grown to four for one.
    pub fn with_capacity(n: usize) -> Params {
        Params(Vec::with_capacity(n))
    }

    /// Sets the parameter `name`, replacing a value it had.
    pub fn insert(&mut self, name: String, param: Param) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&name)) {
            Ok(i) => self.0[i].1 = param,
            Err(i) => self.0.insert(i, (name, param)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Param> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// The parameters with their names, in the order of the names.
    pub fn iter(&self) -> ParamsIter<'_> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &Param> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What iterating over [`Params`] yields: each name with its parameter.
pub type ParamsIter<'a> = std::iter::Map<
    std::slice::Iter<'a, (String, Param)>,
    fn(&'a (String, Param)) -> (&'a String, &'a Param),
>;

/// `params["name"]`, as on a map: panics when there is no such parameter.
impl std::ops::Index<&str> for Params {
    type Output = Param;
    fn index(&self, name: &str) -> &Param {
        self.get(name)
            .unwrap_or_else(|| panic!("no parameter `{name}`"))
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = (&'a String, &'a Param);
    type IntoIter = ParamsIter<'a>;
    fn into_iter(self) -> ParamsIter<'a> {
        self.iter()
    }
}

/// What analysis learned about one step.
#[derive(Clone, Debug, Default)]
pub struct StepPlan {
    /// The effect: declared, or the kind's default for these parameters.
    pub effect: Effect,
    /// Whether the author declared the effect (rather than it being the default).
    pub effect_declared: bool,
    pub when: Option<Expr>,
    pub until: Option<Expr>,
    /// Branch case conditions, in order (`None` where a condition did not parse).
    pub cases: Vec<Option<Expr>>,
    pub params: Params,
    /// `manual` instructions or an `ask` question, as a template.
    pub text: Option<Template>,
    pub approval_question: Option<Template>,
    /// Steps whose results this step reads (through computed values too).
    pub reads: Vec<usize>,
    /// Its durations written as templates (`timeout: "{{inputs.wait}}"`),
    /// rendered when it runs.
    pub durations: Vec<(DurationField, Template)>,
    /// Its `output_cap` written as a template, rendered when it runs (boxed:
    /// most steps have none).
    pub output_cap: Option<Box<Template>>,
    /// Computed values it reads, with those they are computed from: indices
    /// into [`Plan::vars`], in the order they can be computed.
    pub vars: Vec<usize>,
    /// Whether a secret (input, or a result derived from one) flows into this
    /// step; its outputs are then masked.
    pub uses_secret: bool,
    /// Whether a secret value can reach this step's results: it flows in
    /// other than through a parameter that only opens a connection (see
    /// [`crate::catalog::Capabilities::credentials`]).
    pub secret_reaches_results: bool,
    /// Whether each of the step's outputs, in order, can hold text: not
    /// declared or inferred a number or a flag (an output of `exit_code`
    /// is an int without saying so). Only text is masked as derived from
    /// a secret.
    pub outputs_hold_text: Vec<bool>,
    /// The step can never run (a warning was given).
    pub unreachable: bool,
    /// What its kind's schema says about it (all false for a branch, a
    /// `manual` step, an `ask` and a kind that is not in the catalog).
    pub capabilities: Capabilities,
    /// The result an output of the step captures when it names none: its
    /// kind's `primary_result`, `answer` of an `ask`, `note` of a `manual`
    /// step, `taken` of a branch (empty when there is none).
    pub primary_result: &'static str,
    /// `for_each`: the list the step runs over, once per element (boxed:
    /// most steps have none).
    pub iteration: Option<Box<Iteration>>,
}

/// A checked `for_each`: the step stays one node of the plan; the runner
/// evaluates the list when the step starts and runs the body per element.
#[derive(Clone, Debug)]
pub struct Iteration {
    pub list: IterationList,
    /// The name the element is bound to in the step's templates and expressions.
    pub element: String,
    /// The element's type, from the list's (`any` when the list's is unknown).
    pub element_type: crate::expr::Type,
    /// `label:`, evaluated per element with the element bound: how the
    /// element is named (`None`: the element itself, its `metadata.name`
    /// or `name`, else its position).
    pub label: Option<Expr>,
}

#[derive(Clone, Debug)]
pub enum IterationList {
    /// Evaluated when the step starts.
    Expr(Expr),
    /// Written out in the playbook.
    Literal(Vec<serde_json::Value>),
}

/// A duration of a step that can be a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationField {
    Timeout,
    RetryDelay,
    Every,
    Within,
}

impl DurationField {
    /// Every field, in the order a step is written.
    pub const ALL: [DurationField; 4] = [
        DurationField::Timeout,
        DurationField::RetryDelay,
        DurationField::Every,
        DurationField::Within,
    ];

    /// The field as written: `timeout`, `within`.
    pub fn name(self) -> &'static str {
        match self {
            DurationField::Timeout => "timeout",
            DurationField::RetryDelay => "delay",
            DurationField::Every => "every",
            DurationField::Within => "within",
        }
    }

    /// The field's duration in a step, if written.
    pub fn of(self, step: &crate::ast::Step) -> Option<&crate::ast::DurationLit> {
        match self {
            DurationField::Timeout => step.timeout.as_ref(),
            DurationField::RetryDelay => step.retry.as_ref()?.delay.as_ref(),
            DurationField::Every => step.until.as_ref()?.every.as_ref(),
            DurationField::Within => step.until.as_ref()?.within.as_ref(),
        }
    }
}

/// A computed value (`vars:`), checked.
#[derive(Clone, Debug)]
pub struct VarPlan {
    pub name: String,
    pub expr: Expr,
    /// Whether a secret flows into it (its value is then masked).
    pub uses_secret: bool,
    /// Its type as `check` found it (`list<pod>`, `float`), for `runbook doc`.
    pub ty: crate::expr::Type,
}

/// A checked playbook.
#[derive(Clone, Debug)]
pub struct Plan {
    file: SourceFile,
    playbook: Playbook,
    graph: StepGraph,
    order: Vec<usize>,
    steps: Vec<StepPlan>,
    /// Computed values, in the order they can be computed.
    vars: Vec<VarPlan>,
    /// Step id -> index, so finding a step by id is not a search of the steps.
    index: HashMap<Box<str>, usize>,
    /// The playbook's `output_cap` written as a template, parsed.
    output_cap: Option<Template>,
    /// The inputs nothing in the playbook reads, by position.
    unread_inputs: Vec<usize>,
}

impl Plan {
    pub(crate) fn new(
        file: SourceFile,
        playbook: Playbook,
        graph: StepGraph,
        order: Vec<usize>,
        steps: Vec<StepPlan>,
    ) -> Plan {
        let mut index = HashMap::with_capacity(playbook.steps.len());
        for (i, step) in playbook.steps.iter().enumerate() {
            index.entry(step.id.value.as_str().into()).or_insert(i);
        }
        Plan {
            index,
            file,
            playbook,
            graph,
            order,
            steps,
            vars: Vec::new(),
            output_cap: None,
            unread_inputs: Vec::new(),
        }
    }

    /// The playbook's `output_cap` written as a template, parsed; `None`
    /// when it is a size (or not set).
    pub fn output_cap(&self) -> Option<&Template> {
        self.output_cap.as_ref()
    }

    /// The plan with its computed values (from the analyzer), and the
    /// playbook's `output_cap` written as a template with the values it
    /// reads: every step's cap may be the playbook's, so those are computed
    /// before every step runs, as the step's own.
    pub(crate) fn with_unread_inputs(mut self, unread: Vec<usize>) -> Plan {
        self.unread_inputs = unread;
        self
    }

    /// The inputs nothing in the playbook reads (`lint::unused_input`).
    pub fn unread_inputs(&self) -> impl Iterator<Item = &crate::ast::Input> {
        self.unread_inputs.iter().map(|&i| &self.playbook.inputs[i])
    }

    pub(crate) fn with_vars(
        mut self,
        vars: Vec<VarPlan>,
        output_cap: Option<(Template, Vec<usize>)>,
    ) -> Plan {
        self.vars = vars;
        if let Some((template, read)) = output_cap {
            for step in &mut self.steps {
                step.vars.extend(&read);
                step.vars.sort_unstable();
                step.vars.dedup();
            }
            self.output_cap = Some(template);
        }
        self
    }

    /// The computed values, in the order they can be computed.
    pub fn vars(&self) -> &[VarPlan] {
        &self.vars
    }

    pub fn file(&self) -> &SourceFile {
        &self.file
    }

    pub fn playbook(&self) -> &Playbook {
        &self.playbook
    }

    pub fn graph(&self) -> &StepGraph {
        &self.graph
    }

    /// Step indices in a topological order (ties in playbook order).
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn step(&self, index: usize) -> (&Step, &StepPlan) {
        (&self.playbook.steps[index], &self.steps[index])
    }

    pub fn step_plan(&self, index: usize) -> &StepPlan {
        &self.steps[index]
    }

    /// The index of a step by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Every edge of the graph by step ids: `(from, to, edge)`, as drawings print them.
    pub fn edges_by_id(&self) -> impl Iterator<Item = (&str, &str, &crate::graph::Edge)> {
        let steps = &self.playbook.steps;
        self.graph.edges().map(move |(from, to, edge)| {
            (
                steps[from].id.value.as_str(),
                steps[to].id.value.as_str(),
                edge,
            )
        })
    }

    /// Whether a step asks for approval before it runs: an `approval` on it,
    /// or a step of a kind that gates by itself ([`Capabilities::gates`]).
    pub fn is_gated(&self, index: usize) -> bool {
        self.playbook.steps[index].approval.is_some() || self.steps[index].capabilities.gates
    }

    /// Whether a step is a cleanup: `finally: true`, or a step whose kind's
    /// [`Capabilities::undoes_with`] parameter is given (`silence`'s
    /// `expire`). Neither `lint` nor `diff` asks one for a gate: a refused
    /// gate would leave the change in place, and a `finally` step cannot
    /// have one (`finally_waits`).
    pub fn is_cleanup(&self, index: usize) -> bool {
        let step = &self.steps[index];
        self.playbook.steps[index].is_finally()
            || step
                .capabilities
                .undoes_with
                .is_some_and(|param| step.params.get(param).is_some())
    }

    /// Whether a step waits for an operator's approval before it runs: it
    /// [is gated](Plan::is_gated), or it directly needs a step of a kind
    /// that gates by itself (an `approve` checkpoint guarding it). What
    /// `diff`, `doc` and `lint` count as reviewed by a person.
    pub fn waits_for_approval(&self, index: usize) -> bool {
        self.is_gated(index)
            || self.graph.incoming(index).any(|(from, edge)| {
                edge.kind == crate::graph::EdgeKind::Needs && self.steps[from].capabilities.gates
            })
    }
}
