//! `prometheus`: a PromQL query, for the "check the dashboards" step of every
//! incident, as a value a branch can compare (`steps.errors.value > 0.01`).
//! The schema and the kind are here, the query in [`query`].

mod query;
mod syntax;

pub use query::results;

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{Capabilities, KindSchema, ParamSchema, ParamType, ResultField};
use runbook_dsl::encode::Encoding;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use std::time::Duration;

/// The `prometheus` kind.
pub struct Prometheus;

#[derive(Deserialize)]
pub struct Params {
    query: String,
    url: Option<String>,
    range: Option<Duration>,
    step: Option<Duration>,
    timeout: Option<Duration>,
}

impl Kind for Prometheus {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema()
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(query::run(params, ctx))
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        query::describe(params)
    }
}

fn schema() -> KindSchema {
    KindSchema {
        name: "prometheus",
        summary: "Evaluate a PromQL query, now or over a recent range.",
        params: vec![
            ParamSchema::required(
                "query",
                ParamType::Encoded(Encoding::PromQl),
                "PromQL expression; values inserted in strings are escaped, elsewhere only numbers.",
            ),
            ParamSchema::optional(
                "url",
                ParamType::Encoded(Encoding::Url),
                "Server base URL, such as `http://prometheus:9090`; default `$PROMETHEUS_URL`.",
            ),
            ParamSchema::optional(
                "range",
                ParamType::Duration,
                "Run a range query over the last D instead of an instant query.",
            ),
            ParamSchema::optional(
                "step",
                ParamType::Duration,
                "Resolution of a range query; default a 250th of `range`, at least `1s`.",
            ),
            ParamSchema::optional(
                "timeout",
                ParamType::Duration,
                "Evaluation timeout passed to the server; default the server's.",
            ),
        ],
        shorthand: Some("query"),
        results: vec![
            ResultField::new(
                "value",
                ValueType::Float,
                "The value of the only series (a range query's last sample); unset unless exactly one series.",
            ),
            ResultField::new(
                "series",
                ValueType::List,
                "Every series, each a map of `labels` and `value` (a range query's last sample, with every sample in `values`): `any(steps.ID.series, s => s.value > 80)`. Typed `list<series>`.",
            )
            .shaped(|_| query::SERIES.clone()),
            ResultField::new("empty", ValueType::Bool, "True when the query returned no series."),
            crate::capped::truncated_field(),
        ],
        primary_result: "value",
        default_effect: super::reads,
        effect_doc: "`read`: a query changes nothing.",
        rules: syntax::rules,
        capabilities: Capabilities {
            credentials: &["url"],
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
    fn queries_read() {
        let q = text("sum(rate(http_requests_total{code=~\"5..\"}[5m]))");
        assert_eq!((schema().default_effect)(&q), Effect::Read);
    }
}
