//! What a step read, rendered compactly for a person: the pods a `k8s`
//! list found (name, status, restarts), the last events, a log tail, the
//! series of a `prometheus` query with their values, the rows of an `sql`
//! query, an `http` response's status and the start of its body. The live
//! view, `runbook report` and the prompts of `ask` and approval steps show
//! it, so the operator sees what the run saw, not only that it succeeded.
//!
//! It reads a step's result fields by their shape (they come from the
//! journal too, where the kind is not recorded), and is bounded: at most
//! [`MAX_LINES`] lines of at most [`MAX_WIDTH`] characters, with a last line
//! saying how much was left out. The fields must already be masked (events
//! are masked by the bus; prompts mask what they show).

use serde_json::{Map, Value};

/// At most this many lines of evidence per step.
pub const MAX_LINES: usize = 10;
/// Each line cut to this many characters.
pub const MAX_WIDTH: usize = 160;

/// The evidence in a step's results; empty when it read nothing to show
/// (a shell step's output is shown as it runs).
pub fn lines(results: &Map<String, Value>) -> Vec<String> {
    let rendered = if let Some(Value::Array(items)) = results.get("items") {
        objects(items)
    } else if let Some(Value::Array(events)) = results.get("events") {
        events_tail(events)
    } else if let Some(Value::String(logs)) = results.get("logs") {
        tail(logs.lines().map(str::to_string).collect())
    } else if let Some(Value::Array(series)) = results.get("series") {
        series_values(series)
    } else if let Some(Value::Array(rows)) = results.get("rows") {
        table_rows(rows)
    } else if let (Some(status), Some(Value::String(body))) = (
        results.get("status").and_then(Value::as_i64),
        results.get("body"),
    ) {
        http(status, body)
    } else {
        Vec::new()
    };
    rendered.into_iter().map(|l| cut(&l)).collect()
}

/// The first lines, and how many were left out.
fn head(mut lines: Vec<String>, what: &str) -> Vec<String> {
    if lines.len() > MAX_LINES {
        let more = lines.len() - (MAX_LINES - 1);
        lines.truncate(MAX_LINES - 1);
        lines.push(format!("… {more} more {what}"));
    }
    lines
}

/// The last lines, and how many came before.
fn tail(lines: Vec<String>) -> Vec<String> {
    if lines.len() <= MAX_LINES {
        return lines;
    }
    let skip = lines.len() - (MAX_LINES - 1);
    let mut out = vec![format!("… {skip} earlier lines")];
    out.extend(lines.into_iter().skip(skip));
    out
}

fn cut(line: &str) -> String {
    one_line(line, MAX_WIDTH)
}

/// `text` as one line of at most `width` characters: control characters
/// (a newline, an escape sequence from a response) become spaces, and a
/// longer text ends in `…`.
pub fn one_line(text: &str, width: usize) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() <= width {
        return line;
    }
    let mut short: String = line.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// Columns padded to their widest cell.
fn aligned(rows: Vec<Vec<String>>) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count().min(40))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.into_iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| format!("{cell:<width$}", width = widths[i]))
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

/// A `k8s` list: pods with their status and restarts, other objects by
/// kind and name.
fn objects(items: &[Value]) -> Vec<String> {
    if items.is_empty() {
        return vec!["(none)".into()];
    }
    let pods = items.iter().all(|i| i["status"]["phase"].is_string());
    let mut rows = Vec::new();
    if pods {
        rows.push(vec!["NAME".into(), "STATUS".into(), "RESTARTS".into()]);
        for pod in items {
            let statuses: Vec<&Value> = ["containerStatuses", "initContainerStatuses"]
                .iter()
                .filter_map(|k| pod["status"][k].as_array())
                .flatten()
                .collect();
            let restarts: i64 = statuses
                .iter()
                .filter_map(|s| s["restartCount"].as_i64())
                .sum();
            // A container's waiting reason says more than the phase.
            let status = statuses
                .iter()
                .find_map(|s| s["state"]["waiting"]["reason"].as_str())
                .or_else(|| pod["status"]["phase"].as_str())
                .unwrap_or("Unknown");
            rows.push(vec![
                text(&pod["metadata"]["name"]),
                status.to_string(),
                restarts.to_string(),
            ]);
        }
    } else {
        rows.push(vec!["KIND".into(), "NAME".into()]);
        for item in items {
            rows.push(vec![text(&item["kind"]), text(&item["metadata"]["name"])]);
        }
    }
    head(aligned(rows), "objects")
}

/// The last events, newest last.
fn events_tail(events: &[Value]) -> Vec<String> {
    if events.is_empty() {
        return vec!["(no events)".into()];
    }
    let lines = events
        .iter()
        .map(|e| {
            format!(
                "{} {} {}: {}",
                text(&e["type"]),
                text(&e["reason"]),
                text(&e["involvedObject"]["name"]),
                text(&e["message"]).trim()
            )
        })
        .collect();
    tail(lines)
}

