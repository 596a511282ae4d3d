//! Lowering: name resolution and constant folding, from the syntax tree to the compiler's tree.

use super::ast::{Kind, Node};
use super::functions::{closest, Func, FUNCTIONS};
use super::ops::{truth, Bin, Tri, Un};
use super::{ExprError, UserCall, UserValue};

#[derive(Debug)]
pub(super) enum IrKind {
    Const(f64),
    Slot(usize),
    Un(Un, Box<Ir>),
    Bin(Bin, Box<Ir>, Box<Ir>),
    Tri(Tri, Box<[Ir; 3]>),
    /// `op(op(op(a, b), c), ...)` for min/max with three or more arguments: kept flat so
    /// that a call with thousands of arguments does not become a thousands-deep tree.
    Chain(Bin, Vec<Ir>),
    If(Box<[Ir; 3]>),
    And(Box<Ir>, Box<Ir>),
    Or(Box<Ir>, Box<Ir>),
}

#[derive(Debug)]
pub(super) struct Ir {
    pub(super) kind: IrKind,
    pub(super) offset: usize,
    pub(super) len: usize,
}

impl Ir {
    fn constant(&self) -> Option<f64> {
        match self.kind {
            IrKind::Const(c) => Some(c),
            _ => None,
        }
    }
}

type Resolver<'r> = dyn FnMut(&str) -> Option<usize> + 'r;

fn at(kind: IrKind, node: &Node) -> Ir {
    Ir {
        kind,
        offset: node.offset,
        len: node.len,
    }
}

// Only whole-constant operations are folded: rewriting `0 * x` to 0 or reassociating
// `x * 2 * 3` would change results for NaN/inf inputs or by rounding.
fn fold_un(op: Un, x: Ir, node: &Node) -> Ir {
    match x.constant() {
        Some(v) => at(IrKind::Const(op.apply(v)), node),
        None => at(IrKind::Un(op, Box::new(x)), node),
    }
}

fn fold_bin(op: Bin, l: Ir, r: Ir, node: &Node) -> Ir {
    match (l.constant(), r.constant()) {
        (Some(a), Some(b)) => at(IrKind::Const(op.apply(a, b)), node),
        _ => at(IrKind::Bin(op, Box::new(l), Box::new(r)), node),
    }
}

fn fold_tri(op: Tri, [a, b, c]: [Ir; 3], node: &Node) -> Ir {
    match (a.constant(), b.constant(), c.constant()) {
        (Some(x), Some(y), Some(z)) => at(IrKind::Const(op.apply(x, y, z)), node),
        _ => at(IrKind::Tri(op, Box::new([a, b, c])), node),
    }
}

fn fold_if([c, a, b]: [Ir; 3], node: &Node) -> Ir {
    match c.constant() {
        Some(v) if v != 0.0 => a,
        Some(_) => b,
        None => at(IrKind::If(Box::new([c, a, b])), node),
    }
}

fn fold_logic(is_and: bool, l: Ir, r: Ir, node: &Node) -> Ir {
    match l.constant() {
        // `0 and _` and `nonzero or _` are decided by the left side alone.
        Some(c) if (c == 0.0) == is_and => at(IrKind::Const(truth(!is_and)), node),
        Some(_) => fold_un(Un::Truthy, r, node),
        None if is_and => at(IrKind::And(Box::new(l), Box::new(r)), node),
        None => at(IrKind::Or(Box::new(l), Box::new(r)), node),
    }
}

fn unknown_name(name: &str, node: &Node, known: &[&str]) -> ExprError {
    let message = match closest(name, known.iter().copied()) {
        // The caller knows the name but its resolver refused it (say, a self-reference).
        _ if known.contains(&name) => format!("`{name}` cannot be used in this expression"),
        _ if name == "log" => "unknown name `log`; for logarithms use `ln(x)` (natural) or `log10(x)`".to_string(),
        Some(s) => format!("unknown name `{name}`; did you mean `{s}`?"),
        None if FUNCTIONS.iter().any(|f| f.name == name) => {
            format!("unknown name `{name}`; `{name}` is a function, call it like `{name}(x)`")
        }
        None => format!("unknown name `{name}`"),
    };
    ExprError::new(message, node.offset, node.len)
}

