//! The expression parser's syntax errors: what was expected in words ("a
//! value", "an operator or `,` or `)`"), a label on the offending token and
//! a hint that fits what was found there.

use super::lex::{Kind, Token};
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::Text;
use crate::source::Span;

/// What may end the expression being read: the end of the text, or the
/// bracket that closes the one opened at the given offset.
#[derive(Clone, Copy, Debug)]
pub(super) enum Closer {
    End,
    Paren(usize),
    /// The arguments of a call: `,` or `)`.
    Args(usize),
    /// The items of a list: `,` or `]`.
    Items(usize),
    /// The value of a map literal's entry: `,` or `}`.
    Entries(usize),
    Index(usize),
}

impl Closer {
    pub(super) fn accepts(self, kind: Kind) -> bool {
        match self {
            Closer::End => kind == Kind::End,
            Closer::Paren(_) => kind == Kind::RParen,
            Closer::Args(_) => matches!(kind, Kind::Comma | Kind::RParen),
            Closer::Items(_) => matches!(kind, Kind::Comma | Kind::RBracket),
            Closer::Entries(_) => matches!(kind, Kind::Comma | Kind::RBrace),
            Closer::Index(_) => kind == Kind::RBracket,
        }
    }

    fn words(self) -> &'static str {
        match self {
            Closer::End => "the end of the expression",
            Closer::Paren(_) => "`)`",
            Closer::Args(_) => "`,` or `)`",
            Closer::Items(_) => "`,` or `]`",
            Closer::Entries(_) => "`,` or `}`",
            Closer::Index(_) => "`]`",
        }
    }

    /// The open bracket, and the one that closes it.
    fn bracket(self) -> Option<(usize, char, char)> {
        match self {
            Closer::End => None,
            Closer::Paren(at) | Closer::Args(at) => Some((at, '(', ')')),
            Closer::Items(at) | Closer::Index(at) => Some((at, '[', ']')),
            Closer::Entries(at) => Some((at, '{', '}')),
        }
    }
}

/// Builds the diagnostics, with spans mapped into the file.
pub(super) struct ParseErrors<'t> {
    pub text: &'t Text,
}

const BRANCH_ARROW: &str = "`->` belongs to a branch case: `when EXPR -> target`";
const LAMBDA_ARROW: &str =
    "`=>` makes a lambda, an argument of a list function: `filter(steps.pods.items, pod => pod.ready)`";

