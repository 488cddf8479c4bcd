//! Scripted outputs turned back into the result fields they are captured
//! from: a scenario says `outputs: {provider: s3}` and the rehearsal needs
//! the `stdout` from which the step's regex captures `s3`. The field is
//! written so that capturing it gives the value (checked by capturing it
//! back, in `prepare`).

use regex_syntax::hir::{Class, Hir, HirKind};
use runbook_dsl::ast::{Output, Separator};
use runbook_dsl::json_path::{JsonPath, Segment};
use serde_json::{Map, Value};

/// Writes a result field from which `output` captures `value`: the field
/// itself, the place a JSON path selects, or a line of text that the
/// regular expression matches with `value` in its first group (the lines of
/// several outputs captured from one field are joined).
pub fn invert(output: &Output, primary: &str, value: &Value, fields: &mut Map<String, Value>) {
    let field = output
        .from
        .as_ref()
        .map(|f| f.value.clone())
        .unwrap_or_else(|| primary.to_string());
    if let Some(path) = &output.json {
        let Ok(path) = JsonPath::parse(&path.value) else {
            return;
        };
        let slot = fields.entry(field).or_insert(Value::Null);
        if let Value::String(text) = slot {
            *slot = serde_json::from_str(text).unwrap_or(Value::Null);
        }
        set_at(slot, &path.segments, value.clone());
        return;
    }
    if let Some(regex) = &output.regex {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let line = matching_text(&regex.value, &text).unwrap_or(text);
        append_lines(
            fields.entry(field).or_insert(Value::String(String::new())),
            &line,
        );
        return;
    }
    // The records a `lines` output keeps, each ended by its separator;
    // none for an empty list.
    if let (Some(_), Value::Array(items)) = (&output.lines, value) {
        let text: Vec<String> = items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let entry = fields.entry(field).or_insert(Value::String(String::new()));
        match output.separator() {
            Separator::Newline => append_lines(entry, &Separator::Newline.join(&text)),
            Separator::Nul => append_records(entry, &Separator::Nul.join(&text)),
        }
        return;
    }
    fields.insert(field, value.clone());
}

/// `text` added to a field's lines (several outputs captured from one
/// field share it).
fn append_lines(entry: &mut Value, text: &str) {
    match entry {
        Value::String(s) if !s.is_empty() => {
            if !text.is_empty() {
                s.push('\n');
                s.push_str(text);
            }
        }
        other => *other = Value::String(text.to_string()),
    }
}

/// NUL-ended `records` added to a field (after a NUL, so that the
/// field's earlier text stays a record of its own).
fn append_records(entry: &mut Value, records: &str) {
    match entry {
        Value::String(s) => {
            if !s.is_empty() && !s.ends_with('\0') {
                s.push('\0');
            }
            s.push_str(records);
        }
        other => *other = Value::String(records.to_string()),
    }
}

/// How many nodes [`matching_text`] visits at most.
const WALK_BUDGET: usize = 100_000;

/// A text that `pattern` matches with `value` as the text of its first
/// capture group (or as the whole match when it has no group): the
/// pattern's literal text kept, each class written as one of its
/// characters, each repetition at its minimum, anchors and flags such as
/// `(?m)^` satisfied by the text being a line of its own. `None` when the
/// pattern does not parse.
pub fn matching_text(pattern: &str, value: &str) -> Option<String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    if !has_group(&hir) {
        return Some(value.to_string());
    }
    let mut out = String::new();
    // Depth-first over the expression, iteratively: a hostile pattern
    // nests deeply, and nested repetitions multiply (`((a{64}){64}){64}`),
    // so the walk has a budget; past it the pattern is not inverted.
    let mut stack: Vec<&Hir> = vec![&hir];
    let mut budget = WALK_BUDGET;
    while let Some(node) = stack.pop() {
        budget = budget.checked_sub(1)?;
        match node.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => out.push_str(&String::from_utf8_lossy(&literal.0)),
            HirKind::Class(class) => out.extend(representative(class)),
            HirKind::Repetition(rep) => {
                let times = if has_group(&rep.sub) {
                    rep.min.max(1)
                } else {
                    rep.min
                };
                // At most a handful: `\d{1000}` still gives a short sample
                // that fails the check back, rather than a huge text.
                for _ in 0..times.min(64) {
                    stack.push(&rep.sub);
                }
            }
            HirKind::Capture(capture) if capture.index == 1 => out.push_str(value),
            HirKind::Capture(capture) => stack.push(&capture.sub),
            HirKind::Concat(items) => stack.extend(items.iter().rev()),
            HirKind::Alternation(items) => {
                let chosen = items.iter().find(|h| has_group(h)).unwrap_or(&items[0]);
                stack.push(chosen);
            }
        }
    }
    Some(out)
}

