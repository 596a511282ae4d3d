//! Descriptive statistics of PSA samples: means with Monte Carlo standard errors, percentiles, shares.

use serde::Serialize;

/// Mean, Monte Carlo standard error and percentiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    /// Standard error of the mean: sd / √n (0 for a sample of one).
    pub se: f64,
    pub p2_5: f64,
    pub p50: f64,
    pub p97_5: f64,
}

impl Summary {
    /// Summarises a sample (must be non-empty), as [`Moments`](super::running::Moments) of it: mean of every value
    /// summed in order, standard error combined chunk by chunk, percentiles of the first [`PERCENTILE_VALUES`].
    pub fn of(values: &[f64]) -> Self {
        super::running::Moments::of(values).summary()
    }
}

/// The most values a percentile is computed from: the percentiles of a larger sample (a run of more iterations) are
/// those of its first this many values. Iterations are independent draws, so the first 100,000 are a random sample
/// of them all; the rank of a 2.5th percentile from 100,000 is known to about ±0.05 percentage points (one standard
/// error, √(p(1−p)/n)), and they are the iterations a run's per-iteration files keep by default, so every percentile
/// can be recomputed from `iterations.csv`. Means, standard errors and probabilities use every value. Without the
/// bound, exact percentiles of a million values took most of a large run's time, and would need every value in
/// memory at any size.
pub const PERCENTILE_VALUES: usize = 100_000;

/// Several type-7 quantiles of unsorted data in linear time, the same values as sorting would give, of the first
/// [`PERCENTILE_VALUES`] values: by counting into buckets (see `ranks`), or, for a sample that cannot be bucketed, by
/// selection.
///
/// Sorting a million-value sample for three percentiles took most of a large run's analysis time. In selection the
/// largest p is selected first: each later selection then works only below the one before, and the value just above each
/// selected one is the least of those between it and the previous selection, so three percentiles cost about two
/// passes over the data rather than five.
pub fn quantiles<const K: usize>(values: &[f64], ps: [f64; K]) -> [f64; K] {
    let values = &values[..values.len().min(PERCENTILE_VALUES)];
    let n = values.len();
    let mut out = [f64::NAN; K];
    if n == 0 {
        return out;
    }
    // Each quantile interpolates between the values at ranks ⌊h⌋ and the next (type 7): found by buckets where
    // they can be (see `ranks`), the same values selection finds.
    let h: [f64; K] = ps.map(|p| (n - 1) as f64 * p.clamp(0.0, 1.0));
    let ranks: Vec<usize> = h
        .iter()
        .flat_map(|&h| [h.floor() as usize, (h.floor() as usize + 1).min(n - 1)])
        .collect();
    if let Some(at) = super::ranks::at_ranks(values, &ranks) {
        for (k, h) in h.iter().enumerate() {
            let (low, high) = (at[2 * k], at[2 * k + 1]);
            out[k] = low + (h - h.floor()) * (high - low);
        }
        return out;
    }
    let mut work = values.to_vec();
    let mut order: [usize; K] = std::array::from_fn(|k| k);
    order.sort_by(|&a, &b| ps[b].clamp(0.0, 1.0).total_cmp(&ps[a].clamp(0.0, 1.0)));
    // Everything in work[end..] is at least everything in work[..end]; work[end] is the value selected last and
    // `above_end` the one just above it in order.
    let (mut end, mut above_end) = (n, f64::NAN);
    for k in order {
        let h = (n - 1) as f64 * ps[k].clamp(0.0, 1.0);
        let lo = h.floor() as usize;
        let (low, high) = if lo == end {
            (work[end], above_end)
        } else {
            let (_, &mut low, right) = work[..end].select_nth_unstable_by(lo, f64::total_cmp);
            let high = match right.iter().copied().min_by(f64::total_cmp) {
                Some(v) => v,
                None if end < n => work[end],
                None => low,
            };
            (low, high)
        };
        out[k] = low + (h - lo as f64) * (high - low);
        (end, above_end) = (lo, high);
    }
    out
}

/// The p-quantile of sorted data by linear interpolation (type 7).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Arithmetic mean, summed in index order (deterministic).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Standard error of the mean (sample sd with n − 1, over √n).
pub fn standard_error(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let m = mean(values);
    let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64;
    (var / n as f64).sqrt()
}

/// Per-iteration savings per £1 spent, over the iterations with positive spend (a ratio is undefined otherwise).
pub fn ratios_where_spent(savings: &[f64], spend: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let n = savings.len().min(spend.len());
    ratios_over(savings, &where_spent(&spend[..n]), &mut out);
    out
}

/// The iterations with positive spend, each with its spend: those over which [`ratios_where_spent`] takes ratios.
/// Found once, they serve every savings series set against the same spend.
pub fn where_spent(spend: &[f64]) -> Vec<(usize, f64)> {
    (spend.iter().enumerate())
        .filter(|(_, s)| **s > 0.0)
        .map(|(i, &s)| (i, s))
        .collect()
}

