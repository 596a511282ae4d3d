//! Running statistics of per-iteration series: what a summary needs (mean, Monte Carlo standard error, percentiles,
//! shares) kept as sums that take iterations a chunk at a time, so that a run of any length is analysed in bounded
//! memory and the same iterations give the same bits however they are split into blocks.
//!
//! - The mean is the sum of the chunks' sums in iteration order over the count, each chunk summed in [`LANES`]
//!   interleaved partial sums ([`lane_sum`]): fixed additions, whatever the blocks. A sum in strict order waits on
//!   each addition before the next (four cycles each), and a run's analyses add a hundred or more series per
//!   iteration; the interleaved sums run side by side in vector registers, and are at least as accurate.
//! - The standard error comes from the sum of squared deviations, combined chunk by chunk (Chan, Golub and LeVeque's
//!   pairwise update): each chunk's own mean and squared deviations, then the update for the difference of means. A
//!   one-pass sum of squares would lose the variance to cancellation where the mean is large beside the spread.
//!   Chunks are whole [`STATS_CHUNK`]s of iterations (the last may be shorter), so a block of iterations that starts
//!   at a multiple of it gives the same bits as the whole run.
//! - Percentiles are of the first [`PERCENTILE_VALUES`] values (see [`stats::quantiles`](super::stats::quantiles)):
//!   those are kept.
//! - Shares are counts of values.

use super::stats::{quantiles, Summary, PERCENTILE_VALUES};

/// Iterations per chunk of the standard errors' pairwise update: blocks of a run start at multiples of it.
pub const STATS_CHUNK: usize = 256;

/// Count, mean and sum of squared deviations, combined chunk by chunk.
#[derive(Debug, Clone, Copy, Default)]
struct Spread {
    n: usize,
    mean: f64,
    m2: f64,
}

impl Spread {
    /// Adds a chunk whose values sum (in order) to `sum` and whose squared deviations from their own mean sum to `m2`.
    fn combine(&mut self, k: usize, mean: f64, m2: f64) {
        if k == 0 {
            return;
        }
        if self.n == 0 {
            *self = Spread { n: k, mean, m2 };
            return;
        }
        let n = self.n + k;
        let delta = mean - self.mean;
        let (na, nb) = (self.n as f64, k as f64);
        self.mean += delta * nb / n as f64;
        self.m2 += m2 + delta * delta * na * nb / n as f64;
        self.n = n;
    }

    /// Standard error of the mean: √(m2 / (n − 1) / n); 0 for fewer than two values.
    fn standard_error(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        (self.m2 / (self.n - 1) as f64 / self.n as f64).sqrt()
    }
}

/// Partial sums in a [`lane_sum`].
pub const LANES: usize = 8;

/// The sum of `f` of each value: value i added to partial sum i mod [`LANES`] in order, from −0, and the partial sums
/// then added pairwise in a fixed order. The same values give the same bits wherever they sit in memory.
#[inline]
pub fn lane_sum(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [-0.0f64; LANES];
    let mut whole = values.chunks_exact(LANES);
    for c in &mut whole {
        for l in 0..LANES {
            acc[l] += f(c[l]);
        }
    }
    for (l, &v) in whole.remainder().iter().enumerate() {
        acc[l] += f(v);
    }
    add_lanes(acc)
}

/// The partial sums of a lane sum added pairwise in a fixed order.
#[inline]
fn add_lanes(acc: [f64; LANES]) -> f64 {
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// The sum of products of paired values, as [`lane_sum`] adds.
#[inline]
fn lane_sum_of_products(x: &[f64], y: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [-0.0f64; LANES];
    let (mut xs, mut ys) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    for (a, b) in (&mut xs).zip(&mut ys) {
        for l in 0..LANES {
            acc[l] += f(a[l], b[l]);
        }
    }
    for (l, (&a, &b)) in xs.remainder().iter().zip(ys.remainder()).enumerate() {
        acc[l] += f(a, b);
    }
    add_lanes(acc)
}

/// A chunk's sum, its sum of squared deviations from its mean, and its [`counts`]. On CPUs with AVX2 the lanes run
/// four at a time, with AVX-512 eight (the same bits: Rust never fuses a multiply and an add).
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn chunk_stats(values: &[f64]) -> (f64, f64, [usize; 4]) {
    let sum = lane_sum(values, |v| v);
    let mean = sum / values.len() as f64;
    (sum, lane_sum(values, |v| (v - mean) * (v - mean)), counts(values))
}

/// Paired chunks' sums, sums of squared deviations from their means, and sum of products of deviations, as
/// [`chunk_stats`] computes them.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn pair_stats(x: &[f64], y: &[f64]) -> [f64; 5] {
    let (sx, sy) = (lane_sum(x, |v| v), lane_sum(y, |v| v));
    let (mx, my) = (sx / x.len() as f64, sy / y.len() as f64);
    let sxx = lane_sum(x, |a| (a - mx) * (a - mx));
    let syy = lane_sum(y, |b| (b - my) * (b - my));
    [sx, sy, sxx, syy, lane_sum_of_products(x, y, |a, b| (a - mx) * (b - my))]
}

