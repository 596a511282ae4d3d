//! The outcome of a PSA run: per-iteration totals, per-year means and the kept per-year sample, payback years and the
//! sampled parameters, with the accessors that read full columns out of the kernel columns the engine keeps.

use crate::model::Columns;
use crate::simulate::engine::{ResultArrays, RunPlan, SpareArrays};
use crate::simulate::kernel::LANES;
use ndarray::{Array2, Array3};
use std::ops::Range;

/// The outcome of a PSA run.
#[derive(Debug, Clone)]
pub struct Results {
    /// Discounted totals per person over the horizon in the model's kernel columns: `[iteration, arm, kernel column]`.
    /// Read a full column's total (see [`Columns`]) with [`Results::total`]: the other full columns are
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
    /// Only the live bins are kept: those some flow or cost can write (see
    /// [`live_bins`](crate::simulate::kernel::live_bins)); the others are zero in every iteration. Laid out by block
    /// of [`LANES`] iterations, then by live bin (in `[arm, year, kernel column]` order), then by iteration within the
    /// block: a block of lane iterations writes its values as one contiguous run, in the order its lanes hold them. A
    /// last block only partly kept is padded with zeros.
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
    /// The layout of the full columns (how many payers there are).
    columns: Columns,
}

impl Results {
    /// Number of iterations.
    pub fn iterations(&self) -> usize {
        self.kernel_totals.shape()[0]
    }

    /// Number of full columns (see [`Columns`]).
    pub fn n_columns(&self) -> usize {
        self.kernel_column_of.len()
    }

    /// The kernel column holding a full column's values (see [`Columns`]); None for a column the model
    /// never writes, which is always zero.
    pub fn kernel_column(&self, column: usize) -> Option<usize> {
        self.kernel_column_of[column]
    }

    /// Discounted total per person of a full column (see [`Columns`]) in one iteration and arm.
    pub fn total(&self, iteration: usize, arm: usize, column: usize) -> f64 {
        self.kernel_column_of[column].map_or(0.0, |k| self.kernel_totals[[iteration, arm, k]])
    }

    /// Number of iterations whose per-year values were kept.
    pub fn yearly_sample_size(&self) -> usize {
        self.yearly_sample_iterations
    }

    /// The block of [`LANES`] kept iterations from iteration `first` (a multiple of [`LANES`]) in live bin `p`, as an
    /// array: a slice of a length known only at run time is a call to `memmove` per block. The sample holds a last
    /// block only partly kept whole, padded with zeros.
    #[inline]
    fn yearly_block(&self, first: usize, p: usize) -> &[f32; LANES] {
        let start = sample_index(first, p, self.live_bins);
        (self.yearly_sample[start..start + LANES].try_into()).expect("a whole block of the sample")
    }

    /// Kept iteration `iteration`'s value of kernel column `k` in `year` of `arm`.
    pub fn yearly_kernel_value(&self, iteration: usize, arm: usize, year: usize, k: usize) -> f32 {
        let (years, n_kernel) = (self.yearly_mean.shape()[1], self.kernel_columns.len());
        match self.sample_position[(arm * years + year) * n_kernel + k] {
            Some(p) => self.yearly_sample[sample_index(iteration, p, self.live_bins)],
            None => 0.0,
        }
    }

    /// The first `n` kept iterations' values of every kernel column in each of a run of consecutive cells (cell
    /// `arm · years + year`), as kept (single precision): `out[i][k]` for kernel column `k` of the `i`th cell of
    /// `cells`; None for a column the sample does not keep there (zero in every iteration).
    ///
    /// Read in one sweep over the sample for all the cells together: a block of iterations keeps the values of
    /// consecutive cells side by side, and the blocks lie a page or so apart, so a cell read alone touched a new page
    /// for every 8 iterations (the reference workload's per-year values of 100,000 iterations, its 40 cells read one
    /// at a time: 35–49 ms on one thread, 2026-12-06). Why by hand: the sample's block layout is the engine's own.
    pub fn yearly_kernel_columns(&self, cells: Range<usize>, n: usize, out: &mut Vec<Vec<Option<Vec<f32>>>>) {
        let n_kernel = self.kernel_columns.len();
        let positions = &self.sample_position[cells.start * n_kernel..cells.end * n_kernel];
        out.resize_with(cells.len(), Vec::new);
        for (columns, positions) in out.iter_mut().zip(positions.chunks_exact(n_kernel.max(1))) {
            columns.resize_with(n_kernel, || None);
            for (column, p) in columns.iter_mut().zip(positions) {
                match p {
                    // Emptied and filled below, block by block, without zeroing first.
                    Some(_) => {
                        let values = column.get_or_insert_with(Vec::new);
                        values.clear();
                        values.reserve(n.next_multiple_of(LANES));
                    }
                    None => *column = None,
                }
            }
        }
        // Whole blocks, the last one too (the sample holds a last block partly kept whole, padded with zeros), each
        // copied as an array: a slice of a length known only at run time was a call to `memmove` per block (a fifth
        // of the per-year table's time); what lies past `n` is cut off after.
        for first in (0..n).step_by(LANES) {
            for (columns, positions) in out.iter_mut().zip(positions.chunks_exact(n_kernel.max(1))) {
                for (column, p) in columns.iter_mut().zip(positions) {
                    if let (Some(values), Some(p)) = (column.as_mut(), p) {
                        values.extend_from_slice(self.yearly_block(first, *p));
                    }
                }
            }
        }
        for values in out.iter_mut().flatten().flatten() {
            values.truncate(n);
        }
    }

