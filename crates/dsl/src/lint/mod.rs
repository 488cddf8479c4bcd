//! `runbook lint`: rules about how a playbook is written that `check` does
//! not enforce, because a playbook can be valid and still unsafe to run at
//! 3 a.m. Each rule ([`LintRule`]) has a stable code, a default severity and
//! a rationale; a repository tunes them in `runbook.toml` ([`LintConfig`]),
//! and a step opts out of named rules with `lint: {allow: [...], reason}`.
//!
//! Findings are ordinary [`Diagnostic`]s with spans, so they render exactly
//! like `check`'s.

mod called_ungated;
mod config;
mod names_read_as_lines;
mod read_that_writes;
mod secret_on_command_line;
mod unused_var;

pub use crate::code::LintRule;
pub use config::LintConfig;

use crate::analyze::branches::choices_of;
use crate::ast::{Action, Effect, Step};
use crate::catalog::{Catalog, DescribesItself};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr;
use crate::path::Path;
use crate::plan::{Param, ParamValue, Plan};
use crate::source::Span;
use crate::template::Quoting;

/// Manual instructions shorter than this many characters say too little.
const MIN_INSTRUCTIONS: usize = 20;

/// The tag that marks a playbook as run by on-call engineers.
pub const ON_CALL_TAG: &str = "on-call";

/// Lints a checked plan. Findings of rules the config turns off, or that a
/// step allows, are left out; the result is sorted by position.
pub fn lint(plan: &Plan, catalog: &dyn Catalog, config: &LintConfig) -> Vec<Diagnostic> {
    let mut found: Vec<(usize, Diagnostic)> = Vec::new();
    let playbook = plan.playbook();
    // Findings about the playbook itself, not a step (no step can allow them).
    let mut own: Vec<Diagnostic> = Vec::new();
    for input in plan.unread_inputs() {
        own.push(with_rule(
            LintRule::UnusedInput,
            new(format!("nothing reads the input `{}`", input.name.value))
                .label(input.name.span, "declared, never read")
                .help(format!(
                    "read it (`{{{{inputs.{0}}}}}` in a template, `inputs.{0}` in an expression), or remove it",
                    input.name.value
                )),
        ));
    }
    own.extend(unused_var::unused_vars(plan));
    let on_call = playbook.tags.iter().any(|t| t.value == ON_CALL_TAG);
    for (i, step) in playbook.steps.iter().enumerate() {
        let mut add = |rule: LintRule, d: Diagnostic| found.push((i, with_rule(rule, d)));
        ungated_write(plan, i, step, &mut add);
        called_ungated::called_ungated_destructive(plan, i, step, catalog, &mut add);
        write_without_timeout(plan, i, step, catalog, &mut add);
        raw_insertion(plan, i, step, &mut add);
        shell_script_in_argv(plan, i, step, &mut add);
        poll_without_deadline(step, &mut add);
        branch_without_else(plan, i, step, &mut add);
        manual_without_instructions(step, &mut add);
        secret_output_unmasked(plan, i, step, &mut add);
        secret_on_command_line::secret_on_command_line(plan, i, step, &mut add);
        secret_on_command_line::secret_passed_to_command_line(plan, i, step, catalog, &mut add);
        names_read_as_lines::names_read_as_lines(plan, i, step, &mut add);
        read_that_writes::read_that_writes(plan, i, step, &mut add);
        if on_call {
            on_call_without_description(plan, i, step, &mut add);
        }
        unknown_rule(step, &mut add);
    }
    let mut out = Diagnostics::new();
    for mut d in own {
        let Code::Lint(rule) = d.code else { continue };
        let Some(severity) = config.severity(rule) else {
            continue;
        };
        d.severity = severity;
        out.push(d);
    }
    for (i, mut d) in found {
        let Code::Lint(rule) = d.code else { continue };
        let Some(severity) = config.severity(rule) else {
            continue;
        };
        if rule != LintRule::UnknownRule && allowed(&playbook.steps[i], rule) {
            continue;
        }
        d.severity = severity;
        out.push(d);
    }
    out.into_sorted()
}

