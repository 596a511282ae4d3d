//! The stack machine's instruction set, with the operand forms of binary operations.

use super::ops::{Bin, Tri, Un};

/// One stack-machine instruction.
///
/// Every binary operation comes in six operand forms: both operands on the stack
/// (`Bin`, or `BinSwapped` when the right one was pushed first), or one of them taken
/// straight from the instruction as a constant or slot. The `+ - * /` forms also get
/// variants of their own: they measured 15-20% faster on arithmetic-heavy expressions than
/// the generic `Bin*(op, ..)` forms, whose second `match` on the operation is a second
/// indirect jump.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Instr {
    Const(f64),
    Slot(usize),
    // Addition and multiplication are commutative in IEEE 754, so they need no swapped
    // or constant-on-the-left forms.
    Add,
    AddConst(f64),
    AddSlot(usize),
    Mul,
    MulConst(f64),
    MulSlot(usize),
    Sub,
    SubSwapped,
    SubConst(f64),
    SubSlot(usize),
    ConstSub(f64),
    SlotSub(usize),
    Div,
    DivSwapped,
    DivConst(f64),
    DivSlot(usize),
    ConstDiv(f64),
    SlotDiv(usize),
    Un(Un),
    /// Pops the right operand, applies the operation to the top and it.
    Bin(Bin),
    /// Like `Bin`, but the right operand was pushed first, so it is the one beneath.
    BinSwapped(Bin),
    /// Right operand from the instruction: `x < 2`.
    BinConst(Bin, f64),
    BinSlot(Bin, usize),
    /// Left operand from the instruction: `2 ^ x`.
    ConstBin(Bin, f64),
    SlotBin(Bin, usize),
    Tri(Tri),
    Jump(usize),
    /// Pops the condition; jumps when it is zero.
    JumpIfFalse(usize),
    /// `and`: if the top is zero, leaves 0 and jumps; otherwise pops it.
    AndJump(usize),
    /// `or`: if the top is non-zero, leaves 1 and jumps; otherwise pops it.
    OrJump(usize),
}

/// Where a binary operation finds its operands.
#[derive(Clone, Copy)]
pub(super) enum Form {
    Stack,
    Swapped,
    RightConst(f64),
    RightSlot(usize),
    LeftConst(f64),
    LeftSlot(usize),
}

impl Instr {
    /// The instruction for `op` with operands in `form`, specialised where one exists.
    pub(super) fn binary(op: Bin, form: Form) -> Instr {
        use Form::*;
        match (op, form) {
            (Bin::Add, Stack | Swapped) => Instr::Add,
            (Bin::Add, RightConst(c) | LeftConst(c)) => Instr::AddConst(c),
            (Bin::Add, RightSlot(i) | LeftSlot(i)) => Instr::AddSlot(i),
            (Bin::Mul, Stack | Swapped) => Instr::Mul,
            (Bin::Mul, RightConst(c) | LeftConst(c)) => Instr::MulConst(c),
            (Bin::Mul, RightSlot(i) | LeftSlot(i)) => Instr::MulSlot(i),
            (Bin::Sub, Stack) => Instr::Sub,
            (Bin::Sub, Swapped) => Instr::SubSwapped,
            (Bin::Sub, RightConst(c)) => Instr::SubConst(c),
            (Bin::Sub, RightSlot(i)) => Instr::SubSlot(i),
            (Bin::Sub, LeftConst(c)) => Instr::ConstSub(c),
            (Bin::Sub, LeftSlot(i)) => Instr::SlotSub(i),
            (Bin::Div, Stack) => Instr::Div,
            (Bin::Div, Swapped) => Instr::DivSwapped,
            (Bin::Div, RightConst(c)) => Instr::DivConst(c),
            (Bin::Div, RightSlot(i)) => Instr::DivSlot(i),
            (Bin::Div, LeftConst(c)) => Instr::ConstDiv(c),
            (Bin::Div, LeftSlot(i)) => Instr::SlotDiv(i),
            (op, Stack) => Instr::Bin(op),
            (op, Swapped) => Instr::BinSwapped(op),
            (op, RightConst(c)) => Instr::BinConst(op, c),
            (op, RightSlot(i)) => Instr::BinSlot(op, i),
            (op, LeftConst(c)) => Instr::ConstBin(op, c),
            (op, LeftSlot(i)) => Instr::SlotBin(op, i),
        }
    }

    /// Whether this is one of the plain arithmetic instructions
    /// [`Program::eval_lanes`](super::Program::eval_lanes) runs.
    pub(super) fn is_arithmetic(&self) -> bool {
        matches!(
            self,
            Instr::Const(_)
                | Instr::Slot(_)
                | Instr::Add
                | Instr::AddConst(_)
                | Instr::AddSlot(_)
                | Instr::Mul
                | Instr::MulConst(_)
                | Instr::MulSlot(_)
                | Instr::Sub
                | Instr::SubSwapped
                | Instr::SubConst(_)
                | Instr::SubSlot(_)
                | Instr::ConstSub(_)
                | Instr::SlotSub(_)
                | Instr::Div
                | Instr::DivSwapped
                | Instr::DivConst(_)
                | Instr::DivSlot(_)
                | Instr::ConstDiv(_)
                | Instr::SlotDiv(_)
        )
    }

    /// The slot this instruction reads, if any.
    pub(super) fn slot(&self) -> Option<usize> {
        match *self {
            Instr::Slot(i)
            | Instr::AddSlot(i)
            | Instr::MulSlot(i)
            | Instr::SubSlot(i)
            | Instr::SlotSub(i)
            | Instr::DivSlot(i)
            | Instr::SlotDiv(i)
            | Instr::BinSlot(_, i)
            | Instr::SlotBin(_, i) => Some(i),
            _ => None,
        }
    }
}
