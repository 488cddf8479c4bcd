//! The `.runbook` front end against the YAML one: equivalent documents give
//! the same tree (spans aside), spans point at the text, errors read well,
//! and no input makes the parser panic or overflow.

use super::parse::parse_in_chunks;
use super::{parse, Parsed};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Node, Text, Value};
use crate::source::{SourceFile, Span};

/// The tree without spans, as one line of text, for comparing front ends.
pub(crate) fn shape(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(t) => format!("{:?}", t.value),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(shape).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}: {}", e.key.value, shape(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn parse_ok(text: &str) -> (SourceFile, Parsed) {
    let file = SourceFile::new("t.runbook", text);
    let mut diags = Diagnostics::new();
    let parsed = parse(&file, &mut diags);
    assert!(diags.is_empty(), "{:#?}", diags);
    (file, parsed.expect("parses"))
}

fn parse_err(text: &str) -> Diagnostic {
    let file = SourceFile::new("t.runbook", text);
    let mut diags = Diagnostics::new();
    assert!(
        parse(&file, &mut diags).is_none(),
        "expected an error for {text:?}"
    );
    let mut all: Vec<_> = diags.into_iter().collect();
    assert_eq!(all.len(), 1, "{all:#?}");
    let d = all.remove(0);
    assert_eq!(d.code, Code::GrammarSyntax);
    d
}

fn yaml_tree(text: &str) -> Node {
    let file = SourceFile::new("t.yaml", text);
    let mut diags = Diagnostics::new();
    let node = crate::yaml::parse(&file, &mut diags).expect("yaml parses");
    assert!(diags.is_empty(), "{diags:?}");
    node
}

fn text<'a>(node: &'a Node, path: &[&str]) -> &'a Text {
    let mut node = node;
    for key in path {
        node = match key.parse::<usize>() {
            Ok(i) => &node.as_seq().expect("a list")[i],
            Err(_) => node.get(key).unwrap_or_else(|| panic!("no {key}")),
        };
    }
    node.as_text().expect("a string")
}

pub(crate) const EXAMPLE: &str = r#"# AlphaSwarm incident response
playbook alphaswarm-incident
title "AlphaSwarm incident response"
description """
    Standard playbook for diagnosing AlphaSwarm incidents.
    Markdown is fine here.
    """
owners ["sre@example.com"]
tags [incident, kubernetes]

input namespace {
  type string
  default "alphaswarm"
  description "Namespace of the AlphaSwarm workloads"
}

input severity { type enum; choices [sev1, sev2, sev3]; default sev2 }

step pods "Pod status" {
  needs a, b
  when steps.x.status == 200 && inputs.namespace != "prod"   # a guard
  shell "kubectl get pods -n {{inputs.namespace}} -o wide"
  effect read
  approval "Restart the deployment?"
  timeout 30s
  retry 3 delay 2s backoff 2
  every 2s within 5m until steps.health.status == 200
  on_failure goto rollback
  output code = exit_code
  output crashloops {
    from stdout
    regex "(\\d+) CrashLoop"
    type int
  }
}

step health {
  http {
    url "https://{{inputs.host}}/health"
    method GET
    expect_status [200, 204]
  }
  until steps.health.status == 200
  retry { attempts 2 }
  on_failure continue
}

step route "Workload or platform?" {
  needs [classify]
  triage {
    when steps.classify.answer == "workload" -> workload
    # a comment between cases
    when steps.classify.answer in ["platform", "infra # ->"] -> platform
    else -> escalate
  }
}

step status_page "Update the status page" {
  manual """
    Post an update on the status page.
    """
}

step classify {
  ask {
    question "Is this a workload error or a platform error?"
    choices [workload, platform]
  }
}
"#;

const EXAMPLE_YAML: &str = r#"
name: alphaswarm-incident
title: AlphaSwarm incident response
description: |
  Standard playbook for diagnosing AlphaSwarm incidents.
  Markdown is fine here.
owners: ["sre@example.com"]
tags: [incident, kubernetes]
inputs:
  namespace:
    type: string
    default: "alphaswarm"
    description: "Namespace of the AlphaSwarm workloads"
  severity: {type: enum, choices: [sev1, sev2, sev3], default: sev2}
