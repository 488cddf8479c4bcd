//! What a resume brings back from a journal into a run: the steps that
//! succeeded, those that were interrupted, and the same of each playbook a
//! step called. Read from the journal by `session::journaled`, given to the runner
//! and, for a called playbook, to its calling step's action.

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// A step's result fields and its captured outputs.
pub type Captured = (Map<String, Value>, Map<String, Value>);

/// A step that failed (or timed out) before the run stopped: its results,
/// its outputs, how it ended and why.
#[derive(Clone, Debug)]
pub struct Failed {
    pub results: Map<String, Value>,
    pub outputs: Map<String, Value>,
    /// `failed` or `timed_out`.
    pub state: crate::event::StepState,
    pub message: Option<String>,
}

/// What a resume brings back from the journal.
#[derive(Clone, Debug, Default)]
pub struct Restored {
    /// Steps that succeeded, with their results and outputs.
    pub succeeded: HashMap<String, Captured>,
    /// Steps that failed, as they last ended. One whose failure its
    /// `on_failure` handled (`continue`, `goto`) is kept as it ended: the
    /// run went on past it, its dependents read that failure. One whose
    /// failure stopped the run runs again.
    pub failed: HashMap<String, Failed>,
    /// Steps whose last end was a rejection or a cancellation, as they
    /// ended: a resume that only finishes the cleanups settles them so, so
    /// that a cleanup's `when: failed(X)` and its reads of `X`'s results
    /// see what the stopped run saw.
    pub stopped: HashMap<String, Failed>,
    /// Steps that were running when the run stopped: asked for again.
    pub interrupted: HashSet<String>,
    /// The run's cleanups had begun after work stopped it: the resume
    /// finishes them and runs no work, and the run ends as it had stopped.
    pub finish_cleanup: Option<crate::event::RunStatus>,
    /// With `finish_cleanup`: the signal that had stopped the run, which
    /// the resume's exit code follows (`SIGTERM` 143, not 130).
    pub stopped_by: Option<String>,
    /// Of those, the ones every element of which that started came to an
    /// end (none did, perhaps): a loop among them stopped between its
    /// elements (at an element's gate, or waiting for its turn to ask), so
    /// nothing of it was in flight ([`Restored::settle_loops`]).
    pub between_elements: HashSet<String>,
    /// The runs of the playbooks that steps called, by calling step: a
    /// calling step that runs again continues inside its called playbook
    /// (its steps that succeeded do not run again).
    pub called: HashMap<String, Restored>,
    /// Computed values (`vars:`) as first computed, except those a secret
    /// flows into (journaled masked, so computed again).
    pub vars: Vec<(String, Value)>,
    /// The plan hash the run started with (for a called playbook: whether
    /// it changed since).
    pub plan_hash: Option<String>,
    /// Elements of `for_each` steps that succeeded before the run stopped,
    /// by step: they do not run again.
    pub items: HashMap<String, Vec<RestoredItem>>,
    /// The called runs of elements of loops over a `playbook` step, by
    /// step: an element that runs again continues inside its own.
    pub item_calls: HashMap<String, Vec<ItemCall>>,
    /// How the run's last part ended, when it came to an end.
    pub last_end: Option<LastEnd>,
    /// With `finish_cleanup`: the calling steps that run with the cleanups,
    /// unattended, to finish their called playbooks' cleanups
    /// ([`Restored::unfinished_calls`]).
    pub finish_calls: HashSet<String>,
}

/// The end of a run's last part (its `run_finished`).
#[derive(Clone, Debug)]
pub struct LastEnd {
    pub status: crate::event::RunStatus,
    /// The cleanups that had run when it ended, when it stopped early.
    pub cleaned_up: Vec<String>,
    /// A cleanup did not finish (`cleanup_unfinished`).
    pub cleanup_unfinished: bool,
}

impl LastEnd {
    /// The end a `run_finished` record says; `None` for another event.
    pub fn of(event: &crate::event::Event) -> Option<LastEnd> {
        let crate::event::Event::RunFinished {
            status,
            cleanup_unfinished,
            cleaned_up,
            ..
        } = event
        else {
            return None;
        };
        Some(LastEnd {
            status: *status,
            cleaned_up: cleaned_up.clone(),
            cleanup_unfinished: !cleanup_unfinished.is_empty(),
        })
    }
}

