//! The live view as a terminal draws it: `runbook run` in a real `tmux`
//! window, its screen read back with `capture-pane`. The byte stream
//! (`run_live.rs`) cannot show what redraws leave behind; the rendered
//! screen can.

use crate::running::{binary, Sandbox};
use std::process::Command;
use std::time::{Duration, Instant};

/// A `tmux` server of its own, killed when dropped.
struct Window {
    socket: String,
}

impl Window {
    /// `runbook ARGS` in a 100x120 window, in the sandbox, colour on.
    fn run(s: &Sandbox, args: &str) -> Window {
        let socket = format!("runbook-test-{}", std::process::id())
            + &s.path().file_name().unwrap().to_string_lossy();
        let command = format!(
            "cd '{}' && USER=tester {} {args}; sleep 60",
            s.path().display(),
            binary().display()
        );
        let ok = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "100", "-y", "120", "-e", "NO_COLOR=", "--"])
            .args(["env", "-u", "NO_COLOR", "-u", "CLICOLOR_FORCE"])
            .args(["TERM=xterm-256color", "sh", "-c", &command])
            .status()
            .expect("tmux (scripts/test installs it)")
            .success();
        assert!(ok, "tmux new-session");
        Window { socket }
    }

    /// The screen, once `text` is on it.
    fn screen_with(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = Command::new("tmux")
                .args(["-L", &self.socket, "capture-pane", "-p"])
                .output()
                .expect("tmux capture-pane");
            let screen = String::from_utf8_lossy(&out.stdout).into_owned();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "no {text:?} on:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Window {
    /// Types `keys` (tmux key names: `y`, `Enter`).
    fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys"])
            .args(keys)
            .status()
            .expect("tmux send-keys")
            .success();
        assert!(ok, "tmux send-keys");
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// A table with tabs and a long listing, both finished while `slow` runs.
const DIAGNOSIS: &str = r#"
steps:
  - id: table
    shell: sleep 0.3; printf 'NAME\tREADY\nweb-1\t1/1\n'
  - id: listing
    shell: sleep 0.5; seq 1 45
  - id: slow
    shell: sleep 1.5
"#;

#[test]
fn finished_steps_keep_their_output_and_no_running_line_is_left_behind() {
    let s = Sandbox::new(DIAGNOSIS);
    let window = Window::run(&s, "run p.yaml");
    let screen = window.screen_with("run succeeded in");
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    // What the redraws leave behind: a tab measured as no column at all
    // once left a copy of `slow`'s running line above the summary.
    assert!(!screen.contains("running"), "{screen}");
    // The table under its step, its tabs at the terminal's stops.
    let table = lines.iter().position(|l| l.starts_with("✓ table")).unwrap();
    assert_eq!(
        lines[table + 1..table + 3],
        ["  │ NAME    READY", "  │ web-1   1/1"],
        "{screen}"
    );
    // The last 40 lines of the listing, after how many came before them.
    let listing = lines
        .iter()
        .position(|l| l.starts_with("✓ listing"))
        .unwrap();
    assert_eq!(
        lines[listing + 1],
        "  │ … 5 earlier lines: `runbook report` has them all",
        "{screen}"
    );
    let shown: Vec<String> = (6..=45).map(|i| format!("  │ {i}")).collect();
    assert_eq!(lines[listing + 2..listing + 42], shown[..], "{screen}");
}

/// A called playbook's gate, approved at the prompt, leaves no "awaiting
/// approval" line behind while the run goes on: this view never sees the
/// called step start or end, so the gate's decision removes the line it
/// drew for it. It stayed until the run ended.
#[test]
fn a_called_gate_approved_at_the_prompt_leaves_no_waiting_line() {
    let s = Sandbox::new("steps:\n  - id: call\n    playbook: child.yaml\n");
    std::fs::write(
        s.path().join("child.yaml"),
        "steps:\n  - id: gate\n    approval: Go on?\n    shell: \"true\"\n  - id: after\n    needs: [gate]\n    shell: touch after-started; while [ ! -f stop ]; do sleep 0.05; done\n",
    )
    .unwrap();
    let window = Window::run(&s, "run p.yaml");
    window.screen_with("approve? [y/n]");
    window.keys(&["y", "Enter"]);
    window.screen_with("reason (optional)");
    window.keys(&["Enter"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s.path().join("after-started").exists() {
        assert!(Instant::now() < deadline, "`after` never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Several redraws while `after` runs.
    std::thread::sleep(Duration::from_millis(400));
    let screen = window.screen_with("approved by tester");
    assert!(screen.contains("call"), "{screen}");
    assert!(!screen.contains("awaiting approval"), "{screen}");
    std::fs::write(s.path().join("stop"), "").unwrap();
    window.screen_with("run succeeded in");
}
