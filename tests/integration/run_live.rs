//! The terminal as an operator sees it, through a real pseudo-terminal
//! (`script(1)`): the live view of running steps, and `manual` steps
//! confirmed at the prompt.

use crate::running::{binary, Sandbox};
use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// `runbook` running under `script`, read as it prints.
struct Pty {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Vec<u8>>,
    /// Everything printed so far, escape sequences removed.
    screen: String,
    /// How much of `screen` earlier `expect`s consumed.
    seen: usize,
}

impl Pty {
    /// `color`: without `NO_COLOR`, so the live view is drawn.
    fn start(s: &Sandbox, args: &str, color: bool) -> Pty {
        let command = format!("{} {args}", binary().display());
        let mut cmd = Command::new("script");
        cmd.args(["-qefc", &command, "/dev/null"])
            .current_dir(s.path())
            .env("USER", "tester")
            .env("COLUMNS", "100")
            // See `Sandbox::pty_capture`: an unset TERM reads as `dumb`.
            .env("TERM", "xterm")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !color {
            cmd.env("NO_COLOR", "1");
        }
        let mut child = cmd.spawn().expect("script(1) from util-linux");
        let mut stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            child,
            stdin,
            rx,
            screen: String::new(),
            seen: 0,
        }
    }

    fn pump(&mut self, wait: Duration) -> bool {
        match self.rx.recv_timeout(wait) {
            Ok(chunk) => {
                self.screen
                    .push_str(&plain(&String::from_utf8_lossy(&chunk)));
                true
            }
            Err(_) => false,
        }
    }

    /// Waits for `text` after what was already consumed; returns what was
    /// printed up to and including it.
    fn expect(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(at) = self.screen[self.seen..].find(text) {
                let end = self.seen + at + text.len();
                let before = self.screen[self.seen..end].to_string();
                self.seen = end;
                return before;
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} in:\n{}",
                &self.screen[self.seen..]
            );
            self.pump(Duration::from_millis(100));
        }
    }

    /// What is printed during the next `time`.
    fn during(&mut self, time: Duration) -> String {
        let deadline = Instant::now() + time;
        while Instant::now() < deadline {
            self.pump(Duration::from_millis(50));
        }
        let printed = self.screen[self.seen..].to_string();
        self.seen = self.screen.len();
        printed
    }

    fn send(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        self.stdin.flush().unwrap();
    }

    /// The exit code, and what was printed after the last `expect`.
    fn wait(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        while self.pump(Duration::from_millis(200)) {}
        (
            status.code().unwrap_or(-1),
            self.screen[self.seen..].to_string(),
        )
    }
}

/// The text without ANSI escape sequences (colours, cursor moves), with
/// carriage returns as line ends.
fn plain(text: &str) -> String {
    let escapes = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap();
    escapes.replace_all(text, "").replace('\r', "\n")
}

const BUILD: &str = r#"
steps:
  - id: build
    title: Build the thing
    shell: for i in 1 2 3 4 5 6; do echo "line-$i"; sleep 0.25; done; sleep 0.5
  - id: ship
    title: Ship it
    needs: [build]
    shell: echo shipped
"#;

#[test]
fn the_live_view_shows_running_steps_their_time_and_the_tail_of_their_output() {
    let s = Sandbox::new(BUILD);
    let mut pty = Pty::start(&s, "run p.yaml", true);
    let screen = pty.expect("run succeeded in");
    let (code, rest) = pty.wait();
    assert_eq!(code, 0, "{screen}{rest}");
    // The running line: spinner, id, title, elapsed time that ticks, status.
    let running = regex::Regex::new(r"build Build the thing (\d+\.\d)s running").unwrap();
    let times: std::collections::BTreeSet<String> = running
        .captures_iter(&screen)
        .map(|c| c[1].to_string())
        .collect();
    assert!(
        times.len() >= 5,
        "the elapsed time ticks: {times:?}\n{screen}"
    );
    assert!(times.iter().any(|t| t.as_str() >= "1.0"), "{times:?}");
    // The tail: the last three lines under the running line, the earlier
    // ones gone from it.
    let tail = regex::Regex::new(r"running\s*│ line-4\s*│ line-5\s*│ line-6").unwrap();
    assert!(
        tail.is_match(&screen),
        "no tail of three lines in:\n{screen}"
    );
    assert!(screen.contains("Ship it"), "{screen}");
    // Finished steps stay as lines; the summary follows.
    assert!(screen.contains("✓ build"), "{screen}");
    assert!(screen.contains("✓ ship"), "{screen}");
    assert!(screen.ends_with("run succeeded in"), "{screen}");
    assert!(rest.contains("2 succeeded"), "{rest}");
}

