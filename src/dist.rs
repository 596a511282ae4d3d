//! Parameter distributions: validated construction from native parameters, moments or a 95% interval, and fast sampling.
use rand::Rng;
use rand_distr::{Distribution as _, StandardNormal};
use statrs::distribution::ContinuousCDF;

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
    Uniform { low: f64, high: f64 },
    /// Normal with the given mean and standard deviation.
    Normal { mean: f64, sd: f64 },
    /// exp(Normal(meanlog, sdlog)): the parameters are on the log scale.
    LogNormal { meanlog: f64, sdlog: f64 },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma { shape: f64, scale: f64 },
    /// Beta with shape parameters α and β (mean α/(α+β)).
    Beta { alpha: f64, beta: f64 },
    /// Triangular on `[min, max]` with its peak at `mode`.
    Triangular { min: f64, mode: f64, max: f64 },
    /// Beta-PERT: min + (max-min)·Beta(1 + λ(mode-min)/(max-min), 1 + λ(max-mode)/(max-min)); λ = 4 is the classic PERT.
    Pert {
        min: f64,
        mode: f64,
        max: f64,
        lambda: f64,
    },
}

/// Why a distribution could not be built: one or two full sentences that say what was wrong, the numbers involved, and what is expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FitError(pub String);

/// Builds a `FitError` from a message, so every check below stays a single expression.
fn fail<T>(message: String) -> Result<T, FitError> {
    Err(FitError(message))
}

/// Formats a number for an error message: six significant digits, so that 0.6² reads 0.36 and not 0.35999999999999993.
fn num(x: f64) -> String {
    if x.is_nan() {
        return "NaN (not a number)".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "infinity" } else { "minus infinity" }.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let a = x.abs();
    if (1e-4..1e9).contains(&a) {
        let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let s = format!("{x:.5e}");
        match s.split_once('e') {
            Some((mantissa, exponent)) if mantissa.contains('.') => format!(
                "{}e{exponent}",
                mantissa.trim_end_matches('0').trim_end_matches('.')
            ),
            _ => s,
        }
    }
}

