//! [`Program`], a compiled expression, and its evaluation: scalar, and on several iterations at once (lanes).

use super::instr::{Form, Instr};
use super::ops::Bin;
use super::MAX_STACK;

/// A compiled expression: a compact instruction list over a fixed-size value stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub(super) code: Vec<Instr>,
    reads: Vec<usize>,
    /// Most values on the stack at once, including the top; at most `MAX_STACK`.
    pub(super) depth: usize,
    /// Whether [`Program::eval_lanes`] can run it: only + − × ÷ on constants and slots, at most
    /// [`LANE_STACK`] values deep.
    lane_arithmetic: bool,
}

/// The deepest stack [`Program::eval_lanes`] handles (`p * rr`, `a + b * c` and the like need 1 to 3).
const LANE_STACK: usize = 4;

/// The deepest stack [`Program::eval_lanes_ops`] handles.
const LANE_OPS_STACK: usize = 8;

/// `f` of paired lanes.
#[inline(always)]
fn zip_lanes<const L: usize>(a: [f64; L], b: [f64; L], f: fn(f64, f64) -> f64) -> [f64; L] {
    std::array::from_fn(|l| f(a[l], b[l]))
}

/// An instruction whose right operand is a constant or a slot, applied to `top` on every lane; None for any other.
#[inline(always)]
fn right_operand<const L: usize>(top: [f64; L], instr: Instr, slots: &[[f64; L]]) -> Option<[f64; L]> {
    Some(match instr {
        Instr::AddConst(c) => zip_lanes(top, [c; L], |t, c| t + c),
        Instr::AddSlot(i) => zip_lanes(top, slots[i], |t, v| t + v),
        Instr::MulConst(c) => zip_lanes(top, [c; L], |t, c| t * c),
        Instr::MulSlot(i) => zip_lanes(top, slots[i], |t, v| t * v),
        Instr::SubConst(c) => zip_lanes(top, [c; L], |t, c| t - c),
        Instr::SubSlot(i) => zip_lanes(top, slots[i], |t, v| t - v),
        Instr::ConstSub(c) => zip_lanes(top, [c; L], |t, c| c - t),
        Instr::SlotSub(i) => zip_lanes(top, slots[i], |t, v| v - t),
        Instr::DivConst(c) => zip_lanes(top, [c; L], |t, c| t / c),
        Instr::DivSlot(i) => zip_lanes(top, slots[i], |t, v| t / v),
        Instr::ConstDiv(c) => zip_lanes(top, [c; L], |t, c| c / t),
        Instr::SlotDiv(i) => zip_lanes(top, slots[i], |t, v| v / t),
        _ => return None,
    })
}

/// A binary instruction as its operation and where its operands are; None for any other instruction.
fn binary_form(instr: Instr) -> Option<(Bin, Form)> {
    use Form::*;
    Some(match instr {
        Instr::Add => (Bin::Add, Stack),
        Instr::AddConst(c) => (Bin::Add, RightConst(c)),
        Instr::AddSlot(i) => (Bin::Add, RightSlot(i)),
        Instr::Mul => (Bin::Mul, Stack),
        Instr::MulConst(c) => (Bin::Mul, RightConst(c)),
        Instr::MulSlot(i) => (Bin::Mul, RightSlot(i)),
        Instr::Sub => (Bin::Sub, Stack),
        Instr::SubSwapped => (Bin::Sub, Swapped),
        Instr::SubConst(c) => (Bin::Sub, RightConst(c)),
        Instr::SubSlot(i) => (Bin::Sub, RightSlot(i)),
        Instr::ConstSub(c) => (Bin::Sub, LeftConst(c)),
        Instr::SlotSub(i) => (Bin::Sub, LeftSlot(i)),
        Instr::Div => (Bin::Div, Stack),
        Instr::DivSwapped => (Bin::Div, Swapped),
        Instr::DivConst(c) => (Bin::Div, RightConst(c)),
        Instr::DivSlot(i) => (Bin::Div, RightSlot(i)),
        Instr::ConstDiv(c) => (Bin::Div, LeftConst(c)),
        Instr::SlotDiv(i) => (Bin::Div, LeftSlot(i)),
        Instr::Bin(op) => (op, Stack),
        Instr::BinSwapped(op) => (op, Swapped),
        Instr::BinConst(op, c) => (op, RightConst(c)),
        Instr::BinSlot(op, i) => (op, RightSlot(i)),
        Instr::ConstBin(op, c) => (op, LeftConst(c)),
        Instr::SlotBin(op, i) => (op, LeftSlot(i)),
        _ => return None,
    })
}

