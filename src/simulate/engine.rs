//! The parallel PSA loop: one random stream per iteration, rayon over fixed chunks of iterations, results in
//! preallocated arrays, and every reduction done in a fixed order so results are bit-identical for any thread count.

use crate::model::{Model, RunSettings};
use crate::simulate::chunk::{Chunk, ChunkOutput};
use crate::simulate::kernel::{live_bins, Workspace, LANES};
use crate::simulate::{yearly_sample_size, Progress, Results, SimulationError};
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

/// Iterations per parallel task. Fixed (not derived from the thread count) so partial sums combine identically.
pub const CHUNK: usize = 256;

// Blocks of lane iterations never straddle chunks, so the sample's blocks (see `Results::yearly_sample`) do not either.
const _: () = assert!(CHUNK.is_multiple_of(LANES));

/// Runs the PSA of `model` for `run.iterations` iterations from `run.seed` on the current rayon pool.
pub fn run(model: &Model, run: &RunSettings, progress: Option<&Progress>) -> Result<Results, SimulationError> {
    run_with(model, run, progress, true)
}

/// [`run`], with the lane path allowed or not (the tests compare the two).
pub(super) fn run_with(
    model: &Model,
    run: &RunSettings,
    progress: Option<&Progress>,
    lanes: bool,
) -> Result<Results, SimulationError> {
    if let Some(p) = progress {
        p.total.store(run.iterations, Ordering::Relaxed);
    }
    let plan = RunPlan::new(model, run, progress, lanes);
    let mut arrays = ResultArrays::allocate(&plan);
    let outputs = run_chunks(&plan, &mut arrays);
    // SAFETY: the chunks covered the first `len` elements of each array, and each chunk initialised its pieces with
    // `zeroed` before doing anything else (a panic in a chunk would have propagated out of `collect` in
    // `run_chunks`).
    unsafe {
        arrays.totals.set_len(arrays.totals_len);
        arrays.payback.set_len(arrays.payback_len);
        arrays.draws.set_len(arrays.draws_len);
    }

    if progress.is_some_and(|p| p.cancel.load(Ordering::Relaxed)) {
        return Err(SimulationError::Interrupted);
    }
    let yearly_sum = match combine(&plan, outputs) {
        Ok(yearly_sum) => yearly_sum,
        Err((iteration, message)) => {
            let (width, n_draws) = (plan.draw_width, plan.n_draws);
            let values = parameter_values(model, &arrays.draws[iteration * width..iteration * width + n_draws]);
            return Err(SimulationError::IterationFailed {
                iteration,
                what: message,
                values,
            });
        }
    };
    // SAFETY: no chunk failed or was cancelled (both return above), so every chunk ran all its iterations and wrote
    // each kept iteration's values (both paths write every kept lane), and zeroed the padding of a last partial block.
    unsafe { arrays.yearly_sample.set_len(arrays.sample_len) };
    Ok(Results::assemble(&plan, arrays, &yearly_sum))
}

/// What every chunk of a run reads: the model, the run's settings, and the layout of the result arrays.
pub(super) struct RunPlan<'a> {
    pub(super) model: &'a Model,
    pub(super) seed: u64,
    pub(super) progress: Option<&'a Progress>,
    /// Whether blocks of iterations may go through the lane path.
    pub(super) lanes: bool,
    /// Iterations, arms, kernel columns and sampled parameters.
    pub(super) n: usize,
    pub(super) n_arms: usize,
    pub(super) n_kernel: usize,
    pub(super) n_draws: usize,
    /// Columns per iteration and arm of the totals, and per iteration of the draws.
    pub(super) total_width: usize,
    pub(super) draw_width: usize,
    /// How many iterations' per-year values are kept.
    pub(super) sample_size: usize,
    /// How many bins an iteration has (`[arm, year, kernel column]`).
    pub(super) per_iteration_bins: usize,
    /// The live bins, which the sample keeps (see [`Results::yearly_sample`]), and how many there are.
    pub(super) live: Vec<usize>,
    pub(super) n_live: usize,
    /// Which kernel columns are costs, for payback.
    pub(super) kernel_cost: Vec<usize>,
}

