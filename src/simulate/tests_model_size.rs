//! Tests of the engine on models of any size: generated chains of 9, 30 and 100 states (benches/common/chain.rs) on
//! the lane path and the general path, against each other and against the results of the code before the sparse
//! trace, and a chain whose occupancy is known in closed form.

#[path = "../../benches/common/chain.rs"]
mod chain;

use crate::model::{compile_text, Columns, Model, Payer, RunSettings};
use crate::simulate::engine::run_with;
use crate::simulate::kernel::{sample_parameters, simulate_iteration, Workspace};
use crate::simulate::{iteration_rng, Results};
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

/// Digests of 203 iterations (25 blocks of lanes and a short one) of chains, as the code before the sparse trace gave
/// them (commit ce3566e, the first on this branch, where models of more than 8 states took the general path's
/// boundary-by-boundary loop): (states, time-varying, with [`MIXED`], digest).
const BEFORE: [(usize, bool, bool, &str); 12] = [
    (
        4,
        false,
        false,
        "e68fb5fdc2620593928b245cd66f6e869dc03395d0381058e6235c552ac5127e",
    ),
    (
        9,
        false,
        false,
        "b35bd59e17bc0ca16ba9242d06b698032c6df33bb1a9afc5482052f2728058eb",
    ),
    (
        30,
        false,
        false,
        "76a3d4d13bd35e96bef888d3b61f34d7c5929fad09b2180d73641093167af538",
    ),
    (
        100,
        false,
        false,
        "f460c85bf513539f015b49f3150bf243e2269fac8e74b43e84dfa68f1a444bcd",
    ),
    (
        4,
        true,
        false,
        "c2f8e70f79463fdb2ac8c13708d9ec3b1143a6e19fd0f4a2dc5ec9db1c2e5958",
    ),
    (
        9,
        true,
        false,
        "ba22b47efa5e60c4aafe5f814731a0635aa6fed6d5e582310449b81b244c192b",
    ),
    (
        30,
        true,
        false,
        "9a3055afafe725d8e5a48dd91da7b7287af2b51207f0abf0a357ea0574c3ad15",
    ),
    (
        100,
        true,
        false,
        "cd87b6a6fcf84f51060910e08386869c0a4722d48c0c78985a99798e69b93e97",
    ),
    (
        9,
        false,
        true,
        "23e4b0b92337939ecbcfe9acc27141eac40ec1acddc16eba191e6ffda2aa71bd",
    ),
    (
        30,
        false,
        true,
        "effac7bcf968f1cea7e5465e5e70c3b4553dbc9831f50cdd195adc987be6767b",
    ),
    (
        9,
        true,
        true,
        "0cada95a7c25b99f0405a5b9b10a07b72c18a8e5a4e394c42426aff72b750e28",
    ),
    (
        100,
        true,
        true,
        "6a8eae0b1edc9b7517696ba8bb1414fb253e6bcd699702ad5e77d0b3e6f9d541",
    ),
];

#[test]
fn large_models_give_the_bits_the_code_before_the_sparse_trace_gave_on_both_paths() {
    for (n, time_varying, mixed, before) in BEFORE {
        let edits: &[(&str, &str)] = if mixed { &MIXED } else { &[] };
        let (model, settings) = chain(n, time_varying, edits, 203);
        assert!(crate::simulate::kernel::lanes_supported(&model), "{n} states");
        assert_eq!(model.contexts.iter().all(|c| c.per_boundary), time_varying);
        let lanes = run_with(&model, &settings, None, true).expect("runs");
        let general = run_with(&model, &settings, None, false).expect("runs");
        assert_eq!(
            digest(&lanes),
            before,
            "lanes, {n} states, time-varying {time_varying}, mixed {mixed}"
        );
        assert_eq!(
            digest(&general),
            before,
            "general, {n} states, time-varying {time_varying}, mixed {mixed}"
        );
    }
}

/// Edits to a chain of at least 9 states: levels 1 and 4 with no cost or outcome (traced, since mass passes through
/// them, but no occupancy is kept for them), a subgroup with its own costs, Simpson's rule and discounting at the
/// start of each cycle.
const SPARSE_EDGES: [(&str, &str); 5] = [
    (
        "costs = { council = \"cost_care * 1.1\", nhs = \"cost_nhs\" }\noutcomes = ",
        "# no costs or outcomes: ",
    ),
    (
        "costs = { council = \"cost_care * 1.4\", nhs = \"cost_nhs\" }\noutcomes = ",
        "# no costs or outcomes: ",
    ),
    (
        "size = 1000",
        "size = 1000\nsubgroups = [{ name = \"a\", share = 0.4, parameters = { cost_nhs = 4000 } }, { name = \"b\", share = 0.6 }]",
    ),
    ("accrual = \"half-cycle\"", "accrual = \"simpson\""),
    (
        "primary_outcome = \"qaly\"",
        "primary_outcome = \"qaly\"\ndiscount_timing = \"cycle-start\"",
    ),
];

#[test]
fn the_lane_path_gives_the_general_paths_bits_for_models_of_any_size() {
    for n in [9, 30, 100] {
        for time_varying in [false, true] {
            for edits in [&[][..], &MIXED[..], &SPARSE_EDGES[..]] {
                let (model, settings) = chain(n, time_varying, edits, 61);
                let lanes = run_with(&model, &settings, None, true).expect("runs");
                let general = run_with(&model, &settings, None, false).expect("runs");
                assert_eq!(
                    digest(&lanes),
                    digest(&general),
                    "{n} states, time-varying {time_varying}, {edits:?}"
                );
            }
        }
    }
}