/// Counts of values above zero, at or above zero, above one, and not zero.
#[inline]
fn counts(values: &[f64]) -> [usize; 4] {
    let mut n = [0usize; 4];
    for &v in values {
        n[0] += usize::from(v > 0.0);
        n[1] += usize::from(v >= 0.0);
        n[2] += usize::from(v > 1.0);
        n[3] += usize::from(v != 0.0);
    }
    n
}

/// Running statistics of one per-iteration series.
#[derive(Debug, Clone)]
pub struct Moments {
    /// The chunks' [`lane_sum`]s added in order, from −0.
    sum: f64,
    spread: Spread,
    /// The first [`PERCENTILE_VALUES`] values.
    first: Vec<f64>,
    positive: usize,
    non_negative: usize,
    above_one: usize,
    non_zero: usize,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            sum: -0.0,
            spread: Spread::default(),
            first: Vec::new(),
            positive: 0,
            non_negative: 0,
            above_one: 0,
            non_zero: 0,
        }
    }
}

impl Moments {
    /// The statistics of `values`, added a [`STATS_CHUNK`] at a time.
    pub fn of(values: &[f64]) -> Self {
        let mut m = Moments::default();
        values.chunks(STATS_CHUNK).for_each(|c| m.add(c));
        m
    }

    /// Adds one chunk of values: those of one chunk of iterations, in iteration order (a filtered series, such as the
    /// ratios of the iterations with spend, adds its values from that chunk).
    pub fn add(&mut self, values: &[f64]) {
        if values.is_empty() {
            return;
        }
        let (sum, m2, [positive, non_negative, above_one, non_zero]) = chunk_stats(values);
        self.sum += sum;
        self.positive += positive;
        self.non_negative += non_negative;
        self.above_one += above_one;
        self.non_zero += non_zero;
        self.spread.combine(values.len(), sum / values.len() as f64, m2);
        let room = PERCENTILE_VALUES - self.first.len();
        self.first.extend_from_slice(&values[..values.len().min(room)]);
    }

    /// Makes room for the kept values of the next `n` added, so that the sample is not regrown (reallocated and
    /// copied) a chunk at a time while a block is fed.
    pub fn reserve_sample(&mut self, n: usize) {
        let room = PERCENTILE_VALUES - self.first.len();
        self.first.reserve_exact(n.min(room));
    }

    /// How many values were added.
    pub fn count(&self) -> usize {
        self.spread.n
    }

    /// The sum of the values, added in order.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The mean (NaN with no values).
    pub fn mean(&self) -> f64 {
        if self.count() == 0 {
            return f64::NAN;
        }
        self.sum / self.count() as f64
    }

    /// Monte Carlo standard error of the mean.
    pub fn standard_error(&self) -> f64 {
        self.spread.standard_error()
    }

    /// Share of values above zero.
    pub fn share_positive(&self) -> f64 {
        self.share(self.positive)
    }

    /// Share of values at or above zero.
    pub fn share_non_negative(&self) -> f64 {
        self.share(self.non_negative)
    }

    /// Share of values above one.
    pub fn share_above_one(&self) -> f64 {
        self.share(self.above_one)
    }

    /// How many values are above zero.
    pub fn count_positive(&self) -> usize {
        self.positive
    }

    /// Whether every value is zero (true with no values).
    pub fn all_zero(&self) -> bool {
        self.non_zero == 0
    }

    fn share(&self, count: usize) -> f64 {
        if self.count() == 0 {
            return f64::NAN;
        }
        count as f64 / self.count() as f64
    }

