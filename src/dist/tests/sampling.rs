//! Sampling: every family's draws against its moments and quantiles, tiny shapes, the gamma squeeze, value stability.
use super::*;
use crate::dist::sample::{open_unit, unit};
use rand::Rng;

#[test]
fn every_family_samples_with_its_stated_mean_sd_and_quantiles() {
    let cases = [
        Distribution::uniform(2.0, 5.0).unwrap(),
        Distribution::normal(10.0, 3.0).unwrap(),
        Distribution::lognormal(0.1, 0.5).unwrap(),
        Distribution::gamma(2.0, 3.0).unwrap(),
        Distribution::gamma(0.5, 2.0).unwrap(),
        Distribution::gamma(25.0, 10_000.0).unwrap(),
        Distribution::gamma(1.0, 1.0).unwrap(),
        Distribution::beta(2.0, 5.0).unwrap(),
        Distribution::beta(0.5, 3.0).unwrap(),
        Distribution::beta(153.27, 48.40).unwrap(),
        Distribution::beta(0.3, 0.2).unwrap(),
        Distribution::triangular(1.0, 2.0, 6.0).unwrap(),
        Distribution::triangular(0.0, 0.0, 1.0).unwrap(),
        Distribution::triangular(0.0, 1.0, 1.0).unwrap(),
        Distribution::pert(10.0, 20.0, 60.0, 4.0).unwrap(),
        Distribution::pert(0.0, 0.9, 1.0, 8.0).unwrap(),
    ];
    for (i, d) in cases.into_iter().enumerate() {
        check_sampler(d, 1000 + i as u64, true);
    }
}

#[test]
fn tiny_beta_shapes_neither_underflow_to_nan_nor_bias_the_mean() {
    // With shapes this small both gamma draws fall below 1e-290 in 7-25% of draws; the log-scale path
    // must give draws in [0, 1] with the right mean and sd (an asymmetric pair catches swapped shapes).
    check_sampler(Distribution::beta(0.001, 0.001).unwrap(), 7, false);
    check_sampler(Distribution::beta(0.001, 0.003).unwrap(), 8, false);
}

#[test]
fn fixed_draws_are_the_value_and_consume_no_randomness() {
    let s = Distribution::fixed(3.5).unwrap().sampler();
    let mut a = rng(1);
    assert!((0..100).all(|_| s.sample(&mut a) == 3.5));
    let mut b = rng(1);
    assert_eq!(a.next_u64(), b.next_u64());
}

#[test]
fn the_gamma_squeeze_accepts_only_what_the_exact_test_accepts_and_rarely_defers() {
    // Over normal x (and the far tails) and uniform u, for shapes from 1 up: wherever the squeeze accepts, the
    // exact test must too, or the sampler would not be drawing from the gamma distribution. Near the bound the
    // two sides agree to the last bits, so allow a margin of 1e-12 in ln u there.
    let mut r = rng(9);
    for shape in [1.0, 1.5, 3.0, 12.0, 150.0, 5000.0] {
        let g = GammaCore::new(shape);
        let mut deferred = 0;
        let n = 200_000;
        for i in 0..n {
            let x = if i % 10 == 0 {
                8.0 * (unit(&mut r) - 0.5) / g.c.max(1.0)
            } else {
                ziggurat::standard_normal(&mut r)
            };
            let (y, u) = (g.c * x, open_unit(&mut r));
            let v = 1.0 + y;
            if v <= 0.0 {
                continue;
            }
            let v3 = v * v * v;
            if g.squeeze_accepts(u, y, v) {
                let exact = 0.5 * x * x + g.d * (1.0 - v3 + v3.ln());
                assert!(
                    u.ln() < exact + 1e-12,
                    "shape {shape}: x {x}, u {u}: squeeze accepts, exact test does not"
                );
            } else if i % 10 != 0 {
                deferred += 1;
            }
        }
        // About 1 in 36·d of normal draws go on to the exact test (E[x⁴]/(108·d) with E[x⁴] = 3) once d is
        // large enough for y = c·x to be small; at shape 1 still fewer than Marsaglia and Tsang's 1 in 9.
        let rate = deferred as f64 / (0.9 * n as f64);
        let bound = if shape < 3.0 { 0.09 } else { 2.0 / (36.0 * g.d) + 1e-4 };
        assert!(
            rate < bound,
            "shape {shape}: {rate} deferred, fewer than {bound} expected"
        );
    }
}

#[test]
fn draws_are_value_stable() {
    // Recorded from this implementation; any change to the sampling algorithms or the order in which
    // they consume random numbers changes these values and must be deliberate (results are reproducible
    // from a seed only while these hold). Relative 1e-12 rather than exact bits, so a platform's libm
    // differing in the last bit of ln/exp does not fail the test while any algorithm change still does.
    let expected_normal = [0.8343975468458801, -0.5149629281483831, 1.407727573122561];
    let expected_gamma = [8.977825016193488, 12.673900601762384, 9.67766526951985];
    let expected_beta = [0.26230912490894, 0.5860192214538876, 0.16083011072955627];
    let s = Distribution::normal(0.0, 1.0).unwrap().sampler();
    let mut r = rng(42);
    for want in expected_normal {
        assert_rel(s.sample(&mut r), want, 1e-12, "Normal(0, 1) draw");
    }
    let s = Distribution::gamma(2.0, 3.0).unwrap().sampler();
    let mut r = rng(42);
    for want in expected_gamma {
        assert_rel(s.sample(&mut r), want, 1e-12, "Gamma(2, 3) draw");
    }
    let s = Distribution::beta(2.0, 5.0).unwrap().sampler();
    let mut r = rng(42);
    for want in expected_beta {
        assert_rel(s.sample(&mut r), want, 1e-12, "Beta(2, 5) draw");
    }
}