/// A diagnostic of a rule, with the rule's rationale before the fix.
fn with_rule(rule: LintRule, mut d: Diagnostic) -> Diagnostic {
    d.code = Code::Lint(rule);
    d.severity = rule.default_severity();
    d.help = Some(match d.help.take() {
        Some(fix) => format!("{fix}\n(why: {})", rule.rationale()),
        None => format!("why: {}", rule.rationale()),
    });
    d
}

/// Whether the step's `lint: {allow}` names the rule.
fn allowed(step: &Step, rule: LintRule) -> bool {
    step.lint.as_ref().is_some_and(|l| {
        l.allow
            .iter()
            .any(|name| LintRule::parse(&name.value) == Some(rule))
    })
}

fn new(message: String) -> Diagnostic {
    // Code and severity are set by `with_rule`.
    Diagnostic::warning(Code::Lint(LintRule::UnknownRule), message)
}

/// Where a step says what it does: its kind's key.
fn kind_span(step: &Step) -> Span {
    match &step.action {
        Action::Kind { name, .. } => name.span,
        Action::Branch(b) => b.keyword.span,
        Action::Manual { span, .. } => *span,
        Action::Ask(a) => a.span,
    }
}

/// The playbook step `i` calls, when its path is written out (not a
/// template) and it checks: the path as written, and its plan.
fn called_playbook<'s>(
    plan: &Plan,
    i: usize,
    step: &'s Step,
    catalog: &dyn Catalog,
) -> Option<(&'s str, Plan)> {
    let Action::Kind { params, .. } = &step.action else {
        return None;
    };
    if !plan.step_plan(i).capabilities.calls_playbook {
        return None;
    }
    let relative = crate::analyze::static_call_path(params)?;
    let base = std::path::Path::new(plan.file().name())
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let called = crate::load::check_path(&base.join(relative), catalog).plan?;
    Some((relative, called))
}

/// A step that calls a playbook writes only through the called playbook's
/// own steps, which carry their own gates and timeouts (and are linted in
/// their file).
fn calls_playbook(plan: &Plan, i: usize) -> bool {
    plan.step_plan(i).capabilities.calls_playbook
}

fn ungated_write(plan: &Plan, i: usize, step: &Step, add: &mut impl FnMut(LintRule, Diagnostic)) {
    let step_plan = plan.step_plan(i);
    let effect = step_plan.effect;
    if effect == Effect::Read
        || !matches!(step.action, Action::Kind { .. })
        || plan.waits_for_approval(i)
        || calls_playbook(plan, i)
        || plan.is_cleanup(i)
    {
        return;
    }
    let effect_label = match &step.effect {
        Some(e) => (e.span, format!("declared {}", effect.name())),
        None => (kind_span(step), format!("{} by default", effect.name())),
    };
    add(
        LintRule::UngatedWrite,
        new(format!(
            "the {} step `{}` runs without approval",
            effect.name(),
            step.id.value
        ))
        .label(step.id.span, "no approval")
        .label(effect_label.0, effect_label.1)
        .help("add `approval: \"<the question to ask>\"`, or `effect: read` if it changes nothing"),
    );
}