/// `op` applied lane by lane, with the operation chosen once for all lanes rather than per lane (the same
/// operations as [`Bin::apply`], so the same bits).
#[inline(always)]
fn binary_lanes<const L: usize>(op: Bin, a: [f64; L], b: [f64; L]) -> [f64; L] {
    use super::ops::truth;
    match op {
        Bin::Add => zip_lanes(a, b, |a, b| a + b),
        Bin::Sub => zip_lanes(a, b, |a, b| a - b),
        Bin::Mul => zip_lanes(a, b, |a, b| a * b),
        Bin::Div => zip_lanes(a, b, |a, b| a / b),
        Bin::Lt => zip_lanes(a, b, |a, b| truth(a < b)),
        Bin::Le => zip_lanes(a, b, |a, b| truth(a <= b)),
        Bin::Gt => zip_lanes(a, b, |a, b| truth(a > b)),
        Bin::Ge => zip_lanes(a, b, |a, b| truth(a >= b)),
        Bin::Eq => zip_lanes(a, b, |a, b| truth(a == b)),
        Bin::Ne => zip_lanes(a, b, |a, b| truth(a != b)),
        _ => std::array::from_fn(|l| op.apply(a[l], b[l])),
    }
}

impl Program {
    pub(super) fn from_code(code: Vec<Instr>, depth: usize) -> Program {
        let mut reads: Vec<usize> = code.iter().filter_map(Instr::slot).collect();
        reads.sort_unstable();
        reads.dedup();
        let lane_arithmetic = depth <= LANE_STACK && code.iter().all(Instr::is_arithmetic);
        Program {
            code,
            reads,
            depth,
            lane_arithmetic,
        }
    }

    /// A program that always yields `value`.
    pub fn constant(value: f64) -> Program {
        Program::from_code(vec![Instr::Const(value)], 1)
    }

    /// A program that yields the value of slot `index`.
    pub fn slot(index: usize) -> Program {
        Program::from_code(vec![Instr::Slot(index)], 1)
    }

    /// Evaluates with the current slot values. No allocation, no string handling.
    ///
    /// Panics if `slots` is too short for an index in [`Program::reads`]; that is a bug in
    /// the caller's slot layout, not something an expression can cause.
    pub fn eval(&self, slots: &[f64]) -> f64 {
        // Zeroing the value array is a measurable share of a short evaluation, so run with
        // the smallest array that fits; most real expressions need only one or two values.
        match self.depth {
            0..=2 => self.run::<2>(slots),
            3..=4 => self.run::<4>(slots),
            5..=8 => self.run::<8>(slots),
            _ => self.run::<MAX_STACK>(slots),
        }
    }

