//! PSA results as the analyses see them: per iteration and arm, total cost, outcomes and (where known) costs split by
//! payer and kind. Built from a carecast run, or read from a CSV of another model's PSA output.

use crate::model::{Better, Model, OutcomeInfo, Payer, Payers};
use crate::simulate::Results;
use ndarray::{
    s, Array, Array2, Array3, ArrayView1, ArrayView2, CowArray, Dimension, IntoDimension, Ix2, ShapeBuilder,
};
use rayon::prelude::*;
use std::borrow::Cow;
use std::ops::Range;

/// Costs split by payer and kind: `[iteration, arm, payer]` with payers in the order of `payers` (from a carecast run,
/// each series of iterations contiguous: see [`series`]).
#[derive(Debug, Clone)]
pub struct PayerCosts {
    /// Who the payers are: the council, the NHS, the person, then any the scenario (or the CSV) names.
    pub payers: Payers,
    /// Intervention spend.
    pub spend: Array3<f64>,
    /// Downstream care costs.
    pub care: Array3<f64>,
    /// The cashable part of the care costs; None where it is `care`, bit for bit, in every iteration (a carecast model
    /// with no cashable share below 1, or a CSV whose columns say so). The analyses then work out each cashable
    /// perspective once, as all care costs, and no copy of the care costs is made for it.
    pub cashable: Option<Array3<f64>>,
    /// Whether each payer's spend can be other than zero: false where the model has no spend of that payer in any
    /// arm, so that it is zero in every iteration and no return on investment divides by it. True for every payer
    /// of another model's CSV.
    pub may_spend: Vec<bool>,
}

impl PayerCosts {
    /// Whether the cashable care costs are the care costs, bit for bit, in every iteration.
    pub fn cashable_is_care(&self) -> bool {
        self.cashable.is_none()
    }

    /// The cashable part of the care costs, `[iteration, arm, payer]`.
    pub fn cashable(&self) -> &Array3<f64> {
        self.cashable.as_ref().unwrap_or(&self.care)
    }

    /// Spend of one payer (or all, with None) of an arm in iterations `rows`.
    pub fn spend_by(&self, arm: usize, payer: Option<Payer>, rows: Range<usize>) -> Cow<'_, [f64]> {
        sum_payers(&self.spend, arm, payer, rows)
    }

    /// Care costs (all, or only their cashable part) of one payer (or all) of an arm in iterations `rows`.
    pub fn care_by(&self, arm: usize, payer: Option<Payer>, cashable: bool, rows: Range<usize>) -> Cow<'_, [f64]> {
        sum_payers(if cashable { self.cashable() } else { &self.care }, arm, payer, rows)
    }
}

