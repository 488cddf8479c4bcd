//! Issue 12, section 2: `{{#if EXPR}}` / `{{#unless EXPR}}` blocks in real
//! shell commands. The condition is an expression (a function call, a
//! comparison, an `{{#each}}` element's field), evaluated when the step
//! runs; a block only chooses text, and every value inserted on whichever
//! side is taken is quoted where it lands: hostile values are printed back
//! by the real shell, never executed.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"name: blocks
inputs:
  v: {type: string, default: plain}
  force: {type: bool, default: false}
steps:
  - id: pods
    shell: |
      printf '%s' '[{"name":"web-1","ready":true},{"name":"$(touch PWNED)","ready":false},{"name":"it'"'"'s","ready":false}]'
    effect: read
    outputs:
      items:
        json: $
        type: list
  - id: pick
    needs: [pods]
    shell: "{{#if len(steps.pods.outputs.items) > 2 && !inputs.force}}printf 'many %s\\n' {{inputs.v}} > v.txt{{else}}printf 'forced %s\\n' \"{{inputs.v}}\" > v.txt{{/if}}"
  - id: down
    needs: [pods]
    shell: "{{#each steps.pods.outputs.items as |pod|}}{{#unless pod.ready == true}}printf '%s|%s\\n' {{pod.name}} {{inputs.v}} >> down.txt; {{/unless}}{{/each}}"
"#;

const HOSTILE: &[&str] = &[
    "$(touch PWNED)",
    "`touch PWNED`",
    "' ; touch PWNED ; '",
    "\" ; touch PWNED ; \"",
    "a\ntouch PWNED",
    "# not a comment",
    "../../etc/passwd",
];

#[test]
fn conditions_choose_the_text_and_hostile_values_stay_values() {
    for value in HOSTILE {
        for (force, side) in [("false", "many"), ("true", "forced")] {
            let sandbox = Sandbox::new(PLAYBOOK);
            let v = format!("v={value}");
            let f = format!("force={force}");
            let run = sandbox.run(&["--yes", "--input", &v, "--input", &f]);
            assert_eq!(run.code, 0, "{value:?} {}", run.describe());
            assert_eq!(sandbox.read("v.txt"), format!("{side} {value}\n"));
            assert_eq!(
                sandbox.read("down.txt"),
                format!("$(touch PWNED)|{value}\nit's|{value}\n"),
                "{value:?}"
            );
            assert!(!sandbox.path().join("PWNED").exists(), "{value:?}");
        }
    }
}

#[test]
fn a_dry_run_shows_the_side_taken() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--dry-run", "--input", "v=$(touch PWNED)"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let would = run.events_of("step_would_run");
    let pick = would
        .iter()
        .find(|e| e["step"] == "pick")
        .expect("pick would run");
    let description = pick["description"].as_str().unwrap();
    assert_eq!(
        description, "printf 'many %s\\n' '$(touch PWNED)' > v.txt",
        "{description}"
    );
    assert!(!sandbox.path().join("v.txt").exists());
    assert!(!sandbox.path().join("PWNED").exists());
}

#[test]
fn a_condition_that_is_not_a_boolean_is_refused_by_check() {
    let sandbox = Sandbox::new(&PLAYBOOK.replace(
        "len(steps.pods.outputs.items) > 2 && !inputs.force",
        "len(steps.pods.outputs.items)",
    ));
    let run = sandbox.run(&["--yes"]);
    assert_ne!(run.code, 0, "{}", run.describe());
    assert!(
        run.stderr
            .contains("an `{{#if}}` condition must be a boolean, this is an integer"),
        "{}",
        run.describe()
    );
    assert!(!sandbox.path().join("v.txt").exists());
}

/// Handlebars' whitespace rules: a block tag alone on its line takes its
/// line with it, and `~` strips the whitespace on its side, so a list
/// written over several lines of a message or a script prints no blank
/// lines; the script a real shell runs is the same text check lexed.
#[test]
fn standalone_block_lines_and_tildes_leave_no_blank_lines() {
    let s = Sandbox::new(
        r#"inputs:
  hosts: {type: string, default: "a b,$(touch pwned)"}
vars:
  hosts: split(inputs.hosts, ",")
steps:
  - id: message
    log: |
      hosts:
        {{#each vars.hosts}}
        - {{this}}
        {{/each}}
      done
  - id: script
    shell: |
      {{#each vars.hosts}}
      printf '[%s]\n' {{this}} >> out
      {{/each}}
      printf '<%s>\n' "   {{~vars.hosts.[0]~}}   " >> out
"#,
    );
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let logged: Vec<String> = run
        .events
        .iter()
        .filter(|e| e["event"] == "step_output" && e["step"] == "message")
        .filter_map(|e| e["line"].as_str().map(String::from))
        .collect();
    assert_eq!(
        logged,
        ["hosts:", "  - a b", "  - $(touch pwned)", "done"],
        "{}",
        run.describe()
    );
    assert_eq!(s.read("out"), "[a b]\n[$(touch pwned)]\n<a b>\n");
    assert!(!s.path().join("pwned").exists());
}
