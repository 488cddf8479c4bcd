//! The scenario file format, read from the spanned YAML tree so that every
//! problem in a scenario points at the characters that cause it.
//!
//! A scenario file (`NAME.scenario.yaml`, next to the playbook it rehearses)
//! names one playbook, gives shared scripting (inputs, step results, answers,
//! gate decisions) and lists scenarios, each of which may override the shared
//! scripting and states what it expects. See `docs/rehearsals.md`.
//!
//! Reading happens in two passes: [`parse`] checks the shape of the file
//! alone; [`super::validate`] then checks the names and values against the
//! playbook's plan (unknown step ids, answers that are not among a choice's
//! answers, ...).

use super::elements::{self, ItemScript, LoopExpect};
use runbook_dsl::node::{Entry, Node, Value as NodeValue};
use runbook_dsl::suggest::help_for;
use runbook_dsl::{Code, Diagnostic, Diagnostics, SourceFile, Span, Spanned};
use serde_json::{Map, Value};

/// A scenario file as written.
#[derive(Clone, Debug)]
pub struct ScenarioFile {
    pub file: SourceFile,
    /// The playbook's path, relative to the scenario file's directory.
    pub playbook: Spanned<String>,
    pub scenarios: Vec<Scenario>,
    /// The keys of the file's shared entries and what they are under
    /// (`steps`, `answers`, `gates`): one every scenario replaces is used
    /// by none ([`super::unreached`]).
    pub shared: Vec<(&'static str, Spanned<String>)>,
}

/// One rehearsal: what the world answers and what should happen.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: Spanned<String>,
    /// Input values, the file's shared ones overridden by the scenario's.
    pub inputs: Vec<(Spanned<String>, Value)>,
    /// Scripted step results, by step id.
    pub steps: Vec<StepScript>,
    /// Answers to `ask` steps and confirmations of `manual` steps.
    pub answers: Vec<Scripted<Value>>,
    /// Decisions at approval gates.
    pub gates: Vec<Scripted<GateScript>>,
    pub expect: Expect,
    pub span: Span,
}

/// A scripted decision at a gate: `approve`/`reject` by the person running
/// the playbook, or `{decision: approve, by: NAME}`, a remote decision by
/// another user (the only one that passes a four-eyes gate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateScript {
    pub approve: bool,
    pub by: Option<String>,
}

impl GateScript {
    /// How a scenario writes a decision: `approve` or `reject`.
    pub const APPROVE: &'static str = "approve";
    pub const REJECT: &'static str = "reject";
}

/// A value the scenario gives for a step, with the spans of the step id and
/// of the value.
#[derive(Clone, Debug)]
pub struct Scripted<T> {
    pub step: Spanned<String>,
    pub value: T,
    pub span: Span,
}

/// What a step's action returns in the rehearsal.
#[derive(Clone, Debug)]
pub struct StepScript {
    pub step: Spanned<String>,
    pub failed: bool,
    pub message: Option<String>,
    /// Result fields of the kind (`status`, `stdout`, `rows`, ...).
    pub results: Map<String, Value>,
    /// Declared outputs, turned into result fields once the playbook is known.
    pub outputs: Vec<(Spanned<String>, Value)>,
    pub span: Span,
    /// Whether it scripts the step as a whole: not only `items`. For a
    /// loop, that script answers every element `items` does not script.
    pub whole: bool,
    /// A loop's elements scripted one by one (`items:`), and where.
    pub items: Vec<ItemScript>,
    pub items_span: Option<Span>,
}

/// How a whole rehearsal ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedOutcome {
    Succeeded,
    Failed,
    Rejected,
}

impl ExpectedOutcome {
    pub fn name(self) -> &'static str {
        match self {
            ExpectedOutcome::Succeeded => "succeeded",
            ExpectedOutcome::Failed => "failed",
            ExpectedOutcome::Rejected => "rejected",
        }
    }
}

/// What a scenario asserts. Everything is optional, but at least one
/// assertion must be given (a scenario that asserts nothing cannot fail).
/// Steps are named as under `steps:`: `STEP`, or `CALL.STEP` for a step of
/// the playbook the `playbook` step `CALL` calls; `path`, `ran`, `skipped`
/// and `branches` also take `CALL[LABEL].STEP` / `CALL[INDEX].STEP`, a step
/// of one element's run of a loop over a `playbook` step
/// (`element_address.rs`).
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub outcome: Option<Spanned<ExpectedOutcome>>,
    /// Exactly the steps that were reached (not skipped), in an order that
    /// respects the dependencies of the playbook and of the called ones
    /// (`path_order.rs`).
    pub path: Option<Spanned<Vec<Spanned<String>>>>,
    /// Steps that must have been reached, in any order.
    pub ran: Vec<Spanned<String>>,
    /// Steps that must not have been reached.
    pub skipped: Vec<Spanned<String>>,
    /// Branch decisions: the branch step and the step it takes (`None`: no
    /// case held and there is no `else`).
    pub branches: Vec<(Spanned<String>, Spanned<Option<String>>)>,
    /// Loops: their state, how many elements ran, each element's state.
    pub loops: Vec<LoopExpect>,
    pub span: Span,
}

