//! The canonical YAML form of a playbook, built as an ordered
//! [`Mapping`] so fields come out in the documented order.

use super::float_text;
use super::yaml_value::{self, Mapping, Yaml};
use crate::ast::*;
use crate::node::{Node, Value};
use crate::source::Spanned;

/// Prints `playbook` as canonical YAML. Comments are not kept: the YAML
/// front end does not read them, and a conversion to YAML is a one-off.
pub fn yaml(playbook: &Playbook) -> String {
    yaml_value::to_string(&playbook_yaml(playbook))
}

/// The playbook in canonical YAML form, as a value: what [`yaml`] prints and
/// what `runbook diff` compares field by field without printing it.
pub fn playbook_yaml(playbook: &Playbook) -> Yaml {
    let mut root = Mapping::new();
    if let Some(name) = &playbook.name {
        put(&mut root, "name", s(&name.value));
    }
    if let Some(title) = &playbook.title {
        put(&mut root, "title", s(&title.value));
    }
    if let Some(d) = &playbook.description {
        put(&mut root, "description", s(&d.value));
    }
    if !playbook.owners.is_empty() {
        put(&mut root, "owners", strings(&playbook.owners));
    }
    if !playbook.tags.is_empty() {
        put(&mut root, "tags", strings(&playbook.tags));
    }
    if !playbook.inputs.is_empty() {
        let mut inputs = Mapping::new();
        for input in &playbook.inputs {
            inputs.insert(input.name.value.clone(), self::input(input));
        }
        put(&mut root, "inputs", Yaml::Mapping(inputs));
    }
    if !playbook.vars.is_empty() {
        let mut vars = Mapping::new();
        for var in &playbook.vars {
            vars.insert(var.name.value.clone(), s(&var.expr.value));
        }
        put(&mut root, "vars", Yaml::Mapping(vars));
    }
    if let Some(cap) = &playbook.output_cap {
        put(&mut root, "output_cap", size(cap));
    }
    let steps = playbook.steps.iter().map(step).collect();
    put(&mut root, "steps", Yaml::Sequence(steps));
    Yaml::Mapping(root)
}

fn put(map: &mut Mapping, key: &str, value: Yaml) {
    map.insert(key, value);
}

fn s(text: &str) -> Yaml {
    Yaml::String(text.to_string())
}

fn strings(items: &[Spanned<String>]) -> Yaml {
    Yaml::Sequence(items.iter().map(|i| s(&i.value)).collect())
}

/// A number from the model as YAML reads it back: integral values as integers.
fn number(f: f64) -> Yaml {
    match float_text(f).parse::<i64>() {
        Ok(i) => Yaml::Number(i.into()),
        Err(_) => Yaml::Number(f.into()),
    }
}

/// A size as written: a number of bytes stays a number.
fn size(size: &SizeLit) -> Yaml {
    match size.text.parse::<i64>() {
        Ok(bytes) if size.number => Yaml::Number(bytes.into()),
        _ => s(&size.text),
    }
}

fn input(input: &Input) -> Yaml {
    let mut map = Mapping::new();
    put(&mut map, "type", s(input.ty.value.name()));
    if let InputType::Enum(choices) = &input.ty.value {
        put(&mut map, "choices", strings(choices));
    }
    if let Some(default) = &input.default {
        put(&mut map, "default", node(default));
    }
    if let Some(d) = &input.description {
        put(&mut map, "description", s(&d.value));
    }
    if let Some(r) = &input.required {
        put(&mut map, "required", Yaml::Bool(r.value));
    }
    if let Some(secret) = &input.secret {
        put(&mut map, "secret", Yaml::Bool(secret.value));
    }
    if let Some(env) = &input.env {
        put(&mut map, "env", s(&env.value));
    }
    Yaml::Mapping(map)
}

/// One step in canonical YAML form: what `runbook diff` compares field by
/// field, so a field reads the same in a diff as in the printed playbook.
pub fn step_yaml(step: &Step) -> Yaml {
    self::step(step)
}

