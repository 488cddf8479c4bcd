//! The matchers of a silence: which alerts it swallows. Read twice, with
//! the same rules: from the playbook at `check` (spans, templates not yet
//! filled in) and from the rendered values at run time (a templated value
//! may render empty, which makes a matcher broader than it looked).
//!
//! Two spellings: a list of `{name, value, op}` (`op` one of `=`, `!=`,
//! `=~`, `!~`; default `=`) and a shorthand mapping `{label: value}`, each
//! an equality.

use super::shown::quoted;
use serde::Serialize;
use serde_json::Value;

/// How a matcher compares a label's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl Op {
    pub fn parse(text: &str) -> Option<Op> {
        match text {
            "=" => Some(Op::Equal),
            "!=" => Some(Op::NotEqual),
            "=~" => Some(Op::Regex),
            "!~" => Some(Op::NotRegex),
            _ => None,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Equal => "=",
            Op::NotEqual => "!=",
            Op::Regex => "=~",
            Op::NotRegex => "!~",
        }
    }

    pub fn is_regex(self) -> bool {
        matches!(self, Op::Regex | Op::NotRegex)
    }
}

/// One matcher as the Alertmanager API v2 takes it: the value is a JSON
/// string written by serde, never text spliced into a body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    #[serde(rename = "isRegex")]
    pub is_regex: bool,
    #[serde(rename = "isEqual")]
    pub is_equal: bool,
}

impl Matcher {
    pub fn new(name: impl Into<String>, op: Op, value: impl Into<String>) -> Matcher {
        Matcher {
            name: name.into(),
            value: value.into(),
            is_regex: op.is_regex(),
            is_equal: matches!(op, Op::Equal | Op::Regex),
        }
    }

    pub fn op(&self) -> Op {
        match (self.is_equal, self.is_regex) {
            (true, false) => Op::Equal,
            (false, false) => Op::NotEqual,
            (true, true) => Op::Regex,
            (false, true) => Op::NotRegex,
        }
    }

    /// `name="value"` as Alertmanager's own matcher syntax shows it; a
    /// name that is no label name (one Alertmanager holds: a step's are
    /// checked) quoted, so it cannot break the line.
    pub fn show(&self) -> String {
        let name = match label_name_problem(&self.name) {
            None => self.name.clone(),
            Some(_) => quoted(&self.name),
        };
        format!("{}{}{}", name, self.op().symbol(), quoted(&self.value))
    }
}

/// Why `name` is not a Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub fn label_name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(format!(
        "{} is not a label name: a label name is a letter or `_`, then letters, digits and `_`",
        Value::String(name.to_string())
    ))
}

/// Why `pattern` is not a regex Alertmanager can use (it anchors it: `^(?:P)$`).
pub fn regex_problem(pattern: &str) -> Option<String> {
    anchored(pattern).err().map(|e| {
        format!(
            "{} is not a regular expression: {}",
            Value::String(pattern.to_string()),
            e.to_string().lines().last().unwrap_or("invalid")
        )
    })
}

fn anchored(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
}

/// Label values of every kind (names, hosts with ports, numbers, spaces,
/// non-ASCII): a regex that matches all of them matches any alert.
const PROBES: &[&str] = &[
    "a",
    "NodeDown",
    "web-1.example.com:9100",
    "0",
    "Z_z",
    " ",
    "ü🙂",
    "critical",
];

/// Whether the matcher picks out some alerts rather than (nearly) all:
/// an equality with a non-empty value, or a regex that matches neither the
/// empty value (an alert without the label) nor every kind of value.
/// Negative matchers never narrow: `alertname!="Watchdog"` is every other
/// alert.
pub fn narrows(op: Op, value: &str) -> bool {
    match op {
        Op::Equal => !value.is_empty(),
        Op::Regex => match anchored(value) {
            Ok(re) => !re.is_match("") && !PROBES.iter().all(|p| re.is_match(p)),
            // An invalid regex is reported on its own.
            Err(_) => true,
        },
        Op::NotEqual | Op::NotRegex => false,
    }
}

/// A silence whose matchers would swallow every alert (no matcher, or
/// none that narrows): the classic incident-time disaster.
pub fn is_broad(matchers: &[Matcher]) -> bool {
    !matchers.iter().any(|m| narrows(m.op(), &m.value))
}

/// What `check` and the docs say about a broad silence.
pub const BROAD_HELP: &str = "add a matcher that names what you are working on (`alertname`, \
`instance`, `service` with `=`, or a regex that does not match everything); \
if you do mean to silence every alert, say so with `allow_broad: true`";

