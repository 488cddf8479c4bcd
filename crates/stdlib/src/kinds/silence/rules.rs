//! What `check` reports about how a `silence` step's parameters combine:
//! creating or expiring, never both; label names, operators and regexes of
//! the matchers; a templated value where it would be read as a regex; a
//! silence that would swallow every alert; a literal duration past the cap.
//! The run reads the rendered values with the same rules
//! ([`super::matchers::from_value`]), since a template may render empty.

use super::matchers::{self, Op, BROAD_HELP};
use super::{DEFAULT_MAX_DURATION, EXPIRE_EXCLUDES, REQUIRED_TO_CREATE};
use runbook_dsl::catalog::ParamProblem;
use runbook_dsl::code::Code;
use runbook_dsl::node::{Node, Value};
use runbook_dsl::Span;
use std::time::Duration;

pub fn rules(params: &Node) -> Vec<ParamProblem> {
    let mut problems = Vec::new();
    if params.as_map().is_none() {
        return problems;
    }
    if let Some(expire) = params.get("expire") {
        if let Some(Err(message)) = literal(expire).map(|id| super::api::silence_id(&id)) {
            problems.push(problem(
                Code::InvalidParam,
                expire.span,
                message,
                "not a silence id",
                "give the id a `silence` step created: `expire: \"{{steps.mute.id}}\"`",
            ));
        }
        for name in EXPIRE_EXCLUDES {
            if let Some(node) = params.get(name) {
                problems.push(problem(
                    Code::InvalidParam,
                    node.span,
                    format!("`{name}` and `expire` exclude each other"),
                    "not used when expiring",
                    "a step either creates a silence (`matchers`, `duration`, `comment`) or \
                     expires one by its id (`expire`); write two steps",
                ));
            }
        }
        return problems;
    }
    for name in REQUIRED_TO_CREATE {
        if params.get(name).is_none() {
            problems.push(problem(
                Code::MissingParam,
                params.span,
                format!("a silence needs `{name}`"),
                "creates a silence",
                match *name {
                    "duration" => "a silence always ends by itself, so a run that is killed \
                                   cannot leave one forever: give how long it lasts (`duration: 2h`)",
                    "comment" => "Alertmanager requires a comment: say why the alerts are silenced",
                    _ => "name the alerts to silence: `matchers: {alertname: NodeDown, instance: \"{{inputs.host}}\"}`",
                },
            ));
        }
    }
    if let Some(node) = params.get("matchers") {
        let allowed = matches!(
            params.get("allow_broad").map(|n| &n.value),
            Some(Value::Bool(true))
        );
        matchers_rules(node, allowed, &mut problems);
    }
    if let Some(node) = params.get("duration") {
        duration_rules(node, params.get("max_duration"), &mut problems);
    }
    problems
}

/// A matcher as written, for the broadness test: its operator and its
/// value, or `None` for a value a template fills in.
type Written = (Op, Option<String>);

fn matchers_rules(node: &Node, allow_broad: bool, problems: &mut Vec<ParamProblem>) {
    let before = problems.len();
    let mut written: Vec<Written> = Vec::new();
    match &node.value {
        Value::Map(entries) => {
            for entry in entries {
                name_rules(&entry.key.value, entry.key.span, false, problems);
                written.push((Op::Equal, literal(&entry.value)));
            }
        }
        Value::Seq(items) => {
            for item in items {
                if let Some(w) = matcher_rules(item, problems) {
                    written.push(w);
                }
            }
        }
        // The parameter's type is reported by the checker.
        _ => return,
    }
    if problems.len() > before || allow_broad {
        return;
    }
    // A templated equality is taken to narrow here; the run checks the value it renders.
    let narrows = written.iter().any(|(op, value)| match value {
        Some(v) => matchers::narrows(*op, v),
        None => *op == Op::Equal,
    });
    if !narrows {
        problems.push(problem(
            Code::BroadSilence,
            node.span,
            "this silence would swallow every alert".into(),
            "no matcher here narrows it",
            BROAD_HELP,
        ));
    }
}

