//! Expected value of partial perfect information (EVPPI) by regression on the PSA sample, after Strong, Oakley and
//! Brennan (2014, Medical Decision Making 34:311–326).
//!
//! With D options and net monetary benefit NMB_d(θ), EVPPI(φ) = E_φ[max_d E(NMB_d | φ)] − max_d E(NMB_d) for a
//! parameter or group of parameters φ ⊂ θ: what it would be worth, per person, to learn φ exactly before deciding.
//! The inner expectation g_d(φ) = E(NMB_d | φ) is estimated by regressing the PSA sample's NMB on the sampled φ;
//! then EVPPI ≈ mean_i max_d ĝ_d(φ_i) − max_d mean_i ĝ_d(φ_i). Only the D − 1 incremental net benefits against the
//! first option are regressed (the first option's ĝ is 0): the same estimate with one regression fewer.
//!
//! # The smoother, and why
//!
//! Published estimators of EVPPI disagree with each other by up to five-fold on the same sample, largely through
//! the regression: too stiff a fit misses the curvature that makes information valuable, too flexible a fit
//! mistakes noise for signal (and a max of noisy fits is biased upwards). So the choice is explicit and reported in
//! [`Evppi::method`]:
//!
//! * **One parameter**: a penalised cubic regression spline: 23 cubic B-splines with interior knots at quantiles of
//!   the sampled values, and the penalty ∫ f''(φ)² dφ computed exactly (O'Sullivan splines; Wand and Ormerod 2008).
//!   This is a low-rank cubic smoothing spline, the same model class as the GAM smooths Strong et al. used. Knots at
//!   quantiles put basis functions where the iterations are, so skewed parameters (costs, lognormal effects) are
//!   fitted as well as symmetric ones; the ∫f''² penalty (unlike a P-spline's difference penalty on unequally
//!   spaced knots) leaves straight lines unpenalised, so heavy smoothing falls back to linear regression on φ, the
//!   right default for net benefit, which is usually close to linear in any one parameter.
//! * **Two parameters**: the tensor product of two such bases (11 × 11 coefficients) with one ∫f''² penalty per
//!   direction, each with its own smoothing parameter (anisotropic, as mgcv's `te()`); bilinear surfaces
//!   a + bφ₁ + cφ₂ + dφ₁φ₂ are unpenalised, so products of an effect and a cost are fitted without bias.
//! * **Three or more**: a full tensor product grows as 11^k and cannot be fitted reliably from 10,000 iterations, and
//!   a Gaussian process (Strong et al.'s choice here) costs O(n³). Instead: an additive model, one penalised spline
//!   per parameter (13 B-splines each), plus every pairwise product of the standardised parameters (φ_j·φ_l) as
//!   unpenalised linear terms (for groups of up to 12 parameters). This captures sums of effects exactly and
//!   products of pairs to first order; interactions of three or more parameters, and curved interactions of two,
//!   are not captured, which biases EVPPI downwards where they matter. Estimate such groups in pairs as well, and
//!   compare with EVPI.
//!
//! Smoothing parameters are chosen by REML, with the generalised Fellner–Schall updates of Wood and Fasiolo (2017,
//! Biometrics 73:1071–1081), which need only a Cholesky factor per step and handle several penalties (the tensor
//! product's two, the additive model's one per parameter) the same way. REML is chosen over GCV because GCV is prone
//! to occasional severe under-smoothing (Wood 2011, JRSS B 73:3–36), and under-smoothing is the error that inflates
//! EVPPI.
//!
//! # Standard error
//!
//! Two sources, added in quadrature:
//!
//! 1. The regression's own uncertainty. Strong et al. draw the coefficients from their Bayesian posterior
//!    N(γ̂, σ̂²(XᵀX + S_λ)⁻¹) and recompute EVPPI for each draw. That posterior assumes one residual variance for all
//!    iterations and independent regressions for each option; in a PSA neither holds (the noise left by the other
//!    parameters grows and shrinks with φ, and every option shares it), and on the test model it overstated the
//!    spread of the estimate over replicate samples by 10–20%. Here the coefficients of all the regressions are
//!    drawn together, [`REGRESSION_DRAWS`] times, from their sandwich (heteroscedasticity-consistent) covariance
//!    M_d⁻¹(Σ_i r_di·r_ei·x_i x_iᵀ)M_e⁻¹, which is the covariance of a wild bootstrap of the residuals r with one
//!    weight per iteration shared by all options; the standard deviation of the recomputed EVPPI is the first part.
//! 2. The Monte Carlo error of the outer average over iterations, which the draws hold fixed:
//!    sd_i(max_d ĝ_d(φ_i) − ĝ_d*(φ_i)) / √n, with d* the option with the highest mean.
//!
//! Smoothing parameters are held at their estimates, as in Strong et al. In the tests the standard error matched
//! the spread over 40 replicate samples within 10%, and over 30 replicates of a closed form the mean squared error
//! in units of the reported standard error was 0.9. The draws come from a fixed seed (one Xoshiro256++ stream per
//! draw, as the engine seeds iterations) and every sum runs in index order, so the same inputs give the same bits on
//! any number of threads.
//!
//! # Degenerate input
//!
//! Nothing panics. A parameter that does not vary (or varies only by rounding, a range below 10⁻¹² of its size) is
//! dropped from the group; if none is left EVPPI is exactly 0. One option, or a sample in which one option is best in
//! every iteration (EVPI = 0), gives exactly 0. Mismatched shapes, non-finite values and fewer than
//! [`MIN_ITERATIONS`] iterations give NaN. Each of these says why in [`Evppi::notes`]. With few iterations or few
//! distinct values the bases shrink (at least 10 iterations per coefficient) down to a cubic polynomial. The estimate
//! is capped to [0, EVPI of the same sample], the range the true value lies in, with a note when the cap bites.