fn step(step: &Step) -> Yaml {
    let mut map = Mapping::new();
    put(&mut map, "id", s(&step.id.value));
    if let Some(title) = &step.title {
        put(&mut map, "title", s(&title.value));
    }
    if let Some(d) = &step.description {
        put(&mut map, "description", s(&d.value));
    }
    if !step.needs.is_empty() {
        put(&mut map, "needs", strings(&step.needs));
    }
    if let Some(when) = &step.when {
        put(&mut map, "when", s(&when.value));
    }
    if let Some(f) = &step.for_each {
        for_each(&mut map, f);
    }
    let (kind, value) = action(&step.action);
    put(&mut map, &kind, value);
    if let Some(effect) = &step.effect {
        put(&mut map, "effect", s(effect.value.name()));
    }
    if let Some(approval) = &step.approval {
        let value = match (&approval.question, &approval.by) {
            (Some(q), None) => s(&q.value),
            (None, None) => Yaml::Bool(true),
            (question, Some(by)) => {
                let mut fields = Mapping::new();
                if let Some(q) = question {
                    put(&mut fields, "question", s(&q.value));
                }
                put(&mut fields, "by", s(by.value.name()));
                Yaml::Mapping(fields)
            }
        };
        put(&mut map, "approval", value);
    }
    if step.is_finally() {
        put(&mut map, "finally", Yaml::Bool(true));
    }
    if let Some(t) = &step.timeout {
        put(&mut map, "timeout", s(&t.text));
    }
    if let Some(cap) = &step.output_cap {
        put(&mut map, "output_cap", size(cap));
    }
    if let Some(r) = &step.retry {
        let value = if r.delay.is_none() && r.backoff.is_none() {
            Yaml::Number(r.attempts.value.into())
        } else {
            let mut retry = Mapping::new();
            put(
                &mut retry,
                "attempts",
                Yaml::Number(r.attempts.value.into()),
            );
            if let Some(d) = &r.delay {
                put(&mut retry, "delay", s(&d.text));
            }
            if let Some(b) = &r.backoff {
                put(&mut retry, "backoff", number(b.value));
            }
            Yaml::Mapping(retry)
        };
        put(&mut map, "retry", value);
    }
    if let Some(u) = &step.until {
        let value = if u.every.is_none() && u.within.is_none() {
            s(&u.condition.value)
        } else {
            let mut until = Mapping::new();
            put(&mut until, "condition", s(&u.condition.value));
            if let Some(every) = &u.every {
                put(&mut until, "every", s(&every.text));
            }
            if let Some(within) = &u.within {
                put(&mut until, "within", s(&within.text));
            }
            Yaml::Mapping(until)
        };
        put(&mut map, "until", value);
    }
    if let Some(f) = &step.on_failure {
        let value = match &f.value {
            OnFailure::Abort => s("abort"),
            OnFailure::Continue => s("continue"),
            OnFailure::Goto(target) => {
                let mut goto = Mapping::new();
                put(&mut goto, "goto", s(&target.value));
                Yaml::Mapping(goto)
            }
        };
        put(&mut map, "on_failure", value);
    }
    if !step.outputs.is_empty() {
        let mut outputs = Mapping::new();
        for o in &step.outputs {
            outputs.insert(o.name.value.clone(), output(o));
        }
        put(&mut map, "outputs", Yaml::Mapping(outputs));
    }
    if let Some(lint) = &step.lint {
        let mut allow = Mapping::new();
        put(&mut allow, "allow", strings(&lint.allow));
        put(&mut allow, "reason", s(&lint.reason.value));
        put(&mut map, "lint", Yaml::Mapping(allow));
    }
    Yaml::Mapping(map)
}

fn for_each(map: &mut Mapping, f: &ForEach) {
    let list = match &f.list {
        ForEachList::Expr(text) => s(&text.value),
        ForEachList::Literal(list) => node(list),
    };
    put(map, "for_each", list);
    if let Some(name) = &f.name {
        put(map, "as", s(&name.value));
    }
    if let Some(label) = &f.label {
        put(map, "label", s(&label.value));
    }
    if let Some(p) = &f.parallel {
        put(map, "parallel", Yaml::Number(p.value.into()));
    }
    if let Some(policy) = &f.on_item_failure {
        put(map, "on_item_failure", s(policy.value.name()));
    }
    if let Some(per_item) = &f.approval_per_item {
        put(map, "approval_per_item", Yaml::Bool(per_item.value));
    }
}

