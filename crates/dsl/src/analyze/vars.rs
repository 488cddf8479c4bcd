//! Computed values (`vars:`): each expression is parsed and typed once, the
//! values it reads from each other are ordered (a circle is an error), and
//! what each value needs — the steps whose results it reads and the values
//! it is computed from, transitively — is kept so that a step that reads
//! `vars.NAME` is checked as if it read those results itself.

use super::references::{References, StepTypes};
use crate::ast::Playbook;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{self, Expr, Scope, Type};
use crate::graph::Ancestry;
use crate::path::Path;
use crate::plan::VarPlan;
use crate::source::Spanned;
use crate::suggest;
use std::collections::HashMap;

/// What the checker knows about one computed value.
#[derive(Clone, Debug)]
pub(crate) struct VarInfo {
    pub ty: Type,
    /// Steps whose results it reads, directly or through other values.
    pub steps: Vec<usize>,
    /// The values it is computed from, transitively (indices into `Vars::infos`).
    pub needs: Vec<usize>,
    pub uses_secret: bool,
    /// Of `steps`, those read through a result that may carry a secret
    /// (not an output declared `secret: false`).
    pub secret_steps: Vec<usize>,
}

/// Every computed value of a playbook, in the order they can be computed.
#[derive(Debug, Default)]
pub(crate) struct Vars {
    pub infos: Vec<VarInfo>,
    pub index: HashMap<String, usize>,
    /// Var indices in dependency order (a value after those it reads).
    pub order: Vec<usize>,
    pub exprs: Vec<Option<Expr>>,
}

impl Vars {
    /// The plan's values, in dependency order; a step's `vars` index this.
    pub(crate) fn plans(&self, playbook: &Playbook) -> Vec<VarPlan> {
        self.order
            .iter()
            .filter_map(|&v| {
                Some(VarPlan {
                    name: playbook.vars[v].name.value.clone(),
                    expr: self.exprs[v].clone()?,
                    uses_secret: self.infos[v].uses_secret,
                    ty: self.infos[v].ty.clone(),
                })
            })
            .collect()
    }

    /// The expressions of the values that checked, by name.
    pub(crate) fn by_name<'a>(&'a self, playbook: &'a Playbook) -> HashMap<&'a str, &'a Expr> {
        self.exprs
            .iter()
            .zip(&playbook.vars)
            .filter_map(|(e, v)| Some((v.name.value.as_str(), e.as_ref()?)))
            .collect()
    }

    /// Where var `v` sits in the plan's list.
    pub(crate) fn plan_position(&self, v: usize) -> Option<usize> {
        let mut position = 0;
        for &o in &self.order {
            if o == v {
                return Some(position);
            }
            if self.exprs[o].is_some() {
                position += 1;
            }
        }
        None
    }
}

/// The `vars.NAME` paths an expression reads: (name segment, name).
fn var_reads(expr: &Expr) -> Vec<(&Path, &str)> {
    expr.paths()
        .into_iter()
        .filter(|p| p.key(0) == Some("vars"))
        .filter_map(|p| Some((p, p.key(1)?)))
        .collect()
}

