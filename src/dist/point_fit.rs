//! Fits that keep a published point estimate (a mean, or a median where the source says so) and match its 95%
//! interval as closely as the family allows.
//!
//! The criterion: with the point fixed, one parameter is left (the spread), chosen to minimise the sum of squared
//! differences between the fitted and the published 2.5th and 97.5th percentiles, measured on the scale the family
//! is natural on: the value itself for a normal, its logarithm for a lognormal or gamma, its logit for a beta. On
//! those scales the closed forms agree with the usual hand methods: a normal's sd is (high − low)/3.92 and a
//! lognormal's median and interval give μ = ln median, σ = (ln high − ln low)/3.92.
use super::checks::{check_finite, check_ordered, fail, num};
use super::roots::{bracket_and_solve, minimise};
use super::special::{beta_cdf, logit, sigmoid};
use super::{Distribution, FitError, P_HIGH, P_LOW, Z_975};

/// How far a fitted 95% limit may miss the published one before carecast warns, as a share of the published
/// interval's width (high − low): 5%, which covers limits rounded to two significant figures (an odds ratio of
/// 0.90 with 0.75–1.07 misses by 1–2%) but not a family that cannot take the interval's shape.
pub const INTERVAL_TOLERANCE: f64 = 0.05;

/// Scan points and golden-section tolerance of the search for the spread (on the log of the spread parameter).
const SCAN_POINTS: usize = 33;
const SCAN_HALF_WIDTH: f64 = 4.0;
const SEARCH_TOL: f64 = 1e-9;

/// The point estimate a published summary gives beside its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Point {
    /// The mean (the usual reading of a published estimate).
    Mean(f64),
    /// The median (as a ratio estimated on the log scale is).
    Median(f64),
}

impl Point {
    /// The value.
    pub fn value(&self) -> f64 {
        match *self {
            Point::Mean(v) | Point::Median(v) => v,
        }
    }

    /// "mean" or "median".
    pub fn name(&self) -> &'static str {
        match self {
            Point::Mean(_) => "mean",
            Point::Median(_) => "median",
        }
    }
}

/// A distribution fitted to a point estimate and a 95% interval, with the 95% interval it has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointFit {
    /// The fitted distribution: its mean (or median) is the point.
    pub distribution: Distribution,
    /// Its 2.5th percentile.
    pub low: f64,
    /// Its 97.5th percentile.
    pub high: f64,
}

impl PointFit {
    /// The larger of the two limits' misses, as a share of the published interval's width.
    pub fn miss(&self, low: f64, high: f64) -> f64 {
        (self.low - low).abs().max((self.high - high).abs()) / (high - low)
    }

    /// A sentence for the analyst when a fitted limit misses the published one by more than
    /// [`INTERVAL_TOLERANCE`] of the interval's width; None when both are within it.
    pub fn warning(&self, point: Point, low: f64, high: f64) -> Option<String> {
        let miss = self.miss(low, high);
        if miss <= INTERVAL_TOLERANCE {
            return None;
        }
        let family = match self.distribution {
            Distribution::Normal { .. } => "normal",
            Distribution::LogNormal { .. } => "lognormal",
            Distribution::Gamma { .. } => "gamma",
            Distribution::Beta { .. } => "beta",
            _ => "distribution",
        };
        Some(format!(
            "the closest {family} with {} {} has the 95% interval {} to {}, not the published {} to {}: a limit is \
             off by {:.0}% of the interval's width (more than the {:.0}% tolerance), because no {family} with this \
             {} has that interval. Check the figures, or use a family that can take the interval's shape",
            point.name(),
            num(point.value()),
            num(self.low),
            num(self.high),
            num(low),
            num(high),
            100.0 * miss,
            100.0 * INTERVAL_TOLERANCE,
            point.name(),
        ))
    }
}

