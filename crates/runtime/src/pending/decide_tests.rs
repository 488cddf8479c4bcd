//! Unit tests of deciding: four-eyes, trust in records, decision files.

use super::*;
use crate::pending::record::AnswerSpec;

fn record(kind: PendingKind, by_other: bool) -> PendingRecord {
    PendingRecord {
        answer: Some(AnswerSpec::Choice {
            choices: vec!["workload".into(), "platform".into()],
        }),
        by_other,
        ..PendingRecord::for_tests(kind, "r", "s")
    }
}

#[test]
fn answers_are_checked_as_the_command_line_checks_them() {
    let ask = record(PendingKind::Ask, false);
    let answer = |v: &str| Verdict::Answer { value: v.into() };
    assert_eq!(
        check(&ask, &answer("2"), 1),
        Ok(Accepted::Answered(Value::from("platform")))
    );
    assert!(matches!(
        check(&ask, &answer("$(touch x)"), 1),
        Err(DecideError::InvalidAnswer(_))
    ));
    let approve = Verdict::Approve { reason: None };
    assert!(matches!(
        check(&ask, &approve, 1),
        Err(DecideError::WrongVerdict(_))
    ));
    let manual = record(PendingKind::Manual, false);
    assert_eq!(
        check(&manual, &answer("done by hand"), 1),
        Ok(Accepted::Answered(Value::from("by hand")))
    );
    assert!(check(&manual, &answer("doneness"), 1).is_err());
}

#[test]
fn the_starter_cannot_pass_a_four_eyes_gate_but_may_reject_it() {
    let gate = record(PendingKind::Gate, true);
    let approve = Verdict::Approve { reason: None };
    assert!(matches!(
        check(&gate, &approve, 1000),
        Err(DecideError::FourEyes { .. })
    ));
    assert!(check(&gate, &approve, 1001).is_ok());
    let reject = Verdict::Reject { reason: None };
    assert!(check(&gate, &reject, 1000).is_ok());
}

#[test]
fn a_decision_file_says_which_front_end_wrote_it_only_when_it_is_not_the_command_line() {
    let gate = record(PendingKind::Gate, false);
    let approve = Verdict::approval(true, Some("  ".into()));
    assert_eq!(approve, Verdict::Approve { reason: None });
    let command = serde_json::to_value(approve.file(&gate, Front::Command)).unwrap();
    assert!(command.get("via").is_none(), "{command}");
    let web = serde_json::to_value(approve.file(&gate, Front::Web)).unwrap();
    assert_eq!(web["via"], "web");
    // A file written before the field existed reads as the command line's.
    let old: DecisionFile = serde_json::from_value(command).unwrap();
    assert_eq!(old.via, Front::Command);
}

/// Whoever started or resumed the run is refused at a four-eyes gate,
/// not only the user running the waiting process.
#[test]
fn everyone_who_started_or_resumed_the_run_is_refused_at_four_eyes() {
    let gate = PendingRecord {
        ran_by: vec![
            crate::pending::RunUser {
                user: "alice".into(),
                uid: 1000,
            },
            crate::pending::RunUser {
                user: "bob".into(),
                uid: 1001,
            },
        ],
        starter_uid: 1001,
        ..record(PendingKind::Gate, true)
    };
    let approve = Verdict::Approve { reason: None };
    for runner in [1000, 1001] {
        assert!(matches!(
            check(&gate, &approve, runner),
            Err(DecideError::FourEyes { .. })
        ));
        assert!(check(&gate, &Verdict::Reject { reason: None }, runner).is_ok());
    }
    assert!(check(&gate, &approve, 1002).is_ok());
}

