//! Durations as authors write them (`500ms`, `30s`, `5m`, `1h30m`): read by
//! the lowerer (`timeout`, `every`, ...), by `duration("5m")` in
//! expressions and by `duration` inputs, so all three agree.

/// Writes a number of seconds as authors write durations: `12s`, `5m`,
/// `1h30m`, `250ms` (to the millisecond), so what a person is shown reads
/// back with [`parse_duration`] as the same duration.
pub fn write_duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return seconds.to_string();
    }
    let sign = if seconds < 0.0 { "-" } else { "" };
    let total_ms = (seconds.abs() * 1000.0).round();
    if total_ms == 0.0 {
        return "0s".into();
    }
    // Beyond u64 milliseconds (584 million years) hours are all that matter.
    let total_ms = if total_ms >= u64::MAX as f64 {
        u64::MAX
    } else {
        total_ms as u64
    };
    let (hours, rest) = (total_ms / 3_600_000, total_ms % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (secs, ms) = (rest / 1000, rest % 1000);
    let mut out = String::from(sign);
    for (n, unit) in [(hours, "h"), (minutes, "m"), (secs, "s"), (ms, "ms")] {
        if n > 0 {
            out.push_str(&n.to_string());
            out.push_str(unit);
        }
    }
    out
}

/// Parses `500ms`, `30s`, `5m`, `1h30m`; a bare number has no unit and is refused.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("it is empty".into());
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err("it has no unit".into());
    }
    humantime::parse_duration(trimmed).map_err(|e| e.to_string())
}

/// The duration a template rendered: a duration as written (`5m`), or a
/// number of seconds, which is what a `duration` input or value is once
/// known (`300`, `1.5`). The one reading of a templated duration, at check
/// time (values known then) and at run time.
pub fn rendered_duration(text: &str) -> Result<std::time::Duration, String> {
    let trimmed = text.trim();
    match trimmed.parse::<f64>() {
        Ok(seconds) => std::time::Duration::try_from_secs_f64(seconds)
            .map_err(|_| "it is not a number of seconds a duration can be".into()),
        Err(_) => parse_duration(trimmed),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, rendered_duration, write_duration};
    use std::time::Duration;

    #[test]
    fn a_written_duration_reads_back_as_itself() {
        for (seconds, text) in [
            (0.0, "0s"),
            (0.25, "250ms"),
            (12.0, "12s"),
            (300.0, "5m"),
            (5400.0, "1h30m"),
            (90061.5, "25h1m1s500ms"),
            (-120.0, "-2m"),
        ] {
            assert_eq!(write_duration(seconds), text);
            if seconds >= 0.0 {
                assert_eq!(
                    parse_duration(text).unwrap().as_secs_f64(),
                    seconds,
                    "{text}"
                );
            }
        }
        // Nothing a number can be makes it panic.
        for odd in [f64::NAN, f64::INFINITY, f64::MAX, -f64::MAX, 1e-9] {
            let _ = write_duration(odd);
        }
    }

    #[test]
    fn rendered_durations_are_written_or_seconds() {
        assert_eq!(rendered_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(rendered_duration(" 1h30m\n"), Ok(Duration::from_secs(5400)));
        assert_eq!(rendered_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(rendered_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in [
            "5x",
            "",
            "-3",
            "NaN",
            "inf",
            "1e400",
            "$(touch x)",
            "5m; rm -rf /",
        ] {
            assert!(rendered_duration(bad).is_err(), "{bad:?}");
        }
    }
}
