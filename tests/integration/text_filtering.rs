//! Issue 12, section 3: text filtering against a real shell: an output
//! declared as the lines matching a pattern (`lines:`) with `select: count
//! | first | last | all`, and a regex output capturing every match.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"name: logs
steps:
  - id: logs
    shell: |
      printf '%s\n' 'boot ok' 'error: disk full code=28' 'request served' 'panic: nil map code=11' "error: \$(touch PWNED) 'quoted'"
    effect: read
    outputs:
      errors:
        lines: error|panic
      error_count:
        lines: error|panic
        select: count
      first_error:
        lines: error|panic
        select: first
      last_error:
        lines: ^error
        select: last
      codes:
        regex: 'code=(\d+)'
        select: all
      none:
        lines: segfault
        select: first
        default: none
  - id: report
    needs: [logs]
    when: steps.logs.outputs.error_count > 2 && any(steps.logs.outputs.errors, l => starts_with(l, "panic"))
    shell: printf '%s\n' {{steps.logs.outputs.last_error}} {{join(steps.logs.outputs.codes, "+")}} {{steps.logs.outputs.none}} > report.txt
"#;

/// What a `runbook` command prints on stdout in the sandbox.
fn stdout(sandbox: &Sandbox, args: &[&str]) -> String {
    let out = sandbox.command(args).output().expect("runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn lines_and_all_matches_are_outputs_a_branch_and_a_command_read() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let outputs = run.finished("logs")["outputs"].clone();
    assert_eq!(outputs["error_count"], 3);
    assert_eq!(outputs["errors"].as_array().unwrap().len(), 3);
    assert_eq!(outputs["first_error"], "error: disk full code=28");
    assert_eq!(outputs["codes"], serde_json::json!(["28", "11"]));
    assert_eq!(outputs["none"], "none");
    assert_eq!(run.state("report"), "succeeded", "{}", run.describe());
    assert_eq!(
        sandbox.read("report.txt"),
        "error: $(touch PWNED) 'quoted'\n28+11\nnone\n"
    );
    assert!(!sandbox.path().join("PWNED").exists());
}

#[test]
fn lines_outputs_convert_between_syntaxes() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let text = stdout(&sandbox, &["convert", "p.yaml", "--to", "runbook"]);
    assert!(
        text.contains("lines \"error|panic\"") && text.contains("select count"),
        "{text}"
    );
    std::fs::write(sandbox.path().join("p.runbook"), &text).unwrap();
    let out = sandbox.command(&["check", "p.runbook"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `find -print0` lists names a NUL apart; `separator: nul` keeps each one
/// a record, a line break or a `$(..)` inside it included, and a loop over
/// the list removes exactly those files, each quoted as one word.
const PRINT0: &str = r#"name: large-logs
steps:
  - id: find
    shell: find logs -name '*.gz' -print0 | sort -z
    effect: read
    outputs:
      files:
        lines: ^logs/.*\.gz$
        separator: nul
      count:
        lines: .
        separator: nul
        select: count
  - id: remove
    needs: [find]
    for_each: steps.find.outputs.files
    as: file
    shell: rm -- {{file}}
"#;

#[test]
fn nul_separated_names_stay_whole_and_are_removed_one_by_one() {
    let sandbox = Sandbox::new(PRINT0);
    let logs = sandbox.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let hostile = [
        "old\nrotated.gz",
        "$(touch PWNED).gz",
        "it's \"q\" #x.gz",
        "`touch PWNED2`; *.gz",
    ];
    for name in hostile.iter().chain(&["keep.txt", "old"]) {
        std::fs::write(logs.join(name), "x").unwrap();
    }
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let outputs = run.finished("find")["outputs"].clone();
    assert_eq!(outputs["count"], 4, "{outputs}");
    let mut listed: Vec<String> = hostile.iter().map(|n| format!("logs/{n}")).collect();
    listed.sort();
    assert_eq!(outputs["files"], serde_json::json!(listed));
    let mut left: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["keep.txt", "old"], "{}", run.describe());
    assert!(!sandbox.path().join("PWNED").exists());
    assert!(!sandbox.path().join("PWNED2").exists());
}

#[test]
fn a_separator_survives_conversion_and_the_graph_shows_it() {
    let sandbox = Sandbox::new(PRINT0);
    let text = stdout(&sandbox, &["convert", "p.yaml", "--to", "runbook"]);
    assert!(text.contains("separator nul"), "{text}");
    std::fs::write(sandbox.path().join("p.runbook"), &text).unwrap();
    let yaml = stdout(&sandbox, &["convert", "p.runbook", "--to", "yaml"]);
    assert!(yaml.contains("separator: nul"), "{yaml}");
    let plan = stdout(&sandbox, &["graph", "p.runbook"]);
    assert!(plan.contains("separator nul"), "{plan}");
}

/// With line records, a NUL byte can sit inside a record; inserted into a
/// command it cannot be passed to any program, and the element says so
/// instead of running something else. Through `env:` the same.
#[test]
fn a_record_holding_a_nul_byte_is_not_run() {
    let sandbox = Sandbox::new(
        r#"name: nul
steps:
  - id: list
    shell: printf 'a\0b\nc\n'
    effect: read
    outputs:
      names:
        lines: .
  - id: each
    needs: [list]
    for_each: steps.list.outputs.names
    as: name
    on_item_failure: continue
    shell: printf '%s|' {{name}} >> out
  - id: by_env
    needs: [list]
    on_failure: continue
    shell:
      command: printf '%s|' "$NAME" >> out
      env: {NAME: "{{steps.list.outputs.names[0]}}"}
"#,
    );
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(
        run.message("each")
            .contains("the command holds a NUL byte (from an inserted value)"),
        "{}",
        run.describe()
    );
    assert!(
        run.message("by_env")
            .contains("the environment variable `NAME` holds a NUL byte"),
        "{}",
        run.describe()
    );
    assert_eq!(sandbox.read("out"), "c|");
}
