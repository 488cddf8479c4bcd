//! The world of a rehearsal: an [`Executors`] whose every kind answers from
//! the scenario, and an [`Operator`] that answers from it too. The real
//! scheduler runs against them, so a rehearsal exercises the same readiness,
//! branch, join, failure-edge and gate rules as a run, and nothing executes.
//!
//! Kinds that only compute (`log`, `assert`, `wait`, `approve`) may be left
//! unscripted: they are delegated to the `pure` action set the caller gives
//! (the standard library's, with time paused so `wait` takes no time). Any
//! other step the run reaches without a scripted result fails, and the
//! rehearsal reports the missing script rather than a path.
//!
//! A `playbook` step the scenario gives no result for runs the called
//! playbook for real, in the same scripted world: its steps' results, its
//! answers and its gates are scripted with `CALL.STEP` addresses, the form
//! `--approve`/`--answer` take in a run ([`crate::operator::Nested`]).
//! Each element of a loop over a `playbook` step runs its called playbook
//! at `CALL[INDEX]`, so a step of one element's run is scripted as
//! `CALL[LABEL].STEP` or `CALL[INDEX].STEP`, over the `CALL.STEP` entry
//! for every element ([`super::element_scripts`]).

use super::element_scripts::{ByAddress, Found, RunLabels};
use crate::action::{ActionContext, ActionResult, BoxFuture, Execute, Executors, LoopItem};
use crate::operator::{Decision, GateRequest, Operator, Question, QuestionKind, Reply, Via};
use runbook_dsl::catalog::Catalog;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// What the scenario makes a step's action return.
#[derive(Clone, Debug)]
pub struct Canned {
    pub ok: bool,
    pub fields: Map<String, Value>,
    pub message: Option<String>,
}

/// Which element of a loop a script answers for: by position, label, or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementMatch {
    pub index: Option<usize>,
    pub label: Option<String>,
}

impl ElementMatch {
    pub fn of(element: &super::elements::ElementRef) -> ElementMatch {
        ElementMatch {
            index: element.index.as_ref().map(|i| i.value),
            label: element.label.as_ref().map(|l| l.value.clone()),
        }
    }

    fn matches(&self, item: &LoopItem) -> bool {
        self.index.is_none_or(|i| i == item.index)
            && self.label.as_ref().is_none_or(|l| *l == item.label)
    }
}

/// Something the run needed that the scenario does not give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A step's result.
    Result(String),
    /// The result of an element of a loop that has elements scripted but
    /// no script of its own for the others: the step's address and the element.
    Item(String, LoopItem),
    /// The answer to an `ask`.
    Answer(String),
    /// The decision at a gate.
    Decision(String),
    /// Entries that each script the same element's step (by its label and
    /// by its position, in a list the scenario did not make known), as
    /// written, and what they script (`steps`, `answers`, `gates`).
    Conflict(String, &'static str, Vec<String>),
}

impl Missing {
    /// The step's address in the rehearsal (an element's run by its
    /// position: `each[1].restore_db`).
    pub fn step(&self) -> &str {
        match self {
            Missing::Result(s) | Missing::Answer(s) | Missing::Decision(s) => s,
            Missing::Item(s, _) | Missing::Conflict(s, _, _) => s,
        }
    }
}

/// What the scenario scripts for a run of a step, or the note of why the
/// rehearsal cannot say (two entries for it).
fn found<'a, T>(
    found: Found<'a, T>,
    address: &str,
    under: &'static str,
    missing: &Mutex<Vec<Missing>>,
) -> Result<Option<&'a T>, ()> {
    match found {
        Found::None => Ok(None),
        Found::One(value) => Ok(Some(value)),
        Found::Conflict(entries) => {
            if let Ok(mut m) = missing.lock() {
                m.push(Missing::Conflict(address.to_string(), under, entries));
            }
            Err(())
        }
    }
}

/// Every kind answers from the scenario.
#[derive(Clone)]
pub struct ScriptedActions {
    pub(crate) canned: Arc<ByAddress<Canned>>,
    /// Elements of loops scripted one by one, by the loop step's address.
    pub(crate) items: Arc<ByAddress<Vec<(ElementMatch, Canned)>>>,
    /// The labels of the elements whose called runs started.
    pub(crate) labels: RunLabels,
    /// The kinds: which run for real when the scenario gives no result
    /// (see [`World::pure`]).
    pub(crate) catalog: &'static dyn Catalog,
    pub(crate) pure: Arc<dyn Executors>,
    pub(crate) missing: Arc<Mutex<Vec<Missing>>>,
    /// `CALL.` (nested: `OUTER.CALL.`; an element's run: `CALL[INDEX].`)
    /// in a called playbook, empty at the top: the scenario scripts step
    /// `STEP` there as `CALL.STEP` (or `CALL[LABEL].STEP`).
    pub(crate) prefix: String,
}