/// The run of the playbook an element of a loop called, journaled at
/// `STEP[INDEX]`: when that element runs again on resume (it was
/// interrupted or failed), its called playbook continues where it stopped.
#[derive(Clone, Debug)]
pub struct ItemCall {
    pub index: usize,
    /// The label of the element that started it: a list that changed does
    /// not continue another element's run.
    pub label: String,
    pub called: Restored,
}

/// An element of a loop that succeeded in an earlier part of the run.
#[derive(Clone, Debug)]
pub struct RestoredItem {
    pub index: usize,
    /// Compared with the element at `index` now: a list that changed does
    /// not restore an element it no longer holds there.
    pub label: String,
    pub results: Map<String, Value>,
    pub outputs: Map<String, Value>,
    pub attempts: u32,
}

impl Restored {
    /// Whether work stopped the run: a step that is not a cleanup was
    /// running, or failed without its `on_failure` handling it.
    pub fn work_stopped(&self, steps: &[runbook_dsl::ast::Step]) -> bool {
        steps.iter().any(|s| {
            let id = &s.id.value;
            !s.is_finally()
                && (self.interrupted.contains(id)
                    || (self.failed.contains_key(id)
                        && !runbook_dsl::activation::handles_failure(s)))
        })
    }

    /// The cleanups (`finally` steps) that had begun: ran, failed or were
    /// interrupted, sorted.
    pub fn cleanups_begun(&self, steps: &[runbook_dsl::ast::Step]) -> Vec<String> {
        let mut began: Vec<String> = steps
            .iter()
            .filter(|s| s.is_finally())
            .map(|s| s.id.value.clone())
            .filter(|id| {
                self.succeeded.contains_key(id)
                    || self.failed.contains_key(id)
                    || self.interrupted.contains(id)
            })
            .collect();
        began.sort();
        began
    }

    /// Makes the resume finish the cleanups and run no work, the run
    /// ending as it had stopped (`status`): work that was running is not
    /// asked for again.
    pub fn finish_cleanups(
        &mut self,
        steps: &[runbook_dsl::ast::Step],
        status: crate::event::RunStatus,
    ) {
        self.finish_cleanup = Some(status);
        self.finish_calls = self.unfinished_calls(steps).into_iter().collect();
        self.interrupted
            .retain(|id| steps.iter().any(|s| s.is_finally() && &s.id.value == id));
    }

    /// A called playbook's run that stopped in its cleanups (a second
    /// signal while they ran), or that a playbook it called stopped and
    /// cleaned up after ([`Restored::closed_calls`]): like the run the
    /// command line resumes, it finishes its cleanups and runs no work
    /// when its caller resumes it, and ends as it had stopped.
    pub fn finishing_if_cleanups_began(mut self, steps: &[runbook_dsl::ast::Step]) -> Restored {
        if self.finish_cleanup.is_none()
            && (self.work_stopped(steps) || self.stopped_early())
            && !self.cleanups_ran_or_began(steps).is_empty()
        {
            let status = self
                .last_end
                .as_ref()
                .map(|end| end.status)
                .filter(|s| *s != crate::event::RunStatus::Succeeded)
                .unwrap_or(crate::event::RunStatus::Interrupted);
            self.finish_cleanups(steps, status);
        }
        self
    }

    /// Whether the run's last part came to an end other than success.
    pub fn stopped_early(&self) -> bool {
        self.last_end
            .as_ref()
            .is_some_and(|end| end.status != crate::event::RunStatus::Succeeded)
    }

    /// Whether the run stopped early and its cleanups all ran (one at
    /// least), none left unfinished: going on would work past what they
    /// undid, and finishing them is done.
    pub fn closed(&self) -> bool {
        self.last_end.as_ref().is_some_and(|end| {
            end.status != crate::event::RunStatus::Succeeded
                && !end.cleaned_up.is_empty()
                && !end.cleanup_unfinished
        })
    }

