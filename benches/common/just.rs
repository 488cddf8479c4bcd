//! Where the benches find their peer, `just`: Debian does not package it, so
//! it is used when installed (`cargo install just --locked`).

/// The peer's binary: `RUNBOOK_BENCH_JUST`, else `just` on `PATH`.
pub fn find_just() -> Option<std::path::PathBuf> {
    if let Some(named) = std::env::var_os("RUNBOOK_BENCH_JUST") {
        return Some(named.into());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("just"))
            .find(|candidate| candidate.is_file())
    })
}
