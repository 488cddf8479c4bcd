//! A kind declared by a test, as `docs/adding-a-kind.md` describes: one
//! `Kind` (schema and execution, typed parameters), added to the same list
//! type the built-in kinds are in, then checked and run through the same
//! code paths (`load::check` over the list's catalog, the `Runner` with the
//! list as its actions).

use runbook_dsl::ast::{Effect, ValueType};
use runbook_dsl::catalog::{Capabilities, KindSchema, ParamSchema, ParamType, ResultField};
use runbook_dsl::expr::{Record, Type};
use runbook_dsl::node::Node;
use runbook_dsl::plan::Plan;
use runbook_dsl::{Code, SourceFile};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::bus::Collector;
use runbook_runtime::operator::Preapproved;
use runbook_runtime::{
    ActionContext, ActionResult, Event, EventBus, Kind, Kinds, Restored, RunOptions, RunStatus,
    Runner, StepState,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::{Arc, LazyLock};
use tokio_util::sync::CancellationToken;

/// `tally`: counts the words of a text; fails when there are fewer than
/// `at_least`.
struct Tally;

/// An element of `tally`'s `words`: exactly these fields.
static WORD: LazyLock<Type> = LazyLock::new(|| {
    Record::closed(
        Some("word"),
        vec![("text", Type::String), ("length", Type::Int)],
    )
    .into_type()
});

#[derive(Deserialize)]
struct TallyParams {
    text: String,
    at_least: Option<i64>,
}

fn reads(_: &Node) -> Effect {
    Effect::Read
}

impl Kind for Tally {
    type Params = TallyParams;

    fn schema(&self) -> KindSchema {
        KindSchema {
            name: "tally",
            summary: "Count the words of a text.",
            params: vec![
                ParamSchema::required("text", ParamType::Template, "The text."),
                ParamSchema::optional("at_least", ParamType::Int, "Fewer words fail."),
            ],
            shorthand: Some("text"),
            results: vec![
                ResultField::new("count", ValueType::Int, "How many words."),
                // The shape of its elements, so `check` types a loop over
                // them (docs/adding-a-kind.md, "The shape of results").
                ResultField::new("words", ValueType::List, "Each word and its length.")
                    .shaped(|_| Type::List(Box::new(WORD.clone()))),
            ],
            primary_result: "count",
            default_effect: reads,
            effect_doc: "`read`: counting changes nothing.",
            rules: runbook_dsl::catalog::no_rules,
            capabilities: Capabilities::default(),
        }
    }

    fn run<'a>(&'a self, params: TallyParams, _: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let count = params.text.split_whitespace().count();
            let mut fields = Map::new();
            fields.insert("count".into(), Value::from(count));
            let words = params
                .text
                .split_whitespace()
                .map(|w| serde_json::json!({"text": w, "length": w.chars().count()}));
            fields.insert("words".into(), Value::Array(words.collect()));
            match params.at_least {
                Some(n) if (count as i64) < n => {
                    ActionResult::failure(format!("{count} words, fewer than {n}"))
                        .with_fields(fields)
                }
                _ => ActionResult::success(fields),
            }
        })
    }

    fn describe(&self, params: &TallyParams, _: &ActionContext) -> String {
        format!("count the words of {:?}", params.text)
    }
}

/// `hold`: a checkpoint that gates by itself, as `approve` does, known to
/// the rest of the pipeline only by its capability.
struct Hold;

#[derive(Deserialize)]
struct HoldParams {}

impl Kind for Hold {
    type Params = HoldParams;

    fn schema(&self) -> KindSchema {
        KindSchema {
            name: "hold",
            summary: "Wait for a person's approval.",
            params: vec![],
            shorthand: None,
            results: vec![],
            primary_result: "",
            default_effect: reads,
            effect_doc: "`read`.",
            rules: runbook_dsl::catalog::no_rules,
            capabilities: Capabilities {
                gates: true,
                ..Capabilities::default()
            },
        }
    }

    fn run<'a>(&'a self, _: HoldParams, _: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async { ActionResult::success(Map::new()) })
    }

    fn describe(&self, _: &HoldParams, _: &ActionContext) -> String {
        "hold".into()
    }
}

/// The built-in kinds and the test's, in the list type the binary uses.
fn kinds() -> Kinds {
    runbook_stdlib::kinds().with(&[&Tally, &Hold])
}

fn check(kinds: &Kinds, yaml: &str) -> runbook_dsl::load::Checked {
    runbook_dsl::load::check(SourceFile::new("custom.yaml", yaml), kinds.catalog())
}