#[test]
fn without_colour_the_terminal_gets_plain_lines() {
    let s = Sandbox::new(BUILD);
    let mut pty = Pty::start(&s, "run p.yaml", false);
    let screen = pty.expect("run succeeded in");
    assert_eq!(pty.wait().0, 0);
    assert!(!screen.contains("running"), "{screen}");
    for i in 1..=6 {
        assert!(screen.contains(&format!("│ line-{i}")), "{screen}");
    }
}

const STATUS_PAGE: &str = r#"
inputs:
  incident: {type: string, default: INC-7}
steps:
  - id: status
    title: Update the status page
    manual: |
      Post **{{inputs.incident}}** on the status page.
      Link the dashboard.
  - id: record
    needs: [status]
    shell: echo note={{steps.status.note}} >> trail
"#;

#[test]
fn a_manual_step_is_confirmed_at_the_terminal_with_a_note() {
    let s = Sandbox::new(STATUS_PAGE);
    let mut pty = Pty::start(&s, "run p.yaml", false);
    let prompt = pty.expect("when it is done: ");
    assert!(
        prompt.contains("`status` — Update the status page"),
        "{prompt}"
    );
    assert!(
        prompt.contains("│ Post **INC-7** on the status page.\n"),
        "{prompt}"
    );
    assert!(prompt.contains("│ Link the dashboard."), "{prompt}");
    // Anything but `done` or `abort` asks again.
    pty.send("later");
    pty.expect("type `done` when it is done, or `abort` to stop the run");
    pty.send("done posted at 03:12");
    let (code, rest) = pty.wait();
    assert_eq!(code, 0, "{rest}");
    assert_eq!(s.read("trail"), "note=posted at 03:12\n");
    let answered = s
        .journal()
        .into_iter()
        .find(|r| r["event"] == "answered")
        .unwrap();
    assert_eq!(answered["step"], "status");
    assert_eq!(answered["answer"], "posted at 03:12");
    assert_eq!(answered["via"], "terminal");
    assert_eq!(answered["who"], "tester");
}

#[test]
fn a_manual_step_confirmed_without_a_note_or_aborted_at_the_terminal() {
    let s = Sandbox::new(STATUS_PAGE);
    let mut pty = Pty::start(&s, "run p.yaml", false);
    pty.expect("when it is done: ");
    pty.send("done");
    let (code, rest) = pty.wait();
    assert_eq!(code, 0, "{rest}");
    assert_eq!(s.read("trail"), "note=\n");

    let mut pty = Pty::start(&s, "run p.yaml", false);
    pty.expect("when it is done: ");
    pty.send("abort");
    let (code, rest) = pty.wait();
    assert_eq!(code, 3, "stopping at a manual step is a refusal: {rest}");
    assert_eq!(s.read("trail"), "note=\n", "`record` did not run again");
}

