//! Special functions: gamma and beta quantiles, the regularised incomplete beta, and the small transforms the
//! numeric fits search on.
use super::roots::bracket_and_solve;
use super::LANES;

/// Standard deviation of Beta(a, b).
pub(super) fn beta_sd(a: f64, b: f64) -> f64 {
    let s = a + b;
    (a * b / (s * s * (s + 1.0))).sqrt()
}

/// Logistic transform, so the beta mean can be searched on an unbounded scale.
pub(super) fn sigmoid(s: f64) -> f64 {
    1.0 / (1.0 + (-s).exp())
}

/// Inverse of `sigmoid`.
pub(super) fn logit(m: f64) -> f64 {
    (m / (1.0 - m)).ln()
}

/// Maps a root-finding residual to a finite value, keeping its sign, so an underflowed tail probability (ln 0)
/// still tells the bracket search which way to go; NaN stays NaN.
pub(super) fn finite_residual(g: f64) -> f64 {
    if g.is_nan() {
        g
    } else {
        g.clamp(-1e300, 1e300)
    }
}

/// Standard normal quantile, used for starting points.
fn z_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

/// The standard normal distribution's lower and upper tail probabilities at z, (Φ(z), Φ(−z)), each to full
/// relative precision: the smaller one is never found as 1 minus the larger.
pub(super) fn normal_tails(z: f64) -> (f64, f64) {
    use statrs::function::erf::erfc;
    let x = z * std::f64::consts::FRAC_1_SQRT_2;
    (0.5 * erfc(-x), 0.5 * erfc(x))
}

/// Quantile of Gamma(shape, scale = 1), solved on the log scale against the tail probability's logarithm.
///
/// statrs' own `Gamma::inverse_cdf` is not used: its search stops near 9.3e-10, so below shape ≈ 0.2 the 2.5th
/// percentile comes out wrong (shape 0.1: 9.3e-10 for a true 5.8e-17). Its incomplete gamma functions are
/// accurate and are used.
pub(super) fn gamma_unit_quantile(shape: f64, p: f64) -> f64 {
    if !(shape > 0.0 && shape.is_finite() && (0.0..=1.0).contains(&p)) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // Solve in whichever tail holds p, so a 97.5th percentile is not found from 1 − 0.025 with lost digits.
    let lower = p <= 0.5;
    let ln_tail = if lower { p.ln() } else { (-p).ln_1p() };
    gamma_unit_quantile_solve(shape, z_quantile(p), ln_tail, lower)
}

/// The x at which Gamma(shape, 1) has lower tail probability `tail` (or upper, where `upper`): the quantile at
/// `tail` or at 1 − `tail`, with the upper tail's probability given as it is, so no digits are lost forming 1 − p.
pub(super) fn gamma_unit_quantile_tail(shape: f64, tail: f64, upper: bool) -> f64 {
    if !(shape > 0.0 && shape.is_finite() && (0.0..=1.0).contains(&tail)) {
        return f64::NAN;
    }
    if tail == 0.0 {
        return if upper { f64::INFINITY } else { 0.0 };
    }
    if tail == 1.0 {
        return if upper { 0.0 } else { f64::INFINITY };
    }
    let z = if upper { -z_quantile(tail) } else { z_quantile(tail) };
    gamma_unit_quantile_solve(shape, z, tail.ln(), !upper)
}

/// The root search of [`gamma_unit_quantile`]: `z`, the standard normal quantile at the same probability (for the
/// starting point), and the logarithm of the tail probability the root must give, in the lower tail where `lower`,
/// else in the upper.
fn gamma_unit_quantile_solve(shape: f64, z: f64, ln_tail: f64, lower: bool) -> f64 {
    use statrs::function::gamma::{checked_gamma_lr, checked_gamma_ur, ln_gamma};
    let residual = |y: f64| {
        let x = y.exp();
        let tail = if lower {
            checked_gamma_lr(shape, x)
        } else {
            checked_gamma_ur(shape, x)
        };
        match tail {
            Ok(t) if lower => finite_residual(t.ln() - ln_tail),
            Ok(t) => finite_residual(ln_tail - t.ln()),
            Err(_) => f64::NAN,
        }
    };
    // Wilson–Hilferty is close for moderate shapes; for small ones the lower tail is ≈ x^k / Γ(k+1).
    let wh = shape * (1.0 - 1.0 / (9.0 * shape) + z / (3.0 * shape.sqrt())).powi(3);
    let start = if wh > 0.0 {
        wh.ln()
    } else {
        (ln_tail + ln_gamma(shape + 1.0)) / shape
    };
    let step = (1.0 / shape.sqrt()).min(0.5);
    let (min_y, max_y) = (-700.0, 700.0);
    match bracket_and_solve(residual, start.clamp(min_y, max_y), true, min_y, max_y, step, 1e-15) {
        Some(y) => y.exp(),
        // The quantile lies below e^-700 (a tiny shape and a small p): 0 is correct to double precision.
        None if lower && residual(min_y) > 0.0 => 0.0,
        None => f64::NAN,
    }
}