fn write_without_timeout(
    plan: &Plan,
    i: usize,
    step: &Step,
    catalog: &dyn Catalog,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    let Action::Kind { name, params } = &step.action else {
        return;
    };
    if plan.step_plan(i).effect == Effect::Read || step.timeout.is_some() || calls_playbook(plan, i)
    {
        return;
    }
    // A kind whose own `timeout` parameter applies to what the step does
    // bounds it already (http's applies to every request; k8s's only to
    // `rollout_status`, so a k8s write needs the step's `timeout`).
    let operation = params.get("operation").and_then(|o| o.scalar_string());
    let own_timeout = catalog.kind(&name.value).and_then(|k| k.param("timeout"));
    let kind_label = match own_timeout {
        Some(t) if t.applies_to(operation.as_deref()) => return,
        Some(t) => format!(
            "the `timeout` of `{}` applies only to {}",
            name.value,
            t.only_for
                .iter()
                .map(|op| format!("`{op}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("`{}` has no timeout of its own", name.value),
    };
    add(
        LintRule::WriteWithoutTimeout,
        new(format!(
            "the {} step `{}` has no timeout",
            plan.step_plan(i).effect.name(),
            step.id.value
        ))
        .label(step.id.span, "can hang forever")
        .label(name.span, kind_label)
        .help("add `timeout: 5m` (YAML) or `timeout 5m` (.runbook): how long it may take before the run gives up on it"),
    );
}

/// Every template parameter with its quoting, depth first (iteratively).
fn templates(params: &crate::plan::Params) -> Vec<(&crate::template::Template, Quoting)> {
    crate::plan::leaves(params.values())
        .into_iter()
        .filter_map(|param| match &param.value {
            ParamValue::Template {
                template, quoting, ..
            } => Some((template, *quoting)),
            _ => None,
        })
        .collect()
}

/// A `{{raw ...}}` where the value would have been quoted for a shell, or
/// encoded for where it lands (a URL, a JSON body, a PromQL query, a
/// Kubernetes name: see [`crate::template::encode`]).
fn raw_insertion(plan: &Plan, i: usize, step: &Step, add: &mut impl FnMut(LintRule, Diagnostic)) {
    for (template, quoting) in templates(&plan.step_plan(i).params) {
        for insertion in template.insertions().into_iter().filter(|i| i.raw) {
            let (rule, diagnostic) = match quoting {
                Quoting::Shell => (
                    LintRule::RawShellInsertion,
                    new(format!(
                        "a value is inserted unquoted into the shell command of `{}`",
                        step.id.value
                    ))
                    .label(insertion.span, "inserted raw: its value can run commands")
                    .help("drop `raw` (or the triple braces) so the value is one shell word; if it must expand to several words, allow the rule on this step with a reason"),
                ),
                Quoting::Encoded(encoding) => (
                    LintRule::RawEncodedInsertion,
                    new(format!(
                        "a value is inserted raw into {} of `{}`",
                        encoding.noun(),
                        step.id.value
                    ))
                    .label(insertion.span, "inserted raw: not encoded")
                    .help("drop `raw` (or the triple braces) so the value is encoded for where it lands; if it must stay raw, allow the rule on this step with a reason"),
                ),
                Quoting::None | Quoting::Prose => continue,
            };
            add(rule, diagnostic);
        }
    }
}

/// Insertions into an argv element that a shell parses (`[sh, -c, SCRIPT]`,
/// `[ssh, host, ...]`): quoted for it, but better passed as an argument.
fn shell_script_in_argv(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    let mut stack: Vec<&Param> = plan.step_plan(i).params.values().collect();
    while let Some(param) = stack.pop() {
        match &param.value {
            ParamValue::List(items) => {
                for item in items {
                    let ParamValue::Template {
                        template,
                        quoting: Quoting::Shell,
                        ..
                    } = &item.value
                    else {
                        stack.push(item);
                        continue;
                    };
                    for insertion in template.insertions().into_iter().filter(|i| !i.raw) {
                        add(
                            LintRule::ShellScriptInArgv,
                            new(format!(
                                "a value is inserted into a script that a shell parses in the argv list of `{}`",
                                step.id.value
                            ))
                            .label(insertion.span, "quoted for the shell that parses this element")
                            .help("pass the value as an argument of the script instead: `[sh, -c, 'restore \"$1\"', sh, '{{inputs.file}}']` (an argument is never parsed)"),
                        );
                    }
                }
            }
            ParamValue::Map(entries) => stack.extend(entries.iter().map(|(_, p)| p)),
            _ => {}
        }
    }
}

fn poll_without_deadline(step: &Step, add: &mut impl FnMut(LintRule, Diagnostic)) {
    let Some(until) = &step.until else { return };
    if until.within.is_some() {
        return;
    }
    add(
        LintRule::PollWithoutDeadline,
        new(format!("`{}` polls with no deadline", step.id.value))
            .label(
                until.condition.span,
                "polled until this holds, however long",
            )
            .help("add `within: 10m` to `until`"),
    );
}

/// Whether the cases of a branch provably cover every value they switch on.
pub(crate) fn exhaustive(plan: &Plan, i: usize) -> bool {
    let mut subject: Option<Path> = None;
    let mut covered: Vec<String> = Vec::new();
    for case in &plan.step_plan(i).cases {
        let Some((path, values)) = case.as_ref().and_then(expr::enum_coverage) else {
            return false;
        };
        match &subject {
            Some(s) if !s.same_as(&path) => return false,
            Some(_) => {}
            None => subject = Some(path),
        }
        covered.extend(values);
    }
    let Some(subject) = subject else { return false };
    let Some((choices, _, _)) = choices_of(plan.playbook(), &subject) else {
        return false;
    };
    choices.iter().all(|c| covered.contains(c))
}

fn branch_without_else(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    let Action::Branch(branch) = &step.action else {
        return;
    };
    if branch.otherwise.is_some() || branch.cases.is_empty() || exhaustive(plan, i) {
        return;
    }
    let keyword = branch.keyword.value.name();
    add(
        LintRule::BranchWithoutElse,
        new(format!(
            "the {keyword} `{}` has no `else` and its cases may all be false",
            step.id.value
        ))
        .label(branch.keyword.span, "no `else`")
        .help("add an `else` case (a manual step saying what to do is enough), or allow the rule with the reason nothing needs doing"),
    );
}

fn manual_without_instructions(step: &Step, add: &mut impl FnMut(LintRule, Diagnostic)) {
    let Action::Manual { instructions, .. } = &step.action else {
        return;
    };
    if instructions.value.trim().chars().count() >= MIN_INSTRUCTIONS {
        return;
    }
    add(
        LintRule::ManualWithoutInstructions,
        new(format!(
            "the manual step `{}` does not say what to do",
            step.id.value
        ))
        .label(instructions.span, "too short to follow")
        .help("write the instructions as you would for a colleague who has never done it: what to do, where, how to tell it worked"),
    );
}

fn secret_output_unmasked(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    // A secret that only opens the step's connection (a `sql` `url`) does
    // not reach what the step returns.
    if !plan.step_plan(i).secret_reaches_results {
        return;
    }
    // `secret: false` says the author looked and it carries none.
    for output in step.outputs.iter().filter(|o| o.secret.is_none()) {
        add(
            LintRule::SecretOutputUnmasked,
            new(format!(
                "the output `{}` of `{}` may carry a secret the step reads",
                output.name.value, step.id.value
            ))
            .label(output.name.span, "not marked secret")
            .help(
                "add `secret: true` to the output, or `secret: false` if it cannot hold the secret",
            ),
        );
    }
}

/// Whether a description would add something to the step: not to a branch
/// (its cases say it), a `manual` step (its text is the instruction), an
/// `ask` (its question), nor a step of a kind whose parameters say what it
/// is for ([`DescribesItself`]: a `log` message, an `approve` question, an
/// `assert` with its own `message`).
fn description_adds_something(plan: &Plan, i: usize, step: &Step) -> bool {
    match &step.action {
        Action::Branch(_) | Action::Manual { .. } | Action::Ask(_) => false,
        Action::Kind { params, .. } => match plan.step_plan(i).capabilities.describes_itself {
            DescribesItself::No => true,
            DescribesItself::Always => false,
            DescribesItself::With(param) => params.get(param).is_none(),
        },
    }
}

fn on_call_without_description(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    if step.description.is_some() || !description_adds_something(plan, i, step) {
        return;
    }
    add(
        LintRule::OnCallWithoutDescription,
        new(format!("the step `{}` has no description", step.id.value))
            .label(step.id.span, "what is it for?")
            .help("add a `description` saying why the step is there and what to look for in its result"),
    );
}

fn unknown_rule(step: &Step, add: &mut impl FnMut(LintRule, Diagnostic)) {
    let Some(lint) = &step.lint else { return };
    for name in &lint.allow {
        if LintRule::parse(&name.value).is_some() {
            continue;
        }
        let names = LintRule::ALL.iter().map(|r| r.short_name());
        let help = match crate::suggest::did_you_mean(&name.value, names) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "see docs/lint.md for the rules".to_string(),
        };
        add(
            LintRule::UnknownRule,
            new(format!("`{}` is not a lint rule", name.value))
                .label(name.span, "unknown rule")
                .help(help),
        );
    }
}
