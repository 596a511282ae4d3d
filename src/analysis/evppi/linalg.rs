//! Small dense linear algebra (a few hundred coefficients at most, so a dependency would buy nothing): Cholesky
//! factor, solve and inverse, quadratic forms, and eigenvalues of small symmetric matrices.

/// In-place lower Cholesky factor of a symmetric positive definite row-major matrix; false if it is not.
pub(super) fn cholesky(a: &mut [f64], q: usize) -> bool {
    for j in 0..q {
        let mut d = a[j * q + j];
        for k in 0..j {
            d -= a[j * q + k] * a[j * q + k];
        }
        if !(d > 0.0 && d.is_finite()) {
            return false;
        }
        let d = d.sqrt();
        a[j * q + j] = d;
        for i in j + 1..q {
            let mut s = a[i * q + j];
            for k in 0..j {
                s -= a[i * q + k] * a[j * q + k];
            }
            a[i * q + j] = s / d;
        }
    }
    // Clear the upper triangle, so the factor is exactly L.
    for i in 0..q {
        for j in i + 1..q {
            a[i * q + j] = 0.0;
        }
    }
    true
}

/// Solves LLᵀx = b.
pub(super) fn cholesky_solve(l: &[f64], q: usize, b: &[f64]) -> Vec<f64> {
    let mut x = b.to_vec();
    for i in 0..q {
        let mut s = x[i];
        for k in 0..i {
            s -= l[i * q + k] * x[k];
        }
        x[i] = s / l[i * q + i];
    }
    for i in (0..q).rev() {
        let mut s = x[i];
        for k in i + 1..q {
            s -= l[k * q + i] * x[k];
        }
        x[i] = s / l[i * q + i];
    }
    x
}

/// (LLᵀ)⁻¹, full and symmetric: column j solves LLᵀx = e_j (row-major, so both sweeps read rows).
pub(super) fn cholesky_inverse(l: &[f64], q: usize) -> Vec<f64> {
    let mut lt = vec![0.0; q * q];
    for i in 0..q {
        for k in 0..=i {
            lt[k * q + i] = l[i * q + k];
        }
    }
    let mut inv = vec![0.0; q * q];
    let mut x = vec![0.0; q];
    for j in 0..q {
        // Forward: L y = e_j; y is zero above j.
        x.iter_mut().for_each(|v| *v = 0.0);
        x[j] = 1.0 / l[j * q + j];
        for i in j + 1..q {
            let row = &l[i * q + j..i * q + i];
            let s: f64 = row.iter().zip(&x[j..i]).map(|(a, b)| a * b).sum();
            x[i] = -s / l[i * q + i];
        }
        // Backward: Lᵀ z = y.
        for i in (0..q).rev() {
            let row = &lt[i * q + i + 1..(i + 1) * q];
            let s: f64 = row.iter().zip(&x[i + 1..]).map(|(a, b)| a * b).sum();
            x[i] = (x[i] - s) / lt[i * q + i];
        }
        for i in 0..q {
            inv[i * q + j] = x[i];
        }
    }
    inv
}

/// vᵀAv for a row-major q × q matrix.
pub(super) fn quadratic_form(a: &[f64], q: usize, v: &[f64]) -> f64 {
    (0..q)
        .map(|i| v[i] * a[i * q..(i + 1) * q].iter().zip(v).map(|(x, y)| x * y).sum::<f64>())
        .sum()
}

/// Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations; values below 10⁻⁹ of the largest are 0.
pub(super) fn symmetric_eigenvalues(matrix: &[f64], k: usize) -> Vec<f64> {
    let mut a = matrix.to_vec();
    for _sweep in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * k + j] * a[i * k + j])
            .sum();
        let total: f64 = a.iter().map(|v| v * v).sum();
        if off <= 1e-30 * total {
            break;
        }
        for p in 0..k {
            for r in p + 1..k {
                let apr = a[p * k + r];
                if apr == 0.0 {
                    continue;
                }
                let theta = (a[r * k + r] - a[p * k + p]) / (2.0 * apr);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for i in 0..k {
                    let (aip, air) = (a[i * k + p], a[i * k + r]);
                    a[i * k + p] = c * aip - s * air;
                    a[i * k + r] = s * aip + c * air;
                }
                for i in 0..k {
                    let (api, ari) = (a[p * k + i], a[r * k + i]);
                    a[p * k + i] = c * api - s * ari;
                    a[r * k + i] = s * api + c * ari;
                }
            }
        }
    }
    let values: Vec<f64> = (0..k).map(|i| a[i * k + i]).collect();
    let top = values.iter().copied().fold(0.0, f64::max);
    values
        .into_iter()
        .map(|v| if v <= 1e-9 * top { 0.0 } else { v })
        .collect()
}
