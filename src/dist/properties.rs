//! What a distribution's values look like: mean, SD, quantiles and support, and its short description for reports.
use statrs::distribution::ContinuousCDF;

use super::checks::num;
use super::special::{beta_quantile, beta_sd, gamma_unit_quantile};
use super::Distribution;

/// Formats a parameter for `describe`, with a minus sign (U+2212) where it is negative, as people read it.
fn fmt_param(x: f64) -> String {
    let text = fmt_param_digits(x);
    match text.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => text,
    }
}

/// Two decimals from 1 upwards (as reports quote costs), four significant digits below.
fn fmt_param_digits(x: f64) -> String {
    if !x.is_finite() {
        return num(x);
    }
    let a = x.abs();
    if a == 0.0 {
        "0".to_string()
    } else if !(1e-4..1e9).contains(&a) {
        format!("{x:.3e}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        let decimals = (3 - a.log10().floor() as i32) as usize;
        let s = format!("{x:.decimals$}");
        // Keep two decimals so 0.5 reads "0.50", like the other parameters, but drop noise zeros beyond that.
        let trimmed = s.trim_end_matches('0');
        let dot = trimmed.find('.').unwrap_or(trimmed.len());
        if trimmed.len() - dot < 3 {
            format!("{x:.2}")
        } else {
            trimmed.to_string()
        }
    }
}

impl Distribution {
    /// Expected value.
    pub fn mean(&self) -> f64 {
        match *self {
            Self::Fixed(v) => v,
            Self::Uniform { low, high } => 0.5 * (low + high),
            Self::Normal { mean, .. } => mean,
            Self::LogNormal { meanlog, sdlog } => (meanlog + 0.5 * sdlog * sdlog).exp(),
            Self::Gamma { shape, scale } => shape * scale,
            Self::Beta { alpha, beta } => alpha / (alpha + beta),
            Self::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Self::Pert { .. } => {
                let (a, b, min, range) = self.pert_beta();
                min + range * a / (a + b)
            }
        }
    }

    /// Standard deviation.
    pub fn sd(&self) -> f64 {
        match *self {
            Self::Fixed(_) => 0.0,
            Self::Uniform { low, high } => (high - low) / 12f64.sqrt(),
            Self::Normal { sd, .. } => sd,
            // expm1 keeps the SD accurate for small sdlog, where exp(σ²) − 1 would cancel.
            Self::LogNormal { sdlog, .. } => self.mean() * (sdlog * sdlog).exp_m1().sqrt(),
            Self::Gamma { shape, scale } => shape.sqrt() * scale,
            Self::Beta { alpha, beta } => beta_sd(alpha, beta),
            Self::Triangular { min, mode, max } => {
                ((min * min + mode * mode + max * max - min * mode - min * max - mode * max) / 18.0).sqrt()
            }
            Self::Pert { .. } => {
                let (a, b, _, range) = self.pert_beta();
                range * beta_sd(a, b)
            }
        }
    }

    /// Inverse CDF at `p` in `[0, 1]` (NaN outside it), to ~1e-13 relative: statrs or closed forms, and for gamma/beta a
    /// safeguarded root search on the incomplete gamma/beta functions (statrs' own inverses fail in the tails).
    pub fn quantile(&self, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        match *self {
            Self::Fixed(v) => v,
            Self::Uniform { low, high } => low + p * (high - low),
            Self::Normal { mean, sd } => match statrs::distribution::Normal::new(mean, sd) {
                Ok(n) => n.inverse_cdf(p),
                Err(_) => f64::NAN,
            },
            Self::LogNormal { meanlog, sdlog } => match statrs::distribution::LogNormal::new(meanlog, sdlog) {
                Ok(n) => n.inverse_cdf(p),
                Err(_) => f64::NAN,
            },
            Self::Gamma { shape, scale } => scale * gamma_unit_quantile(shape, p),
            Self::Beta { alpha, beta } => beta_quantile(alpha, beta, p),
            Self::Triangular { min, mode, max } => {
                let range = max - min;
                if p * range < mode - min {
                    min + (p * range * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - p) * range * (max - mode)).sqrt()
                }
            }
            Self::Pert { .. } => {
                let (a, b, min, range) = self.pert_beta();
                min + range * beta_quantile(a, b, p)
            }
        }
    }

    /// (lowest, highest) possible value, ±infinity where unbounded.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Self::Fixed(v) => (v, v),
            Self::Uniform { low, high } => (low, high),
            Self::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Self::LogNormal { .. } | Self::Gamma { .. } => (0.0, f64::INFINITY),
            Self::Beta { .. } => (0.0, 1.0),
            Self::Triangular { min, max, .. } | Self::Pert { min, max, .. } => (min, max),
        }
    }

    /// A short human-readable form for reports, e.g. "Beta(α = 153.27, β = 48.40)".
    pub fn describe(&self) -> String {
        let f = fmt_param;
        match *self {
            Self::Fixed(v) => format!("Fixed({})", f(v)),
            Self::Uniform { low, high } => format!("Uniform(low = {}, high = {})", f(low), f(high)),
            Self::Normal { mean, sd } => format!("Normal(mean = {}, sd = {})", f(mean), f(sd)),
            Self::LogNormal { meanlog, sdlog } => {
                format!("LogNormal(meanlog = {}, sdlog = {})", f(meanlog), f(sdlog))
            }
            Self::Gamma { shape, scale } => {
                format!("Gamma(shape = {}, scale = {})", f(shape), f(scale))
            }
            Self::Beta { alpha, beta } => format!("Beta(α = {}, β = {})", f(alpha), f(beta)),
            Self::Triangular { min, mode, max } => {
                format!("Triangular(min = {}, mode = {}, max = {})", f(min), f(mode), f(max))
            }
            Self::Pert { min, mode, max, lambda } => format!(
                "PERT(min = {}, mode = {}, max = {}, λ = {})",
                f(min),
                f(mode),
                f(max),
                f(lambda)
            ),
        }
    }

    /// The PERT's underlying beta shapes, offset and range: (α, β, min, max − min); zeros for other variants.
    pub(super) fn pert_beta(&self) -> (f64, f64, f64, f64) {
        match *self {
            Self::Pert { min, mode, max, lambda } => {
                let range = max - min;
                (
                    1.0 + lambda * (mode - min) / range,
                    1.0 + lambda * (max - mode) / range,
                    min,
                    range,
                )
            }
            _ => (0.0, 0.0, 0.0, 0.0),
        }
    }
}

impl std::fmt::Display for Distribution {
    /// Same text as `describe`, so distributions can go straight into `format!`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}