steps:
  - id: pods
    title: Pod status
    needs: [a, b]
    when: steps.x.status == 200 && inputs.namespace != "prod"
    shell: "kubectl get pods -n {{inputs.namespace}} -o wide"
    effect: read
    approval: "Restart the deployment?"
    timeout: 30s
    retry: {attempts: 3, delay: 2s, backoff: 2}
    until: {condition: steps.health.status == 200, every: 2s, within: 5m}
    on_failure: {goto: rollback}
    outputs:
      code: exit_code
      crashloops: {from: stdout, regex: '(\d+) CrashLoop', type: int}
  - id: health
    http:
      url: "https://{{inputs.host}}/health"
      method: GET
      expect_status: [200, 204]
    until: steps.health.status == 200
    retry: {attempts: 2}
    on_failure: continue
  - id: route
    title: Workload or platform?
    needs: [classify]
    triage:
      - when: steps.classify.answer == "workload"
        then: workload
      - when: 'steps.classify.answer in ["platform", "infra # ->"]'
        then: platform
      - else: escalate
  - id: status_page
    title: Update the status page
    manual: |
      Post an update on the status page.
  - id: classify
    ask:
      question: Is this a workload error or a platform error?
      choices: [workload, platform]
"#;

#[test]
fn the_example_spells_the_same_tree_as_yaml() {
    let (_, parsed) = parse_ok(EXAMPLE);
    assert_eq!(shape(&parsed.node), shape(&yaml_tree(EXAMPLE_YAML)));
    let comments: Vec<_> = parsed.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        comments,
        [
            "# AlphaSwarm incident response",
            "# a guard",
            "# a comment between cases"
        ]
    );
}

#[test]
fn scalars_are_typed_like_yaml_plain_scalars() {
    let (_, parsed) =
        parse_ok("a 1\nb -2\nc 1.5\nd true\ne null\nf 30s\ng 1.2.3\nh \"1\"\ni 1e3\nj sev2\n");
    let yaml = yaml_tree(
        "a: 1\nb: -2\nc: 1.5\nd: true\ne: null\nf: 30s\ng: 1.2.3\nh: \"1\"\ni: 1e3\nj: sev2\n",
    );
    assert_eq!(shape(&parsed.node), shape(&yaml));
}

#[test]
fn lists_span_lines_with_comments_and_trailing_commas() {
    let (_, parsed) = parse_ok("tags [\n  a, # first\n  b,\n]\nowners []\nx { }\n");
    assert_eq!(
        shape(&parsed.node),
        r#"{tags: ["a", "b"], owners: [], x: {}}"#
    );
}

#[test]
fn quoted_keys_and_semicolons() {
    let (_, parsed) = parse_ok("headers { \"X-Api-Key\" \"k\"; Accept json }\n");
    assert_eq!(
        shape(&parsed.node),
        r#"{headers: {X-Api-Key: "k", Accept: "json"}}"#
    );
}

#[test]
fn spans_point_at_tokens() {
    let (file, parsed) = parse_ok(EXAMPLE);
    let root = &parsed.node;
    let step = &root.get("steps").unwrap().as_seq().unwrap()[0];
    assert_eq!(file.slice(step.get("id").unwrap().span), "pods");
    assert!(file.slice(step.span).starts_with("step pods"));
    assert!(file.slice(step.span).ends_with('}'));
    let entries = step.as_map().unwrap();
    let when = entries.iter().find(|e| e.key.value == "when").unwrap();
    assert_eq!(file.slice(when.key.span), "when");
    assert_eq!(
        file.slice(when.value.span),
        "steps.x.status == 200 && inputs.namespace != \"prod\""
    );
    let retry = entries.iter().find(|e| e.key.value == "retry").unwrap();
    let delay = retry
        .value
        .as_map()
        .unwrap()
        .iter()
        .find(|e| e.key.value == "delay")
        .unwrap();
    assert_eq!(file.slice(delay.key.span), "delay");
    assert_eq!(file.slice(delay.value.span), "2s");
    let goto = &step.get("on_failure").unwrap().as_map().unwrap()[0];
    assert_eq!(file.slice(goto.key.span), "goto");
    assert_eq!(file.slice(goto.value.span), "rollback");
    let outputs = step.get("outputs").unwrap();
    assert_eq!(file.slice(outputs.get("code").unwrap().span), "exit_code");
    let name = &root.as_map().unwrap()[0];
    assert_eq!(
        (name.key.value.as_str(), file.slice(name.key.span)),
        ("name", "playbook")
    );
    let inputs = root
        .as_map()
        .unwrap()
        .iter()
        .find(|e| e.key.value == "inputs")
        .unwrap();
    assert_eq!(
        file.slice(inputs.value.as_map().unwrap()[1].key.span),
        "severity"
    );
    let route = &root.get("steps").unwrap().as_seq().unwrap()[2];
    let case = &route.get("triage").unwrap().as_seq().unwrap()[1];
    let then = &case.as_map().unwrap()[1];
    assert_eq!(
        (then.key.value.as_str(), file.slice(then.key.span)),
        ("then", "->")
    );
    assert_eq!(file.slice(then.value.span), "platform");
}