    /// The interpreter loop, with a value array of `N` (a power of two, at least `self.depth`).
    // Over 100 lines on purpose: the interpreter loop on the hot path, kept in one piece for the optimiser.
    #[inline(always)]
    fn run<const N: usize>(&self, slots: &[f64]) -> f64 {
        // Indices are masked instead of bounds-checked: compile() guarantees the stack never
        // exceeds `depth` <= N, so the mask never changes an index; it only lets the
        // optimiser drop the check without `unsafe`.
        let mask = N - 1;
        // The top of the stack lives in a local (register) and only the values beneath it
        // go to the array, which saves a store and a load on most instructions.
        let mut top = 0.0_f64;
        let mut rest = [0.0_f64; N];
        let mut sp = 0_usize;
        let code = self.code.as_slice();
        let mut pc = 0;
        while let Some(&instr) = code.get(pc) {
            pc += 1;
            match instr {
                Instr::Const(c) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    top = c;
                }
                Instr::Slot(i) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    top = slots[i];
                }
                Instr::Add => {
                    sp -= 1;
                    top += rest[sp & mask];
                }
                Instr::AddConst(c) => top += c,
                Instr::AddSlot(i) => top += slots[i],
                Instr::Mul => {
                    sp -= 1;
                    top *= rest[sp & mask];
                }
                Instr::MulConst(c) => top *= c,
                Instr::MulSlot(i) => top *= slots[i],
                Instr::Sub => {
                    sp -= 1;
                    top = rest[sp & mask] - top;
                }
                Instr::SubSwapped => {
                    sp -= 1;
                    top -= rest[sp & mask];
                }
                Instr::SubConst(c) => top -= c,
                Instr::SubSlot(i) => top -= slots[i],
                Instr::ConstSub(c) => top = c - top,
                Instr::SlotSub(i) => top = slots[i] - top,
                Instr::Div => {
                    sp -= 1;
                    top = rest[sp & mask] / top;
                }
                Instr::DivSwapped => {
                    sp -= 1;
                    top /= rest[sp & mask];
                }
                Instr::DivConst(c) => top /= c,
                Instr::DivSlot(i) => top /= slots[i],
                Instr::ConstDiv(c) => top = c / top,
                Instr::SlotDiv(i) => top = slots[i] / top,
                Instr::Un(op) => top = op.apply(top),
                Instr::Bin(op) => {
                    sp -= 1;
                    top = op.apply(rest[sp & mask], top);
                }
                Instr::BinSwapped(op) => {
                    sp -= 1;
                    top = op.apply(top, rest[sp & mask]);
                }
                Instr::BinConst(op, c) => top = op.apply(top, c),
                Instr::BinSlot(op, i) => top = op.apply(top, slots[i]),
                Instr::ConstBin(op, c) => top = op.apply(c, top),
                Instr::SlotBin(op, i) => top = op.apply(slots[i], top),
                Instr::Tri(op) => {
                    sp -= 2;
                    top = op.apply(rest[sp & mask], rest[(sp + 1) & mask], top);
                }
                Instr::Jump(t) => pc = t,
                Instr::JumpIfFalse(t) => {
                    let cond = top;
                    sp -= 1;
                    top = rest[sp & mask];
                    if cond == 0.0 {
                        pc = t;
                    }
                }
                Instr::AndJump(t) => {
                    if top == 0.0 {
                        top = 0.0; // normalise -0.0
                        pc = t;
                    } else {
                        sp -= 1;
                        top = rest[sp & mask];
                    }
                }
                Instr::OrJump(t) => {
                    if top != 0.0 {
                        top = 1.0;
                        pc = t;
                    } else {
                        sp -= 1;
                        top = rest[sp & mask];
                    }
                }
            }
        }
        top
    }

    /// Evaluates the program for `L` sets of slot values at once (slot i of set l is `slots[i][l]`), doing exactly
    /// the arithmetic [`Program::eval`] does on each set, so every lane's result is the same bits. Returns None for
    /// programs that are not plain arithmetic (functions, comparisons, conditionals): evaluate those set by set.
    ///
    /// Why a second interpreter: the cohort fast path runs 8 iterations together, and evaluating their derived
    /// parameters (`p * rr`) one iteration at a time cost 6% of its instructions; here each instruction is dispatched
    /// once for all 8 and its arithmetic compiles to vector instructions.
    pub fn eval_lanes<const L: usize>(&self, slots: &[[f64; L]]) -> Option<[f64; L]> {
        self.eval_lanes_inlined(slots)
    }

    /// [`Self::eval_lanes`], always inlined: for a loop that evaluates programs at every cycle (values that change
    /// with age or time), where returning the 8 lanes through memory cost a fifth of the time in store-forwarding
    /// stalls. Elsewhere the call is kept, as inlining it there made the reference workload 28% slower.
    #[inline(always)]
    pub fn eval_lanes_inlined<const L: usize>(&self, slots: &[[f64; L]]) -> Option<[f64; L]> {
        if !self.lane_arithmetic {
            return None;
        }
        // The commonest shapes of a cost or an outcome weight (a parameter, a parameter times a constant) without the
        // stack: the same operations, so the same bits. Through the stack (its lanes set up for every program) they
        // took 28% of a 30-state model's time, and 5.5% this way (`perf`).
        match self.code.as_slice() {
            [Instr::Slot(i)] => return Some(slots[*i]),
            [Instr::Const(c)] => return Some([*c; L]),
            [Instr::Slot(i), op] => {
                if let Some(v) = right_operand(slots[*i], *op, slots) {
                    return Some(v);
                }
            }
            _ => {}
        }
        // As in `run`: the top of the stack apart, the values beneath it in `rest`.
        let mut top = [0.0; L];
        let mut rest = [[0.0; L]; LANE_STACK];
        let mut sp = 0_usize;
        let mask = LANE_STACK - 1;
        for &instr in &self.code {
            top = match instr {
                Instr::Const(c) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    [c; L]
                }
                Instr::Slot(i) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    slots[i]
                }
                Instr::Add | Instr::Mul | Instr::Sub | Instr::SubSwapped | Instr::Div | Instr::DivSwapped => {
                    sp -= 1;
                    let below = rest[sp & mask];
                    match instr {
                        Instr::Add => zip_lanes(top, below, |t, b| t + b),
                        Instr::Mul => zip_lanes(top, below, |t, b| t * b),
                        Instr::Sub => zip_lanes(top, below, |t, b| b - t),
                        Instr::SubSwapped => zip_lanes(top, below, |t, b| t - b),
                        Instr::Div => zip_lanes(top, below, |t, b| b / t),
                        _ => zip_lanes(top, below, |t, b| t / b),
                    }
                }
                other => right_operand(top, other, slots)
                    .unwrap_or_else(|| unreachable!("lane_arithmetic admits only the instructions above")),
            };
        }
        Some(top)
    }

    /// [`Program::eval_lanes`] for every program: functions and comparisons too, each applied lane by lane with the
    /// scalar interpreter's own operations, so every lane's result is the same bits as [`Program::eval`] gives. A
    /// conditional (`if`, `and`, `or`) is followed where every lane takes the same branch (a condition on time, or
    /// on a fixed parameter); None where lanes part ways, or for a program deeper than `LANE_OPS_STACK`.
    #[inline(always)]
    pub fn eval_lanes_ops<const L: usize>(&self, slots: &[[f64; L]]) -> Option<[f64; L]> {
        // The smallest stack that fits, as in `eval`: eight 8-lane values are 512 bytes to zero at every call, for
        // programs that are mostly one or two values deep.
        match self.depth {
            0..=2 => self.ops_with::<L, 2>(slots),
            3..=4 => self.ops_with::<L, 4>(slots),
            5..=LANE_OPS_STACK => self.ops_with::<L, LANE_OPS_STACK>(slots),
            _ => None,
        }
    }

    /// [`Program::eval_lanes_ops`] on a stack of `N` values (a power of two, at least `self.depth`), laid out as in
    /// `run`: the top in locals (registers), the values beneath it in `rest`, indices masked rather than checked.
    // Over 100 lines on purpose, as `run`: the interpreter loop, kept in one piece for the optimiser.
    #[inline(always)]
    fn ops_with<const L: usize, const N: usize>(&self, slots: &[[f64; L]]) -> Option<[f64; L]> {
        let mask = N - 1;
        let mut top = [0.0; L];
        let mut rest = [[0.0; L]; N];
        let mut sp = 0_usize;
        // Where every lane's test agrees: true if all are zero (false), false if none is; None if they differ.
        let all_zero = |v: &[f64; L]| {
            let (mut all, mut any) = (true, false);
            for x in v {
                all &= *x == 0.0;
                any |= *x == 0.0;
            }
            (all || !any).then_some(all)
        };
        let code = self.code.as_slice();
        let mut pc = 0;
        while let Some(&instr) = code.get(pc) {
            pc += 1;
            match instr {
                // The branches as `run` takes them, for all lanes at once.
                Instr::Jump(t) => pc = t,
                Instr::JumpIfFalse(t) => {
                    let cond = top;
                    sp -= 1;
                    top = rest[sp & mask];
                    if all_zero(&cond)? {
                        pc = t;
                    }
                }
                Instr::AndJump(t) => {
                    if all_zero(&top)? {
                        top = [0.0; L]; // as `run`, -0.0 normalised
                        pc = t;
                    } else {
                        sp -= 1;
                        top = rest[sp & mask];
                    }
                }
                Instr::OrJump(t) => {
                    if all_zero(&top)? {
                        sp -= 1;
                        top = rest[sp & mask];
                    } else {
                        top = [1.0; L];
                        pc = t;
                    }
                }
                Instr::Const(c) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    top = [c; L];
                }
                Instr::Slot(i) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    top = *slots.get(i)?;
                }
                Instr::Tri(op) => {
                    sp -= 2;
                    let (a, b) = (rest[sp & mask], rest[(sp + 1) & mask]);
                    top = std::array::from_fn(|l| op.apply(a[l], b[l], top[l]));
                }
                Instr::Un(op) => top = top.map(|x| op.apply(x)),
                _ => {
                    // A binary operation: its operation, and where its left and right operands are.
                    let (op, form) = binary_form(instr)?;
                    let (left, right) = match form {
                        Form::Stack => {
                            sp -= 1;
                            (rest[sp & mask], top)
                        }
                        Form::Swapped => {
                            sp -= 1;
                            (top, rest[sp & mask])
                        }
                        Form::RightConst(c) => (top, [c; L]),
                        Form::RightSlot(i) => (top, *slots.get(i)?),
                        Form::LeftConst(c) => ([c; L], top),
                        Form::LeftSlot(i) => (*slots.get(i)?, top),
                    };
                    top = binary_lanes(op, left, right);
                }
            }
        }
        Some(top)
    }

    /// Distinct slot indices this program reads (sorted).
    pub fn reads(&self) -> &[usize] {
        &self.reads
    }

    /// The value if the program is a constant after folding.
    pub fn as_constant(&self) -> Option<f64> {
        match self.code.as_slice() {
            [Instr::Const(c)] => Some(*c),
            _ => None,
        }
    }

    /// The slot index if the program just reads one slot, letting callers skip evaluation.
    pub fn as_slot(&self) -> Option<usize> {
        match self.code.as_slice() {
            [Instr::Slot(i)] => Some(*i),
            _ => None,
        }
    }
}