impl<'a> RunPlan<'a> {
    fn new(model: &'a Model, run: &RunSettings, progress: Option<&'a Progress>, lanes: bool) -> Self {
        let n = run.iterations;
        let n_arms = model.arms.len();
        let kernel_columns = &model.kernel_columns;
        let n_kernel = kernel_columns.len();
        let years = model.settings.bins();
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
        let columns = model.columns();
        let kernel_cost: Vec<usize> = (0..n_kernel)
            .filter(|&k| kernel_columns[k] < columns.cost_columns() && !columns.is_cashable(kernel_columns[k]))
            .collect();
        RunPlan {
            model,
            seed: run.seed,
            progress,
            lanes,
            n,
            n_arms,
            n_kernel,
            n_draws,
            // At least one column per iteration, as for the draws below.
            total_width: n_kernel.max(1),
            // At least one column per iteration so the chunks of all three arrays line up even with no sampled
            // parameter.
            draw_width: n_draws.max(1),
            sample_size,
            per_iteration_bins,
            live,
            n_live,
            kernel_cost,
        }
    }
}

/// The run's result arrays, and the lengths they have once every chunk has written its pieces.
pub(super) struct ResultArrays {
    /// `[iteration, arm, total_width]`.
    pub(super) totals: Vec<f64>,
    /// `[iteration, arm]`.
    pub(super) payback: Vec<Option<u16>>,
    /// `[iteration, draw_width]`.
    pub(super) draws: Vec<f64>,
    /// See [`Results::yearly_sample`].
    pub(super) yearly_sample: Vec<f32>,
    totals_len: usize,
    payback_len: usize,
    draws_len: usize,
    sample_len: usize,
}

impl ResultArrays {
    /// The result arrays are allocated without zeroing: each chunk zeroes its own pieces (see `zeroed`).
    fn allocate(plan: &RunPlan) -> Self {
        let totals_len = plan.n * plan.n_arms * plan.total_width;
        let payback_len = plan.n * plan.n_arms;
        let draws_len = plan.n * plan.draw_width;
        // Whole blocks, so that every block's values are one contiguous run.
        let sample_len = plan.sample_size.next_multiple_of(LANES) * plan.n_live;
        ResultArrays {
            totals: Vec::with_capacity(totals_len),
            payback: Vec::with_capacity(payback_len),
            draws: Vec::with_capacity(draws_len),
            yearly_sample: Vec::with_capacity(sample_len),
            totals_len,
            payback_len,
            draws_len,
            sample_len,
        }
    }
}

/// Runs every chunk of the run on the current pool, each writing its pieces of `arrays` in place (uninitialised
/// memory past their lengths), and returns the chunks' outputs in chunk order.
fn run_chunks(plan: &RunPlan, arrays: &mut ResultArrays) -> Vec<ChunkOutput> {
    let (n_arms, n_live) = (plan.n_arms, plan.n_live);
    // Chunks past the kept sample get empty slices, so all four arrays split into the same number of chunks.
    let n_chunks = plan.n.div_ceil(CHUNK);
    let sample_chunks =
        arrays.yearly_sample.spare_capacity_mut()[..arrays.sample_len].par_chunks_mut((CHUNK * n_live).max(1));
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
    arrays.totals.spare_capacity_mut()[..arrays.totals_len]
        .par_chunks_mut(CHUNK * n_arms * plan.total_width)
        .zip(arrays.payback.spare_capacity_mut()[..arrays.payback_len].par_chunks_mut(CHUNK * n_arms))
        .zip(arrays.draws.spare_capacity_mut()[..arrays.draws_len].par_chunks_mut(CHUNK * plan.draw_width))
        .zip(sample_chunks)
        .enumerate()
        .map(|(chunk, (((totals, payback), draws), sample))| {
            let mut workspace = workspaces[rayon::current_thread_index().unwrap_or(0) % workspaces.len()]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let ws = workspace.get_or_insert_with(|| Workspace::new(plan.model));
            Chunk::new(plan, chunk, totals, payback, draws, sample).run(plan, ws)
        })
        .collect()
}

/// Combines the chunks' outputs in chunk order: the same additions in the same order whatever the number of threads.
/// Returns the run's per-year sums by bin of an iteration, or the earliest iteration that failed and why.
fn combine(plan: &RunPlan, outputs: Vec<ChunkOutput>) -> Result<Vec<f64>, (usize, String)> {
    let mut yearly_sum = vec![0.0; plan.per_iteration_bins];
    let mut first_failure: Option<(usize, String)> = None;
    for out in outputs {
        if let Some(f) = out.failure {
            if first_failure.as_ref().is_none_or(|(i, _)| f.0 < *i) {
                first_failure = Some(f);
            }
            continue;
        }
        for (&b, partial) in plan.live.iter().zip(&out.yearly_sum) {
            for v in partial {
                yearly_sum[b] += v;
            }
        }
    }
    match first_failure {
        Some(failure) => Err(failure),
        None => Ok(yearly_sum),
    }
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