impl Executors for ScriptedActions {
    fn executor(&self, kind: &str) -> Option<Arc<dyn Execute>> {
        // A pure kind changes nothing, so it runs for real; a call runs its
        // playbook in the rehearsal's world, its steps scripted `CALL.STEP`.
        let known = self
            .catalog
            .kind(kind)
            .filter(|s| s.capabilities.pure || s.capabilities.calls_playbook);
        Some(Arc::new(ScriptedAction {
            fallback: known.and_then(|_| self.pure.executor(kind)),
            calls: known.is_some_and(|s| s.capabilities.calls_playbook),
            actions: self.clone(),
        }))
    }

    fn called(&self, call: &str) -> Option<Arc<dyn Executors>> {
        Some(Arc::new(ScriptedActions {
            prefix: format!("{}{call}.", self.prefix),
            ..self.clone()
        }))
    }
}

struct ScriptedAction {
    actions: ScriptedActions,
    fallback: Option<Arc<dyn Execute>>,
    /// The kind calls a playbook.
    calls: bool,
}

impl ScriptedAction {
    /// The step's address in the scenario.
    fn address(&self, step: &str) -> String {
        format!("{}{step}", self.actions.prefix)
    }

    /// What the scenario scripts for this run of the step: an element of a
    /// loop its own script (the first that names it), else the step's.
    /// `Err`: the entries that each script it. `used`: the run uses it
    /// (noted for [`super::unreached`]), not only describes it.
    fn canned(&self, ctx: &ActionContext, used: bool) -> Result<Option<&Canned>, Vec<String>> {
        let address = self.address(&ctx.step);
        let (actions, labels) = (&self.actions, &self.actions.labels);
        if let Some(item) = &ctx.item {
            let element =
                match actions.items.keyed(&address, labels)? {
                    Some((key, items)) => items
                        .iter()
                        .position(|(which, _)| which.matches(item))
                        .map(|at| {
                            if used {
                                actions.items.used().note(key, Some(at));
                            }
                            &items[at].1
                        }),
                    None => None,
                };
            if element.is_some() {
                return Ok(element);
            }
        }
        let found = if used {
            actions.canned.get(&address, labels)
        } else {
            actions.canned.peek(&address, labels)
        };
        match found {
            Found::Conflict(entries) => Err(entries),
            found => Ok(found.one()),
        }
    }

    /// The context an element of a loop over a `playbook` step runs its
    /// called playbook with: its run at `CALL[INDEX]` for its actions (its
    /// operator addresses it so already: [`crate::operator::Nested`]), and
    /// its label noted, so that the scenario's entries for that element's
    /// run answer it.
    fn element_run(&self, ctx: &ActionContext, item: &LoopItem) -> ActionContext {
        let run = format!("{}[{}]", self.address(&ctx.step), item.index);
        self.actions.labels.note(&run, &item.label);
        let mut element = ctx.clone();
        element.called_actions = Some(Arc::new(ScriptedActions {
            prefix: format!("{run}."),
            ..self.actions.clone()
        }));
        element
    }
}

impl Execute for ScriptedAction {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let address = self.address(&ctx.step);
            let canned = match self.canned(ctx, true) {
                Ok(canned) => canned,
                Err(entries) => {
                    if let Ok(mut missing) = self.actions.missing.lock() {
                        missing.push(Missing::Conflict(address, "steps", entries));
                    }
                    return ActionResult::failure(
                        "two entries of the scenario script this element's step",
                    );
                }
            };
            if let Some(canned) = canned {
                return ActionResult {
                    ok: canned.ok,
                    fields: canned.fields.clone(),
                    message: canned.message.clone().or_else(|| {
                        (!canned.ok).then(|| "failed (scripted by the scenario)".to_string())
                    }),
                    undecided: false,
                    rejected: false,
                    misconfigured: false,
                };
            }
            if let Some(action) = &self.fallback {
                return match &ctx.item {
                    Some(item) if self.calls => action.run(&self.element_run(ctx, item)).await,
                    _ => action.run(ctx).await,
                };
            }
            let missed = match &ctx.item {
                Some(item) if self.actions.items.scripts(&address) => {
                    Missing::Item(address, item.clone())
                }
                _ => Missing::Result(address),
            };
            if let Ok(mut missing) = self.actions.missing.lock() {
                missing.push(missed);
            }
            ActionResult::failure("the scenario gives no result for this step")
        })
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        match &self.fallback {
            Some(action) if matches!(self.canned(ctx, false), Ok(None)) => action.describe(ctx),
            _ => format!("`{}`, as the scenario scripts it", self.address(&ctx.step)),
        }
    }
}

/// The operator of a rehearsal: decisions and answers from the scenario.
/// A `manual` step not mentioned is confirmed (the operator did it); an
/// `ask` or a gate not mentioned is missing from the scenario.
pub struct ScriptedOperator {
    pub(crate) answers: ByAddress<Value>,
    pub(crate) gates: ByAddress<super::scenario::GateScript>,
    pub(crate) labels: RunLabels,
    pub(crate) missing: Arc<Mutex<Vec<Missing>>>,
}

const WHO: &str = "scenario";

impl ScriptedOperator {
    fn note(&self, missing: Missing) {
        if let Ok(mut m) = self.missing.lock() {
            m.push(missing);
        }
    }
}