/// Formats a parameter for `describe`: two decimals from 1 upwards (as reports quote costs), four significant digits below.
fn fmt_param(x: f64) -> String {
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

/// Rejects NaN and infinite inputs first, so later comparisons (which NaN always fails) cannot give misleading messages.
fn check_finite(what: &str, params: &[(&str, f64)]) -> Result<(), FitError> {
    for &(name, value) in params {
        if !value.is_finite() {
            return fail(format!(
                "{what}: {name} is {}, but every parameter must be a finite number. \
                 Check the input for a blank, non-numeric or overflowing value.",
                num(value)
            ));
        }
    }
    Ok(())
}

/// Checks a spread parameter, pointing to a fixed value when it is zero because that is nearly always what was meant.
fn check_spread(what: &str, name: &str, value: f64, centre: Option<f64>) -> Result<(), FitError> {
    if value > 0.0 {
        return Ok(());
    }
    if value == 0.0 {
        let fixed = match centre {
            Some(c) => format!("use a fixed value ({}) instead", num(c)),
            None => "use a fixed value instead".to_string(),
        };
        return fail(format!(
            "{what}: {name} is 0, but it must be greater than 0. \
             If this parameter is known exactly, {fixed}."
        ));
    }
    fail(format!(
        "{what}: {name} is {}, but it must be greater than 0. \
         A standard deviation or standard error cannot be negative; check the sign of the input.",
        num(value)
    ))
}

/// Checks a strictly positive shape or scale parameter.
fn check_positive(what: &str, name: &str, value: f64) -> Result<(), FitError> {
    if value > 0.0 {
        Ok(())
    } else {
        fail(format!(
            "{what}: {name} is {}, but it must be greater than 0.",
            num(value)
        ))
    }
}

/// Checks `low < high` for bounds and intervals, naming the likely slip (swapped or equal bounds).
fn check_ordered(what: &str, low_name: &str, low: f64, high_name: &str, high: f64) -> Result<(), FitError> {
    if low < high {
        return Ok(());
    }
    let hint = if low == high {
        "If the value is known exactly, use a fixed value instead."
    } else {
        "The bounds may have been entered the wrong way round."
    };
    fail(format!(
        "{what}: {low_name} ({}) must be below {high_name} ({}). {hint}",
        num(low),
        num(high)
    ))
}

/// Checks that a mode lies within `[min, max]`.
fn check_mode(what: &str, min: f64, mode: f64, max: f64) -> Result<(), FitError> {
    check_ordered(what, "min", min, "max", max)?;
    if (min..=max).contains(&mode) {
        Ok(())
    } else {
        fail(format!(
            "{what}: the mode ({}) must lie between min ({}) and max ({}). \
             Check that the three values are in the order min, mode, max.",
            num(mode),
            num(min),
            num(max)
        ))
    }
}

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
        Ok(Self::Gamma { shape, scale })
    }

    /// Beta with `alpha > 0` and `beta > 0`.
    pub fn beta(alpha: f64, beta: f64) -> Result<Self, FitError> {
        let what = "Beta distribution";
        check_finite(what, &[("alpha", alpha), ("beta", beta)])?;
        check_positive(what, "alpha", alpha)?;
        check_positive(what, "beta", beta)?;
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
        check_finite(
            what,
            &[("min", min), ("mode", mode), ("max", max), ("lambda", lambda)],
        )?;
        check_mode(what, min, mode, max)?;
        if lambda <= 0.0 {
            return fail(format!(
                "{what}: lambda is {}, but it must be greater than 0 (4 gives the classic PERT; \
                 larger values concentrate the distribution around the mode).",
                num(lambda)
            ));
        }
        Ok(Self::Pert {
            min,
            mode,
            max,
            lambda,
        })
    }

    /// Lognormal with the given arithmetic mean and SD: σ² = ln(1 + sd²/mean²), μ = ln(mean) − σ²/2.
    pub fn lognormal_from_moments(mean: f64, sd: f64) -> Result<Self, FitError> {
        let what = "Lognormal from mean and SD";
        check_finite(what, &[("mean", mean), ("sd", sd)])?;
        if mean <= 0.0 {
            return fail(format!(
                "{what}: the mean is {}, but a lognormal only takes positive values, so the mean must be \
                 greater than 0. For a parameter that can be zero or negative, use a normal distribution.",
                num(mean)
            ));
        }
        check_spread(what, "sd", sd, Some(mean))?;
        // ln_1p keeps σ² accurate when sd is tiny relative to the mean.
        let var_log = (sd / mean).powi(2).ln_1p();
        Self::lognormal(mean.ln() - 0.5 * var_log, var_log.sqrt())
    }

    /// Gamma with the given mean and SD (or standard error): shape = mean²/sd², scale = sd²/mean.
    pub fn gamma_from_moments(mean: f64, sd: f64) -> Result<Self, FitError> {
        let what = "Gamma from mean and SD";
        check_finite(what, &[("mean", mean), ("sd", sd)])?;
        if mean <= 0.0 {
            return fail(format!(
                "{what}: the mean is {}, but a gamma only takes positive values, so the mean must be \
                 greater than 0. For a cost or count that can be zero or negative, use a normal distribution.",
                num(mean)
            ));
        }
        check_spread(what, "sd", sd, Some(mean))?;
        let ratio = mean / sd;
        Self::gamma(ratio * ratio, sd * sd / mean)
    }

    /// Beta with the given mean and SD (or standard error): c = m(1−m)/sd² − 1, α = m·c, β = (1−m)·c.
    pub fn beta_from_moments(mean: f64, sd: f64) -> Result<Self, FitError> {
        let what = "Beta from mean and SD";
        check_finite(what, &[("mean", mean), ("sd", sd)])?;
        if mean <= 0.0 || mean >= 1.0 {
            let hint = if (1.0..=100.0).contains(&mean) {
                format!(
                    " It looks like a percentage: give it as a proportion ({}) and scale the SD the same way.",
                    num(mean / 100.0)
                )
            } else {
                " A probability of exactly 0 or 1 has no uncertainty: use a fixed value.".to_string()
            };
            return fail(format!(
                "{what}: the mean is {}, but a beta describes a proportion, so the mean must lie strictly \
                 between 0 and 1.{hint}",
                num(mean)
            ));
        }
        check_spread(what, "sd", sd, Some(mean))?;
        let limit = mean * (1.0 - mean);
        let var = sd * sd;
        if var >= limit {
            return fail(format!(
                "{what}: no beta distribution has mean {} and sd {}, because sd² ({}) must be below \
                 mean·(1−mean) = {}. Common causes are an SD given as a percentage while the mean is a \
                 proportion, or the SD of individual values given where the standard error of the mean \
                 (SD/√n) is wanted.",
                num(mean),
                num(sd),
                num(var),
                num(limit)
            ));
        }
        let c = limit / var - 1.0;
        Self::beta(mean * c, (1.0 - mean) * c)
    }

    /// Normal whose 2.5th and 97.5th percentiles are `low` and `high`.
    pub fn normal_from_interval(low: f64, high: f64) -> Result<Self, FitError> {
        let what = "Normal from a 95% interval";
        check_finite(what, &[("low", low), ("high", high)])?;
        check_ordered(what, "the lower limit", low, "the upper limit", high)?;
        Self::normal(0.5 * (low + high), (high - low) / (2.0 * Z_975))
    }

    /// Lognormal whose 2.5th and 97.5th percentiles are `low` and `high` (closed form on the log scale); `0 < low < high`.
    pub fn lognormal_from_interval(low: f64, high: f64) -> Result<Self, FitError> {
        let what = "Lognormal from a 95% interval";
        check_finite(what, &[("low", low), ("high", high)])?;
        check_ordered(what, "the lower limit", low, "the upper limit", high)?;
        check_interval_positive(what, low)?;
        let (ll, lh) = (low.ln(), high.ln());
        Self::lognormal(0.5 * (ll + lh), (lh - ll) / (2.0 * Z_975))
    }

    /// Gamma whose 2.5th and 97.5th percentiles are `low` and `high`, both matched to 1e-8 relative; `0 < low < high`.
    pub fn gamma_from_interval(low: f64, high: f64) -> Result<Self, FitError> {
        let what = "Gamma from a 95% interval";
        check_finite(what, &[("low", low), ("high", high)])?;
        check_ordered(what, "the lower limit", low, "the upper limit", high)?;
        check_interval_positive(what, low)?;
        // The ratio high/low depends on the shape alone and falls as the shape grows, so solve for
        // the shape on a log scale first, then pick the scale that puts the 2.5th percentile on `low`.
        let target = (high / low).ln();
        let log_ratio = |t: f64| {
            let k = t.exp();
            (gamma_unit_quantile(k, P_HIGH) / gamma_unit_quantile(k, P_LOW)).ln() - target
        };
        // Large-shape approximation (sd of ln X ≈ 1/√k) gives a starting point close to the root.
        let guess = (2.0 * Z_975 / target).powi(2).ln();
        let (min_t, max_t) = (GAMMA_FIT_MIN_SHAPE.ln(), GAMMA_FIT_MAX_SHAPE.ln());
        let shape = bracket_and_solve(log_ratio, guess.clamp(min_t, max_t), false, min_t, max_t, 1e-15)
            .map(f64::exp);
        let fitted = shape.and_then(|k| {
            let scale = low / gamma_unit_quantile(k, P_LOW);
            Self::gamma(k, scale).ok()
        });
        match fitted {
            Some(d)
                if rel_err(d.quantile(P_LOW), low) <= 1e-8 && rel_err(d.quantile(P_HIGH), high) <= 1e-8 =>
            {
                Ok(d)
            }
            _ => fail(format!(
                "{what}: no gamma distribution could be fitted with 2.5th percentile {} and 97.5th \
                 percentile {} (ratio {}). Gammas fitted here have shapes between {} and {}: for an \
                 interval this narrow use normal_from_interval, for one this wide check the units of both limits.",
                num(low),
                num(high),
                num(high / low),
                num(GAMMA_FIT_MIN_SHAPE),
                num(GAMMA_FIT_MAX_SHAPE)
            )),
        }
    }

    /// Beta whose 2.5th and 97.5th percentiles are `low` and `high`, both matched to 1e-8 absolute; `0 < low < high < 1`.
    pub fn beta_from_interval(low: f64, high: f64) -> Result<Self, FitError> {
        let what = "Beta from a 95% interval";
        check_finite(what, &[("low", low), ("high", high)])?;
        check_ordered(what, "the lower limit", low, "the upper limit", high)?;
        if low <= 0.0 || high >= 1.0 {
            let hint = if high > 1.0 && high <= 100.0 {
                " The limits look like percentages: give them as proportions (divide by 100)."
            } else {
                ""
            };
            return fail(format!(
                "{what}: the limits are {} and {}, but a beta describes a proportion, so both limits must \
                 lie strictly between 0 and 1.{hint}",
                num(low),
                num(high)
            ));
        }
        // Two unknowns, solved as nested monotone 1-D problems: for a concentration c = α+β, find the
        // mean m that puts the 2.5th percentile on `low`; then find the c that puts the 97.5th on `high`
        // (a larger c narrows the distribution, so the cdf at `high` rises with c).
        let mut logit_m = logit(0.5 * (low + high));
        let mut upper_gap = |t: f64| {
            let c = t.exp();
            match beta_mean_for_low_quantile(c, low, logit_m) {
                Some(s) => {
                    logit_m = s;
                    let m = sigmoid(s);
                    beta_cdf(m * c, (1.0 - m) * c, high) - P_HIGH
                }
                None => f64::NAN,
            }
        };
        let m0 = 0.5 * (low + high);
        let sd0 = (high - low) / (2.0 * Z_975);
        let c0 = (m0 * (1.0 - m0) / (sd0 * sd0) - 1.0).max(1.0);
        let (min_t, max_t) = (BETA_FIT_MIN_CONC.ln(), BETA_FIT_MAX_CONC.ln());
        let conc = bracket_and_solve(&mut upper_gap, c0.ln().clamp(min_t, max_t), true, min_t, max_t, 1e-15);
        let fitted = conc.and_then(|t| {
            let c = t.exp();
            let m = sigmoid(beta_mean_for_low_quantile(c, low, logit(m0))?);
            Self::beta(m * c, (1.0 - m) * c).ok()
        });
        match fitted {
            Some(d) if (d.quantile(P_LOW) - low).abs() <= 1e-8 && (d.quantile(P_HIGH) - high).abs() <= 1e-8 => {
                Ok(d)
            }
            _ => fail(format!(
                "{what}: no beta distribution could be fitted with 2.5th percentile {} and 97.5th percentile {}. \
                 Check that both limits are proportions of the same quantity; an interval this extreme may be \
                 better described by beta_from_moments or a uniform distribution.",
                num(low),
                num(high)
            )),
        }
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
            Self::Pert {
                min,
                mode,
                max,
                lambda,
            } => Self::pert(min, mode, max, lambda),
        }
    }

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

    /// Inverse CDF at `p` in `[0, 1]` (NaN outside it); statrs where it has it, closed forms otherwise.
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
            Self::LogNormal { meanlog, sdlog } => {
                match statrs::distribution::LogNormal::new(meanlog, sdlog) {
                    Ok(n) => n.inverse_cdf(p),
                    Err(_) => f64::NAN,
                }
            }
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

    /// A sampler with this distribution's constants precomputed, for the hot path.
    pub fn sampler(&self) -> Sampler {
        let kind = match *self {
            Self::Fixed(v) => Kind::Fixed(v),
            Self::Uniform { low, high } => Kind::Uniform {
                low,
                width: high - low,
            },
            Self::Normal { mean, sd } => Kind::Normal { mean, sd },
            Self::LogNormal { meanlog, sdlog } => Kind::LogNormal { meanlog, sdlog },
            Self::Gamma { shape, scale } => Kind::Gamma {
                g: GammaCore::new(shape),
                scale,
            },
            Self::Beta { alpha, beta } => Kind::Beta(BetaCore::new(alpha, beta)),
            Self::Triangular { min, mode, max } => {
                let range = max - min;
                Kind::Triangular {
                    min,
                    max,
                    split: (mode - min) / range,
                    left: range * (mode - min),
                    right: range * (max - mode),
                }
            }
            Self::Pert { .. } => {
                let (a, b, min, range) = self.pert_beta();
                Kind::Pert {
                    beta: BetaCore::new(a, b),
                    min,
                    range,
                }
            }
        };
        Sampler { kind }
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
            Self::Gamma { shape, scale } => format!("Gamma(shape = {}, scale = {})", f(shape), f(scale)),
            Self::Beta { alpha, beta } => format!("Beta(α = {}, β = {})", f(alpha), f(beta)),
            Self::Triangular { min, mode, max } => {
                format!("Triangular(min = {}, mode = {}, max = {})", f(min), f(mode), f(max))
            }
            Self::Pert {
                min,
                mode,
                max,
                lambda,
            } => format!(
                "PERT(min = {}, mode = {}, max = {}, λ = {})",
                f(min),
                f(mode),
                f(max),
                f(lambda)
            ),
        }
    }

    /// The PERT's underlying beta shapes, offset and range: (α, β, min, max − min); zeros for other variants.
    fn pert_beta(&self) -> (f64, f64, f64, f64) {
        match *self {
            Self::Pert {
                min,
                mode,
                max,
                lambda,
            } => {
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

/// Smallest gamma shape `gamma_from_interval` will fit: below it the 2.5th percentile underflows towards 0.
const GAMMA_FIT_MIN_SHAPE: f64 = 0.01;
/// Largest gamma shape `gamma_from_interval` will fit: beyond it a normal is indistinguishable and cheaper.
const GAMMA_FIT_MAX_SHAPE: f64 = 1e10;
/// Smallest beta concentration α+β `beta_from_interval` searches.
const BETA_FIT_MIN_CONC: f64 = 1e-3;
/// Largest beta concentration α+β `beta_from_interval` searches.
const BETA_FIT_MAX_CONC: f64 = 1e10;

/// Rejects an interval that reaches zero or below for a distribution of positive values.
fn check_interval_positive(what: &str, low: f64) -> Result<(), FitError> {
    if low > 0.0 {
        Ok(())
    } else {
        fail(format!(
            "{what}: the lower limit is {}, but this distribution only takes positive values, so the lower \
             limit must be greater than 0. For an interval that includes zero or negative values, use \
             normal_from_interval.",
            num(low)
        ))
    }
}

/// Relative error, used to verify a numeric fit before accepting it.
fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

/// Standard deviation of Beta(a, b).
fn beta_sd(a: f64, b: f64) -> f64 {
    let s = a + b;
    (a * b / (s * s * (s + 1.0))).sqrt()
}

/// Logistic transform, so the beta mean can be searched on an unbounded scale.
fn sigmoid(s: f64) -> f64 {
    1.0 / (1.0 + (-s).exp())
}

/// Inverse of `sigmoid`.
fn logit(m: f64) -> f64 {
    (m / (1.0 - m)).ln()
}

/// Quantile of Gamma(shape, scale = 1); NaN for invalid shapes instead of a panic.
fn gamma_unit_quantile(shape: f64, p: f64) -> f64 {
    match statrs::distribution::Gamma::new(shape, 1.0) {
        Ok(g) => g.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Quantile of Beta(a, b); NaN for invalid shapes instead of a panic.
fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    match statrs::distribution::Beta::new(a, b) {
        Ok(d) => d.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// CDF of Beta(a, b) at x; NaN for invalid shapes instead of a panic.
fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    match statrs::distribution::Beta::new(a, b) {
        Ok(d) => d.cdf(x),
        Err(_) => f64::NAN,
    }
}

/// Logit of the beta mean that, at concentration `c`, puts the 2.5th percentile on `low` (searched from `start`).
fn beta_mean_for_low_quantile(c: f64, low: f64, start: f64) -> Option<f64> {
    // The cdf at `low` falls as the mean rises, from 1 (mean → 0) to 0 (mean → 1), so a root always exists.
    let gap = |s: f64| {
        let m = sigmoid(s);
        beta_cdf(m * c, (1.0 - m) * c, low) - P_LOW
    };
    bracket_and_solve(gap, start.clamp(-30.0, 30.0), false, -30.0, 30.0, 1e-14)
}

/// Finds the root of a monotone `f` (rising if `increasing`) by stepping out from `start` until the sign changes
/// (within `[min, max]`) and then running Brent's method; None if there is no sign change or f is not finite.
fn bracket_and_solve<F: FnMut(f64) -> f64>(
    mut f: F,
    start: f64,
    increasing: bool,
    min: f64,
    max: f64,
    tol: f64,
) -> Option<f64> {
    let f0 = f(start);
    if f0 == 0.0 {
        return Some(start);
    }
    if !f0.is_finite() {
        return None;
    }
    // Rising f above zero means the root lies below `start`.
    let direction = if (f0 > 0.0) == increasing { -1.0 } else { 1.0 };
    let (mut a, mut fa) = (start, f0);
    let mut step = 0.5;
    loop {
        let b = (a + direction * step).clamp(min, max);
        if b == a {
            return None;
        }
        let fb = f(b);
        if !fb.is_finite() {
            return None;
        }
        if fb == 0.0 || (fb > 0.0) != (fa > 0.0) {
            return brent(&mut f, a, b, fa, fb, tol);
        }
        a = b;
        fa = fb;
        step *= 2.0;
    }
}

/// Brent's root finder (as in Numerical Recipes' zbrent) on a bracket `[a, b]` with f(a), f(b) of opposite signs.
fn brent<F: FnMut(f64) -> f64>(f: &mut F, a: f64, b: f64, fa: f64, fb: f64, tol: f64) -> Option<f64> {
    let (mut a, mut b, mut fa, mut fb) = (a, b, fa, fb);
    let (mut c, mut fc) = (b, fb);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..300 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            // Inverse quadratic interpolation (secant when only two points are distinct).
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * xm * s, 1.0 - s)
            } else {
                let q = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * xm * q * (q - r) - (b - a) * (r - 1.0)),
                    (q - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            if 2.0 * p < (3.0 * xm * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    None
}

/// Uniform draw in [0, 1) from the top 53 bits, the standard conversion.
#[inline(always)]
fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform draw in the open interval (0, 1): safe for `ln` and for `powf` with a large exponent.
#[inline(always)]
fn open_unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// Marsaglia–Tsang gamma (unit scale) with its constants precomputed; shapes below 1 use the u^(1/shape) boost.
#[derive(Debug, Clone, Copy, PartialEq)]
struct GammaCore {
    /// shape − 1/3 (of shape + 1 when boosted).
    d: f64,
    /// 1/√(9d).
    c: f64,
    /// 1/shape, the boost exponent.
    inv_shape: f64,
    /// Whether shape < 1: Marsaglia–Tsang needs shape ≥ 1, so draw Gamma(shape + 1)·U^(1/shape).
    boost: bool,
}

impl GammaCore {
    /// Precomputes the constants for a given shape.
    fn new(shape: f64) -> Self {
        let boost = shape < 1.0;
        let d = if boost { shape + 1.0 } else { shape } - 1.0 / 3.0;
        Self {
            d,
            c: 1.0 / (9.0 * d).sqrt(),
            inv_shape: 1.0 / shape,
            boost,
        }
    }

    /// A Gamma(max(shape, shape + 1)) draw: the rejection loop of Marsaglia & Tsang (2000).
    #[inline(always)]
    fn core<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let x: f64 = StandardNormal.sample(rng);
            let v = 1.0 + self.c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = open_unit(rng);
            let x2 = x * x;
            // The cheap squeeze accepts ~98% of draws without a logarithm.
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + self.d * (1.0 - v + v.ln()) {
                return self.d * v;
            }
        }
    }

    /// A Gamma(shape, 1) draw.
    #[inline(always)]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let g = self.core(rng);
        if self.boost {
            g * open_unit(rng).powf(self.inv_shape)
        } else {
            g
        }
    }

    /// ln of a Gamma(shape, 1) draw, for the rare case where tiny shapes underflow the direct draw to 0.
    #[cold]
    fn sample_ln<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let g = self.core(rng).ln();
        if self.boost {
            g + open_unit(rng).ln() * self.inv_shape
        } else {
            g
        }
    }
}

/// Beta as X/(X+Y) from two gamma draws: faster than rand_distr::Beta and exact for every shape.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BetaCore {
    /// Gamma(α) constants.
    a: GammaCore,
    /// Gamma(β) constants.
    b: GammaCore,
}

