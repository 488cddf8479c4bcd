//! Text to [`Expr`]: pest reads the flat token structure, this module applies
//! precedence, folds `[0]`/`.name` into paths, and turns pest's errors into
//! diagnostics that point at the file (through [`Text::file_span`]) and say
//! what was expected in words rather than rule names.

use super::parse_error::syntax_error;
use super::syntax::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::Text;
use crate::path::{Path, Segment};
use crate::source::{Span, Spanned};
use pest::iterators::Pair;
use pest::Parser as _;

/// How deep brackets and runs of prefix operators may nest. Far beyond any
/// real condition; it exists so hostile input cannot exhaust the stack.
pub const MAX_NESTING: usize = 64;

/// How deep the finished tree may be (a chain `a || b || ...` is as deep as
/// it is long). Every walk of an expression is recursive, so this bounds them.
pub const MAX_DEPTH: usize = 256;

#[derive(pest_derive::Parser)]
#[grammar = "expr/expr.pest"]
pub(super) struct ExprParser;

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
    prescan(text)?;
    let mut pairs =
        ExprParser::parse(Rule::expression, source).map_err(|error| syntax_error(text, &error))?;
    let expr = pairs
        .next()
        .and_then(|expression| expression.into_inner().next())
        .ok_or_else(|| internal(text))?;
    let builder = Builder { text };
    builder.expr(expr).map(|(expr, _)| expr)
}

fn internal(text: &Text) -> Diagnostic {
    Diagnostic::error(Code::ExprSyntax, "the expression could not be read")
        .label(text.file_span(0, text.as_str().len()), "")
}

/// Rejects what would make pest recurse too deeply or report a poor error:
/// brackets nested beyond [`MAX_NESTING`] and unterminated strings.
fn prescan(text: &Text) -> Result<(), Diagnostic> {
    let source = text.as_str();
    let mut open: Vec<usize> = Vec::new();
    let mut quotes = crate::quotes::Quotes::default();
    let mut string_start: Option<(char, usize)> = None;
    for (i, c) in source.char_indices() {
        if quotes.inside(c) {
            continue;
        }
        if quotes.is_open() {
            string_start = Some((c, i));
            continue;
        }
        match c {
            '(' | '[' => {
                open.push(i);
                if open.len() > MAX_NESTING {
                    return Err(Diagnostic::error(
                        Code::ExprSyntax,
                        format!("brackets are nested more than {MAX_NESTING} deep"),
                    )
                    .label(text.file_span(i, i + 1), "too deep here")
                    .help("split the condition into simpler parts"));
                }
            }
            ')' | ']' => {
                open.pop();
            }
            _ => {}
        }
    }
    if let Some((q, at)) = string_start.filter(|_| quotes.is_open()) {
        return Err(
            Diagnostic::error(Code::ExprSyntax, "this string is never closed")
                .label(text.file_span(at, at + 1), "the string starts here")
                .help(format!("end it with `{q}`")),
        );
    }
    Ok(())
}

/// A token of the flat operator chain.
enum Token<'i> {
    Prefix(Spanned<UnaryOp>),
    Operand(Pair<'i, Rule>),
    Infix(Spanned<BinaryOp>),
}

struct Builder<'t> {
    text: &'t Text,
}

type Built = Result<(Expr, usize), Diagnostic>;

