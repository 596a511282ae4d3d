//! The regression design: sparse rows, their Gram matrix, the penalties; the bases for one parameter, a pair, or an
//! additive model of several, and the EVPPI estimate from fitted coefficients.

use super::linalg::symmetric_eigenvalues;
use super::spline::Spline;
use super::{
    mean, sd, ITERATIONS_PER_COEFFICIENT, MAX_PRODUCT_GROUP, REGRESSION_DRAWS, SEGMENTS_ADDITIVE, SEGMENTS_ONE,
    SEGMENTS_PAIR,
};

/// One smoothing penalty: a square block of the coefficient vector.
pub(super) struct Penalty {
    pub(super) offset: usize,
    pub(super) size: usize,
    /// size × size, row-major.
    pub(super) matrix: Vec<f64>,
}

/// How tr(S_λ⁻ S_j) is computed for the Fellner–Schall update (S_λ = Σ λ_j S_j; ⁻ a pseudo-inverse).
pub(super) enum PenaltyTrace {
    /// Penalties on disjoint blocks: tr(S_λ⁻ S_j) = rank(S_j) / λ_j.
    Blocks(Vec<f64>),
    /// Tensor product S₁ = Ω₁ ⊗ I, S₂ = I ⊗ Ω₂ with eigenvalues a of Ω₁ and b of Ω₂:
    /// tr(S_λ⁻ S₁) = Σ a_i / (λ₁a_i + λ₂b_j) over the pairs with a non-zero denominator (and likewise for S₂).
    Kronecker { a: Vec<f64>, b: Vec<f64> },
}

pub(super) struct Design {
    pub(super) n: usize,
    /// Number of coefficients.
    pub(super) q: usize,
    /// Row i's non-zero entries lie in runs of consecutive columns, `runs[rptr[i]..rptr[i + 1]]` as (first
    /// column, length), with their values run after run in `vals[vptr[i]..vptr[i + 1]]`. Runs (four neighbouring
    /// B-splines) make the inner loops short slices rather than scattered look-ups.
    pub(super) rptr: Vec<usize>,
    pub(super) vptr: Vec<usize>,
    pub(super) runs: Vec<(u32, u32)>,
    pub(super) vals: Vec<f64>,
    /// Some(r) when every row is r runs of exactly four columns (one parameter, or a pair).
    pub(super) runs_of_four: Option<usize>,
    /// XᵀX, q × q.
    pub(super) gram: Vec<f64>,
    pub(super) penalties: Vec<Penalty>,
    pub(super) trace: PenaltyTrace,
    pub(super) method: String,
}

/// Common ending of every method description.
fn method_tail() -> String {
    format!(
        "smoothing by REML (Fellner–Schall); standard error from {REGRESSION_DRAWS} draws of the coefficients \
         (sandwich covariance, as a wild bootstrap) plus the Monte Carlo error of the mean over iterations"
    )
}

impl Design {
    /// Chooses and builds the basis for the group's (non-constant) parameter columns.
    pub(super) fn build(columns: &[Vec<f64>]) -> Design {
        let n = columns[0].len();
        let budget = (n / ITERATIONS_PER_COEFFICIENT).max(4);
        match columns.len() {
            1 => Design::one(&columns[0], budget),
            2 => Design::pair(&columns[0], &columns[1], budget),
            _ => Design::additive(columns, budget),
        }
    }

    fn one(x: &[f64], budget: usize) -> Design {
        let s = Spline::new(x, SEGMENTS_ONE.min(budget.saturating_sub(3)));
        let k = s.len();
        let mut rows = Rows::new(x.len(), 4);
        for &v in x {
            let (first, b) = s.eval(v);
            for (j, bj) in b.iter().enumerate() {
                rows.push(first + j, *bj);
            }
            rows.end_row();
        }
        let penalty = Penalty {
            offset: 0,
            size: k,
            matrix: s.penalty(),
        };
        let method = format!(
            "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the first \
             on the parameter, by a penalised cubic regression spline ({k} B-splines, knots at quantiles, penalty \
             on the integrated squared second derivative); {}",
            method_tail()
        );
        rows.finish(k, vec![penalty], PenaltyTrace::Blocks(vec![(k - 2) as f64]), method)
    }