fn run(kinds: Kinds, plan: Plan, inputs: Map<String, Value>) -> (RunStatus, Vec<Event>) {
    let runner = Runner::new(
        Arc::new(plan),
        Arc::new(kinds),
        Arc::new(Preapproved::default()),
        RunOptions::default(),
    );
    let collector = Collector::default();
    let mut bus = EventBus::new();
    bus.subscribe(Box::new(collector.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime starts");
    let outcome = rt.block_on(runner.run(
        &mut bus,
        inputs,
        Restored::default(),
        CancellationToken::new(),
    ));
    let events = collector
        .records
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|r| r.event.clone())
        .collect();
    (outcome.status, events)
}

fn finished<'a>(events: &'a [Event], id: &str) -> (&'a StepState, &'a Map<String, Value>) {
    events
        .iter()
        .find_map(|e| match e {
            Event::StepFinished {
                step,
                state,
                results,
                ..
            } if step == id => Some((state, results)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id} finished: {events:?}"))
}

const PLAYBOOK: &str = r#"
name: custom
inputs:
  text: {type: string}
steps:
  - id: words
    tally:
      text: "{{inputs.text}}"
      at_least: 2
  - id: enough
    needs: [words]
    assert: "steps.words.count == 5"
"#;

#[test]
fn a_kind_declared_by_a_test_is_checked_and_run_like_a_built_in_one() {
    let kinds = kinds();
    let checked = check(&kinds, PLAYBOOK);
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    // Its schema's default effect and primary result reach the plan.
    let words = plan.index_of("words").expect("the step is planned");
    assert_eq!(plan.step_plan(words).effect, Effect::Read);
    assert_eq!(plan.step_plan(words).primary_result, "count");

    // A hostile text is a value: counted, never run.
    let mut inputs = Map::new();
    inputs.insert("text".into(), Value::from("$(touch pwned) `id` ';' \"#\""));
    let (status, events) = run(kinds, plan, inputs);
    assert_eq!(status, RunStatus::Succeeded, "{events:?}");
    let (state, results) = finished(&events, "words");
    assert_eq!(*state, StepState::Succeeded);
    assert_eq!(results["count"], 5);
    assert_eq!(*finished(&events, "enough").0, StepState::Succeeded);
    assert!(!std::path::Path::new("pwned").exists());
}

#[test]
fn its_failure_is_a_failed_step() {
    let kinds = kinds();
    let checked = check(&kinds, PLAYBOOK);
    let plan = checked.plan.expect("it checks");
    let mut inputs = Map::new();
    inputs.insert("text".into(), Value::from("lonely"));
    let (status, events) = run(kinds, plan, inputs);
    assert_eq!(status, RunStatus::Failed);
    assert_eq!(*finished(&events, "words").0, StepState::Failed);
}

#[test]
fn its_parameters_are_checked_against_its_schema() {
    let kinds = kinds();
    let checked = check(
        &kinds,
        "steps:\n  - id: words\n    tally:\n      text: hi\n      at_least: many\n      colour: red\n",
    );
    assert!(checked.plan.is_none());
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::InvalidParam), "{codes:?}");
    assert!(codes.contains(&Code::UnknownParam), "{codes:?}");

    // Without the kind in the list, the same step names no kind.
    let checked = runbook_dsl::load::check(
        SourceFile::new("custom.yaml", "steps:\n  - id: words\n    tally: hi\n"),
        runbook_stdlib::builtin(),
    );
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::UnknownKind), "{codes:?}");
}

#[test]
fn a_capability_is_what_the_pipeline_asks() {
    let kinds = kinds();
    let checked = check(
        &kinds,
        "steps:\n  - id: checkpoint\n    hold: {}\n  - id: change\n    needs: [checkpoint]\n    shell: \"true\"\n",
    );
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let hold = plan.index_of("checkpoint").expect("planned");
    let change = plan.index_of("change").expect("planned");
    assert!(plan.is_gated(hold));
    assert!(!plan.is_gated(change));
    // The step it guards waits for approval, as behind an `approve` step.
    assert!(plan.waits_for_approval(change));
}

/// Issue 12, section 1: a kind declares the shape of its results' elements
/// and `check` types a loop over them by it: a known field reads with its
/// type, a misspelt one is `unknown_record_field` on the field with a
/// did-you-mean, a type that does not fit is a mismatch; the loop that
/// checks runs and reads the fields it was typed with.
#[test]
fn a_custom_kind_declares_the_shape_of_its_elements() {
    let kinds = kinds();
    let looped = |body: &str| {
        format!(
            "name: custom\nsteps:\n  - id: words\n    tally: \"a bb ccc\"\n  - id: each\n    needs: [words]\n    for_each: steps.words.words\n    as: word\n{body}"
        )
    };
    let misspelt = looped("    log: \"{{word.lenght}}\"\n");
    let checked = check(&kinds, &misspelt);
    let d = &checked.diagnostics[0];
    assert_eq!(checked.diagnostics.len(), 1, "{:?}", checked.diagnostics);
    assert_eq!(d.code, Code::UnknownRecordField);
    assert_eq!(d.message, "`word` has no field `lenght`");
    assert_eq!(
        &misspelt[d.primary_span().start..d.primary_span().end],
        "lenght"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `length`?"));

    let mismatched = looped("    when: \"steps.words.count > 0\"\n    log: \"{{word.text}}\"\n    until: word.length == \"3\"\n");
    let checked = check(&kinds, &mismatched);
    assert_eq!(checked.diagnostics.len(), 1, "{:?}", checked.diagnostics);
    assert_eq!(checked.diagnostics[0].code, Code::TypeMismatch);
    assert!(checked.diagnostics[0]
        .message
        .contains("an integer with a string"));

    let good = looped("    log: \"{{word.text}} has {{word.length}}\"\n  - id: longest\n    needs: [words]\n    assert: \"max(steps.words.words, w => w.length) == 3\"\n");
    let checked = check(&kinds, &good);
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let each = plan.index_of("each").expect("planned");
    let iteration = plan.step_plan(each).iteration.as_ref().expect("a loop");
    assert_eq!(iteration.element_type.to_string(), "word");
    let (status, events) = run(kinds, plan, Map::new());
    assert_eq!(status, RunStatus::Succeeded, "{events:?}");
    let (_, results) = finished(&events, "each");
    assert_eq!(results["count"], 3, "{results:?}");
}
