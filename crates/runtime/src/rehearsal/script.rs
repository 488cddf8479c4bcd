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

use crate::action::{ActionContext, ActionResult, BoxFuture, Execute, Executors, LoopItem};
use crate::operator::{Decision, GateRequest, Operator, Question, QuestionKind, Reply, Via};
use runbook_dsl::catalog::Catalog;
use serde_json::{Map, Value};
use std::collections::HashMap;
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
}

impl Missing {
    pub fn step(&self) -> &str {
        match self {
            Missing::Result(s) | Missing::Answer(s) | Missing::Decision(s) => s,
            Missing::Item(s, _) => s,
        }
    }
}

/// Every kind answers from the scenario.
pub struct ScriptedActions {
    pub(crate) canned: Arc<HashMap<String, Canned>>,
    /// Elements of loops scripted one by one, by the loop step's address.
    pub(crate) items: Arc<HashMap<String, Vec<(ElementMatch, Canned)>>>,
    /// The kinds: which run for real when the scenario gives no result
    /// (see [`World::pure`]).
    pub(crate) catalog: &'static dyn Catalog,
    pub(crate) pure: Arc<dyn Executors>,
    pub(crate) missing: Arc<Mutex<Vec<Missing>>>,
    /// `CALL.` (nested: `OUTER.CALL.`) in a called playbook, empty at the top:
    /// the scenario scripts step `STEP` there as `CALL.STEP`.
    pub(crate) prefix: String,
}

impl Executors for ScriptedActions {
    fn executor(&self, kind: &str) -> Option<Arc<dyn Execute>> {
        // A pure kind changes nothing, so it runs for real; a call runs its
        // playbook in the rehearsal's world, its steps scripted `CALL.STEP`.
        let fallback = self
            .catalog
            .kind(kind)
            .filter(|s| s.capabilities.pure || s.capabilities.calls_playbook)
            .and_then(|_| self.pure.executor(kind));
        Some(Arc::new(ScriptedAction {
            canned: self.canned.clone(),
            items: self.items.clone(),
            fallback,
            missing: self.missing.clone(),
            prefix: self.prefix.clone(),
        }))
    }

    fn called(&self, call: &str) -> Option<Arc<dyn Executors>> {
        Some(Arc::new(ScriptedActions {
            canned: self.canned.clone(),
            items: self.items.clone(),
            catalog: self.catalog,
            pure: self.pure.clone(),
            missing: self.missing.clone(),
            prefix: format!("{}{call}.", self.prefix),
        }))
    }
}

struct ScriptedAction {
    canned: Arc<HashMap<String, Canned>>,
    items: Arc<HashMap<String, Vec<(ElementMatch, Canned)>>>,
    fallback: Option<Arc<dyn Execute>>,
    missing: Arc<Mutex<Vec<Missing>>>,
    prefix: String,
}

impl ScriptedAction {
    /// The step's address in the scenario.
    fn address(&self, step: &str) -> String {
        format!("{}{step}", self.prefix)
    }

    /// What the scenario scripts for this run of the step: an element of a
    /// loop its own script (the first that names it), else the step's.
    fn canned(&self, ctx: &ActionContext) -> Option<&Canned> {
        let address = self.address(&ctx.step);
        let element = ctx.item.as_ref().and_then(|item| {
            self.items
                .get(&address)?
                .iter()
                .find(|(which, _)| which.matches(item))
                .map(|(_, canned)| canned)
        });
        element.or_else(|| self.canned.get(&address))
    }
}

impl Execute for ScriptedAction {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let address = self.address(&ctx.step);
            if let Some(canned) = self.canned(ctx) {
                return ActionResult {
                    ok: canned.ok,
                    fields: canned.fields.clone(),
                    message: canned.message.clone().or_else(|| {
                        (!canned.ok).then(|| "failed (scripted by the scenario)".to_string())
                    }),
                    undecided: false,
                    rejected: false,
                };
            }
            if let Some(action) = &self.fallback {
                return action.run(ctx).await;
            }
            let missed = match &ctx.item {
                Some(item) if self.items.contains_key(&address) => {
                    Missing::Item(address, item.clone())
                }
                _ => Missing::Result(address),
            };
            if let Ok(mut missing) = self.missing.lock() {
                missing.push(missed);
            }
            ActionResult::failure("the scenario gives no result for this step")
        })
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        match &self.fallback {
            Some(action) if self.canned(ctx).is_none() => action.describe(ctx),
            _ => format!("`{}`, as the scenario scripts it", self.address(&ctx.step)),
        }
    }
}

/// The operator of a rehearsal: decisions and answers from the scenario.
/// A `manual` step not mentioned is confirmed (the operator did it); an
/// `ask` or a gate not mentioned is missing from the scenario.
pub struct ScriptedOperator {
    pub(crate) answers: HashMap<String, Value>,
    pub(crate) gates: HashMap<String, super::scenario::GateScript>,
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
        let Some(script) = self.gates.get(&request.step) else {
            self.note(Missing::Decision(request.step.clone()));
            return Decision {
                approved: false,
                who: WHO.into(),
                via: Via::Scenario,
                reason: Some("rejected by the scenario".into()),
            };
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
        let given = self.answers.get(&question.step);
        let refused = |reason: &str| Reply::Refused {
            who: WHO.into(),
            via: Via::Scenario,
            reason: reason.into(),
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
        let mut canned = HashMap::new();
        canned.insert(
            "outer.inner.probe".to_string(),
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
