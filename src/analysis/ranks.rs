//! Order statistics of a sample by counting it into buckets: the values at given ranks, exactly those sorting would
//! put there, in two passes over the sample.
//!
//! Why by hand: a run takes percentiles of up to 100,000 values for every arm, year and measure, and selecting each
//! with `select_nth_unstable` (branchy partitions over the whole sample, several per percentile) was a large share of a
//! small run's analysis; counted into buckets they were still half of the reference workload's analyses at 10,000
//! iterations, and are two fifths with each bucket computed once, four at a time (`perf`, 2026-12-05). The first pass
//! counts the values into buckets of equal width between two bounds, which says in which bucket each wanted rank lies;
//! the second collects only the values of those few buckets, which are sorted. Each value's bucket is computed once,
//! read by both passes, and never decreases as the value increases, so every value of a lower bucket sorts before every
//! value of a higher one, and the rank of a value within its bucket plus the counts of the buckets below is its rank in
//! the sample.

/// Samples smaller than this are left to selection (`None`): the buckets would cost more than they save.
const FEWEST: usize = 512;

/// The values of `values` at each of `ranks` (0-based, each below the sample's length) in `f64::total_cmp` order,
/// or `None` when the sample is too small to gain from buckets ([`FEWEST`]), has a value that is not finite (unless
/// every value has the same bits), or has no spread among every 16th value without being constant: then the caller
/// selects instead.
pub(super) fn at_ranks(values: &[f64], ranks: &[usize]) -> Option<Vec<f64>> {
    let n = values.len();
    // A bucket's mark below is a byte.
    if n < FEWEST || ranks.len() > 255 || ranks.iter().any(|&r| r >= n) {
        return None;
    }
    // Bounds from every 16th value: values outside them go to the first or last bucket, which keeps the order.
    let (low, high) = bounds(values);
    // Neither bound is NaN (`bounds` skips NaN), so this is "no spread" among the values looked at; often there is
    // none at all (a cost that is the same in every iteration, or nothing), which one pass over the bits tells.
    if high <= low {
        let first = values[0].to_bits();
        let constant = values.iter().fold(true, |same, v| same & (v.to_bits() == first));
        return constant.then(|| vec![values[0]; ranks.len()]);
    }
    let buckets = (n / 8).next_power_of_two().clamp(256, 16_384);
    let scale = buckets as f64 / (high - low);
    if !(scale.is_finite() && scale > 0.0) {
        return None;
    }
    let mut of = vec![0u16; n];
    if !buckets_of(values, low, scale, (buckets - 1) as f64, &mut of) {
        return None;
    }
    let mut counts = vec![0u32; buckets];
    for &b in &of {
        counts[usize::from(b)] += 1;
    }
    // Each wanted rank's bucket and its rank within it, the ranks taken in increasing order.
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_by_key(|&i| ranks[i]);
    let (mut in_bucket, mut within) = (vec![0usize; ranks.len()], vec![0usize; ranks.len()]);
    let (mut below, mut b) = (0usize, 0usize);
    for i in order {
        while below + counts[b] as usize <= ranks[i] {
            below += counts[b] as usize;
            b += 1;
        }
        (in_bucket[i], within[i]) = (b, ranks[i] - below);
    }
    let mut wanted = in_bucket.clone();
    wanted.sort_unstable();
    wanted.dedup();
    // Which of the wanted buckets each bucket is (0: none of them).
    let mut slot = vec![0u8; buckets];
    for (j, &b) in wanted.iter().enumerate() {
        slot[b] = j as u8 + 1;
    }
    let mut collected: Vec<Vec<f64>> = wanted.iter().map(|&b| Vec::with_capacity(counts[b] as usize)).collect();
    let mut collect = |values: &[f64], of: &[u16]| {
        for (&v, &b) in values.iter().zip(of) {
            let s = slot[usize::from(b)];
            if s != 0 {
                collected[usize::from(s) - 1].push(v);
            }
        }
    };
    match few_buckets(&wanted) {
        // A few wanted buckets (three percentiles' six ranks fall in three to six): runs of values with none of them,
        // nearly all, are passed over on a comparison of their buckets against each wanted one, many at a time in
        // vector registers (`runs_with_any`), where looking each value's bucket up in `slot` took a third of the time
        // here (68 of 190 µs for three percentiles of 100,000 values, 2026-12-07).
        Some(few) => {
            let mut hits = Vec::new();
            runs_with_any(&of, &few, &mut hits);
            for run in hits.into_iter().map(|r| r * RUN..(r + 1) * RUN) {
                collect(&values[run.clone()], &of[run]);
            }
            let whole = n / RUN * RUN;
            collect(&values[whole..], &of[whole..]);
        }
        None => collect(values, &of),
    }
    for c in &mut collected {
        c.sort_unstable_by(f64::total_cmp);
    }
    let value = |(b, w): (&usize, &usize)| collected[wanted.binary_search(b).expect("a wanted bucket")][*w];
    Some(in_bucket.iter().zip(&within).map(value).collect())
}

