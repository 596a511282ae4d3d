//! EVPPI by regression (`carecast::analysis::evppi`) validated against a nested two-loop Monte Carlo estimate on a
//! small decision model, and against closed forms; plus its bounds, degenerate inputs and determinism.
//!
//! Tolerances: a regression estimate and a nested estimate of the same EVPPI are compared within 3 combined
//! standard errors, √(SE_regression² + SE_nested²). If both standard errors are honest a correct estimator fails such
//! a check 0.3% of the time; with fixed seeds a test either always passes or always fails, and what makes it fail is
//! a systematic error (a smoother that is too stiff or too flexible) larger than the stated uncertainty, which is
//! what the issue asks to rule out. Closed forms have no error of their own, so the check is 3 SE of the regression.

use carecast::analysis::evppi::{evppi, Evppi, MIN_ITERATIONS};
use carecast::simulate::iteration_rng;
use ndarray::Array2;
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use statrs::distribution::{Continuous, ContinuousCDF, Normal as StatNormal};

type Rng = Xoshiro256PlusPlus;

// ---------------------------------------------------------------------------------------------------------------
// The test model: three options, three independent parameters.

/// θ1: a cost (gamma, mean £1,000, sd £447); θ2: a probability of response (beta(8, 12), mean 0.4);
/// θ3: other uncertainty (standard normal), independent of both.
fn sample_theta(rng: &mut Rng) -> [f64; 3] {
    let cost = Gamma::new(5.0, 200.0).expect("gamma");
    let response = Beta::new(8.0, 12.0).expect("beta");
    [
        cost.sample(rng),
        response.sample(rng),
        Normal::new(0.0, 1.0).expect("normal").sample(rng),
    ]
}

/// Net monetary benefit of: usual care (0); a service linear in the parameters; one with a threshold-like
/// (quadratic) response, a cost paid per responder (θ1·θ2) and uncertainty that scales with response (θ2·θ3).
fn model_nmb(t: &[f64; 3]) -> [f64; 3] {
    let [cost, response, other] = *t;
    [
        0.0,
        6000.0 * response - 1.5 * cost - 900.0 + 400.0 * other,
        15000.0 * response * response - 2.5 * cost * response - 1200.0 + 1500.0 * response * other,
    ]
}

/// The same model without θ3: every parameter that matters is θ1 or θ2.
fn model_nmb_no_noise(t: &[f64; 3]) -> [f64; 3] {
    model_nmb(&[t[0], t[1], 0.0])
}

/// A PSA sample of the model: parameters `[n, 3]` and net benefits `[n, 3]`.
fn psa(n: usize, seed: u64, nmb: fn(&[f64; 3]) -> [f64; 3]) -> (Array2<f64>, Array2<f64>) {
    let mut theta = Array2::zeros((n, 3));
    let mut out = Array2::zeros((n, 3));
    for i in 0..n {
        let t = sample_theta(&mut iteration_rng(seed, i as u64));
        let v = nmb(&t);
        for j in 0..3 {
            theta[[i, j]] = t[j];
            out[[i, j]] = v[j];
        }
    }
    (theta, out)
}

/// The columns `group` of the parameter sample.
fn columns(theta: &Array2<f64>, group: &[usize]) -> Array2<f64> {
    Array2::from_shape_fn((theta.nrows(), group.len()), |(i, j)| theta[[i, group[j]]])
}

// ---------------------------------------------------------------------------------------------------------------
// The nested two-loop Monte Carlo estimator.

/// A nested Monte Carlo EVPPI estimate.
#[derive(Debug)]
struct Nested {
    /// mean over outer draws of max_d (inner mean of NMB_d) − max_d (mean NMB_d): biased upwards by O(1/inner).
    raw: f64,
    /// The same with the inner-loop bias removed by Richardson extrapolation (below).
    value: f64,
    /// Standard error of `value` from the spread over outer draws.
    se: f64,
}

