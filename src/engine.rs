//! The parallel PSA loop: one random stream per iteration, rayon over fixed chunks of iterations, results in
//! preallocated arrays, and every reduction done in a fixed order so results are bit-identical for any thread count.

use crate::error::RunError;
use crate::model::kernel::{column_name, sample_parameters, simulate_iteration, Workspace};
use crate::model::{columns, Model};
use ndarray::{Array2, Array3, Array4};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Iterations per parallel task. Fixed (not derived from the thread count) so partial sums combine identically.
pub const CHUNK: usize = 256;

/// Memory allowed for per-year values of individual iterations. They are kept for the first iterations only (at least
/// [`YEARLY_SAMPLE_MIN`]), which bounds memory at any number of iterations; percentiles come from them, means from all.
pub const YEARLY_SAMPLE_BYTES: usize = 256 << 20;

/// The fewest iterations whose per-year values are kept (when the run has that many).
pub const YEARLY_SAMPLE_MIN: usize = 1000;

/// How many iterations' per-year values a run of `model` keeps.
pub fn yearly_sample_size(model: &Model) -> usize {
    let per_iteration =
        model.arms.len() * model.settings.horizon_years * model.n_kernel_columns().max(1) * std::mem::size_of::<f32>();
    model
        .settings
        .iterations
        .min((YEARLY_SAMPLE_BYTES / per_iteration).max(YEARLY_SAMPLE_MIN))
}

/// The outcome of a PSA run.
#[derive(Debug, Clone)]
pub struct Results {
    /// Discounted totals per person over the horizon: `[iteration, arm, column]` (see [`crate::model::columns`]).
    pub totals: Array3<f64>,
    /// Mean discounted value per person in each calendar year over all iterations: `[arm, year, column]`.
    pub yearly_mean: Array3<f64>,
    /// Per-year values of the first [`Results::yearly_sample_size`] iterations, in the model's kernel columns:
    /// `[iteration, arm, year, kernel column]`; read them with [`Results::yearly_value`]. Single precision is ample for
    /// percentiles (7 significant digits) and halves the memory; means are summed in double precision.
    pub yearly_sample: Array4<f32>,
    /// The full column of each kernel column (see [`crate::model::Model::kernel_columns`]).
    pub kernel_columns: Vec<usize>,
    /// Whether the cashable columns are copies of the care columns (no cost line has a cashable share below 1).
    pub cashable_is_care: bool,
    /// Per iteration and arm: the first year (1-based) in which cumulative net savings against the arm's comparator
    /// reach zero; None where that does not happen within the horizon, and for comparator arms.
    pub payback_year: Array2<Option<u16>>,
    /// The sampled parameter values: `[iteration, draw slot]`.
    pub draws: Array2<f64>,
}

impl Results {
    /// Number of iterations.
    pub fn iterations(&self) -> usize {
        self.totals.shape()[0]
    }

    /// Number of iterations whose per-year values were kept.
    pub fn yearly_sample_size(&self) -> usize {
        self.yearly_sample.shape()[0]
    }

    /// Total cost (spend and care, all payers) of an arm in one iteration.
    pub fn total_cost(&self, iteration: usize, arm: usize) -> f64 {
        let row = self.totals.slice(ndarray::s![iteration, arm, ..]);
        (0..3).map(|p| row[p] + row[6 + p]).sum()
    }

    /// The value of a full column in one year of a kept iteration (0 for columns the model never writes).
    pub fn yearly_value(&self, iteration: usize, arm: usize, year: usize, column: usize) -> f64 {
        let column = if self.cashable_is_care && (3..6).contains(&column) {
            column - 3
        } else {
            column
        };
        match self.kernel_columns.iter().position(|&c| c == column) {
            Some(k) => f64::from(self.yearly_sample[[iteration, arm, year, k]]),
            None => 0.0,
        }
    }
}

/// Progress of a run, shared with whoever displays it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Iterations completed so far.
    pub done: AtomicUsize,
    /// Set to ask the run to stop early.
    pub cancel: AtomicBool,
}

/// The random stream of one iteration: a SplitMix64 mix of (seed, iteration) seeds a Xoshiro256++ generator.
pub fn iteration_rng(seed: u64, iteration: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(
        seed ^ splitmix64(iteration.wrapping_add(0x9E37_79B9_7F4A_7C15)),
    ))
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one chunk hands back besides the rows it wrote in place.
struct ChunkOutput {
    yearly_sum: Vec<f64>,
    failure: Option<(usize, String)>,
}

