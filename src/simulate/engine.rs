//! The parallel PSA loop: one random stream per iteration, rayon over fixed chunks of iterations, results in
//! preallocated arrays, and every reduction done in a fixed order so results are bit-identical for any thread count.

use crate::dist::LaneRng;
use crate::error::RunError;
use crate::model::{columns, Model, RunSettings};
use crate::simulate::kernel::{
    add_lanes, column_name, live_bins, sample_parameters, sample_parameters_lanes, simulate_iteration, simulate_lanes,
    Lanes, Workspace, LANES,
};
use ndarray::{Array2, Array3};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Iterations per parallel task. Fixed (not derived from the thread count) so partial sums combine identically.
pub const CHUNK: usize = 256;

// Blocks of lane iterations never straddle chunks, so the sample's blocks (see `Results::yearly_sample`) do not either.
const _: () = assert!(CHUNK.is_multiple_of(LANES));

/// Memory allowed for per-year values of individual iterations. They are kept for the first iterations only (at least
/// [`YEARLY_SAMPLE_MIN`]), which bounds memory at any number of iterations; percentiles come from them, means from all.
pub const YEARLY_SAMPLE_BYTES: usize = 64 << 20;

/// The fewest iterations whose per-year values are kept (when the run has that many).
pub const YEARLY_SAMPLE_MIN: usize = 1000;

/// How many iterations' per-year values a run of `model` for `iterations` iterations keeps.
pub fn yearly_sample_size(model: &Model, iterations: usize) -> usize {
    let per_iteration = n_live_bins(model).max(1) * std::mem::size_of::<f32>();
    iterations.min((YEARLY_SAMPLE_BYTES / per_iteration).max(YEARLY_SAMPLE_MIN))
}

/// How many of an iteration's per-year bins the kept sample holds: those some flow or cost can write.
fn n_live_bins(model: &Model) -> usize {
    live_bins(model).iter().filter(|&&l| l).count()
}

/// The outcome of a PSA run.
#[derive(Debug, Clone)]
pub struct Results {
    /// Discounted totals per person over the horizon in the model's kernel columns: `[iteration, arm, kernel column]`.
    /// Read a full column's total (see [`crate::model::columns`]) with [`Results::total`]: the other full columns are
    /// zeros or copies, so keeping only these cuts a run's writes and memory by the rest.
    pub kernel_totals: Array3<f64>,
    /// The kernel column holding each full column's values; None for a column the model never writes (always zero).
    kernel_column_of: Vec<Option<usize>>,
    /// Mean discounted value per person in each calendar year over all iterations: `[arm, year, column]`.
    pub yearly_mean: Array3<f64>,
    /// Per-year values of the first [`Results::yearly_sample_size`] iterations, in the model's kernel columns; read
    /// them with [`Results::yearly_value`] or [`Results::yearly_kernel_value`]. Single precision is ample for
    /// percentiles (7 significant digits) and halves the memory; means are summed in double precision.
    ///
    /// Only the live bins are kept: those some flow or cost can write (see [`live_bins`]); the others are zero in
    /// every iteration. Laid out by block of [`LANES`] iterations, then by live bin (in `[arm, year, kernel column]`
    /// order), then by iteration within the block: a block of lane iterations writes its values as one contiguous
    /// run, in the order its lanes hold them. A last block only partly kept is padded with zeros.
    pub yearly_sample: Vec<f32>,
    /// How many iterations' per-year values `yearly_sample` holds (read it with [`Results::yearly_sample_size`]).
    yearly_sample_iterations: usize,
    /// Each bin's position among the live bins of an iteration in `yearly_sample`; None for a structural zero.
    sample_position: Vec<Option<usize>>,
    /// How many live bins an iteration has in `yearly_sample`.
    live_bins: usize,
    /// The full column of each kernel column (see [`crate::model::Model::kernel_columns`]).
    pub kernel_columns: Vec<usize>,
    /// Per iteration and arm: the first year (1-based) in which cumulative net savings against the arm's comparator
    /// reach zero; None where that does not happen within the horizon, and for comparator arms.
    pub payback_year: Array2<Option<u16>>,
    /// The sampled parameter values: `[iteration, draw slot]`.
    pub draws: Array2<f64>,
}

impl Results {
    /// Number of iterations.
    pub fn iterations(&self) -> usize {
        self.kernel_totals.shape()[0]
    }

    /// Number of full columns (see [`crate::model::columns`]).
    pub fn n_columns(&self) -> usize {
        self.kernel_column_of.len()
    }

    /// The kernel column holding a full column's values (see [`crate::model::columns`]); None for a column the model
    /// never writes, which is always zero.
    pub fn kernel_column(&self, column: usize) -> Option<usize> {
        self.kernel_column_of[column]
    }