use ndarray::ArrayView2;
use rand_distr::{Distribution as _, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

/// Draws of the regression coefficients behind each standard error.
pub const REGRESSION_DRAWS: usize = 200;
/// Fewest iterations for which EVPPI is estimated; fewer give NaN.
pub const MIN_ITERATIONS: usize = 50;

/// Seed of the coefficient draws ("EVPPI SE"): fixed, so the standard error is reproducible to the bit.
const SEED: u64 = 0x4556_5050_4920_5345;
/// Spline segments (basis size − 3) for one parameter, each margin of a pair, and each term of an additive model.
const SEGMENTS_ONE: usize = 20;
const SEGMENTS_PAIR: usize = 8;
const SEGMENTS_ADDITIVE: usize = 10;
/// Largest group given pairwise product terms in the additive model (12 parameters: 66 products).
const MAX_PRODUCT_GROUP: usize = 12;
/// Fewest iterations per coefficient: bases shrink below this.
const ITERATIONS_PER_COEFFICIENT: usize = 10;
/// Fellner–Schall iterations at most, and the relative change in every smoothing parameter that counts as converged.
const MAX_REML_STEPS: usize = 200;
const REML_TOLERANCE: f64 = 1e-3;
/// Or converged when a step moves the fitted values by less than this share of their sampling variance.
const FIT_TOLERANCE: f64 = 1e-4;

/// EVPPI of one parameter or group, with its standard error and how it was estimated.
#[derive(Debug, Clone, Serialize)]
pub struct Evppi {
    /// EVPPI per person, in the units of the net benefit (capped to [0, `evpi`]); NaN when it cannot be estimated.
    pub value: f64,
    /// Standard error of `value`: the regression's uncertainty (sandwich draws) and the outer mean's Monte Carlo error.
    pub se: f64,
    /// EVPI of the same sample (E max NMB − max E NMB), the upper bound of any EVPPI.
    pub evpi: f64,
    /// The estimator in words, to be printed with the value.
    pub method: String,
    /// Columns of `phi` used in the regression (constant ones are dropped).
    pub parameters_used: Vec<usize>,
    /// Coefficients of each regression (the basis dimension).
    pub coefficients: usize,
    /// Effective degrees of freedom of each regression, one per option after the first (incremental on the first).
    pub edf: Vec<f64>,
    /// Share of the variance of each incremental net benefit explained by the regression on φ.
    pub r_squared: Vec<f64>,
    /// Iterations in the sample.
    pub iterations: usize,
    /// What the reader should know: dropped parameters, degenerate input, the cap.
    pub notes: Vec<String>,
}

impl Evppi {
    fn exact(n: usize, value: f64, evpi: f64, method: &str, note: String) -> Evppi {
        Evppi {
            value,
            se: if value.is_nan() { f64::NAN } else { 0.0 },
            evpi,
            method: method.to_string(),
            parameters_used: Vec::new(),
            coefficients: 0,
            edf: Vec::new(),
            r_squared: Vec::new(),
            iterations: n,
            notes: vec![note],
        }
    }
}

/// EVPPI of the parameters in `phi` (`[iteration, parameter]`) for net benefits `nmb` (`[iteration, option]`).
pub fn evppi(phi: ArrayView2<f64>, nmb: ArrayView2<f64>) -> Evppi {
    let (n, options) = nmb.dim();
    let not_estimated = "not estimated";
    if phi.nrows() != n {
        let note = format!(
            "phi has {} rows but nmb has {n}: they must be the same iterations",
            phi.nrows()
        );
        return Evppi::exact(n, f64::NAN, f64::NAN, not_estimated, note);
    }
    if options == 0 {
        return Evppi::exact(
            n,
            f64::NAN,
            f64::NAN,
            not_estimated,
            "no options to decide between".into(),
        );
    }
    let bad = nmb.iter().chain(phi.iter()).filter(|v| !v.is_finite()).count();
    if bad > 0 {
        let note = format!("{bad} non-finite values in the parameters or net benefits");
        return Evppi::exact(n, f64::NAN, f64::NAN, not_estimated, note);
    }
    if options == 1 {
        let note = "one option: there is no decision, so information has no value".to_string();
        return Evppi::exact(n, 0.0, 0.0, "exact: one option", note);
    }
    // Incremental net benefit of each option against the first.
    let inb: Vec<Vec<f64>> = (1..options)
        .map(|d| (0..n).map(|i| nmb[[i, d]] - nmb[[i, 0]]).collect())
        .collect();
    let evpi = sample_evpi(&inb, n);
    if n < MIN_ITERATIONS {
        let note = format!("{n} iterations: at least {MIN_ITERATIONS} are needed to fit a regression");
        return Evppi::exact(n, f64::NAN, evpi, not_estimated, note);
    }
    if evpi == 0.0 {
        let note = "one option has the highest net benefit in every iteration: EVPI, and so EVPPI, is 0".to_string();
        return Evppi::exact(n, 0.0, 0.0, "exact: EVPI is 0", note);
    }
    let mut notes = Vec::new();
    let (used, constant): (Vec<usize>, Vec<usize>) = (0..phi.ncols()).partition(|&j| varies(phi.column(j).iter()));
    if !constant.is_empty() {
        let list: Vec<String> = constant.iter().map(|j| j.to_string()).collect();
        notes.push(format!(
            "parameter columns {} do not vary in the sample and were left out",
            list.join(", ")
        ));
    }
    if used.is_empty() {
        notes.push("no parameter in the group varies: learning it tells nothing, EVPPI is 0".into());
        let mut out = Evppi::exact(n, 0.0, evpi, "exact: no parameter varies", String::new());
        out.notes = notes;
        return out;
    }
    let columns: Vec<Vec<f64>> = used.iter().map(|&j| phi.column(j).to_vec()).collect();
    let design = Design::build(&columns);
    let fits: Vec<Fit> = inb.par_iter().map(|y| design.fit(y)).collect();
    if fits.iter().any(|f| !f.ok) {
        notes.push("the regression could not be solved (singular even with a ridge)".into());
        let mut out = Evppi::exact(n, f64::NAN, evpi, not_estimated, String::new());
        out.notes = notes;
        return out;
    }
    let means: Vec<f64> = fits.iter().map(|f| f.mean).collect();
    let gammas: Vec<&[f64]> = fits.iter().map(|f| &f.gamma[..]).collect();
    let (raw, outer_var) = design.estimate(&means, &gammas, true);
    // Draws of the coefficients from their sandwich covariance, each from its own stream, collected in order, so
    // threads do not change the result.
    let sandwich = Sandwich::new(&design, &fits);
    let draws: Vec<f64> = match &sandwich {
        Some(sandwich) => (0..REGRESSION_DRAWS)
            .into_par_iter()
            .map(|s| {
                let mut rng = crate::simulate::iteration_rng(SEED, s as u64);
                let drawn = sandwich.draw(&fits, &mut rng);
                let refs: Vec<&[f64]> = drawn.iter().map(|g| &g[..]).collect();
                design.estimate(&means, &refs, false).0
            })
            .collect(),
        // Residuals all zero: the regression has no uncertainty.
        None => Vec::new(),
    };
    let regression_sd = sd(&draws);
    let se = (regression_sd * regression_sd + outer_var / n as f64).sqrt();
    if raw > evpi * (1.0 + 1e-9) {
        notes.push(format!(
            "the regression estimate ({raw:.6}) exceeded the sample's EVPI and was capped to it: the fit may be \
             too flexible for this sample"
        ));
    }
    Evppi {
        value: raw.clamp(0.0, evpi),
        se,
        evpi,
        method: design.method.clone(),
        parameters_used: used,
        coefficients: design.q,
        edf: fits.iter().map(|f| f.edf).collect(),
        r_squared: fits.iter().map(|f| f.r_squared).collect(),
        iterations: n,
        notes,
    }
}

/// EVPI from incremental net benefits: mean of max(0, max_d INB_d) − max(0, max_d mean INB_d), never negative.
fn sample_evpi(inb: &[Vec<f64>], n: usize) -> f64 {
    let mut sum_max = 0.0;
    for i in 0..n {
        sum_max += inb.iter().map(|y| y[i]).fold(0.0, f64::max);
    }
    let best_mean = inb.iter().map(|y| mean(y)).fold(0.0, f64::max);
    (sum_max / n as f64 - best_mean).max(0.0)
}

/// Whether a parameter varies by more than rounding: its range exceeds 10⁻¹² of its magnitude.
fn varies<'a>(values: impl Iterator<Item = &'a f64>) -> bool {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    hi > lo && hi - lo > 1e-12 * lo.abs().max(hi.abs())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

// ---------------------------------------------------------------------------------------------------------------
// Cubic B-splines with knots at quantiles and the exact ∫f''² penalty.

/// A cubic B-spline basis on one parameter, rescaled to [0, 1].
struct Spline {
    lo: f64,
    width: f64,
    /// Clamped knot vector: four 0s, the interior knots, four 1s.
    knots: Vec<f64>,
}

impl Spline {
    /// A basis with up to `segments` intervals between quantiles of the distinct values (which must not all be equal).
    fn new(values: &[f64], segments: usize) -> Spline {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let width = hi - lo;
        let mut u: Vec<f64> = values.iter().map(|v| ((v - lo) / width).clamp(0.0, 1.0)).collect();
        u.sort_unstable_by(f64::total_cmp);
        u.dedup();
        // Quantiles of the distinct values, so ties (a discrete parameter) do not stack knots on one point.
        let segments = segments.clamp(1, u.len().saturating_sub(1).max(1));
        let mut knots = vec![0.0; 4];
        for j in 1..segments {
            let h = (u.len() - 1) as f64 * j as f64 / segments as f64;
            let a = h.floor() as usize;
            let b = (a + 1).min(u.len() - 1);
            let k = u[a] + (h - a as f64) * (u[b] - u[a]);
            // Strictly increasing and inside (0, 1), or the basis would have empty spans.
            if k > *knots.last().unwrap_or(&0.0) && k < 1.0 {
                knots.push(k);
            }
        }
        knots.extend([1.0; 4]);
        Spline { lo, width, knots }
    }

    /// Number of basis functions.
    fn len(&self) -> usize {
        self.knots.len() - 4
    }

    /// The index of the first of the four basis functions that are non-zero at `x`, and their values.
    fn eval(&self, x: f64) -> (usize, [f64; 4]) {
        let u = ((x - self.lo) / self.width).clamp(0.0, 1.0);
        let t = &self.knots;
        let k = self.len();
        // Span i with t[i] <= u < t[i+1], i in 3..k; u = 1 belongs to the last span.
        let interior = &t[4..k];
        let i = 3 + interior.partition_point(|&knot| knot <= u);
        // de Boor–Cox recursion (Piegl and Tiller, The NURBS Book, A2.2).
        let mut n = [1.0, 0.0, 0.0, 0.0];
        let (mut left, mut right) = ([0.0; 4], [0.0; 4]);
        for j in 1..4 {
            left[j] = u - t[i + 1 - j];
            right[j] = t[i + j] - u;
            let mut saved = 0.0;
            for r in 0..j {
                let temp = n[r] / (right[r + 1] + left[j - r]);
                n[r] = saved + right[r + 1] * temp;
                saved = left[j - r] * temp;
            }
            n[j] = saved;
        }
        (i - 3, n)
    }

    /// The penalty matrix Ω with cᵀΩc = ∫₀¹ f''(u)² du for f = Σ c_i B_i (row-major, len × len).
    ///
    /// f'' of a cubic spline is a linear spline whose coefficients are second divided differences of c, so
    /// Ω = Cᵀ H C with C those differences and H the Gram matrix of the piecewise-linear hat functions.
    fn penalty(&self) -> Vec<f64> {
        let t = &self.knots;
        let k = self.len();
        // First derivative coefficients c'_i = 3(c_i − c_{i−1}) / (t_{i+3} − t_i), i = 1..k−1, as rows over c.
        let mut d1 = vec![0.0; (k - 1) * k];
        for i in 1..k {
            let w = 3.0 / (t[i + 3] - t[i]);
            d1[(i - 1) * k + i] = w;
            d1[(i - 1) * k + i - 1] = -w;
        }
        // Second derivative coefficients c''_i = 2(c'_i − c'_{i−1}) / (t_{i+2} − t_i), i = 2..k−1.
        let m = k - 2;
        let mut c = vec![0.0; m * k];
        for i in 2..k {
            let w = 2.0 / (t[i + 2] - t[i]);
            for col in 0..k {
                c[(i - 2) * k + col] = w * (d1[(i - 1) * k + col] - d1[(i - 2) * k + col]);
            }
        }
        // Gram matrix of the hats B_{i,1} (support t_i..t_{i+2}), i = 2..k−1: tridiagonal.
        let mut h = vec![0.0; m * m];
        for r in 0..m {
            let i = r + 2;
            h[r * m + r] = (t[i + 2] - t[i]) / 3.0;
            if r + 1 < m {
                let v = (t[i + 2] - t[i + 1]) / 6.0;
                h[r * m + r + 1] = v;
                h[(r + 1) * m + r] = v;
            }
        }
        let mut omega = vec![0.0; k * k];
        for a in 0..m {
            for b in 0..m {
                let hab = h[a * m + b];
                if hab == 0.0 {
                    continue;
                }
                for p in 0..k {
                    let cap = c[a * k + p] * hab;
                    if cap == 0.0 {
                        continue;
                    }
                    for q in 0..k {
                        omega[p * k + q] += cap * c[b * k + q];
                    }
                }
            }
        }
        omega
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The regression design: sparse rows, their Gram matrix, the penalties.

/// One smoothing penalty: a square block of the coefficient vector.
struct Penalty {
    offset: usize,
    size: usize,
    /// size × size, row-major.
    matrix: Vec<f64>,
}

/// How tr(S_λ⁻ S_j) is computed for the Fellner–Schall update (S_λ = Σ λ_j S_j; ⁻ a pseudo-inverse).
enum PenaltyTrace {
    /// Penalties on disjoint blocks: tr(S_λ⁻ S_j) = rank(S_j) / λ_j.
    Blocks(Vec<f64>),
    /// Tensor product S₁ = Ω₁ ⊗ I, S₂ = I ⊗ Ω₂ with eigenvalues a of Ω₁ and b of Ω₂:
    /// tr(S_λ⁻ S₁) = Σ a_i / (λ₁a_i + λ₂b_j) over the pairs with a non-zero denominator (and likewise for S₂).
    Kronecker { a: Vec<f64>, b: Vec<f64> },
}

struct Design {
    n: usize,
    /// Number of coefficients.
    q: usize,
    /// Row i's non-zero entries lie in runs of consecutive columns, `runs[rptr[i]..rptr[i + 1]]` as (first
    /// column, length), with their values run after run in `vals[vptr[i]..vptr[i + 1]]`. Runs (four neighbouring
    /// B-splines) make the inner loops short slices rather than scattered look-ups.
    rptr: Vec<usize>,
    vptr: Vec<usize>,
    runs: Vec<(u32, u32)>,
    vals: Vec<f64>,
    /// Some(r) when every row is r runs of exactly four columns (one parameter, or a pair).
    runs_of_four: Option<usize>,
    /// XᵀX, q × q.
    gram: Vec<f64>,
    penalties: Vec<Penalty>,
    trace: PenaltyTrace,
    method: String,
}

/// Common ending of every method description.
fn method_tail() -> String {
    format!(
        "smoothing by REML (Fellner–Schall); standard error from {REGRESSION_DRAWS} draws of the coefficients \
         (sandwich covariance, as a wild bootstrap) plus the Monte Carlo error of the mean over iterations"
    )
}

impl Design {
    /// Chooses and builds the basis for the group's (non-constant) parameter columns.
    fn build(columns: &[Vec<f64>]) -> Design {
        let n = columns[0].len();
        let budget = (n / ITERATIONS_PER_COEFFICIENT).max(4);
        match columns.len() {
            1 => Design::one(&columns[0], budget),
            2 => Design::pair(&columns[0], &columns[1], budget),
            _ => Design::additive(columns, budget),
        }
    }

    fn one(x: &[f64], budget: usize) -> Design {
        let s = Spline::new(x, SEGMENTS_ONE.min(budget.saturating_sub(3)));
        let k = s.len();
        let mut rows = Rows::new(x.len(), 4);
        for &v in x {
            let (first, b) = s.eval(v);
            for (j, bj) in b.iter().enumerate() {
                rows.push(first + j, *bj);
            }
            rows.end_row();
        }
        let penalty = Penalty {
            offset: 0,
            size: k,
            matrix: s.penalty(),
        };
        let method = format!(
            "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the first \
             on the parameter, by a penalised cubic regression spline ({k} B-splines, knots at quantiles, penalty \
             on the integrated squared second derivative); {}",
            method_tail()
        );
        rows.finish(k, vec![penalty], PenaltyTrace::Blocks(vec![(k - 2) as f64]), method)
    }

    fn pair(x1: &[f64], x2: &[f64], budget: usize) -> Design {
        // The largest margin whose square fits the budget.
        let margin = ((budget as f64).sqrt() as usize).saturating_sub(3);
        let s1 = Spline::new(x1, SEGMENTS_PAIR.min(margin));
        let s2 = Spline::new(x2, SEGMENTS_PAIR.min(margin));
        let (k1, k2) = (s1.len(), s2.len());
        let mut rows = Rows::new(x1.len(), 16);
        for (&a, &b) in x1.iter().zip(x2) {
            let (f1, b1) = s1.eval(a);
            let (f2, b2) = s2.eval(b);
            for (i, v1) in b1.iter().enumerate() {
                for (j, v2) in b2.iter().enumerate() {
                    rows.push((f1 + i) * k2 + f2 + j, v1 * v2);
                }
            }
            rows.end_row();
        }
        let (o1, o2) = (s1.penalty(), s2.penalty());
        let q = k1 * k2;
        // S₁ = Ω₁ ⊗ I (curvature along the first parameter), S₂ = I ⊗ Ω₂.
        let mut p1 = vec![0.0; q * q];
        let mut p2 = vec![0.0; q * q];
        for i1 in 0..k1 {
            for j1 in 0..k1 {
                for i2 in 0..k2 {
                    p1[(i1 * k2 + i2) * q + j1 * k2 + i2] = o1[i1 * k1 + j1];
                }
            }
        }
        for i1 in 0..k1 {
            for i2 in 0..k2 {
                for j2 in 0..k2 {
                    p2[(i1 * k2 + i2) * q + i1 * k2 + j2] = o2[i2 * k2 + j2];
                }
            }
        }
        let penalties = vec![
            Penalty {
                offset: 0,
                size: q,
                matrix: p1,
            },
            Penalty {
                offset: 0,
                size: q,
                matrix: p2,
            },
        ];
        let trace = PenaltyTrace::Kronecker {
            a: symmetric_eigenvalues(&o1, k1),
            b: symmetric_eigenvalues(&o2, k2),
        };
        let method = format!(
            "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the first \
             on the two parameters, by a tensor-product penalised cubic regression spline ({k1} × {k2} B-splines, \
             knots at quantiles, one curvature penalty per parameter); {}",
            method_tail()
        );
        rows.finish(q, penalties, trace, method)
    }

    fn additive(columns: &[Vec<f64>], budget: usize) -> Design {
        let k = columns.len();
        let products = k <= MAX_PRODUCT_GROUP;
        let n_products = if products { k * (k - 1) / 2 } else { 0 };
        // Segments per parameter so that all coefficients fit the budget.
        let per = (budget.saturating_sub(1 + n_products) / k).saturating_sub(2);
        let splines: Vec<Spline> = columns
            .iter()
            .map(|c| Spline::new(c, SEGMENTS_ADDITIVE.min(per)))
            .collect();
        // Column 0 is the intercept; each spline drops its first B-spline, which the intercept makes redundant. The
        // penalty ∫f''² ignores constants, so dropping it changes nothing else about the fit.
        let mut offsets = Vec::with_capacity(k);
        let mut q = 1;
        for s in &splines {
            offsets.push(q);
            q += s.len() - 1;
        }
        let product_offset = q;
        q += n_products;
        let standardised: Vec<(f64, f64)> = columns
            .iter()
            .map(|c| (mean(c), sd(c).max(f64::MIN_POSITIVE)))
            .collect();
        let n = columns[0].len();
        let mut rows = Rows::new(n, 1 + 4 * k + n_products);
        let mut z = vec![0.0; k];
        #[allow(clippy::needless_range_loop)] // a row gathers iteration i from every column
        for i in 0..n {
            rows.push(0, 1.0);
            for (j, s) in splines.iter().enumerate() {
                let (first, b) = s.eval(columns[j][i]);
                for (m, bm) in b.iter().enumerate() {
                    if first + m > 0 {
                        rows.push(offsets[j] + first + m - 1, *bm);
                    }
                }
                z[j] = (columns[j][i] - standardised[j].0) / standardised[j].1;
            }
            if products {
                let mut c = product_offset;
                for a in 0..k {
                    for b in a + 1..k {
                        rows.push(c, z[a] * z[b]);
                        c += 1;
                    }
                }
            }
            rows.end_row();
        }
        let mut penalties = Vec::with_capacity(k);
        let mut ranks = Vec::with_capacity(k);
        for (s, &offset) in splines.iter().zip(&offsets) {
            let full = s.penalty();
            let kk = s.len();
            let size = kk - 1;
            let mut matrix = vec![0.0; size * size];
            for a in 0..size {
                for b in 0..size {
                    matrix[a * size + b] = full[(a + 1) * kk + b + 1];
                }
            }
            penalties.push(Penalty { offset, size, matrix });
            ranks.push((kk - 2) as f64);
        }
        let sizes: Vec<String> = splines.iter().map(|s| s.len().to_string()).collect();
        let interactions = if products {
            "plus every pairwise product of the standardised parameters as a linear term (interactions of three or \
             more parameters, and curved pairwise interactions, are not captured)"
        } else {
            "without interaction terms (more than 12 parameters; no interactions are captured)"
        };
        let method = format!(
            "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the first \
             on the {k} parameters, by an additive model of penalised cubic regression splines ({} B-splines, knots \
             at quantiles) {interactions}; {}",
            sizes.join("/"),
            method_tail()
        );
        rows.finish(q, penalties, PenaltyTrace::Blocks(ranks), method)
    }

    /// x_iᵀγ for row i.
    fn row_dot(&self, i: usize, gamma: &[f64]) -> f64 {
        let mut v = self.vptr[i];
        let mut sum = 0.0;
        for &(first, len) in &self.runs[self.rptr[i]..self.rptr[i + 1]] {
            let (first, len) = (first as usize, len as usize);
            sum += gamma[first..first + len]
                .iter()
                .zip(&self.vals[v..v + len])
                .map(|(g, x)| g * x)
                .sum::<f64>();
            v += len;
        }
        sum
    }

    /// u += w·x_i.
    fn add_row(&self, i: usize, w: f64, u: &mut [f64]) {
        let mut v = self.vptr[i];
        for &(first, len) in &self.runs[self.rptr[i]..self.rptr[i + 1]] {
            let (first, len) = (first as usize, len as usize);
            for (ui, x) in u[first..first + len].iter_mut().zip(&self.vals[v..v + len]) {
                *ui += w * x;
            }
            v += len;
        }
    }

    /// Fitted values mean + x_iᵀγ for every iteration, into `out`.
    fn fitted(&self, mean: f64, gamma: &[f64], out: &mut [f64]) {
        match self.runs_of_four {
            // The common case (one parameter or two) unrolled: this is the inner loop of every draw.
            Some(r) => {
                let rows = self.runs.chunks_exact(r).zip(self.vals.chunks_exact(4 * r));
                for (o, (runs, vals)) in out.iter_mut().zip(rows) {
                    let mut sum = mean;
                    for (&(first, _), x) in runs.iter().zip(vals.chunks_exact(4)) {
                        let first = first as usize;
                        let g = &gamma[first..first + 4];
                        sum += g[0] * x[0] + g[1] * x[1] + g[2] * x[2] + g[3] * x[3];
                    }
                    *o = sum;
                }
            }
            None => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = mean + self.row_dot(i, gamma);
                }
            }
        }
    }

    /// The EVPPI estimate for fitted incremental net benefits ĝ_d(φ_i) = mean_d + x_iᵀγ_d, and (if asked) the
    /// variance over iterations of max_d ĝ_d(φ_i) − ĝ_d*(φ_i), the outer Monte Carlo error's ingredient.
    fn estimate(&self, means: &[f64], gammas: &[&[f64]], outer: bool) -> (f64, f64) {
        let n = self.n;
        let mut g = vec![0.0; n * gammas.len()];
        for ((m, gamma), out) in means.iter().zip(gammas).zip(g.chunks_exact_mut(n)) {
            self.fitted(*m, gamma, out);
        }
        // max(0, max_d ĝ_d(φ_i)) per iteration: the first option's ĝ is 0.
        let mut best = vec![0.0f64; n];
        let mut star = None;
        let mut best_mean = 0.0;
        for (c, gc) in g.chunks_exact(n).enumerate() {
            for (b, v) in best.iter_mut().zip(gc) {
                *b = b.max(*v);
            }
            // The option with the highest mean; ties go to the first.
            let m = gc.iter().sum::<f64>() / n as f64;
            if m > best_mean {
                best_mean = m;
                star = Some(c);
            }
        }
        let value = best.iter().sum::<f64>() / n as f64 - best_mean;
        let var = match (outer, star) {
            (false, _) => 0.0,
            (true, None) => sd(&best).powi(2),
            (true, Some(c)) => {
                let h: Vec<f64> = best.iter().zip(&g[c * n..(c + 1) * n]).map(|(b, v)| b - v).collect();
                sd(&h).powi(2)
            }
        };
        (value, var)
    }

    /// Penalised least squares of `y` on the design with smoothing parameters chosen by REML.
    fn fit(&self, y: &[f64]) -> Fit {
        let (n, q) = (self.n, self.q);
        let mean_y = mean(y);
        let r: Vec<f64> = y.iter().map(|v| v - mean_y).collect();
        let tss: f64 = r.iter().map(|v| v * v).sum();
        let mut xtr = vec![0.0; q];
        for (i, ri) in r.iter().enumerate() {
            self.add_row(i, *ri, &mut xtr);
        }
        let diag_mean = (0..q).map(|a| self.gram[a * q + a]).sum::<f64>() / q as f64;
        // A ridge far below the data's scale keeps the Cholesky factor defined where no data and no penalty reach
        // (an empty corner of a tensor product, two identical parameters); it does not move the fit measurably.
        let mut ridge = 1e-10 * diag_mean.max(f64::MIN_POSITIVE);
        // Start with each penalty as heavy as the data, and let REML go at most 10⁸ lighter or 10¹⁰ heavier.
        let start: Vec<f64> = self
            .penalties
            .iter()
            .map(|p| {
                let tr: f64 = (0..p.size).map(|a| p.matrix[a * p.size + a]).sum();
                diag_mean / (tr / p.size as f64).max(f64::MIN_POSITIVE)
            })
            .collect();
        let mut lambda = start.clone();
        let mut last: Option<Fit> = None;
        for _ in 0..MAX_REML_STEPS {
            let mut m = self.gram.clone();
            for (p, l) in self.penalties.iter().zip(&lambda) {
                for a in 0..p.size {
                    for b in 0..p.size {
                        m[(p.offset + a) * q + p.offset + b] += l * p.matrix[a * p.size + b];
                    }
                }
            }
            for a in 0..q {
                m[a * q + a] += ridge;
            }
            if !cholesky(&mut m, q) {
                ridge *= 1e3;
                if ridge > diag_mean {
                    break;
                }
                continue;
            }
            let chol = m;
            let gamma = cholesky_solve(&chol, q, &xtr);
            let resid: Vec<f64> = (0..n).map(|i| r[i] - self.row_dot(i, &gamma)).collect();
            let rss: f64 = resid.iter().map(|e| e * e).sum();
            let inv = cholesky_inverse(&chol, q);
            let edf: f64 = inv.iter().zip(&self.gram).map(|(a, b)| a * b).sum();
            let scale = if tss > 0.0 {
                rss / (n as f64 - edf).max(1.0)
            } else {
                0.0
            };
            // Generalised Fellner–Schall update: λ_j ← λ_j·σ²·(tr(S_λ⁻S_j) − tr(M⁻¹S_j)) / γᵀS_jγ.
            let mut next = lambda.clone();
            for (j, p) in self.penalties.iter().enumerate() {
                let mut tr_inv = 0.0;
                let mut quad = 0.0;
                for a in 0..p.size {
                    for b in 0..p.size {
                        let s = p.matrix[a * p.size + b];
                        tr_inv += inv[(p.offset + a) * q + p.offset + b] * s;
                        quad += gamma[p.offset + a] * s * gamma[p.offset + b];
                    }
                }
                let tr_pinv = self.trace.pinv(j, &lambda);
                let numerator = scale * (tr_pinv - tr_inv);
                let (lo, hi) = (start[j] * 1e-8, start[j] * 1e10);
                next[j] = if numerator > 0.0 && quad > 0.0 {
                    (lambda[j] * numerator / quad).clamp(lo, hi)
                } else {
                    // No wiggle left to explain: the fit is in the penalty's null space (a straight line).
                    hi
                };
            }
            let change = next
                .iter()
                .zip(&lambda)
                .map(|(a, b)| (a / b).ln().abs())
                .fold(0.0, f64::max);
            // How far the fitted values moved since the last step, ‖X(γ − γ_prev)‖², against their sampling
            // variance (about σ²·edf): near a straight line, or with two nearly equivalent penalties, λ can keep
            // drifting while the fit no longer changes.
            let moved = last.as_ref().map_or(f64::INFINITY, |prev| {
                let delta: Vec<f64> = gamma.iter().zip(&prev.gamma).map(|(a, b)| a - b).collect();
                quadratic_form(&self.gram, q, &delta)
            });
            let settled = moved <= FIT_TOLERANCE * scale * edf.max(1.0) + 1e-12 * tss;
            last = Some(Fit {
                ok: true,
                mean: mean_y,
                gamma,
                chol,
                resid,
                edf,
                r_squared: if tss > 0.0 { 1.0 - rss / tss } else { 0.0 },
            });
            if change < REML_TOLERANCE || settled || tss == 0.0 {
                break;
            }
            lambda = next;
        }
        last.unwrap_or(Fit {
            ok: false,
            mean: mean_y,
            gamma: vec![0.0; q],
            chol: Vec::new(),
            resid: Vec::new(),
            edf: f64::NAN,
            r_squared: f64::NAN,
        })
    }
}

impl PenaltyTrace {
    /// tr(S_λ⁻ S_j) at smoothing parameters `lambda`.
    fn pinv(&self, j: usize, lambda: &[f64]) -> f64 {
        match self {
            PenaltyTrace::Blocks(ranks) => ranks[j] / lambda[j],
            PenaltyTrace::Kronecker { a, b } => {
                let mut t = 0.0;
                for &ai in a {
                    for &bj in b {
                        let d = lambda[0] * ai + lambda[1] * bj;
                        if d > 0.0 {
                            t += if j == 0 { ai } else { bj } / d;
                        }
                    }
                }
                t
            }
        }
    }
}

/// The sandwich (heteroscedasticity-consistent) covariance of all the regressions' coefficients together.
///
/// γ̂_d = M_d⁻¹Xᵀy_d with M_d = XᵀX + S_λ,d, so with the smoothing parameters fixed, Cov(γ̂_d, γ̂_e) =
/// M_d⁻¹ H_de M_e⁻¹ with H_de = Σ_i r_di r_ei x_i x_iᵀ estimated from the residuals r. This is the covariance of a
/// wild bootstrap of the residuals with one weight per iteration shared by all options; drawing from it directly
/// saves a pass over the iterations per draw.
struct Sandwich {
    /// Lower Cholesky factor of H (all comparisons stacked: dimension comparisons × q).
    chol: Vec<f64>,
    dim: usize,
}

impl Sandwich {
    /// None when every residual is zero (the regressions fit exactly).
    fn new(design: &Design, fits: &[Fit]) -> Option<Sandwich> {
        let (q, d) = (design.q, fits.len());
        let dim = q * d;
        let mut h = vec![0.0; dim * dim];
        let mut cols: Vec<usize> = Vec::new();
        let mut z: Vec<f64> = Vec::new();
        for i in 0..design.n {
            cols.clear();
            z.clear();
            for (c, f) in fits.iter().enumerate() {
                let mut v = design.vptr[i];
                for &(first, len) in &design.runs[design.rptr[i]..design.rptr[i + 1]] {
                    for k in 0..len as usize {
                        cols.push(c * q + first as usize + k);
                        z.push(f.resid[i] * design.vals[v + k]);
                    }
                    v += len as usize;
                }
            }
            // Upper triangle (columns increase along z).
            for (s, (&a, &za)) in cols.iter().zip(&z).enumerate() {
                let row = &mut h[a * dim..(a + 1) * dim];
                for (&b, &zb) in cols[s..].iter().zip(&z[s..]) {
                    row[b] += za * zb;
                }
            }
        }
        for a in 0..dim {
            for b in 0..a {
                h[a * dim + b] = h[b * dim + a];
            }
        }
        let diag_mean = (0..dim).map(|a| h[a * dim + a]).sum::<f64>() / dim as f64;
        if diag_mean.is_nan() || diag_mean <= 0.0 {
            return None;
        }
        // H is singular where no residual reaches a coefficient; a ridge far below its scale keeps the factor.
        let mut ridge = 1e-12 * diag_mean;
        loop {
            let mut chol = h.clone();
            for a in 0..dim {
                chol[a * dim + a] += ridge;
            }
            if cholesky(&mut chol, dim) {
                return Some(Sandwich { chol, dim });
            }
            ridge *= 100.0;
            if ridge > diag_mean {
                return None;
            }
        }
    }

    /// Coefficients γ̂_d + M_d⁻¹(Lz)_d for every comparison d, z standard normal.
    fn draw(&self, fits: &[Fit], rng: &mut rand_xoshiro::Xoshiro256PlusPlus) -> Vec<Vec<f64>> {
        let z: Vec<f64> = (0..self.dim).map(|_| StandardNormal.sample(rng)).collect();
        let v: Vec<f64> = (0..self.dim)
            .map(|a| {
                self.chol[a * self.dim..a * self.dim + a + 1]
                    .iter()
                    .zip(&z)
                    .map(|(l, z)| l * z)
                    .sum()
            })
            .collect();
        let q = self.dim / fits.len();
        fits.iter()
            .enumerate()
            .map(|(c, f)| {
                let delta = cholesky_solve(&f.chol, q, &v[c * q..(c + 1) * q]);
                f.gamma.iter().zip(&delta).map(|(g, d)| g + d).collect()
            })
            .collect()
    }
}

/// Sparse rows under construction (columns increasing within a row), then the finished design with its Gram matrix.
struct Rows {
    rptr: Vec<usize>,
    vptr: Vec<usize>,
    runs: Vec<(u32, u32)>,
    vals: Vec<f64>,
}

impl Rows {
    fn new(n: usize, per_row: usize) -> Rows {
        Rows {
            rptr: Vec::from([0]),
            vptr: Vec::from([0]),
            runs: Vec::with_capacity(n * per_row / 4 + n),
            vals: Vec::with_capacity(n * per_row),
        }
    }

    fn push(&mut self, col: usize, v: f64) {
        let in_row = self.runs.len() > self.rptr[self.rptr.len() - 1];
        match self.runs.last_mut() {
            // The next column of the row's current run extends it.
            Some((first, len)) if in_row && (*first + *len) as usize == col => *len += 1,
            _ => self.runs.push((col as u32, 1)),
        }
        self.vals.push(v);
    }

    fn end_row(&mut self) {
        self.rptr.push(self.runs.len());
        self.vptr.push(self.vals.len());
    }

    fn finish(self, q: usize, penalties: Vec<Penalty>, trace: PenaltyTrace, method: String) -> Design {
        let n = self.rptr.len() - 1;
        // Upper triangle, summed row by row in order (deterministic), then mirrored.
        let mut gram = vec![0.0; q * q];
        let mut cols = Vec::new();
        for i in 0..n {
            cols.clear();
            for &(first, len) in &self.runs[self.rptr[i]..self.rptr[i + 1]] {
                cols.extend(first as usize..(first + len) as usize);
            }
            let vals = &self.vals[self.vptr[i]..self.vptr[i + 1]];
            for (s, (&cs, &vs)) in cols.iter().zip(vals).enumerate() {
                let row = &mut gram[cs * q..(cs + 1) * q];
                for (&ct, &vt) in cols[s..].iter().zip(&vals[s..]) {
                    row[ct] += vs * vt;
                }
            }
        }
        for a in 0..q {
            for b in 0..a {
                gram[a * q + b] = gram[b * q + a];
            }
        }
        let r = self.rptr[1];
        let uniform = self.runs.iter().all(|run| run.1 == 4) && self.rptr.iter().enumerate().all(|(i, &p)| p == i * r);
        Design {
            n,
            q,
            runs_of_four: uniform.then_some(r),
            rptr: self.rptr,
            vptr: self.vptr,
            runs: self.runs,
            vals: self.vals,
            gram,
            penalties,
            trace,
            method,
        }
    }
}

/// One regression of an incremental net benefit on the parameters.
struct Fit {
    ok: bool,
    /// Mean of the response (the fit is of the centred response).
    mean: f64,
    gamma: Vec<f64>,
    /// Lower Cholesky factor L of XᵀX + S_λ (row-major).
    chol: Vec<f64>,
    /// Residuals y − ĝ.
    resid: Vec<f64>,
    edf: f64,
    r_squared: f64,
}

// ---------------------------------------------------------------------------------------------------------------
// Small dense linear algebra (a few hundred coefficients at most, so a dependency would buy nothing).

/// In-place lower Cholesky factor of a symmetric positive definite row-major matrix; false if it is not.
fn cholesky(a: &mut [f64], q: usize) -> bool {
    for j in 0..q {
        let mut d = a[j * q + j];
        for k in 0..j {
            d -= a[j * q + k] * a[j * q + k];
        }
        if !(d > 0.0 && d.is_finite()) {
            return false;
        }
        let d = d.sqrt();
        a[j * q + j] = d;
        for i in j + 1..q {
            let mut s = a[i * q + j];
            for k in 0..j {
                s -= a[i * q + k] * a[j * q + k];
            }
            a[i * q + j] = s / d;
        }
    }
    // Clear the upper triangle, so the factor is exactly L.
    for i in 0..q {
        for j in i + 1..q {
            a[i * q + j] = 0.0;
        }
    }
    true
}

/// Solves LLᵀx = b.
fn cholesky_solve(l: &[f64], q: usize, b: &[f64]) -> Vec<f64> {
    let mut x = b.to_vec();
    for i in 0..q {
        let mut s = x[i];
        for k in 0..i {
            s -= l[i * q + k] * x[k];
        }
        x[i] = s / l[i * q + i];
    }
    for i in (0..q).rev() {
        let mut s = x[i];
        for k in i + 1..q {
            s -= l[k * q + i] * x[k];
        }
        x[i] = s / l[i * q + i];
    }
    x
}

/// (LLᵀ)⁻¹, full and symmetric: column j solves LLᵀx = e_j (row-major, so both sweeps read rows).
fn cholesky_inverse(l: &[f64], q: usize) -> Vec<f64> {
    let mut lt = vec![0.0; q * q];
    for i in 0..q {
        for k in 0..=i {
            lt[k * q + i] = l[i * q + k];
        }
    }
    let mut inv = vec![0.0; q * q];
    let mut x = vec![0.0; q];
    for j in 0..q {
        // Forward: L y = e_j; y is zero above j.
        x.iter_mut().for_each(|v| *v = 0.0);
        x[j] = 1.0 / l[j * q + j];
        for i in j + 1..q {
            let row = &l[i * q + j..i * q + i];
            let s: f64 = row.iter().zip(&x[j..i]).map(|(a, b)| a * b).sum();
            x[i] = -s / l[i * q + i];
        }
        // Backward: Lᵀ z = y.
        for i in (0..q).rev() {
            let row = &lt[i * q + i + 1..(i + 1) * q];
            let s: f64 = row.iter().zip(&x[i + 1..]).map(|(a, b)| a * b).sum();
            x[i] = (x[i] - s) / lt[i * q + i];
        }
        for i in 0..q {
            inv[i * q + j] = x[i];
        }
    }
    inv
}

/// vᵀAv for a row-major q × q matrix.
fn quadratic_form(a: &[f64], q: usize, v: &[f64]) -> f64 {
    (0..q)
        .map(|i| v[i] * a[i * q..(i + 1) * q].iter().zip(v).map(|(x, y)| x * y).sum::<f64>())
        .sum()
}

/// Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations; values below 10⁻⁹ of the largest are 0.
fn symmetric_eigenvalues(matrix: &[f64], k: usize) -> Vec<f64> {
    let mut a = matrix.to_vec();
    for _sweep in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * k + j] * a[i * k + j])
            .sum();
        let total: f64 = a.iter().map(|v| v * v).sum();
        if off <= 1e-30 * total {
            break;
        }
        for p in 0..k {
            for r in p + 1..k {
                let apr = a[p * k + r];
                if apr == 0.0 {
                    continue;
                }
                let theta = (a[r * k + r] - a[p * k + p]) / (2.0 * apr);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for i in 0..k {
                    let (aip, air) = (a[i * k + p], a[i * k + r]);
                    a[i * k + p] = c * aip - s * air;
                    a[i * k + r] = s * aip + c * air;
                }
                for i in 0..k {
                    let (api, ari) = (a[p * k + i], a[r * k + i]);
                    a[p * k + i] = c * api - s * ari;
                    a[r * k + i] = s * api + c * ari;
                }
            }
        }
    }
    let values: Vec<f64> = (0..k).map(|i| a[i * k + i]).collect();
    let top = values.iter().copied().fold(0.0, f64::max);
    values
        .into_iter()
        .map(|v| if v <= 1e-9 * top { 0.0 } else { v })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn grid(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| (i as f64 / (n - 1) as f64).powi(2) * 7.0 - 2.0)
            .collect()
    }

    #[test]
    fn b_splines_sum_to_one_and_reproduce_a_cubic() {
        let x = grid(301);
        let s = Spline::new(&x, 9);
        assert_eq!(s.len(), 12);
        for &v in &x {
            let (first, b) = s.eval(v);
            assert!(first + 4 <= s.len());
            assert!((b.iter().sum::<f64>() - 1.0).abs() < 1e-12, "partition of unity at {v}");
            assert!(b.iter().all(|&bi| bi >= -1e-15));
        }
    }

    /// Least-squares coefficients of f in the basis (exact when f is a cubic polynomial).
    fn coefficients(s: &Spline, x: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
        let k = s.len();
        let mut rows = Rows::new(x.len(), 4);
        for &v in x {
            let (first, b) = s.eval(v);
            for (j, bj) in b.iter().enumerate() {
                rows.push(first + j, *bj);
            }
            rows.end_row();
        }
        let d = rows.finish(k, Vec::new(), PenaltyTrace::Blocks(Vec::new()), String::new());
        let mut xty = vec![0.0; k];
        for (i, &v) in x.iter().enumerate() {
            d.add_row(i, f(v), &mut xty);
        }
        let mut m = d.gram.clone();
        assert!(cholesky(&mut m, k));
        cholesky_solve(&m, k, &xty)
    }

    #[test]
    fn penalty_is_the_integrated_squared_second_derivative() {
        let x = grid(400);
        let s = Spline::new(&x, 7);
        let omega = s.penalty();
        let k = s.len();
        let quad = |c: &[f64]| -> f64 {
            (0..k)
                .map(|a| (0..k).map(|b| c[a] * omega[a * k + b] * c[b]).sum::<f64>())
                .sum()
        };
        // On the unit scale u = (x + 2)/7: a straight line costs nothing; f = u² has f'' = 2, ∫₀¹ 4 du = 4;
        // f = u³ has f'' = 6u, ∫₀¹ 36u² du = 12.
        let u = |v: f64| (v + 2.0) / 7.0;
        assert!(quad(&coefficients(&s, &x, |v| 3.0 - 5.0 * u(v))).abs() < 1e-8);
        assert!((quad(&coefficients(&s, &x, |v| u(v).powi(2))) - 4.0).abs() < 1e-8);
        assert!((quad(&coefficients(&s, &x, |v| u(v).powi(3))) - 12.0).abs() < 1e-8);
        let ev = symmetric_eigenvalues(&omega, k);
        assert_eq!(
            ev.iter().filter(|&&e| e == 0.0).count(),
            2,
            "null space: constants and lines"
        );
    }

    #[test]
    fn knots_follow_distinct_values_and_survive_ties() {
        // Two distinct values: one cubic segment (four B-splines).
        let s = Spline::new(&[1.0, 1.0, 2.0, 2.0, 1.0], 20);
        assert_eq!(s.len(), 4);
        // Five distinct values heavily tied: at most four segments.
        let x: Vec<f64> = (0..1000).map(|i| (i % 5) as f64).collect();
        assert!(Spline::new(&x, 20).len() <= 7);
    }

    #[test]
    fn linear_algebra_by_hand() {
        // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]]; inverse = [[3, −2], [−2, 4]] / 8.
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        assert!(cholesky(&mut a, 2));
        assert!((a[0] - 2.0).abs() < 1e-15 && (a[2] - 1.0).abs() < 1e-15 && (a[3] - 2f64.sqrt()).abs() < 1e-15);
        let x = cholesky_solve(&a, 2, &[8.0, 7.0]);
        assert!((x[0] - 1.25).abs() < 1e-14 && (x[1] - 1.5).abs() < 1e-14);
        let inv = cholesky_inverse(&a, 2);
        for (got, want) in inv.iter().zip([3.0 / 8.0, -0.25, -0.25, 0.5]) {
            assert!((got - want).abs() < 1e-15);
        }
        assert!(!cholesky(&mut [1.0, 2.0, 2.0, 1.0], 2), "indefinite");
        let mut ev = symmetric_eigenvalues(&[2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0], 3);
        ev.sort_by(f64::total_cmp);
        for (got, want) in ev.iter().zip([1.0, 3.0, 5.0]) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn a_linear_response_without_noise_is_fitted_exactly() {
        // INB = 100·(φ − 0.5): the fit is a straight line and EVPPI equals EVPI.
        let n = 500;
        let phi = Array2::from_shape_fn((n, 1), |(i, _)| i as f64 / (n - 1) as f64);
        let nmb = Array2::from_shape_fn((n, 2), |(i, d)| if d == 0 { 0.0 } else { 100.0 * (phi[[i, 0]] - 0.5) });
        let e = evppi(phi.view(), nmb.view());
        assert!((e.value - e.evpi).abs() < 1e-5 * e.evpi, "{} vs {}", e.value, e.evpi);
        assert!(e.r_squared[0] > 1.0 - 1e-10);
        // No noise, so no regression uncertainty: the standard error is the outer Monte Carlo error alone.
        let h: Vec<f64> = (0..n).map(|i| nmb[[i, 1]].max(0.0)).collect();
        let outer = sd(&h) / (n as f64).sqrt();
        assert!((e.se - outer).abs() < 1e-4 * outer, "{} vs {outer}", e.se);
    }
}
