//! A line longer than the reader's piece size (64 KiB) reaches the journal
//! as several `step_output` records, each after the first marked
//! `continues`; the step's `stdout` result is rebuilt from them, so a
//! 10 MB line is journaled once (not twice), comes back byte for byte on
//! resume, and a secret printed across a cut stays masked.

use crate::harness::http::TestHttp;
use crate::running::Sandbox;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The reader's piece size (`Captured::longest_line` under a cap of at
/// least 128 KiB).
const PIECE: usize = 64 * 1024;

fn journal_bytes(s: &Sandbox) -> u64 {
    let runs = s.path().join(".runbook/runs");
    let dir = std::fs::read_dir(&runs).unwrap().flatten().next().unwrap();
    std::fs::metadata(dir.path().join("journal.jsonl"))
        .unwrap()
        .len()
}

/// The digits of 1, 2, 3, ... written one after the other, `len` bytes.
fn digits(len: usize) -> String {
    let mut text = String::with_capacity(len + 8);
    let mut n = 1u64;
    while text.len() < len {
        text.push_str(&n.to_string());
        n += 1;
    }
    text.truncate(len);
    text
}

/// A step's text as its `step_output` records hold it: lines joined by
/// `\n` (`\r\n` after a line marked `crlf`), a `continues` piece joined
/// to the previous one of its stream.
fn joined(records: &[Value], step: &str, stream: &str) -> String {
    let mut text: Option<String> = None;
    let mut crlf = false;
    for r in records {
        if r["event"] != "step_output" || r["step"] != step || r["stream"] != stream {
            continue;
        }
        let line = r["line"].as_str().unwrap();
        match &mut text {
            Some(t) => {
                if r["continues"] != true {
                    t.push_str(if crlf { "\r\n" } else { "\n" });
                }
                t.push_str(line);
            }
            None => text = Some(line.to_string()),
        }
        crlf = r["crlf"] == true;
    }
    text.unwrap_or_default()
}

fn finished<'a>(records: &'a [Value], step: &str) -> &'a Value {
    records
        .iter()
        .rev()
        .find(|r| r["event"] == "step_finished" && r["step"] == step)
        .unwrap_or_else(|| panic!("no end of {step}"))
}

/// A playbook whose step `long` prints `shell`, then a step that waits to
/// be killed, then two steps of the resumed run reading `long`'s stdout:
/// one checks its length, one posts it to `url` (byte for byte).
fn playbook(shell: &str, len: usize, url: &str, sleep: &str) -> String {
    format!(
        r#"
name: long
steps:
  - id: long
    shell: {shell:?}
  - id: pause
    needs: [long]
    shell: "touch paused; if [ ! -f resumed ]; then {sleep}; fi"
  - id: sized
    needs: [pause]
    when: len(steps.long.stdout) == {len}
    shell: echo the length is right
  - id: post
    needs: [sized]
    http:
      url: "{url}/long-line"
      method: POST
      body: "{{{{steps.long.stdout}}}}"
"#
    )
}

/// Runs the playbook, SIGKILLs runbook once `long` has ended (while
/// `pause` waits), then resumes it; returns the sandbox and what the
/// resumed run posted.
fn killed_and_resumed(shell: &str, expected: &str, cap: &str) -> (Sandbox, u64) {
    killed_edited_and_resumed(shell, expected, cap, |_| {})
}