/// A part of the expression that reads no name and is not a finite number: so in every iteration.
#[cold]
fn not_finite(value: f64, node: &Node, source: &str) -> ExprError {
    let text = source.get(node.offset..node.offset + node.len).unwrap_or("this part");
    let value = if value.is_nan() {
        "not a number (NaN)"
    } else if value > 0.0 {
        "∞"
    } else {
        "-∞"
    };
    ExprError::new(
        format!("`{text}` is {value} whatever the parameters; every step of an expression must give a finite number"),
        node.offset,
        node.len,
    )
}

fn arity_bug(node: &Node) -> ExprError {
    ExprError::new(
        "internal error: a call with the wrong number of arguments survived parsing",
        node.offset,
        node.len,
    )
}

/// Resolves names and folds constants, turning the syntax tree into the compiler's tree.
///
/// Each tree level costs one `lower` frame, so the work for rarer node kinds lives in
/// helpers: that keeps the recursive frame small, which matters in unoptimised builds.
pub(super) struct Lowering<'r, 'k, 'u> {
    pub(super) resolve: &'r mut Resolver<'r>,
    /// Names that stand for a number known when compiling: read as that number, so what they feed is folded.
    pub(super) constants: &'k [(&'k str, f64)],
    pub(super) known: &'k [&'k str],
    /// The expression's text, to quote a part that folds to a value that is not a finite number.
    pub(super) source: &'k str,
    /// Resolves calls of the caller's functions (a scenario's tables).
    pub(super) user: &'u mut UserCall<'u>,
}

impl Lowering<'_, '_, '_> {
    pub(super) fn lower(&mut self, node: &Node) -> Result<Ir, ExprError> {
        let ir = match &node.kind {
            Kind::Num(v) => Ok(at(IrKind::Const(*v), node)),
            Kind::Name(name) => self.name(name, node),
            Kind::Neg(x) => self.unary(Un::Neg, x, node),
            Kind::Not(x) => self.unary(Un::Not, x, node),
            Kind::And(l, r) => self.logic(true, l, r, node),
            Kind::Or(l, r) => self.logic(false, l, r, node),
            Kind::Binary(op, l, r) => self.binary(*op, l, r, node),
            Kind::Call(func, args) => self.call(*func, args, node),
            Kind::Table(name, args) => self.table(name, args, node),
        }?;
        // Checked at every node, children first, so the error points at the smallest part that is not finite.
        match ir.constant() {
            Some(v) if !v.is_finite() => Err(not_finite(v, node, self.source)),
            _ => Ok(ir),
        }
    }

    fn name(&mut self, name: &str, node: &Node) -> Result<Ir, ExprError> {
        if let Some(&(_, value)) = self.constants.iter().find(|(n, _)| *n == name) {
            return Ok(at(IrKind::Const(value), node));
        }
        match (self.resolve)(name) {
            Some(slot) => Ok(at(IrKind::Slot(slot), node)),
            None => Err(unknown_name(name, node, self.known)),
        }
    }

    fn unary(&mut self, op: Un, x: &Node, node: &Node) -> Result<Ir, ExprError> {
        let x = self.lower(x)?;
        Ok(fold_un(op, x, node))
    }

    fn binary(&mut self, op: Bin, l: &Node, r: &Node, node: &Node) -> Result<Ir, ExprError> {
        let l = self.lower(l)?;
        let r = self.lower(r)?;
        Ok(fold_bin(op, l, r, node))
    }

    fn logic(&mut self, is_and: bool, l: &Node, r: &Node, node: &Node) -> Result<Ir, ExprError> {
        // Both sides are lowered even when one is dead so that typos are always reported.
        let l = self.lower(l)?;
        let r = self.lower(r)?;
        Ok(fold_logic(is_and, l, r, node))
    }

    /// A call of one of the caller's functions: its arguments compiled on their own, then handed to the caller, which
    /// gives the slot (or the constant) the call stands for.
    fn table(&mut self, name: &str, args: &[Node], node: &Node) -> Result<Ir, ExprError> {
        let mut programs = Vec::with_capacity(args.len());
        for a in args {
            let ir = self.lower(a)?;
            programs.push(super::program_of(&ir)?);
        }
        match (self.user)(name, programs, (node.offset, node.len)) {
            Ok(UserValue::Slot(slot)) => Ok(at(IrKind::Slot(slot), node)),
            Ok(UserValue::Constant(value)) => Ok(at(IrKind::Const(value), node)),
            Err(message) => Err(ExprError::new(message, node.offset, node.len)),
        }
    }

    fn call(&mut self, func: Func, args: &[Node], node: &Node) -> Result<Ir, ExprError> {
        let mut irs = Vec::with_capacity(args.len());
        for a in args {
            irs.push(self.lower(a)?);
        }
        build_call(func, irs, node)
    }
}

