//! Helpers shared by the integration tests: compile scenario text, run it on a chosen number of threads.

#![allow(dead_code)]

use carecast::model::{compile_text, Model, RunSettings};
use carecast::simulate::{self, Results};
use std::path::Path;

/// Compiles scenario text, panicking with the error message if it does not compile.
pub fn model(text: &str) -> Model {
    compile_text(Path::new("test.toml"), text).unwrap_or_else(|e| panic!("scenario should compile:\n{e}"))
}

/// The compile error of scenario text, as the user would see it.
pub fn compile_error(text: &str) -> String {
    match compile_text(Path::new("test.toml"), text) {
        Ok(_) => panic!("scenario should not compile"),
        Err(e) => e.to_string(),
    }
}

/// Runs the PSA with the scenario file's iterations and seed on a pool of `threads` threads.
pub fn run(model: &Model, threads: usize) -> Results {
    run_with(model, &model.run_defaults, threads)
}

/// Runs the PSA with the given iterations and seed on a pool of `threads` threads.
pub fn run_with(model: &Model, settings: &RunSettings, threads: usize) -> Results {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| simulate::run(model, settings, None))
        .unwrap_or_else(|e| panic!("run should succeed: {e}"))
}

/// Relative difference, for comparing with closed forms.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// A scenario skeleton with the given settings overrides, parameters, states, transitions and arms sections.
pub fn scenario(settings: &str, body: &str) -> String {
    format!(
        r#"
[scenario]
name = "test"

[settings]
horizon_years = 10
cycle = "year"
iterations = 1
seed = 7
mode = "cohort"
accrual = "start"
discounting = "discrete"
discount_rate_costs = 0.035
discount_rate_outcomes = 0.035
{settings}

{body}
"#
    )
}

/// The carecast binary this test run built, as a command to add arguments to.
pub fn carecast() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("carecast").expect("binary builds")
}
