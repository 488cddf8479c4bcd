//! A loop killed while an element waits at its own gate did nothing that
//! is not on record: its resume restores the elements that succeeded and
//! asks the others at their own gates, without first asking whether to
//! run the loop again "after part of its work" (it is not interrupted).

use crate::remote_approvals::{decide, pending, start, store, text, wait_for};
use crate::running::Sandbox;
use serde_json::Value;

const LOOP: &str = r#"
steps:
  - id: drop
    for_each: '["x", "y"]'
    as: v
    approval: "Drop {{v}}?"
    approval_per_item: true
    shell: echo {{v}} >> trail
  - id: after
    needs: [drop]
    shell: echo after >> trail
"#;

fn waiting_element(s: &Sandbox, element: &str) -> Value {
    wait_for(&format!("`drop` {element} pending"), || {
        pending(s)
            .into_iter()
            .find(|r| r["step"] == "drop" && r["element"] == element)
    })
}

#[test]
fn a_loop_killed_at_an_elements_gate_resumes_at_that_gate() {
    let s = Sandbox::new(LOOP);
    store(&s);
    let mut child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let first = waiting_element(&s, "[0] x");
    let run_id = first["run_id"].as_str().unwrap().to_string();
    let out = decide(&s, None, &["approve", &run_id, "drop[0]"]);
    assert!(out.status.success(), "{}", text(&out));
    waiting_element(&s, "[1] y");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(s.read("trail"), "x\n");

    let resumed = s.resume(&run_id, &["--journal-dir", "runs", "--approve", "drop"]);
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert!(
        resumed.events_of("step_interrupted").is_empty(),
        "nothing was in flight: {}",
        resumed.describe()
    );
    assert_eq!(
        resumed.questions(),
        ["Drop y? [1] y"],
        "only the element's own gate"
    );
    assert!(
        !resumed.stderr.contains("may have done part of its work"),
        "{}",
        resumed.stderr
    );
    // The element that succeeded is not run again.
    assert_eq!(s.read("trail"), "x\ny\nafter\n");
}
