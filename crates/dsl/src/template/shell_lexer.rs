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

/// Reserved words after which a command starts (where `case` counts).
const COMMAND_PREFIXES: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "{", "!", "time",
];

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
            ShellContext::Arithmetic => "inside an arithmetic expression `$((...))`",
            ShellContext::ParameterExpansion => "inside a parameter expansion `${...}`",
            ShellContext::Comment => "in a shell comment",
            ShellContext::AfterEscape => "right after `\\` or `$`",
            ShellContext::HeredocDelimiter => "as a here-document's delimiter",
            ShellContext::Ambiguous => "where the shell context depends on an `{{#if}}`",
        }
    }
}

/// One level of nesting.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Frame {
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
    Comment,
    Heredoc(Heredoc),
}

/// A here-document whose body is being read (or will be, after the newline).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Heredoc {
    delimiter: String,
    quoted: bool,
    /// `<<-`: leading tabs are stripped from body lines.
    strip_tabs: bool,
}

/// A character whose meaning depends on the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
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
}

/// Whether the lexer is at the start of a word (where `#` starts a comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WordStart {
    Yes,
    No,
    /// Depends on which side of an `{{#if}}` was taken.
    Maybe,
}

/// A here-document operator whose delimiter word is being read.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct DelimiterWord {
    text: String,
    quoted: bool,
    strip_tabs: bool,
    started: bool,
    quote: Option<char>,
    escaped: bool,
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
            Some(Frame::Arithmetic { .. }) => ShellContext::Arithmetic,
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
        self.settle();
        self.word_start = WordStart::No;
        self.word.push('\u{0}');
        if let Some(Frame::Heredoc(_)) = self.frames.last() {
            self.line.push('\u{0}');
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
    }

    /// Joins the state after the other side of an `{{#if}}` into this one
    /// (whose nesting is the same): what is only known on one side is unknown.
    pub fn merge(&mut self, other: &ShellLexer) {
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
        if self.words != other.words {
            self.words = vec![None];
        }
    }

    /// Whether an insertion made now is in the remote command of an `ssh`
    /// (after its destination), which the remote login shell parses again.
    pub fn in_ssh_command(&self) -> bool {
        let Some(Some(program)) = self.words.first() else {
            return false;
        };
        if program.rsplit('/').next() != Some("ssh") {
            return false;
        }
        let mut words: Vec<Option<&str>> = self.words.iter().map(|w| w.as_deref()).collect();
        // The word the insertion is part of.
        words.push(None);
        super::argv::host_of_ssh(&words, 1).is_some_and(|host| host < words.len() - 1)
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

    /// Resolves a pending character as if the text continued with something
    /// neutral (an insertion follows it).
    fn settle(&mut self) {
        match self.pending {
            Pending::DollarParen => {
                self.pending = Pending::None;
                self.push_command(true);
            }
            Pending::Paren => {
                self.pending = Pending::None;
                self.push_command(true);
            }
            Pending::Less => self.pending = Pending::None,
            _ => {}
        }
    }

    fn push_command(&mut self, closes_on_paren: bool) {
        self.frames.push(Frame::Command {
            closes_on_paren,
            case_depth: 0,
        });
        self.word_start = WordStart::Yes;
        self.word.clear();
        self.new_command();
    }

    /// A new simple command starts.
    fn new_command(&mut self) {
        self.command_start = true;
        self.word_at_command_start = true;
        self.words.clear();
    }

    fn char(&mut self, c: char) {
        if self.delimiter.is_some() {
            self.delimiter_char(c);
            return;
        }
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::None => {}
            Pending::Escape => {
                // An escaped newline joins lines; anything else is literal.
                if c != '\n' {
                    self.word_start = WordStart::No;
                    self.word.push('\u{0}');
                }
                return;
            }
            Pending::Dollar => match c {
                '(' => {
                    self.pending = Pending::DollarParen;
                    return;
                }
                '{' => {
                    self.frames.push(Frame::Brace { depth: 0 });
                    return;
                }
                // `$'...'` outside double quotes (inside them it is text).
                '\'' if self.frames.last() != Some(&Frame::Double) => {
                    self.frames.push(Frame::AnsiC);
                    return;
                }
                _ => {}
            },
            Pending::DollarParen => {
                if c == '(' {
                    self.frames.push(Frame::Arithmetic { depth: 0 });
                    return;
                }
                self.push_command(true);
            }
            Pending::Paren => {
                if c == '(' {
                    self.frames.push(Frame::Arithmetic { depth: 0 });
                    return;
                }
                self.push_command(true);
            }
            Pending::ArithClose => {
                if c == ')' {
                    self.frames.pop();
                    self.word_start = WordStart::No;
                    return;
                }
                // `)` then something else: an inner group closed after all.
            }
            Pending::Less => {
                if c == '<' {
                    self.pending = Pending::LessLess;
                    return;
                }
            }
            Pending::LessLess => {
                match c {
                    '<' => return, // `<<<`: a here-string, an ordinary word follows.
                    '-' => {
                        self.delimiter = Some(DelimiterWord {
                            strip_tabs: true,
                            ..DelimiterWord::default()
                        });
                        return;
                    }
                    _ => {
                        self.delimiter = Some(DelimiterWord::default());
                        self.delimiter_char(c);
                        return;
                    }
                }
            }
        }
        let frame = self.frames.last().cloned();
        match frame {
            Some(Frame::Command { .. }) | None => self.command_char(c),
            Some(Frame::Double) => match c {
                '\\' => self.pending = Pending::Escape,
                '"' => {
                    self.frames.pop();
                }
                '`' => self.frames.push(Frame::Backquote),
                '$' => self.pending = Pending::Dollar,
                _ => {}
            },
            Some(Frame::Single) => {
                if c == '\'' {
                    self.frames.pop();
                }
            }
            Some(Frame::AnsiC) => match c {
                '\\' => self.pending = Pending::Escape,
                '\'' => {
                    self.frames.pop();
                }
                _ => {}
            },
            Some(Frame::Backquote) => match c {
                '\\' => self.pending = Pending::Escape,
                '`' => {
                    self.frames.pop();
                }
                _ => {}
            },
            Some(Frame::Arithmetic { depth }) => match c {
                '(' => self.set_top(Frame::Arithmetic { depth: depth + 1 }),
                ')' if depth == 0 => self.pending = Pending::ArithClose,
                ')' => self.set_top(Frame::Arithmetic { depth: depth - 1 }),
                '$' => self.pending = Pending::Dollar,
                '`' => self.frames.push(Frame::Backquote),
                '\\' => self.pending = Pending::Escape,
                _ => {}
            },
            Some(Frame::Brace { depth }) => match c {
                '{' => self.set_top(Frame::Brace { depth: depth + 1 }),
                '}' if depth == 0 => {
                    self.frames.pop();
                }
                '}' => self.set_top(Frame::Brace { depth: depth - 1 }),
                '\\' => self.pending = Pending::Escape,
                '"' => self.frames.push(Frame::Double),
                '\'' if !self.frames.contains(&Frame::Double) => self.frames.push(Frame::Single),
                '$' => self.pending = Pending::Dollar,
                '`' => self.frames.push(Frame::Backquote),
                _ => {}
            },
            Some(Frame::Comment) => {
                if c == '\n' {
                    self.frames.pop();
                    self.command_char(c);
                }
            }
            Some(Frame::Heredoc(heredoc)) => self.heredoc_char(&heredoc, c),
        }
    }

    fn set_top(&mut self, frame: Frame) {
        if let Some(top) = self.frames.last_mut() {
            *top = frame;
        }
    }

    /// Ends the current word, noting `case` and `esac` in command position.
    fn end_word(&mut self) {
        if self.word_at_command_start {
            let delta: i64 = match self.word.as_str() {
                "case" => 1,
                "esac" => -1,
                _ => 0,
            };
            if delta != 0 {
                if let Some(Frame::Command { case_depth, .. }) = self.frames.last_mut() {
                    *case_depth = (*case_depth as i64 + delta).max(0) as u32;
                }
            }
        }
        // After `then`, `do`, `!`... a command starts again.
        let keyword = self.word_at_command_start && COMMAND_PREFIXES.contains(&self.word.as_str());
        if !self.word.is_empty() && !keyword {
            self.command_start = false;
            let plain = !self.word.contains('\u{0}');
            self.words.push(plain.then(|| self.word.clone()));
        }
        self.word.clear();
        self.word_start = WordStart::Yes;
        self.word_at_command_start = self.command_start;
    }

    fn command_char(&mut self, c: char) {
        match c {
            '\n' => {
                self.end_word();
                self.new_command();
                self.ambiguous = false;
                // Bodies of here-documents begin on the next line, in order.
                let bodies: Vec<Heredoc> = std::mem::take(&mut self.heredocs);
                for heredoc in bodies.into_iter().rev() {
                    self.frames.push(Frame::Heredoc(heredoc));
                }
                self.line.clear();
            }
            ' ' | '\t' => self.end_word(),
            ';' | '&' | '|' => {
                self.end_word();
                self.new_command();
            }
            '#' => match self.word_start {
                WordStart::Yes => self.frames.push(Frame::Comment),
                WordStart::Maybe => self.ambiguous = true,
                WordStart::No => self.word.push(c),
            },
            '\\' => self.pending = Pending::Escape,
            '\'' => {
                self.in_word();
                self.frames.push(Frame::Single);
            }
            '"' => {
                self.in_word();
                self.frames.push(Frame::Double);
            }
            '`' => {
                self.in_word();
                self.frames.push(Frame::Backquote);
            }
            '$' => {
                self.in_word();
                self.pending = Pending::Dollar;
            }
            '(' => {
                let at_start = self.command_start && self.word.is_empty();
                self.end_word();
                if at_start {
                    self.pending = Pending::Paren;
                } else {
                    self.push_command(true);
                }
            }
            ')' => {
                self.end_word();
                if let Some(Frame::Command {
                    closes_on_paren,
                    case_depth,
                }) = self.frames.last()
                {
                    // Inside `case ... esac`, `)` ends a pattern.
                    if *case_depth == 0 && *closes_on_paren {
                        self.frames.pop();
                        self.word_start = WordStart::No;
                    } else {
                        self.new_command();
                    }
                }
            }
            '<' => {
                self.end_word();
                self.pending = Pending::Less;
            }
            '>' => self.end_word(),
            _ => {
                self.word_start = WordStart::No;
                self.word.push(c);
            }
        }
    }

    /// A quote or expansion starts or continues a word.
    fn in_word(&mut self) {
        self.word_start = WordStart::No;
        self.word.push('\u{0}');
    }

    /// One character of a here-document's delimiter word.
    fn delimiter_char(&mut self, c: char) {
        let Some(word) = self.delimiter.as_mut() else {
            return;
        };
        if word.escaped {
            word.escaped = false;
            word.text.push(c);
            return;
        }
        if let Some(q) = word.quote {
            if c == q {
                word.quote = None;
            } else {
                word.text.push(c);
            }
            return;
        }
        match c {
            ' ' | '\t' if !word.started => {}
            '\'' | '"' => {
                word.started = true;
                word.quoted = true;
                word.quote = Some(c);
            }
            '\\' => {
                word.started = true;
                word.quoted = true;
                word.escaped = true;
            }
            c if word.started && (c.is_whitespace() || ";&|<>()".contains(c)) => {
                let word = self.delimiter.take().unwrap_or_default();
                self.heredocs.push(Heredoc {
                    delimiter: word.text,
                    quoted: word.quoted,
                    strip_tabs: word.strip_tabs,
                });
                self.word_start = WordStart::Yes;
                self.command_char(c);
            }
            _ => {
                word.started = true;
                word.text.push(c);
            }
        }
    }

    /// One character of a here-document body: a line equal to the
    /// delimiter ends it.
    fn heredoc_char(&mut self, heredoc: &Heredoc, c: char) {
        if c != '\n' {
            self.line.push(c);
            return;
        }
        let line = std::mem::take(&mut self.line);
        let line = if heredoc.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line.as_str()
        };
        if line == heredoc.delimiter {
            self.frames.pop();
            self.word_start = WordStart::Yes;
            self.new_command();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ShellContext::{self, *};
    use super::ShellLexer;

    /// The context of each `@` in `text` (a stand-in for an insertion).
    fn contexts(text: &str) -> Vec<ShellContext> {
        let mut lexer = ShellLexer::default();
        let mut out = Vec::new();
        for (i, piece) in text.split('@').enumerate() {
            if i > 0 {
                out.push(lexer.context(Some(piece)));
                lexer.insertion();
            }
            lexer.feed(piece);
        }
        out
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(contexts("echo @ x@y"), [Word, Word]);
        assert_eq!(contexts("echo \"a @ b\" @"), [DoubleQuoted, Word]);
        assert_eq!(contexts("echo 'a @ \"b' @"), [SingleQuoted, Word]);
        assert_eq!(
            contexts("echo \"it's @\" 'say \"@'"),
            [DoubleQuoted, SingleQuoted]
        );
        assert_eq!(contexts(r#"echo "a \" @" \' @"#), [DoubleQuoted, Word]);
        assert_eq!(contexts(r"echo \@ a\\@"), [AfterEscape, Word]);
        assert_eq!(contexts("echo $@ \"$@\""), [AfterEscape, AfterEscape]);
        assert_eq!(
            contexts("echo $'a\\' @' @ \"$'@\""),
            [AnsiCQuoted, Word, DoubleQuoted]
        );
    }

    #[test]
    fn substitutions_nest() {
        assert_eq!(
            contexts("echo \"$(printf %s \"@\" @ ')' '@')\" @"),
            [DoubleQuoted, Word, SingleQuoted, Word]
        );
        assert_eq!(contexts("x=$(@) y"), [Word]);
        assert_eq!(
            contexts("diff <(printf %s \"@\") >(cat '@') @"),
            [DoubleQuoted, SingleQuoted, Word]
        );
        assert_eq!(contexts("echo `echo @` @"), [Backquoted, Word]);
        assert_eq!(
            contexts("echo \"`echo @`\" \"@\""),
            [Backquoted, DoubleQuoted]
        );
        assert_eq!(contexts("echo $((1 + @)) @"), [Arithmetic, Word]);
        assert_eq!(contexts("echo $(( (1 + @) * 2 )) @"), [Arithmetic, Word]);
        assert_eq!(contexts("((n = @ + 1)); echo @"), [Arithmetic, Word]);
        assert_eq!(contexts("( cd /x && ls @ ) ; @"), [Word, Word]);
        assert_eq!(
            contexts("echo ${X:-@} \"${Y}\" @"),
            [ParameterExpansion, Word]
        );
        assert_eq!(
            contexts("v=$(case $x in a) echo @;; esac) \"@\""),
            [Word, DoubleQuoted]
        );
        assert_eq!(
            contexts("v=\"$(if true; then case $x in (a) echo @;; esac; fi)\" @"),
            [Word, Word]
        );
    }

    #[test]
    fn what_bash_evaluates_as_arithmetic() {
        assert_eq!(
            contexts("[[ @ -eq 1 ]] && [[ \"@\" == x ]]; if [[ 2 -lt \"@\" ]]; then let n=@; fi"),
            [Arithmetic, DoubleQuoted, Arithmetic, Arithmetic]
        );
        assert_eq!(contexts("[[ -n @ ]] && echo @ -eq"), [Word, Word]);
    }

    #[test]
    fn comments_only_at_word_starts() {
        assert_eq!(contexts("echo a#@ # @\necho @"), [Word, Comment, Word]);
        assert_eq!(contexts("curl http://x/#@"), [Word]);
        assert_eq!(contexts("echo '#' @"), [Word]);
    }

    #[test]
    fn heredocs() {
        assert_eq!(
            contexts("cat <<EOF >out\nbody @\nEOF\necho @"),
            [Heredoc { quoted: false }, Word]
        );
        assert_eq!(
            contexts("cat <<'EOF'\n@\n EOF\nEOF\n@"),
            [Heredoc { quoted: true }, Word]
        );
        assert_eq!(
            contexts("cat <<-\"END\" ; echo @\n\tx @\n\tEND\n@"),
            [Word, Heredoc { quoted: true }, Word]
        );
        assert_eq!(
            contexts("cat <<A <<\\B\na @\nA\nb @\nB\n@"),
            [Heredoc { quoted: false }, Heredoc { quoted: true }, Word]
        );
        assert_eq!(contexts("cat <<<@ <<@"), [Word, HeredocDelimiter]);
        assert_eq!(contexts("sort < @"), [Word]);
    }

    #[test]
    fn the_remote_command_of_ssh() {
        let remote = |text: &str| {
            let mut lexer = ShellLexer::default();
            let mut out = Vec::new();
            for (i, piece) in text.split('@').enumerate() {
                if i > 0 {
                    out.push(lexer.in_ssh_command());
                    lexer.insertion();
                }
                lexer.feed(piece);
            }
            out
        };
        assert_eq!(remote("ssh admin.@ 'cd /x && restore' @"), [false, true]);
        assert_eq!(
            remote("ssh -p @ -i k h \"r @\"; echo @"),
            [false, true, false]
        );
        assert_eq!(remote("/usr/bin/ssh h 'r @' | grep @"), [true, false]);
        assert_eq!(remote("echo ssh h @"), [false]);
    }

    #[test]
    fn sides_of_a_block_compare_by_nesting() {
        let mut a = ShellLexer::default();
        a.feed("echo \"x");
        let mut b = ShellLexer::default();
        b.feed("echo x");
        assert!(!a.same_nesting(&b));
        let mut c = ShellLexer::default();
        c.feed("echo --force");
        assert!(b.same_nesting(&c));
        let mut d = ShellLexer::default();
        d.feed("echo ");
        assert!(d.same_nesting(&c));
        d.merge(&c);
        d.feed("#");
        assert_eq!(d.context(None), Ambiguous);
        d.feed("\n");
        assert_eq!(d.context(None), Word);
    }
}
