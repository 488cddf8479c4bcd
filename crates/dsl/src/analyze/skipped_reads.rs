//! A step that reads a result of a step that is skipped on a path where the
//! reader still runs fails there at run time ("has no value because `fix_a`
//! was skipped"): the join after a triage tree that prints what one
//! scenario found, a report that needs both the probe and its recovery.
//! The path walk ([`super::path_reachability`]) evaluates each step it
//! finds running against that path's step states, exactly as the run
//! would: a read wrapped in `default(...)` or guarded by `succeeded(X) &&`
//! does not fail, and neither does a computed value that does not need
//! the skipped step's result.

use crate::activation::Ended;
use crate::ast::Playbook;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::expr::{self, Env, Lookup, StepOutcome};
use crate::path::Path;
use crate::plan::{ParamValue, StepPlan};
use crate::source::Span;
use crate::template::{fill, Quoting, Template};
use std::cell::RefCell;
use std::collections::HashMap;

/// A read of a skipped step's result: the step read, and where.
#[derive(Clone, Debug)]
pub(super) struct SkippedRead {
    pub step: usize,
    pub span: Span,
    /// The path read there: `steps.fix_disk.outputs.freed`, or the
    /// computed value `vars.freed` that reads it.
    pub what: String,
}

/// The step states of one path, with every value unknown except that a
/// skipped step has none; computed values are evaluated on demand.
pub(super) struct PathValues<'a> {
    pub index: &'a HashMap<&'a str, usize>,
    pub ended: &'a dyn Fn(usize) -> Ended,
    pub vars: &'a HashMap<&'a str, &'a expr::Expr>,
    /// The first read of a skipped step's result, once one was made.
    found: RefCell<Option<SkippedRead>>,
    /// Computed values being evaluated, so a cycle (reported elsewhere)
    /// cannot recurse.
    computing: RefCell<Vec<String>>,
    /// A failed step has no values either (its setup failed before it
    /// produced them: the view of a cleanup, [`super::finally`]), except
    /// what every failed step has: `results` as a whole, and a loop's
    /// results of the loop as a whole (the steps `failed_has_none` says are
    /// loops).
    failed_has_none: Option<&'a dyn Fn(usize) -> bool>,
}

impl<'a> PathValues<'a> {
    pub fn new(
        index: &'a HashMap<&'a str, usize>,
        ended: &'a dyn Fn(usize) -> Ended,
        vars: &'a HashMap<&'a str, &'a expr::Expr>,
    ) -> PathValues<'a> {
        PathValues {
            index,
            ended,
            vars,
            found: RefCell::new(None),
            computing: RefCell::new(Vec::new()),
            failed_has_none: None,
        }
    }

    /// Failed steps have no values either, but for what every failed step
    /// of its shape has; `is_loop` says which steps are loops.
    pub fn failed_has_none(mut self, is_loop: &'a dyn Fn(usize) -> bool) -> PathValues<'a> {
        self.failed_has_none = Some(is_loop);
        self
    }

    /// Whether the run stopped reading `id`'s values: it was skipped (or
    /// failed, for a cleanup's view).
    fn skipped(&self, id: &str) -> Option<usize> {
        let &j = self.index.get(id)?;
        let ended = (self.ended)(j);
        (ended == Ended::Skipped || (self.failed_has_none.is_some() && ended == Ended::Failed))
            .then_some(j)
    }

    /// Whether `path` is a read the run stopped: of a step skipped (or
    /// failed, for a cleanup's view). A failed step's `results` as a whole
    /// are there (a loop's elements, rejected ones too, or the map of what
    /// the attempt gave), even where what is in them may not be.
    fn stopped_read(&self, path: &Path) -> Option<usize> {
        let j = self.skipped(path.key(1)?)?;
        let there = (self.ended)(j) == Ended::Failed
            && path.len() == 3
            && (path.key(2) == Some("results")
                || self.failed_has_none.is_some_and(|is_loop| is_loop(j)));
        (!there).then_some(j)
    }
}

