use super::*;

/// A secret with every character that encodings treat specially.
const HOSTILE: &str = "p a's\"s&w=rd+%/?#\\ tail-of-the-secret";

fn masker(secret: &str) -> Masker {
    let mut m = Masker::new();
    m.add(secret);
    m
}

#[test]
fn derived_captures_mask_only_what_could_carry_a_secret() {
    let mut m = Masker::new();
    m.add_derived(
        &serde_json::json!(["running", 42, "0.25", {"token": "eyJhbGciOiJIUzI1NiJ9.payload"}]),
    );
    assert_eq!(
        m.mask("step still_running: running, 42"),
        "step still_running: running, 42"
    );
    assert!(!m
        .mask("Bearer eyJhbGciOiJIUzI1NiJ9.payload")
        .contains("eyJhbGciOiJIUzI1NiJ9.payload"));
}

#[test]
fn masks_plain_base64_and_json_escaped_forms() {
    let m = masker("s3cr\"et\\tok");
    let b64 = STANDARD.encode("s3cr\"et\\tok\n");
    let text = format!(
        "a s3cr\"et\\tok b {b64} c {}",
        serde_json::to_string("s3cr\"et\\tok").unwrap()
    );
    let masked = m.mask(&text);
    assert!(!masked.contains("s3cr"), "{masked}");
    assert!(!masked.contains(&b64), "{masked}");
    assert_eq!(masked.matches(MASK).count(), 3, "{masked}");
}

#[test]
fn a_derived_value_does_not_mask_what_was_declared_plain() {
    let mut m = Masker::new();
    m.add("the-token-itself");
    m.add_plain(&serde_json::json!(["prod-eu-west-1-web-1"]));
    m.add_derived(&serde_json::json!([
        "prod-eu-west-1-web-1",
        "a-session-token-xyz"
    ]));
    assert_eq!(
        m.mask("drain prod-eu-west-1-web-1 with a-session-token-xyz"),
        "drain prod-eu-west-1-web-1 with ***"
    );
    // Declaring a value plain never unmasks a registered secret.
    m.add_plain(&serde_json::json!("the-token-itself"));
    assert_eq!(m.mask("the-token-itself"), "***");
}

#[test]
fn masks_json_as_php_and_python_write_it() {
    // PHP escapes `/` by default; Python and PHP escape what is not
    // ASCII as `\uXXXX`.
    let m = masker("ab/cd+ef/gh==ij/kl-SECRÉT");
    for text in [
        r#"{"token":"ab\/cd+ef\/gh==ij\/kl-SECR\u00c9T"}"#,
        r#"{"token":"ab/cd+ef/gh==ij/kl-SECR\u00c9T"}"#,
        r#"{"token":"ab\/cd+ef\/gh==ij\/kl-SECRÉT"}"#,
    ] {
        assert_eq!(m.mask(text), r#"{"token":"***"}"#, "{text}");
    }
    // Outside the Basic Multilingual Plane: a surrogate pair.
    let m = masker("key-🔑-value");
    assert_eq!(m.mask(r#""key-\ud83d\udd11-value""#), "\"***\"");
}

#[test]
fn masks_the_form_quoted_for_two_shells() {
    let mut m = Masker::new();
    m.add("it's a secret");
    let command = runbook_dsl::template::quote_in(
        runbook_dsl::template::ShellContext::Word,
        runbook_dsl::template::Parses::Twice,
        "it's a secret",
        false,
    )
    .unwrap();
    let masked = m.mask(&format!("ssh h restore {command}"));
    assert!(!masked.contains("a secret"), "{masked}");
}

#[test]
fn ignores_tiny_values() {
    let m = masker("ok");
    assert_eq!(m.mask("ok ok"), "ok ok");
}

#[test]
fn masks_inside_json_values() {
    let m = masker("hunter2");
    let mut v = serde_json::json!({"a": ["x hunter2 y"], "hunter2": 1});
    m.mask_value(&mut v);
    assert_eq!(v, serde_json::json!({"a": ["x *** y"], "***": 1}));
}

#[test]
fn masks_percent_encoded_forms_in_any_mix() {
    let m = masker(HOSTILE);
    let strict: String = HOSTILE
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let lower = strict.to_lowercase();
    let form = strict.replace("%20", "+");
    for encoded in [strict, lower, form] {
        let text = format!("GET http://h/x?token={encoded}&b=1 answered 503");
        assert_eq!(m.mask(&text), "GET http://h/x?token=***&b=1 answered 503");
    }
}

#[test]
fn masks_multi_line_secrets_whole_and_line_by_line() {
    let pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----";
    let m = masker(pem);
    assert_eq!(m.mask(&format!("key: {pem}!")), "key: ***!");
    for line in pem.lines() {
        assert_eq!(m.mask(line), MASK, "{line}");
    }
}

#[test]
fn masks_wrapped_base64_whole_and_line_by_line() {
    let secret = "x".repeat(40) + HOSTILE;
    let m = masker(&secret);
    for bytes in [secret.clone(), format!("{secret}\n")] {
        let wrapped = wrap(&STANDARD.encode(&bytes), 76);
        assert_eq!(m.mask(&wrapped), MASK);
        for line in wrapped.lines().filter(|l| l.len() >= MIN_LINE_LEN) {
            assert_eq!(m.mask(line), MASK, "{line}");
        }
    }
}

#[test]
fn masks_base64_of_longer_text_containing_the_secret() {
    let m = masker(HOSTILE);
    for prefix in ["", "a", "ab", "token: "] {
        let encoded = STANDARD.encode(format!("{prefix}{HOSTILE} and more"));
        let masked = m.mask(&encoded);
        assert!(masked.contains(MASK), "{prefix:?}: {masked}");
        // At most a group and a half on either side is left in clear.
        assert!(masked.len() <= encoded.len() - 4 * (HOSTILE.len() / 3 - 2) + MASK.len());
    }
}

#[test]
fn longest_form_wins_and_neighbours_merge() {
    let m = masker("secret-value");
    assert_eq!(
        m.mask("secret-valuesecret-value 'secret-value'"),
        "*** '***'"
    );
}

#[test]
fn leaves_text_without_secrets_alone() {
    let m = masker(HOSTILE);
    for text in ["", "%", "%zz+", "100% + 1", "é%C3", "a+b%2"] {
        assert_eq!(m.mask(text), text);
    }
}

/// A long repetitive value (a 20 KB `"LLL…"` body a step that used a
/// secret read) is masked whole, in its forms, and a short one still is:
/// past a few short forms the automaton is not a DFA, whose build took
/// time quadratic in such forms' length (seconds at 3 KB).
#[test]
fn long_repetitive_values_are_masked_whole() {
    let body = format!("{{\"status\": \"{}\"}}", "L".repeat(20_000));
    let mut m = Masker::new();
    m.add_derived(&Value::String(body.clone()));
    m.add("tok-123456");
    assert_eq!(
        m.mask(&format!("got {body} and tok-123456")),
        "got *** and ***"
    );
    let quoted = serde_json::to_string(&body).unwrap();
    assert_eq!(m.mask(&format!("json {quoted}")), "json \"***\"");
    assert_eq!(m.mask("LLLL short"), "LLLL short");
}
