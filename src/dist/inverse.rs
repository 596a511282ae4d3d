//! Fast inverses of the gamma and beta CDFs, for parameters reached through a copula: Halley's method from a close
//! starting point (Numerical Recipes, 3rd edition, §6.2.1 `invgammp` and §6.4 `invbetai`), which takes 2–4
//! evaluations of the incomplete function where the bracketing search of [`Distribution::quantile`] takes 20–60.
//! Where Halley's method does not settle (shapes at the edge of what the constructors accept), that search answers.
//!
//! Each works in the tail it is given, so an upper-tail probability of 1e-12 is never rounded through 1 − 1e-12.
use super::special::{beta_lower_quantile, beta_reg_known, beta_reg_lanes, gamma_unit_quantile_tail, Logs};
#[cfg(doc)]
use super::Distribution;
use super::LANES;

/// Halley steps tried before falling back to the bracketing search; from these starting points 2–4 suffice.
const MAX_STEPS: usize = 16;

/// Relative size of a Halley step below which the root is taken: the error left after it is of the order of its
/// cube, far below rounding.
const SETTLED: f64 = 1e-12;

/// Roots below this are left to the bracketing search, which answers 0 below e⁻⁷⁰⁰ as [`Distribution::quantile`]
/// does: near the subnormal numbers the density and the step lose their digits.
const TINY: f64 = 1e-290;

/// A standard normal quantile good to about 3·10⁻³, for starting points only (Abramowitz & Stegun 26.2.22).
fn rough_normal_quantile(p: f64) -> f64 {
    let pp = if p < 0.5 { p } else { 1.0 - p };
    let t = (-2.0 * pp.ln()).sqrt();
    let x = t - (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481));
    if p < 0.5 {
        -x
    } else {
        x
    }
}

/// The x with P(shape, x) = `tail` (lower regularised incomplete gamma), or Q(shape, x) = `tail` where `upper`;
/// `ln_gamma` is ln Γ(shape). `tail` must lie in (0, 1).
pub(super) fn gamma_unit_inverse(shape: f64, ln_gamma: f64, tail: f64, upper: bool) -> f64 {
    use statrs::function::gamma::{checked_gamma_lr, checked_gamma_ur};
    let k = shape;
    let a1 = k - 1.0;
    // The lower-tail probability, for the starting point only (where it may have lost digits, that costs a step).
    let p = if upper { 1.0 - tail } else { tail };
    let mut x = if k > 1.0 {
        // Wilson–Hilferty.
        let z = rough_normal_quantile(p);
        (k * (1.0 - 1.0 / (9.0 * k) + z / (3.0 * k.sqrt())).powi(3)).max(1e-3)
    } else {
        // The small-shape tails: P ≈ t·(x)^k below x = 1, an exponential tail above.
        let t = 1.0 - k * (0.253 + k * 0.12);
        if p < t {
            (p / t).powf(1.0 / k)
        } else if upper {
            1.0 - (tail / (1.0 - t)).ln()
        } else {
            1.0 - (1.0 - (p - t) / (1.0 - t)).ln()
        }
    };
    // The density in a form that keeps its digits for large shapes (NR's afac).
    let (ln_a1, density_scale) = if k > 1.0 {
        let l = a1.ln();
        (l, (a1 * (l - 1.0) - ln_gamma).exp())
    } else {
        (0.0, 0.0)
    };
    for _ in 0..MAX_STEPS {
        if !(x > TINY && x.is_finite()) {
            break;
        }
        let err = if upper {
            checked_gamma_ur(k, x).map(|q| tail - q)
        } else {
            checked_gamma_lr(k, x).map(|q| q - tail)
        };
        let Ok(err) = err else { break };
        if err == 0.0 {
            return x;
        }
        let density = if k > 1.0 {
            density_scale * (-(x - a1) + a1 * (x.ln() - ln_a1)).exp()
        } else {
            (-x + a1 * x.ln() - ln_gamma).exp()
        };
        if !(density > 0.0 && density.is_finite()) {
            break;
        }
        let u = err / density;
        let step = u / (1.0 - 0.5 * (u * (a1 / x - 1.0)).min(1.0));
        let mut next = x - step;
        if next <= 0.0 {
            next = 0.5 * x;
        }
        if (next - x).abs() <= SETTLED * next && next > TINY {
            return next;
        }
        x = next;
    }
    gamma_unit_quantile_tail(shape, tail, upper)
}

