//! Colours of what runbook prints to a person, through `console`'s styles
//! and its detection, in one place: colour only on a terminal, never with
//! `NO_COLOR` (or `CLICOLOR=0`, or `TERM` dumb or unset), and always with
//! `CLICOLOR_FORCE=1`, whatever the output is.

use console::Style;

/// Whether what goes to stderr (the run's view, diagnostics) is coloured.
pub fn stderr() -> bool {
    console::colors_enabled_stderr()
}

/// Whether what goes to stdout (`diff`, `test`) is coloured.
pub fn stdout() -> bool {
    console::colors_enabled()
}

/// Paints text with a style when colour is on, leaves it plain otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    color: bool,
}

impl Palette {
    pub fn new(color: bool) -> Palette {
        Palette { color }
    }

    pub fn paint(&self, style: Style, text: &str) -> String {
        style.force_styling(self.color).apply_to(text).to_string()
    }

    /// Secondary text: titles, durations, output gutters.
    pub fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dim(), text)
    }

    /// Names that lead a line: `runbook`, a running step's id.
    pub fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    /// Success.
    pub fn green(&self, text: &str) -> String {
        self.paint(Style::new().green(), text)
    }

    /// Failure, rejection.
    pub fn red(&self, text: &str) -> String {
        self.paint(Style::new().red(), text)
    }

    /// Warnings: retries, interruptions, stderr.
    pub fn yellow(&self, text: &str) -> String {
        self.paint(Style::new().yellow(), text)
    }

    /// Log lines.
    pub fn blue(&self, text: &str) -> String {
        self.paint(Style::new().blue(), text)
    }

    /// What a dry-run would do.
    pub fn magenta(&self, text: &str) -> String {
        self.paint(Style::new().magenta(), text)
    }

    /// A step starting.
    pub fn cyan(&self, text: &str) -> String {
        self.paint(Style::new().cyan(), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_has_no_escape_sequences_and_coloured_text_has() {
        assert_eq!(Palette::new(false).red("no"), "no");
        assert_eq!(Palette::new(true).red("no"), "\x1b[31mno\x1b[0m");
        assert_eq!(Palette::new(true).dim("t"), "\x1b[2mt\x1b[0m");
    }
}