fn action(action: &Action) -> (String, Yaml) {
    match action {
        Action::Kind { name, params } => (name.value.clone(), node(params)),
        Action::Manual { instructions, .. } => ("manual".into(), s(&instructions.value)),
        Action::Ask(ask) => {
            let mut map = Mapping::new();
            put(&mut map, "question", s(&ask.question.value));
            match &ask.answer {
                AnswerType::Choice(choices) => put(&mut map, "choices", strings(choices)),
                AnswerType::Number { min, max } => {
                    put(&mut map, "type", s("number"));
                    if let Some(min) = min {
                        put(&mut map, "min", number(min.value));
                    }
                    if let Some(max) = max {
                        put(&mut map, "max", number(max.value));
                    }
                }
                AnswerType::Text => put(&mut map, "type", s("text")),
            }
            if let Some(default) = &ask.default {
                let value = match (&ask.answer, default.value.parse::<f64>()) {
                    (AnswerType::Number { .. }, Ok(n)) => number(n),
                    _ => s(&default.value),
                };
                put(&mut map, "default", value);
            }
            ("ask".into(), Yaml::Mapping(map))
        }
        Action::Branch(branch) => {
            let mut cases: Vec<Yaml> = branch
                .cases
                .iter()
                .map(|case| {
                    let mut map = Mapping::new();
                    put(&mut map, "when", s(&case.when.value));
                    put(&mut map, "then", s(&case.then.value));
                    Yaml::Mapping(map)
                })
                .collect();
            if let Some(otherwise) = &branch.otherwise {
                let mut map = Mapping::new();
                put(&mut map, "else", s(&otherwise.value));
                cases.push(Yaml::Mapping(map));
            }
            (branch.keyword.value.name().into(), Yaml::Sequence(cases))
        }
    }
}

fn output(o: &Output) -> Yaml {
    let only_from = o.json.is_none()
        && o.regex.is_none()
        && o.lines.is_none()
        && o.separator.is_none()
        && o.select.is_none()
        && o.ty.is_none()
        && o.secret.is_none()
        && o.default.is_none();
    if let (Some(from), true) = (&o.from, only_from) {
        return s(&from.value);
    }
    let mut map = Mapping::new();
    if let Some(from) = &o.from {
        put(&mut map, "from", s(&from.value));
    }
    if let Some(json) = &o.json {
        put(&mut map, "json", s(&json.value));
    }
    if let Some(regex) = &o.regex {
        put(&mut map, "regex", s(&regex.value));
    }
    if let Some(lines) = &o.lines {
        put(&mut map, "lines", s(&lines.value));
    }
    if let Some(separator) = &o.separator {
        put(&mut map, "separator", s(separator.value.name()));
    }
    if let Some(select) = &o.select {
        put(&mut map, "select", s(select.value.name()));
    }
    if let Some(ty) = &o.ty {
        put(&mut map, "type", s(ty.value.name()));
    }
    if let Some(secret) = &o.secret {
        put(&mut map, "secret", Yaml::Bool(secret.value));
    }
    if let Some(default) = &o.default {
        put(&mut map, "default", node(default));
    }
    Yaml::Mapping(map)
}

/// A node of the document tree as a YAML value.
pub(crate) fn node(node: &Node) -> Yaml {
    match &node.value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Bool(*b),
        Value::Int(i) => Yaml::Number((*i).into()),
        Value::Float(f) => Yaml::Number((*f).into()),
        Value::Str(t) => s(&t.value),
        Value::Seq(items) => Yaml::Sequence(items.iter().map(self::node).collect()),
        Value::Map(entries) => Yaml::Mapping(
            entries
                .iter()
                .map(|e| (e.key.value.clone(), self::node(&e.value)))
                .collect(),
        ),
    }
}
