//! The values known when a playbook is checked: an input's default (what
//! the run uses unless it is given another value) and a computed value
//! (`vars:`) that reads only those. Everything else (results of steps,
//! inputs without a default, `now()`) is unknown, so a template that reads
//! only known values can be filled in at check time and what it renders
//! checked there (`timeout: "{{inputs.t}}"` with a default that is not a
//! duration), with the spans of the values it read.

use super::vars::Vars;
use crate::ast::Playbook;
use crate::expr::{Env, Lookup, Outcome, StepOutcome};
use crate::path::Path;
use crate::source::Span;
use std::cell::{Cell, RefCell};

/// How deep computed values may read one another here (they are ordered,
/// and a circle is reported, but this walk does not rely on it).
const MAX_DEPTH: usize = 32;

/// A known value that was read, for the diagnostic's labels.
#[derive(Clone, Debug)]
pub(super) struct Source {
    pub span: Span,
    /// `inputs.t`, `vars.grace`
    pub name: String,
    /// Whether it is an input's default (rather than a computed value).
    pub default: bool,
    pub secret: bool,
}

/// An [`Env`] of the values known at check time.
pub(super) struct KnownValues<'a> {
    playbook: &'a Playbook,
    vars: Option<&'a Vars>,
    depth: Cell<usize>,
    /// The known values read so far, in order, each once.
    read: RefCell<Vec<Source>>,
}

impl<'a> KnownValues<'a> {
    pub(super) fn new(playbook: &'a Playbook, vars: Option<&'a Vars>) -> KnownValues<'a> {
        KnownValues {
            playbook,
            vars,
            depth: Cell::new(0),
            read: RefCell::new(Vec::new()),
        }
    }

    /// The known values read, in the order first read.
    pub(super) fn sources(&self) -> Vec<Source> {
        self.read.borrow().clone()
    }

    fn note(&self, source: Source) {
        let mut read = self.read.borrow_mut();
        if !read.iter().any(|s| s.name == source.name) {
            read.push(source);
        }
    }

    fn input(&self, path: &Path) -> Option<serde_json::Value> {
        let name = path.key(1)?;
        let input = self.playbook.inputs.iter().find(|i| i.name.value == name)?;
        let default = input.default.as_ref()?;
        // A default of the wrong type is reported where inputs are lowered.
        let value = input.coerce(default.to_json()).ok()?;
        self.note(Source {
            span: default.span,
            name: format!("inputs.{name}"),
            default: true,
            secret: input.is_secret(),
        });
        Some(value)
    }

    fn var(&self, path: &Path) -> Option<serde_json::Value> {
        let name = path.key(1)?;
        let vars = self.vars?;
        let &v = vars.index.get(name)?;
        let expr = vars.exprs.get(v)?.as_ref()?;
        if self.depth.get() >= MAX_DEPTH {
            return None;
        }
        self.depth.set(self.depth.get() + 1);
        let value = crate::expr::eval(expr, self);
        self.depth.set(self.depth.get() - 1);
        match value {
            Ok(Outcome::Known(value)) => {
                self.note(Source {
                    span: self.playbook.vars.get(v)?.expr.span,
                    name: format!("vars.{name}"),
                    default: false,
                    secret: vars.infos.get(v).is_some_and(|i| i.uses_secret),
                });
                Some(value)
            }
            _ => None,
        }
    }
}

impl Env for KnownValues<'_> {
    fn lookup(&self, path: &Path) -> Lookup {
        let value = match path.key(0) {
            Some("inputs") => self.input(path),
            Some("vars") => self.var(path),
            _ => None,
        };
        match value {
            Some(value) => match path.get_in(2, &value) {
                Some(v) => Lookup::Known(v.clone()),
                None => Lookup::Missing,
            },
            None => Lookup::Unknown,
        }
    }

    fn step_state(&self, _: &str) -> Option<StepOutcome> {
        None
    }

    fn now(&self) -> Option<std::time::SystemTime> {
        None
    }
}