const FILE_KEYS: &[&str] = &[
    "playbook",
    "inputs",
    "steps",
    "answers",
    "gates",
    "scenarios",
];
const SCENARIO_KEYS: &[&str] = &["name", "inputs", "steps", "answers", "gates", "expect"];
const STEP_KEYS: &[&str] = &["state", "message", "results", "outputs", "items"];
const EXPECT_KEYS: &[&str] = &["outcome", "path", "ran", "skipped", "branches", "loops"];

/// Shared scripting, before it is merged into each scenario.
#[derive(Default)]
struct Scripting {
    inputs: Vec<(Spanned<String>, Value)>,
    steps: Vec<StepScript>,
    answers: Vec<Scripted<Value>>,
    gates: Vec<Scripted<GateScript>>,
}

/// Reads a scenario file's shape. `None` when it is too broken to rehearse;
/// the reasons are in `diags`.
pub fn parse(file: SourceFile, diags: &mut Diagnostics) -> Option<ScenarioFile> {
    let root = runbook_dsl::yaml::parse(&file, diags)?;
    let entries = mapping(&root, "a scenario file", diags)?;
    unknown_keys(entries, FILE_KEYS, "scenario file", diags);
    let playbook = match root.get("playbook") {
        Some(node) => string(node, "`playbook`", diags),
        None => {
            diags.push(
                Diagnostic::error(Code::MissingField, "the scenario file names no playbook")
                    .label(Span::new(root.span.start, root.span.start), "expected `playbook: FILE`")
                    .help("name the playbook it rehearses, relative to this file: `playbook: incident.yaml`"),
            );
            None
        }
    };
    let shared = scripting(&root, diags);
    let shared_keys = shared
        .steps
        .iter()
        .map(|s| ("steps", s.step.clone()))
        .chain(shared.answers.iter().map(|a| ("answers", a.step.clone())))
        .chain(shared.gates.iter().map(|g| ("gates", g.step.clone())))
        .collect();
    let mut scenarios = Vec::new();
    match root.get("scenarios") {
        None => diags.push(
            Diagnostic::error(Code::MissingField, "the scenario file lists no scenarios")
                .label(
                    Span::new(root.span.start, root.span.start),
                    "rehearsed by no scenario",
                )
                .help("add `scenarios:`, a list of `- name: ...` with an `expect:` each"),
        ),
        Some(node) => match node.as_seq() {
            Some(items) => {
                for item in items {
                    if let Some(s) = scenario(item, &shared, diags) {
                        scenarios.push(s);
                    }
                }
                if items.is_empty() {
                    diags.push(
                        Diagnostic::error(Code::MissingField, "the list of scenarios is empty")
                            .label(node.span, "no scenario"),
                    );
                }
            }
            None => wrong_type(node, "a list of scenarios", diags),
        },
    }
    let mut seen: Vec<&str> = Vec::new();
    for s in &scenarios {
        if seen.contains(&s.name.value.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateKey,
                    format!("two scenarios are named `{}`", s.name.value),
                )
                .label(s.name.span, "named again here"),
            );
        }
        seen.push(&s.name.value);
    }
    Some(ScenarioFile {
        file,
        playbook: playbook?,
        scenarios,
        shared: shared_keys,
    })
}

fn scenario(node: &Node, shared: &Scripting, diags: &mut Diagnostics) -> Option<Scenario> {
    let entries = mapping(node, "a scenario", diags)?;
    unknown_keys(entries, SCENARIO_KEYS, "scenario", diags);
    let name = match node.get("name") {
        Some(n) => string(n, "`name`", diags)?,
        None => {
            diags.push(
                Diagnostic::error(Code::MissingField, "a scenario has no `name`")
                    .label(Span::new(node.span.start, node.span.start), "this scenario")
                    .help("name it after the situation it rehearses: `name: the database is down`"),
            );
            return None;
        }
    };
    let own = scripting(node, diags);
    let expect = match node.get("expect") {
        Some(n) => expect(n, diags),
        None => {
            diags.push(
                Diagnostic::error(
                    Code::MissingField,
                    format!("scenario `{}` expects nothing", name.value),
                )
                .label(name.span, "no `expect`")
                .help("add `expect:` with the `outcome`, the `path`, steps that `ran` or were `skipped`, or `branches`"),
            );
            return None;
        }
    };
    Some(Scenario {
        inputs: merge(&shared.inputs, own.inputs, |(k, _)| k.value.clone()),
        steps: merge(&shared.steps, own.steps, |s| s.step.value.clone()),
        answers: merge(&shared.answers, own.answers, |s| s.step.value.clone()),
        gates: merge(&shared.gates, own.gates, |s| s.step.value.clone()),
        name,
        expect,
        span: node.span,
    })
}

