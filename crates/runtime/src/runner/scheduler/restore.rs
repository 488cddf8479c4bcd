//! What a resume brings back into the loop: the steps that settled before
//! the run stopped, settled again silently in dependency order, with their
//! results in scope (the `RunResumed` event lists them).

use super::*;

impl Scheduler<'_> {
    /// Settles the steps a resume restores, in dependency order, silently
    /// (the `RunResumed` event lists them).
    pub(in crate::runner) fn restore(&mut self, restored: Restored) {
        // Whether only the cleanups are left to run was decided before: in
        // `resume` for the run the command line resumed, by `nest::call`
        // for a called playbook.
        // Only the cleanups are left to run: the run is stopped as it was.
        if let Some(status) = restored.finish_cleanup {
            self.stop = Some(status);
            self.stopped_by = restored.stopped_by.clone();
        }
        self.called = restored.called.clone();
        let plan = self.plan.clone();
        // A value with a secret in it was journaled masked: computed again.
        for (name, value) in &restored.vars {
            let secret = plan.vars().iter().any(|v| &v.name == name && v.uses_secret);
            if !secret {
                self.scope
                    .set_var(name, crate::scope::VarValue::Known(value.clone()));
            }
        }
        let mut items = restored.items;
        let mut item_calls = restored.item_calls;
        for &i in plan.order() {
            let step = plan.step(i).0;
            // A cleanup runs unattended by design (it has no gate and is
            // safe to run again): an interrupted one is not asked for.
            if restored.interrupted.contains(&step.id.value) && !step.is_finally() {
                self.rerun.insert(i);
            }
            if let Some(items) = items.remove(&step.id.value) {
                self.restored_items.insert(i, items);
            }
            if let Some(calls) = item_calls.remove(&step.id.value) {
                self.item_calls.insert(i, calls);
            }
            let finishing = restored.finish_cleanup.is_some();
            // A calling step whose called playbook's cleanups did not
            // finish runs with the cleanups, to finish them inside it.
            if finishing && restored.finish_calls.contains(&step.id.value) {
                self.cleanup.calls.insert(i);
                continue;
            }
            // Only the cleanups run: work that failed, was rejected or was
            // cancelled is settled as it ended, as the stopped run's
            // cleanups saw it; a cleanup that did not succeed runs again.
            let as_it_ended = finishing && !step.is_finally();
            let ended = restored.failed.get(&step.id.value).or_else(|| {
                as_it_ended
                    .then(|| restored.stopped.get(&step.id.value))
                    .flatten()
            });
            if let Some(ended) = ended {
                // A failure its `on_failure` handled is history: the run
                // went on past it (its dependents, or its failure edge,
                // read it). One that stopped the run runs again.
                if runbook_dsl::activation::handles_failure(step) || as_it_ended {
                    let cause = ended
                        .message
                        .clone()
                        .unwrap_or_else(|| format!("it {}", describe_state(ended.state)));
                    self.scope.failed(
                        &step.id.value,
                        ended.results.clone(),
                        ended.outputs.clone(),
                        &cause,
                    );
                    self.mark_settled(i, ended.state);
                }
                continue;
            }
            let Some((results, outputs)) = restored.succeeded.get(&step.id.value) else {
                continue;
            };
            if let StepAction::Branch(_) = &step.action {
                self.taken[i] = match results.get("taken").and_then(Value::as_str) {
                    Some(target) => plan
                        .index_of(target)
                        .map(Taken::Step)
                        .unwrap_or(Taken::Nothing),
                    None => Taken::Nothing,
                };
            }
            self.scope
                .succeeded(&step.id.value, results.clone(), outputs.clone());
            self.mark_settled(i, StepState::Succeeded);
        }
    }
}