/// Runs the PSA for `model.settings.iterations` iterations on the current rayon pool.
pub fn run(model: &Model, progress: Option<&Progress>) -> Result<Results, RunError> {
    let n = model.settings.iterations;
    let n_arms = model.arms.len();
    let n_cols = model.n_columns();
    let kernel_columns = &model.kernel_columns;
    let n_kernel = kernel_columns.len();
    let years = model.settings.horizon_years;
    let n_draws = model.n_draws;
    let sample_size = yearly_sample_size(model);
    let per_iteration_bins = n_arms * years * n_kernel;
    // Which kernel columns are costs, for payback.
    let kernel_cost: Vec<usize> = (0..n_kernel)
        .filter(|&k| kernel_columns[k] < columns::COST_COLUMNS && !(3..6).contains(&kernel_columns[k]))
        .collect();

    let mut totals = vec![0.0f64; n * n_arms * n_cols];
    let mut payback = vec![None::<u16>; n * n_arms];
    // At least one column per iteration so the chunks of all three arrays line up even with no sampled parameter.
    let draw_width = n_draws.max(1);
    let mut draws = vec![0.0f64; n * draw_width];
    let mut yearly_sample = vec![0.0f32; sample_size * per_iteration_bins];
    // Chunks past the kept sample get empty slices, so all four arrays split into the same number of chunks.
    let n_chunks = n.div_ceil(CHUNK);
    let sample_chunks = yearly_sample.par_chunks_mut((CHUNK * per_iteration_bins).max(1));
    let missing = n_chunks - sample_chunks.len();
    let sample_chunks = sample_chunks.chain((0..missing).into_par_iter().map(|_| <&mut [f32]>::default()));

    let outputs: Vec<ChunkOutput> = totals
        .par_chunks_mut(CHUNK * n_arms * n_cols)
        .zip(payback.par_chunks_mut(CHUNK * n_arms))
        .zip(draws.par_chunks_mut(CHUNK * draw_width))
        .zip(sample_chunks)
        .enumerate()
        .map_init(
            || Workspace::new(model),
            |ws, (chunk, (((totals, payback), draws), sample))| {
                let first = chunk * CHUNK;
                let count = totals.len() / (n_arms * n_cols);
                let mut out = ChunkOutput { yearly_sum: vec![0.0; per_iteration_bins], failure: None };
                for j in 0..count {
                    if progress.is_some_and(|p| p.cancel.load(Ordering::Relaxed)) {
                        out.failure = Some((first + j, "the run was cancelled".to_string()));
                        return out;
                    }
                    let i = first + j;
                    let mut rng = iteration_rng(model.settings.seed, i as u64);
                    sample_parameters(model, &mut rng, &mut ws.draws);
                    draws[j * draw_width..j * draw_width + n_draws].copy_from_slice(&ws.draws);
                    if let Err(f) = simulate_iteration(model, ws, &rng) {
                        out.failure = Some((i, format!("arm `{}`: {}", model.arms[f.arm].name, f.message)));
                        return out;
                    }
                    for arm in 0..n_arms {
                        let bins = ws.arm_bins(arm);
                        let row = &mut totals[(j * n_arms + arm) * n_cols..(j * n_arms + arm + 1) * n_cols];
                        row.fill(0.0);
                        for year in bins.chunks_exact(n_kernel.max(1)) {
                            for (&full, v) in kernel_columns.iter().zip(year) {
                                row[full] += v;
                            }
                        }
                        if !model.has_noncashable {
                            // With no cashable share below 1, the cashable part of care costs is all of them.
                            let (care, rest) = row.split_at_mut(3);
                            rest[..3].copy_from_slice(care);
                        }
                        // A non-finite value anywhere in the arm's bins makes its total non-finite too.
                        if let Some(c) = row.iter().position(|v| !v.is_finite()) {
                            out.failure = Some((i, format!("arm `{}`: {} is {} (not a finite number): an expression divides by zero, takes the log of a non-positive number, or overflows for these parameter values", model.arms[arm].name, column_name(model, c), row[c])));
                            return out;
                        }
                        payback[j * n_arms + arm] = model.arms[arm]
                            .comparator
                            .and_then(|c| payback_year(ws.arm_bins(c), bins, n_kernel, &kernel_cost));
                    }
                    for (sum, v) in out.yearly_sum.iter_mut().zip(&ws.bins) {
                        *sum += v;
                    }
                    if i < sample_size {
                        let kept = &mut sample[j * per_iteration_bins..(j + 1) * per_iteration_bins];
                        for (k, v) in kept.iter_mut().zip(&ws.bins) {
                            *k = *v as f32;
                        }
                    }
                }
                if let Some(p) = progress {
                    p.done.fetch_add(count, Ordering::Relaxed);
                }
                out
            },
        )
        .collect();

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
        for (s, v) in yearly_sum.iter_mut().zip(&out.yearly_sum) {
            *s += v;
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
        totals: Array3::from_shape_vec((n, n_arms, n_cols), totals).expect("shape matches"),
        yearly_mean,
        yearly_sample: Array4::from_shape_vec((sample_size, n_arms, years, n_kernel), yearly_sample)
            .expect("shape matches"),
        kernel_columns: kernel_columns.clone(),
        cashable_is_care: !model.has_noncashable,
        payback_year: Array2::from_shape_vec((n, n_arms), payback).expect("shape matches"),
        draws: Array2::from_shape_vec((n, draw_width), draws)
            .expect("shape matches")
            .slice_move(ndarray::s![.., ..n_draws]),
    })
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
pub fn memory_estimate(model: &Model) -> u64 {
    let n = model.settings.iterations as u64;
    let arms = model.arms.len() as u64;
    let cols = model.n_columns() as u64;
    let per_iteration = arms * cols * 8 + arms * 4 + model.n_draws.max(1) as u64 * 8;
    let yearly = yearly_sample_size(model) as u64
        * arms
        * model.settings.horizon_years as u64
        * model.n_kernel_columns() as u64
        * 4;
    n * per_iteration + yearly
}
