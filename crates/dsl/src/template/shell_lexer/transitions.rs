//! How each character of literal shell text moves the lexer: quotes,
//! escapes, substitutions, arithmetic, comments, `case`, here-documents
//! and their delimiters, the words of the current simple command.

use super::cursor::Cursor;
use super::frames::{DelimiterWord, Frame, Heredoc, Pending, WordStart};
use super::ShellLexer;

/// Reserved words after which a command starts (where `case` counts).
const COMMAND_PREFIXES: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "{", "!", "time",
];

impl ShellLexer {
    /// Resolves a pending character as if the text continued with something
    /// neutral (an insertion follows it).
    pub(super) fn settle(&mut self) {
        match self.pending {
            Pending::DollarParen => {
                self.pending = Pending::None;
                self.push_command(true);
            }
            Pending::Paren => {
                self.pending = Pending::None;
                self.push_command(true);
            }
            Pending::Less | Pending::Bar => self.pending = Pending::None,
            _ => {}
        }
    }

    fn push_command(&mut self, closes_on_paren: bool) {
        self.close_word_span();
        self.interrupted.push(super::Interrupted {
            words: std::mem::take(&mut self.words),
            assignments: std::mem::take(&mut self.assignments),
            texts: std::mem::take(&mut self.texts),
            raw_word: std::mem::take(&mut self.raw_word),
            word: self.word.clone(),
            follows_words: std::mem::take(&mut self.follows_words),
            metas: std::mem::take(&mut self.metas),
            meta: std::mem::take(&mut self.meta),
            redirect_target: std::mem::take(&mut self.redirect_target),
        });
        self.open_list(false);
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
        // The words' strings are kept for the next command's words.
        for word in self.words.drain(..).flatten() {
            self.spare.push(word);
        }
        self.assignments = 0;
        self.texts.clear();
        self.metas.clear();
        self.follows_words = false;
    }

