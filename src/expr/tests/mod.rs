//! Unit tests of the expression language, by topic, with the test environment they share.

use super::{parse_and_compile, ExprError, Program};

mod branches;
mod compilation;
mod errors;
mod evaluation;
mod reference;

/// The test environment: slot i holds VALUES[i] and is named NAMES[i].
const NAMES: &[&str] = &["a", "b", "c", "x", "zero", "neg", "t", "p", "rr", "p_home", "half"];
const VALUES: &[f64] = &[2.0, 3.0, 4.0, -1.0, 0.0, -2.0, 10.0, 0.5, 0.8, 0.3, 0.5];

fn slot_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| *n == name)
}

fn build(src: &str) -> Result<Program, ExprError> {
    parse_and_compile(src, &mut slot_of, NAMES)
}

fn program(src: &str) -> Program {
    build(src).unwrap_or_else(|e| panic!("{src:?} failed: {e}\n{}", e.snippet(src)))
}

fn err(src: &str) -> ExprError {
    match build(src) {
        Ok(p) => panic!("{src:?} should fail but compiled to {p:?}"),
        Err(e) => e,
    }
}

/// Asserts the error's message contains every part and that it points at `offset..offset+len`.
fn check_err(src: &str, offset: usize, len: usize, parts: &[&str]) {
    let e = err(src);
    for part in parts {
        assert!(
            e.message.contains(part),
            "{src:?}: message {:?} lacks {part:?}",
            e.message
        );
    }
    assert_eq!((e.offset, e.len), (offset, len), "{src:?}: {}", e.message);
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn close(a: f64, b: f64) -> bool {
    same(a, b) || (a - b).abs() <= 1e-12 * a.abs().max(1.0)
}
