//! The scenario expression language: parsed and checked once, evaluated on the hot path without allocation.
//!
//! Scenario authors write small formulas such as `p_admit * rr ^ (t / 5)` or
//! `if(t < 2, cost_high, cost_low)`. They go through three stages:
//!
//! 1. [`parse`] turns the source into an [`Ast`] whose nodes carry byte spans, so every
//!    error can point at the offending text.
//! 2. [`compile`] resolves names to value slots, folds constant sub-expressions and lowers
//!    the tree to a flat instruction list (a [`Program`]) for a small stack machine.
//! 3. [`Program::eval`] runs that list against a slice of slot values. It allocates nothing
//!    and touches no strings, because it runs on the order of 10^8 times a minute.
//!
//! Semantics worth knowing: comparisons and logic give 1.0 or 0.0; a value is true when it
//! is not equal to 0 (so NaN counts as true); `and`, `or` and `if` are lazy; `min`, `max` and
//! `clamp` propagate NaN instead of silently dropping it, so a broken input stays visible in
//! the results; `round` rounds halves away from zero.

mod ast;
mod branch;
mod codegen;
mod error;
mod eval;
mod functions;
mod instr;
mod lexer;
mod lower;
mod ops;
mod parser;
#[cfg(test)]
mod tests;

pub use ast::Ast;
pub use error::ExprError;
pub use eval::Program;
pub use functions::function_names;
pub use parser::{parse, parse_with};

use codegen::Codegen;
use lower::Lowering;

/// Capacity of the evaluation stack; deeper programs are rejected at compile time.
pub const MAX_STACK: usize = 32;

/// Maximum syntactic nesting (and syntax-tree height, so also the length of a flat chain like
/// `a + b + ...`); bounds every recursion so hostile input cannot overflow the thread stack.
pub const MAX_NESTING: usize = 128;

// Program::run masks stack indices, which needs power-of-two array sizes.
const _: () = assert!(MAX_STACK.is_power_of_two());

/// Compiles an AST, resolving names to slots via `resolve` and suggesting the closest of `known` for unknown names.
///
/// A part of the expression that reads no name is computed once here, and refused if it is not a finite number
/// (`1/0`, `ln(0)`, `sqrt(-1)`): it would be so in every iteration, whatever the parameters.
pub fn compile(
    ast: &Ast,
    resolve: &mut dyn FnMut(&str) -> Option<usize>,
    known: &[&str],
) -> Result<Program, ExprError> {
    compile_with_constants(ast, &[], resolve, known)
}

/// [`compile`], reading each name in `constants` as its number (before `resolve` is asked), so that the parts of
/// the expression it feeds are folded and checked as if the number were written in its place.
pub fn compile_with_constants(
    ast: &Ast,
    constants: &[(&str, f64)],
    resolve: &mut dyn FnMut(&str) -> Option<usize>,
    known: &[&str],
) -> Result<Program, ExprError> {
    compile_full(ast, constants, resolve, known, &mut no_user_calls)
}

/// Refuses a call of a function the caller has not given (see [`compile_with`]).
fn no_user_calls(name: &str, _: Vec<Program>, _: (usize, usize)) -> Result<UserValue, String> {
    Err(format!("`{name}` is not a function of this expression"))
}

/// What a call of one of the caller's functions (see [`parse_with`]) stands for in the compiled expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UserValue {
    /// The value of a slot the caller fills.
    Slot(usize),
    /// A value known when compiling.
    Constant(f64),
}

/// Resolves a call of one of the caller's functions, given its name, each argument compiled on its own, and where the
/// call is in the expression's text (byte offset and length); an error message refuses the call, and is reported at
/// it.
pub type UserCall<'u> = dyn FnMut(&str, Vec<Program>, (usize, usize)) -> Result<UserValue, String> + 'u;

/// [`compile`], resolving calls of the caller's functions (parsed by [`parse_with`]) with `user`.
pub fn compile_with(
    ast: &Ast,
    resolve: &mut dyn FnMut(&str) -> Option<usize>,
    known: &[&str],
    user: &mut UserCall,
) -> Result<Program, ExprError> {
    compile_full(ast, &[], resolve, known, user)
}

/// [`compile_with_constants`] and [`compile_with`] at once: the names in `constants` read as numbers, the caller's
/// functions resolved with `user`.
pub fn compile_full(
    ast: &Ast,
    constants: &[(&str, f64)],
    resolve: &mut dyn FnMut(&str) -> Option<usize>,
    known: &[&str],
    user: &mut UserCall,
) -> Result<Program, ExprError> {
    let ir = Lowering {
        resolve,
        constants,
        known,
        source: &ast.source,
        user,
    }
    .lower(&ast.root)?;
    program_of(&ir)
}

/// The program of a lowered expression.
fn program_of(ir: &lower::Ir) -> Result<Program, ExprError> {
    let mut cg = Codegen {
        code: Vec::new(),
        depth: 0,
        max_depth: 0,
    };
    cg.emit(ir)?;
    Ok(Program::from_code(cg.code, cg.max_depth))
}

/// Parses and compiles in one step.
pub fn parse_and_compile(
    src: &str,
    resolve: &mut dyn FnMut(&str) -> Option<usize>,
    known: &[&str],
) -> Result<Program, ExprError> {
    compile(&parse(src)?, resolve, known)
}