    fn pair(x1: &[f64], x2: &[f64], budget: usize) -> Design {
        // The largest margin whose square fits the budget.
        let margin = ((budget as f64).sqrt() as usize).saturating_sub(3);
        let s1 = Spline::new(x1, SEGMENTS_PAIR.min(margin));
        let s2 = Spline::new(x2, SEGMENTS_PAIR.min(margin));
        let (k1, k2) = (s1.len(), s2.len());
        let mut rows = Rows::new(x1.len(), 16);
        for (&a, &b) in x1.iter().zip(x2) {
            let (f1, b1) = s1.eval(a);
            let (f2, b2) = s2.eval(b);
            for (i, v1) in b1.iter().enumerate() {
                for (j, v2) in b2.iter().enumerate() {
                    rows.push((f1 + i) * k2 + f2 + j, v1 * v2);
                }
            }
            rows.end_row();
        }
        let (o1, o2) = (s1.penalty(), s2.penalty());
        let q = k1 * k2;
        // S₁ = Ω₁ ⊗ I (curvature along the first parameter), S₂ = I ⊗ Ω₂.
        let mut p1 = vec![0.0; q * q];
        let mut p2 = vec![0.0; q * q];
        for i1 in 0..k1 {
            for j1 in 0..k1 {
                for i2 in 0..k2 {
                    p1[(i1 * k2 + i2) * q + j1 * k2 + i2] = o1[i1 * k1 + j1];
                }
            }
        }
        for i1 in 0..k1 {
            for i2 in 0..k2 {
                for j2 in 0..k2 {
                    p2[(i1 * k2 + i2) * q + i1 * k2 + j2] = o2[i2 * k2 + j2];
                }
            }
        }
        let penalties = vec![
            Penalty {
                offset: 0,
                size: q,
                matrix: p1,
            },
            Penalty {
                offset: 0,
                size: q,
                matrix: p2,
            },
        ];
        let trace = PenaltyTrace::Kronecker {
            a: symmetric_eigenvalues(&o1, k1),
            b: symmetric_eigenvalues(&o2, k2),
        };
        let method = format!(
            "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the first \
             on the two parameters, by a tensor-product penalised cubic regression spline ({k1} × {k2} B-splines, \
             knots at quantiles, one curvature penalty per parameter); {}",
            method_tail()
        );
        rows.finish(q, penalties, trace, method)
    }

