//! One chunk of a run: its iterations in order, in blocks on the lane path where the model allows and one at a time
//! on the general path otherwise, written in place into the chunk's pieces of the run's result arrays.

use crate::simulate::engine::{RunPlan, CHUNK};
use crate::simulate::finish_lanes::{finish_lanes, BlockRows};
use crate::simulate::kernel::{
    column_name, sample_parameters, sample_parameters_lanes, simulate_iteration, simulate_lanes, Lanes, Workspace,
    LANES,
};
use crate::simulate::payback::payback_year;
use crate::simulate::results::sample_index;
use crate::simulate::streams::{iteration_rng, lane_rng};
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering;

/// What one chunk hands back besides the rows it wrote in place.
pub(super) struct ChunkOutput {
    /// Per-year sums of the chunk's iterations, one per live bin (a structural zero would add +0 to a sum starting at
    /// +0, so the others' sums are +0), kept as eight partial sums: iteration j of the chunk adds to partial sum
    /// j mod 8. Both paths add in that order, so a block of eight lanes adds all its lanes at once (one vector addition
    /// instead of eight dependent scalar ones) and the sums do not depend on the path.
    pub(super) yearly_sum: Vec<Lanes>,
    pub(super) failure: Option<(usize, String)>,
}

/// A chunk's pieces of the run's result arrays, and where the chunk lies in the run.
pub(super) struct Chunk<'a> {
    totals: &'a mut [f64],
    payback: &'a mut [Option<u16>],
    draws: &'a mut [f64],
    /// The chunk's piece of the f32 sample (empty past the kept iterations), which is not zeroed.
    sample: &'a mut [MaybeUninit<f32>],
    /// The run's index of the chunk's first iteration, and how many iterations the chunk has.
    first: usize,
    count: usize,
    /// How many of the chunk's iterations have their per-year values kept (maybe none).
    kept_in_chunk: usize,
}

impl<'a> Chunk<'a> {
    /// Chunk number `chunk` of the range being run, on its pieces of the arrays (uninitialised memory).
    pub(super) fn new(
        plan: &RunPlan,
        chunk: usize,
        totals: &'a mut [MaybeUninit<f64>],
        payback: &'a mut [MaybeUninit<Option<u16>>],
        draws: &'a mut [MaybeUninit<f64>],
        sample: &'a mut [MaybeUninit<f32>],
    ) -> Self {
        // Every chunk zeroes these pieces first, whatever happens next: `set_len` in `run_with` relies on it.
        let (totals, payback, draws) = (zeroed(totals), zeroed(payback), zeroed(draws));
        let first = plan.first + chunk * CHUNK;
        let count = totals.len() / (plan.n_arms * plan.total_width);
        Chunk {
            totals,
            payback,
            draws,
            sample,
            first,
            count,
            kept_in_chunk: plan.sample_size.saturating_sub(first).min(CHUNK),
        }
    }

    /// Runs the chunk's iterations in order on workspace `ws`; stops at the first that fails, or when the run is
    /// cancelled.
    pub(super) fn run(mut self, plan: &RunPlan, ws: &mut Workspace) -> ChunkOutput {
        let (first, count, kept_in_chunk) = (self.first, self.count, self.kept_in_chunk);
        let mut out = ChunkOutput {
            yearly_sum: vec![[0.0; LANES]; plan.n_live],
            failure: None,
        };
        // The sample piece is not zeroed: every kept value is written once below, which saves a pass over
        // the largest array. Only the padding of a last block partly kept is zeroed, here.
        if !kept_in_chunk.is_multiple_of(LANES) {
            for x in &mut self.sample[kept_in_chunk / LANES * LANES * plan.n_live..] {
                x.write(0.0);
            }
        }
        let mut totals_lanes = vec![[0.0; LANES]; plan.n_kernel];
        let mut j = 0;
        while j < count {
            if plan.progress.is_some_and(|p| p.cancel.load(Ordering::Relaxed)) {
                out.failure = Some((first + j, "the run was cancelled".to_string()));
                return out;
            }
            // Blocks of up to LANES iterations go through the lane path. A block it cannot finish (an invalid
            // probability or a non-finite value in some lane) is redone by the general path one iteration at
            // a time, which reports the failure; its numbers are the same.
            let block = if plan.lanes && ws.has_lanes() {
                LANES.min(count - j)
            } else {
                0
            };
            if block > 0 && self.lane_block(plan, ws, j, block, &mut totals_lanes, &mut out.yearly_sum) {
                j += block;
                continue;
            }
            for j in j..j + block.max(1) {
                if let Err(failure) = self.iteration(plan, ws, j, &mut out.yearly_sum) {
                    out.failure = Some(failure);
                    return out;
                }
            }
            j += block.max(1);
        }
        if let Some(p) = plan.progress {
            p.done.fetch_add(count, Ordering::Relaxed);
        }
        out
    }