/// Each series: its labels and its value (a range query's last sample).
fn series_values(series: &[Value]) -> Vec<String> {
    if series.is_empty() {
        return vec!["(no series)".into()];
    }
    let lines = series
        .iter()
        .map(|s| {
            let labels: Vec<String> = s["labels"]
                .as_object()
                // Quoted and escaped as PromQL writes them, so a value with
                // a quote, `}` or a line break reads as one value.
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let value = serde_json::to_string(&text(v)).unwrap_or_default();
                            format!("{k}={value}")
                        })
                        .collect()
                })
                .unwrap_or_default();
            let value = match &s["values"] {
                Value::Array(samples) => samples
                    .last()
                    .map(|sample| match sample {
                        Value::Array(pair) => text(pair.last().unwrap_or(&Value::Null)),
                        other => text(other),
                    })
                    .unwrap_or_else(|| "-".into()),
                _ => text(&s["value"]),
            };
            format!("{{{}}} {value}", labels.join(", "))
        })
        .collect();
    head(lines, "series")
}

/// Rows under their column names.
fn table_rows(rows: &[Value]) -> Vec<String> {
    let Some(first) = rows.first().and_then(Value::as_object) else {
        return vec!["(no rows)".into()];
    };
    let columns: Vec<String> = first.keys().cloned().collect();
    let mut table = vec![columns.clone()];
    for row in rows {
        table.push(columns.iter().map(|c| text(&row[c.as_str()])).collect());
    }
    head(aligned(table), "rows")
}

/// The status and the start of the body, on one line.
fn http(status: i64, body: &str) -> Vec<String> {
    let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.is_empty() {
        vec![format!("HTTP {status}")]
    } else {
        vec![format!("HTTP {status}: {body}")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn results(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn pods_show_their_status_and_restarts() {
        let shown = lines(&results(json!({"items": [
            {"metadata": {"name": "api-1"}, "status": {"phase": "Running",
                "containerStatuses": [{"restartCount": 0, "state": {"running": {}}}]}},
            {"metadata": {"name": "worker-7"}, "status": {"phase": "Running",
                "containerStatuses": [{"restartCount": 14,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}},
        ]})));
        assert_eq!(
            shown,
            [
                "NAME      STATUS            RESTARTS",
                "api-1     Running           0",
                "worker-7  CrashLoopBackOff  14",
            ]
        );
    }

    #[test]
    fn evidence_is_bounded() {
        let logs: Vec<String> = (1..=500).map(|i| format!("line {i}")).collect();
        let shown = lines(&results(json!({"logs": logs.join("\n")})));
        assert_eq!(shown.len(), MAX_LINES);
        assert_eq!(shown[0], "… 491 earlier lines");
        assert_eq!(shown.last().unwrap(), "line 500");
        let rows: Vec<Value> = (0..100).map(|i| json!({"id": i})).collect();
        let shown = lines(&results(json!({"rows": rows})));
        assert_eq!(shown.len(), MAX_LINES);
        assert_eq!(shown.last().unwrap(), "… 92 more rows");
        let body = "x".repeat(10_000);
        let shown = lines(&results(json!({"status": 200, "body": body})));
        assert_eq!(shown[0].chars().count(), MAX_WIDTH);
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let shown = lines(&results(json!({"status": 500, "body": "a\u{1b}[2Jb\r\nc"})));
        assert_eq!(shown, ["HTTP 500: a [2Jb c"]);
    }

    #[test]
    fn series_rows_and_events() {
        let shown = lines(&results(json!({"series": [
            {"labels": {"queue": "arq"}, "value": 4000},
            {"labels": {"queue": "x"}, "values": [[1, "3"], [2, "5"]]},
        ]})));
        assert_eq!(shown, ["{queue=\"arq\"} 4000", "{queue=\"x\"} 5"]);
        // A hostile label value reads as one value, its line break escaped.
        let shown = lines(&results(json!({"series": [
            {"labels": {"service": "a\"} or vector(1) #", "x": "line1\nline2"}, "value": 1},
        ]})));
        assert_eq!(
            shown,
            ["{service=\"a\\\"} or vector(1) #\", x=\"line1\\nline2\"} 1"]
        );
        let shown = lines(&results(json!({"rows": [{"id": 1, "state": "running"}]})));
        assert_eq!(shown, ["id  state", "1   running"]);
        let shown = lines(&results(json!({"events": [
            {"type": "Warning", "reason": "BackOff", "involvedObject": {"name": "worker-7"},
             "message": "Back-off restarting failed container"},
        ]})));
        assert_eq!(
            shown,
            ["Warning BackOff worker-7: Back-off restarting failed container"]
        );
        assert!(lines(&results(json!({"stdout": "hi", "exit_code": 0}))).is_empty());
    }
}