/// The shared items, with the scenario's own replacing those of the same key.
fn merge<T: Clone>(shared: &[T], own: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut merged: Vec<T> = shared
        .iter()
        .filter(|s| !own.iter().any(|o| key(o) == key(s)))
        .cloned()
        .collect();
    merged.extend(own);
    merged
}

fn scripting(node: &Node, diags: &mut Diagnostics) -> Scripting {
    let mut out = Scripting::default();
    if let Some(inputs) = node.get("inputs") {
        for e in mapping(inputs, "a mapping of input values", diags).unwrap_or(&[]) {
            out.inputs.push((key(e), e.value.to_json()));
        }
    }
    if let Some(steps) = node.get("steps") {
        for e in mapping(steps, "a mapping of step ids to results", diags).unwrap_or(&[]) {
            if let Some(s) = step_script(e, diags) {
                out.steps.push(s);
            }
        }
    }
    if let Some(answers) = node.get("answers") {
        for e in mapping(answers, "a mapping of step ids to answers", diags).unwrap_or(&[]) {
            out.answers.push(Scripted {
                step: key(e),
                value: e.value.to_json(),
                span: e.value.span,
            });
        }
    }
    if let Some(gates) = node.get("gates") {
        for e in mapping(
            gates,
            "a mapping of step ids to `approve` or `reject`",
            diags,
        )
        .unwrap_or(&[])
        {
            // `{decision: approve, by: alice}`: a remote decision by `alice`.
            let (decision, by) = match e.value.get("decision") {
                Some(decision) => {
                    let by = e
                        .value
                        .get("by")
                        .and_then(|b| string(b, "who decided, `by`", diags))
                        .map(|b| b.value);
                    (decision, by)
                }
                None => (&e.value, None),
            };
            let approve = match decision.scalar_string().as_deref() {
                Some(GateScript::APPROVE) => true,
                Some(GateScript::REJECT) => false,
                _ => {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!(
                                "the decision at the gate of `{}` must be `approve` or `reject`",
                                e.key.value
                            ),
                        )
                        .label(decision.span, "neither `approve` nor `reject`")
                        .help("write `approve` or `reject`, or `{decision: approve, by: NAME}` for a decision made from another terminal by user NAME"),
                    );
                    continue;
                }
            };
            out.gates.push(Scripted {
                step: key(e),
                value: GateScript { approve, by },
                span: e.value.span,
            });
        }
    }
    out
}

fn step_script(e: &Entry, diags: &mut Diagnostics) -> Option<StepScript> {
    let mut script = script_at(key(e), &e.value, STEP_KEYS, "step result", diags)?;
    if let Some(items) = e.value.get("items") {
        script.items = elements::item_scripts(&script.step, items, diags);
        script.items_span = Some(items.span);
        script.whole = ["state", "message", "results", "outputs"]
            .iter()
            .any(|k| e.value.get(k).is_some());
    }
    Some(script)
}

/// What one step (or one element, `what`) returns: `succeeded`, `failed`,
/// or a mapping of the `known` fields.
pub(super) fn script_at(
    step: Spanned<String>,
    node: &Node,
    known: &[&str],
    what: &str,
    diags: &mut Diagnostics,
) -> Option<StepScript> {
    let mut script = StepScript {
        step,
        failed: false,
        message: None,
        results: Map::new(),
        outputs: Vec::new(),
        span: node.span,
        whole: true,
        items: Vec::new(),
        items_span: None,
    };
    let state = match &node.value {
        NodeValue::Str(_) => Some(node),
        NodeValue::Map(entries) => {
            unknown_keys(entries, known, what, diags);
            if let Some(m) = node.get("message") {
                script.message = Some(string(m, "`message`", diags)?.value);
            }
            if let Some(r) = node.get("results") {
                for f in mapping(r, "a mapping of result fields", diags).unwrap_or(&[]) {
                    script
                        .results
                        .insert(f.key.value.clone(), f.value.to_json());
                }
            }
            if let Some(o) = node.get("outputs") {
                for f in mapping(o, "a mapping of output values", diags).unwrap_or(&[]) {
                    script.outputs.push((key(f), f.value.to_json()));
                }
            }
            node.get("state")
        }
        _ => {
            wrong_type(
                node,
                "`succeeded`, `failed`, or a mapping with `state`, `results`, `outputs`",
                diags,
            );
            return None;
        }
    };
    if let Some(state) = state {
        match state.scalar_string().as_deref() {
            Some("succeeded") => {}
            Some("failed") => script.failed = true,
            _ => {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!(
                            "the state of `{}` must be `succeeded` or `failed`",
                            script.step.value
                        ),
                    )
                    .label(state.span, "not a state a step's action can end in")
                    .help("gates are decided under `gates:`, questions answered under `answers:`"),
                );
                return None;
            }
        }
    }
    Some(script)
}