/// The run directory's owner (uid 0 here) cannot pass off a record of
/// their own as the live one of a colleague's resume (pid 42, uid
/// 1001); their own records are trusted as before.
#[test]
fn a_record_naming_the_lock_holder_must_be_the_holders_users() {
    let resumed = Holder {
        pid: Some(42),
        uid: Some(1001),
    };
    assert!(resumed.may_have_written(1001, 42, 0));
    assert!(
        !resumed.may_have_written(0, 42, 0),
        "the owner, naming the holder"
    );
    assert!(
        resumed.may_have_written(0, 7, 0),
        "the owner's stale record"
    );
    assert!(
        !resumed.may_have_written(1001, 7, 0),
        "the resumer, naming another pid"
    );
    let unknown = Holder {
        pid: None,
        uid: None,
    };
    assert!(unknown.may_have_written(0, 42, 0));
    assert!(!unknown.may_have_written(1001, 42, 0));
}

/// A run directory of `journal_dir` with `records` waiting in it, written
/// by this process (alive: they are live) as its own user.
fn waiting_in(journal_dir: &Path, run_id: &str, records: &[PendingRecord]) {
    let run_dir = journal_dir.join(run_id);
    std::fs::create_dir_all(&run_dir).unwrap();
    let gates = files::Gates::create(&run_dir).unwrap();
    for record in records {
        let bytes = serde_json::to_vec(record).unwrap();
        gates
            .write_atomically(&files::pending_name(&record.nonce), &bytes, true)
            .unwrap();
    }
}

/// A live record of `step` of run `run_id`, of element `element`
/// (`[INDEX] LABEL`) if given, under nonce `nonce` (one hex digit, x32).
fn live(run_id: &str, step: &str, element: Option<&str>, nonce: char) -> PendingRecord {
    PendingRecord {
        element: element.map(str::to_string),
        pid: std::process::id(),
        starter_uid: current_uid(),
        nonce: nonce.to_string().repeat(32),
        ..PendingRecord::for_tests(PendingKind::Gate, run_id, step)
    }
}

#[test]
fn a_bare_step_never_decides_an_element_even_the_only_one_waiting() {
    let scratch = std::env::temp_dir().join(format!("runbook-decide-bare-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let dir = scratch.as_path();
    let run_id = "20261201T031500Z-4f3a9c";
    let hostile = "eu $(touch pwned) 'q' ]x[";
    let element = live(run_id, "drain", Some(&format!("[1] {hostile}")), 'a');
    let plain = live(run_id, "wipe", None, 'b');
    waiting_in(dir, run_id, &[element.clone(), plain.clone()]);
    let approve = Verdict::Approve { reason: None };
    let decided = |named: &str| decide(dir, run_id, &Target::parse(named).unwrap(), &approve);
    let decisions = || {
        std::fs::read_dir(dir.join(run_id).join(files::GATES_DIR))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".decision.json"))
            .count()
    };

    let refused = decided("drain").unwrap_err();
    let DecideError::ElementNotNamed { step, waiting } = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(step, "drain");
    assert_eq!(waiting, std::slice::from_ref(&element));
    assert_eq!(
        refused.to_string(),
        format!("`drain` names no element of its loop, whose elements are decided one by one; waiting: `drain[{hostile}]`; nothing was decided")
    );
    // Answering it bare is refused the same way.
    let (target, value) = Target::parse_answer("drain=yes").unwrap();
    let answered = decide(dir, run_id, &target, &Verdict::Answer { value });
    assert!(
        matches!(answered, Err(DecideError::ElementNotNamed { .. })),
        "{answered:?}"
    );
    assert_eq!(decisions(), 0, "nothing decided");

    // A step of no element is decided bare; an element by its name.
    // No run reads them here: each is written for the run to read, and
    // said not taken yet.
    let wipe = decided("wipe").unwrap();
    assert_eq!(wipe.record.nonce, plain.nonce);
    assert!(!wipe.taken, "nobody took it");
    assert_eq!(decided("drain[1]").unwrap().record.nonce, element.nonce);
    assert_eq!(decisions(), 2);
    // A name of nothing waiting is still `NotPending`.
    assert!(matches!(
        decided("other"),
        Err(DecideError::NotPending { .. })
    ));
    std::fs::remove_dir_all(&scratch).unwrap();
}
