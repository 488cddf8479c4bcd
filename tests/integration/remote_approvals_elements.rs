//! The elements of a `for_each` step gated one by one
//! (`approval_per_item`) are put to people one after another, each its own
//! pending record naming its element. A command names the element it
//! decides, `STEP[INDEX]` or `STEP[LABEL]`, so a command meant for one
//! element never decides the next one; the printed commands, hostile
//! labels included, decide exactly their element when pasted into `sh`.
//! A bare `runbook approve RUN STEP` never decides an element, not even
//! the only one waiting (`runbook::element_not_named`, exit 2): it lists
//! each waiting element with the command that decides it alone; a name of
//! several records waiting at once decides none (`runbook::ambiguous_gate`).

use crate::console::Served;
use crate::remote_approvals::{decide, finish, gates_dir, pending, start, store, text, wait_for};
use crate::running::{binary, Sandbox};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

const HOSTILE: &str = "it's \"q\" ]x[ $(touch pwned)";

fn playbook() -> String {
    format!(
        r#"
steps:
  - id: drain
    for_each: ["eu 1", {hostile}, "7", "a]=b"]
    approval_per_item: true
    shell: echo {{{{item}}}} >> trail
    approval: Drain the zone?
"#,
        hostile = serde_json::to_string(HOSTILE).unwrap()
    )
}

