//! Rehearsals (`runbook test`): a playbook run against a scenario that
//! scripts the world (step results, the operator's answers and decisions),
//! asserting the path taken. Nothing executes: the real scheduler runs
//! ([`crate::session::scripted`]) with a scripted
//! [`Executors`](crate::Executors) and [`Operator`](crate::Operator), so a
//! triage tree broken by a change fails review before an incident finds it.
//!
//! - [`scenario`]: the file format, read from the spanned YAML tree;
//! - [`prepare`]: the scenario checked against the playbook's plan;
//! - [`address`]: the steps it names, `CALL.STEP` in a called playbook;
//! - [`element_address`]: `CALL[LABEL].STEP`, a step of one element's run;
//! - [`run_address`]: addresses of the rehearsed run, to and from the
//!   scenario's (labels and positions);
//! - [`element_scripts`]: the entry that scripts a step's run, an
//!   element's own over the one for every element;
//! - [`invert`]: scripted outputs turned back into the results they come from;
//! - [`script`]: the scripted action set and operator;
//! - [`elements`]: elements of loops, scripted and expected one by one;
//! - [`observed`]: what the rehearsal did, read from its records;
//! - [`verdict`]: what was expected against what happened;
//! - [`unreached`]: entries of the file no rehearsal used (a warning);
//! - [`absent_element`]: why an entry for one element answered for nothing;
//! - [`coverage`]: which branch cases the scenarios take.

mod absent_element;
pub mod address;
pub mod coverage;
pub mod element_address;
pub mod element_scripts;
pub mod elements;
pub mod invert;
mod loop_verdict;
pub mod observed;
pub mod path_order;
pub mod prepare;
pub mod run_address;
mod same_element;
pub mod scenario;
pub mod script;
pub mod unreached;
pub mod verdict;

use crate::action::Executors;
use element_address::yaml_scalar;
use element_scripts::RunLabels;
use prepare::Prepared;
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use runbook_dsl::{Code, Diagnostic, Diagnostics, SourceFile};
use scenario::{GateScript, Scenario, ScenarioFile};
use script::{Missing, ScriptedActions, ScriptedOperator};

use std::path::Path;
use std::sync::{Arc, Mutex};
use verdict::{Mismatch, Rehearsed};

/// What rehearsals need from outside the runtime: the kind catalog (for
/// the result an output captures by default, and which kinds are
/// [pure](runbook_dsl::catalog::Capabilities::pure) or call a playbook) and
/// the actions that run those for real.
#[derive(Clone)]
pub struct World {
    pub catalog: &'static dyn Catalog,
    pub pure: Arc<dyn Executors>,
}

/// How one scenario went.
#[derive(Clone, Debug)]
pub enum Verdict {
    Passed,
    /// The rehearsal differs from the expectation (first difference first).
    Failed(Vec<Mismatch>),
    /// The run reached steps the scenario does not script: diagnostics in
    /// the playbook, at those steps.
    Unscripted(Vec<Diagnostic>),
}

/// One scenario's result.
#[derive(Clone, Debug)]
pub struct ScenarioReport {
    pub name: String,
    pub verdict: Verdict,
    /// What happened (also when it passed), for coverage.
    pub rehearsed: Rehearsed,
    /// The scenario's entries the rehearsal used.
    pub usage: unreached::Usage,
}

/// One scenario file's results.
pub struct FileReport {
    pub file: SourceFile,
    /// Problems of the scenario file itself; when there is an error, no
    /// scenario of the file ran.
    pub diagnostics: Vec<Diagnostic>,
    /// How many scenarios the file holds (as far as it could be read).
    pub count: usize,
    pub plan: Option<Arc<Plan>>,
    pub scenarios: Vec<ScenarioReport>,
}

impl FileReport {
    /// Passed and failed scenarios; a malformed file counts as failed
    /// scenarios (at least one).
    pub fn tally(&self) -> (usize, usize) {
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            return (0, self.count.max(1));
        }
        let passed = self
            .scenarios
            .iter()
            .filter(|s| matches!(s.verdict, Verdict::Passed))
            .count();
        (passed, self.scenarios.len() - passed)
    }
}