/// Checks that the general path's sparse trace gives the bits of its boundary-by-boundary loop, which traced models
/// of more than 8 states before it (and still traces contexts whose values change with time), iteration by iteration.
fn check_sparse_against_boundary_loop(model: &Model, iterations: u64) {
    let (mut sparse, mut boundary) = (Workspace::new(model), Workspace::new(model));
    boundary.sparse_trace = false;
    for i in 0..iterations {
        for ws in [&mut sparse, &mut boundary] {
            let mut rng = iteration_rng(model.run_defaults.seed, i);
            sample_parameters(model, &mut rng, &mut ws.draws);
            simulate_iteration(model, ws, &rng).expect("simulates");
        }
        let bits = |ws: &Workspace| ws.bins.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&sparse), bits(&boundary), "iteration {i} of {}", model.meta.name);
    }
}

#[test]
fn the_sparse_trace_gives_the_bits_of_the_boundary_loop_it_replaced() {
    for n in [4, 9, 30, 100] {
        for edits in [&[][..], &MIXED[..], &SPARSE_EDGES[..(if n >= 9 { 5 } else { 0 })]] {
            check_sparse_against_boundary_loop(&chain(n, false, edits, 1).0, 40);
        }
    }
}

/// A chain of 10 states through which everyone moves one state a cycle, with probability 1, the last absorbing:
/// at boundary k everyone is in state min(k, 9). State i costs the council 100 · (i + 1) a year and is worth
/// 0.1 · i QALYs a year. `settings` are the accrual and discounting lines.
fn conveyor(settings: &str) -> Model {
    let mut text = format!(
        "[scenario]\nname = \"conveyor\"\n[settings]\nhorizon_years = 12\ncycle = \"year\"\niterations = 1\n\
         seed = 1\nmode = \"cohort\"\ndiscounting = \"discrete\"\n{settings}\n[parameters]\nrr = 1\n"
    );
    for i in 0..10 {
        text += &format!(
            "[[states]]\nname = \"s{i}\"\nper = \"year\"\ncosts = {{ council = {} }}\noutcomes = {{ qaly = {} }}\n",
            100 * (i + 1),
            0.1 * i as f64
        );
    }
    text += "[start]\ns0 = 1\n[transitions]\n";
    for i in 0..9 {
        text += &format!("s{i} = {{ s{} = 1 }}\n", i + 1);
    }
    text += "s9 = { s9 = 1 }\n[[arms]]\nname = \"usual_care\"\n[[arms]]\nname = \"same\"\n[cohort]\nsize = 1000\n";
    compile_text(Path::new("conveyor.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_chain_everyone_moves_along_one_state_a_cycle_costs_what_its_states_cost_in_turn() {
    let council = Columns::BUILT_IN.care(Payer::Council);
    // Start accrual, undiscounted: year y counts boundary y, where everyone is in state min(y, 9), so the council
    // pays 100 · (min(y, 9) + 1) and the year is worth 0.1 · min(y, 9) QALYs; exact, since every term is.
    let model = conveyor("accrual = \"start\"\ndiscount_rate_costs = 0\ndiscount_rate_outcomes = 0");
    let qaly = model.columns().outcome(0);
    let settings = model.run_defaults;
    for lanes in [true, false] {
        let r = run_with(&model, &settings, None, lanes).expect("runs");
        for y in 0..12 {
            let state = y.min(9) as f64;
            assert_eq!(
                r.yearly_mean[[0, y, council]],
                100.0 * (state + 1.0),
                "year {y}, lanes {lanes}"
            );
            assert_eq!(r.yearly_mean[[0, y, qaly]], 0.1 * state, "year {y}, lanes {lanes}");
        }
        // 100 · (1 + ... + 10) + 2 · 1000.
        assert_eq!(r.total(0, 0, council), 7500.0);
    }
    // Half-cycle accrual, costs discounted at 3.5% and QALYs at 1.5% a year at each boundary's own time: year y counts
    // half of boundary y discounted y years and half of boundary y + 1 discounted y + 1 years.
    let model = conveyor("accrual = \"half-cycle\"\ndiscount_rate_costs = 0.035\ndiscount_rate_outcomes = 0.015");
    let (cost, utility) = (
        |k: usize| 100.0 * (k.min(9) as f64 + 1.0),
        |k: usize| 0.1 * k.min(9) as f64,
    );
    for lanes in [true, false] {
        let r = run_with(&model, &model.run_defaults, None, lanes).expect("runs");
        for y in 0..12 {
            let expected = |value: &dyn Fn(usize) -> f64, rate: f64| {
                0.5 * value(y) / (1.0 + rate).powi(y as i32) + 0.5 * value(y + 1) / (1.0 + rate).powi(y as i32 + 1)
            };
            let close = |got: f64, want: f64| (got - want).abs() <= 1e-12 * want.abs();
            let (c, q) = (r.yearly_mean[[0, y, council]], r.yearly_mean[[0, y, qaly]]);
            assert!(close(c, expected(&cost, 0.035)), "year {y}, lanes {lanes}: {c}");
            assert!(close(q, expected(&utility, 0.015)), "year {y}, lanes {lanes}: {q}");
        }
    }
    check_sparse_against_boundary_loop(&model, 1);
}