/// Runs `command` (a line `runbook` printed) in a real `sh`, with the
/// binary first on `PATH`.
pub(crate) fn paste(s: &Sandbox, command: &str) -> std::process::Output {
    assert!(command.starts_with("runbook "), "{command}");
    let path = format!(
        "{}:{}",
        binary().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .args(["-c", command])
        .current_dir(s.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("RUNBOOK_JOURNAL_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A diagnostic as one line: it is wrapped to the terminal's width.
fn unwrapped(err: &str) -> String {
    err.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The commands listed after a refusal, one per line, as printed.
fn pasteable(err: &str) -> Vec<&str> {
    err.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("runbook "))
        .collect()
}

fn waiting(s: &Sandbox) -> Vec<Value> {
    pending(s)
        .into_iter()
        .filter(|r| r["step"] == "drain")
        .collect()
}

fn decisions(s: &Sandbox, record: &Value) -> usize {
    std::fs::read_dir(gates_dir(s, record))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".decision.json"))
        .count()
}

/// The approve command `runbook pending` prints for the element `element`
/// (`[INDEX] LABEL`), once it waits.
fn printed_approve(s: &Sandbox, run_id: &str, element: &str) -> String {
    wait_for(&format!("{element} listed"), || {
        let out = s
            .command(&["pending", run_id, "--journal-dir", "runs"])
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        if !listed.contains(&format!("element {element}")) {
            return None;
        }
        listed
            .lines()
            .map(|l| l.trim_start_matches(['│', '└', ' ']))
            .find(|l| l.starts_with("runbook approve "))
            .map(str::to_string)
    })
}

#[test]
fn a_command_names_its_element_and_never_decides_another() {
    let s = Sandbox::new(&playbook());
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let first = wait_for("element [0] waiting", || waiting(&s).into_iter().next());
    let run_id = first["run_id"].as_str().unwrap().to_string();
    assert_eq!(first["element"], "[0] eu 1");
    let for_first = printed_approve(&s, &run_id, "[0] eu 1");
    assert_eq!(
        for_first,
        format!("runbook approve {run_id} 'drain[eu 1]' --journal-dir runs")
    );

    // The console shows the same command, naming the element.
    let served = Served::start(&s.path().join("runs"), &[]);
    let api: Value =
        serde_json::from_str(&served.get(&format!("/api/v1/runs/{run_id}")).body).unwrap();
    let shown = api["pending"][0]["commands"][0]["command"]
        .as_str()
        .unwrap();
    assert!(
        shown.starts_with(&format!(
            "runbook approve {run_id} 'drain[eu 1]' --journal-dir "
        )),
        "{api}"
    );
    drop(served);

    // A bare `drain` never decides an element, not even the only one
    // waiting (it may not be the one the person read): refused, nothing
    // decided, the waiting element listed with the command naming it.
    let out = decide(&s, None, &["approve", &run_id, "drain"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("runbook::element_not_named"), "{err}");
    assert!(
        unwrapped(&err).contains(
            "`drain` names no element of its loop, whose elements are decided one by one; waiting: `drain[eu 1]`; nothing was decided"
        ),
        "{err}"
    );
    assert_eq!(pasteable(&err), [for_first.as_str()], "{err}");
    // `reject` lists its own command; `answer` (no answer decides a gate)
    // every command of the element.
    let out = decide(&s, None, &["reject", &run_id, "drain"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("runbook::element_not_named"), "{err}");
    let reject_first = for_first.replacen("runbook approve ", "runbook reject ", 1);
    assert_eq!(pasteable(&err), [reject_first.as_str()], "{err}");
    let out = decide(&s, None, &["answer", &run_id, "drain=yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("runbook::element_not_named"), "{err}");
    assert_eq!(
        pasteable(&err),
        [for_first.as_str(), reject_first.as_str()],
        "{err}"
    );
    assert_eq!(decisions(&s, &first), 0, "nothing decided");
    assert_eq!(waiting(&s)[0]["element"], "[0] eu 1", "it still waits");

    // A second record of the step waiting at once (written as the waiting
    // process's user, naming it: trusted and live): the bare step is
    // refused, nothing is decided, and each is listed with its command.
    let gates = gates_dir(&s, &first);
    let forge = |nonce: &str, element: &str| {
        let mut second = first.clone();
        second["nonce"] = nonce.into();
        second["element"] = element.into();
        second.as_object_mut().unwrap().remove("live");
        let forged = gates.join(format!("{nonce}.pending.json"));
        std::fs::write(&forged, second.to_string()).unwrap();
        std::fs::set_permissions(&forged, std::fs::Permissions::from_mode(0o640)).unwrap();
        forged
    };
    let forged = forge(&"5".repeat(32), "[9] ghost ]x[");
    assert_eq!(waiting(&s).len(), 2);
    let out = decide(&s, None, &["approve", &run_id, "drain"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("runbook::element_not_named"), "{err}");
    assert!(unwrapped(&err).contains("nothing was decided"), "{err}");
    assert_eq!(
        pasteable(&err),
        [
            for_first.as_str(),
            &format!("runbook approve {run_id} 'drain[ghost ]x[]' --journal-dir runs")
        ],
        "{err}"
    );
    std::fs::remove_file(&forged).unwrap();
    // A name of several records waiting at once (the same element twice)
    // decides none of them either.
    let forged = forge(&"6".repeat(32), "[0] eu 1");
    for verb in [
        &["approve", &run_id, "drain[eu 1]"][..],
        &["reject", &run_id, "drain[0]"],
    ] {
        let out = decide(&s, None, verb);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains("runbook::ambiguous_gate"), "{err}");
        assert!(unwrapped(&err).contains("nothing was decided"), "{err}");
        assert!(
            unwrapped(&err).contains("name the one you mean, `drain[INDEX]` or `drain[LABEL]`"),
            "{err}"
        );
    }
    assert_eq!(decisions(&s, &first), 0, "nothing decided");
    std::fs::remove_file(&forged).unwrap();

    // Pasted as printed: element [0] only.
    let out = paste(&s, &for_first);
    assert!(out.status.success(), "`{for_first}`: {}", text(&out));
    assert!(
        text(&out).contains("approved `drain[eu 1]`"),
        "{}",
        text(&out)
    );
    // Said taken once the run's mark names it; a run too slow to look
    // within 3 s is said not to have read it yet, never "decided" blindly.
    assert!(
        ["the run took it", "the run has not read it yet"]
            .iter()
            .any(|said| unwrapped(&text(&out)).contains(said)),
        "{}",
        text(&out)
    );
    let for_hostile = printed_approve(&s, &run_id, &format!("[1] {HOSTILE}"));
    // The command meant for element [0], run again (a second person, a
    // shell's history): element [1] waits now, and is not decided by it.
    let out = paste(&s, &for_first);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("runbook::not_pending"),
        "{}",
        text(&out)
    );
    let now = waiting(&s);
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["element"], format!("[1] {HOSTILE}"));
    assert_eq!(decisions(&s, &first), 0);
    // Nor by a bare `drain`, now that element [1] alone waits.
    let out = decide(&s, None, &["approve", &run_id, "drain"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("runbook::element_not_named"), "{err}");
    assert_eq!(pasteable(&err), [for_hostile.as_str()], "{err}");
    assert_eq!(decisions(&s, &first), 0);

    // A label with quotes, `]`, `[`, spaces and `$(...)`, by its label.
    assert!(
        for_hostile.contains("'drain[it'\\''s \"q\" ]x[ $(touch pwned)]'"),
        "{for_hostile}"
    );
    let out = paste(&s, &for_hostile);
    assert!(out.status.success(), "`{for_hostile}`: {}", text(&out));

    // A label of digits is named in quotes, as printed; typed bare it is
    // an index, of no element waiting.
    let for_seven = printed_approve(&s, &run_id, "[2] 7");
    assert!(for_seven.contains(" 'drain[\"7\"]' "), "{for_seven}");
    let out = decide(&s, None, &["approve", &run_id, "drain[7]"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("waiting: `drain[\"7\"]`"),
        "{}",
        text(&out)
    );
    let out = paste(&s, &for_seven);
    assert!(out.status.success(), "`{for_seven}`: {}", text(&out));

    // Typed by hand: a label holding `]=`, by its label.
    printed_approve(&s, &run_id, "[3] a]=b");
    let out = decide(&s, None, &["approve", &run_id, "drain[a]=b]"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("approved `drain[3]`"), "{}", text(&out));

    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    let mut trail: Vec<String> = s.read("trail").lines().map(str::to_string).collect();
    trail.sort();
    assert_eq!(trail, ["7", "a]=b", "eu 1", HOSTILE]);
    assert!(!s.path().join("pwned").exists());
    assert_eq!(run.events_of("gate_decided").len(), 4);
}
