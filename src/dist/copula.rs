//! Correlated parameters: a validated correlation matrix with its Cholesky factor, which turns independent standard
//! normal draws into correlated ones (a Gaussian copula), and [`Marginal`], which takes a correlated normal draw to
//! a parameter's own distribution through its quantile function, so every parameter keeps its marginal.
//!
//! Why by hand: the factor of a matrix of a few parameters is a dozen lines, and the crates that have one bring a
//! linear algebra library; what matters here is saying which entry of the user's matrix is wrong.
use rand::Rng;

use super::checks::num;
use super::inverse::{beta_small_inverse, beta_small_inverse_lanes, gamma_unit_inverse};
use super::special::beta_cdf;
use super::special::normal_tails;
use super::LANES;
use super::{ziggurat, Distribution};
use std::cmp::Ordering;

/// A correlation entry closer to ±1 than this, or a diagonal entry this far from 1, counts as written wrongly rather
/// than rounded; entries a matrix repeats (ρ_ij and ρ_ji) may differ by this much, and their mean is used.
const ROUNDING: f64 = 1e-12;

/// The smallest pivot the Cholesky factorisation accepts: below it the matrix is singular to within rounding, so some
/// parameter would be an exact combination of the others.
const MIN_PIVOT: f64 = 1e-10;

/// What is wrong with a correlation or covariance matrix, by row and column (0-based; `i < j` for pairs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MatrixError {
    /// The matrix has `rows` rows where `n` are needed.
    Rows { rows: usize, n: usize },
    /// Row `row` has `len` entries where `n` are needed.
    Columns { row: usize, len: usize, n: usize },
    /// Entry (i, j) is not a finite number.
    NotFinite { i: usize, j: usize },
    /// Entries (i, j) and (j, i) differ.
    Asymmetric { i: usize, j: usize },
    /// Diagonal entry i is not 1 (correlation) or not positive (covariance).
    Diagonal { i: usize },
    /// |ρ_ij| > 1 (for a covariance: |σ_ij| > σ_i σ_j).
    OutOfRange { i: usize, j: usize },
    /// |ρ_ij| = 1: the two are one parameter.
    Perfect { i: usize, j: usize },
    /// The leading (k + 1) × (k + 1) block is not positive definite; `determinant` is its determinant.
    NotPositiveDefinite { k: usize, determinant: f64 },
}

impl MatrixError {
    /// The entry (row, column) the error is about, to point at in the file; None for a missing row.
    pub fn entry(&self) -> Option<(usize, usize)> {
        match *self {
            Self::Rows { .. } => None,
            Self::Columns { row, .. } => Some((row, 0)),
            Self::NotFinite { i, j } | Self::OutOfRange { i, j } | Self::Perfect { i, j } => Some((i, j)),
            // The lower of the two entries: the one that disagrees with the row above it.
            Self::Asymmetric { i, j } => Some((j, i)),
            Self::Diagonal { i } => Some((i, i)),
            Self::NotPositiveDefinite { k, .. } => Some((k, k)),
        }
    }