    /// Mean, standard error and percentiles (NaN with no values).
    pub fn summary(&self) -> Summary {
        let [p2_5, p50, p97_5] = quantiles(&self.first, [0.025, 0.5, 0.975]);
        Summary {
            mean: self.mean(),
            se: self.standard_error(),
            p2_5,
            p50,
            p97_5,
        }
    }
}

/// Running statistics of a ratio of two means, x̄ / ȳ, for its Monte Carlo standard error by the delta method:
/// sd(xᵢ − R·yᵢ) / (√n·|ȳ|), with the variance of xᵢ − R·yᵢ from the co-moments, Sxx − 2R·Sxy + R²·Syy, since R is
/// known only at the end.
#[derive(Debug, Clone)]
pub struct RatioMoments {
    sum_x: f64,
    sum_y: f64,
    n: usize,
    mean_x: f64,
    mean_y: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl Default for RatioMoments {
    fn default() -> Self {
        RatioMoments {
            sum_x: -0.0,
            sum_y: -0.0,
            n: 0,
            mean_x: 0.0,
            mean_y: 0.0,
            sxx: 0.0,
            syy: 0.0,
            sxy: 0.0,
        }
    }
}

impl RatioMoments {
    /// Adds one chunk of paired values.
    pub fn add(&mut self, x: &[f64], y: &[f64]) {
        let k = x.len().min(y.len());
        if k == 0 {
            return;
        }
        let (x, y) = (&x[..k], &y[..k]);
        let [chunk_x, chunk_y, sxx, syy, sxy] = pair_stats(x, y);
        self.sum_x += chunk_x;
        self.sum_y += chunk_y;
        let (mx, my) = (chunk_x / k as f64, chunk_y / k as f64);
        if self.n == 0 {
            (self.n, self.mean_x, self.mean_y, self.sxx, self.syy, self.sxy) = (k, mx, my, sxx, syy, sxy);
            return;
        }
        let n = self.n + k;
        let (na, nb) = (self.n as f64, k as f64);
        let (dx, dy) = (mx - self.mean_x, my - self.mean_y);
        let weight = na * nb / n as f64;
        self.sxx += sxx + dx * dx * weight;
        self.syy += syy + dy * dy * weight;
        self.sxy += sxy + dx * dy * weight;
        self.mean_x += dx * nb / n as f64;
        self.mean_y += dy * nb / n as f64;
        self.n = n;
    }

    /// The standard error of x̄ / ȳ (0 for fewer than two pairs).
    pub fn standard_error(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        let (mx, my) = (self.sum_x / n, self.sum_y / n);
        let r = mx / my;
        // Rounding can leave a hair below zero where x is exactly proportional to y.
        let var = ((self.sxx - 2.0 * r * self.sxy + r * r * self.syy) / (n - 1.0)).max(0.0);
        (var / n).sqrt() / my.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::{mean, ratio_of_means_se, standard_error};

    /// Values with a large mean beside their spread, as costs in pounds are: where a one-pass sum of squares fails.
    fn costs(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 25_000.0 + ((i * 7919) % 1013) as f64 * 0.731 - 370.0)
            .collect()
    }

    /// Neumaier's compensated sum: correct to about one rounding for these series, an independent reference.
    fn compensated_sum(values: &[f64]) -> f64 {
        let (mut sum, mut c) = (0.0f64, 0.0f64);
        for &v in values {
            let t = sum + v;
            c += if sum.abs() >= v.abs() {
                (sum - t) + v
            } else {
                (v - t) + sum
            };
            sum = t;
        }
        sum + c
    }