/// EVPPI of the parameters `group` by nested Monte Carlo: `outer` draws of φ = θ[group]; for each, `inner` draws of
/// the other parameters given φ, whose mean NMB estimates E(NMB_d | φ).
///
/// The parameters must be independent (as in the test model), so that "the others given φ" are simply fresh draws
/// with φ put back. The max of inner means is biased upwards by about c/inner (the inner noise, where options are
/// close, lifts the max); the same inner draws split in halves give the bias at inner/2, c/(inner/2), so
/// 2·max(full) − mean(max(half)) cancels the 1/inner term (Richardson extrapolation) at no extra cost.
fn evppi_nested<const P: usize, const D: usize>(
    sample: fn(&mut Rng) -> [f64; P],
    nmb: fn(&[f64; P]) -> [f64; D],
    group: &[usize],
    outer: usize,
    inner: usize,
    seed: u64,
) -> Nested {
    let half = inner / 2;
    // Per outer draw: inner means of each option over all draws, and max over the options of each half's means.
    let per_outer: Vec<([f64; D], f64, f64)> = (0..outer)
        .into_par_iter()
        .map(|o| {
            let mut rng = iteration_rng(seed, o as u64);
            let phi = sample(&mut rng);
            let mut sums = [[0.0; D]; 2];
            for j in 0..inner {
                let mut theta = sample(&mut rng);
                for &g in group {
                    theta[g] = phi[g];
                }
                let v = nmb(&theta);
                for d in 0..D {
                    sums[usize::from(j >= half)][d] += v[d];
                }
            }
            let full: [f64; D] = std::array::from_fn(|d| (sums[0][d] + sums[1][d]) / inner as f64);
            let max_of = |s: &[f64; D], m: usize| s.iter().map(|v| v / m as f64).fold(f64::NEG_INFINITY, f64::max);
            let max_full = full.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let max_halves = 0.5 * (max_of(&sums[0], half) + max_of(&sums[1], inner - half));
            (full, max_full, max_halves)
        })
        .collect();
    let grand: [f64; D] = std::array::from_fn(|d| per_outer.iter().map(|p| p.0[d]).sum::<f64>() / outer as f64);
    let star = (0..D).fold(0, |b, d| if grand[d] > grand[b] { d } else { b });
    // Each outer term against the same option's inner mean: the difference has far less variance than either.
    let raw_terms: Vec<f64> = per_outer.iter().map(|(full, m, _)| m - full[star]).collect();
    let terms: Vec<f64> = per_outer.iter().map(|(full, m, h)| 2.0 * m - h - full[star]).collect();
    Nested {
        raw: mean(&raw_terms),
        value: mean(&terms),
        se: sd(&terms) / (outer as f64).sqrt(),
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// E[max(0, X)] for X ~ N(m, s²): s·ψ(m/s) with ψ(z) = zΦ(z) + ϕ(z).
fn expected_positive_part(m: f64, s: f64) -> f64 {
    let z = StatNormal::new(0.0, 1.0).expect("normal");
    let u = m / s;
    s * (u * z.cdf(u) + z.pdf(u))
}

fn check_bounds(e: &Evppi) {
    assert!(
        e.value >= 0.0 && e.value <= e.evpi,
        "0 ≤ EVPPI {} ≤ EVPI {}",
        e.value,
        e.evpi
    );
    assert!(e.se.is_finite() && e.se >= 0.0);
    assert!(e.method.contains("Strong, Oakley & Brennan (2014)"), "{}", e.method);
}

// ---------------------------------------------------------------------------------------------------------------
// Validation against the nested estimate.

/// Outer and inner sizes of the nested runs: 5 million model evaluations per group (about a quarter of a second in
/// release), a standard error of 1–2 on EVPPIs of 60–300, half to a third of the regression's.
const OUTER: usize = 50_000;
const INNER: usize = 100;

#[test]
fn regression_agrees_with_nested_monte_carlo_on_a_nonlinear_model() {
    let (theta, nmb) = psa(10_000, 11, model_nmb);
    for (group, name) in [(&[0][..], "θ1"), (&[1][..], "θ2"), (&[0, 1][..], "θ1, θ2")] {
        let e = evppi(columns(&theta, group).view(), nmb.view());
        check_bounds(&e);
        let n = evppi_nested(sample_theta, model_nmb, group, OUTER, INNER, 97);
        let combined = (e.se * e.se + n.se * n.se).sqrt();
        eprintln!(
            "EVPPI({name}): regression {:.2} ± {:.2} (edf {:.1?}, R² {:.3?}); nested {:.2} ± {:.2} (uncorrected {:.2}); \
             difference {:+.2} = {:+.2} combined SE, {:+.1}%; EVPI {:.2}",
            e.value,
            e.se,
            e.edf,
            e.r_squared,
            n.value,
            n.se,
            n.raw,
            e.value - n.value,
            (e.value - n.value) / combined,
            100.0 * (e.value - n.value) / n.value,
            e.evpi
        );
        assert!(
            (e.value - n.value).abs() <= 3.0 * combined,
            "EVPPI({name}): regression {} vs nested {} (combined SE {combined})",
            e.value,
            n.value
        );
        // The inner-loop bias correction is small next to the estimate: the nested value is not an artefact of it.
        assert!((n.raw - n.value).abs() < 0.1 * n.value);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Closed forms.

/// Two options with INB = a + b·φ + ε, φ and ε independent: EVPPI(φ) = E[max(0, a + bφ)] − max(0, a + b·Eφ).
fn linear_inb(
    n: usize,
    seed: u64,
    phi: impl Fn(&mut Rng) -> f64,
    a: f64,
    b: f64,
    noise: f64,
) -> (Array2<f64>, Array2<f64>) {
    let eps = Normal::new(0.0, noise).expect("normal");
    let mut p = Array2::zeros((n, 1));
    let mut nmb = Array2::zeros((n, 2));
    for i in 0..n {
        let mut rng = iteration_rng(seed, i as u64);
        let x = phi(&mut rng);
        p[[i, 0]] = x;
        nmb[[i, 1]] = a + b * x + eps.sample(&mut rng);
    }
    (p, nmb)
}

#[test]
fn normal_parameter_matches_the_closed_form() {
    // φ ~ N(0, 1), INB = −200 + 500φ + N(0, 800²): EVPPI = 500·ψ(−0.4) = 115.26 (ψ(z) = zΦ(z) + ϕ(z)).
    let (a, b) = (-200.0, 500.0);
    let truth = expected_positive_part(a, b) - a.max(0.0);
    let (phi, nmb) = linear_inb(
        10_000,
        3,
        |r| Normal::new(0.0, 1.0).expect("normal").sample(r),
        a,
        b,
        800.0,
    );
    let e = fit_and_compare("normal φ", &phi, &nmb, truth);
    // A straight line is the right fit, and REML stays near it (2 degrees of freedom; a little more by chance).
    assert!(e.edf[0] < 6.0, "edf {}", e.edf[0]);
}

#[test]
fn skewed_parameter_matches_the_closed_form() {
    // φ ~ lognormal(0, 0.8) (a cost multiplier with a long right tail), INB = −400 + 300φ + N(0, 600²).
    // With c = 4/3 where the INB crosses zero: E[max(0, a + bφ)] = a·P(φ > c) + b·E[φ; φ > c], where
    // P(φ > c) = Φ(−ln c / σ) and E[φ; φ > c] = exp(σ²/2)·Φ((σ² − ln c)/σ).
    let (a, b, sigma) = (-400.0, 300.0, 0.8);
    let z = StatNormal::new(0.0, 1.0).expect("normal");
    let c: f64 = -a / b;
    let mean_phi = (sigma * sigma / 2.0f64).exp();
    let truth = a * z.cdf(-c.ln() / sigma) + b * mean_phi * z.cdf((sigma * sigma - c.ln()) / sigma)
        - (a + b * mean_phi).max(0.0);
    let lognormal = LogNormal::new(0.0, sigma).expect("lognormal");
    let (phi, nmb) = linear_inb(10_000, 5, |r| lognormal.sample(r), a, b, 600.0);
    fit_and_compare("lognormal φ", &phi, &nmb, truth);
}

/// The regression EVPPI of `phi` on `nmb`, which must be within 3 of its standard errors of the closed form `truth`.
fn fit_and_compare(label: &str, phi: &Array2<f64>, nmb: &Array2<f64>, truth: f64) -> Evppi {
    let e = evppi(phi.view(), nmb.view());
    check_bounds(&e);
    eprintln!(
        "{label}: regression {:.2} ± {:.2}, closed form {truth:.2}, EVPI {:.2}",
        e.value, e.se, e.evpi
    );
    assert!(
        (e.value - truth).abs() <= 3.0 * e.se,
        "{label}: {} ± {} vs {truth}",
        e.value,
        e.se
    );
    e
}

#[test]
fn standard_errors_are_calibrated_over_replicate_samples() {
    // 30 independent PSA samples of 2,000 iterations of the closed-form case: the errors against the truth, in
    // units of each sample's own standard error, should have mean square near 1 (it is χ²₃₀/30 if the SE is
    // right: 95% of the time within 0.53–1.57). Bounds of 0.4–2 catch an SE that is wrong by more than ~40%.
    let (a, b) = (-200.0, 500.0);
    let truth = expected_positive_part(a, b) - a.max(0.0);
    let z: Vec<f64> = (0..30)
        .map(|rep| {
            let (phi, nmb) = linear_inb(
                2_000,
                100 + rep,
                |r| Normal::new(0.0, 1.0).expect("normal").sample(r),
                a,
                b,
                800.0,
            );
            let e = evppi(phi.view(), nmb.view());
            (e.value - truth) / e.se
        })
        .collect();
    let mean_square = z.iter().map(|v| v * v).sum::<f64>() / z.len() as f64;
    let bias = mean(&z);
    eprintln!(
        "standard errors: mean squared z {mean_square:.2}, mean z {bias:+.2} over {} samples",
        z.len()
    );
    assert!((0.4..=2.0).contains(&mean_square), "mean squared z {mean_square}");
    assert!(
        bias.abs() < 0.6,
        "mean z {bias}: the estimator is biased by more than 0.6 SE"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Bounds and orderings.

#[test]
fn irrelevant_parameters_are_worth_nothing_and_all_parameters_are_worth_evpi() {
    let (theta, nmb) = psa(10_000, 21, model_nmb);
    // A parameter the model never reads.
    let unused = Array2::from_shape_fn((10_000, 1), |(i, _)| {
        Normal::new(5.0, 2.0)
            .expect("normal")
            .sample(&mut iteration_rng(777, i as u64))
    });
    let e = evppi(unused.view(), nmb.view());
    check_bounds(&e);
    eprintln!("irrelevant: {:.3} ± {:.3} (EVPI {:.2})", e.value, e.se, e.evpi);
    assert!(e.value <= 2.0 * e.se, "{} ± {}", e.value, e.se);
    assert!(e.value < 0.01 * e.evpi);
    // All three parameters: the additive model with pairwise products holds this model exactly, so EVPPI = EVPI.
    let all = evppi(theta.view(), nmb.view());
    check_bounds(&all);
    eprintln!("all three: {:.2} ± {:.2}, EVPI {:.2}", all.value, all.se, all.evpi);
    assert!(
        (all.value - all.evpi).abs() < 0.01 * all.evpi,
        "{} vs {}",
        all.value,
        all.evpi
    );
    assert!(all.method.contains("additive"), "{}", all.method);
    // Without θ3 only θ1 and θ2 matter: the tensor-product spline on the pair recovers EVPI.
    let (theta, nmb) = psa(10_000, 22, model_nmb_no_noise);
    let pair = evppi(columns(&theta, &[0, 1]).view(), nmb.view());
    check_bounds(&pair);
    eprintln!(
        "θ1, θ2 without θ3: {:.2} ± {:.2}, EVPI {:.2}",
        pair.value, pair.se, pair.evpi
    );
    assert!(
        (pair.value - pair.evpi).abs() < 0.01 * pair.evpi,
        "{} vs {}",
        pair.value,
        pair.evpi
    );
    assert!(pair.method.contains("tensor-product"), "{}", pair.method);
}

#[test]
fn evppi_is_bounded_by_evpi_and_grows_with_the_group() {
    let (theta, nmb) = psa(10_000, 31, model_nmb);
    let one = |g: &[usize]| evppi(columns(&theta, g).view(), nmb.view());
    let (e1, e2, e3, e12) = (one(&[0]), one(&[1]), one(&[2]), one(&[0, 1]));
    for e in [&e1, &e2, &e3, &e12] {
        check_bounds(e);
        // Not merely capped: no estimate needed the cap.
        assert!(e.notes.iter().all(|n| !n.contains("capped")), "{:?}", e.notes);
    }
    // Learning more is worth at least as much (within the estimates' uncertainty).
    assert!(e12.value >= e1.value.max(e2.value) - 2.0 * e12.se);
    assert_eq!(e1.evpi, e12.evpi, "EVPI is the same sample's, whatever the group");
}

// ---------------------------------------------------------------------------------------------------------------
// Degenerate input.

#[test]
fn constant_parameters_are_worth_nothing_and_are_left_out_of_groups() {
    let (theta, nmb) = psa(2_000, 41, model_nmb);
    let constant = Array2::from_elem((2_000, 1), 0.25);
    let e = evppi(constant.view(), nmb.view());
    assert_eq!((e.value, e.se), (0.0, 0.0));
    assert!(e.notes.iter().any(|n| n.contains("do not vary")), "{:?}", e.notes);
    // A constant beside θ2 changes nothing, to the bit.
    let mut with_constant = Array2::from_elem((2_000, 2), 7.0);
    with_constant.column_mut(1).assign(&theta.column(1));
    let alone = evppi(columns(&theta, &[1]).view(), nmb.view());
    let padded = evppi(with_constant.view(), nmb.view());
    assert_eq!(padded.value.to_bits(), alone.value.to_bits());
    assert_eq!(padded.se.to_bits(), alone.se.to_bits());
    assert_eq!(padded.parameters_used, vec![1]);
    // Rounding noise on a constant is still a constant.
    let jitter = Array2::from_shape_fn((2_000, 1), |(i, _)| 1e6 * (1.0 + f64::EPSILON * (i % 3) as f64));
    assert_eq!(evppi(jitter.view(), nmb.view()).value, 0.0);
    // An empty group.
    assert_eq!(evppi(Array2::zeros((2_000, 0)).view(), nmb.view()).value, 0.0);
}

#[test]
fn no_decision_means_no_value() {
    let (theta, nmb) = psa(1_000, 51, model_nmb);
    let phi = columns(&theta, &[1]);
    // One option.
    let one = nmb.slice(ndarray::s![.., 0..1]).to_owned();
    let e = evppi(phi.view(), one.view());
    assert_eq!((e.value, e.se, e.evpi), (0.0, 0.0, 0.0));
    // Options identical in every iteration, and one option always best: EVPI is 0, so EVPPI is too.
    let same = Array2::from_shape_fn((1_000, 3), |(i, _)| nmb[[i, 1]]);
    assert_eq!(evppi(phi.view(), same.view()).value, 0.0);
    let dominant = Array2::from_shape_fn((1_000, 2), |(i, d)| nmb[[i, 1]] + 1e6 * d as f64);
    assert_eq!(evppi(phi.view(), dominant.view()).value, 0.0);
}

#[test]
fn bad_input_gives_nan_with_a_reason_not_a_panic() {
    let (theta, nmb) = psa(1_000, 61, model_nmb);
    let phi = columns(&theta, &[0]);
    let short = nmb.slice(ndarray::s![0..999, ..]).to_owned();
    let e = evppi(phi.view(), short.view());
    assert!(e.value.is_nan() && e.notes[0].contains("rows"), "{:?}", e.notes);
    let mut holed = nmb.clone();
    holed[[5, 2]] = f64::NAN;
    let e = evppi(phi.view(), holed.view());
    assert!(e.value.is_nan() && e.notes[0].contains("non-finite"), "{:?}", e.notes);
    let few = MIN_ITERATIONS - 1;
    let e = evppi(phi.slice(ndarray::s![0..few, ..]), nmb.slice(ndarray::s![0..few, ..]));
    assert!(e.value.is_nan() && e.notes[0].contains("iterations"), "{:?}", e.notes);
    assert!(e.evpi.is_finite(), "EVPI is still reported");
    let none = evppi(phi.view(), Array2::<f64>::zeros((1_000, 0)).view());
    assert!(none.value.is_nan());
}

#[test]
fn small_samples_and_discrete_parameters_still_fit() {
    // Just above the minimum: a smaller basis, a finite answer within the bounds, for one, two and three parameters.
    let (theta, nmb) = psa(MIN_ITERATIONS, 71, model_nmb);
    for group in [&[0][..], &[0, 1], &[0, 1, 2]] {
        let e = evppi(columns(&theta, group).view(), nmb.view());
        check_bounds(&e);
        assert!(e.value.is_finite(), "{group:?}: {e:?}");
    }
    // A yes/no parameter: the regression is the two group means, and EVPPI is exact on them.
    let n = 4_000;
    let flag = Array2::from_shape_fn((n, 1), |(i, _)| f64::from(i % 4 == 0));
    let inb = Array2::from_shape_fn((n, 2), |(i, d)| {
        let noise = Normal::new(0.0, 300.0)
            .expect("normal")
            .sample(&mut iteration_rng(81, i as u64));
        if d == 0 {
            0.0
        } else {
            -100.0 + 350.0 * flag[[i, 0]] + noise
        }
    });
    let group_mean = |v: f64| {
        let rows: Vec<f64> = (0..n).filter(|&i| flag[[i, 0]] == v).map(|i| inb[[i, 1]]).collect();
        (mean(&rows), rows.len() as f64 / n as f64)
    };
    let ((m0, p0), (m1, p1)) = (group_mean(0.0), group_mean(1.0));
    let exact = p0 * m0.max(0.0) + p1 * m1.max(0.0) - (p0 * m0 + p1 * m1).max(0.0);
    let e = evppi(flag.view(), inb.view());
    assert!((e.value - exact).abs() < 1e-6 * exact, "{} vs {exact}", e.value);
}

// ---------------------------------------------------------------------------------------------------------------
// Reproducibility and speed.

#[test]
fn the_same_inputs_give_the_same_bits_on_any_number_of_threads() {
    let (theta, nmb) = psa(5_000, 91, model_nmb);
    for group in [&[0][..], &[0, 1], &[0, 1, 2]] {
        let phi = columns(&theta, group);
        let runs: Vec<Evppi> = [1, 2, 3]
            .iter()
            .map(|&threads| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("thread pool");
                pool.install(|| evppi(phi.view(), nmb.view()))
            })
            .collect();
        for e in &runs[1..] {
            assert_eq!(e.value.to_bits(), runs[0].value.to_bits(), "{group:?}");
            assert_eq!(e.se.to_bits(), runs[0].se.to_bits(), "{group:?}");
            assert_eq!(e.edf, runs[0].edf);
        }
    }
}

#[test]
fn timings_are_reported() {
    // 10,000 iterations and three options, as the budget states (under 100 ms for one parameter and under
    // a second for a pair, in release). Only printed: a timing assertion would fail on a loaded machine, not on a
    // slow estimator. The bound below catches only a pathological slowdown.
    let (theta, nmb) = psa(10_000, 101, model_nmb);
    for group in [&[0][..], &[1], &[0, 1], &[0, 1, 2]] {
        let phi = columns(&theta, group);
        let start = std::time::Instant::now();
        let e = evppi(phi.view(), nmb.view());
        let took = start.elapsed();
        eprintln!(
            "EVPPI{group:?}: {:.1} ms ({} coefficients)",
            took.as_secs_f64() * 1e3,
            e.coefficients
        );
        assert!(took.as_secs() < 60);
    }
}
