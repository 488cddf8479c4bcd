//! Round trips between the syntaxes through the model, and `fmt` stability.

use crate::ast::Playbook;
use crate::catalog::KindList;
use crate::diagnostic::Diagnostics;
use crate::runbook_syntax::{self, Comment};
use crate::source::SourceFile;

fn lower(node: &crate::node::Node) -> Playbook {
    let mut diags = Diagnostics::new();
    let playbook = crate::lower::lower(node, &KindList::new(Vec::new()), &mut diags);
    assert!(!diags.has_errors(), "{:#?}", diags.into_sorted());
    playbook
}

fn from_yaml(text: &str) -> Playbook {
    let mut diags = Diagnostics::new();
    let node = crate::yaml::parse(&SourceFile::new("t.yaml", text), &mut diags)
        .unwrap_or_else(|| panic!("{diags:#?}"));
    lower(&node)
}

fn from_runbook(text: &str) -> (Playbook, Vec<Comment>) {
    let mut diags = Diagnostics::new();
    let parsed = runbook_syntax::parse(&SourceFile::new("t.runbook", text), &mut diags)
        .unwrap_or_else(|| panic!("{:#?}\n{text}", diags.into_sorted()));
    (lower(&parsed.node), parsed.comments)
}

/// `runbook fmt` on a text.
fn fmt(text: &str) -> String {
    let (playbook, comments) = from_runbook(text);
    super::runbook(&playbook, &comments, Some(text))
}

/// The model without spans or character maps, for comparing across syntaxes.
fn modulo_spans(playbook: &Playbook) -> String {
    let debug = format!("{playbook:?}");
    let spans = regex::Regex::new(r"Span \{ start: \d+, end: \d+ \}").unwrap();
    let maps = regex::Regex::new(r"map: (Verbatim\(\d+\)|Runs\(\[[^\]]*\]\)|Opaque)").unwrap();
    let debug = spans.replace_all(&debug, "Span");
    maps.replace_all(&debug, "map").into_owned()
}

const RICH_YAML: &str = r#"
name: db-failover
title: "Database failover: \"primary\" down"
description: |
  Fail the primary over to the replica.

    Indented line kept.
owners: [dba@example.com, oncall]
tags: [postgres, "200", "true", "two words"]
inputs:
  cluster: string
  replicas: {type: int, default: 2, required: false}
  ratio: {type: float, default: 0.5}
  force: {type: bool, default: false, description: "Skip the checks"}
  token: {type: string, secret: true, env: PG_TOKEN}
  tier: {choices: [gold, silver], default: gold}
steps:
  - id: check
    title: Check replication
    description: "One line\nand another, without a final break"
    shell: "psql -c 'select 1' # not a comment\n"
    timeout: 1h30m
    retry: 3
    until: "steps.check.exit_code == 0"
    outputs:
      lag: {from: stdout, regex: 'lag=(\d+)', type: int, secret: false}
      raw: stdout
      doc: {json: "$.items[0].name"}
      empty: {}
  - id: probe
    needs: [check]
    when: steps.check.outputs.lag < 100 && inputs.force == false
    http:
      url: "https://{{inputs.cluster}}/health"
      method: POST
      headers: {Content-Type: application/json, "X Custom": "a\tb"}
      body: {nested: [1, -2, 3.5, null, true, "x y", [a, b], {k: v}], empty: [], none: {}}
      expect_status: [200, 204]
    effect: read
    approval: true
    retry: {attempts: 5, delay: 2s, backoff: 1.5}
    until: {condition: steps.probe.status == 200, every: 2s, within: 5m}
    on_failure: {goto: rollback}
    lint: {allow: [poll_without_deadline, "lint::ungated_write"], reason: "the probe is idempotent"}
  - id: decide
    needs: [probe]
    branch:
      - when: 'steps.probe.status == 200 && inputs.tier == "gold # x"'
        then: promote
      - else: rollback
  - id: promote
    ask: {question: "How many connections?", type: number, min: 0, max: 1000.5}
    on_failure: continue
  - id: note
    ask: {question: "Anything unusual?", type: text}
    on_failure: abort
  - id: rollback
    approval: "Really roll back?\nThis drops connections."
    manual: |
      Roll back by hand:

      1. stop the replica
      2. restart the primary
"#;

