//! A conditional split at its top level: `if(condition, then, otherwise)` as three programs, and put back together
//! with its condition read from a slot. The compiler gives a condition known before sampling a slot of its own
//! (computed once per boundary, before any iteration), and the engine then evaluates only the branch taken.

use super::instr::Instr;
use super::Program;
use std::ops::Range;

impl Program {
    /// `if(condition, then, otherwise)` at the top level, as its condition and branches, each straight-line code:
    /// None for any other program, or where a part holds a conditional (`if`, `and`, `or`) of its own.
    pub fn split_if(&self) -> Option<[Program; 3]> {
        let code = &self.code;
        let mut jumps = (code.iter().enumerate()).filter(|(_, i)| {
            matches!(
                i,
                Instr::Jump(_) | Instr::JumpIfFalse(_) | Instr::AndJump(_) | Instr::OrJump(_)
            )
        });
        let (Some((at_test, &Instr::JumpIfFalse(at_otherwise))), Some((at_skip, &Instr::Jump(end))), None) =
            (jumps.next(), jumps.next(), jumps.next())
        else {
            return None;
        };
        // The shape `emit_if` writes: condition, test, then-branch, jump over the else-branch, else-branch; none
        // of the three empty.
        let shaped = at_test > 0
            && at_skip > at_test + 1
            && at_otherwise == at_skip + 1
            && end == code.len()
            && end > at_otherwise;
        // Each part is evaluated from an empty stack, as it was inside the whole (the condition is popped before
        // either branch runs), so the whole's depth is enough for each.
        let part = |r: Range<usize>| Program::from_code(code[r].to_vec(), self.depth);
        shaped.then(|| [part(0..at_test), part(at_test + 1..at_skip), part(at_otherwise..end)])
    }

    /// `if(condition, then, otherwise)` with its condition read from slot `condition`: [`Program::split_if`]'s
    /// branches put back as `emit_if` writes them.
    pub fn if_slot(condition: usize, then: &Program, otherwise: &Program) -> Program {
        let mut code = vec![Instr::Slot(condition), Instr::JumpIfFalse(0)];
        code.extend_from_slice(&then.code);
        let at_skip = code.len();
        code.push(Instr::Jump(0));
        let at_otherwise = code.len();
        code.extend_from_slice(&otherwise.code);
        let end = code.len();
        code[1] = Instr::JumpIfFalse(at_otherwise);
        code[at_skip] = Instr::Jump(end);
        Program::from_code(code, then.depth.max(otherwise.depth).max(1))
    }
}