/// Whether two arrays of the same shape hold the same bits everywhere (so that `0.0` and `-0.0` differ).
pub(super) fn same_bits(a: &Array3<f64>, b: &Array3<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Full columns `full` of a run's totals, `[iteration, arm, k]` for `full[k]`: the values [`Results::total`] gives.
/// Laid out with each series of iterations contiguous, as the analyses read them ([`series`]: borrowed; laid out row
/// by row, they were copied out element by element, and with those copies this was about 30% of `perf`'s samples of
/// the analyses of a large block). Copied a chunk of iterations at a time, so that the rows read stay in cache while
/// each column of the chunk is written.
/// Fills `spare` (an earlier block's array) where its shape and layout allow, rather than fresh memory.
fn gather_totals(results: &Results, arms: usize, full: &[usize], spare: Option<Array3<f64>>) -> Array3<f64> {
    let kernel: Vec<Option<usize>> = full.iter().map(|&c| results.kernel_column(c)).collect();
    let n = results.iterations();
    let mut out = match spare {
        Some(mut out) if out.dim() == (n, arms, full.len()) && out.t().is_standard_layout() => {
            // Zero where nothing is copied, as a fresh array is: already so in a spare of the same model, and left
            // untouched then (written, a fresh array's pages of zeros would be faulted in).
            for (j, k) in kernel.iter().enumerate() {
                let mut column = out.slice_mut(s![.., .., j]);
                if k.is_none() && !column.iter().all(|v| v.to_bits() == 0) {
                    column.fill(0.0);
                }
            }
            out
        }
        _ => Array3::zeros((n, arms, full.len()).f()),
    };
    for start in (0..n).step_by(GATHER_CHUNK) {
        let rows = start..(start + GATHER_CHUNK).min(n);
        let from = results.kernel_totals.slice(s![rows.clone(), .., ..]);
        for a in 0..arms {
            for (j, k) in kernel.iter().enumerate() {
                if let Some(k) = *k {
                    out.slice_mut(s![rows.clone(), a, j]).assign(&from.slice(s![.., a, k]));
                }
            }
        }
    }
    out
}

/// `spare`'s memory as a column-major array of `shape`, where `spare` is column-major and holds at least as many
/// values: a run's last block, shorter than the others, then writes into the pages of a full block's table rather than
/// faulting in fresh ones (about 3,200 page faults at 10^6 iterations, on the run's last stretch before its per-year
/// table, 2026-12-07). The values are the spare's, reshaped: each user writes, or checks and zeroes, all it reads.
fn refit<D: Dimension>(spare: Array<f64, D>, shape: impl IntoDimension<Dim = D>) -> Option<Array<f64, D>> {
    let shape = shape.into_dimension();
    if !spare.t().is_standard_layout() {
        return None;
    }
    let (mut values, offset) = spare.into_raw_vec_and_offset();
    if offset != Some(0) || values.len() < shape.size() {
        return None;
    }
    values.truncate(shape.size());
    Array::from_shape_vec(shape.f(), values).ok()
}

/// Iterations per chunk of [`gather_totals`]: enough to copy each column in runs, few enough that the chunk's rows
/// stay in cache while its columns are written (512 was not tuned).
const GATHER_CHUNK: usize = 512;

/// Iterations `rows` of one series of a table's array (`view`, indexed by iteration): borrowed where they lie
/// contiguous in memory, else copied (a table read from CSV).
pub fn series<'a>(view: ArrayView1<'a, f64>, rows: Range<usize>) -> Cow<'a, [f64]> {
    let part = view.slice_move(s![rows]);
    match part.to_slice() {
        Some(values) => Cow::Borrowed(values),
        None => Cow::Owned(part.to_vec()),
    }
}

/// Iterations `rows` of one arm's and one payer's (or outcome's) series of a `[iteration, arm, k]` array.
pub fn series_of(values: &Array3<f64>, arm: usize, k: usize, rows: Range<usize>) -> Cow<'_, [f64]> {
    series(values.slice(s![.., arm, k]), rows)
}