#[test]
fn yaml_to_runbook_and_back_keeps_the_model() {
    let minimal = "steps:\n  - id: only\n    shell: echo hi\n";
    for yaml in [RICH_YAML, minimal] {
        let first = from_yaml(yaml);
        let text = super::runbook(&first, &[], None);
        let (second, _) = from_runbook(&text);
        if modulo_spans(&first) != modulo_spans(&second) {
            let (a, b) = (modulo_spans(&first), modulo_spans(&second));
            let at = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            panic!(
                "{text}\n---\n{}\n---\n{}",
                &a[at.saturating_sub(300)..(at + 200).min(a.len())],
                &b[at.saturating_sub(300)..(at + 200).min(b.len())]
            );
        }
        assert_eq!(super::yaml(&first), super::yaml(&second));
        // The canonical YAML reads back to the same model too.
        let canonical = super::yaml(&first);
        assert_eq!(
            modulo_spans(&from_yaml(&canonical)),
            modulo_spans(&first),
            "\n{canonical}"
        );
        assert_eq!(fmt(&text), text);
    }
}

#[test]
fn runbook_to_yaml_and_back_keeps_the_model() {
    let text = runbook_syntax::tests::EXAMPLE;
    let (first, _) = from_runbook(&fix_example(text));
    let yaml = super::yaml(&first);
    let second = from_yaml(&yaml);
    assert_eq!(modulo_spans(&first), modulo_spans(&second), "\n{yaml}");
    let reprinted = super::runbook(&second, &[], None);
    assert_eq!(
        modulo_spans(&from_runbook(&reprinted).0),
        modulo_spans(&first)
    );
}

/// The front end's example, made a valid playbook (every step it names exists).
fn fix_example(text: &str) -> String {
    format!(
        "{text}\nstep a {{\n  shell x\n}}\nstep b {{\n  shell x\n}}\nstep rollback {{\n  shell x\n}}\n\
         step workload {{\n  shell x\n}}\nstep platform {{\n  shell x\n}}\nstep escalate {{\n  shell x\n}}\n"
    )
}

#[test]
fn fmt_is_idempotent_and_keeps_every_comment() {
    let text = fix_example(runbook_syntax::tests::EXAMPLE);
    let once = fmt(&text);
    let twice = fmt(&once);
    assert_eq!(once, twice);
    let (_, comments) = from_runbook(&text);
    let (_, kept) = from_runbook(&once);
    let texts = |c: &[Comment]| c.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&comments), texts(&kept));
    assert_eq!(
        modulo_spans(&from_runbook(&text).0),
        modulo_spans(&from_runbook(&once).0)
    );
}

#[test]
fn comments_stay_with_what_they_precede() {
    let text = r#"# Header comment

playbook demo   # the name

# Inputs
input ns { type string }

# First step
step a "A" {   # opens a
  # about effect
  effect read
  shell "x"    # the command
  # last words of a
}
# trailing file comment
"#;
    let expected = r#"# Header comment

playbook demo # the name

# Inputs
input ns {
  type string
}

# First step
step a "A" { # opens a
  shell x # the command
  # about effect
  effect read
  # last words of a
}

# trailing file comment
"#;
    assert_eq!(fmt(text), expected);
    assert_eq!(fmt(expected), expected);
}

#[test]
fn the_printed_example_reads_well() {
    let (playbook, comments) = from_runbook(&fix_example(runbook_syntax::tests::EXAMPLE));
    let text = super::runbook(
        &playbook,
        &comments,
        Some(&fix_example(runbook_syntax::tests::EXAMPLE)),
    );
    let pods = text
        .split("\n\n")
        .find(|b| b.contains("step pods"))
        .unwrap();
    let expected = r#"step pods "Pod status" {
  needs a, b
  when steps.x.status == 200 && inputs.namespace != "prod" # a guard
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
}"#;
    assert_eq!(pods, expected, "\n{text}");
    assert!(
        text.starts_with("# AlphaSwarm incident response\nplaybook alphaswarm-incident\n"),
        "{text}"
    );
    assert!(
        text.contains("description \"\"\"\n  Standard playbook"),
        "{text}"
    );
}