impl BetaCore {
    /// Precomputes both gammas' constants.
    fn new(alpha: f64, beta: f64) -> Self {
        Self {
            a: GammaCore::new(alpha),
            b: GammaCore::new(beta),
        }
    }

    /// A Beta(α, β) draw.
    #[inline(always)]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = self.a.sample(rng);
        let y = self.b.sample(rng);
        let s = x + y;
        if s > 0.0 {
            x / s
        } else {
            self.sample_ln(rng)
        }
    }

    /// Redraws on the log scale when both shapes are so small that X and Y both underflowed (0/0 otherwise).
    #[cold]
    fn sample_ln<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let lx = self.a.sample_ln(rng);
        let ly = self.b.sample_ln(rng);
        1.0 / (1.0 + (ly - lx).exp())
    }
}

/// Per-variant precomputed constants.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// The value itself.
    Fixed(f64),
    /// low + width·U.
    Uniform { low: f64, width: f64 },
    /// mean + sd·Z.
    Normal { mean: f64, sd: f64 },
    /// exp(meanlog + sdlog·Z).
    LogNormal { meanlog: f64, sdlog: f64 },
    /// scale·Gamma(shape, 1).
    Gamma { g: GammaCore, scale: f64 },
    /// X/(X+Y).
    Beta(BetaCore),
    /// Inversion: `split` is the CDF at the mode; `left`/`right` are the squared-root scale factors.
    Triangular {
        min: f64,
        max: f64,
        split: f64,
        left: f64,
        right: f64,
    },
    /// min + range·Beta.
    Pert { beta: BetaCore, min: f64, range: f64 },
}

