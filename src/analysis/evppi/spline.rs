//! Cubic B-splines with knots at quantiles and the exact ∫f''² penalty.

/// A cubic B-spline basis on one parameter, rescaled to [0, 1].
pub(super) struct Spline {
    lo: f64,
    width: f64,
    /// Clamped knot vector: four 0s, the interior knots, four 1s.
    knots: Vec<f64>,
}

impl Spline {
    /// A basis with up to `segments` intervals between quantiles of the distinct values (which must not all be equal).
    pub(super) fn new(values: &[f64], segments: usize) -> Spline {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let width = hi - lo;
        let mut u: Vec<f64> = values.iter().map(|v| ((v - lo) / width).clamp(0.0, 1.0)).collect();
        u.sort_unstable_by(f64::total_cmp);
        u.dedup();
        // Quantiles of the distinct values, so ties (a discrete parameter) do not stack knots on one point.
        let segments = segments.clamp(1, u.len().saturating_sub(1).max(1));
        let mut knots = vec![0.0; 4];
        for j in 1..segments {
            let h = (u.len() - 1) as f64 * j as f64 / segments as f64;
            let a = h.floor() as usize;
            let b = (a + 1).min(u.len() - 1);
            let k = u[a] + (h - a as f64) * (u[b] - u[a]);
            // Strictly increasing and inside (0, 1), or the basis would have empty spans.
            if k > *knots.last().unwrap_or(&0.0) && k < 1.0 {
                knots.push(k);
            }
        }
        knots.extend([1.0; 4]);
        Spline { lo, width, knots }
    }

    /// Number of basis functions.
    pub(super) fn len(&self) -> usize {
        self.knots.len() - 4
    }

    /// The index of the first of the four basis functions that are non-zero at `x`, and their values.
    pub(super) fn eval(&self, x: f64) -> (usize, [f64; 4]) {
        let u = ((x - self.lo) / self.width).clamp(0.0, 1.0);
        let t = &self.knots;
        let k = self.len();
        // Span i with t[i] <= u < t[i+1], i in 3..k; u = 1 belongs to the last span.
        let interior = &t[4..k];
        let i = 3 + interior.partition_point(|&knot| knot <= u);
        // de Boor–Cox recursion (Piegl and Tiller, The NURBS Book, A2.2).
        let mut n = [1.0, 0.0, 0.0, 0.0];
        let (mut left, mut right) = ([0.0; 4], [0.0; 4]);
        for j in 1..4 {
            left[j] = u - t[i + 1 - j];
            right[j] = t[i + j] - u;
            let mut saved = 0.0;
            for r in 0..j {
                let temp = n[r] / (right[r + 1] + left[j - r]);
                n[r] = saved + right[r + 1] * temp;
                saved = left[j - r] * temp;
            }
            n[j] = saved;
        }
        (i - 3, n)
    }

    /// The penalty matrix Ω with cᵀΩc = ∫₀¹ f''(u)² du for f = Σ c_i B_i (row-major, len × len).
    ///
    /// f'' of a cubic spline is a linear spline whose coefficients are second divided differences of c, so
    /// Ω = Cᵀ H C with C those differences and H the Gram matrix of the piecewise-linear hat functions.
    pub(super) fn penalty(&self) -> Vec<f64> {
        let t = &self.knots;
        let k = self.len();
        // First derivative coefficients c'_i = 3(c_i − c_{i−1}) / (t_{i+3} − t_i), i = 1..k−1, as rows over c.
        let mut d1 = vec![0.0; (k - 1) * k];
        for i in 1..k {
            let w = 3.0 / (t[i + 3] - t[i]);
            d1[(i - 1) * k + i] = w;
            d1[(i - 1) * k + i - 1] = -w;
        }
        // Second derivative coefficients c''_i = 2(c'_i − c'_{i−1}) / (t_{i+2} − t_i), i = 2..k−1.
        let m = k - 2;
        let mut c = vec![0.0; m * k];
        for i in 2..k {
            let w = 2.0 / (t[i + 2] - t[i]);
            for col in 0..k {
                c[(i - 2) * k + col] = w * (d1[(i - 1) * k + col] - d1[(i - 2) * k + col]);
            }
        }
        // Gram matrix of the hats B_{i,1} (support t_i..t_{i+2}), i = 2..k−1: tridiagonal.
        let mut h = vec![0.0; m * m];
        for r in 0..m {
            let i = r + 2;
            h[r * m + r] = (t[i + 2] - t[i]) / 3.0;
            if r + 1 < m {
                let v = (t[i + 2] - t[i + 1]) / 6.0;
                h[r * m + r + 1] = v;
                h[(r + 1) * m + r] = v;
            }
        }
        let mut omega = vec![0.0; k * k];
        for a in 0..m {
            for b in 0..m {
                let hab = h[a * m + b];
                if hab == 0.0 {
                    continue;
                }
                for p in 0..k {
                    let cap = c[a * k + p] * hab;
                    if cap == 0.0 {
                        continue;
                    }
                    for q in 0..k {
                        omega[p * k + q] += cap * c[b * k + q];
                    }
                }
            }
        }
        omega
    }
}