impl Builder<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        self.text.file_span(s.start(), s.end())
    }

    fn error(&self, span: Span, message: impl Into<String>, label: &str) -> Diagnostic {
        Diagnostic::error(Code::ExprSyntax, message).label(span, label)
    }

    fn too_deep(&self, span: Span) -> Diagnostic {
        self.error(
            span,
            format!("this expression is nested more than {MAX_DEPTH} levels deep"),
            "too deep here",
        )
        .help("split the condition into simpler parts")
    }

    fn node(&self, kind: ExprKind, span: Span, depth: usize) -> Built {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(span));
        }
        Ok((Expr::new(kind, span), depth))
    }

    /// An `expr` pair: operands and infix operators, combined by precedence.
    fn expr(&self, pair: Pair<'_, Rule>) -> Built {
        let mut tokens = Vec::new();
        for child in pair.into_inner() {
            let span = self.span(&child);
            match child.as_rule() {
                Rule::operand => {
                    let mut prefixes = 0;
                    for part in child.into_inner() {
                        let span = self.span(&part);
                        match part.as_rule() {
                            Rule::not_op | Rule::neg_op => {
                                prefixes += 1;
                                if prefixes > MAX_NESTING {
                                    return Err(self
                                        .error(
                                            span,
                                            format!(
                                                "more than {MAX_NESTING} prefix operators in a row"
                                            ),
                                            "too many here",
                                        )
                                        .help("remove the doubled `!` or `-`"));
                                }
                                let op = if part.as_rule() == Rule::not_op {
                                    UnaryOp::Not
                                } else {
                                    UnaryOp::Neg
                                };
                                tokens.push(Token::Prefix(Spanned::new(op, span)));
                            }
                            _ => tokens.push(Token::Operand(part)),
                        }
                    }
                }
                rule => {
                    let op = binary_op(rule).ok_or_else(|| internal(self.text))?;
                    tokens.push(Token::Infix(Spanned::new(op, span)));
                }
            }
        }
        let mut tokens = tokens.into_iter().peekable();
        self.climb(&mut tokens, 0)
    }

    /// Precedence climbing: consumes infix operators that bind tighter than `min`.
    fn climb<'i>(
        &self,
        tokens: &mut std::iter::Peekable<impl Iterator<Item = Token<'i>>>,
        min: u8,
    ) -> Built {
        let (mut lhs, mut depth) = match tokens.next() {
            Some(Token::Prefix(op)) => {
                let (operand, depth) = self.climb(tokens, op.value.precedence() as u8)?;
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
            Some(Token::Operand(pair)) => self.postfix(pair)?,
            _ => return Err(internal(self.text)),
        };
        while let Some(Token::Infix(op)) = tokens.peek() {
            let precedence = op.value.precedence() as u8;
            if precedence <= min {
                break;
            }
            let Some(Token::Infix(op)) = tokens.next() else {
                break;
            };
            let (rhs, rhs_depth) = self.climb(tokens, precedence)?;
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

    /// A primary followed by `.name` and `[index]`; indexes with a literal
    /// key extend a path, others become [`ExprKind::Index`].
    fn postfix(&self, pair: Pair<'_, Rule>) -> Built {
        let mut parts = pair.into_inner();
        let primary = parts.next().ok_or_else(|| internal(self.text))?;
        let (mut expr, mut depth) = self.primary(primary)?;
        for part in parts {
            let span = self.span(&part);
            let whole = expr.span.to(span);
            match part.as_rule() {
                Rule::field => {
                    let name = part.as_str().trim_start_matches('.').to_string();
                    let name_span = Span::new(span.start.saturating_add(1).min(span.end), span.end);
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
                _ => {
                    let inner = part
                        .into_inner()
                        .next()
                        .ok_or_else(|| internal(self.text))?;
                    let (index, index_depth) = self.expr(inner)?;
                    let segment = match &index.kind {
                        ExprKind::Literal(Literal::Int(i)) => {
                            usize::try_from(*i).ok().map(Segment::Index)
                        }
                        ExprKind::Literal(Literal::String(k)) => Some(Segment::Key(k.clone())),
                        _ => None,
                    };
                    match (&mut expr.kind, segment) {
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
            }
        }
        Ok((expr, depth))
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Built {
        let inner = pair
            .into_inner()
            .next()
            .ok_or_else(|| internal(self.text))?;
        let span = self.span(&inner);
        let literal = |lit: Literal| Ok((Expr::new(ExprKind::Literal(lit), span), 1));
        match inner.as_rule() {
            Rule::int => match inner.as_str().parse::<i64>() {
                Ok(i) => literal(Literal::Int(i)),
                Err(_) => Err(self
                    .error(span, "this integer is too large", "does not fit in 64 bits")
                    .help(format!("integers range from {} to {}", i64::MIN, i64::MAX))),
            },
            Rule::float => match inner.as_str().parse::<f64>() {
                Ok(f) if f.is_finite() => literal(Literal::Float(f)),
                _ => Err(self.error(span, "this number is too large", "not a finite number")),
            },
            Rule::string => literal(Literal::String(self.string(inner)?)),
            Rule::true_lit => literal(Literal::Bool(true)),
            Rule::false_lit => literal(Literal::Bool(false)),
            Rule::null_lit => literal(Literal::Null),
            Rule::name => {
                let path = Path {
                    segments: vec![Spanned::new(
                        Segment::Name(inner.as_str().to_string()),
                        span,
                    )],
                    span,
                };
                Ok((Expr::new(ExprKind::Path(path), span), 1))
            }
            Rule::call => {
                let mut parts = inner.into_inner();
                let name = parts.next().ok_or_else(|| internal(self.text))?;
                let name = Spanned::new(name.as_str().to_string(), self.span(&name));
                let (args, depth) = self.exprs(parts)?;
                self.node(ExprKind::Call { name, args }, span, depth + 1)
            }
            Rule::list => {
                let (items, depth) = self.exprs(inner.into_inner())?;
                self.node(ExprKind::List(items), span, depth + 1)
            }
            Rule::paren => {
                let expr = inner
                    .into_inner()
                    .next()
                    .ok_or_else(|| internal(self.text))?;
                let (mut expr, depth) = self.expr(expr)?;
                expr.span = span;
                if let ExprKind::Path(path) = &mut expr.kind {
                    // A parenthesised path is still that path; keep its own span.
                    expr.span = path.span.to(span);
                }
                Ok((expr, depth))
            }
            _ => Err(internal(self.text)),
        }
    }

    fn exprs<'i>(
        &self,
        pairs: impl Iterator<Item = Pair<'i, Rule>>,
    ) -> Result<(Vec<Expr>, usize), Diagnostic> {
        let mut items = Vec::new();
        let mut depth = 0;
        for pair in pairs {
            let (item, d) = if pair.as_rule() == Rule::lambda {
                self.lambda(pair)?
            } else {
                self.expr(pair)?
            };
            depth = depth.max(d);
            items.push(item);
        }
        Ok((items, depth))
    }

    /// `param => body`, an argument of a list function.
    fn lambda(&self, pair: Pair<'_, Rule>) -> Built {
        let span = self.span(&pair);
        let mut parts = pair.into_inner();
        let param = parts.next().ok_or_else(|| internal(self.text))?;
        let param = Spanned::new(param.as_str().to_string(), self.span(&param));
        let body = parts.next().ok_or_else(|| internal(self.text))?;
        let (body, depth) = self.expr(body)?;
        self.node(
            ExprKind::Lambda {
                param,
                body: Box::new(body),
            },
            span,
            depth + 1,
        )
    }

    /// The value of a quoted string, escapes resolved; an unknown escape is
    /// an error at its two characters.
    fn string(&self, pair: Pair<'_, Rule>) -> Result<String, Diagnostic> {
        let inner = pair
            .into_inner()
            .next()
            .ok_or_else(|| internal(self.text))?;
        let base = inner.as_span().start();
        let raw = inner.as_str();
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else {
                break;
            };
            let simple = match e {
                'n' => Some('\n'),
                't' => Some('\t'),
                'r' => Some('\r'),
                '0' => Some('\0'),
                '\\' | '"' | '\'' | '/' => Some(e),
                _ => None,
            };
            if let Some(s) = simple {
                out.push(s);
                continue;
            }
            let mut end = i + 1 + e.len_utf8();
            if e == 'u' {
                // \u{1F600}
                let rest = &raw[end..];
                if let Some(close) = rest.strip_prefix('{').and_then(|r| r.find('}')) {
                    let hex = &rest[1..1 + close];
                    let code = (1..=6)
                        .contains(&hex.len())
                        .then(|| u32::from_str_radix(hex, 16).ok())
                        .flatten()
                        .and_then(char::from_u32);
                    end += close + 2;
                    if let Some(c) = code {
                        out.push(c);
                        while chars.peek().is_some_and(|(j, _)| *j < end) {
                            chars.next();
                        }
                        continue;
                    }
                }
            }
            let span = self.text.file_span(base + i, base + end.min(raw.len()));
            return Err(self
                .error(span, "unknown escape in a string", "not an escape")
                .help(r#"the escapes are \n \t \r \0 \\ \" \' and \u{HEX}"#));
        }
        Ok(out)
    }
}

fn binary_op(rule: Rule) -> Option<BinaryOp> {
    Some(match rule {
        Rule::or_op => BinaryOp::Or,
        Rule::and_op => BinaryOp::And,
        Rule::eq_op => BinaryOp::Eq,
        Rule::ne_op => BinaryOp::Ne,
        Rule::lt_op => BinaryOp::Lt,
        Rule::le_op => BinaryOp::Le,
        Rule::gt_op => BinaryOp::Gt,
        Rule::ge_op => BinaryOp::Ge,
        Rule::in_op => BinaryOp::In,
        Rule::not_in_op => BinaryOp::NotIn,
        Rule::matches_op => BinaryOp::Matches,
        Rule::add_op => BinaryOp::Add,
        Rule::sub_op => BinaryOp::Sub,
        Rule::mul_op => BinaryOp::Mul,
        Rule::div_op => BinaryOp::Div,
        Rule::rem_op => BinaryOp::Rem,
        _ => return None,
    })
}