    fn additive(columns: &[Vec<f64>], budget: usize) -> Design {
        let k = columns.len();
        let products = k <= MAX_PRODUCT_GROUP;
        let n_products = if products { k * (k - 1) / 2 } else { 0 };
        // Segments per parameter so that all coefficients fit the budget.
        let per = (budget.saturating_sub(1 + n_products) / k).saturating_sub(2);
        let splines: Vec<Spline> = columns
            .iter()
            .map(|c| Spline::new(c, SEGMENTS_ADDITIVE.min(per)))
            .collect();
        // Column 0 is the intercept; each spline drops its first B-spline, which the intercept makes redundant. The
        // penalty ∫f''² ignores constants, so dropping it changes nothing else about the fit.
        let mut offsets = Vec::with_capacity(k);
        let mut q = 1;
        for s in &splines {
            offsets.push(q);
            q += s.len() - 1;
        }
        let product_offset = q;
        q += n_products;
        let standardised: Vec<(f64, f64)> = columns
            .iter()
            .map(|c| (mean(c), sd(c).max(f64::MIN_POSITIVE)))
            .collect();
        let n = columns[0].len();
        let mut rows = Rows::new(n, 1 + 4 * k + n_products);
        let mut z = vec![0.0; k];
        #[allow(clippy::needless_range_loop)] // a row gathers iteration i from every column
        for i in 0..n {
            rows.push(0, 1.0);
            for (j, s) in splines.iter().enumerate() {
                let (first, b) = s.eval(columns[j][i]);
                for (m, bm) in b.iter().enumerate() {
                    if first + m > 0 {
                        rows.push(offsets[j] + first + m - 1, *bm);
                    }
                }
                z[j] = (columns[j][i] - standardised[j].0) / standardised[j].1;
            }
            if products {
                let mut c = product_offset;
                for a in 0..k {
                    for b in a + 1..k {
                        rows.push(c, z[a] * z[b]);
                        c += 1;
                    }
                }
            }
            rows.end_row();
        }
        let mut penalties = Vec::with_capacity(k);
        let mut ranks = Vec::with_capacity(k);
        for (s, &offset) in splines.iter().zip(&offsets) {
            let full = s.penalty();
            let kk = s.len();
            let size = kk - 1;
            let mut matrix = vec![0.0; size * size];
            for a in 0..size {
                for b in 0..size {
                    matrix[a * size + b] = full[(a + 1) * kk + b + 1];
                }
            }
            penalties.push(Penalty { offset, size, matrix });
            ranks.push((kk - 2) as f64);
        }
        let sizes: Vec<String> = splines.iter().map(|s| s.len().to_string()).collect();
        let interactions = if products {
            "plus every pairwise product of the standardised parameters as a linear term (interactions of three or \
             more parameters, and curved pairwise interactions, are not captured)"
        } else {
            "without interaction terms (more than 12 parameters; no interactions are captured)"
        };
        let method = format!(
            "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the first \
             on the {k} parameters, by an additive model of penalised cubic regression splines ({} B-splines, knots \
             at quantiles) {interactions}; {}",
            sizes.join("/"),
            method_tail()
        );
        rows.finish(q, penalties, PenaltyTrace::Blocks(ranks), method)
    }

    /// x_iᵀγ for row i.
    pub(super) fn row_dot(&self, i: usize, gamma: &[f64]) -> f64 {
        let mut v = self.vptr[i];
        let mut sum = 0.0;
        for &(first, len) in &self.runs[self.rptr[i]..self.rptr[i + 1]] {
            let (first, len) = (first as usize, len as usize);
            sum += gamma[first..first + len]
                .iter()
                .zip(&self.vals[v..v + len])
                .map(|(g, x)| g * x)
                .sum::<f64>();
            v += len;
        }
        sum
    }

    /// u += w·x_i.
    pub(super) fn add_row(&self, i: usize, w: f64, u: &mut [f64]) {
        let mut v = self.vptr[i];
        for &(first, len) in &self.runs[self.rptr[i]..self.rptr[i + 1]] {
            let (first, len) = (first as usize, len as usize);
            for (ui, x) in u[first..first + len].iter_mut().zip(&self.vals[v..v + len]) {
                *ui += w * x;
            }
            v += len;
        }
    }

