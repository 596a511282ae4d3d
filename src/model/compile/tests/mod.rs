//! Unit tests of model compilation: what a scenario compiles into (states, arms, parameters, draw slots, rows,
//! flows, waves, contexts, columns), overrides of a compiled model, and the errors bad input gets. Every expected
//! value is worked out by hand from the scenario text in the test.

use crate::error::InputError;
use crate::model::{compile_text, Context, Model};
use std::path::Path;

mod errors;
mod overrides;
mod structure;
mod tunnel;
mod values;
mod waves;

/// The `[scenario]` and `[settings]` every test scenario starts with: 12 lines, so a body's first line is line 13.
/// Two yearly cycles, no discounting, values taken at cycle starts.
const HEADER: &str = r#"[scenario]
name = "test"
[settings]
horizon_years = 2
cycle = "year"
iterations = 1
seed = 1
mode = "cohort"
accrual = "start"
discounting = "discrete"
discount_rate_costs = 0.0
discount_rate_outcomes = 0.0
"#;

/// A scenario: the header, then `body`.
fn scenario(body: &str) -> String {
    format!("{HEADER}{body}")
}

/// The same text with one whole line replaced (`line` is 1-based), so that other lines keep their numbers.
fn with_line(text: &str, line: usize, replacement: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(line >= 1 && line <= lines.len(), "no line {line}");
    lines[line - 1] = replacement;
    lines.join("\n") + "\n"
}

/// Compiles scenario text, panicking with the message if it does not compile.
fn compiled(text: &str) -> Model {
    compile_text(Path::new("test.toml"), text).unwrap_or_else(|e| panic!("scenario should compile:\n{e}"))
}

/// The error scenario text gets.
fn error(text: &str) -> InputError {
    match compile_text(Path::new("test.toml"), text) {
        Ok(_) => panic!("scenario should not compile:\n{text}"),
        Err(e) => e,
    }
}

/// The constant a context writes into `slot` once (a number in the file, or a fixed parameter).
fn constant(ctx: &Context, slot: usize) -> f64 {
    ctx.constants
        .iter()
        .find(|(s, _)| *s == slot)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("slot {slot} ({}) holds no constant", ctx.slot_names[slot]))
}

/// Equal to within a few units in the last place of `expected`.
fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 4.0 * f64::EPSILON * expected.abs(),
        "{actual} is not {expected}"
    );
}
