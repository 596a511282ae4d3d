//! The parallel PSA loop: one random stream per iteration, rayon over fixed chunks of iterations, results in
//! preallocated arrays, and every reduction done in a fixed order so results are bit-identical for any thread count.

use crate::model::{Model, RunSettings};
use crate::simulate::blocks::{block_pieces, Reblocker};
use crate::simulate::chunk::{Chunk, ChunkOutput};
use crate::simulate::kernel::{live_bins, Lanes, Workspace, LANES};
use crate::simulate::{yearly_sample_size, Progress, RangeResults, Results, SimulationError};
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::ops::Range;
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
    let whole = range_with(model, run, 0..run.iterations, progress, lanes, true, None)?;
    Ok(join(model, run, vec![whole]).expect("one range covering the run joins"))
}

/// Runs iterations `range` of the PSA of `model` (a shard of the run: `range` starts at a multiple of [`CHUNK`] and
/// ends at one or at the run's end, see [`shard_range`]): each iteration is exactly the unsharded run's, since it
/// draws from its own stream. [`join`] puts the ranges of a run back together.
pub fn run_range(
    model: &Model,
    run: &RunSettings,
    range: Range<usize>,
    progress: Option<&Progress>,
) -> Result<RangeResults, SimulationError> {
    range_with(model, run, range, progress, true, true, None)
}

/// As [`run_range`], counting progress towards a total the caller has set (a piece of a larger range).
pub fn run_piece(
    model: &Model,
    run: &RunSettings,
    range: Range<usize>,
    progress: Option<&Progress>,
) -> Result<RangeResults, SimulationError> {
    range_with(model, run, range, progress, true, false, None)
}

