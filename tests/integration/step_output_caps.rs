//! `output_cap:` per playbook and per step: the step's field, else its
//! playbook's, else the run's default (`--output-cap`, 1 MiB); an
//! `--output-cap` given on the command line lowers an author's cap and
//! never raises it; a called playbook's own cap applies to its steps. Real
//! processes print more than the cap, a real HTTP server sends a 50 MiB
//! body, and the marker of every cut result, the step's message, the
//! journal and `runbook report` name the field or flag that set the cap.

use crate::harness::http::TestHttp;
use crate::running::{Run, Sandbox};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A shell command printing about `mib` MiB of 100-byte lines, then a last
/// line to find in the tail.
fn printing(mib: u32) -> String {
    format!(
        "yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012 | head -c {} | head -n -1; echo the-last-line",
        mib << 20
    )
}

/// A shell step `ID` running [`printing`], with more fields in `extra`.
fn loud(id: &str, mib: u32, extra: &str) -> String {
    format!("  - id: {id}\n    shell: \"{}\"\n{extra}", printing(mib))
}

/// A step's captured `stdout`.
fn stdout_of(run: &Run, step: &str) -> String {
    run.finished(step)["results"]["stdout"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The marker line of a step's output, from the live events.
fn marker_of(run: &Run, step: &str) -> String {
    run.events
        .iter()
        .filter(|e| e["event"] == "step_output" && e["step"] == step)
        .filter_map(|e| e["line"].as_str())
        .find(|l| l.starts_with("[runbook: "))
        .unwrap_or_else(|| panic!("no marker for {step}: {}", run.describe()))
        .to_string()
}

/// Asserts that `step` kept about `cap` bytes of its 10 MiB and that its
/// marker and message name `set_by`.
fn assert_cut(run: &Run, step: &str, cap: usize, set_by: &str) {
    let stdout = stdout_of(run, step);
    assert!(
        stdout.len() <= cap + 300 && stdout.len() >= cap / 2,
        "{step} kept {} bytes for a cap of {cap}",
        stdout.len()
    );
    assert!(stdout.starts_with("0123456789"), "{step}: the head is kept");
    assert!(
        stdout.ends_with("the-last-line"),
        "{step}: the tail is kept"
    );
    let marker = marker_of(run, step);
    assert!(
        marker.contains(&format!("({cap} bytes, set by {set_by})"))
            || marker.contains(&format!("({cap} bytes), set by {set_by})")),
        "{step}: {marker}"
    );
    let message = run.message(step);
    assert!(
        message.contains("`stdout` cut at the output cap") && message.contains(set_by),
        "{step}: {message}"
    );
}

#[test]
fn a_steps_cap_and_its_playbooks_apply_to_ten_megabytes_of_output() {
    let s = Sandbox::new(&format!(
        "name: caps\noutput_cap: 128KiB\nsteps:\n{}{}{}",
        loud("small", 10, "    output_cap: 16KiB\n"),
        loud("large", 10, "    output_cap: 4MiB\n"),
        loud("playbook", 10, ""),
    ));
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(&run, "small", 16 << 10, "`output_cap` of step `small`");
    // Above the default 1 MiB: an author may raise the cap for a large step.
    assert_cut(&run, "large", 4 << 20, "`output_cap` of step `large`");
    assert_cut(
        &run,
        "playbook",
        128 << 10,
        "`output_cap` of playbook `caps`",
    );

    // The journal holds the marker lines and the messages naming the cap.
    let journal = s.journal();
    let finished = |step: &str| -> Value {
        journal
            .iter()
            .find(|r| r["event"] == "step_finished" && r["step"] == step)
            .cloned()
            .unwrap()
    };
    assert!(finished("small")["message"]
        .as_str()
        .unwrap()
        .contains("16KiB (16384 bytes), set by `output_cap` of step `small`"));
    let journaled_marker = journal
        .iter()
        .filter(|r| r["event"] == "step_output" && r["step"] == "playbook")
        .filter_map(|r| r["line"].as_str())
        .find(|l| l.starts_with("[runbook: "))
        .unwrap()
        .to_string();
    assert!(
        journaled_marker.contains("set by `output_cap` of playbook `caps`"),
        "{journaled_marker}"
    );
    // So does the report (its backticks escaped, as all journal text is).
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    for expected in [
        r"16KiB (16384 bytes), set by \`output_cap\` of step \`small\`",
        r"4MiB (4194304 bytes), set by \`output_cap\` of step \`large\`",
        r"128KiB (131072 bytes), set by \`output_cap\` of playbook \`caps\`",
    ] {
        assert!(report.contains(expected), "{expected} in\n{report}");
    }
}

#[test]
fn the_command_line_cap_lowers_an_authors_cap_and_never_raises_it() {
    let s = Sandbox::new(&format!(
        "name: caps\nsteps:\n{}{}{}",
        loud("small", 10, "    output_cap: 16KiB\n"),
        loud("large", 10, "    output_cap: 4MiB\n"),
        loud("unset", 10, ""),
    ));
    // Below the step's 4 MiB and above its 16 KiB.
    let run = s.run(&["--output-cap", "64KiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(&run, "small", 16 << 10, "`output_cap` of step `small`");
    assert_cut(&run, "large", 64 << 10, "`--output-cap`");
    assert_cut(&run, "unset", 64 << 10, "`--output-cap`");

    // Without the flag, a step that sets nothing gets the default.
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(&run, "unset", 1 << 20, "the default of `--output-cap`");
    assert_cut(&run, "large", 4 << 20, "`output_cap` of step `large`");

    // The flag has the same bounds as the field.
    for bad in ["512", "257MiB", "1GiB", "$(id)"] {
        let out = s
            .command(&["run", "p.yaml", "--output-cap", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("is not an output cap"),
            "{bad}"
        );
    }
}

#[test]
fn a_step_cap_cuts_a_fifty_megabyte_http_body_and_names_itself() {
    let server = TestHttp::start();
    let s = Sandbox::new(&format!(
        "name: web\noutput_cap: 32KiB\nsteps:\n  - id: fetch\n    http: \"{url}/huge\"\n    output_cap: 8KiB\n  - id: default\n    http: \"{url}/huge\"\n",
        url = server.url
    ));
    let run = s.run(&["--output-cap", "2MiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    for (step, cap, set_by) in [
        ("fetch", 8 << 10, "`output_cap` of step `fetch`"),
        ("default", 32 << 10, "`output_cap` of playbook `web`"),
    ] {
        let results = &run.finished(step)["results"];
        assert_eq!(results["truncated"], true, "{step}");
        let body = results["body"].as_str().unwrap();
        assert!(body.len() <= cap + 300, "{step}: {}", body.len());
        let marker = body.lines().last().unwrap();
        assert_eq!(
            marker,
            format!("[runbook: result cut at the output cap of {cap} bytes (set by {set_by}); the whole result was {} bytes]", crate::harness::http::HUGE),
            "{step}"
        );
        assert!(run.message(step).contains(set_by), "{}", run.message(step));
    }
}

#[test]
fn a_called_playbooks_own_cap_applies_to_its_steps() {
    let s = Sandbox::new(&format!(
        "name: caller\noutput_cap: 256KiB\nsteps:\n  - id: call\n    playbook: child.yaml\n  - id: plain\n    playbook: plain.yaml\n    output_cap: 48KiB\n{}",
        loud("own", 10, "")
    ));
    std::fs::write(
        s.path().join("child.yaml"),
        format!(
            "name: child\noutput_cap: 32KiB\nsteps:\n{}{}",
            loud("inner", 10, ""),
            loud("tight", 10, "    output_cap: 4KiB\n")
        ),
    )
    .unwrap();
    // A called playbook that sets no cap: its steps get the calling step's.
    std::fs::write(
        s.path().join("plain.yaml"),
        format!("name: plain\nsteps:\n{}", loud("inner", 10, "")),
    )
    .unwrap();
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(&run, "own", 256 << 10, "`output_cap` of playbook `caller`");
    let journal = s.journal();
    let called_marker = |call: &str, step: &str| -> String {
        journal
            .iter()
            .filter(|r| r["event"] == "called" && r["call"] == call)
            .map(|r| &r["record"])
            .filter(|r| r["event"] == "step_output" && r["step"] == format!("{call}.{step}"))
            .filter_map(|r| r["line"].as_str())
            .find(|l| l.starts_with("[runbook: "))
            .unwrap_or_else(|| panic!("no marker for {call}.{step}"))
            .to_string()
    };
    for (call, step, wanted) in [
        (
            "call",
            "inner",
            "(32KiB (32768 bytes), set by `output_cap` of playbook `child`)",
        ),
        (
            "call",
            "tight",
            "(4KiB (4096 bytes), set by `output_cap` of step `tight`)",
        ),
        (
            "plain",
            "inner",
            "(48KiB (49152 bytes), set by `output_cap` of step `plain`)",
        ),
    ] {
        let marker = called_marker(call, step);
        assert!(marker.contains(wanted), "{call}.{step}: {marker}");
    }
}

#[test]
fn a_templated_cap_takes_its_size_from_an_input_and_hostile_values_run_nothing() {
    let s = Sandbox::new(&format!(
        "name: caps\ninputs:\n  cap:\n    type: string\n    default: 64KiB\nsteps:\n{}",
        loud("templated", 10, "    output_cap: \"{{inputs.cap}}\"\n"),
    ));
    let run = s.run(&["--input", "cap=16KiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(
        &run,
        "templated",
        16 << 10,
        "`output_cap` of step `templated`",
    );
    let run = s.run(&[]);
    assert_cut(
        &run,
        "templated",
        64 << 10,
        "`output_cap` of step `templated`",
    );

    for hostile in [
        "$(touch pwned)",
        "`touch pwned`",
        "1KiB; touch pwned",
        "'1MiB'",
        "1MiB\ntouch pwned",
        "../../1MiB",
        "# 1MiB",
        "512",
        "1GiB",
    ] {
        let run = s.run(&["--input", &format!("cap={hostile}")]);
        assert_eq!(run.code, 1, "{hostile:?}: {}", run.describe());
        assert_eq!(run.state("templated"), "failed", "{hostile:?}");
        assert!(
            run.message("templated").contains("is not an output cap"),
            "{hostile:?}: {}",
            run.message("templated")
        );
        assert!(!s.path().join("pwned").exists(), "{hostile:?} ran");
        assert!(
            run.events_of("step_output").is_empty(),
            "{hostile:?}: the step ran"
        );
    }
}

#[test]
fn a_resumed_run_keeps_each_steps_cap_after_kill_9() {
    let s = Sandbox::new(&format!(
        "name: caps\noutput_cap: 24KiB\nsteps:\n  - id: first\n    shell: echo first >> lines\n  - id: slow\n    needs: [first]\n    output_cap: 8KiB\n    shell: \"echo slow >> lines; while [ ! -e resumed ]; do sleep 0.05; done; {}\"\n{}",
        printing(5),
        loud("after", 10, "    needs: [slow]\n")
    ));
    let mut child = s
        .command(&["run", "p.yaml"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !s.read("lines").contains("slow") {
        assert!(Instant::now() < deadline, "the slow step never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    // The watchdog has killed the step's group; whatever survived is not
    // left to print once `resumed` exists.
    s.kill_leftovers("resumed");
    std::fs::write(s.path().join("resumed"), "").unwrap();
    let resumed = crate::running::Run::from(
        s.command(&[
            "resume",
            &s.run_id(),
            "--approve",
            "slow",
            "--output",
            "json",
        ])
        .output()
        .unwrap(),
    );
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert_eq!(s.read("lines"), "first\nslow\nslow\n");
    assert_cut(&resumed, "slow", 8 << 10, "`output_cap` of step `slow`");
    assert_cut(
        &resumed,
        "after",
        24 << 10,
        "`output_cap` of playbook `caps`",
    );
}

#[test]
fn pod_logs_and_query_rows_are_cut_at_their_steps_cap() {
    let k8s = crate::harness::k8s::TestK8s::start();
    let pg = crate::harness::postgres::TestPostgres::start();
    let s = Sandbox::new(&format!(
        r#"name: kinds
output_cap: 12KiB
inputs:
  db:
    type: string
    secret: true
    default: "{url}"
steps:
  - id: logs
    k8s:
      operation: logs
      name: alphaswarm-core-7d9f-def34
      container: chatty
    output_cap: 6KiB
  - id: rows
    sql:
      url: "{{{{inputs.db}}}}"
      query: "SELECT g AS n, repeat('y', 100) AS pad FROM generate_series(1, 100000) AS g"
"#,
        url = pg.url
    ));
    let kubeconfig = k8s.kubeconfig.display().to_string();
    let run = Run::from(
        s.command(&["run", "p.yaml", "--output", "json"])
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.describe());
    let logs = &run.finished("logs")["results"];
    assert_eq!(logs["truncated"], true);
    let text = logs["logs"].as_str().unwrap();
    assert!(text.len() <= (6 << 10) + 300, "{}", text.len());
    assert!(
        text.ends_with("[runbook: result cut at the output cap of 6144 bytes (set by `output_cap` of step `logs`); the whole result was larger]\n"),
        "{}",
        &text[text.len().saturating_sub(200)..]
    );
    assert!(run
        .message("logs")
        .contains("6KiB (6144 bytes), set by `output_cap` of step `logs`"));

    let rows = &run.finished("rows")["results"];
    assert_eq!(rows["truncated"], true);
    assert_eq!(rows["row_count"], 100_000);
    let kept = rows["rows"].as_array().unwrap().len();
    // Each row is about 120 bytes as JSON: 12 KiB keeps about a hundred.
    assert!(kept > 10 && kept < 120, "{kept}");
    assert!(
        run.message("rows")
            .contains("12KiB (12288 bytes), set by `output_cap` of playbook `kinds`"),
        "{}",
        run.message("rows")
    );
}

#[test]
fn doc_and_diff_show_output_caps() {
    let s = Sandbox::new(
        "name: caps\noutput_cap: 256KiB\nsteps:\n  - id: health\n    shell: curl -fsS http://localhost/health\n    output_cap: 4KiB\n",
    );
    let doc = s.command(&["doc", "p.yaml"]).output().unwrap();
    let doc = String::from_utf8_lossy(&doc.stdout);
    assert!(doc.contains("Playbook `caps` · output cap 256KiB"), "{doc}");
    assert!(doc.contains("· output cap 4KiB"), "{doc}");
    std::fs::write(
        s.path().join("q.yaml"),
        "name: caps\noutput_cap: 1MiB\nsteps:\n  - id: health\n    shell: curl -fsS http://localhost/health\n    output_cap: 8KiB\n",
    )
    .unwrap();
    let diff = s.command(&["diff", "p.yaml", "q.yaml"]).output().unwrap();
    let diff = String::from_utf8_lossy(&diff.stdout);
    assert!(diff.contains("output_cap: 256KiB -> 1MiB"), "{diff}");
    assert!(diff.contains("output_cap: 4KiB -> 8KiB"), "{diff}");
}

#[test]
fn a_loops_cap_templated_from_its_element_is_read_before_any_element_runs() {
    let s = Sandbox::new(
        "name: caps\nsteps:\n  - id: each\n    for_each: [\"16KiB\", \"$(touch pwned)\"]\n    shell: echo ran >> lines\n    output_cap: \"{{item}}\"\n",
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.state("each"), "failed");
    let message = run.message("each");
    assert!(
        message
            .contains("element [1]: `output_cap` is `$(touch pwned)`, which is not an output cap"),
        "{message}"
    );
    assert_eq!(s.read("lines"), "", "an element ran");
    assert!(!s.path().join("pwned").exists());
}

#[test]
fn a_playbooks_templated_cap_reads_inputs_and_values_and_hostile_values_run_nothing() {
    // The playbook's cap from an input (its default unless the run is
    // given one), for every step that sets none; a computed value that
    // reads no step works the same.
    let s = Sandbox::new(&format!(
        "name: caps\ninputs:\n  cap:\n    type: string\n    default: 64KiB\noutput_cap: \"{{{{inputs.cap}}}}\"\nsteps:\n{}{}",
        loud("first", 10, ""),
        loud("own", 10, "    needs: [first]\n    output_cap: 32KiB\n"),
    ));
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(&run, "first", 64 << 10, "`output_cap` of playbook `caps`");
    assert_cut(&run, "own", 32 << 10, "`output_cap` of step `own`");
    let run = s.run(&["--input", "cap=16KiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(&run, "first", 16 << 10, "`output_cap` of playbook `caps`");

    for hostile in [
        "$(touch pwned)",
        "`touch pwned`",
        "1KiB; touch pwned",
        "1MiB\ntouch pwned",
        "../../1MiB",
        "512",
    ] {
        let run = s.run(&["--input", &format!("cap={hostile}")]);
        assert_eq!(run.code, 1, "{hostile:?}: {}", run.describe());
        assert_eq!(run.state("first"), "failed", "{hostile:?}");
        assert!(
            run.message("first")
                .contains("the playbook's `output_cap` is `"),
            "{hostile:?}: {}",
            run.message("first")
        );
        assert!(!s.path().join("pwned").exists(), "{hostile:?} ran");
        assert!(
            run.events_of("step_output").is_empty(),
            "{hostile:?}: the step ran"
        );
    }

    let s = Sandbox::new(&format!(
        "name: valued\nvars:\n  cap: '\"24KiB\"'\noutput_cap: \"{{{{vars.cap}}}}\"\nsteps:\n{}",
        loud("first", 10, ""),
    ));
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_cut(&run, "first", 24 << 10, "`output_cap` of playbook `valued`");
}
