//! Payback years: the first year in which an arm's cumulative net savings against its comparator reach zero, for
//! one iteration (the general path) or for every lane of a block (the lane path), with the same sums in the same order.

use crate::simulate::kernel::{add_lanes, Lanes, LANES};

/// The first year (1-based) in which cumulative net savings of `arm` against `comparator` reach zero.
pub(super) fn payback_year(comparator: &[f64], arm: &[f64], n_cols: usize, cost_columns: &[usize]) -> Option<u16> {
    let mut cumulative = 0.0;
    for (year, (c, a)) in comparator
        .chunks_exact(n_cols.max(1))
        .zip(arm.chunks_exact(n_cols.max(1)))
        .enumerate()
    {
        let cost = |v: &[f64]| -> f64 { cost_columns.iter().map(|&k| v[k]).sum() };
        cumulative += cost(c) - cost(a);
        if cumulative >= 0.0 {
            return Some((year + 1) as u16);
        }
    }
    None
}

/// [`payback_year`] for every lane of a block: the same sums in the same order per lane.
#[inline(always)]
pub(super) fn payback_lanes(
    comparator: &[Lanes],
    arm: &[Lanes],
    n_cols: usize,
    cost_columns: &[usize],
) -> [Option<u16>; LANES] {
    let mut cumulative = [0.0; LANES];
    // The payback year of each lane so far, 0 for none: kept as floats so that the search runs in the same vector
    // registers as the sums (years are small integers, exact in a float).
    let mut found = [0.0; LANES];
    let cost = |v: &[Lanes]| {
        // -0.0 is where `Iterator::sum` starts for floats.
        let mut sum = [-0.0; LANES];
        for &k in cost_columns {
            add_lanes(&mut sum, &v[k]);
        }
        sum
    };
    for (year, (c, a)) in comparator
        .chunks_exact(n_cols.max(1))
        .zip(arm.chunks_exact(n_cols.max(1)))
        .enumerate()
    {
        let (c, a) = (cost(c), cost(a));
        let year = (year + 1) as f64;
        for l in 0..LANES {
            cumulative[l] += c[l] - a[l];
            let first = found[l] == 0.0 && cumulative[l] >= 0.0;
            found[l] = if first { year } else { found[l] };
        }
    }
    found.map(|y| (y > 0.0).then_some(y as u16))
}
