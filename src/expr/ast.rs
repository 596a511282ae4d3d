//! The syntax tree: nodes with byte spans and a bounded height, and the public [`Ast`].

use super::functions::Func;
use super::lexer::Token;
use super::ops::Bin;
use super::{ExprError, MAX_NESTING};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Num(f64),
    Name(String),
    Neg(Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Binary(Bin, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
    /// A call of a function the caller defines (a scenario's table), by name; the arguments are its keys.
    Table(String, Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) offset: usize,
    pub(super) len: usize,
    // Tree height, bounded by MAX_NESTING so the recursive compile (and drop) stay shallow
    // even for a long flat chain like `a + a + ... + a`, which the parser builds in a loop.
    height: usize,
}

impl Node {
    pub(super) fn leaf(kind: Kind, t: Token) -> Node {
        Node {
            kind,
            offset: t.offset,
            len: t.len,
            height: 1,
        }
    }

    /// Builds a non-leaf node spanning `offset..end`, enforcing the height bound.
    pub(super) fn interior(kind: Kind, offset: usize, end: usize) -> Result<Node, ExprError> {
        let below = match &kind {
            Kind::Num(_) | Kind::Name(_) => 0,
            Kind::Neg(x) | Kind::Not(x) => x.height,
            Kind::And(l, r) | Kind::Or(l, r) | Kind::Binary(_, l, r) => l.height.max(r.height),
            Kind::Call(_, args) | Kind::Table(_, args) => args.iter().map(|a| a.height).max().unwrap_or(0),
        };
        if below >= MAX_NESTING {
            return Err(too_deep(offset, end.saturating_sub(offset)));
        }
        Ok(Node {
            kind,
            offset,
            len: end.saturating_sub(offset),
            height: below + 1,
        })
    }
}

pub(super) fn too_deep(offset: usize, len: usize) -> ExprError {
    ExprError::new(
        "expression nested too deeply; split it into intermediate parameters",
        offset,
        len,
    )
}

/// A parsed expression (syntax tree with byte spans).
#[derive(Debug, Clone, PartialEq)]
pub struct Ast {
    pub(super) root: Node,
    /// The text it was parsed from, for messages that quote part of it.
    pub(super) source: String,
}

impl Ast {
    /// Every identifier the expression reads, with its byte offset, in order of appearance (duplicates kept).
    pub fn names(&self) -> Vec<(&str, usize)> {
        fn walk<'n>(node: &'n Node, out: &mut Vec<(&'n str, usize)>) {
            match &node.kind {
                Kind::Num(_) => {}
                Kind::Name(name) => out.push((name.as_str(), node.offset)),
                Kind::Neg(x) | Kind::Not(x) => walk(x, out),
                Kind::And(l, r) | Kind::Or(l, r) | Kind::Binary(_, l, r) => {
                    walk(l, out);
                    walk(r, out);
                }
                Kind::Call(_, args) | Kind::Table(_, args) => args.iter().for_each(|a| walk(a, out)),
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        // Pre-order already follows the source, but sorting keeps that true whatever the tree shape.
        out.sort_by_key(|&(_, offset)| offset);
        out
    }

    /// Byte offset and length of the whole expression in its source.
    pub fn span(&self) -> (usize, usize) {
        (self.root.offset, self.root.len)
    }
}
