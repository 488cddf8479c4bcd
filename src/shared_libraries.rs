//! Two shared libraries a run would load for almost nothing (the C
//! library's `libm` for one function, `libgcc_s` for the unwinder), kept
//! out of the binary's start: each mapped library costs every run its
//! loading and relocation (docs/performance.md, "Startup, 2026-12-03").

/// `pow`, which two dependencies call through `f64::powf` (indicatif's
/// rate estimate, tokio's scheduler statistics): defined here, the
/// executable's definition is the one every caller binds to, so the
/// linker (`--as-needed`) leaves `libm.so.6` out. `libm` is the Rust port
/// of musl's, the one compiler-builtins uses.
#[no_mangle]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(test)]
mod tests {
    /// The unwinder linked in catches a panic as `libgcc_s`'s did.
    #[test]
    fn a_panic_still_unwinds_to_its_catcher() {
        let caught = std::panic::catch_unwind(|| panic!("on purpose"));
        assert!(caught.is_err());
    }

    /// `f64::powf` reaches the binary's `pow`.
    #[test]
    fn powf_is_served() {
        use std::hint::black_box;
        assert_eq!(black_box(2f64).powf(black_box(10.0)), 1024.0);
        let root = black_box(0.5f64).powf(black_box(0.5));
        assert!((root - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        assert!(black_box(f64::NAN).powf(black_box(1.0)).is_nan());
    }
}
