//! Tokens to [`Expr`]: a precedence-climbing parser over the tokens of
//! [`lex`](super::lex). Operator chains are loops, so `a || b || ...` does
//! not recurse; only brackets and runs of prefix operators do, and both are
//! bounded ([`MAX_NESTING`]), as is the depth of the finished tree
//! ([`MAX_DEPTH`]), which every later walk relies on.

use super::lex::{lex, Kind, Token};
use super::parse_error::{Closer, ParseErrors};
use super::syntax::{BinaryOp, Expr, ExprKind, Literal, UnaryOp, ELEMENT};
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::Text;
use crate::path::{Path, Segment};
use crate::source::{Span, Spanned};

/// How deep brackets and runs of prefix operators may nest. Far beyond any
/// real condition; it exists so hostile input cannot exhaust the stack.
pub const MAX_NESTING: usize = 64;

/// How deep the finished tree may be (a chain `a || b || ...` is as deep as
/// it is long). Every walk of an expression is recursive, so this bounds them.
pub const MAX_DEPTH: usize = 256;

/// Parses an expression written in `text` (a `when:` value, a branch case).
pub fn parse(text: &Text) -> Result<Expr, Diagnostic> {
    let source = text.as_str();
    if source.trim().is_empty() {
        return Err(
            Diagnostic::error(Code::ExprSyntax, "the expression is empty")
                .label(
                    text.file_span(0, source.len()),
                    "expected an expression here",
                )
                .help("write a condition such as `steps.health.status == 200`"),
        );
    }
    let lexed = lex(text)?;
    let mut parser = Parser {
        text,
        tokens: &lexed.tokens,
        strings: lexed.strings,
        at: 0,
    };
    parser.expr(Closer::End).map(|(expr, _)| expr)
}

struct Parser<'t> {
    text: &'t Text,
    /// Ends with [`Kind::End`], which is never consumed.
    tokens: &'t [Token],
    strings: Vec<String>,
    at: usize,
}