/// Regularised incomplete beta I_x(a, b), given both x and 1 − x so callers working on the logit scale lose no digits.
///
/// Written here because statrs' `beta_reg` caps its continued fraction at 140 terms, which is too few beyond
/// α or β ≈ 10⁴ (the fraction needs O(√max(α, β)) terms), and its `inv_beta_reg` can loop forever (e.g. α = 3.36,
/// β = 7.8·10⁷).
pub(super) fn beta_reg(a: f64, b: f64, x: f64, x1: f64) -> f64 {
    beta_reg_known(a, b, x, x1, None)
}

/// [`beta_reg`] with ln x, ln(1 − x) and ln B(a, b) given where the caller has them already: the same bits.
pub(super) fn beta_reg_known(a: f64, b: f64, x: f64, x1: f64, logs: Option<Logs>) -> f64 {
    match beta_reg_case(a, b, x, x1) {
        BetaReg::Value(v) => v,
        BetaReg::Fraction(f) => f.finish(beta_reg_cf(&f, logs)),
    }
}

/// ln x, ln(1 − x) and ln B(a, b) of an incomplete beta's arguments as its caller gives them (before any mirroring),
/// where the caller has them already: the numbers [`Lentz::start`] would compute, so the same bits. A copula's beta
/// marginal solves for its root with these at hand; handed them rather than recomputing them (ln B is three ln Γ,
/// each with two logarithms), the example scenario's what-if took 0.90 of the time (30 alternated rounds, 2026-12-07).
#[derive(Clone, Copy)]
pub(super) struct Logs {
    pub(super) ln_x: f64,
    pub(super) ln_x1: f64,
    /// ln B(a, b), the same for B(b, a): ln Γ(a) + ln Γ(b) − ln Γ(a + b) is symmetric to the bit.
    pub(super) ln_beta: f64,
}

/// How [`beta_reg`] answers: at once, or from a continued fraction (of I_x(a, b), or of its mirror I_{1−x}(b, a)).
pub(super) enum BetaReg {
    Value(f64),
    Fraction(Fraction),
}

/// The continued fraction [`beta_reg`] evaluates: of I_x(a, b) itself, or of its mirror I_{1−x}(b, a).
#[derive(Clone, Copy)]
pub(super) struct Fraction {
    a: f64,
    b: f64,
    x: f64,
    x1: f64,
    mirrored: bool,
}

impl Fraction {
    /// I_x(a, b) from the fraction's value `cf`.
    #[inline(always)]
    pub(super) fn finish(self, cf: f64) -> f64 {
        if self.mirrored {
            1.0 - cf
        } else {
            cf
        }
    }
}

/// [`beta_reg`]'s answer where no fraction is needed, else the fraction to evaluate.
#[inline(always)]
pub(super) fn beta_reg_case(a: f64, b: f64, x: f64, x1: f64) -> BetaReg {
    if !(a > 0.0 && b > 0.0) || x.is_nan() || x1.is_nan() {
        return BetaReg::Value(f64::NAN);
    }
    if x <= 0.0 {
        return BetaReg::Value(0.0);
    }
    if x1 <= 0.0 {
        return BetaReg::Value(1.0);
    }
    // The continued fraction converges fast below the mean-like point (a+1)/(a+b+2); use symmetry above it.
    let fraction = if x > (a + 1.0) / (a + b + 2.0) {
        Fraction {
            a: b,
            b: a,
            x: x1,
            x1: x,
            mirrored: true,
        }
    } else {
        Fraction {
            a,
            b,
            x,
            x1,
            mirrored: false,
        }
    };
    BetaReg::Fraction(fraction)
}