    pub(super) fn char(&mut self, c: char) {
        self.raw_word.push(c);
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
                '[' => {
                    self.frames.push(Frame::BracketArithmetic { depth: 0 });
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
            Pending::Bar => match c {
                // `||`: the pipeline ends (its stage did at the first `|`).
                '|' => {
                    self.end_pipeline();
                    return;
                }
                // `|&`: a pipe of stdout and stderr.
                '&' => return,
                _ => {}
            },
            Pending::LessLess => {
                self.redirect_target = false;
                match c {
                    '<' => {
                        // `<<<`: a here-string, whose word is the stdin of
                        // the command.
                        self.document_redirect();
                        self.redirect_target = true;
                        self.top_list().in_herestring = true;
                        return;
                    }
                    '-' => {
                        self.document_redirect();
                        self.delimiter = Some(DelimiterWord {
                            strip_tabs: true,
                            ..DelimiterWord::default()
                        });
                        return;
                    }
                    _ => {
                        self.document_redirect();
                        self.delimiter = Some(DelimiterWord::default());
                        self.delimiter_char(c);
                        return;
                    }
                }
            }
        }
        // Command text is the common case; a here-document's body is read
        // by reference (its frame holds the delimiter): neither is cloned.
        let frame = match self.frames.last() {
            Some(Frame::Command { .. }) | None => return self.command_char(c),
            Some(Frame::Heredoc(_)) => return self.heredoc_char(c),
            Some(frame) => frame.clone(),
        };
        match frame {
            Frame::Command { .. } | Frame::Heredoc(_) => {}
            Frame::Double => match c {
                '\\' => self.pending = Pending::Escape,
                '"' => {
                    self.frames.pop();
                }
                '`' => {
                    self.meta.substitution = true;
                    self.frames.push(Frame::Backquote);
                }
                '$' => self.pending = Pending::Dollar,
                _ => {}
            },
            Frame::Single => {
                if c == '\'' {
                    self.frames.pop();
                }
            }
            Frame::AnsiC => match c {
                '\\' => self.pending = Pending::Escape,
                '\'' => {
                    self.frames.pop();
                }
                _ => {}
            },
            Frame::Backquote => match c {
                '\\' => self.pending = Pending::Escape,
                '`' => {
                    self.frames.pop();
                }
                _ => {}
            },
            Frame::Arithmetic { depth } => match c {
                '(' => self.set_top(Frame::Arithmetic { depth: depth + 1 }),
                ')' if depth == 0 => self.pending = Pending::ArithClose,
                ')' => self.set_top(Frame::Arithmetic { depth: depth - 1 }),
                '$' => self.pending = Pending::Dollar,
                '`' => self.frames.push(Frame::Backquote),
                '\\' => self.pending = Pending::Escape,
                _ => {}
            },
            Frame::BracketArithmetic { depth } => match c {
                '[' => self.set_top(Frame::BracketArithmetic { depth: depth + 1 }),
                ']' if depth == 0 => {
                    self.frames.pop();
                    self.word_start = WordStart::No;
                }
                ']' => self.set_top(Frame::BracketArithmetic { depth: depth - 1 }),
                '$' => self.pending = Pending::Dollar,
                '`' => self.frames.push(Frame::Backquote),
                '\\' => self.pending = Pending::Escape,
                _ => {}
            },
            Frame::Brace { depth } => match c {
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
            Frame::Comment => {
                if c == '\n' {
                    self.frames.pop();
                    self.command_char(c);
                }
            }
        }
    }

    fn set_top(&mut self, frame: Frame) {
        if let Some(top) = self.frames.last_mut() {
            *top = frame;
        }
    }

    /// Ends the current word, noting `case` and `esac` in command position.
    pub(super) fn end_word(&mut self) {
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
        if self.word_at_command_start {
            match self.word.as_str() {
                "{" | "if" | "while" | "until" | "for" | "select" | "case" => self.open_list(true),
                "}" | "fi" | "done" | "esac" => self.close_compound(),
                _ => {}
            }
        }
        if !self.word.is_empty() && self.redirect_target {
            // `> out`, `<<< text`: not an argument of the command.
            self.redirect_target_ended();
            self.redirect_target = false;
            self.top_list().in_herestring = false;
            self.raw_word.clear();
            self.word.clear();
            self.meta = super::WordMeta::default();
            self.word_end = Cursor::Unknown;
            self.word_start = WordStart::Yes;
            self.word_at_command_start = self.command_start;
            return;
        }
        if !self.word.is_empty() {
            self.top_list().awaiting_stage = false;
        }
        if !self.word.is_empty() && !keyword {
            self.note_variable_word();
            self.close_word_span();
            self.metas.push(std::mem::take(&mut self.meta));
            self.command_start = false;
            let plain = !self.word.contains('\u{0}');
            // `$SHELL`, `"${BASH}"`: kept as written, read as a shell's name.
            let word = if plain {
                let mut text = self.spare.pop().unwrap_or_default();
                text.clear();
                text.push_str(&self.word);
                Some(text)
            } else if let Some(shell) = super::programs::names_a_shell(&self.raw_word) {
                let shell = shell.to_string();
                self.span_to_here();
                Some(shell)
            } else {
                self.prefix_assignment()
            };
            // A word's text is only read in a script after such a program.
            self.texts.push(if self.follows_words {
                super::script::decode_word(&self.raw_word)
            } else {
                String::new()
            });
            let hands_on = !self.follows_words
                && match &word {
                    Some(_) if plain => super::script::hands_on(&self.word),
                    Some(shell) => super::script::hands_on(shell),
                    None => false,
                };
            if hands_on {
                self.follows_words = true;
            }
            self.count_assignment(word.as_deref());
            self.words.push(word);
        }
        self.raw_word.clear();
        self.word.clear();
        self.meta = super::WordMeta::default();
        self.word_end = Cursor::Unknown;
        self.word_start = WordStart::Yes;
        self.word_at_command_start = self.command_start;
    }

    /// A word that is not plain text but an assignment written before
    /// the command (`A="$x" sh`): its name and `=`, so that the program
    /// after it is still found (its value is not known).
    fn prefix_assignment(&self) -> Option<String> {
        // Most words that are not plain hold an insertion or start with a quote.
        let first = *self.word.as_bytes().first()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let eq = self.word.find('=')?;
        let name = &self.word[..=eq];
        if !super::variables::is_assignment(name) {
            return None;
        }
        self.only_assignments().then(|| name.to_string())
    }

    /// The word just ended runs up to the character being read.
    fn span_to_here(&mut self) {
        let cursor = self.cursor.span();
        if let Some(span) = self.metas.last_mut().and_then(|m| m.span.as_mut()) {
            if cursor != crate::source::Span::default() && cursor.start > span.start {
                span.end = cursor.start;
            }
        }
    }

    /// The current word goes on at the character being read. Only its
    /// first character's position is worked out now; the last one marked
    /// is kept and joined to the span when the word ends
    /// ([`ShellLexer::close_word_span`]): positions only grow along the
    /// text, so the first and the last bound every character between.
    fn mark_word(&mut self) {
        if self.meta.span.is_none() {
            self.meta.span = Some(self.cursor.span());
        } else if self.cursor.is_known() {
            self.word_end = self.cursor;
        }
    }

    /// Joins the last character marked in the current word to its span,
    /// before the word's facts are kept or set aside.
    pub(super) fn close_word_span(&mut self) {
        let end = std::mem::take(&mut self.word_end);
        if let (Some(span), true) = (self.meta.span.as_mut(), end.is_known()) {
            *span = span.to(end.span());
        }
    }

    fn command_char(&mut self, c: char) {
        let after_redirection = std::mem::take(&mut self.redirect_op);
        match c {
            '\n' => {
                self.end_word();
                // After `|`, the pipeline goes on on the next line.
                if !self.top_list().awaiting_stage {
                    self.end_pipeline();
                }
                self.new_command();
                self.ambiguous = false;
                self.forget_heredocs();
                // Bodies of here-documents begin on the next line, in order.
                let bodies: Vec<Heredoc> = std::mem::take(&mut self.heredocs);
                for heredoc in bodies.into_iter().rev() {
                    self.frames.push(Frame::Heredoc(heredoc));
                }
                self.line.clear();
            }
            ' ' | '\t' => self.end_word(),
            // `>&2`, `<&3`, `>|`: part of the redirection.
            '&' | '|' if after_redirection => {
                if c == '&' {
                    self.duplicating();
                }
                self.redirect_op = true;
            }
            ';' | '&' => {
                self.end_word();
                self.end_pipeline();
                self.new_command();
            }
            '|' => {
                self.end_word();
                self.pipe();
                self.new_command();
                self.pending = Pending::Bar;
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
                self.meta.substitution = true;
                self.frames.push(Frame::Backquote);
            }
            '$' => {
                self.in_word();
                self.pending = Pending::Dollar;
            }
            '(' => {
                // `<(...)`, `>(...)`: a process substitution, not a redirection.
                if after_redirection {
                    self.redirect_target = false;
                }
                // `for ((...))` is arithmetic too.
                let for_loop = self.words.len() == 1 && self.words[0].as_deref() == Some("for");
                let at_start = (self.command_start || for_loop) && self.word.is_empty();
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
                        self.close_compounds();
                        self.close_list(true);
                        self.frames.pop();
                        self.word_start = WordStart::No;
                        // The command it interrupted goes on; the word it was
                        // part of now holds text the lexer cannot know.
                        if let Some(outer) = self.interrupted.pop() {
                            self.words = outer.words;
                            self.assignments = outer.assignments;
                            self.texts = outer.texts;
                            self.raw_word = outer.raw_word;
                            self.word = outer.word;
                            self.follows_words = outer.follows_words;
                            self.word.push('\u{0}');
                            let substituted = std::mem::take(&mut self.meta.substituted);
                            self.metas = outer.metas;
                            self.meta = outer.meta;
                            self.redirect_target = outer.redirect_target;
                            self.meta.substituted.extend(substituted);
                            self.meta.substitution = true;
                        }
                    } else {
                        self.end_pipeline();
                        self.new_command();
                    }
                }
            }
            '<' => {
                self.redirection(true, after_redirection);
                self.pending = Pending::Less;
            }
            '>' => self.redirection(false, after_redirection),
            _ => {
                self.word_start = WordStart::No;
                self.word.push(c);
                self.mark_word();
            }
        }
    }

    /// A quote or expansion starts or continues a word.
    fn in_word(&mut self) {
        self.word_start = WordStart::No;
        self.word.push('\u{0}');
        self.mark_word();
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
                    reader: None,
                    writes: Vec::new(),
                });
                self.note_heredoc(self.heredocs.len() - 1);
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
    fn heredoc_char(&mut self, c: char) {
        if c != '\n' {
            self.line.push(c);
            return;
        }
        let line = std::mem::take(&mut self.line);
        let Some(Frame::Heredoc(heredoc)) = self.frames.last() else {
            return;
        };
        let line = if heredoc.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line.as_str()
        };
        if line == heredoc.delimiter {
            self.frames.pop();
            // The body is no word of the command that follows.
            self.word.clear();
            self.raw_word.clear();
            self.word_start = WordStart::Yes;
            self.new_command();
        }
    }
}
