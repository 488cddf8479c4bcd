//! Branch coverage of rehearsals: every case and every `else` of a
//! playbook's branches should be taken by some scenario, or a change to the
//! triage tree can break a path no scenario walks.

use super::verdict::Rehearsed;
use runbook_dsl::ast::Action as StepAction;
use runbook_dsl::plan::Plan;
use std::collections::BTreeSet;

/// One way out of a branch: the branch's id and the step it leads to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Arm {
    pub branch: String,
    pub target: String,
    /// `when EXPR` of the case, or `else`.
    pub label: String,
}

/// Every case and `else` of every branch of the plan.
pub fn arms(plan: &Plan) -> Vec<Arm> {
    let mut arms = Vec::new();
    for i in 0..plan.len() {
        let step = plan.step(i).0;
        let StepAction::Branch(branch) = &step.action else {
            continue;
        };
        for case in &branch.cases {
            arms.push(Arm {
                branch: step.id.value.clone(),
                target: case.then.value.clone(),
                label: format!("when {}", case.when.value),
            });
        }
        if let Some(o) = &branch.otherwise {
            arms.push(Arm {
                branch: step.id.value.clone(),
                target: o.value.clone(),
                label: "else".into(),
            });
        }
    }
    arms
}

/// The arms no rehearsal took. Two cases leading to the same step count as
/// one way out (a rehearsal cannot tell them apart by the path).
pub fn untaken<'r>(plan: &Plan, runs: impl IntoIterator<Item = &'r Rehearsed>) -> Vec<Arm> {
    let mut taken = BTreeSet::new();
    for run in runs {
        for (b, t) in &run.taken {
            if let Some(t) = t {
                taken.insert((plan.step(*b).0.id.value.clone(), t.clone()));
            }
        }
    }
    arms(plan)
        .into_iter()
        .filter(|a| !taken.contains(&(a.branch.clone(), a.target.clone())))
        .collect()
}
