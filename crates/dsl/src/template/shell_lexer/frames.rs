//! The state the shell lexer keeps between characters: the nesting
//! ([`Frame`]s), a character whose meaning waits on the next one
//! ([`Pending`]), here-documents and their delimiter words.

/// One level of nesting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Frame {
    /// Command text: the whole command, `$(...)` (closed by `)`), `(...)`.
    /// `case_depth` counts open `case ... esac`, whose patterns end in `)`.
    Command {
        closes_on_paren: bool,
        case_depth: u32,
    },
    Double,
    Single,
    /// `$'...'`
    AnsiC,
    Backquote,
    /// `$((...))` or `((...))`; `depth` counts inner parentheses.
    Arithmetic {
        depth: u32,
    },
    /// `${...}`; `depth` counts inner braces.
    Brace {
        depth: u32,
    },
    /// bash's old `$[...]` arithmetic; `depth` counts inner brackets.
    BracketArithmetic {
        depth: u32,
    },
    Comment,
    Heredoc(Heredoc),
}

/// A here-document whose body is being read (or will be, after the newline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Heredoc {
    pub(super) delimiter: String,
    pub(super) quoted: bool,
    /// `<<-`: leading tabs are stripped from body lines.
    pub(super) strip_tabs: bool,
    /// The interpreter its text reaches (`sh <<EOF`, `cat <<EOF | sh`).
    pub(super) reader: Option<super::pipeline::Interpreter>,
    /// The files its command writes it to (`cat > s <<EOF`), by literal path.
    pub(super) writes: Vec<String>,
}

/// A character whose meaning depends on the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pending {
    None,
    /// After `\` (outside single quotes).
    Escape,
    /// After `$`.
    Dollar,
    /// After `$(`: `$((` is arithmetic.
    DollarParen,
    /// After `(` at the start of a command: `((` is arithmetic.
    Paren,
    /// After `)` closing an arithmetic expression's inner text: `))` ends it.
    ArithClose,
    /// After `<`: `<<` starts a here-document.
    Less,
    /// After `<<`: `<<-` strips tabs, `<<<` is a here-string.
    LessLess,
    /// After `|`: `||` ends the pipeline, `|&` is a pipe too.
    Bar,
}

/// Whether the lexer is at the start of a word (where `#` starts a comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WordStart {
    Yes,
    No,
    /// Depends on which side of an `{{#if}}` was taken.
    Maybe,
}

/// A here-document operator whose delimiter word is being read.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(super) struct DelimiterWord {
    pub(super) text: String,
    pub(super) quoted: bool,
    pub(super) strip_tabs: bool,
    pub(super) started: bool,
    pub(super) quote: Option<char>,
    pub(super) escaped: bool,
}
