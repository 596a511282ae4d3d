//! The peak memory of a whole `carecast run`: the engine's result arrays, the analysis's copies of them and the
//! per-iteration vectors it builds, worked out from the model's shape and the number of iterations.
//!
//! What is alive at the peak, read from the code:
//!
//! - The simulation (`engine.rs`, `chunk.rs`) writes [`Results`](crate::simulate::Results): totals, payback years and
//!   draws for every iteration, and the per-year sample. Each chunk of [`CHUNK`] iterations also hands back its
//!   per-year sums, one [`LANES`]-wide vector of f64 per live bin. Those are small allocations on the worker
//!   threads' allocator pools; freed once combined, they stay with the allocator (measured: at 10^7 iterations of
//!   the reference model about two thirds of their 300 MB stayed resident), so they count to the end of the run.
//! - The analysis (`analysis::analyse_run`) keeps the results and copies them into a `PsaTable`: costs by payer and
//!   kind, total cost, outcomes, payback years and the per-year sample in f64. On top of these, one comparison at a
//!   time builds per-iteration vectors (costs, differences, ratios, a copy for selecting percentiles), and the
//!   plotted values (`plot_data`) keep per-iteration ratios and plane points for every comparison until the output
//!   is written. The larger of the two is the peak; the simulation's own peak holds only a part of what the
//!   analysis holds, so it is never higher.
//! - Where cycles are shorter than a year, a run of the model binned by cycle (payback in cycles); with a start date
//!   and discounting, a run of it undiscounted (the budget in cash). Their results are alive while the whole run is
//!   analysed.
//! - Results by subgroup, where a scenario has two or more subgroups (`commands::run`): each subgroup is run alone
//!   after the whole cohort's analysis, one at a time, each run and analysis the same shape as the whole cohort's;
//!   only its small summaries are kept. At most one is alive beside the whole cohort's results and analysis.
//! - Writing the outputs (`output/`) streams iterations.csv row by row and draws plots from at most one more copy of
//!   a per-iteration vector, which the plotted values' term counts.
//!
//! Against the peak resident memory of `carecast run` (`/usr/bin/time -v`), this estimate was 1% (10^7 iterations)
//! to 14% (10^4, where the fixed base's margin weighs most) above it for the reference scenario, and 1–3% above it
//! at 10^6 iterations for five other bundled scenarios.

use crate::model::{Model, RunSettings};
use crate::simulate::engine::CHUNK;
use crate::simulate::kernel::LANES;
use crate::simulate::memory::{n_live_bins, yearly_sample_size, YEARLY_SAMPLE_MAX};
use crate::simulate::BLOCK;

/// Memory a run takes whatever its size: the program's code and libraries, the embedded font, one plot's bitmap and
/// SVG text, the threads' stacks and workspaces. Measured: 10.8–13.8 MiB at 8 iterations of the bundled scenarios,
/// on 1 to 32 threads.
pub(super) const BASE_BYTES: u64 = 16 << 20;

const F64: u64 = 8;
const F32: u64 = 4;
/// `Option<u16>`, a payback year.
const PAYBACK: u64 = 4;
/// What the allocator adds to each allocation (its header, rounded).
const ALLOCATION_OVERHEAD: u64 = 16;

/// The sizes of a model that decide how much memory its run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RunShape {
    /// Arms, and the comparisons (arms with a comparator).
    pub arms: u64,
    pub comparisons: u64,
    /// Columns the kernel keeps per arm (see [`Model::kernel_columns`]), and outcomes.
    pub kernel_columns: u64,
    pub outcomes: u64,
    /// Payers: the council, the NHS, the person and those the scenario declares (each has three cost columns).
    pub payers: u64,
    /// Sampled parameters per iteration.
    pub draws: u64,
    /// Years of the horizon, and the per-year bins of an iteration that the sample keeps.
    pub years: u64,
    pub live_bins: u64,
    /// Panels of a comparison's ROI plot: each payer with care costs, and the whole system.
    pub roi_panels: u64,
    /// Whether the model has a primary outcome (the cost-effectiveness plane and acceptability curves need one).
    pub primary_outcome: bool,
}

impl RunShape {
    /// The shape of `model`.
    pub fn of(model: &Model) -> Self {
        let written = |column: usize| model.kernel_columns.contains(&column);
        let columns = model.columns();
        let payers_with_care = model.payers.all().filter(|&p| written(columns.care(p))).count();
        RunShape {
            arms: model.arms.len() as u64,
            comparisons: model.arms.iter().filter(|a| a.comparator.is_some()).count() as u64,
            kernel_columns: model.n_kernel_columns() as u64,
            outcomes: model.outcomes.len() as u64,
            payers: model.payers.len() as u64,
            draws: model.n_draws as u64,
            years: model.settings.bins() as u64,
            live_bins: n_live_bins(model) as u64,
            roi_panels: payers_with_care as u64 + 1,
            primary_outcome: model.settings.primary_outcome.is_some(),
        }
    }

