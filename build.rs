//! Links the unwinder statically (`libgcc_eh.a`, which GCC installs beside
//! `libgcc_s.so`): the binary's own native libraries come before the
//! standard library's `-lgcc_s` on the linker's command line, so the
//! unwinder's symbols resolve here and `--as-needed` leaves `libgcc_s.so.1`
//! out of every start (docs/performance.md, "Startup, 2026-12-03").
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("linux-gnu") {
        println!("cargo:rustc-link-lib=static=gcc_eh");
    }
}