    /// Fitted values mean + x_iᵀγ for every iteration, into `out`.
    fn fitted(&self, mean: f64, gamma: &[f64], out: &mut [f64]) {
        match self.runs_of_four {
            // The common case (one parameter or two) unrolled: this is the inner loop of every draw.
            Some(r) => {
                let rows = self.runs.chunks_exact(r).zip(self.vals.chunks_exact(4 * r));
                for (o, (runs, vals)) in out.iter_mut().zip(rows) {
                    let mut sum = mean;
                    for (&(first, _), x) in runs.iter().zip(vals.chunks_exact(4)) {
                        let first = first as usize;
                        let g = &gamma[first..first + 4];
                        sum += g[0] * x[0] + g[1] * x[1] + g[2] * x[2] + g[3] * x[3];
                    }
                    *o = sum;
                }
            }
            None => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = mean + self.row_dot(i, gamma);
                }
            }
        }
    }

    /// The EVPPI estimate for fitted incremental net benefits ĝ_d(φ_i) = mean_d + x_iᵀγ_d, and (if asked) the
    /// variance over iterations of max_d ĝ_d(φ_i) − ĝ_d*(φ_i), the outer Monte Carlo error's ingredient.
    pub(super) fn estimate(&self, means: &[f64], gammas: &[&[f64]], outer: bool) -> (f64, f64) {
        let n = self.n;
        let mut g = vec![0.0; n * gammas.len()];
        for ((m, gamma), out) in means.iter().zip(gammas).zip(g.chunks_exact_mut(n)) {
            self.fitted(*m, gamma, out);
        }
        // max(0, max_d ĝ_d(φ_i)) per iteration: the first option's ĝ is 0.
        let mut best = vec![0.0f64; n];
        let mut star = None;
        let mut best_mean = 0.0;
        for (c, gc) in g.chunks_exact(n).enumerate() {
            for (b, v) in best.iter_mut().zip(gc) {
                *b = b.max(*v);
            }
            // The option with the highest mean; ties go to the first.
            let m = gc.iter().sum::<f64>() / n as f64;
            if m > best_mean {
                best_mean = m;
                star = Some(c);
            }
        }
        let value = best.iter().sum::<f64>() / n as f64 - best_mean;
        let var = match (outer, star) {
            (false, _) => 0.0,
            (true, None) => sd(&best).powi(2),
            (true, Some(c)) => {
                let h: Vec<f64> = best.iter().zip(&g[c * n..(c + 1) * n]).map(|(b, v)| b - v).collect();
                sd(&h).powi(2)
            }
        };
        (value, var)
    }
}

/// Sparse rows under construction (columns increasing within a row), then the finished design with its Gram matrix.
pub(super) struct Rows {
    rptr: Vec<usize>,
    vptr: Vec<usize>,
    runs: Vec<(u32, u32)>,
    vals: Vec<f64>,
}

impl Rows {
    pub(super) fn new(n: usize, per_row: usize) -> Rows {
        Rows {
            rptr: Vec::from([0]),
            vptr: Vec::from([0]),
            runs: Vec::with_capacity(n * per_row / 4 + n),
            vals: Vec::with_capacity(n * per_row),
        }
    }

    pub(super) fn push(&mut self, col: usize, v: f64) {
        let in_row = self.runs.len() > self.rptr[self.rptr.len() - 1];
        match self.runs.last_mut() {
            // The next column of the row's current run extends it.
            Some((first, len)) if in_row && (*first + *len) as usize == col => *len += 1,
            _ => self.runs.push((col as u32, 1)),
        }
        self.vals.push(v);
    }

    pub(super) fn end_row(&mut self) {
        self.rptr.push(self.runs.len());
        self.vptr.push(self.vals.len());
    }

    pub(super) fn finish(self, q: usize, penalties: Vec<Penalty>, trace: PenaltyTrace, method: String) -> Design {
        let n = self.rptr.len() - 1;
        // Upper triangle, summed row by row in order (deterministic), then mirrored.
        let mut gram = vec![0.0; q * q];
        let mut cols = Vec::new();
        for i in 0..n {
            cols.clear();
            for &(first, len) in &self.runs[self.rptr[i]..self.rptr[i + 1]] {
                cols.extend(first as usize..(first + len) as usize);
            }
            let vals = &self.vals[self.vptr[i]..self.vptr[i + 1]];
            for (s, (&cs, &vs)) in cols.iter().zip(vals).enumerate() {
                let row = &mut gram[cs * q..(cs + 1) * q];
                for (&ct, &vt) in cols[s..].iter().zip(&vals[s..]) {
                    row[ct] += vs * vt;
                }
            }
        }
        for a in 0..q {
            for b in 0..a {
                gram[a * q + b] = gram[b * q + a];
            }
        }
        let r = self.rptr[1];
        let uniform = self.runs.iter().all(|run| run.1 == 4) && self.rptr.iter().enumerate().all(|(i, &p)| p == i * r);
        Design {
            n,
            q,
            runs_of_four: uniform.then_some(r),
            rptr: self.rptr,
            vptr: self.vptr,
            runs: self.runs,
            vals: self.vals,
            gram,
            penalties,
            trace,
            method,
        }
    }
}
