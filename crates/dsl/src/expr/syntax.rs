//! The expression tree. Every node keeps the file span it was written at,
//! so the checker and the evaluator can point at the exact characters.

use crate::path::Path;
use crate::source::{Span, Spanned};

pub use crate::path::ELEMENT;

/// One node of an expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    /// Includes the parentheses the author wrote around it, if any.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `inputs.namespace`, `steps.api.json.items[0]`, or a bare identifier.
    Path(Path),
    /// `[1, 2, 3]`
    List(Vec<Expr>),
    /// `{name: "web", "x-y": 1}`: each key as written (a name or a quoted
    /// string, with its span for "given twice") and its value, in source order.
    Map(Vec<(Spanned<String>, Expr)>),
    Unary {
        op: Spanned<UnaryOp>,
        operand: Box<Expr>,
    },
    Binary {
        op: Spanned<BinaryOp>,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `len(x)`: the name keeps its own span for "unknown function".
    Call {
        name: Spanned<String>,
        args: Vec<Expr>,
    },
    /// `pod => pod.ready`: an argument of the list functions (`filter`,
    /// `map`, `any`, ...), evaluated once per element with `param` bound to it.
    Lambda {
        param: Spanned<String>,
        body: Box<Expr>,
    },
    /// An index that cannot be folded into a path: `lower(x)[0]`,
    /// `items[inputs.i]`, `[1, 2][0]`.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `!` or `not`
    Not,
    /// `-`
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Matches,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Binding strength, loosest first. `!` sits between `&&` and the
/// comparisons, as in Python: `!a == b` is `!(a == b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precedence {
    /// `x => body` binds loosest: its body extends to the `,` or `)`.
    Lambda = 0,
    Or,
    And,
    Not,
    Compare,
    Sum,
    Product,
    Neg,
    Postfix,
}

impl BinaryOp {
    /// The canonical spelling, as the printer writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Matches => "matches",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    pub fn precedence(self) -> Precedence {
        match self {
            BinaryOp::Or => Precedence::Or,
            BinaryOp::And => Precedence::And,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In
            | BinaryOp::NotIn
            | BinaryOp::Matches => Precedence::Compare,
            BinaryOp::Add | BinaryOp::Sub => Precedence::Sum,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => Precedence::Product,
        }
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
        }
    }

    pub fn precedence(self) -> Precedence {
        match self {
            UnaryOp::Not => Precedence::Not,
            UnaryOp::Neg => Precedence::Neg,
        }
    }
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    /// How tightly this node binds, for the printer's parentheses.
    pub fn precedence(&self) -> Precedence {
        match &self.kind {
            ExprKind::Unary { op, .. } => op.value.precedence(),
            ExprKind::Binary { op, .. } => op.value.precedence(),
            ExprKind::Lambda { .. } => Precedence::Lambda,
            _ => Precedence::Postfix,
        }
    }

    /// The path from the element, when this node is an element path
    /// (`.metadata.name`, the shorthand of `x => x.metadata.name`): its
    /// segments after the [`ELEMENT`] one.
    pub fn element_path(&self) -> Option<&[Spanned<crate::path::Segment>]> {
        match &self.kind {
            ExprKind::Lambda { param, body } if param.value == ELEMENT => {
                body.as_path().map(|path| &path.segments[1..])
            }
            _ => None,
        }
    }

    /// The path, when this node is nothing but a path.
    pub fn as_path(&self) -> Option<&Path> {
        match &self.kind {
            ExprKind::Path(path) => Some(path),
            _ => None,
        }
    }

    /// The string, when this node is a string literal.
    pub fn as_str_literal(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Literal(Literal::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Direct children, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal(_) | ExprKind::Path(_) => Vec::new(),
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter().collect(),
            ExprKind::Map(entries) => entries.iter().map(|(_, value)| value).collect(),
            ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::Index { base, index } => vec![base, index],
            ExprKind::Lambda { body, .. } => vec![body],
        }
    }

    /// Every path the expression reads, in source order (iteratively, so no
    /// tree shape can exhaust the stack).
    /// A lambda's own parameter (`pod` in `pod => pod.ready`) is not a
    /// value of the playbook and is left out.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        let mut stack: Vec<(&Expr, Vec<&str>)> = vec![(self, Vec::new())];
        while let Some((expr, bound)) = stack.pop() {
            match &expr.kind {
                ExprKind::Path(path) if !path.key(0).is_some_and(|k| bound.contains(&k)) => {
                    out.push(path)
                }
                ExprKind::Lambda { param, body } => {
                    let mut inner = bound.clone();
                    inner.push(param.value.as_str());
                    stack.push((body, inner));
                    continue;
                }
                _ => {}
            }
            for child in expr.children().into_iter().rev() {
                stack.push((child, bound.clone()));
            }
        }
        out
    }

    /// A copy with every span reset, so two trees can be compared by shape:
    /// `parse(print(e))` must equal `e` up to spans.
    pub fn without_spans(&self) -> Expr {
        let none = Span::default();
        let kind = match &self.kind {
            ExprKind::Literal(lit) => ExprKind::Literal(lit.clone()),
            ExprKind::Path(path) => ExprKind::Path(path.without_spans()),
            ExprKind::List(items) => {
                ExprKind::List(items.iter().map(Expr::without_spans).collect())
            }
            ExprKind::Map(entries) => ExprKind::Map(
                entries
                    .iter()
                    .map(|(key, value)| {
                        (Spanned::new(key.value.clone(), none), value.without_spans())
                    })
                    .collect(),
            ),
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: Spanned::new(op.value, none),
                operand: Box::new(operand.without_spans()),
            },
            ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
                op: Spanned::new(op.value, none),
                lhs: Box::new(lhs.without_spans()),
                rhs: Box::new(rhs.without_spans()),
            },
            ExprKind::Call { name, args } => ExprKind::Call {
                name: Spanned::new(name.value.clone(), none),
                args: args.iter().map(Expr::without_spans).collect(),
            },
            ExprKind::Index { base, index } => ExprKind::Index {
                base: Box::new(base.without_spans()),
                index: Box::new(index.without_spans()),
            },
            ExprKind::Lambda { param, body } => ExprKind::Lambda {
                param: Spanned::new(param.value.clone(), none),
                body: Box::new(body.without_spans()),
            },
        };
        Expr::new(kind, none)
    }
}