    /// For each of the first `out.len()` kept iterations, the sum of its values of kernel columns `kernel` in one arm
    /// and year, from that arm and year's `columns` ([`Results::yearly_kernel_columns`]), added in the order given
    /// from −0, a column the sample does not keep adding +0: as `Iterator::sum` over [`Results::yearly_kernel_value`]
    /// would, so the same bits.
    pub fn sum_kernel_columns(columns: &[Option<Vec<f32>>], kernel: &[usize], out: &mut [f64]) {
        let mut kept = kernel.iter().filter_map(|&k| columns[k].as_deref());
        // −0 + x is x for every x: the first column is copied, not added to −0.
        match kept.next() {
            Some(first) => out.iter_mut().zip(first).for_each(|(v, &x)| *v = f64::from(x)),
            None => out.fill(-0.0),
        }
        for column in kept {
            out.iter_mut().zip(column).for_each(|(v, &x)| *v += f64::from(x));
        }
        if kernel.iter().any(|&k| columns[k].is_none()) {
            add_absent_zeros(out);
        }
    }

    /// The per-year sums of full columns `columns` (see [`Columns`]) in each of a run of consecutive `cells` (cell
    /// `arm · years + year`), for the first `n` kept iterations: `out[i · n + j]` for the `i`th cell and iteration
    /// `j`. Each sum adds the columns in the order given from −0, one the sample does not keep (or the model never
    /// writes) adding +0: as `Iterator::sum` over [`Results::yearly_value`] would, so the same bits.
    ///
    /// Read in one sweep over the sample, block by block of iterations, for all the cells together (as
    /// [`Results::yearly_kernel_columns`] reads): read a cell at a time, each 8 iterations lay a block's length (a
    /// page or so) from the last, and the costs by year were a fifth of the `perf` samples of the reference
    /// workload's analysis at 10^4 iterations; read together (a first form of this, short last block apart) they took
    /// 0.68 of the time at 10^4 and 0.69 with 100,000 kept, and this form 0.98 and 0.88 of that (alternated rounds,
    /// 2026-12-07). Each block is added as an array, in vector registers.
    pub fn yearly_cell_sums(&self, cells: Range<usize>, columns: &[usize], n: usize, out: &mut [f64]) {
        assert_eq!(out.len(), cells.len() * n, "a sum for each cell and iteration");
        if n == 0 {
            return;
        }
        let n_kernel = self.kernel_columns.len();
        // Per cell: the live bins of the columns kept, in order, and whether any column is not kept.
        let plan: Vec<(Vec<usize>, bool)> = cells
            .map(|cell| {
                let (mut kept, mut absent) = (Vec::with_capacity(columns.len()), false);
                for &c in columns {
                    match (self.kernel_column_of[c]).and_then(|k| self.sample_position[cell * n_kernel + k]) {
                        Some(p) => kept.push(p),
                        None => absent = true,
                    }
                }
                (kept, absent)
            })
            .collect();
        for first in (0..n).step_by(LANES) {
            // A last block only partly kept is read whole too (see `yearly_block`), and only its kept part written out.
            let block = |p: usize| self.yearly_block(first, p);
            for ((kept, absent), sums) in plan.iter().zip(out.chunks_exact_mut(n)) {
                // −0 + x is x for every x: the first column is copied, not added to −0.
                let mut total = match kept.split_first() {
                    None => [-0.0; LANES],
                    Some((&p, rest)) => {
                        let mut total = block(p).map(f64::from);
                        for &p in rest {
                            for (t, &x) in total.iter_mut().zip(block(p)) {
                                *t += f64::from(x);
                            }
                        }
                        total
                    }
                };
                if *absent {
                    add_absent_zeros(&mut total);
                }
                let sums = &mut sums[first..(first + LANES).min(n)];
                match <&mut [f64; LANES]>::try_from(&mut *sums) {
                    Ok(whole) => *whole = total,
                    Err(_) => sums.copy_from_slice(&total[..sums.len()]),
                }
            }
        }
    }

    /// Total cost (spend and care, all payers) of an arm in one iteration.
    pub fn total_cost(&self, iteration: usize, arm: usize) -> f64 {
        // Care columns are 0..n, spend columns 2n..3n (see [`Columns`]).
        let n = self.columns.cost_columns() / 3;
        (0..n)
            .map(|p| self.total(iteration, arm, p) + self.total(iteration, arm, 2 * n + p))
            .sum()
    }

