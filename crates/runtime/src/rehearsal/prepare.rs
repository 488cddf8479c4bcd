//! Checks a scenario against the playbook it names and turns it into what
//! the scripted world needs: resolved inputs, canned results (declared
//! outputs turned back into the result fields they are captured from),
//! validated answers and gate decisions. Every problem is a diagnostic in
//! the scenario file, with "did you mean" for misspelled names.

use super::address::{resolve, Addressed};
use super::element_address::{parse, resolve_address, selects, Part};
use super::element_scripts::ByAddress;
use super::elements::{self, check_element};
use super::invert::invert;
use super::same_element::same_element_twice;
use super::scenario::{GateScript, Scenario, StepScript};
use super::script::{Canned, ElementMatch};
use crate::operator::validate_answer;
use crate::outputs;
use crate::scope::Scope;
use crate::session::inputs::{self, Environment, InputProblem};
use runbook_dsl::ast::{Action as StepAction, AnswerType, Step};
use runbook_dsl::catalog::Catalog;
use runbook_dsl::expr;
use runbook_dsl::plan::{IterationList, Plan};
use runbook_dsl::suggest::{did_you_mean, help_for};
use runbook_dsl::{Code, Diagnostic, Diagnostics};
use serde_json::{Map, Value};
use std::sync::Arc;

/// A scenario ready to rehearse.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub inputs: Map<String, Value>,
    /// By address: `STEP`, `CALL.STEP`, and one element's `CALL[SEL].STEP`.
    pub canned: ByAddress<Canned>,
    pub answers: ByAddress<Value>,
    pub gates: ByAddress<GateScript>,
    /// Elements of loops scripted one by one, by the loop step's address.
    pub items: ByAddress<Vec<(ElementMatch, Canned)>>,
    /// For each step `expect: path:` lists, in order, the step found at
    /// each part of its address (for the order it must respect).
    pub path_steps: Vec<Vec<Addressed>>,
}

/// The result an output captures when it names none, for a kind.
pub fn primary_of(catalog: &dyn Catalog, step: &Step) -> &'static str {
    match &step.action {
        StepAction::Kind { name, .. } => catalog
            .kind(&name.value)
            .map(|k| k.primary_result)
            .unwrap_or("stdout"),
        StepAction::Ask(_) => "answer",
        StepAction::Manual { .. } => "note",
        StepAction::Branch(_) => "taken",
    }
}