/// Values per run that [`at_ranks`] passes over together where it looks for a few buckets.
const RUN: usize = 32;

/// The wanted buckets, as many as fit, padded with a bucket there never is (there are at most 16,384); None for more.
fn few_buckets(wanted: &[usize]) -> Option<[u16; 8]> {
    let mut few = [u16::MAX; 8];
    if wanted.len() > few.len() {
        return None;
    }
    for (f, &b) in few.iter_mut().zip(wanted) {
        *f = b as u16;
    }
    Some(few)
}

/// Appends to `hits` the number of each whole run of [`RUN`] buckets of `of` that holds one of `few`. Every comparison
/// is made, without stopping at the first hit, so that the loop runs in vector registers: 13 µs for 100,000 buckets
/// with AVX-512, where the same loop built for the baseline x86-64 took 250 µs (2026-12-07).
#[multiversion::multiversion(targets("x86_64+avx512bw", "x86_64+avx2"))]
fn runs_with_any(of: &[u16], few: &[u16; 8], hits: &mut Vec<usize>) {
    for (r, run) in of.chunks_exact(RUN).enumerate() {
        if run
            .iter()
            .fold(false, |hit, &b| hit | few.iter().fold(false, |h, &f| h | (b == f)))
        {
            hits.push(r);
        }
    }
}

/// The least and greatest of every 16th of `values` from the first (NaN ignored; infinities kept, which [`at_ranks`]
/// then declines). Found in four interleaved runs, as the least and greatest do not depend on the order they are
/// looked at in: one chain of comparisons, each waiting for the one before, took 17 µs for 100,000 values, the four
/// 6 µs (2026-12-07).
fn bounds(values: &[f64]) -> (f64, f64) {
    let (mut low, mut high) = ([f64::INFINITY; 4], [f64::NEG_INFINITY; 4]);
    let mut quads = values.chunks_exact(64);
    for quad in &mut quads {
        for l in 0..4 {
            (low[l], high[l]) = (low[l].min(quad[16 * l]), high[l].max(quad[16 * l]));
        }
    }
    for &v in quads.remainder().iter().step_by(16) {
        (low[0], high[0]) = (low[0].min(v), high[0].max(v));
    }
    (
        low.into_iter().fold(f64::INFINITY, f64::min),
        high.into_iter().fold(f64::NEG_INFINITY, f64::max),
    )
}

/// Writes each of `values`' bucket to `of`, and says whether every value is finite. A bucket is
/// `(v - low) · scale` clamped to `0..=last` and rounded to the nearest whole number, so it never decreases as the
/// value increases.
///
/// Why rounded through 2^52 rather than converted with `as`: Rust's saturating float-to-integer conversion handles NaN
/// and overflow value by value, whereas adding 2^52 to a number in `0..2^52` leaves it rounded to a whole number in the
/// low bits of its representation, one vector addition for four values (with each bucket computed once, this took the
/// reference workload's analyses at 10^4 from 15-16 ms to 9 ms). Each bucket is written once and read by both passes,
/// so the two passes cannot disagree. With AVX-512 (the same bits, as for AVX2) it took 25 rather than 45 µs for
/// 100,000 values (2026-12-07).
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn buckets_of(values: &[f64], low: f64, scale: f64, last: f64, of: &mut [u16]) -> bool {
    // 2^52.
    const ROUND: f64 = 4_503_599_627_370_496.0;
    // A flag rather than a sum of v · 0 (NaN for any value that is not finite): a sum chains every value's addition
    // to the one before it. NaN clamps to 0 (`f64::max` takes the other operand); the caller declines it anyway.
    let mut finite = true;
    for (b, &v) in of.iter_mut().zip(values) {
        *b = (((v - low) * scale).max(0.0).min(last) + ROUND).to_bits() as u16;
        finite &= v.abs() < f64::INFINITY;
    }
    finite
}

#[cfg(test)]
mod tests {
    use super::at_ranks;
    use proptest::prelude::*;