/// Reads a scenario file, checks it and its playbook, and rehearses each
/// of its scenarios.
pub fn rehearse_file(path: &Path, world: &World) -> FileReport {
    let mut diags = Diagnostics::new();
    let file = match runbook_dsl::user_file::read_to_string(path) {
        Ok(text) => SourceFile::new(path.display().to_string(), text),
        Err(e) => {
            let file = SourceFile::new(path.display().to_string(), String::new());
            return FileReport {
                diagnostics: vec![Diagnostic::error(
                    Code::Io,
                    format!("cannot read `{}`: {e}", path.display()),
                )],
                file,
                count: 1,
                plan: None,
                scenarios: Vec::new(),
            };
        }
    };
    let Some(parsed) = scenario::parse(file.clone(), &mut diags) else {
        return FileReport {
            file,
            diagnostics: diags.into_sorted(),
            count: 1,
            plan: None,
            scenarios: Vec::new(),
        };
    };
    let count = parsed.scenarios.len();
    let plan = load_playbook(path, &parsed, world, &mut diags);
    let mut prepared = Vec::new();
    if let Some(plan) = &plan {
        for s in &parsed.scenarios {
            prepared.push(prepare::prepare(plan, world.catalog, s, &mut diags));
        }
    }
    let mut report = FileReport {
        file,
        count,
        plan: plan.clone(),
        scenarios: Vec::new(),
        diagnostics: Vec::new(),
    };
    let malformed = diags.has_errors();
    report.diagnostics = diags.into_sorted();
    let Some(plan) = plan else { return report };
    if malformed {
        return report;
    }
    let mut ran = Vec::new();
    for (s, p) in parsed.scenarios.iter().zip(prepared) {
        let Some(p) = p else { continue };
        ran.push(s);
        report.scenarios.push(rehearse(&plan, s, p, world));
    }
    // Entries no rehearsal used: judged over every scenario, for the
    // shared ones.
    let judged: Vec<unreached::Judged> = ran
        .iter()
        .zip(&report.scenarios)
        .map(|(s, r)| unreached::Judged {
            scenario: s,
            run: (!matches!(r.verdict, Verdict::Unscripted(_))).then_some((&r.usage, &r.rehearsed)),
        })
        .collect();
    let mut unused = unreached::unused(&judged, &parsed.shared);
    report.diagnostics.append(&mut unused);
    report
}

fn load_playbook(
    path: &Path,
    parsed: &ScenarioFile,
    world: &World,
    diags: &mut Diagnostics,
) -> Option<Arc<Plan>> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let target = dir.join(&parsed.playbook.value);
    let problem = |why: String| {
        Diagnostic::error(
            Code::UnknownPlaybook,
            format!("cannot rehearse `{}`: {why}", target.display()),
        )
        .label(parsed.playbook.span, "the playbook, relative to this file")
    };
    let file = match runbook_dsl::load::read(&target) {
        Ok(file) => file,
        Err(unreadable) => {
            diags.push(problem(unreadable.diagnostic.message));
            return None;
        }
    };
    let checked = runbook_dsl::load::check(file, world.catalog);
    match checked.plan {
        Some(plan) => Some(Arc::new(plan)),
        None => {
            let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
            diags.push(
                problem(format!("it has {errors} error(s)"))
                    .help(format!("`runbook check {}` shows them", target.display())),
            );
            None
        }
    }
}

/// Runs the real scheduler over the plan in the scenario's scripted world,
/// with time paused (polls and `wait` steps take no time), and judges it.
pub fn rehearse(
    plan: &Arc<Plan>,
    scenario: &Scenario,
    prepared: Prepared,
    world: &World,
) -> ScenarioReport {
    let missing = Arc::new(Mutex::new(Vec::new()));
    let labels = RunLabels::default();
    let path_steps = prepared.path_steps;
    let usage = unreached::Usage {
        steps: prepared.canned.used().clone(),
        items: prepared.items.used().clone(),
        answers: prepared.answers.used().clone(),
        gates: prepared.gates.used().clone(),
    };
    let actions = ScriptedActions {
        canned: Arc::new(prepared.canned),
        items: Arc::new(prepared.items),
        labels: labels.clone(),
        catalog: world.catalog,
        pure: world.pure.clone(),
        missing: missing.clone(),
        prefix: String::new(),
    };
    let operator = ScriptedOperator {
        answers: prepared.answers,
        gates: prepared.gates,
        labels: labels.clone(),
        missing: missing.clone(),
    };
    let (outcome, records) =
        crate::session::scripted::run(plan, Arc::new(actions), Arc::new(operator), prepared.inputs);
    let rehearsed = observed::rehearsed(plan, outcome, records);
    let missing = missing.lock().map(|m| m.clone()).unwrap_or_default();
    let verdict = if !missing.is_empty() {
        Verdict::Unscripted(unscripted(plan, scenario, &missing, &labels))
    } else {
        let mismatches = verdict::compare(plan, scenario, &rehearsed, &path_steps);
        if mismatches.is_empty() {
            Verdict::Passed
        } else {
            Verdict::Failed(mismatches)
        }
    };
    ScenarioReport {
        name: scenario.name.value.clone(),
        verdict,
        rehearsed,
        usage,
    }
}

