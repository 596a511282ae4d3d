//! Parameter distributions: validated construction from native parameters, moments, a 95% interval or a point
//! estimate with its interval; fast sampling; and correlated sampling through a Gaussian copula.
mod checks;
mod copula;
mod dirichlet;
mod fit;
mod inverse;
mod lanes;
mod point_fit;
mod properties;
mod roots;
mod sample;
mod special;
mod ziggurat;
mod ziggurat_tables;

pub use copula::{CorrelationFactor, Marginal, MatrixError};
pub use dirichlet::Dirichlet;
pub use lanes::{LaneRng, LANES};
pub use point_fit::{Point, PointFit, INTERVAL_TOLERANCE};
pub use sample::Sampler;

use checks::{check_finite, check_mode, check_ordered, check_positive, check_spread, fail, num};
// The lane samplers reach the scalar samplers' internals through here, as `super::...`.
use sample::{ratio_from_logs, BetaCore, GammaCore, Kind};

/// Standard normal 97.5th percentile, to full double precision: published 95% intervals use 1.96, but
/// rounding it would make a fitted distribution miss the interval it was fitted to.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Lower tail probability of a published 95% interval.
const P_LOW: f64 = 0.025;
/// Upper tail probability of a published 95% interval.
const P_HIGH: f64 = 0.975;

/// A univariate parameter distribution with validated parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// A known value with no uncertainty.
    Fixed(f64),
    /// Every value in `[low, high)` equally likely.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound, above `low`.
        high: f64,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, above 0.
        sd: f64,
    },
    /// exp(Normal(meanlog, sdlog)): the parameters are on the log scale.
    LogNormal {
        /// Mean of the logarithm (the log of the median).
        meanlog: f64,
        /// Standard deviation of the logarithm, above 0.
        sdlog: f64,
    },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma {
        /// Shape k, above 0.
        shape: f64,
        /// Scale θ, above 0 (the reciprocal of the rate).
        scale: f64,
    },
    /// Beta with shape parameters α and β (mean α/(α+β)).
    Beta {
        /// α, above 0 (pseudo-count of successes).
        alpha: f64,
        /// β, above 0 (pseudo-count of failures).
        beta: f64,
    },
    /// Triangular on `[min, max]` with its peak at `mode`.
    Triangular {
        /// Lowest value.
        min: f64,
        /// Most likely value, within `[min, max]`.
        mode: f64,
        /// Highest value, above `min`.
        max: f64,
    },
    /// Beta-PERT: min + (max-min)·Beta(1 + λ(mode-min)/(max-min), 1 + λ(max-mode)/(max-min)); λ = 4 is the classic PERT.
    Pert {
        /// Lowest value.
        min: f64,
        /// Most likely value, within `[min, max]`.
        mode: f64,
        /// Highest value, above `min`.
        max: f64,
        /// Weight λ on the mode, above 0; larger values concentrate the distribution around it.
        lambda: f64,
    },
}

/// Why a distribution could not be built: one or two full sentences that say what was wrong, the numbers involved, and what is expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FitError(
    /// The message, ready to show to the user.
    pub String,
);

impl Distribution {
    /// A parameter known exactly.
    pub fn fixed(value: f64) -> Result<Self, FitError> {
        check_finite("Fixed value", &[("the value", value)])?;
        Ok(Self::Fixed(value))
    }

    /// Uniform on `[low, high)`; `low < high`.
    pub fn uniform(low: f64, high: f64) -> Result<Self, FitError> {
        let what = "Uniform distribution";
        check_finite(what, &[("low", low), ("high", high)])?;
        check_ordered(what, "low", low, "high", high)?;
        Ok(Self::Uniform { low, high })
    }

    /// Normal with `sd > 0`.
    pub fn normal(mean: f64, sd: f64) -> Result<Self, FitError> {
        let what = "Normal distribution";
        check_finite(what, &[("mean", mean), ("sd", sd)])?;
        check_spread(what, "sd", sd, Some(mean))?;
        Ok(Self::Normal { mean, sd })
    }