/// Parses, orders and types every value under `vars:`.
pub(crate) fn check<'a>(
    playbook: &'a Playbook,
    index: &HashMap<&'a str, usize>,
    types: &StepTypes<'a>,
    ancestry: &Ancestry,
    diags: &mut Diagnostics,
) -> Vars {
    let mut vars = Vars::default();
    for (v, var) in playbook.vars.iter().enumerate() {
        vars.index.insert(var.name.value.clone(), v);
    }
    vars.exprs = playbook
        .vars
        .iter()
        .map(|var| match expr::parse(&var.expr) {
            Ok(e) => Some(e),
            Err(d) => {
                diags.push(d);
                None
            }
        })
        .collect();
    // Direct dependencies; unknown names are reported here, once.
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); playbook.vars.len()];
    for (v, parsed) in vars.exprs.iter().enumerate() {
        let Some(parsed) = parsed else { continue };
        for (path, name) in var_reads(parsed) {
            match vars.index.get(name) {
                Some(&d) => deps[v].push(d),
                None => diags.push(unknown_var(playbook, path, name)),
            }
        }
    }
    // Kahn's algorithm: what is left over is on, or after, a circle.
    let n = playbook.vars.len();
    let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (v, ds) in deps.iter().enumerate() {
        for &d in ds {
            readers[d].push(v);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&v| pending[v] == 0).rev().collect();
    while let Some(v) = ready.pop() {
        vars.order.push(v);
        for &r in &readers[v] {
            pending[r] -= 1;
            if pending[r] == 0 {
                ready.push(r);
            }
        }
    }
    // Report the values on a circle; those that only read one wait on it.
    let on_circle = |v: usize| {
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = deps[v].clone();
        while let Some(d) = stack.pop() {
            if d == v {
                return true;
            }
            if pending[d] > 0 && !std::mem::replace(&mut seen[d], true) {
                stack.extend(&deps[d]);
            }
        }
        false
    };
    for (v, var) in playbook.vars.iter().enumerate() {
        if pending[v] > 0 && on_circle(v) {
            let names: Vec<String> = deps[v]
                .iter()
                .filter(|&&d| pending[d] > 0)
                .map(|&d| format!("`{}`", playbook.vars[d].name.value))
                .collect();
            diags.push(
                Diagnostic::error(
                    Code::VarCycle,
                    format!(
                        "the value `{}` is computed from itself (through {})",
                        var.name.value,
                        names.join(", ")
                    ),
                )
                .label(var.name.span, "computed in a circle")
                .help("compute one of these values from inputs and results only"),
            );
        }
    }
    vars.infos = vec![
        VarInfo {
            ty: Type::Any,
            steps: Vec::new(),
            needs: Vec::new(),
            uses_secret: false,
            secret_steps: Vec::new(),
        };
        n
    ];
    for &v in &vars.order.clone() {
        let Some(parsed) = vars.exprs[v].clone() else {
            continue;
        };
        let mut refs = References::for_vars(playbook, index, types, ancestry);
        let mut scope = VarScope {
            refs: &mut refs,
            vars: &vars,
        };
        let ty = expr::check(&parsed, &mut scope, diags);
        let mut steps = refs.take_reads();
        let mut secret_steps = refs.take_secret_reads();
        let mut uses_secret = refs.uses_secret();
        let mut needs: Vec<usize> = Vec::new();
        for &d in &deps[v] {
            let info = &vars.infos[d];
            steps.extend(&info.steps);
            secret_steps.extend(&info.secret_steps);
            uses_secret |= info.uses_secret;
            needs.extend(&info.needs);
            needs.push(d);
        }
        steps.sort_unstable();
        steps.dedup();
        secret_steps.sort_unstable();
        secret_steps.dedup();
        let position: HashMap<usize, usize> = vars
            .order
            .iter()
            .enumerate()
            .map(|(i, &v)| (v, i))
            .collect();
        needs.sort_by_key(|d| position.get(d).copied().unwrap_or(usize::MAX));
        needs.dedup();
        vars.infos[v] = VarInfo {
            ty,
            steps,
            needs,
            uses_secret,
            secret_steps,
        };
    }
    vars
}

/// "there is no value `usd_pct`", with the close names.
pub(crate) fn unknown_var(playbook: &Playbook, path: &Path, name: &str) -> Diagnostic {
    let span = path.segments.get(1).map_or(path.span, |s| s.span);
    Diagnostic::error(Code::UnknownVar, format!("there is no value `vars.{name}`"))
        .label(span, "unknown value")
        .with_help(
            suggest::help_for(
                "value",
                name,
                playbook.vars.iter().map(|v| v.name.value.as_str()),
            )
            .or_else(|| Some(format!("declare it under `vars:` as `{name}: EXPRESSION`"))),
        )
}

/// The scope of a value's own expression: inputs and results as anywhere
/// (not checked against a step's upstream: the steps that read the value
/// are), and the values computed before it.
struct VarScope<'r, 'a, 'b> {
    refs: &'r mut References<'a, 'b>,
    vars: &'r Vars,
}

impl Scope for VarScope<'_, '_, '_> {
    fn resolve(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        if path.key(0) != Some("vars") {
            return self.refs.resolve(path, diags);
        }
        // Unknown names were reported with the dependencies.
        let Some(&v) = path.key(1).and_then(|name| self.vars.index.get(name)) else {
            return Type::Any;
        };
        field_of(&self.vars.infos[v].ty, path, diags)
    }

    fn step(&mut self, id: &Spanned<String>, diags: &mut Diagnostics) {
        self.refs.step(id, diags);
    }
}

/// The type of `vars.NAME.rest...` given the value's type.
pub(crate) fn field_of(ty: &Type, path: &Path, diags: &mut Diagnostics) -> Type {
    if path.len() <= 2 {
        return ty.clone();
    }
    read_into(ty, path, 2, None, diags)
}

/// What reading further into a value of type `ty` gives, from segment
/// `from` of `path` on: anything, for a map or a list (their shape is
/// known at run time only); an error for a scalar, with `help` when the
/// caller knows how to make it readable.
pub(crate) fn read_into(
    ty: &Type,
    path: &Path,
    from: usize,
    help: Option<&str>,
    diags: &mut Diagnostics,
) -> Type {
    crate::expr::read_path_or_report(ty, path, from, help, diags)
}
