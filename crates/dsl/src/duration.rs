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