/// A distribution ready to sample: constants precomputed, no allocation, no branches beyond the variant match.
#[derive(Debug, Clone, Copy)]
pub struct Sampler {
    /// What to draw and with which constants.
    kind: Kind,
}

impl Sampler {
    /// One draw; a fixed value consumes no randomness.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self.kind {
            Kind::Fixed(v) => v,
            Kind::Uniform { low, width } => low + width * unit(rng),
            Kind::Normal { mean, sd } => {
                let z: f64 = StandardNormal.sample(rng);
                mean + sd * z
            }
            Kind::LogNormal { meanlog, sdlog } => {
                let z: f64 = StandardNormal.sample(rng);
                (meanlog + sdlog * z).exp()
            }
            Kind::Gamma { g, scale } => scale * g.sample(rng),
            Kind::Beta(b) => b.sample(rng),
            Kind::Triangular {
                min,
                max,
                split,
                left,
                right,
            } => {
                let u = unit(rng);
                if u < split {
                    min + (u * left).sqrt()
                } else {
                    max - ((1.0 - u) * right).sqrt()
                }
            }
            Kind::Pert { beta, min, range } => min + range * beta.sample(rng),
        }
    }
}

/// A Dirichlet distribution over k ≥ 2 shares (multinomial transition probabilities).
#[derive(Debug, Clone, PartialEq)]
pub struct Dirichlet {
    /// Concentration parameters, one per share.
    alpha: Vec<f64>,
    /// Gamma constants per share, precomputed so sampling does no setup work.
    gammas: Vec<GammaCore>,
}

