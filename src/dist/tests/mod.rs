//! Unit tests of the distributions, by topic; this file holds the helpers they share.
mod copula;
mod dirichlet;
mod errors;
mod fits;
mod point_fit;
mod properties;
mod sampling;

use super::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Draws per sampling check: enough that 5 standard errors is a tight test (0.8% of an SD for the mean).
const N: usize = 400_000;

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

#[track_caller]
fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (tolerance {tol}, off by {})",
        (got - want).abs()
    );
}

#[track_caller]
fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    assert_close(got, want, tol * want.abs(), what);
}

/// Checks that `xs` has mean `mean` and SD `sd`.
///
/// The mean must be within 5 standard errors (SE = sd/√n). For the spread, the sample variance s² has
/// SE ≈ sqrt((μ4 − σ⁴)/n), with μ4 (the fourth central moment) estimated from the same sample, so the test
/// adapts to each family's kurtosis instead of a blanket 5% (which for a normal would be ~45 SEs and would
/// miss a 3% error in the SD). A wrong algorithm shifts these by far more than 5 SE; with fixed seeds the
/// test is deterministic, and a correct sampler fails a 5-SE check with probability below 1e-6.
#[track_caller]
fn check_moments(xs: &[f64], mean: f64, sd: f64, what: &str) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let (mut m2, mut m4) = (0.0, 0.0);
    for &x in xs {
        let d = x - m;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    let var = m2 / (n - 1.0);
    m4 /= n;
    assert_close(m, mean, 5.0 * sd / n.sqrt(), &format!("{what}: sample mean"));
    let se_var = ((m4 - var * var).max(0.0) / n).sqrt();
    assert_close(var, sd * sd, 5.0 * se_var, &format!("{what}: sample variance"));
}

/// Draws N values and checks support, moments and (where `check_cdf`) the empirical CDF at several quantiles,
/// which ties the sampler, `mean`, `sd` and `quantile` to each other.
#[track_caller]
fn check_sampler(d: Distribution, seed: u64, check_cdf: bool) -> Vec<f64> {
    let what = d.describe();
    let s = d.sampler();
    let mut r = rng(seed);
    let xs: Vec<f64> = (0..N).map(|_| s.sample(&mut r)).collect();
    let (lo, hi) = d.support();
    assert!(
        xs.iter().all(|&x| x.is_finite() && x >= lo && x <= hi),
        "{what}: a draw fell outside the support [{lo}, {hi}] or was not finite"
    );
    check_moments(&xs, d.mean(), d.sd(), &what);
    if check_cdf {
        for p in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
            let q = d.quantile(p);
            let frac = xs.iter().filter(|&&x| x <= q).count() as f64 / N as f64;
            let se = (p * (1.0 - p) / N as f64).sqrt();
            assert_close(
                frac,
                p,
                5.0 * se,
                &format!("{what}: share of draws below quantile({p})"),
            );
        }
    }
    xs
}