    fn sorted_at(values: &[f64], ranks: &[usize]) -> Vec<u64> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        ranks.iter().map(|&r| sorted[r].to_bits()).collect()
    }

    #[test]
    fn ranks_of_a_shuffled_sequence_are_its_values() {
        // 0, 1, ..., 9,999 in a scrambled order (7,919 is prime to 10,000): the value at rank r is r.
        let values: Vec<f64> = (0..10_000u64).map(|i| ((i * 7_919) % 10_000) as f64).collect();
        let got = at_ranks(&values, &[0, 249, 250, 4_999, 5_000, 9_749, 9_999]).expect("bucketed");
        assert_eq!(got, vec![0.0, 249.0, 250.0, 4_999.0, 5_000.0, 9_749.0, 9_999.0]);
    }

    #[test]
    fn declines_samples_it_cannot_order_by_buckets() {
        let mut values: Vec<f64> = (0..1_000).map(f64::from).collect();
        assert!(at_ranks(&values[..511], &[0]).is_none(), "too few");
        assert!(at_ranks(&values, &[1_000]).is_none(), "a rank past the end");
        let mut flat = vec![2.5; 1_000];
        flat[7] = 3.0;
        assert!(
            at_ranks(&flat, &[10]).is_none(),
            "spread only between values the bounds do not look at"
        );
        flat[7] = 2.5;
        flat[9] = -2.5;
        assert!(at_ranks(&flat, &[10]).is_none(), "ditto, below");
        values[500] = f64::NAN;
        assert!(at_ranks(&values, &[10]).is_none(), "a NaN");
        values[500] = f64::INFINITY;
        assert!(at_ranks(&values, &[10]).is_none(), "an infinity");
        // The bounds come from every 16th value: these are two of them.
        values[496] = -f64::MAX;
        values[512] = f64::MAX;
        assert!(at_ranks(&values, &[10]).is_none(), "a range too wide to scale");
        // Values beyond the bounds, which are not among every 16th, go to the end buckets, in order.
        values[496] = 496.0;
        values[512] = 512.0;
        values[500] = -f64::MAX;
        values[501] = f64::MAX;
        let got = at_ranks(&values, &[0, 1, 998, 999]).expect("bucketed");
        assert_eq!(got, vec![-f64::MAX, 0.0, 999.0, f64::MAX]);
    }

    #[test]
    fn a_constant_sample_is_its_value_at_every_rank_and_signed_zeros_are_not_constant() {
        let got = at_ranks(&vec![-1_500.0; 10_000], &[0, 249, 9_999]).expect("constant");
        assert_eq!(got, vec![-1_500.0; 3]);
        let nan = f64::NAN.to_bits();
        let got = at_ranks(&vec![f64::NAN; 600], &[0, 599]).expect("the same bits");
        assert!(got.iter().all(|v| v.to_bits() == nan), "NaN, as sorting gives");
        // -0 sorts before +0 (`total_cmp`): equal as numbers, they are not the same bits, so selection decides.
        let mut zeros = vec![0.0; 1_000];
        zeros[3] = -0.0;
        assert!(at_ranks(&zeros, &[0]).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The bits sorting gives, for samples with ties, signed zeros, heavy tails and values far outside the
        /// sampled bounds.
        #[test]
        fn the_values_at_ranks_are_those_sorting_gives(
            base in prop::collection::vec(-1e6f64..1e6, 512..3_000),
            outliers in prop::collection::vec((0usize..3_000, -1e12f64..1e12), 0..20),
            zeros in prop::collection::vec((0usize..3_000, any::<bool>()), 0..20),
            ties in 0usize..4,
            // Up to 19 ranks: a few wanted buckets are looked for run by run, more through a table (`few_buckets`).
            picks in prop::collection::vec(0.0f64..1.0, 1..20),
        ) {
            let mut values = base;
            let n = values.len();
            for (at, v) in outliers {
                values[at % n] = v;
            }
            for (at, negative) in zeros {
                values[at % n] = if negative { -0.0 } else { 0.0 };
            }
            // Round to a few distinct values in some samples, so that buckets hold many equal values.
            if ties > 0 {
                let step = 10f64.powi(ties as i32 + 3);
                values.iter_mut().for_each(|v| *v = (*v / step).round() * step);
            }
            let ranks: Vec<usize> = picks.iter().map(|p| ((p * n as f64) as usize).min(n - 1)).collect();
            if let Some(got) = at_ranks(&values, &ranks) {
                prop_assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), sorted_at(&values, &ranks));
            }
        }
    }
}
