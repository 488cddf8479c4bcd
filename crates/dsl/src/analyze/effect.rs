//! A step's effect: the one it declares, or its kind's default from its
//! parameters. For a kind whose default is what the step does rather than
//! a guess (its capability `effect_floor`: `redis` reads the command's
//! name, `http` its method), a declared effect below that floor is an error, since the
//! effect decides what a dry-run runs and which gates a `--yes` passes.

use crate::ast::{Action, Effect, Step};
use crate::catalog::KindSchema;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};

pub(super) fn step_effect(
    step: &Step,
    schema: Option<&KindSchema>,
    diags: &mut Diagnostics,
) -> Effect {
    let (params, schema) = match (&step.action, schema) {
        (Action::Kind { params, .. }, Some(schema)) => (params, schema),
        (Action::Kind { .. }, None) => {
            return step.effect.as_ref().map_or(Effect::Write, |e| e.value)
        }
        _ => return step.effect.as_ref().map_or(Effect::Read, |e| e.value),
    };
    let default = (schema.default_effect)(params);
    let Some(declared) = &step.effect else {
        return default;
    };
    let floor = schema.capabilities.effect_floor;
    let Some((floor, read_from)) = floor.map(|f| ((f.effect)(params), f.read_from)) else {
        return declared.value;
    };
    if declared.value < floor {
        // The parameter the floor is read from (`redis`'s `command`,
        // `http`'s `method`); the whole mapping when none is written.
        let from = read_from
            .iter()
            .find_map(|name| params.get(name))
            .unwrap_or(params);
        diags.push(
            Diagnostic::error(
                Code::UnderstatedEffect,
                format!(
                    "`effect: {}` is lower than what this `{}` step does: `{}`",
                    declared.value.name(),
                    schema.name,
                    floor.name()
                ),
            )
            .label(
                declared.span,
                format!("declared `{}`", declared.value.name()),
            )
            .label(from.span, format!("`{}`", floor.name()))
            .help(format!(
                "a `{kind}` step's effect is what its parameters say it does (docs/stdlib.md, \
                 `{kind}`): declare `effect: {effect}` or leave `effect` out; a lower effect \
                 would let a dry-run run it and `--yes` pass its gate",
                kind = schema.name,
                effect = floor.name()
            )),
        );
        return floor;
    }
    declared.value
}
