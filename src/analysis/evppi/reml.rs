//! Penalised least squares with smoothing parameters chosen by REML (generalised Fellner–Schall updates).

use super::design::{Design, PenaltyTrace};
use super::linalg::{cholesky, cholesky_inverse, cholesky_solve, quadratic_form};
use super::{mean, FIT_TOLERANCE, MAX_REML_STEPS, REML_TOLERANCE};

impl Design {
    /// Penalised least squares of `y` on the design with smoothing parameters chosen by REML.
    pub(super) fn fit(&self, y: &[f64]) -> Fit {
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
            let mut m = self.penalised_gram(&lambda, ridge);
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
            let next = self.fellner_schall(&lambda, &start, &inv, &gamma, scale);
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

    /// XᵀX + S_λ + ridge·I at smoothing parameters `lambda` (row-major, q × q).
    fn penalised_gram(&self, lambda: &[f64], ridge: f64) -> Vec<f64> {
        let q = self.q;
        let mut m = self.gram.clone();
        for (p, l) in self.penalties.iter().zip(lambda) {
            for a in 0..p.size {
                for b in 0..p.size {
                    m[(p.offset + a) * q + p.offset + b] += l * p.matrix[a * p.size + b];
                }
            }
        }
        for a in 0..q {
            m[a * q + a] += ridge;
        }
        m
    }

    /// The next smoothing parameters after `lambda`, from the fit's coefficients `gamma`, the inverse `inv` of
    /// XᵀX + S_λ and the scale σ², each kept within 10⁻⁸ to 10¹⁰ times its `start`.
    fn fellner_schall(&self, lambda: &[f64], start: &[f64], inv: &[f64], gamma: &[f64], scale: f64) -> Vec<f64> {
        let q = self.q;
        // Generalised Fellner–Schall update: λ_j ← λ_j·σ²·(tr(S_λ⁻S_j) − tr(M⁻¹S_j)) / γᵀS_jγ.
        let mut next = lambda.to_vec();
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
            let tr_pinv = self.trace.pinv(j, lambda);
            let numerator = scale * (tr_pinv - tr_inv);
            let (lo, hi) = (start[j] * 1e-8, start[j] * 1e10);
            next[j] = if numerator > 0.0 && quad > 0.0 {
                (lambda[j] * numerator / quad).clamp(lo, hi)
            } else {
                // No wiggle left to explain: the fit is in the penalty's null space (a straight line).
                hi
            };
        }
        next
    }
}

impl PenaltyTrace {
    /// tr(S_λ⁻ S_j) at smoothing parameters `lambda`.
    pub(super) fn pinv(&self, j: usize, lambda: &[f64]) -> f64 {
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

/// One regression of an incremental net benefit on the parameters.
pub(super) struct Fit {
    pub(super) ok: bool,
    /// Mean of the response (the fit is of the centred response).
    pub(super) mean: f64,
    pub(super) gamma: Vec<f64>,
    /// Lower Cholesky factor L of XᵀX + S_λ (row-major).
    pub(super) chol: Vec<f64>,
    /// Residuals y − ĝ.
    pub(super) resid: Vec<f64>,
    pub(super) edf: f64,
    pub(super) r_squared: f64,
}