/// [`ratios_where_spent`] over the iterations `spent` ([`where_spent`]), into `out` (cleared first).
pub fn ratios_over(savings: &[f64], spent: &[(usize, f64)], out: &mut Vec<f64>) {
    out.clear();
    out.extend(spent.iter().map(|&(i, s)| savings[i] / s));
}

/// Monte Carlo standard error of a ratio of means x̄ / ȳ, by the delta method: sd(xᵢ − R·yᵢ) / (√n·|ȳ|), from whole
/// vectors (the reference the running co-moments of [`RatioMoments`](super::running::RatioMoments) are tested against).
pub fn ratio_of_means_se(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let ratio = mx / my;
    let linear: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - ratio * b).collect();
    standard_error(&linear) / my.abs()
}

/// Element-wise x − y.
pub fn difference(x: &[f64], y: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    difference_into(x, y, &mut out);
    out
}

/// [`difference`] into `out` (cleared first), whose memory is reused.
pub fn difference_into(x: &[f64], y: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(x.iter().zip(y).map(|(a, b)| a - b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_r_type_7() {
        // R: quantile(c(1, 2, 3, 4), c(0.025, 0.5, 0.975)) = 1.075, 2.5, 3.925
        let s = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile_sorted(&s, 0.025) - 1.075).abs() < 1e-12);
        assert_eq!(quantile_sorted(&s, 0.5), 2.5);
        assert!((quantile_sorted(&s, 0.975) - 3.925).abs() < 1e-12);
        // Selection on unsorted data gives the same values.
        assert_eq!(quantiles(&[4.0, 1.0, 3.0, 2.0], [0.5]), [2.5]);
    }

    #[test]
    fn selection_quantiles_equal_sorted_quantiles() {
        let values: Vec<f64> = (0..1001).map(|i| ((i * 7919) % 1009) as f64 * 0.37 - 50.0).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let got = quantiles(&values, [0.0, 0.025, 0.5, 0.975, 1.0]);
        for (g, p) in got.iter().zip([0.0, 0.025, 0.5, 0.975, 1.0]) {
            assert_eq!(*g, quantile_sorted(&sorted, p), "p = {p}");
        }
        assert_eq!(quantiles(&[3.0], [0.5]), [3.0]);
        assert!(quantiles(&[], [0.5])[0].is_nan());
        // Any order of p, repeats, neighbours that share an order statistic, ties and every small size.
        let ps = [0.9, 0.1, 0.5, 0.5, 0.51, 0.0, 1.0, 0.975, 0.025, 0.26];
        for n in 1..60 {
            let values: Vec<f64> = (0..n).map(|i| ((i * 37 + 11) % 13) as f64 - 6.0).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for (g, p) in quantiles(&values, ps).iter().zip(ps) {
                assert_eq!(*g, quantile_sorted(&sorted, p), "n = {n}, p = {p}");
            }
        }
    }

    #[test]
    fn percentiles_of_a_larger_sample_are_those_of_its_first_values() {
        // 150,000 values whose last 50,000 are all far above the rest: the median of all of them would be one of
        // those, of the first 100,000 it is the median of 0..100,000.
        let values: Vec<f64> = (0..150_000).map(|i| if i < PERCENTILE_VALUES { (i * 7) % PERCENTILE_VALUES } else { 10 * i } as f64).collect();
        assert_eq!(quantiles(&values, [0.5]), [49_999.5]);
        assert_eq!(quantiles(&values, [1.0]), [99_999.0]);
        // Means and standard errors use every value.
        let s = Summary::of(&values);
        assert_eq!(s.p50, 49_999.5);
        assert_eq!(s.mean, mean(&values));
        assert!(s.mean > 300_000.0);
    }

    #[test]
    fn standard_error_by_hand() {
        // values 1..=4: mean 2.5, sample variance 5/3, se = sqrt(5/3/4)
        assert!((standard_error(&[1.0, 2.0, 3.0, 4.0]) - (5.0f64 / 12.0).sqrt()).abs() < 1e-15);
        assert_eq!(standard_error(&[7.0]), 0.0);
    }

    #[test]
    fn ratio_se_with_a_constant_denominator_is_the_numerators_se_scaled() {
        // ȳ = 2 exactly, so R = x̄ / 2 and its standard error is se(x̄) / 2.
        let x = [1.0, 3.0, 2.0, 6.0];
        let y = [2.0; 4];
        assert!((ratio_of_means_se(&x, &y) - standard_error(&x) / 2.0).abs() < 1e-15);
        // Proportional x and y: the ratio is the same in every iteration, so it has no Monte Carlo error.
        assert!(ratio_of_means_se(&[2.0, 4.0, 6.0], &[1.0, 2.0, 3.0]).abs() < 1e-15);
    }
}