/// Runs iterations `range`, into the memory of `spare` where given (an earlier block's arrays).
fn range_with(
    model: &Model,
    run: &RunSettings,
    range: Range<usize>,
    progress: Option<&Progress>,
    lanes: bool,
    counts_alone: bool,
    spare: Option<SpareArrays>,
) -> Result<RangeResults, SimulationError> {
    assert!(
        range.start.is_multiple_of(CHUNK)
            && range.start <= range.end
            && range.end <= run.iterations
            && (range.end == run.iterations || range.end.is_multiple_of(CHUNK)),
        "a range of a run starts and ends at whole chunks"
    );
    if let Some(p) = progress.filter(|_| counts_alone) {
        p.set_total(range.len());
    }
    let plan = RunPlan::new(model, run, range.clone(), progress, lanes);
    let mut arrays = ResultArrays::allocate(&plan, spare);
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
    let chunk_sums = match chunk_sums(&plan, outputs) {
        Ok(sums) => sums,
        Err((iteration, message)) => {
            let (width, n_draws) = (plan.draw_width, plan.n_draws);
            let local = iteration - plan.first;
            let values = parameter_values(model, &arrays.draws[local * width..local * width + n_draws]);
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
    Ok(RangeResults {
        range,
        totals: arrays.totals,
        payback: arrays.payback,
        draws: arrays.draws,
        yearly_sample: arrays.yearly_sample,
        chunk_sums,
    })
}

/// Runs the PSA of `model` a block of `block` iterations at a time (a multiple of [`CHUNK`]), handing each block's
/// results to `each` in order, so a run of any length holds a few blocks at a time: `each` hands a block back when it
/// is done with it, and a later block is simulated into its memory. A
/// block's [`Results`] are those of its iterations as a range of the run (the first block holds the run's kept
/// per-year sample; its per-year means are of its own iterations). Returns the per-year means of the whole run,
/// `[arm, year, column]`, the same bits as [`run`]'s, and the time spent simulating. Progress counts the whole run.
pub fn run_blocks<E: Send>(
    model: &Model,
    run: &RunSettings,
    block: usize,
    progress: Option<&Progress>,
    mut each: impl FnMut(Results) -> Result<Option<Results>, E> + Send,
) -> Result<Result<BlocksRun, E>, SimulationError> {
    let mut blocks = Reblocker::new(model, run, block);
    let mut simulating = std::time::Duration::ZERO;
    if let Some(p) = progress {
        p.set_total(run.iterations);
    }
    // Each block is simulated while the one before it is handed on (analysed), on the same pool: the two keep both
    // cores busy where either alone leaves one idle. Two blocks are alive at a time.
    let mut done: Option<RangeResults> = None;
    let ranges = block_pieces(0..run.iterations, block).map(Some).chain([None]);
    for range in ranges {
        // The memory of a block handed back (the one before last): written again, it is not faulted in afresh, page
        // by page, as new memory is.
        let spare = blocks.take_spare();
        let simulate = || {
            let started = std::time::Instant::now();
            let part = range
                .map(|r| range_with(model, run, r, progress, true, false, spare))
                .transpose();
            (part, started.elapsed())
        };
        let hand_on = || match done.take() {
            Some(part) => blocks
                .push(part, &mut each)
                .expect("the engine's blocks follow one another"),
            None => Ok(()),
        };
        let ((simulated, took), handed) = rayon::join(simulate, hand_on);
        simulating += took;
        if let Err(e) = handed {
            return Ok(Err(e));
        }
        done = simulated?;
    }
    Ok(Ok(BlocksRun {
        yearly_mean: blocks.finish().expect("the engine's blocks cover the run"),
        simulating,
    }))
}

/// What a run by blocks gives besides its blocks.
#[derive(Debug, Clone)]
pub struct BlocksRun {
    /// The whole run's per-year means, `[arm, year, column]`.
    pub yearly_mean: ndarray::Array3<f64>,
    /// Wall time spent simulating the blocks (each block is analysed meanwhile, on the same threads).
    pub simulating: std::time::Duration,
}

/// Adds a range's per-year partial sums, chunk by chunk in order, to `yearly_sum` (by bin of an iteration).
pub(super) fn add_chunk_sums(plan: &RunPlan, chunk_sums: &[Lanes], yearly_sum: &mut [f64]) {
    for chunk in chunk_sums.chunks_exact(plan.n_live.max(1)) {
        for (&b, partial) in plan.live.iter().zip(chunk) {
            for v in partial {
                yearly_sum[b] += v;
            }
        }
    }
}

/// The iterations shard `index` (1-based) of `count` runs of a run of `iterations`: whole chunks of [`CHUNK`]
/// iterations, shared out as evenly as whole chunks allow, so that the shards' per-year sums combine in the unsharded
/// run's order. None where there are fewer chunks than shards (a shard would have nothing to do).
pub fn shard_range(iterations: usize, index: usize, count: usize) -> Option<Range<usize>> {
    let chunks = iterations.div_ceil(CHUNK);
    if count == 0 || index == 0 || index > count || count > chunks {
        return None;
    }
    let chunk_start = |k: usize| ((k as u128 * chunks as u128) / count as u128) as usize;
    let start = chunk_start(index - 1) * CHUNK;
    let end = (chunk_start(index) * CHUNK).min(iterations);
    Some(start..end)
}

/// Puts the ranges of one run of `model` back together (all of them, in any order) into the run's results: the
/// arrays end to end, and the per-year sums added chunk by chunk in the unsharded run's order, so the results are the
/// unsharded run's to the bit. An error says what does not fit.
pub fn join(model: &Model, run: &RunSettings, mut parts: Vec<RangeResults>) -> Result<Results, String> {
    parts.sort_by_key(|p| p.range.start);
    let mut next = 0;
    for p in &parts {
        if p.range.start != next {
            return Err(format!(
                "iterations {next} to {} are missing (the next range starts at {})",
                p.range.start, p.range.start
            ));
        }
        next = p.range.end;
    }
    if next != run.iterations {
        return Err(format!(
            "the ranges end at iteration {next}, not at the run's {}",
            run.iterations
        ));
    }
    let plan = RunPlan::new(model, run, 0..run.iterations, None, true);
    let sums: usize = parts.iter().map(|p| p.chunk_sums.len()).sum();
    if sums != run.iterations.div_ceil(CHUNK) * plan.n_live {
        return Err("the ranges' per-year sums do not have the size this model's run gives".to_string());
    }
    let mut yearly_sum = vec![0.0; plan.per_iteration_bins];
    for part in &parts {
        add_chunk_sums(&plan, &part.chunk_sums, &mut yearly_sum);
    }
    let arrays = ResultArrays::concatenated(parts);
    let expected = ResultArrays::allocate(&plan, None);
    if (
        arrays.totals.len(),
        arrays.payback.len(),
        arrays.draws.len(),
        arrays.yearly_sample.len(),
    ) != (
        expected.totals_len,
        expected.payback_len,
        expected.draws_len,
        expected.sample_len,
    ) {
        return Err("the ranges' arrays do not have the sizes this model's run gives".to_string());
    }
    Ok(Results::assemble(&plan, arrays, &yearly_sum))
}

/// What every chunk of a run reads: the model, the run's settings, and the layout of the result arrays.
pub(super) struct RunPlan<'a> {
    pub(super) model: &'a Model,
    pub(super) seed: u64,
    /// The run's index of the range's first iteration (0 unless the run is sharded).
    pub(super) first: usize,
    pub(super) progress: Option<&'a Progress>,
    /// Whether blocks of iterations may go through the lane path.
    pub(super) lanes: bool,
    /// Iterations of the range, arms, kernel columns and sampled parameters.
    pub(super) n: usize,
    pub(super) n_arms: usize,
    pub(super) n_kernel: usize,
    pub(super) n_draws: usize,
    /// Columns per iteration and arm of the totals, and per iteration of the draws.
    pub(super) total_width: usize,
    pub(super) draw_width: usize,
    /// How many of the run's iterations have their per-year values kept (the first ones of the whole run).
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
    /// The plan of iterations `range` of a run of `model` for `run`.
    pub(super) fn new(
        model: &'a Model,
        run: &RunSettings,
        range: Range<usize>,
        progress: Option<&'a Progress>,
        lanes: bool,
    ) -> Self {
        let n = range.len();
        let n_arms = model.arms.len();
        let kernel_columns = &model.kernel_columns;
        let n_kernel = kernel_columns.len();
        let years = model.settings.bins();
        let n_draws = model.n_draws;
        let sample_size = yearly_sample_size(model, run.iterations);
        let per_iteration_bins = n_arms * years * n_kernel;
        // The sample keeps only the bins some flow or cost can write: a quarter of the reference model's are structural
        // zeros, and the sample's stores are most of a run's memory traffic.
        let live: Vec<usize> = (live_bins(model).into_iter().enumerate())
            .filter_map(|(b, l)| l.then_some(b))
            .collect();
        let n_live = live.len();
        let kernel_cost: Vec<usize> = (0..n_kernel).filter(|&k| model.payback_reads(k)).collect();
        RunPlan {
            model,
            seed: run.seed,
            first: range.start,
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

/// The memory of a block's totals, payback years and draws, emptied, for a later block of the run to be written into
/// ([`Results::into_spare`]).
#[derive(Default)]
pub(super) struct SpareArrays {
    pub(super) totals: Vec<f64>,
    pub(super) payback: Vec<Option<u16>>,
    pub(super) draws: Vec<f64>,
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
    /// The result arrays are allocated without zeroing (or taken from `spare`): each chunk zeroes its own pieces (see
    /// `zeroed`).
    fn allocate(plan: &RunPlan, spare: Option<SpareArrays>) -> Self {
        let totals_len = plan.n * plan.n_arms * plan.total_width;
        let payback_len = plan.n * plan.n_arms;
        let draws_len = plan.n * plan.draw_width;
        // The range's kept iterations, in whole blocks so that every block's values are one contiguous run (a range
        // starts at a whole chunk, so its blocks are the whole run's).
        let kept = plan.sample_size.clamp(plan.first, plan.first + plan.n) - plan.first;
        let sample_len = kept.next_multiple_of(LANES) * plan.n_live;
        let SpareArrays {
            mut totals,
            mut payback,
            mut draws,
        } = spare.unwrap_or_default();
        totals.clear();
        payback.clear();
        draws.clear();
        totals.reserve_exact(totals_len);
        payback.reserve_exact(payback_len);
        draws.reserve_exact(draws_len);
        ResultArrays {
            totals,
            payback,
            draws,
            yearly_sample: Vec::with_capacity(sample_len),
            totals_len,
            payback_len,
            draws_len,
            sample_len,
        }
    }
}

impl ResultArrays {
    /// The arrays of consecutive ranges of a run (in order) put end to end.
    pub(super) fn concatenated(mut parts: Vec<RangeResults>) -> Self {
        if parts.len() == 1 {
            let p = parts.pop().expect("one part");
            return ResultArrays::filled(p.totals, p.payback, p.draws, p.yearly_sample);
        }
        let concat = |f: &dyn Fn(&RangeResults) -> usize| parts.iter().map(f).sum::<usize>();
        let mut totals = Vec::with_capacity(concat(&|p| p.totals.len()));
        let mut payback = Vec::with_capacity(concat(&|p| p.payback.len()));
        let mut draws = Vec::with_capacity(concat(&|p| p.draws.len()));
        let mut sample = Vec::with_capacity(concat(&|p| p.yearly_sample.len()));
        for p in parts {
            totals.extend_from_slice(&p.totals);
            payback.extend_from_slice(&p.payback);
            draws.extend_from_slice(&p.draws);
            sample.extend_from_slice(&p.yearly_sample);
        }
        ResultArrays::filled(totals, payback, draws, sample)
    }

    /// Arrays already filled (the ranges of a run put end to end).
    pub(super) fn filled(
        totals: Vec<f64>,
        payback: Vec<Option<u16>>,
        draws: Vec<f64>,
        yearly_sample: Vec<f32>,
    ) -> Self {
        ResultArrays {
            totals_len: totals.len(),
            payback_len: payback.len(),
            draws_len: draws.len(),
            sample_len: yearly_sample.len(),
            totals,
            payback,
            draws,
            yearly_sample,
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

/// The chunks' per-year sums in chunk order (see [`RangeResults::chunk_sums`]), or the earliest iteration that failed
/// and why.
fn chunk_sums(plan: &RunPlan, outputs: Vec<ChunkOutput>) -> Result<Vec<Lanes>, (usize, String)> {
    let mut sums = Vec::with_capacity(outputs.len() * plan.n_live);
    let mut first_failure: Option<(usize, String)> = None;
    for out in outputs {
        if let Some(f) = out.failure {
            if first_failure.as_ref().is_none_or(|(i, _)| f.0 < *i) {
                first_failure = Some(f);
            }
            continue;
        }
        sums.extend_from_slice(&out.yearly_sum);
    }
    match first_failure {
        Some(failure) => Err(failure),
        None => Ok(sums),
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
