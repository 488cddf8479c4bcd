//! How a `lines` or `regex` output reads a text result: what splits it
//! into records (`separator`) and which of the matches it holds (`select`).

/// What splits a text into the records a `lines` output matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Separator {
    /// Line ends (a `\r` before one is dropped): the default.
    Newline,
    /// NUL bytes, as `find -print0`, `xargs -0`, `git ls-files -z` and
    /// `grep -lZ` write names: the one byte a file name cannot hold, so a
    /// name with a line break in it stays one record.
    Nul,
}

impl Separator {
    pub const ALL: &'static [Separator] = &[Separator::Newline, Separator::Nul];

    pub fn name(self) -> &'static str {
        match self {
            Separator::Newline => "newline",
            Separator::Nul => "nul",
        }
    }

    pub fn parse(word: &str) -> Option<Separator> {
        Separator::ALL.iter().copied().find(|s| s.name() == word)
    }

    /// The records of `text`: its lines, or its NUL-terminated parts (a
    /// last part without its NUL counts; the empty one after a final NUL
    /// does not, as `lines()` drops the one after a final line end).
    pub fn records(self, text: &str) -> Vec<&str> {
        match self {
            Separator::Newline => text.lines().collect(),
            Separator::Nul => text.split_terminator('\0').collect(),
        }
    }

    /// `records` written back as one text (a rehearsal's scripted list
    /// turned into the output it stands for).
    pub fn join(self, records: &[String]) -> String {
        match self {
            Separator::Newline => records.join("\n"),
            Separator::Nul => records.iter().map(|r| format!("{r}\0")).collect(),
        }
    }
}

/// Which matches of a `lines` or `regex` output it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Select {
    /// Every match, as a list (the default of `lines`).
    All,
    /// How many matched.
    Count,
    /// The first match (the default of `regex`).
    First,
    /// The last match.
    Last,
}

impl Select {
    pub const ALL: &'static [Select] = &[Select::All, Select::Count, Select::First, Select::Last];

    pub fn name(self) -> &'static str {
        match self {
            Select::All => "all",
            Select::Count => "count",
            Select::First => "first",
            Select::Last => "last",
        }
    }

    pub fn parse(word: &str) -> Option<Select> {
        Select::ALL.iter().copied().find(|s| s.name() == word)
    }
}
