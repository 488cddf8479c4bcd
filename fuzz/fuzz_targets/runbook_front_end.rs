//! Arbitrary bytes as a `.runbook` playbook: the whole check pipeline must not panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let file = runbook_dsl::SourceFile::new("fuzz.runbook", text);
        let _ = runbook_dsl::load::check(file, runbook_stdlib::builtin());
    }
});