    /// Discounted total per person of a full column (see [`crate::model::columns`]) in one iteration and arm.
    pub fn total(&self, iteration: usize, arm: usize, column: usize) -> f64 {
        self.kernel_column_of[column].map_or(0.0, |k| self.kernel_totals[[iteration, arm, k]])
    }

    /// Number of iterations whose per-year values were kept.
    pub fn yearly_sample_size(&self) -> usize {
        self.yearly_sample_iterations
    }

    /// Kept iteration `iteration`'s value of kernel column `k` in `year` of `arm`.
    pub fn yearly_kernel_value(&self, iteration: usize, arm: usize, year: usize, k: usize) -> f32 {
        let (years, n_kernel) = (self.yearly_mean.shape()[1], self.kernel_columns.len());
        match self.sample_position[(arm * years + year) * n_kernel + k] {
            Some(p) => self.yearly_sample[sample_index(iteration, p, self.live_bins)],
            None => 0.0,
        }
    }

    /// Total cost (spend and care, all payers) of an arm in one iteration.
    pub fn total_cost(&self, iteration: usize, arm: usize) -> f64 {
        (0..3)
            .map(|p| self.total(iteration, arm, p) + self.total(iteration, arm, 6 + p))
            .sum()
    }

    /// The value of a full column in one year of a kept iteration (0 for columns the model never writes).
    pub fn yearly_value(&self, iteration: usize, arm: usize, year: usize, column: usize) -> f64 {
        self.kernel_column_of[column].map_or(0.0, |k| f64::from(self.yearly_kernel_value(iteration, arm, year, k)))
    }
}

/// Where kept iteration `iteration`'s value of live bin `bin` lies in the sample (see [`Results::yearly_sample`]),
/// with `bins` live bins per iteration. Also right for an iteration counted from the start of a chunk, within the
/// chunk's piece, since chunks start at whole blocks.
fn sample_index(iteration: usize, bin: usize, bins: usize) -> usize {
    ((iteration / LANES) * bins + bin) * LANES + iteration % LANES
}

/// The message of a run stopped by [`Progress::cancel`] (Ctrl-C).
pub const INTERRUPTED: &str = "the run was interrupted before it finished; nothing was written";

/// Progress of a run, shared with whoever displays it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Units of work (iterations of a run, points of a sweep) completed so far.
    pub done: AtomicUsize,
    /// Units of work in all, set when the work starts (0 until then).
    pub total: AtomicUsize,
    /// Set to ask the run to stop early.
    pub cancel: AtomicBool,
}

/// The random stream of one iteration: a SplitMix64 mix of (seed, iteration) seeds a Xoshiro256++ generator.
pub fn iteration_rng(seed: u64, iteration: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(iteration_seed(seed, iteration))
}

/// The streams of iterations `first..first + LANES`, each the one [`iteration_rng`] gives.
fn lane_rng(seed: u64, first: usize) -> LaneRng {
    LaneRng::seed_from_u64s(std::array::from_fn(|l| iteration_seed(seed, (first + l) as u64)))
}