/// Checks a scenario against the plan; `None` when it has errors (in `diags`).
pub fn prepare(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    scenario: &Scenario,
    diags: &mut Diagnostics,
) -> Option<Prepared> {
    let before = diags.len();
    let mut prepared = Prepared {
        inputs: inputs(plan, scenario, diags),
        ..Prepared::default()
    };
    // Steps for every run first: they may script the list a loop reads,
    // against which an entry for one element's run is checked.
    let (every, one): (Vec<&StepScript>, Vec<&StepScript>) = scenario
        .steps
        .iter()
        .partition(|script| !selects(&script.step.value));
    let mut scripted = Vec::new();
    for script in every.into_iter().chain(one) {
        let Some((parts, chain)) = address(plan, catalog, &prepared, &script.step, false, diags)
        else {
            continue;
        };
        let Some(addressed) = chain.last() else {
            continue;
        };
        let step = addressed.step();
        let what = match &step.action {
            StepAction::Branch(_) => Some("a branch: its decision follows from the steps it reads"),
            StepAction::Ask(_) => Some("an `ask`: give its answer under `answers:`"),
            StepAction::Manual { .. } => {
                Some("a `manual` step: confirm it (or not) under `answers:`")
            }
            StepAction::Kind { .. } => None,
        };
        if let Some(what) = what {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{}` is {what}", script.step.value),
                )
                .label(script.step.span, "not a step with an action to script"),
            );
            continue;
        }
        if script.whole {
            if let Some(canned) = canned(step, primary_of(catalog, step), script, diags) {
                prepared.canned.insert(&parts, canned);
            }
        }
        scripted.push((script, parts, chain));
    }
    // Elements, once every step's own script is known: they may script
    // the list a loop reads.
    for (script, parts, chain) in scripted.iter().filter(|(s, ..)| s.items_span.is_some()) {
        let Some(addressed) = chain.last() else {
            continue;
        };
        let step = addressed.step();
        if addressed
            .plan
            .step_plan(addressed.index)
            .iteration
            .is_none()
        {
            let span = script.items_span.unwrap_or(script.step.span);
            diags.push(
                elements::not_a_loop(&script.step.value, span, "to script")
                    .help("script its one result under `steps:`, without `items`"),
            );
            continue;
        }
        let labels = scripted_labels(plan, addressed, catalog, &prepared);
        let mut items = Vec::new();
        for item in &script.items {
            if let Some(labels) = &labels {
                check_element(&script.step.value, &item.element, labels, diags);
            }
            if let Some(canned) = canned(step, primary_of(catalog, step), &item.script, diags) {
                items.push((ElementMatch::of(&item.element), canned));
            }
        }
        prepared.items.insert(parts, items);
    }
    let entries: Vec<_> = scripted
        .iter()
        .map(|(script, parts, chain)| (&script.step, parts.as_slice(), chain.as_slice()))
        .collect();
    same_element_twice(plan, catalog, &prepared, &entries, "`steps:`", diags);
    let mut answered = Vec::new();
    for answer in &scenario.answers {
        let Some((parts, chain)) = address(plan, catalog, &prepared, &answer.step, false, diags)
        else {
            continue;
        };
        let Some(addressed) = chain.last() else {
            continue;
        };
        let step = addressed.step();
        match &step.action {
            StepAction::Ask(ask) => {
                let given = match &answer.value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match validate_answer(&ask.answer, &given) {
                    Ok(value) => prepared.answers.insert(&parts, value),
                    Err(reason) => {
                        let (code, help) = match &ask.answer {
                            AnswerType::Choice(choices) => (
                                Code::UnknownChoice,
                                help_for(
                                    "answer",
                                    &given,
                                    choices.iter().map(|c| c.value.as_str()),
                                ),
                            ),
                            _ => (Code::InvalidValue, None),
                        };
                        diags.push(
                            Diagnostic::error(
                                code,
                                format!(
                                    "the answer to `{}` does not fit its question: {reason}",
                                    answer.step.value
                                ),
                            )
                            .label(answer.span, "not an answer the question accepts")
                            .with_help(help),
                        );
                    }
                }
            }
            StepAction::Manual { .. } => prepared.answers.insert(&parts, answer.value.clone()),
            _ => diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "`{}` is a `{}` step, not a question",
                        answer.step.value,
                        step.action.kind_name()
                    ),
                )
                .label(answer.step.span, "answers are for `ask` and `manual` steps")
                .help("script its result under `steps:`"),
            ),
        }
        answered.push((&answer.step, parts, chain));
    }
    let entries: Vec<_> = answered
        .iter()
        .map(|(id, parts, chain)| (*id, parts.as_slice(), chain.as_slice()))
        .collect();
    same_element_twice(plan, catalog, &prepared, &entries, "`answers:`", diags);
    let mut decided = Vec::new();
    for gate in &scenario.gates {
        let Some((parts, chain)) = address(plan, catalog, &prepared, &gate.step, true, diags)
        else {
            continue;
        };
        let Some(Addressed { plan, index }) = chain.last() else {
            continue;
        };
        let index = *index;
        if !plan.is_gated(index) {
            // Gated steps of the same playbook, addressed as this one is.
            let prefix = match gate.step.value.rsplit_once('.') {
                Some((call, _)) => format!("{call}."),
                None => String::new(),
            };
            let gated: Vec<String> = (0..plan.len())
                .filter(|&i| plan.is_gated(i))
                .map(|i| format!("{prefix}{}", plan.step(i).0.id.value))
                .collect();
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{}` has no approval gate", gate.step.value),
                )
                .label(gate.step.span, "no gate to decide")
                .with_help(help_for(
                    "gated step",
                    &gate.step.value,
                    gated.iter().map(String::as_str),
                )),
            );
            continue;
        }
        prepared.gates.insert(&parts, gate.value.clone());
        decided.push((&gate.step, parts, chain));
    }
    let entries: Vec<_> = decided
        .iter()
        .map(|(id, parts, chain)| (*id, parts.as_slice(), chain.as_slice()))
        .collect();
    same_element_twice(plan, catalog, &prepared, &entries, "`gates:`", diags);
    let expect = &scenario.expect;
    // `CALL.STEP` names a step of a called playbook, as under `steps:`, and
    // `CALL[INDEX].STEP` / `CALL[LABEL].STEP` one element's.
    for id in expect.path.iter().flat_map(|p| p.value.iter()) {
        if let Some(chain) = resolve_address(plan, catalog, &prepared, id, false, diags) {
            prepared.path_steps.push(chain);
        }
    }
    for id in expect.ran.iter().chain(&expect.skipped) {
        resolve_address(plan, catalog, &prepared, id, false, diags);
    }
    for (branch, target) in &expect.branches {
        let Some(addressed) = resolve_address(plan, catalog, &prepared, branch, false, diags)
            .and_then(|mut chain| chain.pop())
        else {
            continue;
        };
        let step = addressed.step();
        let StepAction::Branch(b) = &step.action else {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{}` is not a branch", branch.value),
                )
                .label(branch.span, "only branches take a case"),
            );
            continue;
        };
        let targets: Vec<&str> = b
            .cases
            .iter()
            .map(|c| c.then.value.as_str())
            .chain(b.otherwise.iter().map(|o| o.value.as_str()))
            .collect();
        if let Some(t) = &target.value {
            if !targets.contains(&t.as_str()) {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownStep,
                        format!("the branch `{}` never takes `{t}`", branch.value),
                    )
                    .label(target.span, "not one of its cases")
                    .with_help(help_for("target", t, targets)),
                );
            }
        }
    }
    for expected in &expect.loops {
        let Some(addressed) = resolve(plan, catalog, &expected.step, diags) else {
            continue;
        };
        if addressed
            .plan
            .step_plan(addressed.index)
            .iteration
            .is_none()
        {
            diags.push(
                elements::not_a_loop(&expected.step.value, expected.step.span, "to expect")
                    .help("expect its state with `ran`, `skipped` or `outcome`"),
            );
            continue;
        }
        if let Some(labels) = scripted_labels(plan, &addressed, catalog, &prepared) {
            for (element, _) in &expected.items {
                check_element(&expected.step.value, element, &labels, diags);
            }
        }
    }
    (diags.len() == before).then_some(prepared)
}

/// The labels of the elements of the loop at `addressed` (its `label:`,
/// or the default), over the list it runs over as far as the scenario
/// makes it known: a literal list, or the list expression over the
/// scenario's inputs and the steps it scripts as succeeding. `None` when
/// it reads something else (a computed value, a step not scripted, a
/// called playbook's inputs), or its labels cannot be made (the run
/// fails the step and says why).
pub(super) fn scripted_labels(
    top: &Arc<Plan>,
    addressed: &Addressed,
    catalog: &dyn Catalog,
    prepared: &Prepared,
) -> Option<Vec<String>> {
    let plan = &addressed.plan;
    let iteration = plan.step_plan(addressed.index).iteration.as_ref()?;
    // Only the rehearsed playbook's own inputs and steps are known here.
    let top_level = Arc::ptr_eq(plan, top);
    let mut scope = Scope::new(if top_level {
        prepared.inputs.clone()
    } else {
        Default::default()
    });
    if top_level {
        for (id, canned) in prepared.canned.every().filter(|(_, c)| c.ok) {
            let Some(i) = plan.index_of(id) else { continue };
            let step = plan.step(i).0;
            let captured =
                outputs::capture(&step.outputs, primary_of(catalog, step), &canned.fields)
                    .unwrap_or_default();
            scope.succeeded(id, canned.fields.clone(), captured);
        }
    }
    let values = match &iteration.list {
        IterationList::Literal(values) => values.clone(),
        IterationList::Expr(_) if !top_level => return None,
        IterationList::Expr(list) => match expr::eval(list, &scope) {
            Ok(expr::Outcome::Known(Value::Array(values))) => values,
            _ => return None,
        },
    };
    crate::runner::element_labels(iteration, &values, &scope).ok()
}

/// The steps at an address under `steps:`, `answers:` or `gates:`
/// (`gate`), one for each of its parts ([`resolve_address`]), and the
/// address read.
fn address(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    prepared: &Prepared,
    id: &runbook_dsl::Spanned<String>,
    gate: bool,
    diags: &mut Diagnostics,
) -> Option<(Vec<Part>, Vec<Addressed>)> {
    let chain = resolve_address(plan, catalog, prepared, id, gate, diags)?;
    // Resolved, so it reads (a step id holds no `.` or `[`).
    let parts = parse(&id.value).ok()?;
    Some((parts, chain))
}

/// The scenario's inputs, resolved as a run's are ([`inputs::resolve`]) in
/// a closed world: no environment, every value from the scenario or a default.
fn inputs(plan: &Plan, scenario: &Scenario, diags: &mut Diagnostics) -> Map<String, Value> {
    let declared = &plan.playbook().inputs;
    let mut given = Map::new();
    for (name, value) in &scenario.inputs {
        given
            .entry(name.value.clone())
            .or_insert_with(|| value.clone());
    }
    let problems = match inputs::resolve(plan.playbook(), &given, Environment::Closed) {
        Ok(resolved) => return resolved,
        Err(problems) => problems,
    };
    let span_of = |name: &str| {
        scenario
            .inputs
            .iter()
            .find(|(n, _)| n.value == name)
            .map(|(n, _)| n.span)
    };
    for problem in problems {
        diags.push(match problem {
            InputProblem::Unknown { name } => Diagnostic::error(
                Code::UnknownInput,
                format!("the playbook has no input `{name}`"),
            )
            .label(
                span_of(&name).unwrap_or(scenario.name.span),
                "unknown input",
            )
            .with_help(help_for(
                "input",
                &name,
                declared.iter().map(|i| i.name.value.as_str()),
            )),
            InputProblem::Missing { name, .. } => Diagnostic::error(
                Code::MissingField,
                format!(
                    "scenario `{}` gives no value for the required input `{name}`",
                    scenario.name.value
                ),
            )
            .label(
                scenario.name.span,
                format!("needs `inputs: {{{name}: ...}}`"),
            ),
            InputProblem::Invalid { name, error } => {
                let ty = declared
                    .iter()
                    .find(|i| i.name.value == name)
                    .map(|i| i.ty.value.name())
                    .unwrap_or_default();
                Diagnostic::error(Code::WrongType, format!("input `{name}`: {error}")).label(
                    span_of(&name).unwrap_or(scenario.name.span),
                    format!("`{name}` is {ty}"),
                )
            }
        });
    }
    Map::new()
}

/// The canned result of a step: its result fields, plus the fields its
/// given outputs are captured from, checked by capturing them back.
fn canned(
    step: &Step,
    primary: &str,
    script: &StepScript,
    diags: &mut Diagnostics,
) -> Option<Canned> {
    let mut fields = script.results.clone();
    let mut ok = true;
    for (name, value) in &script.outputs {
        let Some(output) = step.outputs.iter().find(|o| o.name.value == name.value) else {
            let declared: Vec<&str> = step.outputs.iter().map(|o| o.name.value.as_str()).collect();
            diags.push(
                Diagnostic::error(
                    Code::UnknownOutput,
                    format!(
                        "step `{}` declares no output `{}`",
                        step.id.value, name.value
                    ),
                )
                .label(name.span, "unknown output")
                .with_help(help_for("output", &name.value, declared)),
            );
            ok = false;
            continue;
        };
        invert(output, primary, value, &mut fields);
    }
    if !ok {
        return None;
    }
    if !script.failed && !step.outputs.is_empty() {
        // The runner captures every declared output of a step that succeeds:
        // check now that the scripted results give each of them (and the
        // value the scenario says), so the scenario fails here, not mid-run.
        for output in &step.outputs {
            let captured = outputs::capture(std::slice::from_ref(output), primary, &fields);
            let given = script
                .outputs
                .iter()
                .find(|(n, _)| n.value == output.name.value);
            let problem = match (&captured, given) {
                (Err(e), _) => Some(e.clone()),
                (Ok(got), Some((_, want))) => {
                    let want = match &output.ty {
                        Some(ty) => outputs::coerce(want.clone(), ty.value).unwrap_or(want.clone()),
                        None => want.clone(),
                    };
                    let got = got.get(&output.name.value).cloned().unwrap_or(Value::Null);
                    (!same_value(&got, &want)).then(|| {
                        format!(
                            "output `{}` would capture {got}, not {want}",
                            output.name.value
                        )
                    })
                }
                (Ok(_), None) => None,
            };
            if let Some(problem) = problem {
                let span = given.map(|(n, _)| n.span).unwrap_or(script.step.span);
                let field = output
                    .from
                    .as_ref()
                    .map(|f| f.value.as_str())
                    .unwrap_or(primary);
                let help = match (given, &output.regex) {
                    // The value was given: say why it cannot be captured
                    // back, and give the one way left, not the same advice.
                    (Some((_, value)), Some(regex)) => format!(
                        "runbook writes `{field}` as a line the regex `{}` matches with {value} in its first group, and that line does not capture {value} back (the group cannot match it, or another output captured from `{field}` is in the way): give the text of `{field}` under `results:` instead, such as `results: {{{field}: \"{}\"}}`",
                        regex.value,
                        super::invert::matching_text(&regex.value, &text_of(value))
                            .unwrap_or_else(|| text_of(value))
                            .escape_default()
                    ),
                    (Some(_), None) => format!(
                        "give the result field it is captured from under `results:` (`{field}`) instead of the output"
                    ),
                    (None, _) => format!(
                        "give `outputs: {{{}: VALUE}}`, or the result field it is captured from under `results:` (`{field}`)",
                        output.name.value,
                    ),
                };
                diags.push(
                    Diagnostic::error(
                        Code::UnknownResult,
                        format!(
                            "the scripted result of `{}` does not give its outputs: {problem}",
                            step.id.value
                        ),
                    )
                    .label(span, "scripted here")
                    .help(help),
                );
                ok = false;
            }
        }
    }
    ok.then(|| Canned {
        ok: !script.failed,
        fields,
        message: script.message.clone(),
    })
}

/// Whether a captured value is the scripted one: numbers compare by value
/// (`4000` is the `4000.0` a `type: float` output captures).
fn same_value(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => got == want,
    }
}

/// A scripted value as the text a regex would capture.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The closest step id, for messages that are not diagnostics.
pub fn closest<'p>(plan: &'p Plan, id: &str) -> Option<&'p str> {
    did_you_mean(
        id,
        (0..plan.len()).map(|i| plan.step(i).0.id.value.as_str()),
    )
}
