use super::*;

fn started(step: &str) -> Record {
    Record {
        seq: 1,
        time: "2026-12-01T00:00:00.000Z".into(),
        event: Event::StepStarted {
            step: step.into(),
            attempt: 1,
            command: None,
        },
    }
}

/// What `for_terminal` gave before the JSON-text shortcut: the record's
/// value with every string escaped.
fn escaped_the_long_way(record: &Record) -> Record {
    let mut value = serde_json::to_value(record).unwrap();
    escape_strings(&mut value);
    serde_json::from_value(value).unwrap()
}

#[test]
fn the_shortcut_escapes_exactly_what_every_string_escaped_did() {
    for step in [
        "plain",
        "tab\tand\nnewline",
        "crlf\r\n",
        "lone\rreturn",
        "\u{1b}[2Jclear",
        "bell\u{7}",
        "backspace\u{8}formfeed\u{c}",
        "del\u{7f}",
        "c1\u{9b}31m",
        "bidi\u{202e}txt.exe",
        "isolate\u{2066}",
        r"C:\users\bob \u001b literally",
        "quote\"and\\backslash",
        "ünïcödé ✓",
    ] {
        let record = started(step);
        let shown = for_terminal(&record);
        let expected = escaped_the_long_way(&record);
        assert_eq!(
            serde_json::to_string(&*shown).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "{step:?}"
        );
        let changed =
            serde_json::to_string(&expected).unwrap() != serde_json::to_string(&record).unwrap();
        assert_eq!(matches!(shown, Cow::Owned(_)), changed, "{step:?}");
    }
}

#[test]
fn a_record_with_nothing_to_escape_is_not_copied() {
    assert!(matches!(for_terminal(&started("web-1")), Cow::Borrowed(_)));
    assert!(matches!(
        for_terminal(&started(r"C:\users")),
        Cow::Borrowed(_)
    ));
}
