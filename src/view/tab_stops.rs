//! Tabs in step output turned into the spaces a terminal would show for
//! them (stops every 8 columns from the start of the line). The live view
//! measures every line it draws to know how many rows to clear and redraw,
//! and a measure counts a tab as no column at all: a `printf 'a\tb'` above
//! the live area left a copy of the running lines behind on the screen.

use std::borrow::Cow;

/// Columns between tab stops, as terminals set them.
const TAB_WIDTH: usize = 8;

/// `line` with each tab replaced by the spaces up to the next stop.
pub fn expand(line: &str) -> Cow<'_, str> {
    if !line.contains('\t') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + TAB_WIDTH);
    let mut column = 0;
    let mut buffer = [0u8; 4];
    for ch in line.chars() {
        if ch == '\t' {
            let spaces = TAB_WIDTH - column % TAB_WIDTH;
            out.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
        } else {
            out.push(ch);
            column += console::measure_text_width(ch.encode_utf8(&mut buffer));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn tabs_reach_the_next_stop() {
        assert_eq!(expand("3159\t0\t2466097"), "3159    0       2466097");
        assert_eq!(expand("\tx"), "        x");
        assert_eq!(expand("12345678\tx"), "12345678        x");
        // Wide characters take two columns.
        assert_eq!(expand("日本\tx"), "日本    x");
        assert!(matches!(expand("no tabs"), std::borrow::Cow::Borrowed(_)));
    }
}
