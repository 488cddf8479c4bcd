//! What a `silence` step shows before it changes anything, against the
//! real Alertmanager on loopback: the approval prompt and the dry-run of a
//! creation give its matchers and the comment it is created with, marked
//! with the run and step (as Alertmanager then holds it), a secret matcher
//! value masked; the dry-run of an expiry gives the silence it would end,
//! as Alertmanager holds it, its values quoted; so does the approval
//! prompt of an expiry (and the pending record a waiting run publishes),
//! or it says that the silence could not be read.

use crate::harness::alertmanager::TestAlertmanager;
use crate::harness::{run_playbook, Ran};
use crate::remote_approvals::{decide, finish, pending_at, start, store, text};
use crate::running::Sandbox;

const SECRET_HOST: &str = "db-secret-7f3a9c";

const CREATE: &str = r#"name: mute
inputs:
  url: {type: string}
  host: {type: string, secret: true}
steps:
  - id: mute
    approval: required
    silence:
      url: "{{inputs.url}}"
      matchers:
        - {name: alertname, value: NodeDown}
        - {name: instance, value: "{{inputs.host}}"}
        - {name: job, op: "=~", value: "node|web-[0-9]+"}
      duration: 1h
      comment: "disk swap"
"#;

const EXPIRE: &str = r#"name: unmute
inputs:
  url: {type: string}
  id: {type: string}
steps:
  - id: unmute
    silence:
      url: "{{inputs.url}}"
      expire: "{{inputs.id}}"
"#;

fn run_id(ran: &Ran) -> String {
    ran.events("run_started")[0]["run_id"]
        .as_str()
        .expect("a run id")
        .to_string()
}

/// What a dry-run says a step would do, its preview included.
fn would_run(ran: &Ran, step: &str) -> String {
    ran.events("step_would_run")
        .iter()
        .find(|e| e["step"] == step)
        .and_then(|e| e["description"].as_str())
        .unwrap_or_else(|| panic!("no step_would_run for {step}: {}", ran.stdout))
        .to_string()
}

fn everything(ran: &Ran) -> String {
    format!("{}{}", ran.stdout, ran.stderr)
}