/// Diagnostics in the playbook at each step the scenario should script.
fn unscripted(
    plan: &Plan,
    scenario: &Scenario,
    missing: &[Missing],
    labels: &RunLabels,
) -> Vec<Diagnostic> {
    let name = &scenario.name.value;
    missing
        .iter()
        .filter_map(|m| {
            // A step of a called playbook (`CALL.STEP`, an element's run
            // `CALL[INDEX].STEP`) is pointed at through the step that calls
            // it. How the scenario names it: for every run of the step, and
            // for this element's run (by its labels).
            let (id, element) = labels.addresses(m.step());
            let call = id.split('.').next().unwrap_or(&id);
            let step = plan.step(plan.index_of(call)?).0;
            let shown = element.clone().unwrap_or_else(|| id.clone());
            // An entry to add under `key:`, `VALUE` after the address: for
            // this element's run alone, or for every run.
            let entry = |key: &str, value: &str| match &element {
                Some(one) => format!(
                    "add under `{key}:` in the scenario, for this element's run: `{}: {value}`, or for every element's: `{}: {value}`",
                    yaml_scalar(one),
                    yaml_scalar(&id)
                ),
                None => format!("add under `{key}:` in the scenario: `{}: {value}`", yaml_scalar(&id)),
            };
            let (message, label, help) = match m {
                Missing::Result(_) => (
                    format!("scenario `{name}` gives no result for `{shown}`, which the rehearsal reaches"),
                    "reached without a scripted result",
                    match &element {
                        None => format!(
                            "add under `steps:` in the scenario: `{key}: succeeded`, or `{key}: {{results: {{...}}, outputs: {{...}}}}`",
                            key = yaml_scalar(&id)
                        ),
                        Some(_) => format!(
                            "{} (or `{{results: {{...}}, outputs: {{...}}}}` for `succeeded`)",
                            entry("steps", "succeeded")
                        ),
                    },
                ),
                Missing::Answer(_) => (
                    format!("scenario `{name}` gives no answer to `{shown}`"),
                    "asked without a scripted answer",
                    entry("answers", "ANSWER"),
                ),
                Missing::Decision(_) => (
                    format!("scenario `{name}` gives no decision at the gate of `{shown}`"),
                    "gate reached without a scripted decision",
                    format!(
                        "{} (or `{}`)",
                        entry("gates", GateScript::APPROVE),
                        GateScript::REJECT
                    ),
                ),
                Missing::Item(_, item) => (
                    format!(
                        "scenario `{name}` gives no result for element [{}] `{}` of `{shown}`, which the rehearsal reaches",
                        item.index, item.label
                    ),
                    "an element reached without a scripted result",
                    format!(
                        "add under `items:` of `{}` in the scenario: `- {{label: {}, state: succeeded}}`, or give `{shown}` a result of its own (`state`, `results`, `outputs`) for the elements `items` does not name",
                        yaml_scalar(&shown),
                        serde_json::Value::from(item.label.as_str())
                    ),
                ),
                Missing::Conflict(_, under, entries) => (
                    format!(
                        "scenario `{name}` scripts `{shown}` under `{under}:` more than once: {}",
                        entries.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
                    ),
                    "an element's step scripted twice",
                    "these entries name the same element, by its label and by its position: keep one".to_string(),
                ),
            };
            let label = if call == id {
                label.to_string()
            } else {
                format!("its called playbook reaches `{shown}`: {label}")
            };
            Some(
                Diagnostic::error(Code::MissingField, message)
                    .label(step.id.span, label)
                    .help(help),
            )
        })
        .collect()
}