    /// The message, naming the parameters (`names`, one per row) rather than row numbers; `matrix` is as written
    /// and `covariance` says whether it is a covariance matrix (of a multivariate normal) or a correlation matrix.
    pub fn message(&self, names: &[String], matrix: &[Vec<f64>], covariance: bool) -> String {
        let name = |i: usize| {
            names
                .get(i)
                .map_or_else(|| format!("row {}", i + 1), |n| format!("`{n}`"))
        };
        let at = |i: usize, j: usize| matrix.get(i).and_then(|r| r.get(j)).copied().unwrap_or(f64::NAN);
        let what = if covariance { "covariance" } else { "correlation" };
        match *self {
            Self::Rows { rows, n } => format!(
                "the {what} matrix has {rows} rows, but it needs one per parameter: {n}, in the order of the names"
            ),
            Self::Columns { row, len, n } => format!(
                "row {} of the {what} matrix (for {}) has {len} entries, but it needs one per parameter: {n}",
                row + 1,
                name(row)
            ),
            Self::NotFinite { i, j } => format!("the {what} of {} and {} is not a finite number", name(i), name(j)),
            Self::Asymmetric { i, j } => format!(
                "the matrix is not symmetric: the {what} of {} and {} is {} in row {} but {} in row {}; a {what} \
                 matrix has the same value on both sides of the diagonal",
                name(i),
                name(j),
                num(at(i, j)),
                i + 1,
                num(at(j, i)),
                j + 1
            ),
            Self::Diagonal { i } if covariance => format!(
                "the variance of {} (the diagonal entry) is {}, but a variance must be greater than 0; a \
                 coefficient known exactly is a fixed parameter",
                name(i),
                num(at(i, i))
            ),
            Self::Diagonal { i } => format!(
                "the diagonal entry for {} is {}, but every parameter's correlation with itself is 1",
                name(i),
                num(at(i, i))
            ),
            Self::OutOfRange { i, j } if covariance => format!(
                "the covariance of {} and {} is {}, larger in size than the product of their standard deviations \
                 ({}): their correlation would be outside [-1, 1]",
                name(i),
                name(j),
                num(at(i, j)),
                num((at(i, i) * at(j, j)).sqrt())
            ),
            Self::OutOfRange { i, j } => format!(
                "the correlation of {} and {} is {}, but a correlation lies between -1 and 1",
                name(i),
                name(j),
                num(at(i, j))
            ),
            Self::Perfect { i, j } => format!(
                "{} and {} are perfectly correlated ({} of ±1), so they are one uncertain quantity, not two: \
                 define one from the other with an expression",
                name(i),
                name(j),
                what
            ),
            Self::NotPositiveDefinite { k, determinant } => {
                let block: Vec<String> = (0..=k).map(name).collect();
                // The pair to look at first: the new parameter and the one it is most strongly tied to.
                let strongest = (0..k).max_by(|&a, &b| {
                    let r = |j: usize| (at(k, j) / (at(k, k) * at(j, j)).sqrt()).abs();
                    r(a).total_cmp(&r(b))
                });
                let pair = strongest.map_or_else(String::new, |j| {
                    format!(
                        " (the strongest is the {what} of {} and {}, {})",
                        name(j),
                        name(k),
                        num(at(j, k))
                    )
                });
                format!(
                    "the {what}s of {} are not positive definite (the determinant of their block of the matrix is \
                     {}): no {} quantities can have these correlations together. Adding {} to the parameters \
                     before it is what fails: lower its largest correlations{pair}, or check their signs",
                    block.join(", "),
                    num(determinant),
                    k + 1,
                    name(k)
                )
            }
        }
    }
}

/// A valid correlation matrix of n parameters as its lower-triangular Cholesky factor L (R = L·Lᵀ): correlated
/// standard normals are L times independent ones.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationFactor {
    /// Number of parameters.
    n: usize,
    /// Row i holds L_i0 … L_ii, rows one after the other.
    lower: Vec<f64>,
    /// The correlation matrix as validated (entries written twice averaged), row by row.
    matrix: Vec<f64>,
}

impl CorrelationFactor {
    /// Checks that `matrix` is n × n, finite, symmetric, with unit diagonal and every |ρ| < 1, and positive
    /// definite (its Cholesky factorisation succeeds), and factorises it.
    pub fn from_correlation(matrix: &[Vec<f64>], n: usize) -> Result<Self, MatrixError> {
        check_shape(matrix, n)?;
        // Indexed by (row, column): the checks read entries on both sides of the diagonal.
        let at = |i: usize, j: usize| matrix[i][j];
        for i in 0..n {
            if (at(i, i) - 1.0).abs() > ROUNDING {
                return Err(MatrixError::Diagonal { i });
            }
            for j in i + 1..n {
                let r = 0.5 * (at(i, j) + at(j, i));
                if r.abs() > 1.0 + ROUNDING {
                    return Err(MatrixError::OutOfRange { i, j });
                }
                if r.abs() >= 1.0 - ROUNDING {
                    return Err(MatrixError::Perfect { i, j });
                }
            }
        }
        Self::factorise(n, |i, j| if i == j { 1.0 } else { 0.5 * (at(i, j) + at(j, i)) })
    }

    /// The standard deviations and the correlation factor of a covariance matrix (checked as in
    /// [`Self::from_correlation`], with positive variances on the diagonal).
    pub fn from_covariance(matrix: &[Vec<f64>], n: usize) -> Result<(Vec<f64>, Self), MatrixError> {
        check_shape(matrix, n)?;
        // Indexed by (row, column): the checks read entries on both sides of the diagonal.
        let at = |i: usize, j: usize| matrix[i][j];
        let mut sd = Vec::with_capacity(n);
        for i in 0..n {
            if at(i, i) <= 0.0 {
                return Err(MatrixError::Diagonal { i });
            }
            sd.push(at(i, i).sqrt());
        }
        let correlation = |i: usize, j: usize| 0.5 * (at(i, j) + at(j, i)) / (sd[i] * sd[j]);
        for i in 0..n {
            for j in i + 1..n {
                let r = correlation(i, j);
                if r.abs() > 1.0 + ROUNDING {
                    return Err(MatrixError::OutOfRange { i, j });
                }
                if r.abs() >= 1.0 - ROUNDING {
                    return Err(MatrixError::Perfect { i, j });
                }
            }
        }
        let factor = Self::factorise(n, |i, j| if i == j { 1.0 } else { correlation(i, j) })?;
        Ok((sd, factor))
    }

