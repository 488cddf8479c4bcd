//! `feed_changed`: a read whose results reach a write or destructive step
//! changed. Who feeds whom comes from the plan's reads, so a chain of
//! steps and a computed value count, and a read that feeds only reads
//! raises nothing.

use crate::support::diff_of_texts;
use runbook_dsl::diff::{PlanDiff, RiskKind, RiskSeverity};

fn feeds(d: &PlanDiff) -> Vec<(RiskSeverity, String, String)> {
    d.risks
        .iter()
        .filter(|r| r.kind == RiskKind::FeedChanged)
        .map(|r| (r.severity, r.step.clone(), r.message.clone()))
        .collect()
}

const CHAIN: &str = r#"
name: chain
vars:
  names: "steps.shape.outputs.names"
steps:
  - id: list
    shell: kubectl get pods -n shop -l app=web -o name
    effect: read
  - id: shape
    needs: [list]
    shell: "echo {{steps.list.stdout}} | tr ' ' ','"
    effect: read
    outputs:
      names: {regex: "(.*)"}
  - id: check
    needs: [shape]
    log: "would delete {{vars.names}}"
  - id: delete
    needs: [check]
    shell: kubectl delete -n shop {{vars.names}}
    effect: destructive
    approval: Delete them?
    timeout: 1m
"#;

#[test]
fn a_feed_is_followed_through_steps_and_computed_values() {
    let new = CHAIN.replace(" -l app=web", "");
    let d = diff_of_texts(CHAIN, &new);
    let found = feeds(&d);
    assert_eq!(found.len(), 1, "{:#?}", d.risks);
    let (severity, step, message) = &found[0];
    assert_eq!((*severity, step.as_str()), (RiskSeverity::High, "list"));
    assert!(
        message.contains("the destructive step `delete` (through `shape`)"),
        "{message}"
    );
    // `check` is a `log`: it reads the feed but acts on nothing.
    assert!(!message.contains("`check`"), "{message}");
}

#[test]
fn a_read_that_feeds_only_reads_raises_no_feed_risk() {
    let old = CHAIN.replace("    effect: destructive\n", "    effect: read\n");
    let new = old.replace(" -l app=web", "");
    assert_eq!(feeds(&diff_of_texts(&old, &new)), []);
}

#[test]
fn a_changed_output_of_a_feeding_step_is_a_feed_change() {
    let new = CHAIN.replace(r#"{regex: "(.*)"}"#, r#"{regex: "(.+)"}"#);
    let found = feeds(&diff_of_texts(CHAIN, &new));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, "shape");
    assert!(
        found[0].2.contains("`outputs.names.regex`"),
        "{}",
        found[0].2
    );
    // An output added changes none that a write step reads.
    let new = CHAIN.replace(
        r#"      names: {regex: "(.*)"}"#,
        "      names: {regex: \"(.*)\"}\n      count: {regex: \"([0-9]+)\", type: int}",
    );
    assert_ne!(diff_of_texts(CHAIN, &new).steps, []);
    assert_eq!(feeds(&diff_of_texts(CHAIN, &new)), []);
}

#[test]
fn a_feed_read_by_a_guard_says_so() {
    let old = r#"
name: guard
steps:
  - id: probe
    http:
      url: https://api.example.com/health
      expect_status: any
  - id: restart
    needs: [probe]
    when: steps.probe.status != 200
    shell: kubectl rollout restart deploy/api
    approval: Restart the API?
    timeout: 2m
"#;
    let new = old.replace("/health", "/ready");
    let found = feeds(&diff_of_texts(old, &new));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, RiskSeverity::Medium);
    assert!(
        found[0]
            .2
            .contains("the write step `restart` (its `when` guard)"),
        "{}",
        found[0].2
    );
}