    /// The value of a full column in one year of a kept iteration (0 for columns the model never writes).
    pub fn yearly_value(&self, iteration: usize, arm: usize, year: usize, column: usize) -> f64 {
        self.kernel_column_of[column].map_or(0.0, |k| f64::from(self.yearly_kernel_value(iteration, arm, year, k)))
    }

    /// Per-year means `[arm, year, column]` of the plan's iterations from their per-year sums by bin of an iteration
    /// (`[arm, year, kernel column]`).
    pub(super) fn yearly_means(plan: &RunPlan, yearly_sum: &[f64]) -> Array3<f64> {
        let model = plan.model;
        let (n, n_arms, n_kernel) = (plan.n, plan.n_arms, plan.n_kernel);
        let columns = model.columns();
        let years = model.settings.bins();
        let mut yearly_mean = Array3::zeros((n_arms, years, model.n_columns()));
        for arm in 0..n_arms {
            for year in 0..years {
                for (k, &full) in model.kernel_columns.iter().enumerate() {
                    yearly_mean[[arm, year, full]] = yearly_sum[(arm * years + year) * n_kernel + k] / n as f64;
                }
                if !model.has_noncashable {
                    for p in model.payers.all() {
                        yearly_mean[[arm, year, columns.cashable(p)]] = yearly_mean[[arm, year, columns.care(p)]];
                    }
                }
            }
        }
        yearly_mean
    }

    /// The memory of the totals, payback years and draws, for a later block of the run (see
    /// [`crate::simulate::run_blocks`]).
    pub(super) fn into_spare(self) -> SpareArrays {
        SpareArrays {
            totals: self.kernel_totals.into_raw_vec_and_offset().0,
            payback: self.payback_year.into_raw_vec_and_offset().0,
            draws: self.draws.into_raw_vec_and_offset().0,
        }
    }

    /// The results of a finished run from its filled arrays (every element written) and its per-year sums over all
    /// iterations, by bin of an iteration (`[arm, year, kernel column]`).
    pub(super) fn assemble(plan: &RunPlan, arrays: ResultArrays, yearly_sum: &[f64]) -> Results {
        let model = plan.model;
        let (n, n_arms, n_kernel) = (plan.n, plan.n_arms, plan.n_kernel);
        let (total_width, n_draws, live) = (plan.total_width, plan.n_draws, &plan.live);
        let n_cols = model.n_columns();
        let columns = model.columns();
        let kernel_columns = &model.kernel_columns;
        let yearly_mean = Results::yearly_means(plan, yearly_sum);
        Results {
            kernel_totals: Array3::from_shape_vec((n, n_arms, total_width), arrays.totals)
                .expect("shape matches")
                .slice_move(ndarray::s![.., .., ..n_kernel]),
            kernel_column_of: (0..n_cols)
                .map(|column| {
                    // With no cashable share below 1, the cashable part of care costs is all of them.
                    let column = if !model.has_noncashable && columns.is_cashable(column) {
                        column - model.payers.len()
                    } else {
                        column
                    };
                    kernel_columns.iter().position(|&c| c == column)
                })
                .collect(),
            yearly_mean,
            yearly_sample: arrays.yearly_sample,
            // A range keeps the part of the run's sample that falls in it (a later block of a run keeps none).
            yearly_sample_iterations: plan.sample_size.clamp(plan.first, plan.first + plan.n) - plan.first,
            sample_position: {
                let mut position = vec![None; plan.per_iteration_bins];
                for (p, &b) in live.iter().enumerate() {
                    position[b] = Some(p);
                }
                position
            },
            live_bins: plan.n_live,
            kernel_columns: kernel_columns.clone(),
            payback_year: Array2::from_shape_vec((n, n_arms), arrays.payback).expect("shape matches"),
            draws: Array2::from_shape_vec((n, plan.draw_width), arrays.draws)
                .expect("shape matches")
                .slice_move(ndarray::s![.., ..n_draws]),
            columns,
        }
    }
}

/// Adds +0 to each sum once, for all the zeros its columns absent from the sample add in their places: +0 changes
/// only a sum of −0, which a sum from −0 is only while every term so far was −0 (in rounding to nearest, x + y is −0
/// only where both are), and turns it to +0, which no later term turns back to −0. So once at the end gives the bits
/// that each zero added in its place gives.
fn add_absent_zeros(out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v += 0.0);
}

/// Where kept iteration `iteration`'s value of live bin `bin` lies in the sample (see [`Results::yearly_sample`]),
/// with `bins` live bins per iteration. Also right for an iteration counted from the start of a chunk, within the
/// chunk's piece, since chunks start at whole blocks.
pub(super) fn sample_index(iteration: usize, bin: usize, bins: usize) -> usize {
    ((iteration / LANES) * bins + bin) * LANES + iteration % LANES
}