impl Dirichlet {
    /// Validates k ≥ 2 concentrations, each finite and > 0 (e.g. observed counts, plus 1 each if some are 0).
    pub fn new(alpha: Vec<f64>) -> Result<Self, FitError> {
        if alpha.len() < 2 {
            return fail(format!(
                "Dirichlet distribution: got {} concentration parameter(s), but at least 2 are needed \
                 (one per destination state). For a single probability use a beta distribution.",
                alpha.len()
            ));
        }
        for (i, &a) in alpha.iter().enumerate() {
            if !a.is_finite() || a <= 0.0 {
                let hint = if a == 0.0 {
                    " A zero count is usually handled by adding 1 to every count (a uniform prior)."
                } else {
                    ""
                };
                return fail(format!(
                    "Dirichlet distribution: concentration {} (position {}) is {}, but every concentration \
                     must be a finite number greater than 0.{hint}",
                    i + 1,
                    i + 1,
                    num(a)
                ));
            }
        }
        let gammas = alpha.iter().map(|&a| GammaCore::new(a)).collect();
        Ok(Self { alpha, gammas })
    }

    /// The concentration parameters.
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// Number of shares k.
    #[allow(clippy::len_without_is_empty)] // k ≥ 2 by construction, so it is never empty.
    pub fn len(&self) -> usize {
        self.alpha.len()
    }