/// The same, with `edit` applied to the journal between the kill and the
/// resume.
fn killed_edited_and_resumed(
    shell: &str,
    expected: &str,
    cap: &str,
    edit: impl FnOnce(&Sandbox),
) -> (Sandbox, u64) {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let sleep = format!(
        "sleep 37.{}{:03}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let server = TestHttp::start();
    let s = Sandbox::new(&playbook(
        shell,
        expected.chars().count(),
        &server.url,
        &sleep,
    ));
    let mut child = s
        .command(&["run", "p.yaml", "--output-cap", cap])
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !s.path().join("paused").exists() {
        assert!(Instant::now() < deadline, "timed out waiting for `pause`");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    s.kill_leftovers(&sleep);
    let size = journal_bytes(&s);

    // The killed run journaled `long`'s end with its stdout left out.
    let journal = s.journal();
    let end = finished(&journal, "long");
    assert_eq!(end["state"], "succeeded", "{end}");
    assert!(
        end["results"].get("stdout").is_none(),
        "stored twice: {end}"
    );
    assert_eq!(joined(&journal, "long", "stdout"), expected);

    edit(&s);
    std::fs::write(s.path().join("resumed"), "").unwrap();
    let resumed = s
        .command(&[
            "resume",
            &s.run_id(),
            "--approve",
            "pause",
            "--output-cap",
            cap,
        ])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let journal = s.journal();
    assert_eq!(finished(&journal, "sized")["state"], "succeeded");
    assert_eq!(finished(&journal, "post")["state"], "succeeded");
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0] == expected,
        "the restored stdout differs: {} bytes, expected {}",
        bodies[0].len(),
        expected.len()
    );
    (s, size)
}

#[test]
fn a_ten_megabyte_line_is_journaled_once_and_restored_byte_for_byte() {
    let expected = digits(10_000_000);
    let (s, size) = killed_and_resumed(
        "seq 1 2000000 | tr -d '\\n' | head -c 10000000; echo",
        &expected,
        "16MiB",
    );
    // About the line once (10 MB plus ~150 records of framing), where it
    // used to be journaled twice (20 MB).
    assert!(size > 10_000_000, "journal is {size} bytes");
    assert!(size < 10_500_000, "journal is {size} bytes");
    let journal = s.journal();
    let pieces: Vec<&Value> = journal
        .iter()
        .filter(|r| r["event"] == "step_output" && r["step"] == "long")
        .collect();
    assert_eq!(pieces.len(), 10_000_000usize.div_ceil(PIECE));
    assert!(pieces[0].get("continues").is_none());
    assert!(pieces[1..].iter().all(|p| p["continues"] == true));

    // `runbook report` of the run reads it.
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    assert_eq!(report.status.code(), Some(0));
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("`long`"), "{report}");
    assert!(report.contains("`post`"), "{report}");
}

#[test]
fn lines_at_and_around_the_piece_size_rebuild_exactly() {
    // A line of exactly the piece size, one of the piece size + 1, one of
    // three pieces and a bit, stderr between them, and a last line without
    // a newline.
    let shell = format!(
        "head -c {PIECE} /dev/zero | tr '\\0' a; echo; echo err-1 >&2; \
         head -c {} /dev/zero | tr '\\0' b; echo; \
         head -c {} /dev/zero | tr '\\0' c; echo err-2 >&2; echo; \
         printf 'the end, no newline'",
        PIECE + 1,
        3 * PIECE + 5
    );
    let expected = format!(
        "{}\n{}\n{}\nthe end, no newline",
        "a".repeat(PIECE),
        "b".repeat(PIECE + 1),
        "c".repeat(3 * PIECE + 5)
    );
    let (s, _) = killed_and_resumed(&shell, &expected, "1MiB");
    let journal = s.journal();
    let end = finished(&journal, "long");
    assert_eq!(
        end["output_in_lines"],
        serde_json::json!(["stdout", "stderr"]),
        "{end}"
    );
    assert_eq!(joined(&journal, "long", "stderr"), "err-1\nerr-2");
}