/// A node and the depth of the tree under it.
type Built = Result<(Expr, usize), Diagnostic>;

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.tokens[self.at]
    }

    fn peek_kind(&self, ahead: usize) -> Kind {
        self.tokens
            .get(self.at + ahead)
            .map_or(Kind::End, |t| t.kind)
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.at];
        if token.kind != Kind::End {
            self.at += 1;
        }
        token
    }

    fn span(&self, token: Token) -> Span {
        self.text.file_span(token.start, token.end)
    }

    fn errors(&self) -> ParseErrors<'_> {
        ParseErrors { text: self.text }
    }

    fn node(&self, kind: ExprKind, span: Span, depth: usize) -> Built {
        if depth > MAX_DEPTH {
            return Err(Diagnostic::error(
                Code::ExprSyntax,
                format!("this expression is nested more than {MAX_DEPTH} levels deep"),
            )
            .label(span, "too deep here")
            .help("split the condition into simpler parts"));
        }
        Ok((Expr::new(kind, span), depth))
    }

    /// A whole expression up to `closer`, which is left for the caller.
    fn expr(&mut self, closer: Closer) -> Built {
        let built = self.climb(0, 0)?;
        let next = self.peek();
        if closer.accepts(next.kind) {
            Ok(built)
        } else {
            Err(self.errors().expected_operator(next, closer))
        }
    }

    /// The infix operator at the next token, and how many tokens it takes
    /// (`not in` is two words).
    fn infix(&self) -> Option<(BinaryOp, usize)> {
        let op = match self.peek().kind {
            Kind::OrOr | Kind::Or => BinaryOp::Or,
            Kind::AndAnd | Kind::And => BinaryOp::And,
            Kind::EqEq => BinaryOp::Eq,
            Kind::NotEq => BinaryOp::Ne,
            Kind::Lt => BinaryOp::Lt,
            Kind::Le => BinaryOp::Le,
            Kind::Gt => BinaryOp::Gt,
            Kind::Ge => BinaryOp::Ge,
            Kind::In => BinaryOp::In,
            Kind::Matches => BinaryOp::Matches,
            Kind::Plus => BinaryOp::Add,
            Kind::Minus => BinaryOp::Sub,
            Kind::Star => BinaryOp::Mul,
            Kind::Slash => BinaryOp::Div,
            Kind::Percent => BinaryOp::Rem,
            Kind::Not if self.peek_kind(1) == Kind::In && self.tokens[self.at + 1].spaced => {
                return Some((BinaryOp::NotIn, 2));
            }
            _ => return None,
        };
        Some((op, 1))
    }

    /// Precedence climbing: an operand, then every infix operator that binds
    /// tighter than `min`. `prefixes` counts the prefix operators just read.
    fn climb(&mut self, min: u8, prefixes: usize) -> Built {
        let token = self.peek();
        let (mut lhs, mut depth) = match token.kind {
            Kind::Bang | Kind::Not | Kind::Minus => {
                if prefixes >= MAX_NESTING {
                    return Err(Diagnostic::error(
                        Code::ExprSyntax,
                        format!("more than {MAX_NESTING} prefix operators in a row"),
                    )
                    .label(self.span(token), "too many here")
                    .help("remove the doubled `!` or `-`"));
                }
                self.bump();
                let op = if token.kind == Kind::Minus {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Not
                };
                let op = Spanned::new(op, self.span(token));
                let (operand, depth) = self.climb(op.value.precedence() as u8, prefixes + 1)?;
                let span = op.span.to(operand.span);
                self.node(
                    ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span,
                    depth + 1,
                )?
            }
            _ => self.postfix()?,
        };
        while let Some((op, tokens)) = self.infix() {
            let precedence = op.precedence() as u8;
            if precedence <= min {
                break;
            }
            let first = self.bump();
            let last = if tokens == 2 { self.bump() } else { first };
            let op = Spanned::new(op, self.text.file_span(first.start, last.end));
            let (rhs, rhs_depth) = self.climb(precedence, 0)?;
            let span = lhs.span.to(rhs.span);
            (lhs, depth) = self.node(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
                depth.max(rhs_depth) + 1,
            )?;
        }
        Ok((lhs, depth))
    }

    /// A primary followed by `.name` and `[index]` written right after it;
    /// indexes with a literal key extend a path, others become
    /// [`ExprKind::Index`].
    fn postfix(&mut self) -> Built {
        let (mut expr, mut depth) = self.primary()?;
        loop {
            let token = self.peek();
            if token.spaced {
                break;
            }
            match token.kind {
                Kind::Dot => {
                    self.bump();
                    let (name, name_span) = self.field_name()?;
                    let whole = expr.span.to(name_span);
                    if let ExprKind::Path(path) = &mut expr.kind {
                        path.segments
                            .push(Spanned::new(Segment::Name(name), name_span));
                        path.span = whole;
                        expr.span = whole;
                    } else {
                        let key = Expr::new(ExprKind::Literal(Literal::String(name)), name_span);
                        (expr, depth) = self.node(
                            ExprKind::Index {
                                base: Box::new(expr),
                                index: Box::new(key),
                            },
                            whole,
                            depth + 1,
                        )?;
                    }
                }
                Kind::LBracket => {
                    let (index, index_depth, span) = self.index()?;
                    let whole = expr.span.to(span);
                    match (&mut expr.kind, segment(&index)) {
                        (ExprKind::Path(path), Some(segment)) => {
                            path.segments.push(Spanned::new(segment, span));
                            path.span = whole;
                            expr.span = whole;
                        }
                        _ => {
                            (expr, depth) = self.node(
                                ExprKind::Index {
                                    base: Box::new(expr),
                                    index: Box::new(index),
                                },
                                whole,
                                depth.max(index_depth) + 1,
                            )?;
                        }
                    }
                }
                _ => break,
            }
        }
        Ok((expr, depth))
    }

    /// The name after a `.`, written right after it; keywords are names
    /// here (`x.in`).
    fn field_name(&mut self) -> Result<(String, Span), Diagnostic> {
        let token = self.peek();
        if !(token.kind == Kind::Ident || is_keyword(token.kind)) || token.spaced {
            return Err(self.errors().expected_name(token));
        }
        self.bump();
        let name = self.text.as_str()[token.start..token.end].to_string();
        Ok((name, self.span(token)))
    }

    /// `[expr]`: the index, its depth, and the span of the brackets.
    fn index(&mut self) -> Result<(Expr, usize, Span), Diagnostic> {
        let open = self.bump();
        let (index, depth) = self.expr(Closer::Index(open.start))?;
        let close = self.bump();
        Ok((index, depth, self.text.file_span(open.start, close.end)))
    }

    fn primary(&mut self) -> Built {
        let token = self.peek();
        let span = self.span(token);
        let source = &self.text.as_str()[token.start..token.end];
        let literal = |lit: Literal| Ok((Expr::new(ExprKind::Literal(lit), span), 1));
        match token.kind {
            Kind::Int => {
                self.bump();
                match source.parse::<i64>() {
                    Ok(i) => literal(Literal::Int(i)),
                    Err(_) => Err(
                        Diagnostic::error(Code::ExprSyntax, "this integer is too large")
                            .label(span, "does not fit in 64 bits")
                            .help(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
                    ),
                }
            }
            Kind::Float => {
                self.bump();
                match source.parse::<f64>() {
                    Ok(f) if f.is_finite() => literal(Literal::Float(f)),
                    _ => Err(
                        Diagnostic::error(Code::ExprSyntax, "this number is too large")
                            .label(span, "not a finite number")
                            .help(format!("numbers range up to about {:e}", f64::MAX)),
                    ),
                }
            }
            Kind::Str => {
                self.bump();
                let value = std::mem::take(&mut self.strings[token.string]);
                literal(Literal::String(value))
            }
            Kind::True => {
                self.bump();
                literal(Literal::Bool(true))
            }
            Kind::False => {
                self.bump();
                literal(Literal::Bool(false))
            }
            Kind::Null => {
                self.bump();
                literal(Literal::Null)
            }
            Kind::Ident if self.peek_kind(1) == Kind::LParen => self.call(),
            Kind::Ident => {
                self.bump();
                // Most paths are `steps.ID.outputs.NAME` or `inputs.NAME`.
                let mut segments = Vec::with_capacity(4);
                segments.push(Spanned::new(Segment::Name(source.to_string()), span));
                let path = Path { segments, span };
                Ok((Expr::new(ExprKind::Path(path), span), 1))
            }
            Kind::LBracket => {
                self.bump();
                let (items, depth, close) =
                    self.list(Kind::RBracket, Closer::Items(token.start), false)?;
                let span = self.text.file_span(token.start, close.end);
                self.node(ExprKind::List(items), span, depth + 1)
            }
            Kind::LBrace => self.map(),
            Kind::LParen => {
                self.bump();
                let (mut expr, depth) = self.expr(Closer::Paren(token.start))?;
                let close = self.bump();
                // The node's span includes the parentheses; a path inside keeps its own.
                expr.span = self.text.file_span(token.start, close.end);
                Ok((expr, depth))
            }
            Kind::Dot => Err(self.errors().element_path_outside_a_call(token)),
            _ => {
                let before = self.at.checked_sub(1).map(|i| self.tokens[i]);
                Err(self.errors().expected_value(token, before))
            }
        }
    }

    /// `{key: value, "a key": value}` (a trailing `,` allowed). A key is a
    /// name (keywords too, as after `.`) or a quoted string; a key given
    /// twice is left for the checker to report.
    fn map(&mut self) -> Built {
        let open = self.bump();
        let closer = Closer::Entries(open.start);
        let mut entries = Vec::new();
        let mut depth = 0;
        loop {
            let token = self.peek();
            if token.kind == Kind::RBrace {
                self.bump();
                let span = self.text.file_span(open.start, token.end);
                return self.node(ExprKind::Map(entries), span, depth + 1);
            }
            let key = match token.kind {
                Kind::Str => std::mem::take(&mut self.strings[token.string]),
                Kind::Ident if !token_text(self.text, token).starts_with('@') => {
                    token_text(self.text, token).to_string()
                }
                kind if is_keyword(kind) => token_text(self.text, token).to_string(),
                _ => return Err(self.errors().expected_key(token)),
            };
            self.bump();
            let key = Spanned::new(key, self.span(token));
            if self.peek().kind != Kind::Colon {
                return Err(self.errors().expected_colon(self.peek()));
            }
            self.bump();
            let (value, d) = self.expr(closer)?;
            depth = depth.max(d);
            entries.push((key, value));
            if self.peek().kind == Kind::Comma {
                self.bump();
            }
        }
    }

    /// `name(args)`; whitespace may come before the `(`.
    fn call(&mut self) -> Built {
        let name = self.bump();
        let open = self.bump();
        let (args, depth, close) = self.list(Kind::RParen, Closer::Args(open.start), true)?;
        let name_span = self.span(name);
        let name_text = self.text.as_str()[name.start..name.end].to_string();
        let span = self.text.file_span(name.start, close.end);
        self.node(
            ExprKind::Call {
                name: Spanned::new(name_text, name_span),
                args,
            },
            span,
            depth + 1,
        )
    }

    /// Items separated by `,` (a trailing one allowed) up to `close`, which
    /// is consumed and returned. Call arguments may be lambdas.
    fn list(
        &mut self,
        close: Kind,
        closer: Closer,
        arguments: bool,
    ) -> Result<(Vec<Expr>, usize, Token), Diagnostic> {
        let mut items = Vec::new();
        let mut depth = 0;
        loop {
            if self.peek().kind == close {
                return Ok((items, depth, self.bump()));
            }
            let (item, d) = if arguments {
                self.argument(closer)?
            } else {
                self.expr(closer)?
            };
            depth = depth.max(d);
            items.push(item);
            if self.peek().kind == Kind::Comma {
                self.bump();
            }
            // Otherwise `expr` stopped at `close`, which the loop takes.
        }
    }

    /// An argument of a call: a lambda `x => body`, an element path
    /// `.field` (shorthand for `x => x.field`), or an expression.
    fn argument(&mut self, closer: Closer) -> Built {
        let token = self.peek();
        match token.kind {
            Kind::Ident if self.peek_kind(1) == Kind::Arrow => {
                self.bump();
                self.bump();
                let param = Spanned::new(
                    self.text.as_str()[token.start..token.end].to_string(),
                    self.span(token),
                );
                let (body, depth) = self.expr(closer)?;
                let span = param.span.to(body.span);
                self.node(
                    ExprKind::Lambda {
                        param,
                        body: Box::new(body),
                    },
                    span,
                    depth + 1,
                )
            }
            Kind::Dot => self.element_path(closer),
            _ => self.expr(closer),
        }
    }

    /// `.metadata.name`: a lambda whose parameter is the element itself,
    /// named [`ELEMENT`], and whose body is the path from it. Only fixed
    /// segments, and nothing after it but the end of the argument.
    fn element_path(&mut self, closer: Closer) -> Built {
        let dot = self.bump();
        let dot_span = self.span(dot);
        let next = self.peek();
        if next.spaced || !(next.kind == Kind::Ident || is_keyword(next.kind)) {
            return Err(self.errors().bare_dot(dot, next));
        }
        let mut segments = vec![Spanned::new(Segment::Name(ELEMENT.to_string()), dot_span)];
        let (name, name_span) = self.field_name()?;
        segments.push(Spanned::new(Segment::Name(name), name_span));
        let mut end = name_span;
        loop {
            let token = self.peek();
            if token.spaced {
                break;
            }
            match token.kind {
                Kind::Dot => {
                    self.bump();
                    let (name, span) = self.field_name()?;
                    segments.push(Spanned::new(Segment::Name(name), span));
                    end = span;
                }
                Kind::LBracket => {
                    let (index, _, span) = self.index()?;
                    let Some(segment) = segment(&index) else {
                        return Err(self.errors().dynamic_index_in_element_path(index.span));
                    };
                    segments.push(Spanned::new(segment, span));
                    end = span;
                }
                _ => break,
            }
        }
        let next = self.peek();
        if !closer.accepts(next.kind) {
            return Err(self.errors().after_element_path(next, closer));
        }
        let span = dot_span.to(end);
        let body = Expr::new(ExprKind::Path(Path { segments, span }), span);
        let param = Spanned::new(ELEMENT.to_string(), dot_span);
        self.node(
            ExprKind::Lambda {
                param,
                body: Box::new(body),
            },
            span,
            2,
        )
    }
}

fn is_keyword(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::True
            | Kind::False
            | Kind::Null
            | Kind::And
            | Kind::Or
            | Kind::Not
            | Kind::In
            | Kind::Matches
    )
}

fn token_text(text: &Text, token: Token) -> &str {
    &text.as_str()[token.start..token.end]
}

/// The path segment an index stands for, when it is a literal: `[0]`, `["a key"]`.
fn segment(index: &Expr) -> Option<Segment> {
    match &index.kind {
        ExprKind::Literal(Literal::Int(i)) => usize::try_from(*i).ok().map(Segment::Index),
        ExprKind::Literal(Literal::String(k)) => Some(Segment::Key(k.clone())),
        _ => None,
    }
}