#[test]
fn yaml_output_is_canonical() {
    let yaml = super::yaml(&from_yaml(RICH_YAML));
    assert!(yaml.starts_with("name: db-failover\n"), "{yaml}");
    assert!(yaml.contains("description: |"), "{yaml}");
    assert!(yaml.contains("retry: 3\n"), "{yaml}");
    assert!(yaml.contains("- \"200\"\n"), "{yaml}");
}

#[test]
fn expressions_over_several_yaml_lines_print_on_one() {
    let yaml = "steps:\n  - id: a\n    when: |\n      steps.b.status == 200 &&\n        inputs.force\n    shell: x\n";
    let text = super::runbook(&from_yaml(yaml), &[], None);
    assert!(
        text.contains("  when steps.b.status == 200 && inputs.force\n"),
        "{text}"
    );
}

#[test]
fn a_map_literal_over_several_lines_prints_on_one() {
    let text = "playbook p\n\nvar t = {\n  name: \"a}b #c\", # the name\n\n  ports: [\n    80,\n  ],\n}\n\nstep a {\n  when {\n    a: 1,\n  }.a == 1\n  shell \"echo\"\n}\n";
    let out = fmt(text);
    assert!(
        out.contains("var t = {name: \"a}b #c\", ports: [80]}\n"),
        "{out}"
    );
    assert!(out.contains("  when {a: 1}.a == 1\n"), "{out}");
    assert!(out.contains("# the name"), "{out}");
    // The one-line form is canonical: formatting it again changes nothing.
    assert_eq!(fmt(&out), out);
}

#[test]
fn strings_are_quoted_only_when_needed() {
    let yaml = "steps:\n  - id: a\n    k: {a: sev2, b: \"200\", c: \"true\", d: \"x\\\"y\", e: \"\", f: 30s, g: \"-\", h: \"\\u00e9\\u0007\"}\n";
    let text = super::runbook(&from_yaml(yaml), &[], None);
    let expected = "    a sev2\n    b \"200\"\n    c \"true\"\n    d \"x\\\"y\"\n    e \"\"\n    f 30s\n    g \"-\"\n    h \"é\\u{7}\"\n";
    assert!(text.contains(expected), "{text}");
    assert_eq!(
        modulo_spans(&from_runbook(&text).0),
        modulo_spans(&from_yaml(yaml))
    );
}

/// The AlphaSwarm seed playbook, the largest real one.
const ALPHASWARM: &str = include_str!("../../../../playbooks/alphaswarm/incident.yaml");

#[test]
fn the_alphaswarm_playbook_converts_both_ways() {
    let first = from_yaml(ALPHASWARM);
    let text = super::runbook(&first, &[], None);
    let (second, _) = from_runbook(&text);
    assert_eq!(modulo_spans(&first), modulo_spans(&second), "\n{text}");
    assert_eq!(fmt(&text), text);
    let yaml = super::yaml(&second);
    assert_eq!(
        modulo_spans(&from_yaml(&yaml)),
        modulo_spans(&first),
        "\n{yaml}"
    );
}