    /// The Cholesky–Banachiewicz factorisation, row by row, refusing at the first pivot that is not positive.
    fn factorise(n: usize, r: impl Fn(usize, usize) -> f64) -> Result<Self, MatrixError> {
        let matrix: Vec<f64> = (0..n * n).map(|k| r(k / n, k % n)).collect();
        let mut lower = Vec::with_capacity(n * (n + 1) / 2);
        let mut determinant = 1.0;
        for i in 0..n {
            let row_i = lower.len();
            for j in 0..=i {
                let row_j = j * (j + 1) / 2;
                let dot: f64 = (0..j).map(|k| lower[row_i + k] * lower[row_j + k]).sum();
                if j < i {
                    lower.push((r(i, j) - dot) / lower[row_j + j]);
                } else {
                    let pivot = r(i, i) - dot;
                    determinant *= pivot;
                    if pivot < MIN_PIVOT {
                        return Err(MatrixError::NotPositiveDefinite { k: i, determinant });
                    }
                    lower.push(pivot.sqrt());
                }
            }
        }
        Ok(Self { n, lower, matrix })
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the factor has no parameters (never, for one built by the constructors).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The correlation matrix the factor stands for, as validated (an entry written twice is their mean; a
    /// covariance's entries divided by both standard deviations).
    pub fn correlation(&self) -> Vec<Vec<f64>> {
        self.matrix.chunks(self.n.max(1)).map(<[f64]>::to_vec).collect()
    }

    /// Draws n independent standard normals from `rng`, in order, and leaves their correlated combination in
    /// `values[slots[0]]`, …, `values[slots[n − 1]]` (no allocation: the slots hold the draws while they combine).
    pub fn correlated_normals<R: Rng + ?Sized>(&self, rng: &mut R, values: &mut [f64], slots: &[usize]) {
        debug_assert_eq!(slots.len(), self.n);
        for &s in slots {
            values[s] = ziggurat::standard_normal(rng);
        }
        // z_i = Σ_{j ≤ i} L_ij e_j: from the last row up, so every e_j a row reads is not yet overwritten.
        for i in (0..self.n).rev() {
            let row = &self.lower[i * (i + 1) / 2..i * (i + 1) / 2 + i + 1];
            values[slots[i]] = row.iter().zip(slots).map(|(l, &s)| l * values[s]).sum();
        }
    }
}

/// Checks that the matrix is n × n and finite.
fn check_shape(matrix: &[Vec<f64>], n: usize) -> Result<(), MatrixError> {
    if matrix.len() != n {
        return Err(MatrixError::Rows { rows: matrix.len(), n });
    }
    for (i, row) in matrix.iter().enumerate() {
        if row.len() != n {
            return Err(MatrixError::Columns {
                row: i,
                len: row.len(),
                n,
            });
        }
        if let Some(j) = row.iter().position(|x| !x.is_finite()) {
            return Err(MatrixError::NotFinite { i, j });
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (matrix[i][j], matrix[j][i]);
            // Relative to the entries' size, so that a covariance in £² is held to the same standard as a correlation.
            let scale = a.abs().max(b.abs()).max((matrix[i][i] * matrix[j][j]).abs().sqrt());
            if (a - b).abs() > ROUNDING * scale {
                return Err(MatrixError::Asymmetric { i, j });
            }
        }
    }
    Ok(())
}

/// A distribution ready to be reached from a standard normal draw: x = F⁻¹(Φ(z)), with its constants precomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marginal {
    distribution: Distribution,
    /// ln Γ(shape) for a gamma, ln B(α, β) for a beta or PERT; unused otherwise.
    ln_norm: f64,
    /// For a beta or PERT, the underlying beta's CDF at 1/2: which side of 1/2 a probability's quantile lies on.
    cdf_half: f64,
}

impl Distribution {
    /// This distribution as the marginal of a copula.
    pub fn marginal(&self) -> Marginal {
        let beta = match *self {
            Self::Beta { alpha, beta } => Some((alpha, beta)),
            Self::Pert { .. } => {
                let (a, b, _, _) = self.pert_beta();
                Some((a, b))
            }
            _ => None,
        };
        let (ln_norm, cdf_half) = match (*self, beta) {
            (Self::Gamma { shape, .. }, _) => (statrs::function::gamma::ln_gamma(shape), 0.0),
            (_, Some((a, b))) => (statrs::function::beta::ln_beta(a, b), beta_cdf(a, b, 0.5)),
            _ => (0.0, 0.0),
        };
        Marginal {
            distribution: *self,
            ln_norm,
            cdf_half,
        }
    }
}

impl Marginal {
    /// The distribution's value at the same quantile as `z` has in the standard normal: F⁻¹(Φ(z)). Normal and
    /// lognormal values are mean + sd·z and exp(meanlog + sdlog·z), exactly; the others solve in the tail z lies in.
    pub fn at_normal_score(&self, z: f64) -> f64 {
        let upper = z > 0.0;
        match self.distribution {
            Distribution::Fixed(v) => v,
            Distribution::Normal { mean, sd } => mean + sd * z,
            Distribution::LogNormal { meanlog, sdlog } => (meanlog + sdlog * z).exp(),
            Distribution::Uniform { low, high } => {
                let (p, q) = normal_tails(z);
                if upper {
                    high - q * (high - low)
                } else {
                    low + p * (high - low)
                }
            }
            Distribution::Gamma { shape, scale } => {
                let (p, q) = normal_tails(z);
                scale * gamma_unit_inverse(shape, self.ln_norm, if upper { q } else { p }, upper)
            }
            Distribution::Beta { alpha, beta } => self.beta_at(alpha, beta, z),
            Distribution::Pert { .. } => {
                let (a, b, min, range) = self.distribution.pert_beta();
                min + range * self.beta_at(a, b, z)
            }
            Distribution::Triangular { min, mode, max } => {
                let (p, q) = normal_tails(z);
                let range = max - min;
                // Each side from the tail probability it is given: the left from p, the right from q.
                if p * range < mode - min {
                    min + (p * range * (mode - min)).sqrt()
                } else {
                    max - (q * range * (max - mode)).sqrt()
                }
            }
        }
    }

