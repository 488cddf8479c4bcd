//! Where in a shell command an insertion lands. A small lexer of POSIX
//! shell text (what `sh` and `bash` agree on) that is fed a template's
//! literal text piece by piece and, between pieces, says which lexical
//! context the next insertion is in: a bare word, inside `"..."`, inside
//! `'...'`, a here-document body, inside backquotes, an arithmetic
//! expansion, a comment... Nesting is tracked (`"$(echo "x")"` is a
//! double-quoted string inside a command substitution inside a double-quoted
//! string), so the quoting chosen for an insertion is the one the shell will
//! actually undo there. The lexer never sees the inserted values: each
//! insertion is filled in so that it leaves the lexer where it was.

mod cursor;
mod evaluated_stdin;
mod frames;
mod interpreters;
mod pasting;
mod pipeline;
mod program_text;
mod programs;
mod redirections;
mod reuse;
mod script;
mod transitions;
mod variables;

#[cfg(test)]
mod cost_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod tests;

use crate::source::Span;
use cursor::Cursor;
use frames::{DelimiterWord, Frame, Heredoc, Pending, WordStart};
pub use pipeline::{Interpreter, Piped, Route};
pub use program_text::ProgramLanguage;
pub use programs::Language;

/// Comparison operators whose operands bash evaluates as arithmetic in
/// `[[ ... ]]` (where `a[$(cmd)]` runs `cmd`).
const ARITHMETIC_OPERATORS: &[&str] = &["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];

/// The lexical context of an insertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellContext {
    /// Where a word is read: the command line itself, or inside `$(...)`
    /// or `(...)`, possibly joined to literal text (`root@{{host}}`).
    Word,
    /// Inside `"..."`.
    DoubleQuoted,
    /// Inside `'...'`.
    SingleQuoted,
    /// Inside bash's `$'...'`, where `\'` does not end the string.
    AnsiCQuoted,
    /// A here-document body; `quoted` when its delimiter was quoted (`<<'EOF'`).
    Heredoc { quoted: bool },
    /// Anywhere inside backquotes.
    Backquoted,
    /// Inside `$((...))` or `((...))`.
    Arithmetic,
    /// Inside `${...}`.
    ParameterExpansion,
    /// After an unquoted `#` that starts a comment.
    Comment,
    /// Right after an unquoted `\` (which would escape the quote that opens
    /// the value) or a `$` (which would make `'...'` an ANSI-C string).
    AfterEscape,
    /// The delimiter word of a here-document (`<<{{x}}`).
    HeredocDelimiter,
    /// The sides of a `{{#if}}` left the text in different contexts, or a
    /// `#` may or may not start a comment depending on them.
    Ambiguous,
    /// The SQL a database client runs (`psql -c "..."`): shell quoting
    /// does not make a value safe in SQL.
    SqlText,
    /// The program an interpreter is given on its command line (`python3
    /// -c "..."`, `awk '...'`, `jq '...'`): shell quoting does not make a
    /// value safe in that language.
    ProgramText(ProgramLanguage),
    /// A variable's name, where bash evaluates a subscript (`a[$(cmd)]`)
    /// as arithmetic: `declare {{x}}=1`, `unset`, `read`, `printf -v`,
    /// `[[ -v ]]`, the value of `declare -n`.
    VariableName,
    /// The value of `declare -a`/`-A` (or `local`, `typeset`, `readonly`),
    /// which bash parses as a compound assignment `(...)` even when quoted.
    ArrayAssignment,
}