/// Checks the point and interval: finite, low < high, and the point strictly inside.
fn check_point(what: &str, point: Point, low: f64, high: f64) -> Result<(), FitError> {
    check_finite(
        what,
        &[
            (point.name(), point.value()),
            ("the lower limit", low),
            ("the upper limit", high),
        ],
    )?;
    check_ordered(what, "the lower limit", low, "the upper limit", high)?;
    let v = point.value();
    if v <= low || v >= high {
        return fail(format!(
            "{what}: the {} {} does not lie inside its 95% interval {} to {}. Check that the point and the \
             interval describe the same quantity, in the same units.",
            point.name(),
            num(v),
            num(low),
            num(high)
        ));
    }
    Ok(())
}

/// Builds the fit, checking that it kept the point and has a finite interval.
fn finish(what: &str, d: Distribution, point: Point) -> Result<PointFit, FitError> {
    let kept = match point {
        Point::Mean(_) => d.mean(),
        Point::Median(_) => d.quantile(0.5),
    };
    let (low, high) = (d.quantile(P_LOW), d.quantile(P_HIGH));
    if (kept - point.value()).abs() > 1e-9 * point.value().abs() || !low.is_finite() || !high.is_finite() {
        return fail(format!(
            "{what}: the fit did not converge (it has {} {} and 95% interval {} to {}); please report these figures",
            point.name(),
            num(kept),
            num(low),
            num(high)
        ));
    }
    Ok(PointFit {
        distribution: d,
        low,
        high,
    })
}

/// Minimises `objective` over t (the log of the spread parameter) in `[min_t, max_t]`, scanning a window around
/// `t0` and moving it while the best value lies on its edge.
fn best_spread(objective: impl FnMut(f64) -> f64, t0: f64, min_t: f64, max_t: f64) -> Option<f64> {
    let mut objective = objective;
    let mut centre = t0.clamp(min_t, max_t);
    for _ in 0..8 {
        let (lo, hi) = (
            (centre - SCAN_HALF_WIDTH).max(min_t),
            (centre + SCAN_HALF_WIDTH).min(max_t),
        );
        let (t, _) = minimise(&mut objective, lo, hi, SCAN_POINTS, SEARCH_TOL)?;
        let at_edge = (t - lo < 0.5 && lo > min_t) || (hi - t < 0.5 && hi < max_t);
        if !at_edge {
            return Some(t);
        }
        centre = t;
    }
    Some(centre)
}

/// Squared distance of the fitted limits from the published ones on the scale `g`; infinity where undefined.
fn squared_miss(d: Option<Distribution>, g: impl Fn(f64) -> f64, low: f64, high: f64) -> f64 {
    match d {
        Some(d) => {
            let s = (g(d.quantile(P_LOW)) - g(low)).powi(2) + (g(d.quantile(P_HIGH)) - g(high)).powi(2);
            if s.is_finite() {
                s
            } else {
                f64::INFINITY
            }
        }
        None => f64::INFINITY,
    }
}

impl Distribution {
    /// Normal with the point as its mean (a normal's median is its mean) and sd = (high − low)/3.92: the least
    /// squares choice, which puts the interval's width where the point says.
    pub fn normal_from_point(point: Point, low: f64, high: f64) -> Result<PointFit, FitError> {
        let what = "Normal from a point estimate and a 95% interval";
        check_point(what, point, low, high)?;
        let d = Self::normal(point.value(), (high - low) / (2.0 * Z_975))?;
        finish(what, d, point)
    }

    /// Lognormal keeping the point: a median gives μ = ln median and σ = (ln high − ln low)/3.92 in closed form
    /// (exact when the interval is symmetric on the log scale, as a published ratio's is); a mean gives
    /// μ = ln mean − σ²/2 with σ by least squares on the log scale.
    pub fn lognormal_from_point(point: Point, low: f64, high: f64) -> Result<PointFit, FitError> {
        let what = "Lognormal from a point estimate and a 95% interval";
        check_point(what, point, low, high)?;
        positive_interval(what, low)?;
        let (ll, lh) = (low.ln(), high.ln());
        let sigma0 = (lh - ll) / (2.0 * Z_975);
        let d = match point {
            Point::Median(m) => Self::lognormal(m.ln(), sigma0)?,
            Point::Mean(m) => {
                let at = |t: f64| {
                    let s = t.exp();
                    let mu = m.ln() - 0.5 * s * s;
                    (mu - Z_975 * s - ll).powi(2) + (mu + Z_975 * s - lh).powi(2)
                };
                let t = best_spread(at, sigma0.ln(), -30.0, 5.0).ok_or_else(|| not_converged(what))?;
                let s = t.exp();
                Self::lognormal(m.ln() - 0.5 * s * s, s)?
            }
        };
        finish(what, d, point)
    }

