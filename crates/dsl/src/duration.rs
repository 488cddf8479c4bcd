//! Durations as authors write them (`500ms`, `30s`, `5m`, `1h30m`): read by
//! the lowerer (`timeout`, `every`, ...), by `duration("5m")` in
//! expressions and by `duration` inputs, so all three agree.

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
    use super::*;
    use std::time::Duration;

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