impl ShellContext {
    /// How the context reads in a diagnostic ("inside `'...'`").
    pub fn describe(self) -> &'static str {
        match self {
            ShellContext::Word => "a shell word",
            ShellContext::DoubleQuoted => "inside `\"...\"`",
            ShellContext::SingleQuoted => "inside `'...'`",
            ShellContext::AnsiCQuoted => "inside `$'...'`",
            ShellContext::Heredoc { quoted: false } => "in a here-document",
            ShellContext::Heredoc { quoted: true } => "in a quoted here-document",
            ShellContext::Backquoted => "inside backquotes",
            ShellContext::Arithmetic => {
                "where the shell evaluates arithmetic (`$((...))`, `let`, `declare -i`, a subscript)"
            }
            ShellContext::ParameterExpansion => "inside a parameter expansion `${...}`",
            ShellContext::Comment => "in a shell comment",
            ShellContext::AfterEscape => "right after `\\` or `$`",
            ShellContext::HeredocDelimiter => "as a here-document's delimiter",
            ShellContext::Ambiguous => "where the shell context depends on an `{{#if}}`",
            ShellContext::SqlText => "into the SQL a database client runs",
            ShellContext::ProgramText(_) => "into the program an interpreter runs",
            ShellContext::VariableName => "as a variable's name",
            ShellContext::ArrayAssignment => "as the value of an array `declare -a`",
        }
    }
}

/// The lexer's state. Feed literal text with [`ShellLexer::feed`], ask
/// [`ShellLexer::context`] where the next insertion goes.
#[derive(Clone, Debug)]
pub struct ShellLexer {
    frames: Vec<Frame>,
    pending: Pending,
    word_start: WordStart,
    /// At the start of a command (where `case`, `esac` and `((` count).
    command_start: bool,
    /// The plain characters of the current word, for `case` / `esac`.
    word: String,
    word_at_command_start: bool,
    /// Here-documents whose bodies start at the next newline.
    heredocs: Vec<Heredoc>,
    delimiter: Option<DelimiterWord>,
    /// The current line of a here-document body.
    line: String,
    /// Set when the context cannot be told (until the next newline).
    ambiguous: bool,
    /// The finished words of the current simple command (`None`: not
    /// plain text), to tell the remote command of `ssh`.
    words: Vec<Option<String>>,
    /// The same words as the shell hands them on (quotes removed, see
    /// [`script::decode_word`]), for the scripts another shell parses.
    texts: Vec<String>,
    /// The current word as written so far.
    raw_word: String,
    /// Whether a word of the current command names a program that hands
    /// text to another shell or a database ([`script::hands_on`]): until
    /// one does, the words' texts are not kept and insertions not followed.
    follows_words: bool,
    /// The command a `$(...)` or `(...)` interrupted, restored when it
    /// closes, so `sh -c "$(pwd) {{x}}"` is still known to be a script.
    interrupted: Vec<Interrupted>,
    /// Where each finished word of the current command is, and what was
    /// inserted in it (parallel to `words`), and the same for the current word.
    metas: Vec<WordMeta>,
    meta: WordMeta,
    /// The command lists being read, innermost last ([`pipeline`]).
    lists: Vec<pipeline::List>,
    /// Insertions found to reach an interpreter.
    piped: Vec<Piped>,
    /// How many scripts deep this lexer is (a script of `sh -c` in a
    /// command is 1).
    depth: usize,
    /// Where the character being read is in the file, when known.
    cursor: Cursor,
    /// The last character marked as part of the current word after its
    /// first ([`ShellLexer::mark_word`]): folded into the word's span
    /// when the word ends, not at every character.
    word_end: Cursor,
    /// How many of `words` are assignments written before the program
    /// (`IFS= read`, `LC_ALL=C sh`): the program is `words[assignments]`.
    /// Counted as words end, so no word scans the ones before it.
    assignments: usize,
    /// Strings of the words of earlier commands, kept for the words of
    /// the next ones: a word's text reuses one instead of allocating.
    spare: Vec<String>,
    /// The next word is the target of a redirection (`> out`, `<<< x`),
    /// not an argument.
    redirect_target: bool,
    /// The last character was a redirection operator (`>`, `<`): a `&`
    /// or `|` after it is part of it (`2>&1`, `>|`).
    redirect_op: bool,
    /// Names declared integer (`declare -i n`): bash evaluates what is
    /// assigned to them as arithmetic.
    int_vars: Vec<String>,
    /// The redirection whose target word is being read ([`redirections`]).
    redirect: Option<redirections::Redirect>,
    /// Whether what reads the text's own stdin matters (a `-c` script
    /// whose stdin is a pipe: `echo {{x}} | sh -c sh`), so its outermost
    /// list's reader is looked for as a nested list's is.
    reads_own_stdin: bool,
    /// Files this command wrote a value into, by literal path, with the
    /// insertion's key ([`redirections`]).
    written: Vec<(String, usize)>,
}

