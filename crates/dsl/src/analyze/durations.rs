//! Durations written as templates (`timeout: "{{inputs.wait}}"`,
//! `within: "{{vars.grace}}"`, `wait: "{{inputs.settle}}"`): checked like
//! any template, and what they insert must be able to render a duration: a
//! `duration` input or value, or text. A number is refused here, since
//! `300` says nothing about its unit. A template that reads only values
//! known at check time (input defaults, values computed from them) is
//! filled in here and what it renders must be a duration; otherwise that
//! is checked when the step runs. A step's `output_cap` written as a
//! template (`output_cap: "{{inputs.cap}}"`) is checked the same way, as a
//! size ([`OUTPUT_CAP`]), and so is the playbook's, which may read only
//! inputs and computed values that read no step
//! ([`check_playbook_output_cap`]).

use super::known_values::KnownValues;
use super::references::References;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::Type;
use crate::node::Text;
use crate::plan::DurationField;
use crate::template::{self, Quoting, Template};

/// Checks the templated durations of a step; returns them parsed.
pub(super) fn check(
    step: &crate::ast::Step,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Vec<(DurationField, Template)> {
    let mut out = Vec::new();
    for field in DurationField::ALL {
        let Some(text) = field.of(step).and_then(|d| d.template.as_ref()) else {
            continue;
        };
        if let Some(parsed) = check_template(field.name(), text, refs, diags) {
            out.push((field, parsed));
        }
    }
    out
}

/// What a templated field must render, and how `check` says it does not:
/// a duration (`timeout`, `wait`) or a size (`output_cap`).
pub(super) struct Rendered {
    pub code: Code,
    /// `a duration`, `a size`.
    pub noun: &'static str,
    /// Reads the rendered text; the error says why it is not one.
    pub read: fn(&str) -> Result<(), String>,
    /// Whether an inserted integer can render one (`65536` bytes can be a
    /// size; `300` says nothing about the unit of a duration).
    pub takes_int: bool,
    /// The help for an insertion of the wrong type.
    pub insert_help: &'static str,
    /// The help when an input's default renders a wrong value.
    pub default_help: &'static str,
    /// The help when a computed value renders a wrong value.
    pub render_help: &'static str,
}

/// A templated duration.
pub(super) const DURATION: Rendered = Rendered {
    code: Code::InvalidDuration,
    noun: "a duration",
    read: |text| crate::duration::rendered_duration(text).map(|_| ()),
    takes_int: false,
    insert_help: "insert a duration: an input with `type: duration`, a value such as `duration(\"5m\")`, or text such as `5m`",
    default_help: "make the default a duration such as `30s`, `5m` or `1h30m` (and declare the input `type: duration`, so that a value given to the run is checked when it starts)",
    render_help: "render a duration: a number and a unit such as `30s`, `5m` or `1h30m`",
};

/// A templated output cap.
pub(super) const OUTPUT_CAP: Rendered = Rendered {
    code: Code::InvalidOutputCap,
    noun: "an output cap",
    read: |text| crate::size::parse_output_cap(text).map(|_| ()),
    takes_int: true,
    insert_help: "insert a size: text such as `64KiB` or `1MiB`, or an int number of bytes",
    default_help: "make the default a size between 1KiB and 256MiB such as `64KiB` or `1MiB`",
    render_help: "render a size between 1KiB and 256MiB such as `64KiB` or `1MiB`",
};

/// Checks a step's `output_cap` written as a template; returns it parsed.
pub(super) fn check_output_cap(
    step: &crate::ast::Step,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Option<Box<Template>> {
    let text = step.output_cap.as_ref()?.template.as_ref()?;
    check_rendered(&OUTPUT_CAP, "output_cap", text, refs, diags).map(Box::new)
}

impl<'a> super::Analyzer<'a> {
    /// Checks the playbook's `output_cap` written as a template, with the
    /// references of no step (as for a computed value): as a step's, and
    /// it must read no step's results, since it is the cap of steps that
    /// may run before that one. Returns it parsed, with the computed values
    /// it reads (plan positions), which every step then computes before it
    /// runs (see `Plan::with_vars`).
    pub(super) fn playbook_output_cap(
        &mut self,
        types: &super::references::StepTypes<'a>,
        ancestry: &crate::graph::Ancestry,
        computed: &super::vars::Vars,
    ) -> Option<(Template, Vec<usize>)> {
        let playbook = self.playbook;
        let text = playbook.output_cap.as_ref()?.template.as_ref()?;
        let mut refs = References::for_vars(playbook, &self.index, types, ancestry);
        refs.with_vars(computed);
        let parsed = check_rendered(&OUTPUT_CAP, "output_cap", text, &mut refs, self.diags)?;
        let steps = refs.take_reads();
        if let Some(&first) = steps.first() {
            let id = &playbook.steps[first].id.value;
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidOutputCap,
                    format!("the playbook's `output_cap` reads the results of step `{id}`"),
                )
                .label(
                    text.span,
                    "the cap of every step, rendered as each starts: some run before this result exists",
                )
                .help("read only inputs and computed values that read no step (`{{inputs.cap}}`, `{{vars.cap}}`), or put this template on the steps after it: a step's own `output_cap` may read upstream results"),
            );
            return None;
        }
        Some((parsed, refs.take_vars_read()))
    }
}