fn expect(node: &Node, diags: &mut Diagnostics) -> Expect {
    let mut out = Expect {
        span: node.span,
        ..Expect::default()
    };
    let Some(entries) = mapping(node, "a mapping of expectations", diags) else {
        return out;
    };
    unknown_keys(entries, EXPECT_KEYS, "expectation", diags);
    if let Some(o) = node.get("outcome") {
        let outcome = match o.scalar_string().as_deref() {
            Some("succeeded") => Some(ExpectedOutcome::Succeeded),
            Some("failed") => Some(ExpectedOutcome::Failed),
            Some("rejected") => Some(ExpectedOutcome::Rejected),
            _ => None,
        };
        match outcome {
            Some(v) => out.outcome = Some(Spanned::new(v, o.span)),
            None => diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    "`outcome` must be `succeeded`, `failed` or `rejected`",
                )
                .label(o.span, "not an outcome"),
            ),
        }
    }
    if let Some(p) = node.get("path") {
        out.path = Some(Spanned::new(ids(p, diags), p.span));
    }
    if let Some(r) = node.get("ran") {
        out.ran = ids(r, diags);
    }
    if let Some(s) = node.get("skipped") {
        out.skipped = ids(s, diags);
    }
    if let Some(b) = node.get("branches") {
        for e in
            mapping(b, "a mapping of branch steps to the step each takes", diags).unwrap_or(&[])
        {
            let target = match &e.value.value {
                NodeValue::Null => None,
                _ => match e.value.scalar_string() {
                    Some(t) if t == "none" => None,
                    Some(t) => Some(t),
                    None => {
                        wrong_type(&e.value, "the id of the step the branch takes", diags);
                        continue;
                    }
                },
            };
            out.branches
                .push((key(e), Spanned::new(target, e.value.span)));
        }
    }
    if let Some(l) = node.get("loops") {
        out.loops = elements::loop_expects(l, diags);
    }
    if out.outcome.is_none()
        && out.loops.is_empty()
        && out.path.is_none()
        && out.ran.is_empty()
        && out.skipped.is_empty()
        && out.branches.is_empty()
    {
        diags.push(
            Diagnostic::error(Code::MissingField, "this `expect` asserts nothing")
                .label(node.span, "empty expectation")
                .help("give the `outcome`, the `path`, steps that `ran` or were `skipped`, `branches`, or `loops`"),
        );
    }
    out
}

fn ids(node: &Node, diags: &mut Diagnostics) -> Vec<Spanned<String>> {
    let Some(items) = node.as_seq() else {
        wrong_type(node, "a list of step ids", diags);
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| string(i, "a step id", diags))
        .collect()
}

pub(super) fn key(e: &Entry) -> Spanned<String> {
    Spanned::new(e.key.value.clone(), e.key.span)
}

pub(super) fn mapping<'n>(
    node: &'n Node,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<&'n [Entry]> {
    match &node.value {
        NodeValue::Map(entries) => Some(entries),
        NodeValue::Null => Some(&[]),
        _ => {
            wrong_type(node, what, diags);
            None
        }
    }
}

pub(super) fn string(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    match node.scalar_string() {
        Some(s) => Some(Spanned::new(s, node.span)),
        None => {
            wrong_type(node, &format!("{what} (a string)"), diags);
            None
        }
    }
}

pub(super) fn wrong_type(node: &Node, expected: &str, diags: &mut Diagnostics) {
    diags.push(
        Diagnostic::error(
            Code::WrongType,
            format!("expected {expected}, found {}", node.type_name()),
        )
        .label(node.span, format!("this is {}", node.type_name())),
    );
}

pub(super) fn unknown_keys(entries: &[Entry], known: &[&str], what: &str, diags: &mut Diagnostics) {
    for e in entries {
        if !known.contains(&e.key.value.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::UnknownField,
                    format!("a {what} has no field `{}`", e.key.value),
                )
                .label(e.key.span, "unknown field")
                .with_help(help_for("field", &e.key.value, known.iter().copied())),
            );
        }
    }
}