const TINY: f64 = 1e-300;

/// The modified Lentz method's state for the fraction of I_x(a, b) (see [`beta_reg_cf`]): its prefactor, the
/// running C, D and product h, and its cap on terms.
#[derive(Clone, Copy)]
pub(super) struct Lentz {
    front: f64,
    a: f64,
    b: f64,
    x: f64,
    c: f64,
    d: f64,
    h: f64,
    max_terms: usize,
}

impl Lentz {
    /// The state before the first term; None where the prefactor is 0 (and so is the answer).
    #[inline(always)]
    pub(super) fn start(f: &Fraction, logs: Option<Logs>) -> Option<Lentz> {
        let (a, b, x, x1) = (f.a, f.b, f.x, f.x1);
        let (ln_x, ln_x1, ln_beta) = match logs {
            // The fraction's x is the caller's 1 − x where it is mirrored.
            Some(l) if f.mirrored => (l.ln_x1, l.ln_x, l.ln_beta),
            Some(l) => (l.ln_x, l.ln_x1, l.ln_beta),
            None => (x.ln(), x1.ln(), statrs::function::beta::ln_beta(a, b)),
        };
        let front = (a * ln_x + b * ln_x1 - ln_beta).exp() / a;
        if front == 0.0 {
            return None;
        }
        let (qab, qap) = (a + b, a + 1.0);
        let mut d = 1.0 - qab * x / qap;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        Some(Lentz {
            front,
            a,
            b,
            x,
            c: 1.0,
            d,
            h: d,
            // O(√max(a, b)) terms are needed; the cap only guarantees termination.
            max_terms: 1000 + (20.0 * a.max(b).sqrt()).min(1e7) as usize,
        })
    }

    /// Adds term `m` (from 1); true when the fraction has converged or reached its cap.
    #[inline(always)]
    pub(super) fn term(&mut self, m: usize) -> bool {
        (self.c, self.d, self.h) = lentz_term((self.a, self.b, self.x), (self.c, self.d, self.h), m as f64);
        (self.d * self.c - 1.0).abs() <= 1e-16 || m == self.max_terms
    }

    /// The fraction's value so far.
    #[inline(always)]
    pub(super) fn value(&self) -> f64 {
        self.front * self.h
    }
}

/// I_x(a, b) = x^a (1−x)^b / (a·B(a, b)) · CF, with CF evaluated by the modified Lentz method (Numerical Recipes' betacf),
/// for the fraction's own arguments (mirrored or not).
fn beta_reg_cf(fraction: &Fraction, logs: Option<Logs>) -> f64 {
    let Some(mut lentz) = Lentz::start(fraction, logs) else {
        return 0.0;
    };
    let mut m = 1;
    while !lentz.term(m) {
        m += 1;
    }
    lentz.value()
}

/// [`beta_reg_known`] for [`LANES`] arguments at once, each with its logarithms (lanes not `on` are left NaN): each lane
/// the same steps, so the same bits, as alone.
pub(super) fn beta_reg_lanes(
    args: [(f64, f64, f64, f64); LANES],
    logs: [Logs; LANES],
    on: [bool; LANES],
) -> [f64; LANES] {
    let mut out = [f64::NAN; LANES];
    let mut fractions: [Option<Lentz>; LANES] = [None; LANES];
    // Each fraction's lane, to turn its value into I_x (mirrored or not).
    let mut of_lane = [None; LANES];
    for l in (0..LANES).filter(|&l| on[l]) {
        let (a, b, x, x1) = args[l];
        match beta_reg_case(a, b, x, x1) {
            BetaReg::Value(v) => out[l] = v,
            BetaReg::Fraction(f) => match Lentz::start(&f, Some(logs[l])) {
                Some(lentz) => (fractions[l], of_lane[l]) = (Some(lentz), Some(f)),
                None => out[l] = f.finish(0.0),
            },
        }
    }
    let values = fractions_lanes(&fractions);
    for l in 0..LANES {
        if let Some(f) = of_lane[l] {
            out[l] = f.finish(values[l]);
        }
    }
    out
}