#[test]
fn output_cut_by_the_cap_with_long_lines_is_stored_once() {
    // A 1 MiB line (16 pieces), then a last line: the cap of 512 KiB keeps
    // a head and a tail of pieces, each continuing the one before, with
    // the marker line between them.
    let s = Sandbox::new(
        "name: cut\nsteps:\n  - id: long\n    shell: \"head -c 1048576 /dev/zero | tr '\\\\0' x; echo; echo last\"\n",
    );
    let run = s.run(&["--output-cap", "512KiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let stdout = run.finished("long")["results"]["stdout"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stdout.starts_with(&"x".repeat(2 * PIECE)));
    assert!(stdout.contains("x\n[runbook: "), "a marker line");
    assert!(stdout.ends_with(&format!("{}\nlast", "x".repeat(2 * PIECE))));
    let journal = s.journal();
    let end = finished(&journal, "long");
    assert!(end["results"].get("stdout").is_none(), "stored twice");
    assert_eq!(joined(&journal, "long", "stdout"), stdout);
    assert!(journal_bytes(&s) < 600 * 1024, "{}", journal_bytes(&s));
}

#[test]
fn output_with_crlf_is_stored_once() {
    // Each line says it ended with `\r\n` (`crlf`), so the lines rebuild
    // the result: it is left out of `step_finished` (it used to be stored
    // twice).
    let s = Sandbox::new(
        "name: crlf\nsteps:\n  - id: long\n    shell: \"printf 'one\\\\r\\\\ntwo\\\\r\\\\n'\"\n",
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.finished("long")["results"]["stdout"], "one\r\ntwo");
    let journal = s.journal();
    let end = finished(&journal, "long");
    assert!(
        end["results"].get("stdout").is_none(),
        "stored twice: {end}"
    );
    assert_eq!(joined(&journal, "long", "stdout"), "one\r\ntwo");
    let lines: Vec<&Value> = journal
        .iter()
        .filter(|r| r["event"] == "step_output" && r["step"] == "long")
        .collect();
    assert_eq!(lines[0]["line"], "one");
    assert_eq!(lines[0]["crlf"], true);
}

#[test]
fn crlf_lines_long_and_short_are_journaled_once_and_restored_byte_for_byte() {
    // A CRLF line of three pieces and a bit, a line ending `\r\r\n`, a
    // `\r` inside a line, an empty CRLF line, an LF line, and a last CRLF
    // line (its ending is not in the result, as for `\n`).
    let shell = format!(
        "printf 'first\\r\\n'; head -c {} /dev/zero | tr '\\0' x; printf '\\r\\n'; \
         printf 'cr\\r\\r\\nmid\\rdle\\r\\n\\r\\nlf\\nlast\\r\\n'",
        3 * PIECE + 7
    );
    let expected = format!(
        "first\r\n{}\r\ncr\r\r\nmid\rdle\r\n\r\nlf\nlast",
        "x".repeat(3 * PIECE + 7)
    );
    let (s, size) = killed_and_resumed(&shell, &expected, "1MiB");
    assert!(
        size < (expected.len() as u64) + 20_000,
        "journal is {size} bytes"
    );
    let journal = s.journal();
    let end = finished(&journal, "long");
    assert_eq!(
        end["output_in_lines"],
        serde_json::json!(["stdout", "stderr"]),
        "{end}"
    );
}

#[test]
fn invalid_utf8_in_a_long_line_is_journaled_once_and_restored_byte_for_byte() {
    // A character written in two parts around the 64 KiB cut (the reader
    // sees its first byte, then the rest after a pause), invalid bytes
    // around it and across the next cut, a lone continuation byte: every
    // piece decodes as the whole line does.
    let shell = format!(
        "head -c {} /dev/zero | tr '\\0' a; printf '\\342'; sleep 0.3; \
         printf '\\202\\254\\377b\\200'; head -c {} /dev/zero | tr '\\0' c; \
         printf '\\360\\237'; sleep 0.3; printf '\\230\\200\\376\\n\\300end\\n'",
        PIECE - 2,
        PIECE - 9
    );
    let mut raw: Vec<u8> = vec![b'a'; PIECE - 2];
    raw.extend_from_slice(b"\xe2\x82\xac\xffb\x80");
    raw.extend(std::iter::repeat_n(b'c', PIECE - 9));
    raw.extend_from_slice(b"\xf0\x9f\x98\x80\xfe\n\xc0end");
    let expected = String::from_utf8_lossy(&raw).into_owned();
    assert!(expected.contains('€') && expected.contains('😀'));
    let (s, _) = killed_and_resumed(&shell, &expected, "1MiB");
    let journal = s.journal();
    let pieces = journal
        .iter()
        .filter(|r| r["event"] == "step_output" && r["step"] == "long")
        .count();
    assert!(pieces >= 3, "{pieces} records");
}

#[test]
fn a_secret_printed_across_a_cut_stays_masked() {
    const TOKEN: &str = "Zq9-straddling-secret-Xw7";
    // The token starts 9 bytes before the 64 KiB cut.
    let s = Sandbox::new(&format!(
        r#"
name: straddle
inputs:
  token: {{type: string, secret: true, env: RB_STRADDLE_TOKEN}}
steps:
  - id: long
    shell:
      command: "head -c {} /dev/zero | tr '\\0' a; printf '%s' \"$T\"; head -c 100 /dev/zero | tr '\\0' b; echo; echo done"
      env: {{T: "{{{{inputs.token}}}}"}}
"#,
        PIECE - 9
    ));
    let out = s
        .command(&["run", "p.yaml", "--output", "json"])
        .env("RB_STRADDLE_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let journal = std::fs::read_to_string(
        std::fs::read_dir(s.path().join(".runbook/runs"))
            .unwrap()
            .flatten()
            .next()
            .unwrap()
            .path()
            .join("journal.jsonl"),
    )
    .unwrap();
    let texts = [
        ("journal", journal.clone()),
        ("--output json", String::from_utf8_lossy(&out.stdout).into()),
        ("stderr", String::from_utf8_lossy(&out.stderr).into()),
        ("report", String::from_utf8_lossy(&report.stdout).into()),
    ];
    // Neither the token nor either side of the cut in it.
    for (name, text) in &texts {
        for part in [TOKEN, &TOKEN[..9], &TOKEN[9..]] {
            assert!(!text.contains(part), "{name} holds {part:?}");
        }
    }
    let records: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let masked = format!("{}***{}", "a".repeat(PIECE - 9), "b".repeat(100));
    assert_eq!(
        joined(&records, "long", "stdout"),
        format!("{masked}\ndone")
    );
    // The masked pieces rebuild the masked result: stored once.
    let end = finished(&records, "long");
    assert!(end["results"].get("stdout").is_none(), "{end}");
}

#[test]
fn a_loops_elements_are_journaled_once_and_restored_byte_for_byte() {
    // Two elements run at once and their pieces interleave under the
    // step's id; each `step_output` names its element (`item`), so each
    // element's stdout is rebuilt from its own lines: left out of its
    // `item_finished` and of the loop's `step_finished` (it used to be
    // stored three times). Killed with SIGKILL after the loop, resumed, a
    // step posts both elements' stdout to a real HTTP server.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let sleep = format!(
        "sleep 43.{}{:03}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let server = TestHttp::start();
    let s = Sandbox::new(&format!(
        r#"
name: loop
steps:
  - id: each
    for_each: ["a", "b"]
    parallel: 2
    shell: "head -c {} /dev/zero | tr '\\0' {{{{item}}}}; printf '\\r\\n'; echo tail-{{{{item}}}}"
  - id: pause
    needs: [each]
    shell: "touch paused; if [ ! -f resumed ]; then {sleep}; fi"
  - id: post
    needs: [pause]
    http:
      url: "{}/loop"
      method: POST
      body: "{{{{steps.each.results.[0].stdout}}}}|{{{{steps.each.results.[1].stdout}}}}"
"#,
        2 * PIECE + 3,
        server.url
    ));
    s.run_until_killed(&[], "paused", &sleep);
    let journal = s.journal();
    for index in 0..2 {
        let item = journal
            .iter()
            .find(|r| r["event"] == "item_finished" && r["index"] == index)
            .unwrap();
        assert!(
            item["results"].get("stdout").is_none(),
            "stored twice: {item}"
        );
        assert_eq!(
            item["output_in_lines"],
            serde_json::json!(["stdout", "stderr"])
        );
        let pieces = journal
            .iter()
            .filter(|r| r["event"] == "step_output" && r["item"] == index)
            .count();
        assert_eq!(pieces, 4, "three pieces and a line");
    }
    let end = finished(&journal, "each");
    assert_eq!(end["state"], "succeeded", "{end}");
    let entries = end["results"]["results"].as_array().unwrap();
    assert!(entries.iter().all(|e| e.get("stdout").is_none()), "{end}");
    let size = journal_bytes(&s);
    assert!(
        size < 2 * (2 * PIECE as u64) + 20_000,
        "journal is {size} bytes"
    );

    std::fs::write(s.path().join("resumed"), "").unwrap();
    let resumed = s
        .command(&["resume", &s.run_id(), "--approve", "pause"])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let element = |letter: &str| format!("{}\r\ntail-{letter}", letter.repeat(2 * PIECE + 3));
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0] == format!("{}|{}", element("a"), element("b")),
        "the restored stdout differs: {} bytes",
        bodies[0].len()
    );
}

