//! The sandwich covariance of all the regressions' coefficients, and draws from it for the standard error.

use super::design::Design;
use super::linalg::{cholesky, cholesky_solve};
use super::reml::Fit;
use rand_distr::{Distribution as _, StandardNormal};

/// The sandwich (heteroscedasticity-consistent) covariance of all the regressions' coefficients together.
///
/// γ̂_d = M_d⁻¹Xᵀy_d with M_d = XᵀX + S_λ,d, so with the smoothing parameters fixed, Cov(γ̂_d, γ̂_e) =
/// M_d⁻¹ H_de M_e⁻¹ with H_de = Σ_i r_di r_ei x_i x_iᵀ estimated from the residuals r. This is the covariance of a
/// wild bootstrap of the residuals with one weight per iteration shared by all options; drawing from it directly
/// saves a pass over the iterations per draw.
pub(super) struct Sandwich {
    /// Lower Cholesky factor of H (all comparisons stacked: dimension comparisons × q).
    chol: Vec<f64>,
    dim: usize,
}

impl Sandwich {
    /// None when every residual is zero (the regressions fit exactly).
    pub(super) fn new(design: &Design, fits: &[Fit]) -> Option<Sandwich> {
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
    pub(super) fn draw(&self, fits: &[Fit], rng: &mut rand_xoshiro::Xoshiro256PlusPlus) -> Vec<Vec<f64>> {
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