    #[test]
    fn the_mean_is_within_rounding_of_the_exact_one_and_the_standard_error_the_two_pass_one() {
        for n in [1, 2, 3, 7, 8, 9, 255, 256, 257, 1000, 70_001] {
            let v = costs(n);
            let m = Moments::of(&v);
            let exact = compensated_sum(&v) / n as f64;
            // Higham's bound for recursive summation, here of n / 8 values per partial sum and three more
            // additions: (n / 8 + 3) · u · Σ|v| (the values are positive, so Σ|v| is the sum).
            let bound = (n / LANES + 4) as f64 * f64::EPSILON / 2.0 * exact;
            assert!((m.mean() - exact).abs() <= bound, "n = {n}: {} vs {exact}", m.mean());
            // As close as a sum in order, within its own bound.
            assert!(
                (mean(&v) - exact).abs() <= (n + 1) as f64 * f64::EPSILON / 2.0 * exact,
                "n = {n}"
            );
            let (got, want) = (m.standard_error(), standard_error(&v));
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1e-300),
                "n = {n}: {got} vs {want}"
            );
        }
        // Multiples of a quarter below 2^40 add exactly in any order: the mean is exact.
        let quarters: Vec<f64> = (0..10_000).map(|i| ((i * 7919) % 4001) as f64 * 0.25).collect();
        let exact_sum: u64 = (0..10_000u64).map(|i| (i * 7919) % 4001).sum();
        assert_eq!(Moments::of(&quarters).mean(), exact_sum as f64 * 0.25 / 10_000.0);
        // By hand: 1, 2, 3, 4 have mean 2.5 and se √(5/12), in two chunks.
        let mut m = Moments::default();
        m.add(&[1.0, 2.0]);
        m.add(&[3.0, 4.0]);
        assert_eq!(m.mean(), 2.5);
        assert!((m.standard_error() - (5.0f64 / 12.0).sqrt()).abs() < 1e-15);
        // A sum of negative zeros is negative zero, as a sum in order gives.
        assert!(Moments::of(&[-0.0, -0.0, -0.0]).sum().is_sign_negative());
    }

    #[test]
    fn lane_sums_add_each_value_once() {
        // 1 + 2 + ... + 20 = 210, with a remainder of 4 past two rows of eight; squares: 20·21·41/6 = 2870.
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(lane_sum(&v, |x| x), 210.0);
        assert_eq!(lane_sum(&v, |x| x * x), 2870.0);
        assert_eq!(lane_sum(&[], |x| x), 0.0);
        assert_eq!(lane_sum_of_products(&v, &v, |a, b| a * b), 2870.0);
    }

    #[test]
    fn blocks_that_start_at_whole_chunks_give_the_same_bits() {
        let v = costs(10_000);
        let whole = Moments::of(&v);
        for block in [STATS_CHUNK, 3 * STATS_CHUNK, 4096] {
            let mut parts = Moments::default();
            for b in v.chunks(block) {
                b.chunks(STATS_CHUNK).for_each(|c| parts.add(c));
            }
            assert_eq!(parts.summary(), whole.summary(), "blocks of {block}");
        }
    }

    #[test]
    fn shares_counts_and_percentiles() {
        let m = Moments::of(&[-1.0, 0.0, 0.5, 2.0]);
        assert_eq!(m.share_positive(), 0.5);
        assert_eq!(m.share_non_negative(), 0.75);
        assert_eq!(m.share_above_one(), 0.25);
        assert_eq!(m.count_positive(), 2);
        assert!(!m.all_zero() && Moments::of(&[0.0, -0.0]).all_zero());
        // R: quantile(c(-1, 0, 0.5, 2), 0.5) = 0.25
        assert_eq!(m.summary().p50, 0.25);
        let empty = Moments::default();
        assert!(empty.mean().is_nan() && empty.share_positive().is_nan() && empty.summary().p50.is_nan());
    }

    #[test]
    fn percentiles_are_of_the_first_values_only() {
        let v: Vec<f64> = (0..150_000)
            .map(|i| if i < PERCENTILE_VALUES { i % 1000 } else { 5000 } as f64)
            .collect();
        let m = Moments::of(&v);
        // Of 0..999 a hundred times each: ranks 97,499 and 97,500 of 99,999 (h = 97,499.025) are 974 and 975.
        assert!((m.summary().p97_5 - 974.025).abs() < 1e-9);
        assert!(m.mean() > 999.0);
    }

    #[test]
    fn the_ratio_standard_error_agrees_with_the_delta_method_on_whole_vectors() {
        let x = costs(5000);
        let y: Vec<f64> = (0..5000).map(|i| 900.0 + ((i * 31) % 97) as f64).collect();
        let mut r = RatioMoments::default();
        for (a, b) in x.chunks(STATS_CHUNK).zip(y.chunks(STATS_CHUNK)) {
            r.add(a, b);
        }
        let want = ratio_of_means_se(&x, &y);
        assert!(
            (r.standard_error() - want).abs() <= 1e-10 * want,
            "{} vs {want}",
            r.standard_error()
        );
        // Proportional: the ratio is the same in every iteration, so it has no Monte Carlo error.
        let mut p = RatioMoments::default();
        p.add(&[2.0, 4.0, 6.0], &[1.0, 2.0, 3.0]);
        assert!(p.standard_error().abs() < 1e-15);
    }
}
