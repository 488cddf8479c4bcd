//! Running a `prometheus` step: an instant query (`/api/v1/query`) or, with
//! `range`, a range query (`/api/v1/query_range`) ending now, through the
//! Prometheus HTTP API; the answer as `value`, `series` and `empty`.

use super::Params;
use crate::capped;
use crate::web::send::Repeat;
use crate::web::{self, ClientOptions};
use runbook_runtime::{ActionContext, ActionResult};
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the HTTP request may take when the step sets no `timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's base URL: the parameter, else `$PROMETHEUS_URL`.
pub fn base_url(params: &Params) -> Result<String, String> {
    match &params.url {
        Some(url) => Ok(url.trim_end_matches('/').to_string()),
        None => std::env::var("PROMETHEUS_URL")
            .map(|u| u.trim_end_matches('/').to_string())
            .map_err(|_| "no Prometheus server: set `url` or $PROMETHEUS_URL".to_string()),
    }
}

/// A sample value as Prometheus writes it (a string, possibly `NaN` or
/// `+Inf`), as a JSON number; `null` where JSON has no such number.
fn sample(value: &Value) -> Value {
    value
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The type of `series`, for `check`: a list of `{labels, value,
/// values}` as [`results`] builds them (`values` only for a range query).
pub static SERIES: std::sync::LazyLock<runbook_dsl::expr::Type> = std::sync::LazyLock::new(|| {
    use runbook_dsl::expr::{map_of, Record, Type};
    let list = |t| Type::List(Box::new(t));
    let series = Record::closed(
        Some("series"),
        vec![
            ("labels", map_of(Type::String)),
            ("value", Type::Float),
            ("values", list(list(Type::Any))),
        ],
    );
    list(series.into_type())
});

/// `[time, "value"]` as `value`.
fn point_value(point: &Value) -> Value {
    point.get(1).map(sample).unwrap_or(Value::Null)
}

/// The results from the API's `data`.
pub fn results(data: &Value) -> Result<Map<String, Value>, String> {
    let kind = data["resultType"].as_str().unwrap_or("");
    let result = &data["result"];
    let mut fields = Map::new();
    let mut series = Vec::new();
    let mut only_value = None;
    match kind {
        "scalar" | "string" => {
            let v = point_value(result);
            only_value = Some(v.clone());
            series.push(serde_json::json!({"labels": {}, "value": v}));
        }
        "vector" | "matrix" => {
            for s in result.as_array().into_iter().flatten() {
                let labels = s
                    .get("metric")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new()));
                if kind == "vector" {
                    let v = s.get("value").map(point_value).unwrap_or(Value::Null);
                    series.push(serde_json::json!({"labels": labels, "value": v}));
                } else {
                    let values: Vec<Value> = s["values"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| serde_json::json!([p[0].clone(), point_value(p)]))
                        .collect();
                    // The last sample as `value` too, so `max(series, s => s.value)`
                    // reads range and instant answers alike.
                    let last = values.last().map(|p| p[1].clone()).unwrap_or(Value::Null);
                    series.push(
                        serde_json::json!({"labels": labels, "values": values, "value": last}),
                    );
                }
            }
            if series.len() == 1 {
                let s = &series[0];
                only_value = Some(match s.get("value") {
                    Some(v) => v.clone(),
                    None => s["values"]
                        .as_array()
                        .and_then(|v| v.last())
                        .map(|p| p[1].clone())
                        .unwrap_or(Value::Null),
                });
            }
        }
        other => {
            return Err(format!(
                "Prometheus answered an unknown result type `{other}`"
            ))
        }
    }
    fields.insert("empty".into(), Value::Bool(series.is_empty()));
    fields.insert("series".into(), Value::Array(series));
    if let Some(v) = only_value.filter(|v| !v.is_null()) {
        fields.insert("value".into(), v);
    }
    Ok(fields)
}

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// Runs the query the parameters describe.
pub async fn run(params: Params, ctx: &ActionContext) -> ActionResult {
    let query = &params.query;
    let base = match base_url(&params) {
        Ok(b) => b,
        Err(e) => return ActionResult::failure(e),
    };
    let timeout = params.timeout;
    let mut form: Vec<(&str, String)> = vec![("query", query.to_string())];
    if let Some(t) = timeout {
        form.push(("timeout", format!("{}ms", t.as_millis())));
    }
    let endpoint = match params.range {
        Some(range) => {
            let end = SystemTime::now();
            let step = params
                .step
                .unwrap_or_else(|| (range / 250).max(Duration::from_secs(1)));
            form.push(("start", format!("{:.3}", seconds(end - range))));
            form.push(("end", format!("{:.3}", seconds(end))));
            form.push(("step", format!("{}ms", step.as_millis().max(1))));
            "query_range"
        }
        None => "query",
    };
    let url = format!("{base}/api/v1/{endpoint}");
    let what = format!("PromQL `{query}` at {base}");
    let options = ClientOptions {
        follow_redirects: true,
        insecure: false,
    };
    let client = match web::client(options) {
        Ok(c) => c,
        Err(e) => return ActionResult::failure(e),
    };
    let limit = timeout.map_or(DEFAULT_TIMEOUT, |t| t + Duration::from_secs(5));
    // A query only reads: sent again if its connection closed under it,
    // although it is a POST.
    let request = client.post(&url).timeout(limit).form(&form);
    let request = web::send::send(options, request, Repeat::Read, &what, limit);
    let response = tokio::select! {
        r = request => match r {
            Ok(r) => r,
            Err(e) => return ActionResult::failure(e),
        },
        _ = ctx.cancel.cancelled() => return ActionResult::failure("stopped while querying"),
    };
    let status = response.status();
    let mut response = response;
    let read = tokio::select! {
        r = capped::read_response(&mut response, &ctx.output_cap) => r,
        _ = ctx.cancel.cancelled() => return ActionResult::failure("stopped while querying"),
    };
    let answer = match read {
        Ok(answer) => answer,
        Err(e) => return ActionResult::failure(web::describe_failure(&e, &what, limit)),
    };
    if answer.truncated() {
        let mut fields = Map::new();
        answer.mark(&mut fields);
        return ActionResult::failure(format!("{what}: {}", capped::not_parsed(&ctx.output_cap)))
            .with_fields(fields);
    }
    let body: Value = match serde_json::from_slice(answer.bytes()) {
        Ok(b) => b,
        Err(e) => {
            return ActionResult::failure(format!(
                "{base} answered {status} with something other than the Prometheus API's JSON: {e}"
            ))
        }
    };
    if body["status"] != "success" {
        return ActionResult::failure(format!(
            "Prometheus refused {what}: {}: {}",
            body["errorType"].as_str().unwrap_or("error"),
            body["error"].as_str().unwrap_or("no reason given")
        ));
    }
    match results(&body["data"]) {
        Ok(mut fields) => {
            answer.mark(&mut fields);
            ActionResult::success(fields)
        }
        Err(e) => ActionResult::failure(e),
    }
}