    /// Bytes per iteration of the engine's [`Results`](crate::simulate::Results): totals in the kernel columns
    /// (f64, at least one column), a payback year per arm, and the draws (f64, at least one slot).
    pub fn results_per_iteration(&self) -> u64 {
        self.arms * self.kernel_columns.max(1) * F64 + self.arms * PAYBACK + self.draws.max(1) * F64
    }

    /// Bytes of the chunks' per-year sums for `n` iterations: per chunk of [`CHUNK`] iterations, a [`LANES`]-wide
    /// f64 vector per live bin, in one allocation. They stay with the allocator after the simulation (see the module
    /// documentation).
    pub fn chunk_sums(&self, n: u64) -> u64 {
        n.div_ceil(CHUNK as u64) * (self.live_bins * LANES as u64 * F64 + ALLOCATION_OVERHEAD)
    }

    /// Bytes per iteration of the analysis's `PsaTable`: spend, care costs and their cashable part for each arm and
    /// payer, each arm's total cost and outcomes (all f64), and a copy of the payback years.
    pub fn table_per_iteration(&self) -> u64 {
        self.arms * ((3 * self.payers + 1 + self.outcomes) * F64 + PAYBACK)
    }

    /// The most per-iteration f64 vectors the analysis and the output hold at once, besides the table.
    ///
    /// In one comparison (`analysis::comparison`): both arms' costs, ΔC, net savings, ΔE for each outcome, spend and
    /// savings, and then either a payer's net savings with the two payer costs it is the difference of, or the
    /// BCR ratios with a copy to select their percentiles: 9 + outcomes. ROI rows (`roi_rows`) hold at most 5.
    /// The plotted values (`plot_data`) keep, for every comparison, the ratios of each ROI panel, and ΔE and ΔC where
    /// there is a primary outcome; while they are built, 3 more (spend, and the two costs of a panel's savings), and
    /// while they are drawn, 1 more (the sorted copy of a panel).
    pub fn working_vectors(&self) -> u64 {
        let comparison = 9 + self.outcomes;
        let roi_rows = 5;
        let plane = if self.primary_outcome { 2 } else { 0 };
        let plotted = self.comparisons * self.roi_panels + (3u64).max(self.comparisons * plane + 1);
        comparison.max(roi_rows).max(plotted)
    }

    /// How many series the running sums of a run's analyses keep (`analysis::AnalysisSums`), each with a sample
    /// of its first values for percentiles: per arm, its cost, spend, care costs, each payer's cost and each
    /// outcome; per comparison, ΔC, net savings, ΔE of each outcome, each payer's net savings, spend, savings, their
    /// ratio and INMB, then each savings perspective (each payer and all, on all or cashable savings) and, for each
    /// spend perspective (each payer and all), its spend and, against each savings perspective, net benefit and
    /// ratio. An upper bound: where every care cost is cashable, the cashable perspectives keep none (they read their
    /// twins on all care costs, `analysis::accumulate::SavingsSums::twin`), and a payer who spends nothing has no
    /// spend perspective fed.
    pub fn running_series(&self) -> u64 {
        let savings = 2 * (self.payers + 1);
        let spend = (self.payers + 1) * (1 + 2 * savings);
        let comparison = 7 + self.outcomes + self.payers + savings + spend;
        self.arms * (3 + self.payers + self.outcomes) + self.comparisons * comparison
    }

    /// The per-iteration f64 vectors the plotted values keep until the outputs are written: each comparison's ratios
    /// for each ROI panel, and its ΔE and ΔC where there is a primary outcome.
    pub fn plotted_vectors(&self) -> u64 {
        let plane = if self.primary_outcome { 2 } else { 0 };
        self.comparisons * (self.roi_panels + plane)
    }

    /// Bytes of the per-year sample of `kept` iterations: their live bins in f32 in the results (kept for whole
    /// blocks of [`LANES`] iterations), and each arm's total cost by year in f64 in the table.
    pub fn sample(&self, kept: u64) -> u64 {
        kept.next_multiple_of(LANES as u64) * self.live_bins * F32 + kept * self.arms * self.years * F64
    }

    /// The most f64 values per kept iteration that the per-year analyses build at once: the cumulative net savings
    /// of every year (`analysis::cumulative`) or the kernel values of one arm and year (`per_year`), each with a
    /// column of values and a copy to select percentiles. They come after the comparisons' vectors are freed.
    pub fn sample_working_values(&self) -> u64 {
        self.years.max(self.kernel_columns) + 2
    }
}