#[test]
fn characters_inside_strings_and_expressions_map_to_the_file() {
    let (file, parsed) = parse_ok(EXAMPLE);
    let root = &parsed.node;
    let check = |t: &Text, needle: &str| {
        let at = t
            .value
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {:?}", t.value));
        assert_eq!(file.slice(t.file_span(at, at + needle.len())), needle);
    };
    check(text(root, &["steps", "0", "when"]), "inputs.namespace");
    check(text(root, &["steps", "0", "shell"]), "inputs.namespace");
    check(
        text(root, &["steps", "0", "outputs", "crashloops", "regex"]),
        "CrashLoop",
    );
    check(
        text(root, &["steps", "0", "until", "condition"]),
        "steps.health",
    );
    check(text(root, &["description"]), "Markdown is fine");
    check(text(root, &["steps", "3", "manual"]), "status page");
    check(
        text(root, &["steps", "2", "triage", "1", "when"]),
        "infra # ->",
    );
    let regex = text(root, &["steps", "0", "outputs", "crashloops", "regex"]);
    assert_eq!(regex.value, r"(\d+) CrashLoop");
    let at = regex.value.find('d').unwrap();
    assert_eq!(file.slice(regex.file_span(at, at + 1)), "d");
}

#[test]
fn expressions_stop_at_comments_but_not_inside_strings() {
    let (_, parsed) =
        parse_ok("step a {\n  when x == \"a # b\" && y == 'c # d' # real comment\n  shell x\n}\n");
    let when = text(&parsed.node, &["steps", "0", "when"]);
    assert_eq!(when.value, "x == \"a # b\" && y == 'c # d'");
    assert_eq!(parsed.comments.len(), 1);
}

#[test]
fn crlf_line_endings_parse() {
    let (_, parsed) = parse_ok("playbook a\r\ndescription \"\"\"\r\n  one\r\n  \"\"\"\r\nstep s {\r\n  when x == 1\r\n  shell y\r\n}\r\n");
    assert_eq!(text(&parsed.node, &["description"]).value, "one\n");
    assert_eq!(text(&parsed.node, &["steps", "0", "when"]).value, "x == 1");
}

fn message_at(text: &str) -> (String, String, Option<String>) {
    let d = parse_err(text);
    let span = d.primary_span();
    (d.message, text[span.start..span.end].to_string(), d.help)
}