    /// The cleanups that ran inside the playbooks called by the steps that
    /// stopped this run (interrupted, rejected, or failed without their
    /// `on_failure` handling it) whose called run is [`closed`]: each as
    /// `CALL.ID`, sorted. Such a calling step counts as this run's
    /// cleanup having begun: a resume does not run it again (it would
    /// continue inside past those cleanups) but finishes this run's own
    /// cleanups and runs no work, as for a run whose cleanups had begun.
    ///
    /// [`closed`]: Restored::closed
    pub fn closed_calls(&self, steps: &[runbook_dsl::ast::Step]) -> Vec<String> {
        let mut ran: Vec<String> = steps
            .iter()
            .filter(|s| self.stopped_it(s))
            .filter_map(|s| {
                let call = self.called.get(&s.id.value).filter(|c| c.closed())?;
                let end = call.last_end.as_ref()?;
                Some(
                    end.cleaned_up
                        .iter()
                        .map(move |c| format!("{}.{c}", s.id.value)),
                )
            })
            .flatten()
            .collect();
        ran.sort();
        ran
    }

    /// Whether `step` is work that stopped the run: interrupted, rejected or
    /// cancelled, or failed without its `on_failure` handling it.
    fn stopped_it(&self, step: &runbook_dsl::ast::Step) -> bool {
        let id = &step.id.value;
        !step.is_finally()
            && (self.interrupted.contains(id)
                || self.stopped.contains_key(id)
                || (self.failed.contains_key(id)
                    && !runbook_dsl::activation::handles_failure(step)))
    }

    /// The steps that stopped this run whose called playbook's run ended
    /// with a cleanup unfinished (a second signal cut it short, or stopped
    /// it before it ran), sorted. A resume that finishes this run's
    /// cleanups runs them with the cleanups, unattended: each finishes its
    /// called playbook's cleanups and runs none of its work.
    pub fn unfinished_calls(&self, steps: &[runbook_dsl::ast::Step]) -> Vec<String> {
        let mut calls: Vec<String> = steps
            .iter()
            .filter(|s| self.stopped_it(s))
            .map(|s| s.id.value.clone())
            .filter(|id| {
                self.called
                    .get(id)
                    .and_then(|c| c.last_end.as_ref())
                    .is_some_and(|end| end.cleanup_unfinished)
            })
            .collect();
        calls.sort();
        calls
    }

    /// The cleanups that had begun ([`Restored::cleanups_begun`]), and
    /// those that ran inside playbooks whose calling steps stopped this run
    /// ([`Restored::closed_calls`]), sorted.
    pub fn cleanups_ran_or_began(&self, steps: &[runbook_dsl::ast::Step]) -> Vec<String> {
        let mut all = self.cleanups_begun(steps);
        all.extend(self.closed_calls(steps));
        all.sort();
        all
    }

    /// What a resume would finish with no work left to run, when that is
    /// all it would do: work stopped the run, its cleanups had begun
    /// ([`Restored::cleanups_ran_or_began`], which this returns), and the
    /// run's last part ended with none of them unfinished.
    pub fn nothing_left(&self, steps: &[runbook_dsl::ast::Step]) -> Option<Vec<String>> {
        let end = self.last_end.as_ref()?;
        let ran = self.cleanups_ran_or_began(steps);
        let stopped = end.status != crate::event::RunStatus::Succeeded || self.work_stopped(steps);
        let done = !end.cleanup_unfinished && self.unfinished_calls(steps).is_empty();
        (stopped && done && !ran.is_empty()).then_some(ran)
    }

    /// A loop that stopped between its elements did nothing that is not on
    /// record: its elements that succeeded are restored, the others run as
    /// in any run, each asked at its own gate. It is not interrupted, so
    /// it is not asked first whether to run again "after part of its
    /// work". Whether a step is a loop is the plan's to say: the journal
    /// of a loop none of whose elements started looks like a step's.
    pub fn settle_loops(&mut self, plan: &runbook_dsl::plan::Plan) {
        let between = std::mem::take(&mut self.between_elements);
        self.interrupted.retain(|id| {
            let is_loop = plan
                .index_of(id)
                .is_some_and(|i| plan.step_plan(i).iteration.is_some());
            !(is_loop && between.contains(id))
        });
    }

    /// Whether there is nothing to restore.
    pub fn is_empty(&self) -> bool {
        self.succeeded.is_empty()
            && self.failed.is_empty()
            && self.interrupted.is_empty()
            && self.called.is_empty()
            && self.items.is_empty()
            && self.item_calls.is_empty()
    }
}