impl WordMeta {
    /// A word the lexer knows nothing of.
    const EMPTY: WordMeta = WordMeta {
        span: None,
        keys: Vec::new(),
        substituted: Vec::new(),
        substitution: false,
    };

    fn union(&mut self, other: &WordMeta) {
        for key in &other.keys {
            if !self.keys.contains(key) {
                self.keys.push(*key);
            }
        }
        for key in &other.substituted {
            if !self.substituted.contains(key) {
                self.substituted.push(*key);
            }
        }
        self.substitution |= other.substitution;
    }
}

/// What the lexer knows of one word beyond its text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct WordMeta {
    /// Where its plain characters are written.
    span: Option<Span>,
    /// The insertions made in it.
    keys: Vec<usize>,
    /// The insertions made in a command substitution inside it, whose
    /// output is part of it.
    substituted: Vec<usize>,
    /// It holds a command substitution's output (`$(...)`, backquotes,
    /// `<(...)`), whose command reads the stdin of the command it is in.
    substitution: bool,
}

/// What a command substitution or subshell interrupts.
#[derive(Clone, Debug, PartialEq)]
struct Interrupted {
    words: Vec<Option<String>>,
    assignments: usize,
    texts: Vec<String>,
    raw_word: String,
    word: String,
    follows_words: bool,
    metas: Vec<WordMeta>,
    meta: WordMeta,
    redirect_target: bool,
}

impl Default for ShellLexer {
    fn default() -> Self {
        ShellLexer {
            frames: vec![Frame::Command {
                closes_on_paren: false,
                case_depth: 0,
            }],
            pending: Pending::None,
            word_start: WordStart::Yes,
            command_start: true,
            word: String::new(),
            word_at_command_start: true,
            heredocs: Vec::new(),
            delimiter: None,
            line: String::new(),
            ambiguous: false,
            words: Vec::new(),
            texts: Vec::new(),
            raw_word: String::new(),
            follows_words: false,
            interrupted: Vec::new(),
            metas: Vec::new(),
            meta: WordMeta::default(),
            lists: vec![pipeline::List::default()],
            piped: Vec::new(),
            depth: 0,
            cursor: Cursor::Unknown,
            word_end: Cursor::Unknown,
            assignments: 0,
            spare: Vec::new(),
            redirect_target: false,
            redirect_op: false,
            int_vars: Vec::new(),
            redirect: None,
            reads_own_stdin: false,
            written: Vec::new(),
        }
    }
}