    /// Expected shares α_i / Σα.
    pub fn means(&self) -> Vec<f64> {
        let total: f64 = self.alpha.iter().sum();
        self.alpha.iter().map(|a| a / total).collect()
    }

    /// Marginal distribution of share `i`: Beta(α_i, Σα − α_i). Panics if `i >= len()`.
    pub fn marginal(&self, i: usize) -> Distribution {
        let total: f64 = self.alpha.iter().sum();
        Distribution::Beta {
            alpha: self.alpha[i],
            beta: total - self.alpha[i],
        }
    }

    /// Fills `out` with one draw of the k shares (summing to 1) without allocating. Panics if `out.len() != k`.
    #[inline]
    pub fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        assert_eq!(
            out.len(),
            self.gammas.len(),
            "Dirichlet::sample_into: output has {} slots but the distribution has {} shares",
            out.len(),
            self.gammas.len()
        );
        let mut total = 0.0;
        for (o, g) in out.iter_mut().zip(&self.gammas) {
            let x = g.sample(rng);
            *o = x;
            total += x;
        }
        if total > 0.0 {
            for o in out.iter_mut() {
                *o /= total;
            }
        } else {
            self.sample_into_ln(rng, out);
        }
    }

    /// Redraws on the log scale when every gamma underflowed to 0 (only possible with tiny concentrations).
    #[cold]
    fn sample_into_ln<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        let mut top = f64::NEG_INFINITY;
        for (o, g) in out.iter_mut().zip(&self.gammas) {
            *o = g.sample_ln(rng);
            top = top.max(*o);
        }
        let mut total = 0.0;
        for o in out.iter_mut() {
            *o = (*o - top).exp();
            total += *o;
        }
        for o in out.iter_mut() {
            *o /= total;
        }
    }
}
