//! The PSA engine: bit-identical results for any thread count, seeds that matter, and individual mode agreeing
//! with the cohort trace within Monte Carlo error.

mod common;
use carecast::model::{load, Mode};
use common::*;
use std::path::Path;

fn reference(iterations: usize) -> carecast::model::Model {
    let mut m = load(Path::new("scenarios/reference.toml"))
        .expect("reference loads")
        .model;
    m.run_defaults.iterations = iterations;
    m
}

#[test]
fn results_are_bit_identical_for_1_2_and_8_threads() {
    // 3,000 iterations span 12 chunks, so threads really do split the work differently.
    for mode in [Mode::Cohort, Mode::Individual] {
        let mut model = reference(3_000);
        model.settings.mode = mode;
        model.cohort_size = 50;
        let one = run(&model, 1);
        for threads in [2, 8] {
            let other = run(&model, threads);
            let same = |a: &ndarray::ArrayD<f64>, b: &ndarray::ArrayD<f64>| {
                a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
            };
            assert!(
                same(
                    &one.kernel_totals.clone().into_dyn(),
                    &other.kernel_totals.clone().into_dyn()
                ),
                "{mode:?} totals differ with {threads} threads"
            );
            assert!(
                same(
                    &one.yearly_mean.clone().into_dyn(),
                    &other.yearly_mean.clone().into_dyn()
                ),
                "{mode:?} per-year means differ with {threads} threads"
            );
            let sample_bits =
                |r: &carecast::simulate::Results| r.yearly_sample.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                sample_bits(&one),
                sample_bits(&other),
                "{mode:?} per-year sample differs with {threads} threads"
            );
            assert_eq!(one.payback_year, other.payback_year);
        }
    }
}

#[test]
fn different_seeds_give_different_results_and_the_same_seed_the_same() {
    let a = run(&reference(500), 2);
    let mut model = reference(500);
    model.run_defaults.seed = 2;
    let b = run(&model, 2);
    assert_ne!(a.kernel_totals, b.kernel_totals);
    let again = run(&reference(500), 2);
    assert_eq!(a.kernel_totals, again.kernel_totals);
}

#[test]
fn iterations_draw_independent_parameters() {
    // Consecutive iterations must not repeat draws (a broken stream derivation would).
    let r = run(&reference(100), 1);
    for i in 1..100 {
        assert_ne!(r.draws.row(i), r.draws.row(i - 1));
    }
}

/// A fixed-parameter three-state model, so the only randomness in individual mode is who moves where.
fn fixed_model(mode: &str, size: u64, iterations: usize) -> carecast::model::Model {
    model(&fixed_text(mode, size, iterations))
}

fn fixed_text(mode: &str, size: u64, iterations: usize) -> String {
    scenario(
        "",
        &format!(
            r#"
[[states]]
name = "well"
per = "year"
costs = {{ council = 100 }}
outcomes = {{ qaly = 1 }}
[[states]]
name = "ill"
per = "year"
costs = {{ council = 2000, nhs = 500 }}
outcomes = {{ qaly = 0.5 }}
[[states]]
name = "dead"
dead = true
[start]
well = 0.7
ill = "remainder"
[transitions]
well = {{ ill = 0.2, dead = 0.05, well = "remainder" }}
ill = {{ well = 0.1, dead = 0.2, ill = "remainder" }}
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = {size}
"#
        ),
    )
    .replace("mode = \"cohort\"", &format!("mode = \"{mode}\""))
    .replace("iterations = 1", &format!("iterations = {iterations}"))
}

#[test]
fn individual_mode_mean_equals_the_cohort_trace_within_monte_carlo_error() {
    let expected = run(&fixed_model("cohort", 100, 1), 1);
    let sim = run(&fixed_model("individual", 100, 4000), 2);
    // Each individual-mode iteration is an independent cohort of 100; its mean per person is unbiased for the trace.
    // Tolerance: 5 standard errors of the mean over 4,000 iterations (false alarm rate below 1 in 10^6 per check).
    for column in [0, 1, carecast::model::Columns::BUILT_IN.outcome(0)] {
        let values: Vec<f64> = (0..4000).map(|i| sim.total(i, 0, column)).collect();
        let mean = values.iter().sum::<f64>() / 4000.0;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3999.0).sqrt();
        let se = sd / 4000f64.sqrt();
        let target = expected.total(0, 0, column);
        assert!(se > 0.0, "individual mode must vary between iterations");
        assert!(
            (mean - target).abs() < 5.0 * se,
            "column {column}: {mean} vs {target} (se {se})"
        );
    }
}

#[test]
fn individual_mode_with_one_person_and_with_a_million() {
    // One person: every per-person value is a whole life path, so the state costs are sums of whole-year values.
    let one = run(&fixed_model("individual", 1, 200), 1);
    let qalys: Vec<f64> = (0..200)
        .map(|i| one.total(i, 0, carecast::model::Columns::BUILT_IN.outcome(0)))
        .collect();
    assert!(
        qalys.iter().any(|q| (q - qalys[0]).abs() > 1e-9),
        "a single person's paths must differ between iterations"
    );
    // A million people: the per-person mean is within a few standard errors of the trace in every iteration
    // (per-person SE for 10^6 people is ~0.1% of the value), so 1% is a wide margin.
    let big = run(&fixed_model("individual", 1_000_000, 4), 1);
    let cohort = run(&fixed_model("cohort", 1_000_000, 1), 1);
    for i in 0..4 {
        assert!(rel(big.total(i, 0, 0), cohort.total(0, 0, 0)) < 0.01);
    }
}

#[test]
fn individual_mode_counts_are_whole_people() {
    // One person, no discounting, start-of-cycle accrual: QALYs are whole years at weight 1 or 0.5, so twice the
    // QALYs is a whole number in every iteration (a fractional "person" would break this).
    let m =
        model(&fixed_text("individual", 1, 50).replace("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0"));
    let r = run(&m, 1);
    for i in 0..50 {
        let twice = 2.0 * r.total(i, 0, carecast::model::Columns::BUILT_IN.outcome(0));
        assert!((twice - twice.round()).abs() < 1e-9, "iteration {i}: {twice}");
    }
}