    /// [`Marginal::at_normal_score`] of [`LANES`] normal scores at once, with the same values bit for bit: a beta's
    /// or PERT's roots are solved together (`beta_small_inverse_lanes`), the other families' one by one.
    pub fn at_normal_scores(&self, z: [f64; LANES]) -> [f64; LANES] {
        match self.distribution {
            Distribution::Beta { alpha, beta } => self.beta_at_lanes(alpha, beta, z),
            Distribution::Pert { .. } => {
                let (a, b, min, range) = self.distribution.pert_beta();
                self.beta_at_lanes(a, b, z).map(|x| min + range * x)
            }
            _ => z.map(|z| self.at_normal_score(z)),
        }
    }

    /// The distribution reached.
    pub fn distribution(&self) -> &Distribution {
        &self.distribution
    }

    /// Beta(a, b) at normal score z, solved for the side of 1/2 the value lies on (Beta(a, b) itself below 1/2, the
    /// mirrored Beta(b, a) above), so that a value near 0 or near 1 keeps its precision, from the tail z lies in.
    fn beta_at(&self, a: f64, b: f64, z: f64) -> f64 {
        let (p, q) = normal_tails(z);
        let (tail, upper) = if z > 0.0 { (q, true) } else { (p, false) };
        if p <= self.cdf_half {
            beta_small_inverse(a, b, self.ln_norm, tail, upper)
        } else {
            // 1 − X ~ Beta(b, a), and X's lower tail is its upper tail.
            1.0 - beta_small_inverse(b, a, self.ln_norm, tail, !upper)
        }
    }

    /// [`Marginal::beta_at`] for [`LANES`] normal scores, each lane on the side of 1/2 its own value lies on.
    fn beta_at_lanes(&self, a: f64, b: f64, z: [f64; LANES]) -> [f64; LANES] {
        let (mut tail, mut upper, mut mirrored) = ([0.0; LANES], [false; LANES], [false; LANES]);
        for l in 0..LANES {
            let (p, q) = normal_tails(z[l]);
            let (t, up) = if z[l] > 0.0 { (q, true) } else { (p, false) };
            // As in `beta_at`: mirrored (1 − X ~ Beta(b, a), the tails swapped) unless p ≤ I_½(a, b).
            mirrored[l] = !matches!(p.partial_cmp(&self.cdf_half), Some(Ordering::Less | Ordering::Equal));
            tail[l] = t;
            upper[l] = up != mirrored[l];
        }
        let x = beta_small_inverse_lanes((a, b, self.ln_norm), tail, upper, mirrored);
        std::array::from_fn(|l| if mirrored[l] { 1.0 - x[l] } else { x[l] })
    }
}