/// Conditions are printed bare everywhere, `assert` and `that` included,
/// and read back to the same model; a polling deadline that is not one
/// word is quoted inline rather than forcing the block form.
#[test]
fn conditions_print_bare_and_read_back() {
    let yaml = r#"
name: bare
steps:
  - id: probe
    shell: curl -fsS http://localhost/health
    effect: read
    until:
      condition: steps.probe.exit_code == 0
      every: 1m 30s
      within: 10m
  - id: healthy
    needs: [probe]
    assert: steps.probe.stdout != "" && 'ok' in steps.probe.stdout
  - id: ready
    needs: [probe]
    assert:
      that: steps.probe.stdout matches "ready"
      message: Not ready.
  - id: odd
    needs: [probe]
    assert: '"a string"'
"#;
    let playbook = from_yaml(yaml);
    let text = super::runbook(&playbook, &[], None);
    for line in [
        "  every \"1m 30s\" within 10m until steps.probe.exit_code == 0\n",
        "  assert steps.probe.stdout != \"\" && 'ok' in steps.probe.stdout\n",
        "    that steps.probe.stdout matches \"ready\"\n",
        // A lone string literal keeps its meaning: brackets, not quotes.
        "  assert (\"a string\")\n",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
    let mut diags = Diagnostics::new();
    let parsed =
        runbook_syntax::parse(&SourceFile::new("t.runbook", &text), &mut diags).expect("parses");
    assert!(diags.is_empty(), "{:#?}", diags.into_sorted());
    assert_eq!(
        modulo_spans(&lower(&parsed.node)).replace("(\\\"a string\\\")", "\\\"a string\\\""),
        modulo_spans(&playbook)
    );
    assert_eq!(fmt(&text), text);
}

/// `for_each` and its fields read back the same through both syntaxes and
/// `fmt`: an expression, a list written out (one line or several), and
/// every field beside it.
#[test]
fn loops_round_trip_through_both_syntaxes() {
    let yaml = r#"
name: loops
steps:
  - id: pods
    shell: kubectl get pods -o json
  - id: restart
    needs: [pods]
    for_each: steps.pods.outputs.items[0:2]
    as: pod
    parallel: 3
    on_item_failure: continue
    approval_per_item: true
    shell: kubectl delete pod {{pod.metadata.name}}
    approval: "Delete {{pod.metadata.name}}?"
  - id: zones
    for_each: ["eu-1", "eu 2", 3, true]
    shell: ./drain.sh {{item}}
  - id: hosts
    for_each:
      - {name: web-1, port: 80}
      - {name: web-2, port: 8080}
    as: host
    label: host.name + ":" + host.port
    on_item_failure: stop
    shell: curl -fsS http://{{host.name}}:{{host.port}}/health
"#;
    let first = from_yaml(yaml);
    assert!(first.steps[1].for_each.is_some());
    let text = super::runbook(&first, &[], None);
    assert!(text.contains("  for_each steps.pods.outputs.items[0:2]\n  as pod\n  parallel 3\n  on_item_failure continue\n  approval_per_item true\n"), "{text}");
    assert!(
        text.contains("  for_each [eu-1, \"eu 2\", 3, true]\n"),
        "{text}"
    );
    assert!(
        text.contains("  as host\n  label host.name + \":\" + host.port\n"),
        "{text}"
    );
    let (second, _) = from_runbook(&text);
    assert_eq!(modulo_spans(&first), modulo_spans(&second), "\n{text}");
    let canonical = super::yaml(&first);
    assert_eq!(
        modulo_spans(&from_yaml(&canonical)),
        modulo_spans(&first),
        "\n{canonical}"
    );
    assert_eq!(super::yaml(&second), canonical);
    assert_eq!(fmt(&text), text);
}

#[test]
fn output_caps_round_trip_through_both_syntaxes() {
    let yaml = r#"
name: caps
inputs:
  cap: {type: string, default: 64KiB}
output_cap: 256KiB
steps:
  - id: logs
    shell: kubectl logs deploy/api
    output_cap: 16MiB
  - id: bytes
    shell: curl -fsS http://localhost/health
    output_cap: 4096
  - id: text_bytes
    shell: curl -fsS http://localhost/health
    output_cap: "8192"
  - id: templated
    shell: pg_dump app
    output_cap: "{{inputs.cap}}"
  - id: default
    shell: echo hi
"#;
    let first = from_yaml(yaml);
    assert_eq!(first.output_cap.as_ref().map(|c| c.bytes), Some(256 << 10));
    assert_eq!(
        first.steps[1].output_cap.as_ref().map(|c| c.bytes),
        Some(4096)
    );
    assert!(first.steps[3]
        .output_cap
        .as_ref()
        .unwrap()
        .template
        .is_some());
    let text = super::runbook(&first, &[], None);
    for line in [
        "output_cap 256KiB\n",
        "  output_cap 16MiB\n",
        "  output_cap 4096\n",
        "  output_cap \"8192\"\n",
        "  output_cap \"{{inputs.cap}}\"\n",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let (second, _) = from_runbook(&text);
    assert_eq!(modulo_spans(&first), modulo_spans(&second), "\n{text}");
    let canonical = super::yaml(&first);
    assert!(canonical.contains("output_cap: 4096\n"), "{canonical}");
    assert!(
        canonical.contains("output_cap: '8192'\n") || canonical.contains("output_cap: \"8192\"\n"),
        "{canonical}"
    );
    assert_eq!(
        modulo_spans(&from_yaml(&canonical)),
        modulo_spans(&first),
        "\n{canonical}"
    );
    assert_eq!(fmt(&text), text);
}
