//! `log`: write a line to the run's output and journal, for the context an
//! operator or the incident report needs ("queue depth was 312").

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{
    Capabilities, DescribesItself, KindSchema, ParamSchema, ParamType, ResultField,
};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind, Stream};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The `log` kind.
pub struct Log;

#[derive(Deserialize)]
pub struct Params {
    message: String,
}

impl Kind for Log {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        KindSchema {
            name: "log",
            summary: "Print a message to the run's output and record it in the journal.",
            params: vec![ParamSchema::required(
                "message",
                ParamType::ProseTemplate,
                "Text to print; secrets in it are masked, and a value inserted in it stays on one line (its line breaks shown as `\\n`), so it cannot add lines that look like the run's own.",
            )],
            shorthand: Some("message"),
            results: vec![ResultField::new(
                "message",
                ValueType::String,
                "The message as rendered.",
            )],
            primary_result: "message",
            default_effect: super::reads,
            effect_doc: "`read`: the message goes to the run's own output and journal, \
nowhere else.",
            rules: runbook_dsl::catalog::no_rules,
            capabilities: Capabilities {
                pure: true,
                describes_itself: DescribesItself::Always,
                ..Capabilities::default()
            },
        }
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            for line in params.message.lines() {
                ctx.emit(Stream::Log, line);
            }
            let mut fields = Map::new();
            fields.insert("message".into(), Value::String(params.message));
            ActionResult::success(fields)
        })
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        format!("log: {}", params.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::text;
    use runbook_dsl::ast::Effect;

    #[test]
    fn logging_reads() {
        let message = text("queue depth {{steps.depth.value}}");
        assert_eq!((Log.schema().default_effect)(&message), Effect::Read);
    }
}