/// C, D and h after term `m` of the fraction of I_x(a, b), from their values before it: the modified Lentz method's
/// two half-steps. One function for [`Lentz::term`] and [`fractions_lanes`], so that both do the same arithmetic;
/// written with selects rather than branches so that the lanes' loop becomes vector instructions.
#[inline(always)]
fn lentz_term((a, b, x): (f64, f64, f64), (mut c, mut d, mut h): (f64, f64, f64), m: f64) -> (f64, f64, f64) {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let m2 = 2.0 * m;
    for aa in [
        m * (b - m) * x / ((qam + m2) * (a + m2)),
        -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
    ] {
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
    }
    (c, d, h)
}

/// The continued fractions of [`beta_reg_lanes`], a term at a time for every lane together, each lane stopping where
/// [`Lentz::term`] would alone: the same operations on arrays of lanes, with no branch but which lanes still go on,
/// so that they become vector instructions. Each fraction is a chain of dependent divisions; one lane alone waits
/// on each in turn, where eight go through the divider together.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn fractions_lanes(start: &[Option<Lentz>; LANES]) -> [f64; LANES] {
    let mut live = [false; LANES];
    let (mut a, mut b, mut x) = ([1.0; LANES], [1.0; LANES], [0.0; LANES]);
    let (mut c, mut d, mut h, mut front) = ([1.0; LANES], [1.0; LANES], [1.0; LANES], [0.0; LANES]);
    let mut max_terms = [0; LANES];
    for (l, s) in start.iter().enumerate() {
        if let Some(s) = s {
            live[l] = true;
            (a[l], b[l], x[l]) = (s.a, s.b, s.x);
            (c[l], d[l], h[l], front[l], max_terms[l]) = (s.c, s.d, s.h, s.front, s.max_terms);
        }
    }
    let mut out = [f64::NAN; LANES];
    let mut m = 1;
    while live.contains(&true) {
        let mf = m as f64;
        let mut done = [false; LANES];
        for l in 0..LANES {
            let (cl, dl, hl) = lentz_term((a[l], b[l], x[l]), (c[l], d[l], h[l]), mf);
            // Lanes that have stopped keep their values.
            c[l] = if live[l] { cl } else { c[l] };
            d[l] = if live[l] { dl } else { d[l] };
            h[l] = if live[l] { hl } else { h[l] };
            done[l] = live[l] && ((dl * cl - 1.0).abs() <= 1e-16 || m == max_terms[l]);
        }
        for l in 0..LANES {
            if done[l] {
                out[l] = front[l] * h[l];
                live[l] = false;
            }
        }
        m += 1;
    }
    out
}

/// Beta(a, b) CDF at x; NaN for invalid shapes instead of a panic.
pub(super) fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    beta_reg(a, b, x, 1.0 - x)
}

/// Quantile of Beta(a, b): the upper half is taken from the mirrored distribution so both tails keep their precision.
pub(super) fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() && (0.0..=1.0).contains(&p)) {
        return f64::NAN;
    }
    if p > 0.5 {
        1.0 - beta_lower_quantile(b, a, 1.0 - p)
    } else {
        beta_lower_quantile(a, b, p)
    }
}

/// Quantile of Beta(a, b) for p ≤ 0.5, solved on the logit scale against ln I_x(a, b).
pub(super) fn beta_lower_quantile(a: f64, b: f64, p: f64) -> f64 {
    if p == 0.0 {
        return 0.0;
    }
    let ln_p = p.ln();
    let residual = |y: f64| finite_residual(beta_reg(a, b, sigmoid(y), sigmoid(-y)).ln() - ln_p);
    // Normal approximation where it stays inside (0, 1); otherwise the small-x tail I_x ≈ x^a / (a·B(a, b)).
    let (mean, sd) = (a / (a + b), beta_sd(a, b));
    let guess = mean + z_quantile(p) * sd;
    let start = if guess > 0.0 && guess < 1.0 {
        logit(guess)
    } else {
        (ln_p + a.ln() + statrs::function::beta::ln_beta(a, b)) / a
    };
    let step = (sd / (mean * (1.0 - mean))).clamp(1e-6, 0.5);
    let (min_y, max_y) = (-700.0, 700.0);
    match bracket_and_solve(residual, start.clamp(min_y, max_y), true, min_y, max_y, step, 1e-15) {
        Some(y) => sigmoid(y),
        // Below e^-700 (tiny a): 0 is correct to double precision.
        None if residual(min_y) > 0.0 => 0.0,
        None => f64::NAN,
    }
}