/// One line saying what the query is, for a dry-run.
pub fn describe(params: &Params) -> String {
    let query = &params.query;
    let base = base_url(params).unwrap_or_else(|_| "$PROMETHEUS_URL".into());
    match params.range {
        Some(r) => format!(
            "PromQL over the last {}: {query} at {base}",
            humantime::format_duration(r)
        ),
        None => format!("PromQL: {query} at {base}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_single_vector_series_has_a_value() {
        let data = json!({"resultType": "vector", "result": [
            {"metric": {"queue": "arq"}, "value": [1.0, "42"]}
        ]});
        let r = results(&data).unwrap();
        assert_eq!(r["value"], 42.0);
        assert_eq!(r["empty"], false);
        assert_eq!(r["series"][0]["labels"]["queue"], "arq");
    }

    #[test]
    fn several_series_have_no_single_value_and_none_is_empty() {
        let two = json!({"resultType": "vector", "result": [
            {"metric": {"a": "1"}, "value": [1.0, "1"]},
            {"metric": {"a": "2"}, "value": [1.0, "NaN"]}
        ]});
        let r = results(&two).unwrap();
        assert!(r.get("value").is_none());
        assert_eq!(r["series"][1]["value"], Value::Null);
        let none = results(&json!({"resultType": "vector", "result": []})).unwrap();
        assert_eq!(none["empty"], true);
    }
}