impl ShellLexer {
    /// The context an insertion made now lands in; `following` is the
    /// literal text right after it, when there is some (it tells whether an
    /// operand in `[[ ... ]]` is compared as a number).
    pub fn context(&self, following: Option<&str>) -> ShellContext {
        let context = self.lexical_context();
        if !matches!(
            context,
            ShellContext::Word | ShellContext::DoubleQuoted | ShellContext::SingleQuoted
        ) {
            return context;
        }
        // bash evaluates the arguments of `let`, and the operands of `-eq`...
        // in `[[ ... ]]`, as arithmetic, quoted or not.
        let program = self.words.first().and_then(|w| w.as_deref());
        if program == Some("let") {
            return ShellContext::Arithmetic;
        }
        if let Some(evaluated) = self.evaluated_by_bash() {
            return evaluated;
        }
        if program == Some("[[") && !self.words.iter().any(|w| w.as_deref() == Some("]]")) {
            let after_operator = self
                .words
                .last()
                .and_then(|w| w.as_deref())
                .is_some_and(|w| ARITHMETIC_OPERATORS.contains(&w));
            let before_operator = match following {
                // The rest of this word, then the next one.
                Some(text) => text
                    .trim_start_matches(|c: char| !c.is_whitespace())
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| ARITHMETIC_OPERATORS.contains(&w)),
                // Not known: another insertion or a block follows.
                None => true,
            };
            if after_operator || before_operator {
                return ShellContext::Arithmetic;
            }
        }
        context
    }

    /// The context from the quoting and nesting alone.
    fn lexical_context(&self) -> ShellContext {
        if self.ambiguous {
            return ShellContext::Ambiguous;
        }
        if self.delimiter.is_some() || self.pending == Pending::LessLess {
            return ShellContext::HeredocDelimiter;
        }
        match self.pending {
            Pending::Escape | Pending::Dollar => return ShellContext::AfterEscape,
            Pending::ArithClose => return ShellContext::Arithmetic,
            Pending::DollarParen => return ShellContext::Word,
            _ => {}
        }
        if self.frames.contains(&Frame::Backquote) {
            return ShellContext::Backquoted;
        }
        match self.frames.last() {
            Some(Frame::Double) => ShellContext::DoubleQuoted,
            Some(Frame::Single) => ShellContext::SingleQuoted,
            Some(Frame::AnsiC) => ShellContext::AnsiCQuoted,
            Some(Frame::Heredoc(h)) => ShellContext::Heredoc { quoted: h.quoted },
            Some(Frame::Arithmetic { .. } | Frame::BracketArithmetic { .. }) => {
                ShellContext::Arithmetic
            }
            Some(Frame::Brace { .. }) => ShellContext::ParameterExpansion,
            Some(Frame::Comment) => ShellContext::Comment,
            Some(Frame::Backquote) => ShellContext::Backquoted,
            Some(Frame::Command { .. }) | None => ShellContext::Word,
        }
    }

    /// An insertion was made: it is one or more complete shell words (or
    /// quoted text) joined to whatever surrounds it, so it leaves the
    /// lexer's nesting as it was; only the current word is no longer plain.
    pub fn insertion(&mut self) {
        self.insertion_keyed(0);
    }

    /// An insertion was made, which `key` names in [`ShellLexer::piped`].
    pub fn insertion_keyed(&mut self, key: usize) {
        self.settle();
        if !matches!(self.frames.last(), Some(Frame::Heredoc(_))) {
            self.note_insertion(key);
        }
        self.word_start = WordStart::No;
        self.word.push('\u{0}');
        self.raw_word.push(script::OPAQUE);
        if let Some(Frame::Heredoc(heredoc)) = self.frames.last() {
            self.line.push('\u{0}');
            for path in &heredoc.writes {
                self.written.push((path.clone(), key));
            }
        }
    }

    /// Whether two lexers (after the two sides of an `{{#if}}`) are in the
    /// same nesting, so what follows reads the same after either.
    pub fn same_nesting(&self, other: &ShellLexer) -> bool {
        self.frames == other.frames
            && self.pending == other.pending
            && self.heredocs == other.heredocs
            && self.delimiter == other.delimiter
            && self.ambiguous == other.ambiguous
            && self.interrupted.len() == other.interrupted.len()
            && self.lists.len() == other.lists.len()
            && self
                .lists
                .iter()
                .zip(&other.lists)
                .all(|(a, b)| a.compound == b.compound)
    }

    /// Joins the state after the other side of an `{{#if}}` into this one
    /// (whose nesting is the same): what is only known on one side is unknown.
    pub fn merge(&mut self, other: &ShellLexer) {
        // What each side's stage would read as code, with the word being
        // read ended (`{{#if a}}| sh{{/if}}`), before the sides are joined.
        let readers = if self.words != other.words || self.word != other.word {
            let reader = |lexer: &ShellLexer| {
                let mut ended = lexer.clone();
                ended.end_word();
                ended.stage_reader()
            };
            reader(self).or_else(|| reader(other))
        } else {
            None
        };
        if self.word_start != other.word_start {
            self.word_start = WordStart::Maybe;
        }
        self.command_start &= other.command_start;
        if self.word != other.word {
            self.word.push('\u{0}');
        }
        if self.line != other.line {
            self.line.push('\u{0}');
        }
        // In a script another shell parses, the sides must leave that
        // script's nesting alike too (`sh -c "echo {{#if a}}'{{/if}}..."`).
        if self.raw_word != other.raw_word {
            let (mine, theirs) = (self.script_lexer(), other.script_lexer());
            if mine.is_some() != theirs.is_some()
                || mine.zip(theirs).is_some_and(|(m, t)| !m.same_nesting(&t))
            {
                self.ambiguous = true;
            }
        }
        for (mine, theirs) in self.lists.iter_mut().zip(&other.lists) {
            mine.merge(theirs);
        }
        for piped in &other.piped {
            if !self.piped.contains(piped) {
                self.piped.push(piped.clone());
            }
        }
        if self.metas.len() == other.metas.len() {
            for (mine, theirs) in self.metas.iter_mut().zip(&other.metas) {
                mine.union(theirs);
            }
        }
        self.meta.union(&other.meta);
        for name in &other.int_vars {
            if !self.int_vars.contains(name) {
                self.int_vars.push(name.clone());
            }
        }
        for written in &other.written {
            if !self.written.contains(written) {
                self.written.push(written.clone());
            }
        }
        if readers.is_some() {
            if let Some(top) = self.lists.last_mut() {
                top.keep_reader(readers.clone());
            }
        }
        if self.words != other.words || self.texts != other.texts {
            // Which program the stage runs is no longer known: keep what
            // either side would read as code.
            let mut meta = WordMeta::default();
            for m in self.metas.iter().chain(&other.metas) {
                meta.keys.extend(&m.keys);
                meta.substituted.extend(&m.substituted);
            }
            self.metas = vec![meta];
            // Which program runs is no longer known: if either side could
            // start another shell, what follows cannot be quoted for it.
            if script::may_start_script(&self.words) || script::may_start_script(&other.words) {
                self.ambiguous = true;
            }
            self.words = vec![None];
            self.texts = vec![String::new()];
            self.assignments = 0;
        }
        self.follows_words |= other.follows_words;
    }

    /// Marks everything from here to the end of the line unknowable.
    pub fn poison(&mut self) {
        self.ambiguous = true;
    }

    /// Reads literal text.
    pub fn feed(&mut self, text: &str) {
        for c in text.chars() {
            self.char(c);
        }
    }

    /// Reads literal text written at `span` in the file, its characters
    /// traced by `map`, so an interpreter found in it can be pointed at
    /// ([`Interpreter::span`]).
    pub fn feed_mapped(&mut self, text: &str, span: Span, map: &crate::node::TextMap) {
        // Text written verbatim (the common case): each character's
        // position is only noted, and worked out where a word needs it.
        if let crate::node::TextMap::Verbatim(base) = *map {
            for (offset, c) in text.char_indices() {
                self.cursor = Cursor::Verbatim {
                    base,
                    offset,
                    len: c.len_utf8(),
                    within: span,
                };
                self.char(c);
            }
        } else {
            for (i, c) in text.char_indices() {
                self.cursor = Cursor::At(map.file_span(span, i, i + c.len_utf8()));
                self.char(c);
            }
        }
        self.cursor = Cursor::Unknown;
    }
}