/// The x ≤ 1/2 with I_x(a, b) = `tail` (the beta CDF), or 1 − I_x(a, b) = `tail` where `upper`; `ln_beta` is
/// ln B(a, b). The caller makes sure the root lies at or below 1/2 (else it asks for the mirrored Beta(b, a)), so x
/// keeps its relative precision however close to 0 it is, and each tail is computed as itself: the upper one as
/// I_{1−x}(b, a), never as 1 − I_x(a, b).
pub(super) fn beta_small_inverse(a: f64, b: f64, ln_beta: f64, tail: f64, upper: bool) -> f64 {
    let root = BetaRoot::new(a, b, ln_beta, tail, upper);
    let mut x = root.start();
    for _ in 0..MAX_STEPS {
        if !root.in_range(x) {
            break;
        }
        let (f, logs, x1) = root.incomplete_args(x);
        match root.step(x, x1, logs, beta_reg_known(f.0, f.1, f.2, f.3, Some(logs))) {
            Step::Root(r) => return r,
            Step::Stuck => break,
            Step::Next(next) => x = next,
        }
    }
    root.searched()
}

/// [`beta_small_inverse`] for [`LANES`] roots of the same Beta(a, b) at once, lane l solving for `tail[l]` in the
/// tail `upper[l]` gives, mirrored (Beta(b, a), ln B the same) where `mirrored[l]`: each lane the same steps, so the
/// same bits, as alone. The incomplete betas of the lanes still stepping are evaluated together
/// ([`beta_reg_lanes`]), where most of the time goes (a copula's beta marginals were over half of the example
/// scenario's what-if run, `perf`).
pub(super) fn beta_small_inverse_lanes(
    (a, b, ln_beta): (f64, f64, f64),
    tail: [f64; LANES],
    upper: [bool; LANES],
    mirrored: [bool; LANES],
) -> [f64; LANES] {
    let roots: [BetaRoot; LANES] = std::array::from_fn(|l| {
        let (a, b) = if mirrored[l] { (b, a) } else { (a, b) };
        BetaRoot::new(a, b, ln_beta, tail[l], upper[l])
    });
    let mut x: [f64; LANES] = std::array::from_fn(|l| roots[l].start());
    // Per lane: None while it steps; then its root, or None inside where it is left to the bracketing search.
    let mut found: [Option<Option<f64>>; LANES] = [None; LANES];
    for _ in 0..MAX_STEPS {
        let mut stepping = [false; LANES];
        let mut args = [(f64::NAN, f64::NAN, f64::NAN, f64::NAN); LANES];
        let mut x1 = [f64::NAN; LANES];
        // Read only for the lanes stepping, which set theirs.
        let unset = Logs {
            ln_x: f64::NAN,
            ln_x1: f64::NAN,
            ln_beta: f64::NAN,
        };
        let mut logs = [unset; LANES];
        for l in 0..LANES {
            if found[l].is_some() {
                continue;
            }
            if roots[l].in_range(x[l]) {
                stepping[l] = true;
                let (lane_args, lane_logs, lane_x1) = roots[l].incomplete_args(x[l]);
                (args[l], logs[l], x1[l]) = (lane_args, lane_logs, lane_x1);
            } else {
                found[l] = Some(None);
            }
        }
        if !stepping.contains(&true) {
            break;
        }
        let incomplete = beta_reg_lanes(args, logs, stepping);
        for l in (0..LANES).filter(|&l| stepping[l]) {
            match roots[l].step(x[l], x1[l], logs[l], incomplete[l]) {
                Step::Root(r) => found[l] = Some(Some(r)),
                Step::Stuck => found[l] = Some(None),
                Step::Next(next) => x[l] = next,
            }
        }
    }
    std::array::from_fn(|l| match found[l] {
        Some(Some(r)) => r,
        _ => roots[l].searched(),
    })
}

/// One beta root for [`beta_small_inverse`]: the shapes, ln B(a, b), the tail given and which one it is.
struct BetaRoot {
    a: f64,
    b: f64,
    ln_beta: f64,
    tail: f64,
    upper: bool,
    /// The lower-tail probability, for the starting point and the bracketing search only.
    p: f64,
}