/// The matchers from the rendered `matchers` parameter: a list of
/// `{name, value, op}` or a mapping of label to value.
pub fn from_value(value: &Value) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::new();
    match value {
        Value::Object(labels) => {
            for (name, value) in labels {
                out.push(checked(name, Op::Equal, &text(value)?)?);
            }
        }
        Value::Array(items) => {
            for item in items {
                let Value::Object(fields) = item else {
                    return Err(format!(
                        "a matcher is a mapping of `name`, `value` and `op`, not {item}"
                    ));
                };
                if let Some(key) = fields
                    .keys()
                    .find(|k| !["name", "value", "op"].contains(&k.as_str()))
                {
                    return Err(format!(
                        "a matcher has `name`, `value` and `op`, not `{key}`"
                    ));
                }
                let name = fields.get("name").map(text).transpose()?;
                let name = name.ok_or("a matcher has no `name`")?;
                let value = fields.get("value").map(text).transpose()?;
                let value =
                    value.ok_or_else(|| format!("the matcher of `{name}` has no `value`"))?;
                let op = match fields.get("op") {
                    None => Op::Equal,
                    Some(op) => {
                        let op = text(op)?;
                        Op::parse(&op).ok_or_else(|| op_problem(&op))?
                    }
                };
                out.push(checked(&name, op, &value)?);
            }
        }
        other => {
            return Err(format!(
                "`matchers` is a list of matchers or a mapping of labels to values, not {other}"
            ))
        }
    }
    Ok(out)
}

/// Why `op` is not an operator.
pub fn op_problem(op: &str) -> String {
    format!(
        "{} is not a matcher operator: write `=`, `!=`, `=~` or `!~`",
        Value::String(op.to_string())
    )
}

fn checked(name: &str, op: Op, value: &str) -> Result<Matcher, String> {
    if let Some(problem) = label_name_problem(name) {
        return Err(problem);
    }
    if op.is_regex() {
        if let Some(problem) = regex_problem(value) {
            return Err(problem);
        }
    }
    Ok(Matcher::new(name, op, value))
}

/// A scalar as the text Alertmanager compares (a YAML `500` is `"500"`).
fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        other => Err(format!("a matcher's name and value are text, not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_names_are_prometheus_names() {
        for good in ["alertname", "_x", "job_2", "A"] {
            assert_eq!(label_name_problem(good), None, "{good}");
        }
        for bad in ["", "2x", "a-b", "a.b", "é", "a b", "x\"}", "{{x}}"] {
            assert!(label_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn what_narrows() {
        assert!(narrows(Op::Equal, "NodeDown"));
        assert!(narrows(Op::Equal, ".*"), "an equality is literal");
        assert!(!narrows(Op::Equal, ""));
        assert!(narrows(Op::Regex, "web-[0-9]+"));
        assert!(narrows(Op::Regex, "NodeDown|DiskFull"));
        for everything in [
            ".*",
            ".+",
            "(.*)",
            ".*.*",
            "(?s).*",
            "|.+",
            "NodeDown|.*",
            "",
        ] {
            assert!(!narrows(Op::Regex, everything), "{everything}");
        }
        assert!(!narrows(Op::NotEqual, "Watchdog"));
        assert!(!narrows(Op::NotRegex, "x"));
    }

    #[test]
    fn broad_silences() {
        assert!(is_broad(&[]));
        assert!(is_broad(&[Matcher::new("alertname", Op::Regex, ".*")]));
        assert!(is_broad(&[
            Matcher::new("alertname", Op::NotEqual, "Watchdog"),
            Matcher::new("severity", Op::Equal, ""),
        ]));
        assert!(!is_broad(&[
            Matcher::new("alertname", Op::Regex, ".*"),
            Matcher::new("instance", Op::Equal, "db-1"),
        ]));
    }

    #[test]
    fn both_spellings_read_alike() {
        let short = from_value(&json!({"alertname": "NodeDown", "code": 500})).unwrap();
        let long = from_value(&json!([
            {"name": "alertname", "value": "NodeDown"},
            {"name": "code", "value": "500", "op": "="},
        ]))
        .unwrap();
        assert_eq!(short, long);
        let regex = from_value(&json!([{"name": "i", "value": "a.*", "op": "!~"}])).unwrap();
        assert_eq!(regex[0].op(), Op::NotRegex);
        assert_eq!(regex[0].show(), "i!~\"a.*\"");
    }

    #[test]
    fn rendered_mistakes_are_refused() {
        for bad in [
            json!([{"name": "a-b", "value": "x"}]),
            json!([{"name": "a", "value": "x", "op": "=="}]),
            json!([{"name": "a", "value": "(", "op": "=~"}]),
            json!([{"name": "a"}]),
            json!([{"value": "x"}]),
            json!([{"name": "a", "value": "x", "label": "y"}]),
            json!(["a=b"]),
            json!("alertname=x"),
            json!({"a": ["x"]}),
        ] {
            assert!(from_value(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_json_strings() {
        let hostile = "\"}, {\"name\": \"x\", \"value\": \".*\"\n$(id)";
        let m = Matcher::new("instance", Op::Equal, hostile);
        let body = serde_json::to_value(&m).unwrap();
        assert_eq!(body["value"], hostile);
        assert_eq!(body.as_object().unwrap().len(), 4);
    }
}
