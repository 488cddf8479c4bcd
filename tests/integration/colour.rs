//! Colour follows console's detection (`src/palette.rs`): escape sequences
//! on a terminal, none with `NO_COLOR`, none on a pipe, and on a pipe too
//! when `CLICOLOR_FORCE` asks for them. Checked on the raw bytes of the
//! real binary, through a pipe and through a pseudo-terminal (`script(1)`).

use crate::running::Sandbox;

const PLAYBOOK: &str = "name: colours
steps:
  - id: build
    title: Build the thing
    shell: echo built
";

/// A playbook `check` refuses (an unknown `needs`).
const BAD: &str = "steps:\n  - id: a\n    shell: echo a\n    needs: [nope]\n";

const ESC: char = '\u{1b}';

fn stderr_of(mut cmd: std::process::Command) -> String {
    let out = cmd.output().expect("runbook runs");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn no_color_on_a_terminal_prints_no_escape_sequence() {
    let s = Sandbox::new(PLAYBOOK);
    let screen = s.pty_capture("run p.yaml", &[("NO_COLOR", "1")]);
    assert!(screen.contains("build"), "{screen:?}");
    assert!(screen.contains("run succeeded"), "{screen:?}");
    assert!(!screen.contains(ESC), "{screen:?}");
}

#[test]
fn a_terminal_without_no_color_is_drawn_in_colour() {
    let s = Sandbox::new(PLAYBOOK);
    let screen = s.pty_capture("run p.yaml", &[]);
    assert!(
        screen.contains("run \u{1b}[32msucceeded\u{1b}[0m"),
        "{screen:?}"
    );
}

#[test]
fn a_pipe_gets_plain_text_unless_colour_is_forced() {
    let s = Sandbox::new(PLAYBOOK);
    let mut plain = s.command(&["run", "p.yaml"]);
    plain.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    let plain = stderr_of(plain);
    assert!(plain.contains("✓ build"), "{plain:?}");
    assert!(!plain.contains(ESC), "{plain:?}");

    let mut forced = s.command(&["run", "p.yaml"]);
    forced.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    let forced = stderr_of(forced);
    // The plain line view (no live area on a pipe), its marks coloured.
    assert!(forced.contains("\u{1b}[32m✓\u{1b}[0m build"), "{forced:?}");
    assert!(
        forced.contains("\u{1b}[2mBuild the thing\u{1b}[0m"),
        "{forced:?}"
    );
}

#[test]
fn diagnostics_are_coloured_only_when_colour_is_on() {
    let s = Sandbox::new(BAD);
    let mut plain = s.command(&["check", "p.yaml"]);
    plain.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    let plain = stderr_of(plain);
    assert!(plain.contains("nope"), "{plain:?}");
    assert!(!plain.contains(ESC), "{plain:?}");

    let mut forced = s.command(&["check", "p.yaml"]);
    forced.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    let forced = stderr_of(forced);
    assert!(forced.contains("nope"), "{forced:?}");
    assert!(forced.contains(ESC), "{forced:?}");
}
