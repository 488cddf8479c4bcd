//! Sizes as authors and operators write them (`1MiB`, `64KiB`, `5MB`, a
//! number of bytes): read by the lowerer (`output_cap:`), by the CLI
//! (`--output-cap`) and from what a templated size renders at run time, so
//! all three agree on the units and on the bounds of an output cap.

use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// The smallest output cap: below it a marker line and a few lines of
/// output would not fit.
pub const MIN_OUTPUT_CAP: u64 = 1 << 10;

/// The largest output cap: 256 MiB. A step's kept output is held in memory
/// several times over (the stream being read, the result later steps read,
/// the event, the journal record being written), per stream, for up to
/// `--jobs` steps at once: 256 MiB already costs gigabytes in the worst
/// case. A larger result belongs in a file (`http` `save_to:`, a shell
/// redirection), not in the journal.
pub const MAX_OUTPUT_CAP: u64 = 256 << 20;

/// The output cap when neither the playbook nor the command line sets one.
pub const DEFAULT_OUTPUT_CAP: u64 = 1 << 20;

/// Parses `1048576`, `64KiB`, `1MiB`, `5MB`, `2k`: bytes, binary or decimal units.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(if text.starts_with('-') {
            "a size cannot be negative".into()
        } else {
            "it does not start with a number".into()
        });
    }
    let number: u64 = number
        .parse()
        .map_err(|_| "its number is too large".to_string())?;
    if unit.starts_with(['.', ',']) {
        return Err("a size is a whole number: write `1536KiB` for 1.5 MiB".into());
    }
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "kb" => 1000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "`{other}` is not a unit: use B, KiB, MiB, GiB, kB, MB or GB"
            ))
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| "it is too large".to_string())
}

/// Why `bytes` cannot be an output cap, if it cannot.
pub fn check_output_cap(bytes: u64) -> Result<(), String> {
    if bytes < MIN_OUTPUT_CAP {
        Err(format!(
            "an output cap is at least {}",
            write_size(MIN_OUTPUT_CAP)
        ))
    } else if bytes > MAX_OUTPUT_CAP {
        Err(format!(
            "an output cap is at most {}",
            write_size(MAX_OUTPUT_CAP)
        ))
    } else {
        Ok(())
    }
}

/// An output cap as written or rendered: a size within the bounds. The one
/// reading of an output cap, for `--output-cap`, for `check` and for a
/// templated `output_cap` when its step runs.
pub fn parse_output_cap(text: &str) -> Result<u64, String> {
    let bytes = parse_size(text)?;
    check_output_cap(bytes)?;
    Ok(bytes)
}

/// The diagnostic for an `output_cap` that is not one: `text` as written or
/// rendered, `reason` from [`parse_output_cap`].
pub fn invalid_output_cap(text: &str, reason: &str, span: Span) -> Diagnostic {
    let help = match parse_size(text) {
        Ok(bytes) if bytes > MAX_OUTPUT_CAP => "256MiB is the most a step keeps: write a larger result to a file instead (`save_to:` of an `http` step, a shell redirection) and keep its summary",
        Ok(_) => "1KiB is the least a step keeps: write `1KiB` or more, such as `64KiB`",
        Err(_) => "write a number and a unit: `64KiB`, `1MiB`, `5MB`, or a number of bytes such as `65536`",
    };
    let message = match text.trim() {
        "" => "`output_cap` is empty".to_string(),
        text => format!("`{text}` is not an output cap: {reason}"),
    };
    Diagnostic::error(Code::InvalidOutputCap, message)
        .label(span, "invalid output cap")
        .help(help)
}

/// Writes a number of bytes as people read sizes: `64KiB`, `1MiB`, or bytes
/// when not a whole number of KiB; reads back with [`parse_size`].
pub fn write_size(bytes: u64) -> String {
    for (unit, factor) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= factor && bytes.is_multiple_of(factor) {
            return format!("{}{unit}", bytes / factor);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_every_unit() {
        for (text, bytes) in [
            ("1048576", 1 << 20),
            ("64KiB", 64 << 10),
            ("64kib", 64 << 10),
            ("2k", 2048),
            ("5MB", 5_000_000),
            (" 1MiB\n", 1 << 20),
            ("1 GiB", 1 << 30),
            ("3b", 3),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text:?}");
        }
    }

    #[test]
    fn hostile_or_wrong_sizes_are_refused() {
        for bad in [
            "",
            "lots",
            "5XB",
            "-1",
            "1.5MiB",
            "$(reboot)",
            "`id`",
            "1MiB; rm -rf /",
            "99999999999999999999GiB",
            "18446744073709551615GiB",
            "../1",
            "#1",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_output_cap_is_bounded() {
        assert!(parse_output_cap("1KiB").is_ok());
        assert!(parse_output_cap("256MiB").is_ok());
        assert!(parse_output_cap("1023")
            .unwrap_err()
            .contains("at least 1KiB"));
        assert!(parse_output_cap("257MiB")
            .unwrap_err()
            .contains("at most 256MiB"));
    }

    #[test]
    fn a_written_size_reads_back_as_itself() {
        for bytes in [1024, 65536, 1 << 20, 5_000_000, 1500, 3 << 30] {
            let text = write_size(bytes);
            let again = parse_size(text.trim_end_matches(" bytes")).unwrap();
            assert_eq!(again, bytes, "{text}");
        }
        assert_eq!(write_size(64 << 10), "64KiB");
        assert_eq!(write_size(1500), "1500 bytes");
    }
}
