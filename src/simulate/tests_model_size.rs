//! Tests of the engine on models of any size: generated chains of 9, 30 and 100 states (benches/common/chain.rs) on
//! the lane path and the general path, against each other and against the results of the code before the sparse
//! trace, and a chain whose occupancy is known in closed form.

#[path = "../../benches/common/chain.rs"]
mod chain;

use crate::model::{compile_text, Model, RunSettings};
use crate::simulate::engine::run_with;
use crate::simulate::Results;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The chain of `n_states` states with each (from, to) replacement applied (each must apply), run for `iterations`.
fn chain(n_states: usize, time_varying: bool, edits: &[(&str, &str)], iterations: usize) -> (Model, RunSettings) {
    let mut text = chain::chain_scenario(n_states, time_varying);
    for (from, to) in edits {
        assert!(text.contains(from), "the chain scenario no longer contains {from:?}");
        text = text.replacen(from, to, 1);
    }
    let model = compile_text(Path::new("chain.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.states.len(), n_states);
    let settings = RunSettings {
        iterations,
        ..model.run_defaults
    };
    (model, settings)
}

/// Outcomes discounted apart from costs (two weighted occupancies), entry over three years and quarterly cycles.
const MIXED: [(&str, &str); 3] = [
    ("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0.015"),
    ("size = 1000", "size = 1000\nentry = [0.5, 0.3, 0.2]"),
    ("cycle = \"year\"", "cycle = \"quarter\""),
];

/// SHA-256 of every number a run gives, bit for bit: totals, per-year means, the kept sample, payback years and draws.
fn digest(r: &Results) -> String {
    let mut h = Sha256::new();
    for v in r.kernel_totals.iter().chain(r.yearly_mean.iter()).chain(r.draws.iter()) {
        h.update(v.to_bits().to_le_bytes());
    }
    for v in &r.yearly_sample {
        h.update(v.to_bits().to_le_bytes());
    }
    for p in &r.payback_year {
        h.update(p.map_or(u32::MAX, u32::from).to_le_bytes());
    }
    format!("{:x}", h.finalize())
}

/// The cases whose digests were taken from the code before the sparse trace: (states, time-varying, mixed settings).
const CASES: [(usize, bool, bool); 12] = [
    (4, false, false),
    (9, false, false),
    (30, false, false),
    (100, false, false),
    (4, true, false),
    (9, true, false),
    (30, true, false),
    (100, true, false),
    (9, false, true),
    (30, false, true),
    (9, true, true),
    (100, true, true),
];

#[test]
#[ignore = "prints the digests of the current code, for the table below"]
fn print_digests() {
    for (n, time_varying, mixed) in CASES {
        let edits: &[(&str, &str)] = if mixed { &MIXED } else { &[] };
        let (model, settings) = chain(n, time_varying, edits, 203);
        let r = run_with(&model, &settings, None, true).expect("runs");
        println!("({n}, {time_varying}, {mixed}) {}", digest(&r));
    }
}
