//! The sizes of the types a checked playbook holds per step, pinned: the
//! model and the plan of a 20,000-step playbook live together for as long
//! as `check` or a run lasts, so a field that grows a step by a hundred
//! bytes costs two megabytes there (docs/performance.md, "Memory at
//! 20,000 steps"). When an assertion below fails, box the new field if
//! most steps leave it out, or raise the figure knowingly.

use crate::ast::{Action, Output, Step};
use crate::node::{Entry, Node, Text};
use crate::plan::{Param, Params, StepPlan};
use std::mem::size_of;

/// At most `limit` bytes, with the type's name in the failure.
fn at_most<T>(limit: usize) {
    let size = size_of::<T>();
    assert!(
        size <= limit,
        "{} is {size} bytes, more than {limit}",
        std::any::type_name::<T>()
    );
}

#[test]
fn a_step_of_the_model_stays_small() {
    // 1,592 bytes before its rare fields were boxed; 656 before the boxed
    // `output_cap` (8 bytes: 160 KB at 20,000 steps).
    // 664 before the boxed `finally` span.
    at_most::<Step>(672);
    at_most::<Action>(120);
    // 440 before the boxed `separator`.
    at_most::<Output>(448);
}

#[test]
fn a_step_of_the_plan_stays_small() {
    // 648 bytes before `iteration` was boxed; 528 before the boxed
    // templated `output_cap`; 536 before the capability `undoes_with`
    // (a thin pointer: 8 bytes, 160 KB at 20,000 steps); 544 before the
    // capability `effect_floor` became a pointer to the floor (8 bytes);
    // 552 before the capability `normal_form` (a thin pointer, 8 bytes).
    at_most::<StepPlan>(560);
    at_most::<Param>(96);
    // A vector, not a map whose every node has room for eleven entries.
    at_most::<Params>(24);
}

#[test]
fn nodes_stay_small() {
    at_most::<Node>(80);
    at_most::<Entry>(144);
    at_most::<Text>(64);
}
