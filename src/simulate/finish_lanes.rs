//! The results of a block of lane iterations: its lane bins turned into rows of totals, payback years, per-year sums
//! and sample values, as the general path writes them one iteration at a time.

use crate::model::Model;
use crate::simulate::kernel::{add_lanes, Lanes, Workspace, LANES};
use crate::simulate::payback::payback_lanes;
use std::mem::MaybeUninit;

/// Where a block of lane iterations writes its results: its rows of the run's arrays, and the chunk's yearly sums.
pub(super) struct BlockRows<'a> {
    pub(super) totals: &'a mut [f64],
    pub(super) payback: &'a mut [Option<u16>],
    /// The chunk's piece of the f32 sample (empty past the kept iterations), the block's first iteration in the
    /// chunk, and how many of the chunk's iterations are kept.
    pub(super) sample: &'a mut [MaybeUninit<f32>],
    pub(super) sample_at: usize,
    pub(super) kept_in_chunk: usize,
    /// The live bins, which the sample keeps (see [`crate::simulate::Results::yearly_sample`]).
    pub(super) live: &'a [usize],
    /// The chunk's per-year sums, by live bin (see `ChunkOutput`).
    pub(super) yearly_sum: &'a mut [Lanes],
}

/// Turns the lane bins of a block of `block` iterations into results, as the general path does per iteration: totals,
/// payback years, yearly sums (adding iterations in order) and sample rows. Returns false, having written only
/// totals, when some total is not finite: the caller then redoes the block on the general path, which reports it.
///
/// Compiled for AVX-512 and AVX2 too, like [`crate::simulate::kernel::simulate_lanes`], with the same results.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
pub(super) fn finish_lanes(
    model: &Model,
    ws: &Workspace,
    block: usize,
    kernel_cost: &[usize],
    totals_lanes: &mut [Lanes],
    rows: BlockRows,
) -> bool {
    let (n_arms, n_kernel) = (model.arms.len(), model.n_kernel_columns());
    let width = n_kernel.max(1);
    let mut finite = true;
    for arm in 0..n_arms {
        // Summing the years in order, as the general path does.
        sum_years(ws.lane_arm_bins(arm), totals_lanes);
        // Checked on whole lanes, where it is a few vector comparisons: the lanes past a short block repeat its last
        // iteration, so they add nothing to the check.
        for r in totals_lanes.iter() {
            for x in r {
                finite &= x.is_finite();
            }
        }
        for l in 0..block {
            let at = (l * n_arms + arm) * width;
            for (t, r) in rows.totals[at..at + n_kernel].iter_mut().zip(totals_lanes.iter()) {
                *t = r[l];
            }
        }
    }
    if !finite {
        return false;
    }
    for arm in 0..n_arms {
        let years = model.arms[arm]
            .comparator
            .map(|c| payback_lanes(ws.lane_arm_bins(c), ws.lane_arm_bins(arm), n_kernel, kernel_cost));
        for l in 0..block {
            rows.payback[l * n_arms + arm] = match years {
                Some(y) => y[l],
                None => None,
            };
        }
    }
    let bins = ws.lane_bins();
    // The block's kept values are one contiguous run of the sample, laid out as the lanes hold them.
    let kept = rows.kept_in_chunk.saturating_sub(rows.sample_at).min(block);
    // Lane l of a block is iteration j + l of the chunk with j a multiple of 8: it adds to partial sum l (see
    // `ChunkOutput`). Only a chunk's last block can be short.
    let n_live = rows.live.len();
    if kept == LANES {
        // The common case in one pass over the live bins: per-year sums and the sample.
        let at = rows.sample_at * n_live;
        let (out, _) = rows.sample[at..at + n_live * LANES].as_chunks_mut::<LANES>();
        for ((o, sum), &b) in out.iter_mut().zip(rows.yearly_sum.iter_mut()).zip(rows.live) {
            let v = &bins[b];
            add_lanes(sum, v);
            *o = v.map(|x| MaybeUninit::new(x as f32));
        }
        return true;
    }
    if block == LANES {
        for (sum, &b) in rows.yearly_sum.iter_mut().zip(rows.live) {
            add_lanes(sum, &bins[b]);
        }
    } else {
        for (sum, &b) in rows.yearly_sum.iter_mut().zip(rows.live) {
            for l in 0..block {
                sum[l] += bins[b][l];
            }
        }
    }
    if kept > 0 {
        let at = rows.sample_at * n_live;
        let (out, _) = rows.sample[at..at + n_live * LANES].as_chunks_mut::<LANES>();
        for (o, &b) in out.iter_mut().zip(rows.live) {
            for (s, x) in o[..kept].iter_mut().zip(&bins[b]) {
                s.write(*x as f32);
            }
        }
    }
    true
}

/// Sums the years of one arm's lane bins (`years × kernel columns`) into `totals`, one per kernel column, adding
/// the years in order. For up to 8 kernel columns the sums stay in registers over the years.
#[inline(always)]
fn sum_years(bins: &[Lanes], totals: &mut [Lanes]) {
    /// The sums for exactly `K` kernel columns (known at compile time, so the loop over columns unrolls).
    #[inline(always)]
    fn fixed<const K: usize>(bins: &[Lanes], totals: &mut [Lanes]) {
        let mut sums = [[0.0; LANES]; K];
        let (years, _) = bins.as_chunks::<K>();
        for year in years {
            for (s, v) in sums.iter_mut().zip(year) {
                add_lanes(s, v);
            }
        }
        totals.copy_from_slice(&sums);
    }
    match totals.len() {
        0 => {}
        1 => fixed::<1>(bins, totals),
        2 => fixed::<2>(bins, totals),
        3 => fixed::<3>(bins, totals),
        4 => fixed::<4>(bins, totals),
        5 => fixed::<5>(bins, totals),
        6 => fixed::<6>(bins, totals),
        7 => fixed::<7>(bins, totals),
        8 => fixed::<8>(bins, totals),
        n => {
            totals.fill([0.0; LANES]);
            for year in bins.chunks_exact(n) {
                for (s, v) in totals.iter_mut().zip(year) {
                    add_lanes(s, v);
                }
            }
        }
    }
}