/// Whether the expression holds the first capture group.
fn has_group(hir: &Hir) -> bool {
    let mut stack = vec![hir];
    while let Some(node) = stack.pop() {
        match node.kind() {
            HirKind::Capture(c) if c.index == 1 => return true,
            HirKind::Capture(c) => stack.push(&c.sub),
            HirKind::Repetition(r) => stack.push(&r.sub),
            HirKind::Concat(items) | HirKind::Alternation(items) => stack.extend(items),
            _ => {}
        }
    }
    false
}

/// A character of the class, a readable one when it has one.
fn representative(class: &Class) -> Option<char> {
    match class {
        Class::Unicode(c) => {
            let contains = |x: char| c.ranges().iter().any(|r| r.start() <= x && x <= r.end());
            ['a', 'x', '0', '1', 'A', '_', '-', '.', ' ']
                .into_iter()
                .chain('a'..='z')
                .chain('A'..='Z')
                .find(|&x| contains(x))
                .or_else(|| {
                    c.ranges()
                        .iter()
                        .find(|r| r.end() >= '!')
                        .map(|r| r.start().max('!'))
                })
                .or_else(|| c.ranges().first().map(|r| r.start()))
        }
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .find(|r| r.end() >= b'!' && r.start() < 0x80)
            .map(|r| char::from(r.start().max(b'!')))
            .or_else(|| c.ranges().first().map(|r| char::from(r.start()))),
    }
}

fn set_at(slot: &mut Value, path: &[Segment], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *slot = value;
        return;
    };
    match first {
        Segment::Key(k) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(map) = slot {
                set_at(map.entry(k.clone()).or_insert(Value::Null), rest, value);
            }
        }
        Segment::Index(n) => {
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(items) = slot {
                while items.len() <= *n {
                    items.push(Value::Null);
                }
                set_at(&mut items[*n], rest, value);
            }
        }
        Segment::All => {
            // `[*]` collects: each item of the given list goes into its own element.
            let items = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
            *slot = Value::Array(
                items
                    .into_iter()
                    .map(|item| {
                        let mut element = Value::Null;
                        set_at(&mut element, rest, item);
                        element
                    })
                    .collect(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matching_text;

    /// The text written for a pattern, and that the pattern captures the value from it.
    fn written(pattern: &str, value: &str) -> String {
        let text = matching_text(pattern, value).expect("the pattern parses");
        let captured = regex::Regex::new(pattern)
            .unwrap()
            .captures(&text)
            .and_then(|c| c.get(1).or_else(|| c.get(0)))
            .map(|m| m.as_str().to_string());
        assert_eq!(captured.as_deref(), Some(value), "{pattern} on {text:?}");
        text
    }

    #[test]
    fn literal_text_around_the_group_is_kept() {
        assert_eq!(
            written(r"STORAGE_PROVIDER=(\S*)", "s3"),
            "STORAGE_PROVIDER=s3"
        );
        assert_eq!(written(r"(\d+)%", "93"), "93%");
        assert_eq!(written(r"^v(\d+)", "3"), "v3");
    }

    #[test]
    fn flags_anchors_classes_and_repetitions_are_satisfied() {
        assert_eq!(written(r"(?m)^STORAGE=(\S+)$", "minio"), "STORAGE=minio");
        assert_eq!(
            written(r"(?mi)^\s*replicas:\s+(\d+)\s*$", "4000"),
            "replicas: 4000"
        );
        written(r"(?m)^Version:\s*v?(\d+\.\d+\.\d+)", "3.14.2");
        written(r"(?:ready|available)\s+(\d+)/\d+", "2");
        written(r"^(?P<x>[a-z-]+)-\d{2,}$", "web-app");
        written(r"(\S+)", "a-b.c");
    }

    #[test]
    fn hostile_patterns_end_quickly() {
        assert_eq!(
            matching_text(r"(?:(?:(?:a{64}){64}){64}){64}(x)", "v"),
            None
        );
        let deep = format!("{}(x){}", "(?:".repeat(200), ")".repeat(200));
        assert!(matching_text(&deep, "v").is_some());
        assert_eq!(matching_text(&"(".repeat(10_000), "v"), None);
        written(r"(\$\(rm -rf /\)|`x`)", "$(rm -rf /)");
    }

    #[test]
    fn a_nul_separated_list_is_written_so_that_it_captures_back() {
        use runbook_dsl::ast::Separator;
        use serde_json::{json, Map, Value};
        let output = crate::outputs::tests::lines_output(".", Some(Separator::Nul));
        let names = json!(["two\nlines.log", "$(touch x)", "it's \"q\""]);
        let mut fields = Map::new();
        super::invert(&output, "stdout", &names, &mut fields);
        assert_eq!(
            fields["stdout"],
            Value::String("two\nlines.log\0$(touch x)\0it's \"q\"\0".into())
        );
        let back = crate::outputs::capture(std::slice::from_ref(&output), "stdout", &fields);
        assert_eq!(back.unwrap()["files"], names);
    }

    #[test]
    fn a_pattern_without_a_group_is_the_value() {
        assert_eq!(matching_text(r"\d+", "12").as_deref(), Some("12"));
        assert_eq!(matching_text(r"(unclosed", "x"), None);
    }
}
