//! Whitespace around tags, as handlebars treats it: `{{~` and `~}}` strip
//! all whitespace on that side of the tag, newlines included; a block tag
//! (`{{#each}}`, `{{else}}`, `{{/if}}`...) or a comment alone on its line is
//! "standalone": its line disappears with its newline, so a block written
//! over several lines adds no blank lines to the text it produces.

/// Whether the tag at `open..end` starts with `{{~` and ends with `~}}`
/// (also in the triple-brace form `{{{~x~}}}`).
pub(super) fn tildes(source: &str, open: usize, end: usize) -> (bool, bool) {
    let tag = &source[open..end];
    let inner = tag
        .strip_prefix("{{{")
        .and_then(|t| t.strip_suffix("}}}"))
        .or_else(|| tag.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")))
        .unwrap_or_default();
    (
        inner.starts_with('~'),
        inner.len() > 1 && inner.ends_with('~'),
    )
}

/// When the tag at `open..end` is alone on its line (only spaces and tabs
/// around it), where the text after its line starts: past the newline, or
/// the end of the text.
pub(super) fn standalone(source: &str, open: usize, end: usize) -> Option<usize> {
    let line_start = source[..open].rfind('\n').map_or(0, |i| i + 1);
    if !source[line_start..open]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
    {
        return None;
    }
    let rest = &source[end..];
    let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let after = rest[..line_end]
        .trim_end_matches('\n')
        .trim_end_matches('\r');
    after
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(end + line_end)
}

/// How many bytes of whitespace end `text`: all of it (`{{~`), or only the
/// spaces and tabs of its last line (a standalone tag).
pub(super) fn trailing(text: &str, all: bool) -> usize {
    let kept = if all {
        text.trim_end()
    } else {
        text.trim_end_matches([' ', '\t'])
    };
    text.len() - kept.len()
}

/// How many bytes of whitespace start `text` (after `~}}`).
pub(super) fn trailing_start(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tildes_on_either_side() {
        assert_eq!(tildes("{{~x~}}", 0, 7), (true, true));
        assert_eq!(tildes("{{x~}}", 0, 6), (false, true));
        assert_eq!(tildes("{{{~x}}}", 0, 8), (true, false));
        assert_eq!(tildes("{{~}}", 0, 5), (true, false));
    }

    #[test]
    fn a_tag_alone_on_its_line() {
        let s = "a\n  {{#if x}}  \nb";
        let open = s.find("{{").unwrap();
        let end = s.find("}}").unwrap() + 2;
        assert_eq!(standalone(s, open, end), Some(s.find('b').unwrap()));
        let s = "a {{#if x}}\nb";
        assert_eq!(standalone(s, 2, 11), None);
        let s = "{{/if}}";
        assert_eq!(standalone(s, 0, 7), Some(7));
        let s = "{{/if}}\r\nx";
        assert_eq!(standalone(s, 0, 7), Some(9));
        assert_eq!(trailing("a\n  \t", false), 3);
        assert_eq!(trailing("a \n ", true), 3);
    }
}