/// Combines a call's lowered arguments; kept out of the recursion, see [`Lowering`].
fn build_call(func: Func, irs: Vec<Ir>, node: &Node) -> Result<Ir, ExprError> {
    let unary = |op: Un, irs: Vec<Ir>| match <[Ir; 1]>::try_from(irs) {
        Ok([x]) => Ok(fold_un(op, x, node)),
        Err(_) => Err(arity_bug(node)),
    };
    let binary = |op: Bin, irs: Vec<Ir>| match <[Ir; 2]>::try_from(irs) {
        Ok([x, y]) => Ok(fold_bin(op, x, y, node)),
        Err(_) => Err(arity_bug(node)),
    };
    let three = |irs: Vec<Ir>| <[Ir; 3]>::try_from(irs).map_err(|_| arity_bug(node));
    match func {
        Func::Min | Func::Max => {
            let op = if func == Func::Min { Bin::Min } else { Bin::Max };
            // Fold the leading run of constants, keeping strict left-to-right semantics.
            let mut it = irs.into_iter();
            let mut acc = it.next().ok_or_else(|| arity_bug(node))?;
            let mut rest = Vec::new();
            for x in it {
                match (acc.constant(), x.constant(), rest.is_empty()) {
                    (Some(a), Some(b), true) => acc = at(IrKind::Const(op.apply(a, b)), node),
                    _ => rest.push(x),
                }
            }
            Ok(match rest.len() {
                0 => acc,
                1 => fold_bin(op, acc, rest.remove(0), node),
                _ => {
                    rest.insert(0, acc);
                    at(IrKind::Chain(op, rest), node)
                }
            })
        }
        Func::Exp => unary(Un::Exp, irs),
        Func::Ln => unary(Un::Ln, irs),
        Func::Log10 => unary(Un::Log10, irs),
        Func::Sqrt => unary(Un::Sqrt, irs),
        Func::Abs => unary(Un::Abs, irs),
        Func::Floor => unary(Un::Floor, irs),
        Func::Ceil => unary(Un::Ceil, irs),
        Func::Round => unary(Un::Round, irs),
        Func::Pow => binary(Bin::Pow, irs),
        Func::RateToProb => binary(Bin::RateToProb, irs),
        Func::ProbToRate => binary(Bin::ProbToRate, irs),
        Func::Clamp => Ok(fold_tri(Tri::Clamp, three(irs)?, node)),
        Func::ConvertProb => Ok(fold_tri(Tri::ConvertProb, three(irs)?, node)),
        Func::If => Ok(fold_if(three(irs)?, node)),
    }
}