#[test]
fn the_prompt_and_the_dry_run_show_the_matchers_and_the_mark() {
    let am = TestAlertmanager::start();
    let url = format!("--input=url={}", am.url);
    let host = format!("--input=host={SECRET_HOST}");
    let env = [("USER", "oncall-ann")];

    let ran = run_playbook("mute.yaml", CREATE, &[&url, &host, "--yes"], &env);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let gates = ran.events("gate_requested");
    assert_eq!(gates.len(), 1, "{}", ran.stdout);
    let detail = gates[0]["detail"].as_str().expect("the prompt's detail");
    let mark = format!("(runbook run {}, step mute)", run_id(&ran));
    for part in [
        "create a silence at",
        "alertname=\"NodeDown\"",
        "instance=\"***\"",
        "job=~\"node|web-[0-9]+\"",
        "for 1h (until ",
        "by \"oncall-ann\"",
        &format!(": \"disk swap {mark}\""),
    ] {
        assert!(detail.contains(part), "{part}: {detail}");
    }
    // What the prompt said is what Alertmanager holds.
    let silences = am.silences();
    assert_eq!(silences.len(), 1);
    assert_eq!(silences[0]["comment"], format!("disk swap {mark}"));
    assert!(!everything(&ran).contains(SECRET_HOST), "{}", ran.stdout);

    let dry = run_playbook("mute.yaml", CREATE, &[&url, &host, "--dry-run"], &env);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    let description = would_run(&dry, "mute");
    for part in [
        "alertname=\"NodeDown\"",
        "instance=\"***\"",
        "job=~\"node|web-[0-9]+\"",
        "\"disk swap",
        "(runbook run ",
        ", step mute)",
    ] {
        assert!(description.contains(part), "{part}: {description}");
    }
    assert!(!everything(&dry).contains(SECRET_HOST), "{}", dry.stdout);
    assert_eq!(am.silences().len(), 1, "a dry-run creates nothing");

    // The dry-run of its expiry shows the silence it would end.
    let id = silences[0]["id"].as_str().expect("an id").to_string();
    let dry = run_playbook(
        "unmute.yaml",
        EXPIRE,
        &[&url, &format!("--input=id={id}"), "--dry-run"],
        &env,
    );
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    let message = would_run(&dry, "unmute");
    for part in [
        "the silence is \"active\"",
        "alertname=\"NodeDown\"",
        &format!("instance=\"{SECRET_HOST}\""),
        "job=~\"node|web-[0-9]+\"",
        "by \"oncall-ann\"",
        &format!("\"disk swap {mark}\""),
        "nothing was expired",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    let held = am.silences();
    assert_eq!(held[0]["status"]["state"], "active", "nothing was expired");
}

/// A silence whose values Alertmanager holds with line breaks and quotes
/// (made by someone else) is shown quoted, on one line.
#[test]
fn an_expirys_dry_run_quotes_what_alertmanager_holds() {
    let am = TestAlertmanager::start();
    let id = am.silence(
        "a\"b\n[ok] fake line\u{1b}[2J",
        "mallory\nrunbook: approved",
    );
    let url = format!("--input=url={}", am.url);
    let dry = run_playbook(
        "unmute.yaml",
        EXPIRE,
        &[&url, &format!("--input=id={id}"), "--dry-run"],
        &[],
    );
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    let message = would_run(&dry, "unmute");
    assert!(!message.contains('\n'), "{message:?}");
    assert!(!message.contains('\u{1b}'), "{message:?}");
    for part in [
        "service=\"a\\\"b\\n[ok] fake line\\u001b[2J\"",
        "by \"mallory\\nrunbook: approved\"",
        "nothing was expired",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
}

const EXPIRE_GATED: &str = r#"name: unmute
inputs:
  url: {type: string}
  id: {type: string}
steps:
  - id: unmute
    approval: required
    silence:
      url: "{{inputs.url}}"
      expire: "{{inputs.id}}"
"#;

/// The prompt's detail of `step` (its `gate_requested`).
fn prompt(ran: &Ran, step: &str) -> String {
    ran.events("gate_requested")
        .iter()
        .find(|e| e["step"] == step)
        .and_then(|e| e["detail"].as_str())
        .unwrap_or_else(|| panic!("no prompt for {step}: {}", ran.stdout))
        .to_string()
}

/// The approver of an `expire` is shown which silence it ends, as
/// Alertmanager holds it: its matchers, comment and author, quoted on one
/// line, Alertmanager's hostile values escaped; in the prompt, in the
/// pending record a waiting run publishes, and in the dry-run.
#[test]
fn an_expirys_prompt_shows_the_silence_it_would_end() {
    let am = TestAlertmanager::start();
    let hostile = "redis-1:6379\"\n[ok] approved\u{1b}[2J\u{9b}\u{202e}";
    let id = am.silence(hostile, "ann $(id)\nrunbook: fine");
    let url = format!("--input=url={}", am.url);
    let shown = format!(
        "expire the silence {id} at {} (service=\"redis-1:6379\\\"\\n[ok] approved\\u001b[2J\\u{{9b}}\\u{{202e}}\"; comment: \"set up by the test\"; by \"ann $(id)\\nrunbook: fine\")",
        am.url
    );

    // Asked and approved (`--yes`): the prompt, then the expiry.
    let ran = expire_gated(&am.url, &id);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let detail = prompt(&ran, "unmute");
    assert_eq!(detail, shown);
    assert_eq!(am.silences()[0]["status"]["state"], "expired");

    // Expired now: the prompt of another expiry says so.
    let ran = expire_gated(&am.url, &id);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let detail = prompt(&ran, "unmute");
    assert!(detail.ends_with("; it is \"expired\")"), "{detail}");

    // A waiting run publishes the same line in its pending record.
    let live = am.silence("redis-2:6379", "bob");
    let s = Sandbox::new(EXPIRE_GATED);
    store(&s);
    let child = start(
        &s,
        &[
            &url,
            &format!("--input=id={live}"),
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
        ],
    );
    let record = pending_at(&s, "unmute");
    assert_eq!(
        record["command"],
        format!(
            "expire the silence {live} at {} (service=\"redis-2:6379\"; comment: \"set up by the test\"; by \"bob\")",
            am.url
        ),
        "{record}"
    );
    let run_id = record["run_id"].as_str().unwrap();
    let out = decide(&s, None, &["reject", run_id, "unmute"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(finish(child).code, 3);

    // A dry-run describes it the same way (and previews it).
    let dry = run_playbook(
        "unmute.yaml",
        EXPIRE,
        &[&url, &format!("--input=id={live}"), "--dry-run"],
        &[],
    );
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    let description = would_run(&dry, "unmute");
    assert!(
        description.starts_with(&format!(
            "expire the silence {live} at {} (service=\"redis-2:6379\"; comment: \"set up by the test\"; by \"bob\") (preview: ",
            am.url
        )),
        "{description}"
    );
}

/// When the silence cannot be read, the prompt still names it and says
/// so: an id Alertmanager does not hold, an Alertmanager that is gone.
#[test]
fn an_expirys_prompt_says_when_it_cannot_read_the_silence() {
    let am = TestAlertmanager::start();
    let unknown = "0b9e2a6c-0000-4000-8000-000000000000";
    let ran = expire_gated(&am.url, unknown);
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        prompt(&ran, "unmute"),
        format!(
            "expire the silence {unknown} at {} (could not read its matchers: Alertmanager at {} has no silence {unknown})",
            am.url, am.url
        )
    );

    let (_held, gone) = crate::harness::refusing_port();
    let gone = format!("http://127.0.0.1:{gone}");
    let ran = expire_gated(&gone, unknown);
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let detail = prompt(&ran, "unmute");
    assert!(
        detail.starts_with(&format!(
            "expire the silence {unknown} at {gone} (could not read its matchers: "
        )),
        "{detail}"
    );
    assert!(!detail.contains('\n'), "{detail:?}");

    // A hostile id is never sent, and shown quoted.
    let ran = expire_gated(&am.url, "../status\n$(id)");
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let detail = prompt(&ran, "unmute");
    assert!(
        detail.starts_with(&format!(
            "expire the silence \"../status\\n$(id)\" at {} (could not read its matchers: \"../status\\n$(id)\" is not a silence id",
            am.url
        )),
        "{detail}"
    );
}

/// Expires silence `id` at the Alertmanager at `url`, its gate passed
/// (`--yes`).
fn expire_gated(url: &str, id: &str) -> Ran {
    run_playbook(
        "unmute.yaml",
        EXPIRE_GATED,
        &[
            &format!("--input=url={url}"),
            &format!("--input=id={id}"),
            "--yes",
        ],
        &[],
    )
}
