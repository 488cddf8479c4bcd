//! `playbook`: run another playbook as one step, so shared procedures
//! ("rolling restart and watch") are written once and reused. How the
//! called playbook runs is [`call`].

mod call;

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{
    Capabilities, DescribesItself, KindSchema, ParamSchema, ParamType, ResultField,
};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind, Mode};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The `playbook` kind. `path` is a plain string, not a template, so the
/// called playbook is known at `check` time and can be checked with the caller.
pub struct Playbook;

#[derive(Deserialize)]
pub struct Params {
    path: String,
    inputs: Option<Map<String, Value>>,
}

impl Kind for Playbook {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema()
    }

    fn run<'a>(&'a self, _: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(call::call(ctx, Mode::Run))
    }

    fn preview<'a>(
        &'a self,
        _: Params,
        ctx: &'a ActionContext,
    ) -> Option<BoxFuture<'a, ActionResult>> {
        Some(Box::pin(call::call(ctx, Mode::DryRun)))
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        let path = &params.path;
        match &params.inputs {
            Some(m) if !m.is_empty() => {
                format!("run playbook {path} with {}", Value::Object(m.clone()))
            }
            _ => format!("run playbook {path}"),
        }
    }
}

fn schema() -> KindSchema {
    KindSchema {
        name: "playbook",
        summary: "Run another playbook as a single step.",
        params: vec![
            ParamSchema::required(
                "path",
                ParamType::String,
                "Playbook file to run, relative to this playbook's directory.",
            ),
            ParamSchema::optional(
                "inputs",
                ParamType::Map(Box::new(ParamType::Template)),
                "Values for the called playbook's inputs; secrecy carries over to what it shows (masked), not to its command lines: a secret given to an input it writes into a command line is visible in `ps` (`lint::secret_on_command_line` says where).",
            ),
        ],
        shorthand: Some("path"),
        results: vec![ResultField::new(
            "outputs",
            ValueType::Map,
            "The called playbook's outputs, by step and output name (`outputs.STEP.NAME`). `steps.ID.outputs` names the outputs the calling step declares, so one of these is read through a declared output: `outputs: {pct: {from: outputs, json: $.usage.pct}}`, then `steps.ID.outputs.pct`.",
        )],
        primary_result: "outputs",
        default_effect: super::writes,
        effect_doc: "`write`: the called playbook's steps are not known from the \
parameters alone. Its own steps keep their effects and gates when it runs.",
        rules: runbook_dsl::catalog::no_rules,
        capabilities: Capabilities {
            calls_playbook: true,
            describes_itself: DescribesItself::Always,
            ..Capabilities::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::text;
    use runbook_dsl::ast::Effect;

    #[test]
    fn calling_a_playbook_writes() {
        let path = text("restart-and-watch.yaml");
        assert_eq!((schema().default_effect)(&path), Effect::Write);
    }
}