impl ParseErrors<'_> {
    fn source(&self, token: Token) -> &str {
        &self.text.as_str()[token.start..token.end]
    }

    /// The error with its primary label on `token`: "unexpected `||`", or
    /// "the expression ends here" on an empty span at the end.
    fn at(&self, token: Token, message: impl Into<String>) -> Diagnostic {
        let span = self.text.file_span(token.start, token.end);
        let label = match token.kind {
            Kind::End => "the expression ends here".to_string(),
            Kind::Str => "unexpected string".to_string(),
            _ => format!("unexpected `{}`", self.source(token).escape_debug()),
        };
        Diagnostic::error(Code::ExprSyntax, message).label(span, label)
    }

    /// A hint for the tokens that are a known mistake wherever they stand.
    fn known_mistake(&self, token: Token) -> Option<&'static str> {
        match (token.kind, self.source(token)) {
            (Kind::Stray, "->") => Some(BRANCH_ARROW),
            (Kind::Arrow, _) => Some(LAMBDA_ARROW),
            (Kind::Stray, "=") => Some("compare with `==`"),
            (Kind::Stray, "&" | "|") => Some("the logical operators are `&&` and `||`"),
            _ => None,
        }
    }

    /// After a complete value: neither an operator nor what may follow it.
    pub(super) fn expected_operator(&self, token: Token, closer: Closer) -> Diagnostic {
        let mut diagnostic = self.at(token, format!("expected an operator or {}", closer.words()));
        let help = if let Some(help) = self.known_mistake(token) {
            help.to_string()
        } else if token.kind == Kind::End {
            match closer.bracket() {
                Some((at, open, close)) => {
                    diagnostic = diagnostic.label(
                        self.text.file_span(at, at + 1),
                        format!("the `{open}` opened here"),
                    );
                    format!("close it with `{close}`")
                }
                None => "complete the expression".to_string(),
            }
        } else if token.spaced && matches!(token.kind, Kind::Dot | Kind::LBracket) {
            "write `.` and `[` right after the value they apply to: `a.b`, `a[0]`".to_string()
        } else {
            match closer {
                Closer::Args(_) => "separate the arguments with `,`".to_string(),
                Closer::Items(_) => "separate the items with `,`".to_string(),
                Closer::Entries(_) => {
                    "separate the entries with `,`: `{name: \"web\", port: 80}`".to_string()
                }
                _ => "two values need an operator between them, such as `==`, `&&` or `+`; text with spaces is a string in quotes".to_string(),
            }
        };
        diagnostic.help(help)
    }

    /// Where an operand must start; `after` is the token before, when an
    /// operator there is what needs the value.
    pub(super) fn expected_value(&self, token: Token, after: Option<Token>) -> Diagnostic {
        let operator = after.filter(|t| is_operator(t.kind));
        let help = if let Some(help) = self.known_mistake(token) {
            help.to_string()
        } else if let Some(operator) = operator {
            let op = self.source(operator);
            if token.kind == Kind::End {
                format!("`{op}` needs a value after it; complete the expression")
            } else {
                format!(
                    "`{op}` needs a value after it, not `{}`",
                    self.source(token)
                )
            }
        } else {
            match token.kind {
                Kind::End => "the expression stops in the middle; complete it".to_string(),
                Kind::RParen | Kind::RBracket | Kind::RBrace | Kind::Comma | Kind::Colon => {
                    format!("a value is missing before `{}`", self.source(token))
                }
                kind if is_operator(kind) => {
                    format!("`{}` needs a value on each side", self.source(token))
                }
                _ => "a value is a literal (`200`, `\"prod\"`, `true`), a path (`steps.health.status`), a call (`len(x)`), a list `[...]`, a mapping `{key: value}` or an expression in `(...)`".to_string(),
            }
        };
        self.at(token, "expected a value").help(help)
    }

    /// Where a map literal's key must be: a name or a quoted string.
    pub(super) fn expected_key(&self, token: Token) -> Diagnostic {
        let help = match token.kind {
            Kind::Colon => "a key is missing before `:`".to_string(),
            Kind::End => "close the mapping with `}`".to_string(),
            _ => "a key is a name or a quoted string, then `:` and the value: `{name: \"web\", \"x-y\": 1}`".to_string(),
        };
        self.at(token, "expected a key").help(help)
    }

    /// After a map literal's key, where its `:` must be.
    pub(super) fn expected_colon(&self, token: Token) -> Diagnostic {
        self.at(token, "expected `:` after the key")
            .help("write each entry as `key: value`: `{name: \"web\"}`")
    }

    /// After a `.` of a path.
    pub(super) fn expected_name(&self, token: Token) -> Diagnostic {
        let help = if token.spaced && matches!(token.kind, Kind::Ident) {
            "write the name right after the `.`: `steps.health.status`"
        } else {
            "a field name follows `.`, as in `steps.health.status`; a key that is not a name is written `[\"a key\"]`, an element `[0]`"
        };
        self.at(token, "expected a name").help(help)
    }

    /// `.field` where it cannot stand for each element of a list.
    pub(super) fn element_path_outside_a_call(&self, dot: Token) -> Diagnostic {
        let span = self.text.file_span(dot.start, dot.end);
        let next = self.text.as_str()[dot.end..].chars().next();
        if next.is_some_and(|c| c.is_ascii_digit()) {
            return self
                .at(dot, "expected a value")
                .help("write a digit before the `.` of a number: `0.5`");
        }
        Diagnostic::error(
            Code::ExprSyntax,
            "a `.field` path stands for each element only as an argument of a list function",
        )
        .label(span, "a path with nothing before its `.`")
        .help("`.name` is short for `x => x.name` in `map(steps.pods.items, .metadata.name)`, `filter`, `any`, `all`, `count`, `max`, `min` and `sum`; elsewhere, name the value in full: `steps.pods.items`")
    }

    /// A `.` argument with no field name after it.
    pub(super) fn bare_dot(&self, dot: Token, next: Token) -> Diagnostic {
        let span = self.text.file_span(dot.start, dot.end);
        let help = if next.spaced && next.kind == Kind::Ident {
            "write the field name right after the `.`: `.metadata.name`"
        } else {
            "write `.field` for a field of each element (`.metadata.name`), or a lambda `x => x` for the element itself"
        };
        Diagnostic::error(Code::ExprSyntax, "`.` alone is not a path")
            .label(span, "a `.` with no field name")
            .help(help)
    }

    /// `.items[i]`: the shorthand is a fixed path.
    pub(super) fn dynamic_index_in_element_path(&self, span: Span) -> Diagnostic {
        Diagnostic::error(
            Code::ExprSyntax,
            "a `.field` path takes only fixed indexes and keys",
        )
        .label(span, "not a literal number or string")
        .help("write a lambda instead: `x => x.items[inputs.i]`")
    }

    /// `.status.ready && ...`: the shorthand is the whole argument.
    pub(super) fn after_element_path(&self, token: Token, closer: Closer) -> Diagnostic {
        self.at(
            token,
            format!("expected {} after a `.field` path", closer.words()),
        )
        .help("a `.field` path is a whole argument; to compute more, write a lambda: `pod => pod.status.ready && pod.spec.node != \"\"`")
    }
}

/// Whether the token is an operator that needs a value after it.
fn is_operator(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::OrOr
            | Kind::AndAnd
            | Kind::Or
            | Kind::And
            | Kind::Not
            | Kind::Bang
            | Kind::EqEq
            | Kind::NotEq
            | Kind::Lt
            | Kind::Le
            | Kind::Gt
            | Kind::Ge
            | Kind::In
            | Kind::Matches
            | Kind::Plus
            | Kind::Minus
            | Kind::Star
            | Kind::Slash
            | Kind::Percent
    )
}