impl Operator for ScriptedOperator {
    fn approve(&self, request: &GateRequest) -> Decision {
        let reject = |reason: &str| Decision {
            approved: false,
            who: WHO.into(),
            via: Via::Scenario,
            reason: Some(reason.into()),
        };
        // One element's own gate (`approval_per_item`): its entry
        // (`STEP[INDEX]`, `STEP[LABEL]`) if the scenario gives one, else
        // the step's.
        let address = match request
            .element
            .as_deref()
            .and_then(crate::element_name::shown_element)
        {
            Some((index, label)) => {
                let run = format!("{}[{index}]", request.step);
                self.labels.note(&run, label);
                run
            }
            None => request.step.clone(),
        };
        let gates = self.gates.get(&address, &self.labels);
        let Ok(script) = found(gates, &request.step, "gates", &self.missing) else {
            return reject("two entries of the scenario decide this gate");
        };
        let Some(script) = script else {
            self.note(Missing::Decision(request.step.clone()));
            return reject("rejected by the scenario");
        };
        match &script.by {
            // A remote decision by another user: the only one that passes
            // a four-eyes gate.
            Some(by) if by != WHO => Decision {
                approved: script.approve,
                who: by.clone(),
                via: Via::Remote,
                reason: (!script.approve).then(|| "rejected by the scenario".into()),
            },
            _ if request.by_other && script.approve => Decision {
                approved: false,
                who: WHO.into(),
                via: Via::Scenario,
                reason: Some(format!(
                    "four-eyes: the person running the playbook cannot approve `{}`; script a decision by someone else: `{{decision: approve, by: NAME}}`",
                    request.step
                )),
            },
            _ => Decision {
                approved: script.approve,
                who: WHO.into(),
                via: Via::Scenario,
                reason: (!script.approve).then(|| "rejected by the scenario".into()),
            },
        }
    }

    fn answer(&self, question: &Question) -> Reply {
        let refused = |reason: &str| Reply::Refused {
            who: WHO.into(),
            via: Via::Scenario,
            reason: reason.into(),
        };
        let answers = self.answers.get(&question.step, &self.labels);
        let Ok(given) = found(answers, &question.step, "answers", &self.missing) else {
            return refused("two entries of the scenario answer this question");
        };
        let answer = |value: Value| Reply::Answer {
            value,
            who: WHO.into(),
            via: Via::Scenario,
        };
        match (&question.kind, given) {
            (QuestionKind::Manual, None | Some(Value::Bool(true))) => {
                answer(Value::String(String::new()))
            }
            (QuestionKind::Manual, Some(Value::Bool(false))) => {
                refused("the operator does not confirm it (scenario)")
            }
            (QuestionKind::Manual, Some(Value::String(note))) => {
                answer(Value::String(note.clone()))
            }
            (QuestionKind::Manual, Some(other)) => answer(Value::String(other.to_string())),
            (QuestionKind::Ask(_), Some(value)) => answer(value.clone()),
            (QuestionKind::Ask(_), None) => {
                self.note(Missing::Answer(question.step.clone()));
                refused("the scenario gives no answer")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ActionContext;

    /// No kind computes anything here.
    struct Nothing;

    impl Executors for Nothing {
        fn executor(&self, _kind: &str) -> Option<Arc<dyn Execute>> {
            None
        }
    }

    fn result(actions: &dyn Executors, step: &str) -> ActionResult {
        let action = actions.executor("shell").expect("every kind answers");
        let ctx = ActionContext::new(step, Default::default());
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime starts")
            .block_on(action.run(&ctx))
    }

    /// Nested calls compose their addresses as the operator's do
    /// (`OUTER.CALL.STEP`), and what is missing is named by that address.
    #[test]
    fn a_called_playbooks_steps_are_scripted_as_call_step() {
        let mut canned = ByAddress::default();
        canned.insert_every(
            "outer.inner.probe",
            Canned {
                ok: true,
                fields: Map::from_iter([("stdout".to_string(), Value::from("up"))]),
                message: None,
            },
        );
        let missing = Arc::new(Mutex::new(Vec::new()));
        let top = ScriptedActions {
            canned: Arc::new(canned),
            items: Arc::default(),
            labels: RunLabels::default(),
            catalog: Box::leak(Box::new(runbook_dsl::catalog::KindList::default())),
            pure: Arc::new(Nothing),
            missing: missing.clone(),
            prefix: String::new(),
        };
        let inner = top
            .called("outer")
            .and_then(|outer| outer.called("inner"))
            .expect("a rehearsal scripts called playbooks");
        let scripted = result(&*inner, "probe");
        assert!(scripted.ok);
        assert_eq!(scripted.fields.get("stdout"), Some(&Value::from("up")));

        // The same step id at the top, or one call up, is another step.
        assert!(!result(&top, "probe").ok);
        let outer = top.called("outer").expect("scripted");
        assert!(!result(&*outer, "probe").ok);
        assert_eq!(
            *missing.lock().expect("not poisoned"),
            vec![
                Missing::Result("probe".into()),
                Missing::Result("outer.probe".into())
            ]
        );
    }
}