    /// Iterations `j..j + block` of the chunk (`block` from 1 to [`LANES`]) on the lane path: draws, simulation and
    /// results. Returns false when the lane path cannot finish the block; the draws and totals written are then
    /// written again by the general path.
    fn lane_block(
        &mut self,
        plan: &RunPlan,
        ws: &mut Workspace,
        j: usize,
        block: usize,
        totals_lanes: &mut [Lanes],
        yearly_sum: &mut [Lanes],
    ) -> bool {
        let (model, first, n_arms) = (plan.model, self.first, plan.n_arms);
        let (total_width, draw_width) = (plan.total_width, plan.draw_width);
        // A full block draws its parameters on lanes too; the draws are the same as one by one.
        if block == LANES {
            let mut rng = lane_rng(plan.seed, first + j);
            let lanes = ws.lane_draws_mut();
            sample_parameters_lanes(model, &mut rng, &mut self.draws[j * draw_width..], draw_width, lanes);
        } else {
            for l in j..j + block {
                let mut rng = iteration_rng(plan.seed, (first + l) as u64);
                sample_parameters(
                    model,
                    &mut rng,
                    &mut self.draws[l * draw_width..l * draw_width + plan.n_draws],
                );
            }
            ws.set_lane_draws(&self.draws[j * draw_width..], draw_width, block);
        }
        if !simulate_lanes(model, ws, &self.draws[j * draw_width..], draw_width, block) {
            return false;
        }
        let rows = BlockRows {
            totals: &mut self.totals[j * n_arms * total_width..(j + block) * n_arms * total_width],
            payback: &mut self.payback[j * n_arms..(j + block) * n_arms],
            sample: &mut *self.sample,
            sample_at: j,
            kept_in_chunk: self.kept_in_chunk,
            live: &plan.live,
            yearly_sum,
        };
        finish_lanes(model, ws, block, &plan.kernel_cost, totals_lanes, rows)
    }

    /// Iteration `j` of the chunk on the general path: draws, simulation, totals, payback years, per-year sums and
    /// sample values. On failure, the iteration's index in the run and what went wrong.
    fn iteration(
        &mut self,
        plan: &RunPlan,
        ws: &mut Workspace,
        j: usize,
        yearly_sum: &mut [Lanes],
    ) -> Result<(), (usize, String)> {
        let model = plan.model;
        let (n_arms, total_width, n_kernel) = (plan.n_arms, plan.total_width, plan.n_kernel);
        let (n_draws, draw_width) = (plan.n_draws, plan.draw_width);
        let kernel_columns = &model.kernel_columns;
        let i = self.first + j;
        let mut rng = iteration_rng(plan.seed, i as u64);
        sample_parameters(model, &mut rng, &mut ws.draws);
        self.draws[j * draw_width..j * draw_width + n_draws].copy_from_slice(&ws.draws);
        if let Err(f) = simulate_iteration(model, ws, &rng) {
            return Err((i, format!("arm `{}`: {}", model.arms[f.arm].name, f.message)));
        }
        for arm in 0..n_arms {
            let bins = ws.arm_bins(arm);
            let row = &mut self.totals[(j * n_arms + arm) * total_width..(j * n_arms + arm + 1) * total_width];
            row.fill(0.0);
            for year in bins.chunks_exact(total_width) {
                for (t, v) in row.iter_mut().zip(year) {
                    *t += v;
                }
            }
            // A non-finite value anywhere in the arm's bins makes its total non-finite too.
            if let Some(k) = row.iter().position(|v| !v.is_finite()) {
                let culprit = ws
                    .first_non_finite(model, arm)
                    .map_or(String::new(), |s| format!("; the first non-finite value is {s}"));
                return Err((i, format!("arm `{}`: {} is {} (not a finite number): an expression divides by zero, takes the log of a non-positive number, or overflows for these parameter values{culprit}", model.arms[arm].name, column_name(model, kernel_columns[k]), row[k])));
            }
            self.payback[j * n_arms + arm] = model.arms[arm]
                .comparator
                .and_then(|c| payback_year(ws.arm_bins(c), bins, n_kernel, &plan.kernel_cost));
        }
        for (sum, &b) in yearly_sum.iter_mut().zip(&plan.live) {
            sum[j % LANES] += ws.bins[b];
        }
        if i < plan.sample_size {
            for (p, &b) in plan.live.iter().enumerate() {
                self.sample[sample_index(j, p, plan.n_live)].write(ws.bins[b] as f32);
            }
        }
        Ok(())
    }
}

/// Initialises a chunk's piece of a result array allocated without zeroing, and returns it. Zeroing each piece here,
/// in parallel and just before the piece is written (so it is in cache when written), replaces zeroing whole arrays up
/// front on one thread, which took 8% of a run on one thread and more on two.
fn zeroed<T: Copy + Default>(piece: &mut [MaybeUninit<T>]) -> &mut [T] {
    for x in piece.iter_mut() {
        x.write(T::default());
    }
    // SAFETY: every element was initialised just above, and MaybeUninit<T> has the layout of T.
    unsafe { &mut *(piece as *mut [MaybeUninit<T>] as *mut [T]) }
}