/// The journal file of the sandbox's only run.
fn journal_path(s: &Sandbox) -> std::path::PathBuf {
    let runs = s.path().join(".runbook/runs");
    let dir = std::fs::read_dir(&runs).unwrap().flatten().next().unwrap();
    dir.path().join("journal.jsonl")
}

#[test]
fn a_journal_written_before_pieces_were_marked_resumes_and_reports() {
    // What the binary before `continues` wrote for a long line: its pieces
    // as lines of their own, and the stdout result stored whole.
    let expected = digits(3 * PIECE + 11);
    let as_before = |s: &Sandbox| {
        let mut lines = Vec::new();
        for mut r in s.journal() {
            if let Some(record) = r.as_object_mut() {
                record.remove("continues");
            }
            if r["event"] == "step_finished" && r["step"] == "long" {
                r["results"]["stdout"] = Value::from(expected.clone());
                r["output_in_lines"] = serde_json::json!(["stderr"]);
            }
            lines.push(serde_json::to_string(&r).unwrap());
        }
        std::fs::write(journal_path(s), lines.join("\n") + "\n").unwrap();
        assert!(!std::fs::read_to_string(journal_path(s))
            .unwrap()
            .contains("continues"));
    };
    let (s, _) = killed_edited_and_resumed(
        &format!(
            "seq 1 100000 | tr -d '\\n' | head -c {}; echo",
            expected.len()
        ),
        &expected,
        "1MiB",
        as_before,
    );
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    assert_eq!(report.status.code(), Some(0));
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("`post`"), "{report}");
}