#[test]
fn syntax_errors_name_what_was_expected() {
    let cases: &[(&str, &str, &str)] = &[
        ("step {\n}\n", "expected a step id, found `{`", "{"),
        (
            "step pods \"Pods\"\n  shell x\n}\n",
            "expected `{` to open the step's block, found the end of the line",
            "",
        ),
        (
            "step pods Pod status {\n}\n",
            "expected `{` to open the step's block, found `Pod`",
            "Pod",
        ),
        (
            "input ns\n",
            "expected `{` to open the input's block, found the end of the line",
            "",
        ),
        (
            "title \"x\" y\n",
            "expected the end of the statement, found `y`",
            "y",
        ),
        ("title: \"x\"\n", "expected a value, found `:`", ":"),
        (
            "step a {\n  when\n  shell x\n}\n",
            "expected an expression, found the end of the line",
            "",
        ),
        (
            "step a {\n  triage {\n    when x == 1 workload\n  }\n}\n",
            "expected `->` and the step to go to, found the end of the line",
            "",
        ),
        (
            "step a {\n  on_failure goto\n}\n",
            "expected a step id, found the end of the line",
            "",
        ),
        ("tags [a b]\n", "expected `,` or `]`, found `b`", "b"),
        (
            "step a {\n  every 2s\n}\n",
            "expected `until` and a condition, found the end of the line",
            "",
        ),
        (
            "step a {\n  output x\n}\n",
            "expected `= FIELD` or `{`, found the end of the line",
            "",
        ),
        (
            "step a {\n  triage {\n    shell x\n  }\n}\n",
            "expected a case (`when EXPR -> STEP` or `else -> STEP`)",
            "shell",
        ),
        (
            "step a {\n  needs b c\n}\n",
            "expected `,` or the end of the statement, found `c`",
            "c",
        ),
    ];
    for (input, message, token) in cases {
        let (got, at, help) = message_at(input);
        if std::env::var_os("SHOW_ERRORS").is_some() {
            let file = SourceFile::new("t.runbook", *input);
            let mut diags = Diagnostics::new();
            parse(&file, &mut diags);
            let out = crate::diagnostic::render(
                &file,
                &diags.into_sorted(),
                crate::diagnostic::RenderStyle::Plain,
            );
            eprintln!("{out}");
        }
        assert!(
            got.starts_with(message),
            "{input:?}: got {got:?}, wanted {message:?}"
        );
        assert_eq!(&at, token, "{input:?}");
        assert!(help.is_some(), "{input:?} has no help");
    }
}

#[test]
fn lexical_errors_come_first() {
    assert_eq!(message_at("title \"open\n").0, "unterminated string");
    assert_eq!(
        message_at("step a {\n  shell x\n").0,
        "this `{` is never closed"
    );
    assert_eq!(
        message_at("description \"\"\"\n  x\n").0,
        "unterminated `\"\"\"` string"
    );
    assert_eq!(message_at("a \"\\q\"\n").1, "\\q");
    assert_eq!(message_at("d \"\"\"\n    a\n  b\n    \"\"\"\n").1, "  ");
}