impl Env for PathValues<'_> {
    fn lookup(&self, path: &Path) -> Lookup {
        match path.key(0) {
            Some("steps") => match self.stopped_read(path) {
                Some(step) => {
                    let mut found = self.found.borrow_mut();
                    if found.is_none() {
                        *found = Some(SkippedRead {
                            step,
                            span: path.span,
                            what: path.to_string(),
                        });
                    }
                    Lookup::Missing
                }
                None => Lookup::Unknown,
            },
            Some("vars") => {
                let Some(name) = path.key(1) else {
                    return Lookup::Unknown;
                };
                let Some(expr) = self.vars.get(name) else {
                    return Lookup::Unknown;
                };
                if self.computing.borrow().iter().any(|n| n == name) {
                    return Lookup::Unknown;
                }
                self.computing.borrow_mut().push(name.to_string());
                let before = self.found.borrow_mut().take();
                let value = expr::eval(expr, self);
                self.computing.borrow_mut().pop();
                let inside = self.found.borrow_mut().take();
                match (value, inside) {
                    // The var fails on this path: the reader fails where it
                    // reads the var, because of the skipped step.
                    (Err(_), Some(inside)) => {
                        *self.found.borrow_mut() = before.or(Some(SkippedRead {
                            step: inside.step,
                            span: path.span,
                            what: path.to_string(),
                        }));
                        Lookup::Missing
                    }
                    _ => {
                        *self.found.borrow_mut() = before;
                        Lookup::Unknown
                    }
                }
            }
            _ => Lookup::Unknown,
        }
    }

    fn step_state(&self, id: &str) -> Option<StepOutcome> {
        (self.ended)(*self.index.get(id)?).outcome()
    }

    fn now(&self) -> Option<std::time::SystemTime> {
        None
    }

    fn absence(&self, path: &Path) -> Option<String> {
        let id = path.key(1)?;
        self.stopped_read(path)
            .map(|_| format!("`{id}` did not succeed on this path"))
    }
}

/// The first read of a skipped step's result that fails `plan`'s step on
/// the path `values` stands for, if any: in its guard, its branch cases,
/// its parameters, its text, its durations, its loop, its `until`.
pub(super) fn first(plan: &StepPlan, values: &PathValues) -> Option<SkippedRead> {
    let exprs = plan
        .when
        .iter()
        .chain(plan.cases.iter().flatten())
        .chain(plan.until.iter());
    for e in exprs {
        if let Some(read) = failing(values, |env| expr::eval(e, env).is_err()) {
            return Some(read);
        }
    }
    if let Some(iteration) = &plan.iteration {
        if let crate::plan::IterationList::Expr(list) = &iteration.list {
            if let Some(read) = failing(values, |env| expr::eval(list, env).is_err()) {
                return Some(read);
            }
        }
    }
    let mut templates: Vec<&Template> = plan.text.iter().chain(&plan.approval_question).collect();
    templates.extend(plan.durations.iter().map(|(_, t)| t));
    templates.extend(plan.output_cap.as_deref());
    let mut exprs: Vec<&expr::Expr> = Vec::new();
    for param in crate::plan::leaves(plan.params.values()) {
        match &param.value {
            ParamValue::Template { template, .. } | ParamValue::DurationTemplate(template) => {
                templates.push(template)
            }
            ParamValue::Expr(e) => exprs.push(e),
            _ => {}
        }
    }
    for template in templates {
        if let Some(read) = failing(values, |env| fill(template, env, Quoting::None).is_err()) {
            return Some(read);
        }
    }
    for e in exprs {
        if let Some(read) = failing(values, |env| expr::eval(e, env).is_err()) {
            return Some(read);
        }
    }
    None
}

/// The skipped read that made `fails` fail, if it failed because of one.
fn failing(values: &PathValues, fails: impl FnOnce(&PathValues) -> bool) -> Option<SkippedRead> {
    values.found.borrow_mut().take();
    let failed = fails(values);
    let found = values.found.borrow_mut().take();
    found.filter(|_| failed)
}

/// The warning for `reader` (an index into `playbook`'s steps) failing on a
/// path where `read`'s step is skipped.
pub(super) fn warning(playbook: &Playbook, reader: usize, read: &SkippedRead) -> Diagnostic {
    let reader = &playbook.steps[reader];
    let skipped = &playbook.steps[read.step].id.value;
    let what = &read.what;
    let how = if what.starts_with("vars.") {
        format!("`{what}` is computed from a result of `{skipped}`, so it has none when `{skipped}` is skipped: the step fails there")
    } else {
        format!("has no value when `{skipped}` is skipped: the step fails there")
    };
    Diagnostic::warning(
        Code::SkippedRead,
        format!(
            "`{}` reads a result of `{skipped}`, which is skipped on a path where `{}` runs",
            reader.id.value, reader.id.value
        ),
    )
    .label(read.span, how)
    .label(reader.id.span, "runs on that path")
    .help(format!(
        "read it as `default({what}, FALLBACK)` (`{{{{default {what} \"FALLBACK\"}}}}` in text), \
         guard the read with `succeeded({skipped}) && ...` (`{{{{#if succeeded({skipped})}}}}` in text), \
         or read it only in steps that run after `{skipped}` ran"
    ))
}
