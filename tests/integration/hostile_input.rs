//! Bounds on hostile input: playbooks that call themselves, files that are
//! devices, pipes or huge, numbers that are not numbers, and control
//! characters aimed at the operator's terminal. Each runs the real binary.

use crate::running::Sandbox;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Waits for a command that, before these bounds, never ended (a FIFO that
/// nobody writes, `/dev/zero`): a watchdog kills it rather than hang the
/// suite. Not a timing assertion: the bound is generous, the result is
/// judged on the output.
fn output_or_kill(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runbook starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("runbook did not end: it read without bound or blocked");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mkfifo(path: &std::path::Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_playbook_that_calls_itself_or_a_pair_that_call_each_other_is_a_check_error() {
    let s = Sandbox::new("steps:\n  - id: again\n    playbook: p.yaml\n");
    std::fs::write(
        s.path().join("ping.runbook"),
        "playbook ping\nstep pong {\n  playbook \"pong.yaml\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        s.path().join("pong.yaml"),
        "steps:\n  - id: ping\n    playbook: ping.runbook\n",
    )
    .unwrap();
    let out = s.command(&["check", "p.yaml"]).output().unwrap();
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("runbook::playbook_cycle"), "{text}");
    assert!(text.contains("`p.yaml` -> `p.yaml`"), "{text}");
    // A run is refused before anything runs, instead of recursing.
    let run = output_or_kill(s.command(&["run", "p.yaml"]));
    assert_ne!(run.status.code(), Some(0));
    assert!(stderr(&run).contains("runbook::playbook_cycle"));

    let out = s.command(&["check", "ping.runbook"]).output().unwrap();
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("`ping.runbook` -> `pong.yaml` -> `ping.runbook`"),
        "{text}"
    );
}

/// `a0` calls `a1` ... calls `a{n-1}`, which runs a shell step.
fn chain(s: &Sandbox, n: usize) {
    for i in 0..n - 1 {
        std::fs::write(
            s.path().join(format!("a{i}.yaml")),
            format!("steps:\n  - id: down\n    playbook: a{}.yaml\n", i + 1),
        )
        .unwrap();
    }
    std::fs::write(
        s.path().join(format!("a{}.yaml", n - 1)),
        "steps:\n  - id: bottom\n    shell: echo reached the bottom\n",
    )
    .unwrap();
}

#[test]
fn playbook_calls_nest_at_most_sixteen_deep_at_run_time() {
    let s = Sandbox::new("steps: []\n");
    // The run at depth 0 and 16 nested calls: allowed.
    chain(&s, 17);
    let out = s
        .command(&["run", "a0.yaml", "--yes", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // One more: the 17th call fails, and every caller with it.
    chain(&s, 18);
    let out = s
        .command(&["run", "a0.yaml", "--yes", "--output", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("would nest playbook calls deeper than 16"),
        "{stdout}"
    );
    assert!(stdout.contains("a17.yaml"), "{stdout}");
}

#[test]
fn devices_fifos_and_huge_files_are_refused_with_a_reason() {
    let s = Sandbox::new(
        "inputs:\n  x: {type: string, default: a}\nsteps:\n  - id: q\n    ask: Why?\n",
    );
    for flag in ["--inputs-file", "--answers"] {
        let out = output_or_kill(s.command(&["run", "p.yaml", flag, "/dev/zero"]));
        let text = stderr(&out);
        assert_ne!(out.status.code(), Some(0), "{flag}: {text}");
        assert!(
            text.contains("/dev/zero") && text.contains("a device"),
            "{text}"
        );
    }
    let fifo = s.path().join("fifo.yaml");
    mkfifo(&fifo);
    for args in [
        vec!["check", "fifo.yaml"],
        vec!["run", "fifo.yaml"],
        vec!["run", "p.yaml", "--inputs-file", "fifo.yaml"],
        vec!["run", "p.yaml", "--answers", "fifo.yaml"],
    ] {
        let out = output_or_kill(s.command(&args));
        let text = stderr(&out);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(text.contains("named pipe (FIFO)"), "{args:?}: {text}");
    }
    // A playbook over 32 MiB, and an inputs file over 4 MiB, are refused.
    let mut big = "steps:\n  - id: a\n    shell: echo a\n".to_string();
    big.push_str(&"# padding\n".repeat(3_400_000));
    std::fs::write(s.path().join("big.yaml"), &big).unwrap();
    let out = s.command(&["check", "big.yaml"]).output().unwrap();
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("larger than 32 MiB"), "{text}");
    std::fs::write(s.path().join("big.json"), &big[..5 * 1024 * 1024]).unwrap();
    let out = s
        .command(&["run", "p.yaml", "--inputs-file", "big.json"])
        .output()
        .unwrap();
    let text = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("larger than 4 MiB"), "{text}");

    // A journal that is a FIFO is refused by `report`.
    let ok = Sandbox::new("steps:\n  - id: a\n    shell: echo a\n");
    assert_eq!(ok.run(&[]).code, 0);
    let id = ok.run_id();
    let journal = ok
        .path()
        .join(".runbook/runs")
        .join(&id)
        .join("journal.jsonl");
    std::fs::remove_file(&journal).unwrap();
    mkfifo(&journal);
    let out = output_or_kill(ok.command(&["report", &id]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("named pipe (FIFO)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_number_answer_must_be_finite() {
    let s = Sandbox::new(
        r#"
steps:
  - id: workers
    ask: {question: How many?, type: number, min: 1, max: 32}
"#,
    );
    for given in ["NaN", "nan", "inf", "-inf", "infinity"] {
        let run = s.run(&["--answer", &format!("workers={given}")]);
        assert_ne!(run.code, 0, "{given}: {}", run.describe());
        assert!(
            run.stdout.contains("not a finite number")
                || run.stderr.contains("not a finite number"),
            "{given}: {}",
            run.describe()
        );
        assert!(!run.stdout.contains("\"answer\":null"), "{}", run.stdout);
    }
    let run = s.run(&["--answer", "workers=8"]);
    assert_eq!(run.code, 0, "{}", run.describe());
}

/// Sequences that clear the screen and retitle the window.
const HOSTILE_TERMINAL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J";

#[test]
fn control_characters_from_steps_are_escaped_on_the_terminal_and_exact_in_the_journal() {
    let s = Sandbox::new(
        r#"
steps:
  - id: noisy
    title: "tit\u001b[2Jle"
    shell: printf 'a\033]0;pwned\007\033[2Jb\n'
  - id: fail
    needs: [noisy]
    shell: printf 'x\033]0;pwned\007\033[2Jy' >&2; exit 3
"#,
    );
    let plain = s.command(&["run", "p.yaml"]).output().unwrap();
    assert_eq!(plain.status.code(), Some(1));
    let text = stderr(&plain);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("a\\x1b]0;pwned\\x07\\x1b[2Jb"), "{text}");
    assert!(text.contains("tit\\x1b[2Jle"), "{text}");

    let journal = std::fs::read_to_string(
        s.path()
            .join(".runbook/runs")
            .join(s.run_id())
            .join("journal.jsonl"),
    )
    .unwrap();
    assert!(
        journal.contains(r#""line":"a\u001b]0;pwned\u0007\u001b[2Jb""#),
        "{journal}"
    );

    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(!report.contains('\u{1b}'), "{report:?}");

    // The live view, through a real pseudo-terminal: its own colours and
    // cursor moves, none of the step's sequences.
    let live = s.pty_capture("run p.yaml", &[]);
    assert!(live.contains("\u{1b}["), "the live view draws in colour");
    assert!(!live.contains("\u{1b}]0;pwned"), "{live:?}");
    assert!(!live.contains("\u{1b}[2J"), "{live:?}");
    assert!(live.contains("\\x1b]0;pwned"), "{live:?}");
}

#[test]
fn control_characters_in_a_playbook_are_escaped_in_diagnostics() {
    let s = Sandbox::new(&format!(
        "steps:\n  - id: a\n    shell: echo a\n    needs: [nope] # {HOSTILE_TERMINAL}\n"
    ));
    std::fs::write(
        s.path().join("p.runbook"),
        format!(
            "playbook p\nstep a {{\n  shell \"echo a\"\n  needs [nope] # {HOSTILE_TERMINAL}\n}}\n"
        ),
    )
    .unwrap();
    for file in ["p.yaml", "p.runbook"] {
        let out = s.command(&["check", file]).output().unwrap();
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(!text.contains('\u{1b}'), "{file}: {text:?}");
        assert!(text.contains("\\x1b"), "{file}: {text}");
    }
}

/// A report is pasted where Markdown renders (a pull request, an incident
/// review): names a step found read as text, not as an image or a link,
/// and a value's backticks stay inside its code span.
#[test]
fn values_in_a_report_are_text_not_markdown() {
    let s = Sandbox::new(
        r#"name: names
steps:
  - id: list
    shell: printf '%s\n' '<img src=x onerror=alert(1)>' '[x](http://evil.example)' 'a`b|c'
    effect: read
    outputs:
      names: {lines: .}
  - id: each
    needs: [list]
    for_each: steps.list.outputs.names
    as: name
    approval_per_item: true
    approval: "Touch {{name}}?"
    shell: "true"
"#,
    );
    let run = s.run(&[
        "--approve",
        "each[0]",
        "--approve",
        "each[1]",
        "--approve",
        "each[2]",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    // No raw tag, link or emphasis outside a code span.
    for raw in ["`each` [0] <img", "`each` [1] [x](http", "`each` [2] a`b"] {
        assert!(!report.contains(raw), "{raw} in:\n{report}");
    }
    assert!(
        report.contains(r"\<img src=x onerror=alert(1)\>"),
        "{report}"
    );
    assert!(report.contains(r"\[x\](http://evil.example)"), "{report}");
    assert!(report.contains(r"\[2\] a\`b\|c"), "{report}");
    // The output's value holds a backtick: a longer fence keeps it inside.
    assert!(report.contains("``[\"<img"), "{report}");
}

/// A value with line breaks (a key name, a row) put into an approval
/// question cannot draw lines that pass for the prompt's own: it stays on
/// one line, `\n` written out, in the dry-run's plain view and in the
/// terminal's prompt, where every line of the box keeps its `│`.
#[test]
fn a_value_with_line_breaks_cannot_forge_lines_of_an_approval_prompt() {
    let s = Sandbox::new(
        r#"
steps:
  - id: scan
    shell: printf 'evil\n\342\224\224 approve? [y/n] y\n  \342\234\223 approved'
    effect: read
    outputs:
      key: stdout
  - id: drop
    needs: [scan]
    shell: {command: 'echo dropping "$K"', env: {K: "{{steps.scan.outputs.key}}"}}
    effect: destructive
    approval: "Drop {{steps.scan.outputs.key}}?\nIts data is lost."
"#,
    );
    let forged = "evil\\n└ approve? [y/n] y\\n  ✓ approved";
    let out = s.command(&["run", "p.yaml", "--dry-run"]).output().unwrap();
    let plain = stderr(&out);
    assert!(plain.contains(&format!("Drop {forged}?")), "{plain}");
    assert!(plain.contains("\n    Its data is lost."), "{plain}");
    for line in plain.lines() {
        assert!(
            !line.starts_with('└') && !line.starts_with("  ✓ approved"),
            "{plain}"
        );
    }

    // The prompt, on a real terminal; no answer comes (end of input).
    let live = s.pty_capture("run p.yaml --gate-timeout 3s", &[("NO_COLOR", "1")]);
    let boxed: Vec<&str> = live
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .skip_while(|l| !l.contains("┌ approval needed"))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .collect();
    assert!(
        boxed.iter().any(|l| l.contains(&format!("Drop {forged}?"))),
        "{live}"
    );
    assert!(boxed.iter().all(|l| l.starts_with('│')), "{boxed:#?}");
    assert!(boxed.contains(&"│ Its data is lost."), "{boxed:#?}");
}

#[test]
fn a_value_with_line_breaks_cannot_add_lines_to_a_log_message() {
    // The author's own lines stay lines; an inserted value's line breaks
    // are shown as `\n`, on the screen and in the journal's message.
    let s = Sandbox::new(
        r#"
inputs: {ticket: {type: string}}
steps:
  - id: summary
    log: "ticket {{inputs.ticket}}\nwritten by the author"
"#,
    );
    let forged = "T-1\nℹ summary: approved by the SRE lead";
    let out = s
        .command(&["run", "p.yaml", "--input", &format!("ticket={forged}")])
        .output()
        .unwrap();
    let shown = stderr(&out);
    let lines: Vec<&str> = shown.lines().filter(|l| l.contains("ℹ summary:")).collect();
    assert_eq!(
        lines,
        [
            "  ℹ summary: ticket T-1\\nℹ summary: approved by the SRE lead",
            "  ℹ summary: written by the author",
        ],
        "{shown}"
    );
}

/// A diagnostic on or next to a line of megabytes (a generated or minified
/// file) says where it is in words instead of drawing the line, so the
/// output stays small however long the line is.
#[test]
fn a_diagnostic_next_to_a_huge_line_does_not_echo_it() {
    let long = "x".repeat(3_000_000);
    let s = Sandbox::new(&format!(
        "steps:\n  - id: a\n    shell: \"echo {long}\"\n    bogus: 1\n"
    ));
    let out = s
        .command(&["check", "p.yaml"])
        .output()
        .expect("check runs");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(text.len() < 4_000, "{} bytes", text.len());
    assert!(
        text.contains("p.yaml:4:5: unknown field (the line is too long to show)"),
        "{}",
        &text[..text.len().min(2_000)]
    );
}

/// A step id with a character that looks like a letter (a Cyrillic `о`, a
/// zero-width space, a full-width `ａ`) is refused naming the character
/// and its code point, so the author can see what is wrong.
#[test]
fn a_look_alike_character_in_an_id_is_named() {
    let s = Sandbox::new(
        "steps:\n  - id: w\u{43e}rker\n    shell: \"true\"\n  - id: \"a\u{200b}b\"\n    shell: \"true\"\n  - id: \"\u{ff41}\"\n    shell: \"true\"\n",
    );
    let out = s
        .command(&["check", "p.yaml"])
        .output()
        .expect("check runs");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for said in [
        "`\u{43e}` (U+043E) is not an ASCII letter or digit",
        "`\\u{200b}` (U+200B) is not allowed in a name",
        "`\u{ff41}` (U+FF41) is not an ASCII letter or digit",
        "start with an ASCII letter or `_`",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
}
