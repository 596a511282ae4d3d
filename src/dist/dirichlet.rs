//! The Dirichlet distribution over k ≥ 2 shares, sampled from k gamma draws with a log-scale path for tiny draws.
use rand::Rng;

use super::checks::{fail, num};
use super::sample::GammaCore;
use super::{Distribution, FitError};

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
        let mut in_logs = false;
        for (o, g) in out.iter_mut().zip(&self.gammas) {
            let (core, ln_boost) = g.parts(rng);
            if ln_boost < -600.0 {
                // This draw is heading for underflow (only with concentrations below ~0.02): keep its logarithm,
                // which is negative and so cannot be mistaken for a draw, and finish on the log scale.
                *o = core.ln() + ln_boost;
                in_logs = true;
            } else {
                let x = g.join(core, ln_boost);
                *o = x;
                total += x;
            }
        }
        if in_logs {
            normalise_mixed_logs(out);
        } else {
            for o in out.iter_mut() {
                *o /= total;
            }
        }
    }
}

/// Turns a mix of draws (≥ 0) and logarithms of draws (< 0) into shares summing to 1, via the log-sum-exp trick.
#[cold]
pub(super) fn normalise_mixed_logs(out: &mut [f64]) {
    let mut top = f64::NEG_INFINITY;
    for o in out.iter_mut() {
        if *o >= 0.0 {
            *o = o.ln();
        }
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