/// Bytes of the peak resident memory of a whole `carecast run` of `model` (see the module documentation): a fixed
/// base, the result arrays and the chunks' per-year sums, the analysis's table, the per-year sample twice, and the
/// larger of the working vectors over all iterations and those over the kept iterations.
pub fn memory_estimate(model: &Model, run: &RunSettings) -> u64 {
    let n = run.iterations as u64;
    let kept = |m: &Model| yearly_sample_size(m, run.iterations) as u64;
    // The running sums of the analyses, with their percentile samples (`analysis::AnalysisSums`).
    let series = RunShape::of(model).running_series() * n.min(YEARLY_SAMPLE_MAX as u64) * F64;
    let whole = estimate_for(&RunShape::of(model), n, kept(model)) + series;
    // The runs behind it (`commands::run`), alive while it is analysed: the model binned by cycle, for payback in
    // weeks, months or quarters, and the model undiscounted, for the budget impact in cash. Only their results.
    let by_cycle = model.by_cycle();
    let cash = model.settings.start_year.and_then(|_| model.undiscounted());
    let behind: u64 = [by_cycle, cash]
        .iter()
        .flatten()
        .map(|m| run_arrays(&RunShape::of(m), n, kept(m)))
        .sum();
    let peak = whole + behind;
    if model.subgroups.len() < 2 {
        return peak;
    }
    // Results by subgroup: one subgroup at a time, its runs and analysis the same shape as the whole cohort's, beside
    // what stays of the whole cohort's: its results, table and plotted values (its other working vectors and the
    // runs behind it are freed by then).
    let shape = RunShape::of(model);
    let stays = whole - working_bytes(&shape, n, kept(model)) + n * shape.plotted_vectors() * F64;
    peak.max(stays + peak - BASE_BYTES)
}

/// Bytes of the peak resident memory of a run of `model` simulated and analysed a block of [`BLOCK`] iterations at a
/// time (`commands::run`): the first block's results and table, held to the end with its analysis's working vectors;
/// past one block, the block being analysed (its results, table and each savings perspective's values) beside the
/// next one being simulated (its results and chunks' per-year sums); and the running sums, whose percentile samples
/// keep the first 100,000 values of each series. It does not grow past one block. For the reference scenario it is
/// 315 MiB past one block, against a measured peak of 201–210 MiB at 10^6 and 10^7 iterations (`/usr/bin/time`,
/// 2026-12-06).
pub fn streamed_memory_estimate(model: &Model, run: &RunSettings) -> u64 {
    let shape = RunShape::of(model);
    let n = run.iterations as u64;
    let block = n.min(BLOCK as u64);
    let first = estimate_for(&shape, block, yearly_sample_size(model, run.iterations) as u64);
    let later = if n > block {
        let analysed = block * (shape.results_per_iteration() + shape.table_per_iteration()) + shape.chunk_sums(block);
        let savings = shape.comparisons * 2 * (shape.payers + 1) * block * F64;
        let simulated = block * shape.results_per_iteration() + shape.chunk_sums(block);
        analysed + savings + simulated
    } else {
        0
    };
    let kept_values = n.min(YEARLY_SAMPLE_MAX as u64);
    first + later + shape.running_series() * kept_values * F64
}

/// Bytes of one run's results without their analysis: the per-iteration arrays, the chunks' per-year sums and the
/// kept iterations' live bins in f32.
fn run_arrays(shape: &RunShape, n: u64, kept: u64) -> u64 {
    n * shape.results_per_iteration()
        + shape.chunk_sums(n)
        + kept.next_multiple_of(LANES as u64) * shape.live_bins * F32
}

/// [`memory_estimate`] of a run of shape `shape`, `n` iterations of which `kept` keep their per-year values.
pub(super) fn estimate_for(shape: &RunShape, n: u64, kept: u64) -> u64 {
    let kept_arrays = n * (shape.results_per_iteration() + shape.table_per_iteration()) + shape.sample(kept);
    BASE_BYTES + kept_arrays + shape.chunk_sums(n) + working_bytes(shape, n, kept)
}

/// Bytes of the per-iteration vectors the analysis builds at its peak (see [`RunShape::working_vectors`] and
/// [`RunShape::sample_working_values`]).
fn working_bytes(shape: &RunShape, n: u64, kept: u64) -> u64 {
    (n * shape.working_vectors()).max(kept * shape.sample_working_values()) * F64
}

/// The most iterations of `model` whose run [`memory_estimate`] puts within `bytes`, up to `most`; 0 if not even one
/// fits.
pub fn largest_iterations_within(model: &Model, bytes: u64, most: usize) -> usize {
    largest_within(
        |n| memory_estimate(model, &RunSettings { iterations: n, seed: 0 }) <= bytes,
        most,
    )
}

/// As [`largest_iterations_within`] for a run analysed a block at a time ([`streamed_memory_estimate`]).
pub fn largest_streamed_iterations_within(model: &Model, bytes: u64, most: usize) -> usize {
    largest_within(
        |n| streamed_memory_estimate(model, &RunSettings { iterations: n, seed: 0 }) <= bytes,
        most,
    )
}

/// The most iterations up to `most` for which `fits` holds, 0 if none; `fits` holds for fewer if it holds for more.
fn largest_within(fits: impl Fn(usize) -> bool, most: usize) -> usize {
    // The estimate grows with the iterations (the kept sample never shrinks), so bisect.
    let (mut lo, mut hi) = (0, most);
    if fits(hi) {
        return hi;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}