/// One `{name, value, op}` of the list form.
fn matcher_rules(item: &Node, problems: &mut Vec<ParamProblem>) -> Option<Written> {
    let Some(entries) = item.as_map() else {
        problems.push(problem(
            Code::InvalidParam,
            item.span,
            "a matcher is a mapping of `name`, `value` and `op`".into(),
            "not a mapping",
            "write `{name: alertname, value: NodeDown}`, with `op: \"=~\"` for a regex",
        ));
        return None;
    };
    for entry in entries {
        if !["name", "value", "op"].contains(&entry.key.value.as_str()) {
            problems.push(problem(
                Code::InvalidParam,
                entry.key.span,
                format!("a matcher has no `{}`", entry.key.value),
                "not a field of a matcher",
                "a matcher has `name`, `value` and `op` (`=`, `!=`, `=~`, `!~`; default `=`)",
            ));
        }
    }
    let Some(name) = item.get("name") else {
        problems.push(missing(item.span, "name"));
        return None;
    };
    let Some(value) = item.get("value") else {
        problems.push(missing(item.span, "value"));
        return None;
    };
    let name_text = name.scalar_string().unwrap_or_default();
    name_rules(&name_text, name.span, true, problems);
    let op = match item.get("op") {
        None => Op::Equal,
        Some(op_node) => {
            let text = op_node.scalar_string().unwrap_or_default();
            match Op::parse(&text) {
                Some(op) => op,
                None => {
                    problems.push(problem(
                        Code::InvalidParam,
                        op_node.span,
                        matchers::op_problem(&text),
                        "not an operator",
                        "`=` equals, `!=` differs, `=~` matches the regex, `!~` does not match it",
                    ));
                    return None;
                }
            }
        }
    };
    let value_text = literal(value);
    if op.is_regex() {
        match &value_text {
            None => problems.push(problem(
                Code::InvalidParam,
                value.span,
                format!(
                    "a value inserted into a regex matcher (`{}`) would be read as a regex",
                    op.symbol()
                ),
                "inserted into a regex",
                "a value such as `web.*` or `.*` would change which alerts are silenced: \
                 use `op: \"=\"` for an exact value, or write the regex literally",
            )),
            Some(pattern) => {
                if let Some(message) = matchers::regex_problem(pattern) {
                    problems.push(problem(
                        Code::InvalidRegex,
                        value.span,
                        message,
                        "does not compile",
                        "Alertmanager reads RE2 syntax, anchored at both ends",
                    ));
                }
            }
        }
    }
    Some((op, value_text))
}

fn name_rules(name: &str, span: Span, may_be_template: bool, problems: &mut Vec<ParamProblem>) {
    if may_be_template && name.contains("{{") {
        problems.push(problem(
            Code::InvalidParam,
            span,
            "a matcher's label name cannot be a template".into(),
            "a template",
            "write the label name (`alertname`, `instance`); templates belong in `value`",
        ));
        return;
    }
    if let Some(message) = matchers::label_name_problem(name) {
        problems.push(problem(
            Code::InvalidParam,
            span,
            message,
            "not a label name",
            "label names are like `alertname`, `instance`, `job_name`",
        ));
    }
}

/// The value as written, or `None` when a template fills it in.
fn literal(node: &Node) -> Option<String> {
    node.scalar_string().filter(|text| !text.contains("{{"))
}

fn missing(span: Span, field: &str) -> ParamProblem {
    problem(
        Code::InvalidParam,
        span,
        format!("a matcher needs `{field}`"),
        "incomplete matcher",
        "write `{name: alertname, value: NodeDown}`, with `op: \"=~\"` for a regex",
    )
}

/// A literal duration past the cap (a templated one is held to it when it runs).
fn duration_rules(node: &Node, max: Option<&Node>, problems: &mut Vec<ParamProblem>) {
    let Some(duration) = literal_duration(node) else {
        return;
    };
    let cap = max
        .and_then(literal_duration)
        .unwrap_or(DEFAULT_MAX_DURATION);
    if duration.is_zero() {
        problems.push(problem(
            Code::InvalidParam,
            node.span,
            "a silence of no time silences nothing".into(),
            "zero",
            "give how long the alerts stay silenced: `duration: 2h`",
        ));
    } else if duration > cap {
        problems.push(problem(
            Code::InvalidParam,
            node.span,
            format!(
                "a silence of {} is longer than the cap of {}",
                runbook_dsl::duration::write_duration(duration.as_secs_f64()),
                runbook_dsl::duration::write_duration(cap.as_secs_f64())
            ),
            "too long",
            "a forgotten silence hides real alerts: silence for the work at hand; \
             to mean a longer one, raise `max_duration` beside it",
        ));
    }
}