    /// Gamma keeping the point (shape k free, the scale following from the point), with k by least squares on the
    /// log scale.
    pub fn gamma_from_point(point: Point, low: f64, high: f64) -> Result<PointFit, FitError> {
        let what = "Gamma from a point estimate and a 95% interval";
        check_point(what, point, low, high)?;
        positive_interval(what, low)?;
        let m = point.value();
        let with_shape = |k: f64| -> Option<Distribution> {
            let scale = match point {
                Point::Mean(_) => m / k,
                Point::Median(_) => m / Self::gamma(k, 1.0).ok()?.quantile(0.5),
            };
            Self::gamma(k, scale).ok()
        };
        let t0 = (2.0 * Z_975 / (high / low).ln()).powi(2).ln();
        let objective = |t: f64| squared_miss(with_shape(t.exp()), f64::ln, low, high);
        let t = best_spread(objective, t0, 0.01f64.ln(), 1e10f64.ln()).ok_or_else(|| not_converged(what))?;
        let d = with_shape(t.exp()).ok_or_else(|| not_converged(what))?;
        finish(what, d, point)
    }

    /// Beta keeping the point (concentration α + β free, the mean following from the point), with α + β by least
    /// squares on the logit scale.
    pub fn beta_from_point(point: Point, low: f64, high: f64) -> Result<PointFit, FitError> {
        let what = "Beta from a point estimate and a 95% interval";
        check_point(what, point, low, high)?;
        if low <= 0.0 || high >= 1.0 {
            return fail(format!(
                "{what}: the limits are {} and {}, but a beta describes a proportion, so both limits must lie \
                 strictly between 0 and 1.",
                num(low),
                num(high)
            ));
        }
        let m = point.value();
        let with_concentration = |c: f64| -> Option<Distribution> {
            let mean = match point {
                Point::Mean(_) => m,
                Point::Median(_) => sigmoid(beta_mean_for_median(c, m)?),
            };
            Self::beta(mean * c, (1.0 - mean) * c).ok()
        };
        let sd0 = (high - low) / (2.0 * Z_975);
        let c0 = (m * (1.0 - m) / (sd0 * sd0) - 1.0).max(1e-2);
        let objective = |t: f64| squared_miss(with_concentration(t.exp()), logit, low, high);
        let t = best_spread(objective, c0.ln(), 1e-3f64.ln(), 1e10f64.ln()).ok_or_else(|| not_converged(what))?;
        let d = with_concentration(t.exp()).ok_or_else(|| not_converged(what))?;
        finish(what, d, point)
    }
}

/// Rejects a lower limit at or below zero for a family of positive values.
fn positive_interval(what: &str, low: f64) -> Result<(), FitError> {
    if low > 0.0 {
        Ok(())
    } else {
        fail(format!(
            "{what}: the lower limit is {}, but this distribution only takes positive values, so the lower limit \
             must be greater than 0. For an interval that includes zero or negative values, use a normal distribution.",
            num(low)
        ))
    }
}

fn not_converged(what: &str) -> FitError {
    FitError(format!(
        "{what}: the search for the spread did not converge; please report these figures"
    ))
}

/// Logit of the mean of the beta with concentration `c` whose median is `median`.
fn beta_mean_for_median(c: f64, median: f64) -> Option<f64> {
    // The cdf at the median falls as the mean rises, from 1 to 0, so a root always exists.
    let residual = |s: f64| beta_cdf(sigmoid(s) * c, sigmoid(-s) * c, median) - 0.5;
    bracket_and_solve(residual, logit(median), false, -700.0, 700.0, 0.5, 1e-15)
}
