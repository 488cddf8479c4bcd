//! Drill of the Alertmanager maintenance-window example
//! (playbooks/examples/alertmanager-maintenance.yaml) against a real
//! Alertmanager: the service is silenced for the window and the silence is
//! expired at the end; a rejected gate leaves no silence; a dry-run
//! creates none and writes no backup.

use super::support::{assert_gated, Drill};
use crate::harness::alertmanager::TestAlertmanager;

const PLAYBOOK: &str = "examples/alertmanager-maintenance.yaml";

fn args<'a>(url: &'a str, dir: &'a str, approve: &[&'a str]) -> Vec<String> {
    let mut out = vec![
        format!("--input=alertmanager_url={url}"),
        "--input=service=checkout".to_string(),
        "--input=window=90m".to_string(),
        format!("--input=backup_dir={dir}"),
        "--answer=work=done".to_string(),
    ];
    out.extend(approve.iter().map(|step| format!("--approve={step}")));
    out
}

#[test]
fn the_window_is_silenced_then_expired() {
    let am = TestAlertmanager::start();
    let mut drill = Drill::new();
    drill.env("USER", "drill-operator");
    let backups = drill.dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let backup_dir = backups.display().to_string();
    // Someone else's silence of the same service: the window must not expire it.
    let theirs = am.silence("checkout", "someone-else");
    let args = args(&am.url, &backup_dir, &["silence", "expire"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let run = drill.run(PLAYBOOK, &args, false);
    run.expect(
        0,
        &[
            ("ready", "succeeded"),
            ("backup", "succeeded"),
            ("silence", "succeeded"),
            ("active", "succeeded"),
            ("work", "succeeded"),
            ("ours", "succeeded"),
            ("expire", "succeeded"),
            ("expired", "succeeded"),
            ("done", "succeeded"),
        ],
    );
    assert_gated(&run, &["silence", "expire"]);
    let silences = am.silences();
    assert_eq!(silences.len(), 2, "{silences:#?}");
    let silence = silences
        .iter()
        .find(|s| s["createdBy"] == "drill-operator")
        .expect("the window's silence");
    assert_eq!(silence["status"]["state"], "expired");
    let other = silences
        .iter()
        .find(|s| s["id"] == theirs.as_str())
        .unwrap();
    assert_eq!(
        other["status"]["state"], "active",
        "another operator's silence stays"
    );
    // The loop expired exactly one element: the window's silence.
    assert_eq!(run.finished("expire")["results"]["count"], 1);
    assert_eq!(silence["createdBy"], "drill-operator");
    assert_eq!(silence["matchers"][0]["name"], "service");
    assert_eq!(silence["matchers"][0]["value"], "checkout");
    assert_eq!(
        silence["comment"],
        "maintenance window of checkout (90 minutes)"
    );
    // The backup is what Alertmanager held before: the other silence only.
    let backup = std::fs::read_to_string(backups.join("silences-before-checkout.json")).unwrap();
    let backup: Vec<serde_json::Value> = serde_json::from_str(&backup).unwrap();
    assert_eq!(backup.len(), 1);
    assert_eq!(backup[0]["id"], theirs.as_str());
}

#[test]
fn a_refused_silence_changes_nothing_and_a_dry_run_neither() {
    let am = TestAlertmanager::start();
    let mut drill = Drill::new();
    drill.env("USER", "drill-operator");
    let dir = drill.dir.path().display().to_string();

    // No approval: the run stops at the silence's gate.
    let args_none = args(&am.url, &dir, &[]);
    let args_none: Vec<&str> = args_none.iter().map(String::as_str).collect();
    let run = drill.run(PLAYBOOK, &args_none, false);
    assert_ne!(run.code, 0, "{}", run.dump());
    assert_eq!(run.state("silence"), "rejected");
    assert!(am.silences().is_empty());
    // The backup was taken before the gate; the dry-run below must not write one.
    let backup = drill.dir.path().join("silences-before-checkout.json");
    assert!(backup.exists());
    std::fs::remove_file(&backup).unwrap();

    // A dry-run reads readiness, describes the rest, writes nothing.
    let args_all = args(&am.url, &dir, &["silence", "expire"]);
    let args_all: Vec<&str> = args_all.iter().map(String::as_str).collect();
    let run = drill.run(PLAYBOOK, &args_all, true);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.state("ready"), "succeeded");
    assert!(am.silences().is_empty(), "a dry-run created a silence");
    assert!(!backup.exists(), "a dry-run wrote the backup");
}

/// The same window with the native `silence` kind
/// (playbooks/examples/silenced-maintenance.yaml): the host's silence is
/// created as the playbook says, by the operator, and expired at the end;
/// someone else's silence of the host is left alone; a dry-run creates none.
#[test]
fn the_native_silence_is_created_then_expired() {
    const NATIVE: &str = "examples/silenced-maintenance.yaml";
    let am = TestAlertmanager::start();
    let theirs = am.silence("checkout", "someone-else");
    let mut drill = Drill::new();
    drill.env("USER", "drill-operator");
    let url = format!("--input=alertmanager_url={}", am.url);
    let mut args = vec![
        url.as_str(),
        "--input=instance=db-1:9100",
        "--input=window=90m",
        "--input=reason=disk \"swap\" $(id)",
        "--answer=work=done",
    ];

    let dry = drill.run(
        NATIVE,
        &[&args[..], &["--approve=mute", "--approve=unmute"]].concat(),
        true,
    );
    assert_eq!(dry.code, 0, "{}", dry.dump());
    assert_eq!(am.silences().len(), 1, "a dry-run created a silence");

    args.extend(["--approve=mute", "--approve=unmute"]);
    let run = drill.run(NATIVE, &args, false);
    run.expect(
        0,
        &[
            ("ready", "succeeded"),
            ("mute", "succeeded"),
            ("work", "succeeded"),
            ("unmute", "succeeded"),
            ("done", "succeeded"),
        ],
    );
    assert_gated(&run, &["mute", "unmute"]);
    let silences = am.silences();
    assert_eq!(silences.len(), 2, "{silences:#?}");
    let ours = silences
        .iter()
        .find(|s| s["createdBy"] == "drill-operator")
        .expect("the window's silence");
    assert_eq!(ours["status"]["state"], "expired");
    assert_eq!(
        ours["comment"],
        format!(
            "maintenance of db-1:9100: disk \"swap\" $(id) (runbook run {}, step mute)",
            run.run_id()
        )
    );
    assert_eq!(ours["matchers"][0]["name"], "instance");
    assert_eq!(ours["matchers"][0]["value"], "db-1:9100");
    let other = silences
        .iter()
        .find(|s| s["id"] == theirs.as_str())
        .unwrap();
    assert_eq!(other["status"]["state"], "active");
}
