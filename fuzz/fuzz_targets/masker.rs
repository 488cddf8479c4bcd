//! The masker's property: whatever surrounds it, a secret registered with
//! the masker never survives masking in any form it recognises (plain,
//! base64 of it and of it with a newline, JSON-escaped, percent-encoded).
//! The input is split at the first NUL: the secret, then the text around
//! each of its forms.
#![no_main]
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use runbook_runtime::mask::{Masker, MIN_SECRET_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (secret, around) = text.split_once('\0').unwrap_or((text, "x"));
    // A secret made of what the mask is made of could be re-formed by the
    // masks themselves; such secrets are not tracked usefully anyway.
    if secret.chars().count() < MIN_SECRET_LEN || secret.contains('*') {
        return;
    }
    let mut masker = Masker::new();
    masker.add(secret);
    let json = serde_json::to_string(secret).unwrap();
    let percent: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
    let forms = [
        secret.to_string(),
        STANDARD.encode(secret),
        STANDARD.encode(format!("{secret}\n")),
        json[1..json.len() - 1].to_string(),
        percent,
    ];
    let mid = (0..=around.len() / 2)
        .rev()
        .find(|&i| around.is_char_boundary(i))
        .unwrap_or(0);
    let (before, after) = around.split_at(mid);
    for form in &forms {
        let line = format!("{before}{form}{after}");
        let masked = masker.mask(&line);
        for f in &forms {
            assert!(
                !masked.contains(f.as_str()),
                "{f:?} survives in {masked:?} (from {line:?})"
            );
        }
    }
    // Arbitrary text never panics, and masking is idempotent.
    let once = masker.mask(around);
    assert_eq!(masker.mask(&once), once);
});
