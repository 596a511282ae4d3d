//! Code generation: the compiler's tree to a flat instruction list, keeping the stack shallow and bounded.

use super::instr::{Form, Instr};
use super::lower::{Ir, IrKind};
use super::ops::{Bin, Tri, Un};
use super::{ExprError, MAX_STACK};

pub(super) struct Codegen {
    pub(super) code: Vec<Instr>,
    pub(super) depth: usize,
    pub(super) max_depth: usize,
}

/// How many stack entries `emit` will use for `ir`; mirrors its choices exactly.
fn stack_need(ir: &Ir) -> usize {
    let is_leaf = |x: &Ir| matches!(x.kind, IrKind::Const(_) | IrKind::Slot(_));
    match &ir.kind {
        IrKind::Const(_) | IrKind::Slot(_) => 1,
        IrKind::Un(_, x) => stack_need(x),
        IrKind::Bin(_, l, r) if is_leaf(r) => stack_need(l),
        IrKind::Bin(_, l, r) if is_leaf(l) => stack_need(r),
        IrKind::Bin(_, l, r) => {
            let (a, b) = (stack_need(l), stack_need(r));
            if a == b {
                a + 1
            } else {
                a.max(b)
            }
        }
        IrKind::Tri(_, args) => {
            let [a, b, c] = &**args;
            stack_need(a).max(stack_need(b) + 1).max(stack_need(c) + 2)
        }
        IrKind::Chain(_, items) => items
            .iter()
            .enumerate()
            .map(|(k, x)| match k {
                0 => stack_need(x),
                _ if is_leaf(x) => 1,
                _ => stack_need(x) + 1,
            })
            .max()
            .unwrap_or(1),
        IrKind::If(args) => args.iter().map(stack_need).max().unwrap_or(1),
        IrKind::And(l, r) | IrKind::Or(l, r) => stack_need(l).max(stack_need(r)),
    }
}

fn too_many_values(ir: &Ir) -> ExprError {
    ExprError::new(
        format!(
            "expression nested too deeply: evaluating it needs more than {MAX_STACK} \
             intermediate values; split it into intermediate parameters"
        ),
        ir.offset,
        ir.len,
    )
}

impl Codegen {
    fn push(&mut self, ir: &Ir, instr: Instr) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_STACK {
            return Err(too_many_values(ir));
        }
        self.max_depth = self.max_depth.max(self.depth);
        self.code.push(instr);
        Ok(())
    }

    fn patch(&mut self, at: usize) {
        let target = self.code.len();
        if let Some(Instr::Jump(t) | Instr::JumpIfFalse(t) | Instr::AndJump(t) | Instr::OrJump(t)) =
            self.code.get_mut(at)
        {
            *t = target;
        }
    }

    // As with lowering, the recursive function stays small and the rarer shapes live in helpers.
    pub(super) fn emit(&mut self, ir: &Ir) -> Result<(), ExprError> {
        match &ir.kind {
            IrKind::Const(c) => self.push(ir, Instr::Const(*c)),
            IrKind::Slot(i) => self.push(ir, Instr::Slot(*i)),
            IrKind::Un(op, x) => {
                self.emit(x)?;
                self.code.push(Instr::Un(*op));
                Ok(())
            }
            IrKind::Bin(op, l, r) => self.emit_bin(*op, l, r),
            IrKind::Tri(op, args) => self.emit_tri(*op, args),
            IrKind::Chain(op, items) => self.emit_chain(*op, items),
            IrKind::If(args) => self.emit_if(args),
            IrKind::And(l, r) => self.emit_logic(Instr::AndJump(0), l, r),
            IrKind::Or(l, r) => self.emit_logic(Instr::OrJump(0), l, r),
        }
    }

    fn emit_bin(&mut self, op: Bin, l: &Ir, r: &Ir) -> Result<(), ExprError> {
        // A leaf operand is folded into the instruction, on either side, so the common
        // `x * 2`, `1 - x` and `p * f(...)` shapes never touch the stack array.
        let form = match (&l.kind, &r.kind) {
            (_, IrKind::Const(c)) => {
                self.emit(l)?;
                Form::RightConst(*c)
            }
            (_, IrKind::Slot(i)) => {
                self.emit(l)?;
                Form::RightSlot(*i)
            }
            (IrKind::Const(c), _) => {
                self.emit(r)?;
                Form::LeftConst(*c)
            }
            (IrKind::Slot(i), _) => {
                self.emit(r)?;
                Form::LeftSlot(*i)
            }
            // Both sides are compound: evaluate the hungrier one first (Sethi-Ullman
            // ordering), which keeps the stack as shallow as possible. Operations have no
            // side effects, so the order is unobservable.
            _ if stack_need(r) > stack_need(l) => {
                self.emit(r)?;
                self.emit(l)?;
                self.depth -= 1;
                Form::Swapped
            }
            _ => {
                self.emit(l)?;
                self.emit(r)?;
                self.depth -= 1;
                Form::Stack
            }
        };
        self.code.push(Instr::binary(op, form));
        Ok(())
    }

    fn emit_chain(&mut self, op: Bin, items: &[Ir]) -> Result<(), ExprError> {
        let Some((first, rest)) = items.split_first() else {
            return Ok(());
        };
        self.emit(first)?;
        for x in rest {
            let form = match x.kind {
                IrKind::Const(c) => Form::RightConst(c),
                IrKind::Slot(i) => Form::RightSlot(i),
                _ => {
                    self.emit(x)?;
                    self.depth -= 1;
                    Form::Stack
                }
            };
            self.code.push(Instr::binary(op, form));
        }
        Ok(())
    }

    fn emit_tri(&mut self, op: Tri, args: &[Ir; 3]) -> Result<(), ExprError> {
        for a in args {
            self.emit(a)?;
        }
        self.code.push(Instr::Tri(op));
        self.depth -= 2;
        Ok(())
    }

    fn emit_if(&mut self, [c, a, b]: &[Ir; 3]) -> Result<(), ExprError> {
        self.emit(c)?;
        let jump_else = self.code.len();
        self.code.push(Instr::JumpIfFalse(0));
        self.depth -= 1;
        self.emit(a)?;
        let jump_end = self.code.len();
        self.code.push(Instr::Jump(0));
        self.patch(jump_else);
        // The else branch starts from the same stack as the then branch did.
        self.depth -= 1;
        self.emit(b)?;
        self.patch(jump_end);
        Ok(())
    }

    fn emit_logic(&mut self, jump: Instr, l: &Ir, r: &Ir) -> Result<(), ExprError> {
        self.emit(l)?;
        let at = self.code.len();
        self.code.push(jump);
        self.depth -= 1;
        self.emit(r)?;
        self.code.push(Instr::Un(Un::Truthy));
        self.patch(at);
        Ok(())
    }
}