/// What an iteration's generator is seeded with.
fn iteration_seed(seed: u64, iteration: u64) -> u64 {
    splitmix64(seed ^ splitmix64(iteration.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one chunk hands back besides the rows it wrote in place.
struct ChunkOutput {
    /// Per-year sums of the chunk's iterations, one per live bin (a structural zero would add +0 to a sum starting at
    /// +0, so the others' sums are +0), kept as eight partial sums: iteration j of the chunk adds to partial sum
    /// j mod 8. Both paths add in that order, so a block of eight lanes adds all its lanes at once (one vector addition
    /// instead of eight dependent scalar ones) and the sums do not depend on the path.
    yearly_sum: Vec<Lanes>,
    failure: Option<(usize, String)>,
}

/// Runs the PSA of `model` for `run.iterations` iterations from `run.seed` on the current rayon pool.
pub fn run(model: &Model, run: &RunSettings, progress: Option<&Progress>) -> Result<Results, RunError> {
    run_with(model, run, progress, true)
}

/// [`run`], with the lane path allowed or not (the tests compare the two).
fn run_with(model: &Model, run: &RunSettings, progress: Option<&Progress>, lanes: bool) -> Result<Results, RunError> {
    let n = run.iterations;
    let seed = run.seed;
    if let Some(p) = progress {
        p.total.store(n, Ordering::Relaxed);
    }
    let n_arms = model.arms.len();
    let n_cols = model.n_columns();
    let kernel_columns = &model.kernel_columns;
    let n_kernel = kernel_columns.len();
    let years = model.settings.horizon_years;
    let n_draws = model.n_draws;
    let sample_size = yearly_sample_size(model, n);
    let per_iteration_bins = n_arms * years * n_kernel;
    // The sample keeps only the bins some flow or cost can write: a quarter of the reference model's are structural
    // zeros, and the sample's stores are most of a run's memory traffic.
    let live: Vec<usize> = (live_bins(model).into_iter().enumerate())
        .filter_map(|(b, l)| l.then_some(b))
        .collect();
    let n_live = live.len();
    // Which kernel columns are costs, for payback.
    let kernel_cost: Vec<usize> = (0..n_kernel)
        .filter(|&k| kernel_columns[k] < columns::COST_COLUMNS && !(3..6).contains(&kernel_columns[k]))
        .collect();

    // The result arrays are allocated without zeroing: each chunk zeroes its own pieces (see `zeroed`).
    // At least one column per iteration, as for the draws below.
    let total_width = n_kernel.max(1);
    let totals_len = n * n_arms * total_width;
    let mut totals = Vec::<f64>::with_capacity(totals_len);
    let payback_len = n * n_arms;
    let mut payback = Vec::<Option<u16>>::with_capacity(payback_len);
    // At least one column per iteration so the chunks of all three arrays line up even with no sampled parameter.
    let draw_width = n_draws.max(1);
    let draws_len = n * draw_width;
    let mut draws = Vec::<f64>::with_capacity(draws_len);
    // Whole blocks, so that every block's values are one contiguous run.
    let sample_len = sample_size.next_multiple_of(LANES) * n_live;
    let mut yearly_sample = Vec::<f32>::with_capacity(sample_len);
    // Chunks past the kept sample get empty slices, so all four arrays split into the same number of chunks.
    let n_chunks = n.div_ceil(CHUNK);
    let sample_chunks = yearly_sample.spare_capacity_mut()[..sample_len].par_chunks_mut((CHUNK * n_live).max(1));
    let missing = n_chunks - sample_chunks.len();
    let sample_chunks = sample_chunks.chain(
        (0..missing)
            .into_par_iter()
            .map(|_| <&mut [MaybeUninit<f32>]>::default()),
    );

    // One workspace per thread of the pool, made when the thread first needs it. Rayon's `map_init` made one per
    // split of the work, 16 a run on two threads, at about 80,000 instructions each: 3% of the run. Each thread locks
    // only its own, so the locks are never contended; a workspace holds scratch values only, so which one a chunk
    // gets does not change its results.
    let workspaces: Vec<Mutex<Option<Workspace>>> =
        (0..rayon::current_num_threads()).map(|_| Mutex::new(None)).collect();
    let outputs: Vec<ChunkOutput> = totals.spare_capacity_mut()[..totals_len]
        .par_chunks_mut(CHUNK * n_arms * total_width)
        .zip(payback.spare_capacity_mut()[..payback_len].par_chunks_mut(CHUNK * n_arms))
        .zip(draws.spare_capacity_mut()[..draws_len].par_chunks_mut(CHUNK * draw_width))
        .zip(sample_chunks)
        .enumerate()
        .map(
            |(chunk, (((totals, payback), draws), sample))| {
                let mut workspace = workspaces[rayon::current_thread_index().unwrap_or(0) % workspaces.len()]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let ws = workspace.get_or_insert_with(|| Workspace::new(model));
                // Every chunk zeroes these pieces first, whatever happens next: `set_len` below relies on it.
                let (totals, payback, draws) = (zeroed(totals), zeroed(payback), zeroed(draws));
                let first = chunk * CHUNK;
                let count = totals.len() / (n_arms * total_width);
                let mut out = ChunkOutput {
                    yearly_sum: vec![[0.0; LANES]; n_live],
                    failure: None,
                };
                // How many of the chunk's iterations have their per-year values kept (maybe none).
                let kept_in_chunk = sample_size.saturating_sub(first).min(CHUNK);
                // The sample piece is not zeroed: every kept value is written once below, which saves a pass over
                // the largest array. Only the padding of a last block partly kept is zeroed, here.
                if !kept_in_chunk.is_multiple_of(LANES) {
                    for x in &mut sample[kept_in_chunk / LANES * LANES * n_live..] {
                        x.write(0.0);
                    }
                }
                let mut totals_lanes = vec![[0.0; LANES]; n_kernel];
                let mut j = 0;
                while j < count {
                    if progress.is_some_and(|p| p.cancel.load(Ordering::Relaxed)) {
                        out.failure = Some((first + j, "the run was cancelled".to_string()));
                        return out;
                    }
                    // Blocks of up to LANES iterations go through the lane path. A block it cannot finish (an invalid
                    // probability or a non-finite value in some lane) is redone by the general path one iteration at
                    // a time, which reports the failure; its numbers are the same.
                    let block = if lanes && ws.has_lanes() { LANES.min(count - j) } else { 0 };
                    // A full block draws its parameters on lanes too; the draws are the same as one by one.
                    if block == LANES {
                        let mut rng = lane_rng(seed, first + j);
                        let lanes = ws.lane_draws_mut();
                        sample_parameters_lanes(model, &mut rng, &mut draws[j * draw_width..], draw_width, lanes);
                    } else if block > 0 {
                        for l in j..j + block {
                            let mut rng = iteration_rng(seed, (first + l) as u64);
                            sample_parameters(model, &mut rng, &mut draws[l * draw_width..l * draw_width + n_draws]);
                        }
                        ws.set_lane_draws(&draws[j * draw_width..], draw_width, block);
                    }
                    if block > 0 && simulate_lanes(model, ws, &draws[j * draw_width..], draw_width, block) {
                        let rows = BlockRows {
                            totals: &mut totals[j * n_arms * total_width..(j + block) * n_arms * total_width],
                            payback: &mut payback[j * n_arms..(j + block) * n_arms],
                            sample: &mut *sample,
                            sample_at: j,
                            kept_in_chunk,
                            live: &live,
                            yearly_sum: &mut out.yearly_sum,
                        };
                        if finish_lanes(model, ws, block, &kernel_cost, &mut totals_lanes, rows) {
                            j += block;
                            continue;
                        }
                    }
                    for j in j..j + block.max(1) {
                        let i = first + j;
                        let mut rng = iteration_rng(seed, i as u64);
                        sample_parameters(model, &mut rng, &mut ws.draws);
                        draws[j * draw_width..j * draw_width + n_draws].copy_from_slice(&ws.draws);
                        if let Err(f) = simulate_iteration(model, ws, &rng) {
                            out.failure = Some((i, format!("arm `{}`: {}", model.arms[f.arm].name, f.message)));
                            return out;
                        }
                        for arm in 0..n_arms {
                            let bins = ws.arm_bins(arm);
                            let row = &mut totals[(j * n_arms + arm) * total_width..(j * n_arms + arm + 1) * total_width];
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
                                out.failure = Some((i, format!("arm `{}`: {} is {} (not a finite number): an expression divides by zero, takes the log of a non-positive number, or overflows for these parameter values{culprit}", model.arms[arm].name, column_name(model, kernel_columns[k]), row[k])));
                                return out;
                            }
                            payback[j * n_arms + arm] = model.arms[arm]
                                .comparator
                                .and_then(|c| payback_year(ws.arm_bins(c), bins, n_kernel, &kernel_cost));
                        }
                        for (sum, &b) in out.yearly_sum.iter_mut().zip(&live) {
                            sum[j % LANES] += ws.bins[b];
                        }
                        if i < sample_size {
                            for (p, &b) in live.iter().enumerate() {
                                sample[sample_index(j, p, n_live)].write(ws.bins[b] as f32);
                            }
                        }
                    }
                    j += block.max(1);
                }
                if let Some(p) = progress {
                    p.done.fetch_add(count, Ordering::Relaxed);
                }
                out
            },
        )
        .collect();
    // SAFETY: the chunks covered the first `len` elements of each array, and each chunk initialised its pieces with
    // `zeroed` before doing anything else (a panic in a chunk would have propagated out of `collect`).
    unsafe {
        totals.set_len(totals_len);
        payback.set_len(payback_len);
        draws.set_len(draws_len);
    }

    if progress.is_some_and(|p| p.cancel.load(Ordering::Relaxed)) {
        return Err(RunError {
            message: INTERRUPTED.to_string(),
        });
    }
    // Combine in chunk order: the same additions in the same order whatever the number of threads.
    let mut yearly_sum = vec![0.0; per_iteration_bins];
    let mut first_failure: Option<(usize, String)> = None;
    for out in outputs {
        if let Some(f) = out.failure {
            if first_failure.as_ref().is_none_or(|(i, _)| f.0 < *i) {
                first_failure = Some(f);
            }
            continue;
        }
        for (&b, partial) in live.iter().zip(&out.yearly_sum) {
            for v in partial {
                yearly_sum[b] += v;
            }
        }
    }
    if let Some((iteration, message)) = first_failure {
        let values = parameter_values(model, &draws[iteration * draw_width..iteration * draw_width + n_draws]);
        return Err(RunError {
            message: format!(
                "iteration {iteration} failed: {message}.\nSampled parameter values in that iteration: {values}"
            ),
        });
    }
    // SAFETY: no chunk failed or was cancelled (both return above), so every chunk ran all its iterations and wrote
    // each kept iteration's values (both paths write every kept lane), and zeroed the padding of a last partial block.
    unsafe { yearly_sample.set_len(sample_len) };
    let mut yearly_mean = Array3::zeros((n_arms, years, n_cols));
    for arm in 0..n_arms {
        for year in 0..years {
            for (k, &full) in kernel_columns.iter().enumerate() {
                yearly_mean[[arm, year, full]] = yearly_sum[(arm * years + year) * n_kernel + k] / n as f64;
            }
            if !model.has_noncashable {
                for p in 0..3 {
                    yearly_mean[[arm, year, 3 + p]] = yearly_mean[[arm, year, p]];
                }
            }
        }
    }
    Ok(Results {
        kernel_totals: Array3::from_shape_vec((n, n_arms, total_width), totals)
            .expect("shape matches")
            .slice_move(ndarray::s![.., .., ..n_kernel]),
        kernel_column_of: (0..n_cols)
            .map(|column| {
                // With no cashable share below 1, the cashable part of care costs is all of them.
                let column = if !model.has_noncashable && (3..6).contains(&column) {
                    column - 3
                } else {
                    column
                };
                kernel_columns.iter().position(|&c| c == column)
            })
            .collect(),
        yearly_mean,
        yearly_sample,
        yearly_sample_iterations: sample_size,
        sample_position: {
            let mut position = vec![None; per_iteration_bins];
            for (p, &b) in live.iter().enumerate() {
                position[b] = Some(p);
            }
            position
        },
        live_bins: n_live,
        kernel_columns: kernel_columns.clone(),
        payback_year: Array2::from_shape_vec((n, n_arms), payback).expect("shape matches"),
        draws: Array2::from_shape_vec((n, draw_width), draws)
            .expect("shape matches")
            .slice_move(ndarray::s![.., ..n_draws]),
    })
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

/// The first year (1-based) in which cumulative net savings of `arm` against `comparator` reach zero.
fn payback_year(comparator: &[f64], arm: &[f64], n_cols: usize, cost_columns: &[usize]) -> Option<u16> {
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

/// Where a block of lane iterations writes its results: its rows of the run's arrays, and the chunk's yearly sums.
struct BlockRows<'a> {
    totals: &'a mut [f64],
    payback: &'a mut [Option<u16>],
    /// The chunk's piece of the f32 sample (empty past the kept iterations), the block's first iteration in the
    /// chunk, and how many of the chunk's iterations are kept.
    sample: &'a mut [MaybeUninit<f32>],
    sample_at: usize,
    kept_in_chunk: usize,
    /// The live bins, which the sample keeps (see [`Results::yearly_sample`]).
    live: &'a [usize],
    /// The chunk's per-year sums, by live bin (see `ChunkOutput`).
    yearly_sum: &'a mut [Lanes],
}

/// Turns the lane bins of a block of `block` iterations into results, as the general path does per iteration: totals,
/// payback years, yearly sums (adding iterations in order) and sample rows. Returns false, having written only
/// totals, when some total is not finite: the caller then redoes the block on the general path, which reports it.
///
/// Compiled for AVX2 too, like [`crate::simulate::kernel::simulate_lanes`], with the same results.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn finish_lanes(
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

/// [`payback_year`] for every lane of a block: the same sums in the same order per lane.
#[inline(always)]
fn payback_lanes(comparator: &[Lanes], arm: &[Lanes], n_cols: usize, cost_columns: &[usize]) -> [Option<u16>; LANES] {
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

/// "name = value" for every sampled parameter, for error messages.
pub fn parameter_values(model: &Model, draws: &[f64]) -> String {
    let mut parts = Vec::new();
    for p in &model.parameters {
        if let Some(slot) = p.draw_slot {
            let scope = if p.scope == "base" {
                String::new()
            } else {
                format!(" [{}]", p.scope)
            };
            parts.push(format!(
                "{}{scope} = {}",
                p.name,
                draws.get(slot).copied().unwrap_or(f64::NAN)
            ));
        }
    }
    if parts.is_empty() {
        "none (all parameters are fixed)".to_string()
    } else {
        parts.join(", ")
    }
}

/// Approximate bytes the result arrays of a run need.
pub fn memory_estimate(model: &Model, run: &RunSettings) -> u64 {
    let n = run.iterations as u64;
    let arms = model.arms.len() as u64;
    let per_iteration = arms * model.n_kernel_columns().max(1) as u64 * 8 + arms * 4 + model.n_draws.max(1) as u64 * 8;
    let yearly = yearly_sample_size(model, run.iterations) as u64 * n_live_bins(model) as u64 * 4;
    n * per_iteration + yearly
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::compile_text;
    use std::path::Path;

    /// The reference scenario with `iterations` and each (from, to) replacement applied (each must apply).
    fn reference(iterations: usize, edits: &[(&str, &str)]) -> (Model, RunSettings) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml");
        let mut text = std::fs::read_to_string(&path).expect("the reference scenario is readable");
        for (from, to) in edits {
            assert!(
                text.contains(from),
                "the reference scenario no longer contains {from:?}"
            );
            text = text.replacen(from, to, 1);
        }
        let model = compile_text(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        let settings = RunSettings {
            iterations,
            ..model.run_defaults
        };
        (model, settings)
    }

    fn bits<'a>(values: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
        values.into_iter().map(|v| v.to_bits()).collect()
    }

    /// Edits that leave states out of the lane trace: with no outcome in `independent`, it has no flow but leads to
    /// states with flows, so it stays; with no cost or outcome in `residential` either, that state leads only to
    /// `dead` and is left out with it. A quarter of people start there, so the trace loses mass from the start.
    const UNTRACED: [(&str, &str); 3] = [
        ("outcomes = { qaly = \"u_independent\" }", ""),
        (
            "costs = { council = \"cost_residential\", nhs = \"cost_nhs\" }\noutcomes = { qaly = \"u_care\" }",
            "",
        ),
        ("independent = 1\n", "independent = 0.75\nresidential = 0.25\n"),
    ];

    #[test]
    fn the_lane_trace_leaves_out_the_states_no_value_depends_on() {
        let traced = |edits: &[(&str, &str)]| Workspace::new(&reference(8, edits).0).traced_state_counts();
        // Per context (one per arm): `dead` is left out of the reference model's four states.
        assert_eq!(traced(&[]), [3, 3]);
        assert_eq!(traced(&UNTRACED), [2, 2]);
    }

    /// The bins `live_bins` calls structural zeros, checked to be exactly +0 in every one of `iterations` iterations
    /// of the general path; returns how many there are.
    fn check_structural_zeros(model: &Model, iterations: u64) -> usize {
        let live = live_bins(model);
        let mut ws = Workspace::new(model);
        for i in 0..iterations {
            let mut rng = iteration_rng(model.run_defaults.seed, i);
            sample_parameters(model, &mut rng, &mut ws.draws);
            simulate_iteration(model, &mut ws, &rng).expect("simulates");
            for (b, (&v, &l)) in ws.bins.iter().zip(&live).enumerate() {
                assert!(l || v.to_bits() == 0, "{}: bin {b} is {v}, not +0", model.meta.name);
            }
        }
        live.iter().filter(|&&l| !l).count()
    }

    #[test]
    fn structural_zeros_stay_zero_and_the_sample_leaves_them_out() {
        // The reference model: 2 arms × 20 years × 4 kernel columns. Its only spend is the intervention's one-off
        // package in year 0, so usual care's 20 years and the intervention's later 19 of spend are zeros: 39.
        let (model, settings) = reference(600, &[]);
        assert_eq!(model.n_kernel_columns(), 4);
        assert_eq!(check_structural_zeros(&model, 64), 39);
        let results = run(&model, &settings, None).expect("runs");
        assert_eq!(results.yearly_sample.len(), 600 * (160 - 39));
        // Entry over three years moves the one-off spend into years 0 to 2, so 17 of the intervention's years of
        // council spend are zeros, not 19. Programme costs (NHS spend: annual for years 0 to 2, set-up in year 0) add
        // a kernel column whose zeros are usual care's 20 years and the intervention's years 3 to 19. A time-varying
        // care cost (accrued cycle by cycle, not through occupancy) adds none.
        let edits = [
            ("size = 1000", "size = 1000\nentry = [0.5, 0.3, 0.2]"),
            (
                "amount = 1500 }",
                "amount = 1500 }, { name = \"team\", kind = \"annual\", payer = \"nhs\", amount = 30000, \
                 from_year = 0, to_year = 3 }, { name = \"set-up\", kind = \"setup\", payer = \"nhs\", amount = 5000 }",
            ),
            (
                "costs = { council = \"cost_home_care\", nhs = \"cost_nhs\" }",
                "costs = { council = \"cost_home_care * (1 + 0.01 * t)\", nhs = \"cost_nhs\" }",
            ),
        ];
        let (model, _) = reference(64, &edits);
        assert_eq!(model.n_kernel_columns(), 5);
        assert_eq!(check_structural_zeros(&model, 64), (20 + 17) + (20 + 17));
        // An annual person-paid fee from year 2 to year 4 is paid in the cycles starting at 2 and 3: of its column,
        // usual care's 20 years and 18 of the intervention's are zeros.
        let person = [(
            "amount = 1500 }",
            "amount = 1500 }, { name = \"fee\", kind = \"annual\", payer = \"person\", amount = 100, from_year = 2, \
             to_year = 4 }",
        )];
        assert_eq!(check_structural_zeros(&reference(64, &person).0, 64), 39 + 20 + 18);
        // Every bundled scenario.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        for entry in std::fs::read_dir(dir).expect("scenarios/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let model = crate::model::load(&path).unwrap_or_else(|e| panic!("{e}")).model;
                check_structural_zeros(&model, 16);
            }
        }
    }

    #[test]
    fn the_lane_path_gives_the_general_paths_results_bit_for_bit() {
        let quarterly = [("cycle = \"year\"", "cycle = \"quarter\"")];
        let outcome_rate = [("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0.015")];
        let simpson = [("accrual = \"half-cycle\"", "accrual = \"simpson\"")];
        let cohort = "size = 1000\nentry = [0.5, 0.3, 0.2]\nsubgroups = [{ name = \"a\", share = 0.4, parameters = \
                      { cost_nhs = 4000 } }, { name = \"b\", share = 0.6 }]";
        let waves = [("size = 1000", cohort)];
        let annual = "amount = 1500 }, { name = \"team\", kind = \"annual\", payer = \"nhs\", amount = 30000, \
                      from_year = 0, to_year = 3 }, { name = \"set-up\", kind = \"setup\", payer = \"nhs\", \
                      amount = 5000 }";
        let programme = [("amount = 1500 }", annual)];
        // Derived parameters: plain arithmetic (evaluated on lanes) and functions and conditionals (lane by lane).
        let derived = [
            (
                "rr = 1\n",
                "rr = 1\nhome_nhs = \"(cost_nhs - 100) / (2 * u_care) + 1 / rr - 3\"\n\
                 res_nhs = \"if(u_care > 0.55, max(cost_nhs, 2600), sqrt(cost_nhs) * 50)\"\n",
            ),
            ("nhs = \"cost_nhs\"", "nhs = \"home_nhs\""),
            ("nhs = \"cost_nhs\"", "nhs = \"res_nhs\""),
        ];
        // Every kind of distribution, so that the lane sampler's draws (vectorised or lane by lane) meet the scalar
        // sampler's: a Dirichlet row, a beta with a shape below 1, uniform, triangular, PERT, normal and gamma.
        let families = [
            (
                "rr = 1\n",
                "rr = 1\nres = { dist = \"dirichlet\", alpha = [30, 8, 2], names = [\"p_stay\", \"p_die_res\", \"p_x\"] }\n\
                 p_rare = { dist = \"beta\", alpha = 0.6, beta = 40 }\n\
                 extra = { dist = \"uniform\", low = 0, high = 200 }\n\
                 tri = { dist = \"triangular\", min = 100, mode = 300, max = 900 }\n\
                 pert = { dist = \"pert\", min = 50, mode = 80, max = 200 }\n\
                 shift = { dist = \"normal\", mean = 0, sd = 30 }\n\
                 g1 = { dist = \"gamma\", shape = 1.2, scale = 100 }\n",
            ),
            (
                "residential = { dead = \"p_die_residential\", residential = \"remainder\" }",
                "residential = { dead = \"p_die_res + p_x\", residential = \"p_stay\" }",
            ),
            (
                "home_care = { residential = \"p_home_to_residential * rr\"",
                "home_care = { residential = \"p_home_to_residential * rr + p_rare\"",
            ),
            (
                "nhs = \"cost_nhs\"",
                "nhs = \"cost_nhs + extra + tri + pert + shift + g1\"",
            ),
        ];
        // 1,003 iterations end on a short block; the edits cover the cases the lane path handles differently.
        let cases: [&[(&str, &str)]; 9] = [
            &[],
            &quarterly,
            &outcome_rate,
            &simpson,
            &waves,
            &programme,
            &derived,
            &families,
            &UNTRACED,
        ];
        for edits in cases {
            let (model, settings) = reference(1003, edits);
            assert!(crate::simulate::kernel::lanes_supported(&model), "{edits:?}");
            let lanes = run_with(&model, &settings, None, true).expect("runs");
            let general = run_with(&model, &settings, None, false).expect("runs");
            assert_eq!(
                bits(&lanes.kernel_totals),
                bits(&general.kernel_totals),
                "totals, {edits:?}"
            );
            assert_eq!(bits(&lanes.yearly_mean), bits(&general.yearly_mean), "means, {edits:?}");
            let sample = |r: &Results| r.yearly_sample.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(sample(&lanes), sample(&general), "sample, {edits:?}");
            assert_eq!(lanes.payback_year, general.payback_year, "payback, {edits:?}");
            assert_eq!(bits(&lanes.draws), bits(&general.draws), "draws, {edits:?}");
        }
    }

    #[test]
    fn kept_per_year_values_read_back_as_each_iteration_computed_them() {
        // 600 iterations: two full chunks and a short third one, each laid out bin by bin in its own piece.
        let (model, settings) = reference(600, &[]);
        check_kept_values(&model, &settings, &[0, 7, 255, 256, 300, 511, 512, 599]);
        // More iterations than the sample keeps, so the sample ends part of the way through a chunk.
        let kept = yearly_sample_size(&model, usize::MAX);
        assert_ne!(kept % CHUNK, 0, "the sample should end inside a chunk");
        let (model, settings) = reference(kept + 300, &[]);
        check_kept_values(&model, &settings, &[kept / CHUNK * CHUNK, kept - 2, kept - 1]);
    }

    #[test]
    fn full_column_totals_are_read_from_the_kernel_columns() {
        use crate::model::Payer;
        let (model, settings) = reference(40, &[]);
        let r = run(&model, &settings, None).expect("runs");
        let council = columns::care(Payer::Council);
        let mut ws = Workspace::new(&model);
        for i in [0, 17, 39] {
            let mut rng = iteration_rng(settings.seed, i as u64);
            sample_parameters(&model, &mut rng, &mut ws.draws);
            simulate_iteration(&model, &mut ws, &rng).expect("simulates");
            for arm in 0..2 {
                // The council care column's years, summed in order.
                let k = model
                    .kernel_columns
                    .iter()
                    .position(|&c| c == council)
                    .expect("a council column");
                let years = ws.arm_bins(arm).chunks_exact(model.n_kernel_columns());
                let summed = years.fold(0.0, |sum, year| sum + year[k]);
                assert_eq!(r.total(i, arm, council).to_bits(), summed.to_bits());
                for p in Payer::ALL {
                    // No cost line has a cashable share below 1, so all care costs are cashable.
                    assert_eq!(r.total(i, arm, columns::cashable(p)), r.total(i, arm, columns::care(p)));
                    if p != Payer::Council {
                        assert_eq!(r.total(i, arm, columns::spend(p)), 0.0);
                    }
                }
                // Nothing is paid by the person in the reference model.
                assert_eq!(r.total(i, arm, columns::care(Payer::Person)), 0.0);
            }
            // The prevention package (£1,500, paid at entry, undiscounted) is the only spend.
            assert_eq!(r.total(i, 0, columns::spend(Payer::Council)), 0.0);
            assert_eq!(r.total(i, 1, columns::spend(Payer::Council)), 1500.0);
            let care = r.total(i, 1, council) + r.total(i, 1, columns::care(Payer::Nhs));
            assert!((r.total_cost(i, 1) - care - 1500.0).abs() < 1e-9 * care);
        }
        // Half of home care's council cost cashable: the cashable column is its own, between half the care cost and all.
        let half = [(
            "costs = { council = \"cost_home_care\", nhs = \"cost_nhs\" }",
            "costs = { council = { amount = \"cost_home_care\", cashable = 0.5 }, nhs = \"cost_nhs\" }",
        )];
        let (model, settings) = reference(40, &half);
        let r = run(&model, &settings, None).expect("runs");
        for i in 0..40 {
            let (care, cashable) = (r.total(i, 0, council), r.total(i, 0, columns::cashable(Payer::Council)));
            assert!(0.5 * care < cashable && cashable < care, "{cashable} of {care}");
        }
    }

    /// Checks that the run's kept per-year values of `iterations` equal those the general path computes for them.
    fn check_kept_values(model: &Model, settings: &RunSettings, iterations: &[usize]) {
        let results = run(model, settings, None).expect("runs");
        assert_eq!(
            results.yearly_sample_size(),
            yearly_sample_size(model, settings.iterations)
        );
        let years = model.settings.horizon_years;
        let mut ws = Workspace::new(model);
        for &i in iterations {
            let mut rng = iteration_rng(settings.seed, i as u64);
            sample_parameters(model, &mut rng, &mut ws.draws);
            simulate_iteration(model, &mut ws, &rng).expect("simulates");
            for arm in 0..model.arms.len() {
                let bins = ws.arm_bins(arm);
                for year in 0..years {
                    for (k, &column) in model.kernel_columns.iter().enumerate() {
                        let expected = bins[year * model.n_kernel_columns() + k] as f32;
                        assert_eq!(results.yearly_kernel_value(i, arm, year, k), expected, "iteration {i}");
                        assert_eq!(results.yearly_value(i, arm, year, column), f64::from(expected));
                    }
                }
            }
        }
    }

    #[test]
    fn the_lane_path_reports_failures_as_the_general_path_does() {
        // An invalid probability in some iterations, and a non-finite cost in others.
        let probability = [("dead = \"p_die_residential\"", "dead = \"p_die_residential * 3.0\"")];
        let non_finite = [
            ("rr = 1\n", "rr = 1\nhome_nhs = \"ln(p_die_home - 0.065)\"\n"),
            ("nhs = \"cost_nhs\"", "nhs = \"home_nhs\""),
        ];
        for edits in [&probability[..], &non_finite[..]] {
            let (model, settings) = reference(3000, edits);
            let lanes = run_with(&model, &settings, None, true).expect_err("fails").message;
            let general = run_with(&model, &settings, None, false).expect_err("fails").message;
            assert_eq!(lanes, general);
        }
    }
}