#[test]
fn the_live_view_stops_drawing_while_a_prompt_waits() {
    let s = Sandbox::new(
        r#"
steps:
  - id: tail
    title: Tail the logs
    shell: for i in $(seq 1 40); do echo "log-$i"; sleep 0.1; done
  - id: status
    manual: Update the status page.
"#,
    );
    let mut pty = Pty::start(&s, "run p.yaml", true);
    pty.expect("when it is done: ");
    // `tail` keeps printing, but nothing is drawn over the prompt.
    let during = pty.during(Duration::from_millis(1200));
    assert!(
        during.trim().is_empty(),
        "drawn during the prompt: {during:?}"
    );
    pty.send("done");
    let after = pty.expect("run succeeded in");
    assert!(after.contains("✓ status"), "{after}");
    assert!(
        after.contains("Tail the logs"),
        "drawn again after: {after}"
    );
    assert!(after.contains("✓ tail"), "{after}");
    assert_eq!(pty.wait().0, 0);
}

#[test]
fn control_characters_in_a_prompt_are_shown_escaped() {
    let s = Sandbox::new(
        r#"
steps:
  - id: status
    title: "Status\u001b]0;pwned\u0007"
    manual: "Post it.\u001b[2J Then confirm."
"#,
    );
    let mut pty = Pty::start(&s, "run p.yaml", false);
    let prompt = pty.expect("when it is done: ");
    assert!(!prompt.contains('\u{1b}'), "{prompt:?}");
    assert!(prompt.contains("Status\\x1b]0;pwned\\x07"), "{prompt}");
    assert!(
        prompt.contains("Post it.\\x1b[2J Then confirm."),
        "{prompt}"
    );
    pty.send("done");
    assert_eq!(pty.wait().0, 0);
}

/// The time an operator takes at an approval gate is not the step's own:
/// the journal's `duration_ms` (and the live view's `✓ STEP 12ms`) is the
/// action's, while the gate's decision keeps its own time.
#[test]
fn a_step_duration_leaves_out_the_wait_at_its_gate() {
    let s = Sandbox::new("steps:\n  - id: change\n    shell: \"true\"\n    approval: Change it?\n");
    let mut pty = Pty::start(&s, "run p.yaml", false);
    pty.expect("approve? [y/n]");
    // An operator who reads the question for a while.
    pty.during(Duration::from_secs(3));
    pty.send("y");
    pty.expect("reason (optional):");
    pty.send("");
    let (code, rest) = pty.wait();
    assert_eq!(code, 0, "{rest}");
    let finished = s
        .journal()
        .into_iter()
        .find(|r| r["event"] == "step_finished" && r["step"] == "change")
        .expect("the step finished");
    let ms = finished["duration_ms"].as_u64().unwrap();
    assert!(ms < 2000, "the 3 s at the gate were counted: {ms} ms");
}

#[test]
fn a_long_line_shows_as_one_line_not_one_per_piece() {
    // A line of three pieces (64 KiB of A, 64 KiB of B, then C): under the
    // running step it is one line cut to the terminal's width, and under
    // the failed step one line (at most a piece's worth, then `…`); a
    // piece never starts a line of its own.
    let s = Sandbox::new(
        r#"
steps:
  - id: long
    shell: "head -c 65536 /dev/zero | tr '\\0' A; head -c 65536 /dev/zero | tr '\\0' B; printf CCC; echo; echo after; while [ ! -f go ]; do sleep 0.1; done; exit 1"
"#,
    );
    let mut pty = Pty::start(&s, "run p.yaml", true);
    let live = pty.expect("│ after");
    assert!(live.contains("│ AAAA"), "{live}");
    std::fs::write(s.path().join("go"), "").unwrap();
    let (code, rest) = pty.wait();
    assert_eq!(code, 1, "{rest}");
    let screen = format!("{live}{rest}");
    for line in screen.lines() {
        let shown = line.trim_start().trim_start_matches('│').trim_start();
        assert!(
            !shown.starts_with('B') && !shown.starts_with("CCC"),
            "a piece shown as a line: {:.80}",
            line
        );
    }
    // The live area cuts lines to the width (100 columns here).
    assert!(
        !live.contains(&"A".repeat(200)),
        "the live area did not cut the line"
    );
    // Under the failed step: the line joined, kept to one piece's worth.
    assert!(
        rest.contains(&format!("│ {}…", "A".repeat(65536))),
        "no joined line under the failed step"
    );
}