/// Parses and checks one duration written as a template; `name` is the
/// field or parameter as written (`timeout`, `duration`).
pub(super) fn check_template(
    name: &str,
    text: &Text,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Option<Template> {
    check_rendered(&DURATION, name, text, refs, diags)
}

/// Parses and checks one field written as a template that must render
/// what `what` describes.
pub(super) fn check_rendered(
    what: &Rendered,
    name: &str,
    text: &Text,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Option<Template> {
    let parsed = match template::parse(text) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let mut found = Diagnostics::new();
    template::check(&parsed, Quoting::None, refs, &mut found);
    for insertion in parsed.insertions() {
        let ty = insertion.resolve(refs, &mut Diagnostics::new());
        let refused = match ty {
            Type::Int => !what.takes_int,
            Type::Float | Type::Bool | Type::List(_) | Type::Map | Type::Record(_) => true,
            _ => false,
        };
        if refused {
            found.push(
                Diagnostic::error(
                    what.code,
                    format!(
                        "`{name}` inserts {}, which is not {}",
                        ty.describe(),
                        what.noun
                    ),
                )
                .label(insertion.span, format!("this is {}", ty.describe()))
                .help(what.insert_help),
            );
        }
    }
    let clean = !found.has_errors();
    diags.extend(found);
    if clean {
        check_known(what, name, text, &parsed, refs, diags);
    }
    Some(parsed)
}

/// Fills the template in with the values known now, if it reads only
/// those, and reports a rendering that is not a duration at the values it
/// read, with a label on the use.
fn check_known(
    what: &Rendered,
    name: &str,
    text: &Text,
    parsed: &Template,
    refs: &References,
    diags: &mut Diagnostics,
) {
    let known = KnownValues::new(refs.playbook(), refs.computed());
    // A value missing inside a default is a type error reported already.
    let Ok(Some(rendered)) = template::fill_known(parsed, &known, Quoting::None) else {
        return;
    };
    let Err(why) = (what.read)(rendered.trim()) else {
        return;
    };
    let sources = known.sources();
    let secret = sources.iter().any(|s| s.secret);
    let shown = if secret {
        "a value (not shown: it reads a secret)".to_string()
    } else {
        format!("`{}`", rendered.trim())
    };
    let mut diagnostic = Diagnostic::error(
        what.code,
        format!(
            "`{name}` renders {shown}, which is not {}: {why}",
            what.noun
        ),
    );
    for source in &sources {
        diagnostic = diagnostic.label(
            source.span,
            if source.default {
                format!(
                    "the default of `{}`, used unless the run is given another value",
                    source.name
                )
            } else {
                format!("`{}` is computed here", source.name)
            },
        );
    }
    let help = if sources.iter().any(|s| s.default) {
        what.default_help
    } else {
        what.render_help
    };
    diags.push(
        diagnostic
            .label(text.span, format!("`{name}` is rendered from it here"))
            .help(help),
    );
}