    /// Lognormal from its log-scale parameters, `sdlog > 0`.
    pub fn lognormal(meanlog: f64, sdlog: f64) -> Result<Self, FitError> {
        let what = "Lognormal distribution";
        check_finite(what, &[("meanlog", meanlog), ("sdlog", sdlog)])?;
        check_spread(what, "sdlog", sdlog, Some(meanlog.exp()))?;
        Ok(Self::LogNormal { meanlog, sdlog })
    }

    /// Gamma with `shape > 0` and `scale > 0`.
    pub fn gamma(shape: f64, scale: f64) -> Result<Self, FitError> {
        let what = "Gamma distribution";
        check_finite(what, &[("shape", shape), ("scale", scale)])?;
        check_positive(what, "shape", shape)?;
        check_positive(what, "scale", scale)?;
        Self::check_shape_range(what, "shape", shape)?;
        Ok(Self::Gamma { shape, scale })
    }

    /// Shape parameters outside [1e-3, 1e10] describe a point mass or an almost-all-at-zero spike: their quantiles and
    /// samples are numerically meaningless (and the incomplete gamma/beta series take ~shape steps), so they are refused.
    fn check_shape_range(what: &str, name: &str, value: f64) -> Result<(), FitError> {
        const LOW: f64 = 1e-3;
        const HIGH: f64 = 1e10;
        if value > HIGH {
            return Err(FitError(format!(
            "{what}: {name} = {value:e} is above {HIGH:e}, so the distribution is narrower than one part in 100,000 of its mean: that is a fixed value, not an uncertain one. Use a fixed parameter, or check that the mean and sd are in the same units."
        )));
        }
        if value < LOW {
            return Err(FitError(format!(
            "{what}: {name} = {value:e} is below {LOW:e}: almost every draw would be indistinguishable from 0 or 1. Check the parameters (a mean and sd in different units, or an sd far larger than the mean)."
        )));
        }
        Ok(())
    }

    /// Beta with `alpha > 0` and `beta > 0`.
    pub fn beta(alpha: f64, beta: f64) -> Result<Self, FitError> {
        let what = "Beta distribution";
        check_finite(what, &[("alpha", alpha), ("beta", beta)])?;
        check_positive(what, "alpha", alpha)?;
        check_positive(what, "beta", beta)?;
        Self::check_shape_range(what, "alpha", alpha)?;
        Self::check_shape_range(what, "beta", beta)?;
        Ok(Self::Beta { alpha, beta })
    }

    /// Triangular with `min < max` and `min <= mode <= max`.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Self, FitError> {
        let what = "Triangular distribution";
        check_finite(what, &[("min", min), ("mode", mode), ("max", max)])?;
        check_mode(what, min, mode, max)?;
        Ok(Self::Triangular { min, mode, max })
    }

    /// Beta-PERT with `min < max`, `min <= mode <= max` and `lambda > 0` (4 is the classic PERT).
    pub fn pert(min: f64, mode: f64, max: f64, lambda: f64) -> Result<Self, FitError> {
        let what = "PERT distribution";
        check_finite(what, &[("min", min), ("mode", mode), ("max", max), ("lambda", lambda)])?;
        check_mode(what, min, mode, max)?;
        if lambda <= 0.0 {
            return fail(format!(
                "{what}: lambda is {}, but it must be greater than 0 (4 gives the classic PERT; \
                 larger values concentrate the distribution around the mode).",
                num(lambda)
            ));
        }
        Ok(Self::Pert { min, mode, max, lambda })
    }

    /// Re-runs the constructor checks, for values built directly from the public variants (e.g. after deserialising).
    pub fn validated(&self) -> Result<Self, FitError> {
        match *self {
            Self::Fixed(v) => Self::fixed(v),
            Self::Uniform { low, high } => Self::uniform(low, high),
            Self::Normal { mean, sd } => Self::normal(mean, sd),
            Self::LogNormal { meanlog, sdlog } => Self::lognormal(meanlog, sdlog),
            Self::Gamma { shape, scale } => Self::gamma(shape, scale),
            Self::Beta { alpha, beta } => Self::beta(alpha, beta),
            Self::Triangular { min, mode, max } => Self::triangular(min, mode, max),
            Self::Pert { min, mode, max, lambda } => Self::pert(min, mode, max, lambda),
        }
    }
}

#[cfg(test)]
mod tests;