#[test]
fn secrets_stay_masked_across_cuts_crlf_and_invalid_utf8() {
    const TOKEN: &str = "Zq9-straddling-secret-Xw7";
    const PEM: &str = "line-one-of-a-multi-line-secret\nline-two-of-a-multi-line-secret";
    // Line 1: the token across the 64 KiB cut, then `\r\n`. Line 2: the
    // token between invalid bytes, across the next cut. Then the
    // multi-line secret printed with `\r\n` line endings, and the token
    // right before a CRLF cut in two by the pipe.
    let s = Sandbox::new(&format!(
        r#"
name: secrets
inputs:
  token: {{type: string, secret: true, env: RB_PIECE_TOKEN}}
  pem: {{type: string, secret: true, env: RB_PIECE_PEM}}
steps:
  - id: long
    shell:
      command: "head -c {} /dev/zero | tr '\\0' a; printf '%s\\r\\n' \"$T\"; head -c {} /dev/zero | tr '\\0' b; printf '\\377%s\\376' \"$T\"; printf 'tail\\n'; printf '%s\\n' \"$P\" | sed 's/$/\\r/'; printf '%s\\r' \"$T\"; sleep 0.3; printf '\\n'; echo done"
      env: {{T: "{{{{inputs.token}}}}", P: "{{{{inputs.pem}}}}"}}
"#,
        PIECE - 9,
        PIECE - 12
    ));
    let out = s
        .command(&["run", "p.yaml", "--output", "json"])
        .env("RB_PIECE_TOKEN", TOKEN)
        .env("RB_PIECE_PEM", PEM)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let journal = std::fs::read_to_string(journal_path(&s)).unwrap();
    let texts = [
        ("journal", journal.clone()),
        ("--output json", String::from_utf8_lossy(&out.stdout).into()),
        ("stderr", String::from_utf8_lossy(&out.stderr).into()),
        ("report", String::from_utf8_lossy(&report.stdout).into()),
    ];
    let pem_lines: Vec<&str> = PEM.lines().collect();
    for (name, text) in &texts {
        for part in [TOKEN, &TOKEN[..9], &TOKEN[9..], pem_lines[0], pem_lines[1]] {
            assert!(!text.contains(part), "{name} holds {part:?}");
        }
    }
    let records: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected = format!(
        "{}***\r\n{}\u{fffd}***\u{fffd}tail\n***\r\n***\r\n***\r\ndone",
        "a".repeat(PIECE - 9),
        "b".repeat(PIECE - 12)
    );
    assert_eq!(joined(&records, "long", "stdout"), expected);
    // The masked pieces rebuild the masked result: stored once.
    let end = finished(&records, "long");
    assert!(end["results"].get("stdout").is_none(), "{end}");
    let run_end = texts[1]
        .1
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["event"] == "step_finished")
        .unwrap();
    assert_eq!(run_end["results"]["stdout"], expected);
}