fn literal_duration(node: &Node) -> Option<Duration> {
    let text = literal(node)?;
    runbook_dsl::duration::parse_duration(&text).ok()
}

fn problem(code: Code, span: Span, message: String, label: &str, help: &str) -> ParamProblem {
    ParamProblem {
        code,
        span,
        message,
        label: label.into(),
        help: help.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{boolean, map, text};
    use runbook_dsl::node::{Node, Value};

    fn list(items: Vec<Node>) -> Node {
        Node::new(Value::Seq(items), Span::default())
    }

    fn create(matchers: Node) -> Vec<(Node, &'static str)> {
        vec![]
            .into_iter()
            .chain([
                (text("http://am:9093"), "url"),
                (matchers, "matchers"),
                (text("2h"), "duration"),
                (text("maintenance"), "comment"),
            ])
            .collect()
    }

    fn codes(entries: Vec<(Node, &str)>) -> Vec<Code> {
        let params = map(entries.into_iter().map(|(n, k)| (k, n)).collect());
        rules(&params).into_iter().map(|p| p.code).collect()
    }

    fn m(name: &str, op: &str, value: &str) -> Node {
        map(vec![
            ("name", text(name)),
            ("op", text(op)),
            ("value", text(value)),
        ])
    }

    #[test]
    fn a_narrow_silence_checks() {
        assert!(codes(create(map(vec![("alertname", text("NodeDown"))]))).is_empty());
        assert!(codes(create(map(vec![("instance", text("{{inputs.host}}"))]))).is_empty());
        assert!(codes(create(list(vec![m("job", "=~", "node|web")]))).is_empty());
    }

    #[test]
    fn broad_silences_are_refused_unless_allowed() {
        for broad in [
            list(vec![m("alertname", "=~", ".*")]),
            list(vec![m("alertname", "=~", ".+")]),
            list(vec![m("alertname", "!=", "Watchdog")]),
            list(vec![]),
            map(vec![]),
            map(vec![("severity", text(""))]),
        ] {
            assert_eq!(codes(create(broad.clone())), vec![Code::BroadSilence]);
            let mut allowed = create(broad);
            allowed.push((boolean(true), "allow_broad"));
            assert!(codes(allowed).is_empty());
        }
    }

    #[test]
    fn templated_regexes_and_bad_names_are_refused() {
        assert_eq!(
            codes(create(list(vec![m("instance", "=~", "{{inputs.host}}.*")]))),
            vec![Code::InvalidParam]
        );
        assert_eq!(
            codes(create(list(vec![m("{{inputs.label}}", "=", "x")]))),
            vec![Code::InvalidParam]
        );
        assert_eq!(
            codes(create(map(vec![("bad-name", text("x"))]))),
            vec![Code::InvalidParam]
        );
        assert_eq!(
            codes(create(list(vec![m("a", "==", "x")]))),
            vec![Code::InvalidParam]
        );
        assert_eq!(
            codes(create(list(vec![m("a", "=~", "(")]))),
            vec![Code::InvalidRegex]
        );
    }

    #[test]
    fn durations_are_capped() {
        let mut long = create(map(vec![("a", text("b"))]));
        long[2] = (text("3d"), "duration");
        assert_eq!(codes(long.clone()), vec![Code::InvalidParam]);
        long.push((text("4d"), "max_duration"));
        assert!(codes(long).is_empty());
        let mut zero = create(map(vec![("a", text("b"))]));
        zero[2] = (text("0s"), "duration");
        assert_eq!(codes(zero), vec![Code::InvalidParam]);
    }

    #[test]
    fn create_needs_its_parameters_and_expire_excludes_them() {
        assert_eq!(
            codes(vec![(text("http://am"), "url")]),
            vec![Code::MissingParam; 3]
        );
        assert!(codes(vec![
            (text("http://am"), "url"),
            (text("{{steps.s.id}}"), "expire")
        ])
        .is_empty());
        assert_eq!(
            codes(vec![
                (text("http://am"), "url"),
                (text("../status"), "expire")
            ]),
            vec![Code::InvalidParam]
        );
        let mut both = create(map(vec![("a", text("b"))]));
        both.push((text("x"), "expire"));
        assert_eq!(codes(both), vec![Code::InvalidParam; 3]);
    }
}