/// What a Halley step found: the root, no way on (left to the bracketing search), or the next point.
enum Step {
    Root(f64),
    Stuck,
    Next(f64),
}

impl BetaRoot {
    fn new(a: f64, b: f64, ln_beta: f64, tail: f64, upper: bool) -> BetaRoot {
        let p = if upper { 1.0 - tail } else { tail };
        BetaRoot {
            a,
            b,
            ln_beta,
            tail,
            upper,
            p,
        }
    }

    /// The starting point.
    fn start(&self) -> f64 {
        let (a, b, p) = (self.a, self.b, self.p);
        if a >= 1.0 && b >= 1.0 {
            // A normal approximation on a transformed scale (Abramowitz & Stegun 26.5.22), in their sign
            // convention: y is the upper-tail normal quantile.
            let y = -rough_normal_quantile(p);
            let al = (y * y - 3.0) / 6.0;
            let h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0));
            let w = y * (al + h).sqrt() / h
                - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (al + 5.0 / 6.0 - 2.0 / (3.0 * h));
            a / (a + b * (2.0 * w).exp())
        } else {
            // The two power-law ends of a beta with a shape below 1.
            let (ln_a, ln_b) = ((a / (a + b)).ln(), (b / (a + b)).ln());
            let t = (a * ln_a).exp() / a;
            let u = (b * ln_b).exp() / b;
            let w = t + u;
            if p < t / w {
                (a * w * p).powf(1.0 / a)
            } else {
                1.0 - (b * w * (1.0 - p)).powf(1.0 / b)
            }
        }
    }

    /// Whether Halley's method may step from `x`.
    fn in_range(&self, x: f64) -> bool {
        x > TINY && x < 1.0
    }

    /// The incomplete beta's arguments at `x` for the tail given (I_{1−x}(b, a) for the upper one) with their
    /// logarithms, and 1 − x. The step's density needs the same logarithms ([`BetaRoot::logs_at_root`]).
    fn incomplete_args(&self, x: f64) -> ((f64, f64, f64, f64), Logs, f64) {
        let x1 = 1.0 - x;
        let (ln_x, ln_x1) = (x.ln(), x1.ln());
        let ln_beta = self.ln_beta;
        if self.upper {
            let logs = Logs {
                ln_x: ln_x1,
                ln_x1: ln_x,
                ln_beta,
            };
            ((self.b, self.a, x1, x), logs, x1)
        } else {
            let logs = Logs { ln_x, ln_x1, ln_beta };
            ((self.a, self.b, x, x1), logs, x1)
        }
    }

    /// ln x and ln(1 − x) of the root's `x`, from the logarithms [`BetaRoot::incomplete_args`] gave.
    fn logs_at_root(&self, logs: Logs) -> (f64, f64) {
        if self.upper {
            (logs.ln_x1, logs.ln_x)
        } else {
            (logs.ln_x, logs.ln_x1)
        }
    }

    /// A Halley step from `x` (`x1` = 1 − x), `incomplete` being the incomplete beta [`BetaRoot::incomplete_args`]
    /// asks for, with the logarithms it gave.
    fn step(&self, x: f64, x1: f64, logs: Logs, incomplete: f64) -> Step {
        let (a1, b1) = (self.a - 1.0, self.b - 1.0);
        // I_x(a, b) − p, from whichever tail was given.
        let err = if self.upper {
            self.tail - incomplete
        } else {
            incomplete - self.tail
        };
        if err == 0.0 {
            return Step::Root(x);
        }
        let (ln_x, ln_x1) = self.logs_at_root(logs);
        let density = (a1 * ln_x + b1 * ln_x1 - self.ln_beta).exp();
        if !(density > 0.0 && density.is_finite() && err.is_finite()) {
            return Step::Stuck;
        }
        let u = err / density;
        let step = u / (1.0 - 0.5 * (u * (a1 / x - b1 / x1)).min(1.0));
        let mut next = x - step;
        if next <= 0.0 {
            next = 0.5 * x;
        } else if next >= 1.0 {
            next = 0.5 * (x + 1.0);
        }
        if (next - x).abs() <= SETTLED * next && next > TINY {
            return Step::Root(next);
        }
        Step::Next(next)
    }

    /// The root by the bracketing search, where Halley's method did not settle.
    fn searched(&self) -> f64 {
        beta_lower_quantile(self.a, self.b, self.p)
    }
}
