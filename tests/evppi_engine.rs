//! The regression EVPPI of `carecast evppi` against a nested (two-loop) Monte Carlo estimate on a small carecast
//! model: the outer loop fixes the parameter of interest at each of K stratified values of its distribution (with
//! `--set`, the same mechanism users have), the inner loop runs the model's PSA over everything else.

mod common;

use carecast::model::Columns;
use common::{changes, context};
use std::path::Path;

fn scenario() -> String {
    common::scenario_text(
        "nested",
        &[
            ("horizon_years", "5"),
            ("iterations", "10000"),
            ("seed", "11"),
            ("accrual", "\"half-cycle\""),
            ("threshold", "20000"),
        ],
        BODY,
    )
}

const BODY: &str = r#"
[sources]
a = "assumption for this test"

[parameters]
p_sick = { dist = "beta", mean = 0.2, sd = 0.03, source = "a" }
rr = { dist = "lognormal", ci95 = [0.4, 1.3], source = "a" }
cost_sick = { dist = "gamma", mean = 6000, sd = 1500, source = "a" }
u_well = { dist = "beta", mean = 0.8, sd = 0.05, source = "a" }
u_sick = { dist = "beta", mean = 0.5, sd = 0.05, source = "a" }
p_die = 0.05

[[states]]
name = "well"
per = "year"
outcomes = { qaly = "u_well" }

[[states]]
name = "sick"
per = "year"
costs = { council = "cost_sick" }
outcomes = { qaly = "u_sick" }

[[states]]
name = "dead"
dead = true

[start]
well = 1

[transitions]
well = { sick = "p_sick", dead = "p_die", well = "remainder" }
sick = { dead = "p_die * 2", sick = "remainder" }

[[arms]]
name = "usual"

[[arms]]
name = "prevention"
transitions = { well = { sick = "p_sick * rr", dead = "p_die", well = "remainder" } }
costs = [{ name = "programme", kind = "one_off", payer = "council", amount = 1500 }]

[cohort]
size = 100
"#;

/// Mean net monetary benefit per arm at λ = 20,000, with `rr` fixed at `value`, over `iterations`.
fn mean_nmb(path: &Path, value: f64, iterations: u64) -> Vec<f64> {
    let set = format!("rr={value}");
    let loaded = carecast::commands::load(path, &changes(Some(iterations), &[&set])).unwrap_or_else(|e| panic!("{e}"));
    let results = carecast::simulate::run(&loaded.model, &loaded.run, None).unwrap_or_else(|e| panic!("{e}"));
    let qaly = Columns::BUILT_IN.outcome(0);
    (0..2)
        .map(|a| {
            (0..results.iterations())
                .map(|i| 20000.0 * results.total(i, a, qaly) - results.total_cost(i, a))
                .sum::<f64>()
                / results.iterations() as f64
        })
        .collect()
}

#[test]
fn regression_evppi_agrees_with_a_nested_monte_carlo_estimate() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nested.toml");
    std::fs::write(&path, scenario()).unwrap();

    // Nested: K = 200 outer values at the (k + ½)/K quantiles of rr's lognormal (ci95 0.4–1.3: μ and σ below),
    // N = 4,000 inner iterations each. The inner maximum is biased upwards by about E|noise| of the incremental
    // mean where the options are close; with common random numbers across the outer values that noise is small
    // (the same draws of the other parameters every time), and the estimate is checked below against that bias.
    let (mu, sigma) = ((0.4f64.ln() + 1.3f64.ln()) / 2.0, (1.3f64.ln() - 0.4f64.ln()) / 3.92);
    let normal = statrs::distribution::Normal::new(0.0, 1.0).unwrap();
    use statrs::distribution::ContinuousCDF;
    let k = 200;
    let inner: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            let z = normal.inverse_cdf((j as f64 + 0.5) / k as f64);
            mean_nmb(&path, (mu + sigma * z).exp(), 4000)
        })
        .collect();
    let mean_of_max = inner.iter().map(|v| v[0].max(v[1])).sum::<f64>() / k as f64;
    let max_of_mean = (0..2)
        .map(|a| inner.iter().map(|v| v[a]).sum::<f64>() / k as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let nested = mean_of_max - max_of_mean;

    // Regression on a 50,000-iteration PSA of the scenario (its standard error is then about 1% of the value).
    let ctx = context(&tmp.path().join("out"));
    let outcome = carecast::commands::evppi(&ctx, &path, &changes(Some(50_000), &[]), None, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let rr = outcome.rows.iter().find(|r| r.label == "rr").unwrap();
    let e = &rr.estimate;
    assert!(
        nested > 50.0,
        "the test model must give rr a value of information worth checking: {nested}"
    );
    // Tolerance: three standard errors of the regression estimate plus 1% for the nested estimate's own error (with
    // K = 400 and N = 20,000 it moves from 598.9 to 599.7, 0.1%). Measured: regression 602 ± 7 against nested 599;
    // at 10,000 iterations, seeds 1–5 gave 612, 616, 588, 581 and 586 (± 15 each), scattered around it (measured
    // with rand_distr's normal sampler, before carecast's own).
    let tolerance = 3.0 * e.se + 0.01 * nested;
    assert!(
        (e.value - nested).abs() <= tolerance,
        "regression {} ± {} against nested {nested} (tolerance {tolerance})",
        e.value,
        e.se
    );
    // A parameter the decision hardly depends on is worth far less.
    let u_well = outcome.rows.iter().find(|r| r.label == "u_well").unwrap();
    assert!(
        u_well.estimate.value < 0.2 * e.value,
        "u_well {}",
        u_well.estimate.value
    );
    eprintln!(
        "EVPPI(rr): regression {:.1} ± {:.1}, nested {nested:.1}; EVPI {:.1}",
        e.value, e.se, e.evpi
    );
}
