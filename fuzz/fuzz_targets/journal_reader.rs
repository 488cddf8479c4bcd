//! Arbitrary bytes as a journal file: reading never panics (damaged lines,
//! invalid UTF-8 and torn ends are errors or skipped, never a crash).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("runbook-fuzz-journal-{}.jsonl", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(scratch(), data).expect("write the scratch journal");
    let _ = runbook_runtime::journal::read(scratch());
});