#[test]
fn the_plain_view_shows_a_long_line_as_one_line() {
    const TOKEN: &str = "Zq9-straddling-secret-Xw7";
    // A 200 KiB line, the token across the first 64 KiB cut, ended by
    // `\r\n`; then a short CRLF line. stderr is a pipe: the plain view.
    let tail = 200 * 1024 - PIECE;
    let s = Sandbox::new(&format!(
        r#"
name: plain
inputs:
  token: {{type: string, secret: true, env: RB_PLAIN_TOKEN}}
steps:
  - id: long
    shell:
      command: "head -c {} /dev/zero | tr '\\0' a; printf '%s' \"$T\"; head -c {tail} /dev/zero | tr '\\0' b; printf '\\r\\n'; printf 'done\\r\\n'"
      env: {{T: "{{{{inputs.token}}}}"}}
"#,
        PIECE - 9
    ));
    let out = s
        .command(&["run", "p.yaml"])
        .env("RB_PLAIN_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for part in [TOKEN, &TOKEN[..9], &TOKEN[9..]] {
        assert!(!stderr.contains(part), "stderr holds {part:?}");
    }
    // The line came in four pieces (the journal says so) and is shown as
    // one line, whole, the token masked; no `\r` is left in it.
    let records = s.journal();
    let pieces = records
        .iter()
        .filter(|r| r["event"] == "step_output" && r["step"] == "long")
        .count();
    assert!(pieces >= 4, "{pieces} records");
    let long: Vec<&str> = stderr.lines().filter(|l| l.contains("aaaa")).collect();
    let expected = format!("  │ {}***{}", "a".repeat(PIECE - 9), "b".repeat(tail));
    assert_eq!(long.len(), 1, "{} lines hold the long line", long.len());
    assert!(
        long[0] == expected,
        "the shown line differs from the line printed"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let at = lines.iter().position(|l| l.contains("aaaa")).unwrap();
    assert_eq!(lines[at + 1], "  │ done", "{stderr}");
    assert!(!stderr.contains('\r'));
}