fn sum_payers(values: &Array3<f64>, arm: usize, payer: Option<Payer>, rows: Range<usize>) -> Cow<'_, [f64]> {
    match payer {
        Some(p) => series_of(values, arm, p.index(), rows),
        // Summed in payer order, from the value an empty sum gives: the same additions as each row's `sum()`, a
        // payer's column at a time.
        None => {
            let mut out = vec![std::iter::empty::<f64>().sum::<f64>(); rows.len()];
            for k in 0..values.shape()[2] {
                for (o, v) in out.iter_mut().zip(series_of(values, arm, k, rows.clone()).iter()) {
                    *o += v;
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Payback year per iteration and arm (None: no payback within the horizon, or a comparator arm).
#[derive(Debug, Clone)]
pub struct PaybackYears {
    pub year: Array2<Option<u16>>,
    pub horizon: usize,
}

/// Total cost per person by calendar year: means over all iterations, and the kept per-iteration sample.
#[derive(Debug, Clone)]
pub struct YearlyCosts {
    pub years: usize,
    /// `[arm, year]` mean total cost.
    pub mean: Array2<f64>,
    /// `[arm, year, iteration]` total cost of the kept iterations: year by year, as percentiles read them.
    pub sample: Array3<f64>,
}

impl YearlyCosts {
    /// Total cost by year of a carecast run: means from its per-year means, and its kept sample.
    pub fn of(model: &Model, results: &Results) -> Self {
        let arms = model.arms.len();
        let columns = model.columns();
        let years = model.settings.horizon_years;
        let cost_columns: Vec<usize> = (model.payers.all())
            .flat_map(|p| [columns.care(p), columns.spend(p)])
            .collect();
        let mean = Array2::from_shape_fn((arms, years), |(a, y)| {
            cost_columns.iter().map(|&c| results.yearly_mean[[a, y, c]]).sum()
        });
        let k = results.yearly_sample_size();
        let mut sample = vec![0.0; arms * years * k];
        if k > 0 {
            // Each (arm, year) is its own run of the kept iterations; consecutive cells are filled together, a
            // group per thread, each group read from the sample in one sweep.
            let cells = arms * years;
            let per_task = cells.div_ceil(rayon::current_num_threads()).max(1);
            sample
                .par_chunks_mut(per_task * k)
                .enumerate()
                .for_each(|(task, sums)| {
                    let first = task * per_task;
                    results.yearly_cell_sums(first..first + sums.len() / k, &cost_columns, k, sums);
                });
        }
        let sample = Array3::from_shape_vec((arms, years, k), sample).expect("arms × years × kept iterations");
        YearlyCosts { years, mean, sample }
    }

    /// Number of iterations whose per-year costs were kept.
    pub fn sample_size(&self) -> usize {
        self.sample.shape()[2]
    }

    /// Total cost of an arm in one year of each kept iteration.
    pub fn sample_costs(&self, arm: usize, year: usize) -> ndarray::ArrayView1<'_, f64> {
        self.sample.slice(ndarray::s![arm, year, ..])
    }

    /// Mean net savings of `arm` against `comparator` in each year (not cumulated).
    pub fn mean_net_savings(&self, arm: usize, comparator: usize) -> Vec<f64> {
        (0..self.years)
            .map(|y| self.mean[[comparator, y]] - self.mean[[arm, y]])
            .collect()
    }
}

/// A PSA sample ready for analysis.
#[derive(Debug, Clone)]
pub struct PsaTable {
    pub arms: Vec<String>,
    pub labels: Vec<String>,
    /// The comparator of each arm (None for comparators).
    pub comparators: Vec<Option<usize>>,
    /// Each outcome's name, label, unit and direction.
    pub outcomes: Vec<OutcomeInfo>,
    /// Index of the primary outcome (the ICER's denominator), if any.
    pub primary: Option<usize>,
    /// Total cost, `[iteration, arm]`.
    pub cost: Array2<f64>,
    /// Outcomes as accrued (bed days, QALYs: never negated), `[iteration, arm, outcome]`.
    pub outcome_values: Array3<f64>,
    pub payers: Option<PayerCosts>,
    pub payback: Option<PaybackYears>,
    pub yearly: Option<YearlyCosts>,
}

impl PsaTable {
    /// Number of iterations.
    pub fn iterations(&self) -> usize {
        self.cost.nrows()
    }

    /// (arm, comparator) for every arm that has a comparator.
    pub fn comparisons(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.comparators
            .iter()
            .enumerate()
            .filter_map(|(a, c)| c.map(|c| (a, c)))
    }

    /// One outcome as accrued, `[iteration, arm]`.
    pub fn outcomes_view(&self, outcome: usize) -> ArrayView2<'_, f64> {
        self.outcome_values.index_axis(ndarray::Axis(2), outcome)
    }

    /// One outcome as the decision rules value it, `[iteration, arm]`: where less is better, its negative, so that
    /// a higher value is always better and differences are gains (see [`Better::orient`]).
    pub fn effect(&self, outcome: usize) -> CowArray<'_, f64, Ix2> {
        let view = self.outcomes_view(outcome);
        match self.outcomes[outcome].better {
            Better::Higher => CowArray::from(view),
            Better::Lower => CowArray::from(view.mapv(|v| Better::Lower.orient(v))),
        }
    }

    /// Builds the table from a carecast run.
    pub fn from_results(model: &Model, results: &Results) -> Self {
        PsaTable {
            yearly: Some(YearlyCosts::of(model, results)),
            ..PsaTable::of_iterations(model, results)
        }
    }

    /// [`PsaTable::from_results`] without the costs by year (a block of a run: they are the whole run's).
    pub fn of_iterations(model: &Model, results: &Results) -> Self {
        PsaTable::of_iterations_in(model, results, None)
    }

    /// [`PsaTable::of_iterations`] in the memory of `spare`, an earlier block's table of the same model, where its
    /// arrays have the shape this one's need: the same values, without faulting in fresh pages for every block
    /// (page faults were a large share of `perf`'s samples of making a block's table).
    pub fn of_iterations_in(model: &Model, results: &Results, spare: Option<PsaTable>) -> Self {
        let arms = model.arms.len();
        let columns = model.columns();
        let all: Vec<Payer> = model.payers.all().collect();
        let n = results.iterations();
        // A spare larger than this block (the run's last block is shorter) lends its memory in this block's shape.
        let (payer_shape, outcome_shape) = ((n, arms, all.len()), (n, arms, model.outcomes.len()));
        let (spare_payers, spare_cost, spare_outcomes) = match spare {
            Some(t) => (
                t.payers,
                refit(t.cost, (n, arms)),
                refit(t.outcome_values, outcome_shape),
            ),
            None => (None, None, None),
        };
        let (spare_spend, spare_care, spare_cashable) = match spare_payers {
            Some(p) => (
                refit(p.spend, payer_shape),
                refit(p.care, payer_shape),
                p.cashable.and_then(|c| refit(c, payer_shape)),
            ),
            None => (None, None, None),
        };
        let pick = |col: fn(crate::model::Columns, Payer) -> usize, spare| {
            let full: Vec<usize> = all.iter().map(|&p| col(columns, p)).collect();
            gather_totals(results, arms, &full, spare)
        };
        let care = pick(crate::model::Columns::care, spare_care);
        // With no cashable share below 1 the cashable columns are the care columns (`Results::kernel_column`), and
        // nothing is kept for them: a copy of the care costs, made for every block, was read by nothing.
        let payers = PayerCosts {
            payers: model.payers.clone(),
            spend: pick(crate::model::Columns::spend, spare_spend),
            cashable: (model.has_noncashable).then(|| pick(crate::model::Columns::cashable, spare_cashable)),
            care,
            may_spend: (all.iter())
                .map(|&p| results.kernel_column(columns.spend(p)).is_some())
                .collect(),
        };
        // Each payer's care cost then spend, summed in payer order from the value an empty sum gives: the additions
        // of `Results::total_cost`, a payer's column at a time.
        let from = std::iter::empty::<f64>().sum::<f64>();
        let mut cost = match spare_cost {
            Some(mut cost) if cost.dim() == (n, arms) && cost.t().is_standard_layout() => {
                cost.fill(from);
                cost
            }
            _ => Array2::from_elem((n, arms).f(), from),
        };
        for a in 0..arms {
            let mut total = cost.column_mut(a);
            let total = total.as_slice_mut().expect("a column of a column-major array");
            for k in 0..all.len() {
                let (care, spend) = (
                    series_of(&payers.care, a, k, 0..n),
                    series_of(&payers.spend, a, k, 0..n),
                );
                for ((t, c), s) in total.iter_mut().zip(care.iter()).zip(spend.iter()) {
                    *t += c + s;
                }
            }
        }
        let outcomes: Vec<usize> = (0..model.outcomes.len()).map(|o| columns.outcome(o)).collect();
        let outcome_values = gather_totals(results, arms, &outcomes, spare_outcomes);
        PsaTable {
            arms: model.arms.iter().map(|a| a.name.clone()).collect(),
            labels: model.arms.iter().map(|a| a.label.clone()).collect(),
            comparators: model.arms.iter().map(|a| a.comparator).collect(),
            outcomes: model.outcome_info.clone(),
            primary: model.settings.primary_outcome,
            cost,
            outcome_values,
            payers: Some(payers),
            payback: Some(PaybackYears {
                year: results.payback_year.clone(),
                horizon: model.settings.horizon_years,
            }),
            yearly: None,
        }
    }
}