#[test]
fn errors_render_with_the_file() {
    let file = SourceFile::new("p.runbook", "step pods \"Pods\"\n  shell x\n}\n");
    let mut diags = Diagnostics::new();
    parse(&file, &mut diags);
    let out = crate::diagnostic::render(
        &file,
        &diags.into_sorted(),
        crate::diagnostic::RenderStyle::Plain,
    );
    assert!(out.contains("p.runbook:1:17"), "{out}");
    assert!(out.contains("runbook::syntax"), "{out}");
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    for open in ["[", "{", "x {", "[{"] {
        let text = format!("a {}", open.repeat(10_000));
        let d = parse_err(&text);
        assert_eq!(d.message, "the nesting is too deep");
    }
    // Right at the cap it still parses.
    let depth = super::scan::MAX_DEPTH - 1;
    let text = format!("a {}1{}\n", "[".repeat(depth), "]".repeat(depth));
    parse_ok(&text);
    let text = format!("a {}1{}\n", "{ b ".repeat(depth), "}".repeat(depth));
    parse_ok(&text);
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn parse_any(text: &str) {
    same_in_every_chunking(text);
    let file = SourceFile::new("fuzz.runbook", text);
    let mut diags = Diagnostics::new();
    let parsed = parse(&file, &mut diags);
    // Either a tree or exactly one diagnostic with a span inside the file.
    match parsed {
        Some(_) => assert!(diags.is_empty()),
        None => {
            assert_eq!(diags.len(), 1, "{text:?}");
            for d in diags.iter() {
                for label in &d.labels {
                    assert!(label.span.end <= text.len(), "{text:?}: {d:?}");
                    assert!(text.is_char_boundary(label.span.start), "{text:?}: {d:?}");
                    assert!(text.is_char_boundary(label.span.end), "{text:?}: {d:?}");
                }
            }
        }
    }
}

#[test]
fn random_mutations_never_panic() {
    let pieces = [
        "\"", "\"\"\"", "{", "}", "[", "]", "#", "\n", " ", "->", "\\", "'", ",", ";", "=",
        "when ", "step ", "é", "\r", "\t", "until ", "retry ", "x", "1", "\\u{", "\u{0}",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let base: Vec<char> = EXAMPLE.chars().collect();
    for _ in 0..3000 {
        let mut text: Vec<char> = base.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(text.len() + 1);
            match rng.below(3) {
                0 => {
                    let piece = pieces[rng.below(pieces.len())];
                    for (i, c) in piece.chars().enumerate() {
                        text.insert(at + i, c);
                    }
                }
                1 if at < text.len() => {
                    let len = (1 + rng.below(8)).min(text.len() - at);
                    text.drain(at..at + len);
                }
                _ => {
                    let other = rng.below(text.len());
                    if at < text.len() {
                        text.swap(at, other);
                    }
                }
            }
        }
        let text: String = text.into_iter().collect();
        parse_any(&text);
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let alphabet = b"ab1 \n\t\"{}[]#,;=->\\'.\r";
    for _ in 0..3000 {
        let len = rng.below(60);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(5) == 0 {
                    rng.next() as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        parse_any(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn empty_and_comment_only_files_are_empty_maps() {
    for text in ["", "\n\n", "# only a comment", "  ;; \n"] {
        let (_, parsed) = parse_ok(text);
        assert_eq!(shape(&parsed.node), "{}");
    }
    assert_eq!(parse_ok("").1.node.span, Span::new(0, 0));
}

/// Parses `text` whole and cut into chunks at every line break between
/// top-level statements (every other cut is a subset of these): the trees
/// with their spans, the comments and the diagnostics must be the same.
fn same_in_every_chunking(text: &str) {
    let file = SourceFile::new("t.runbook", text);
    let parse_cut = |chunk_bytes| {
        let mut diags = Diagnostics::new();
        let parsed = parse_in_chunks(&file, &mut diags, chunk_bytes);
        (parsed, diags.into_iter().collect::<Vec<_>>())
    };
    let whole = parse_cut(usize::MAX);
    let cut = parse_cut(0);
    assert!(
        cut == whole,
        "cut: {:#?}\nwhole: {:#?}\n{text:?}",
        cut.1,
        whole.1
    );
}

/// The `.runbook` files of the repository (fixtures, playbooks, fuzz seeds).
fn repository_runbooks() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs: Vec<_> = ["tests/fixtures", "playbooks", "fuzz/seeds"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory of the repository") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "runbook") {
                let text = std::fs::read_to_string(&path).expect("a .runbook file reads");
                files.push((path, text));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn chunks_parse_like_the_whole_file() {
    let files = repository_runbooks();
    assert!(files.len() > 100, "{} files", files.len());
    for (_, text) in &files {
        same_in_every_chunking(text);
        // Each line removed: a statement cut short, a block left open, a
        // case without its branch, ... each error where the whole parse has
        // it (in the smaller files: the fixtures and seeds, the shorter
        // playbooks; this is quadratic in a file's lines).
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        if lines.len() > 80 {
            continue;
        }
        for skip in 0..lines.len() {
            let text: String = lines
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, line)| *line)
                .collect();
            same_in_every_chunking(&text);
        }
    }
    // Cut short at every byte: errors at the end of every kind of statement.
    for end in (0..=EXAMPLE.len()).filter(|&i| EXAMPLE.is_char_boundary(i)) {
        same_in_every_chunking(&EXAMPLE[..end]);
    }
}

#[test]
fn chunks_are_cut_between_top_level_statements_only() {
    let text = "playbook p\nx [1,\n 2]\nd \"\"\"\n  a\n  \"\"\"\n# c\nstep s {\n  shell y\n}\n";
    let breaks = super::scan::scan(text, 0).unwrap().breaks;
    let lines: Vec<usize> = breaks
        .iter()
        .map(|&at| text[..at].matches('\n').count() + 1)
        .collect();
    // The line breaks ending lines 1, 3, 6, 7 and 10; not those inside the
    // list, the `"""` string or the step's block.
    assert_eq!(lines, [1, 3, 6, 7, 10]);
    assert!(breaks.iter().all(|&at| text.as_bytes()[at] == b'\n'));
    // Cuts at least 25 bytes apart.
    let breaks = super::scan::scan(text, 25).unwrap().breaks;
    assert!(breaks.windows(2).all(|w| w[1] - w[0] >= 25), "{breaks:?}");
    assert!(breaks[0] >= 25);
}
