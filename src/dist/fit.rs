//! Fits from published summaries: a mean and SD (closed forms) or a 95% interval (closed forms, or a numeric
//! search verified against both limits before it is accepted).
use super::checks::{check_finite, check_ordered, check_spread, fail, num};
use super::roots::bracket_and_solve;
use super::special::{beta_cdf, finite_residual, gamma_unit_quantile, logit, sigmoid};
use super::{Distribution, FitError, P_HIGH, P_LOW, Z_975};

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
             a normal distribution.",
            num(low)
        ))
    }
}

/// Relative error, used to verify a numeric fit before accepting it.
fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

impl Distribution {
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
            finite_residual((gamma_unit_quantile(k, P_HIGH) / gamma_unit_quantile(k, P_LOW)).ln() - target)
        };
        // Large-shape approximation (sd of ln X ≈ 1/√k) gives a starting point close to the root.
        let guess = (2.0 * Z_975 / target).powi(2).ln();
        let (min_t, max_t) = (GAMMA_FIT_MIN_SHAPE.ln(), GAMMA_FIT_MAX_SHAPE.ln());
        let shape =
            bracket_and_solve(log_ratio, guess.clamp(min_t, max_t), false, min_t, max_t, 0.5, 1e-15).map(f64::exp);
        let fitted = shape.and_then(|k| {
            let scale = low / gamma_unit_quantile(k, P_LOW);
            Self::gamma(k, scale).ok()
        });
        let matched = |d: &Self| rel_err(d.quantile(P_LOW), low) <= 1e-8 && rel_err(d.quantile(P_HIGH), high) <= 1e-8;
        match fitted {
            Some(d) if matched(&d) => Ok(d),
            _ => {
                let why = if guess.exp() > GAMMA_FIT_MAX_SHAPE {
                    format!(
                        "The interval is so narrow for its level that a gamma would need a shape above {}; a normal distribution with the same ci95 describes it just as well.",
                        num(GAMMA_FIT_MAX_SHAPE)
                    )
                } else if guess.exp() < 1.0 {
                    format!(
                        "The interval is so wide that a gamma would need a shape below {}, with almost all its mass next to 0; check that both limits are in the same units, or use a lognormal distribution.",
                        num(GAMMA_FIT_MIN_SHAPE)
                    )
                } else {
                    "The numerical search did not converge; please report these limits.".to_string()
                };
                fail(format!(
                    "{what}: no gamma distribution could be fitted with 2.5th percentile {} and 97.5th \
                     percentile {} (ratio {}). {why}",
                    num(low),
                    num(high),
                    num(high / low)
                ))
            }
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
                    beta_cdf(sigmoid(s) * c, sigmoid(-s) * c, high) - P_HIGH
                }
                None => f64::NAN,
            }
        };
        let m0 = 0.5 * (low + high);
        let sd0 = (high - low) / (2.0 * Z_975);
        let c0 = (m0 * (1.0 - m0) / (sd0 * sd0) - 1.0).max(1.0);
        let (min_t, max_t) = (BETA_FIT_MIN_CONC.ln(), BETA_FIT_MAX_CONC.ln());
        let conc = bracket_and_solve(
            &mut upper_gap,
            c0.ln().clamp(min_t, max_t),
            true,
            min_t,
            max_t,
            0.5,
            1e-15,
        );
        let fitted = conc.and_then(|t| {
            let c = t.exp();
            let s = beta_mean_for_low_quantile(c, low, logit(m0))?;
            Self::beta(sigmoid(s) * c, sigmoid(-s) * c).ok()
        });
        let matched = |d: &Self| (d.quantile(P_LOW) - low).abs() <= 1e-8 && (d.quantile(P_HIGH) - high).abs() <= 1e-8;
        match fitted {
            Some(d) if matched(&d) => Ok(d),
            _ => {
                let why = if c0 > BETA_FIT_MAX_CONC {
                    format!(
                        "The interval is so narrow that α + β would have to exceed {}; a normal distribution \
                         with the same ci95 describes it just as well.",
                        num(BETA_FIT_MAX_CONC)
                    )
                } else {
                    "Check that both limits are proportions of the same quantity; an interval this extreme \
                     may be better described by beta_from_moments or a uniform distribution."
                        .to_string()
                };
                fail(format!(
                    "{what}: no beta distribution could be fitted with 2.5th percentile {} and 97.5th \
                     percentile {}. {why}",
                    num(low),
                    num(high)
                ))
            }
        }
    }
}

/// Logit of the beta mean that, at concentration `c`, puts the 2.5th percentile on `low` (searched from `start`).
fn beta_mean_for_low_quantile(c: f64, low: f64, start: f64) -> Option<f64> {
    // The cdf at `low` falls as the mean rises, from 1 (mean → 0) to 0 (mean → 1), so a root always exists.
    let residual = |s: f64| {
        let (m, m1) = (sigmoid(s), sigmoid(-s));
        beta_cdf(m * c, m1 * c, low) - P_LOW
    };
    bracket_and_solve(residual, start.clamp(-700.0, 700.0), false, -700.0, 700.0, 0.5, 1e-15)
}
