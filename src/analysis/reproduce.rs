//! The reproduction checks: each of a scenario's `[[reproduce]]` targets computed from a run and compared with its
//! published figure.
//!
//! Most targets read the scenario's own run. Targets for one subgroup, without discounting, or of state occupancy
//! read a run of a variant of the scenario (keep one subgroup; set the discount rates to 0; add an indicator outcome
//! accrued at cycle ends), so that each reads exactly what it claims to: [`targets_by_variant`] says which.

use crate::analysis::payback_cycles::nearest_rank;
use crate::analysis::stats::{mean, quantiles};
use crate::model::{Columns, Metric, Model, Payer, Target};
use crate::simulate::Results;
use serde::Serialize;
use std::collections::BTreeMap;

/// Whether a reproduced figure is within its stated tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Within,
    Outside,
    /// The scenario says the figure cannot be reproduced from published inputs.
    NotReproducible,
}

/// One target's result.
#[derive(Debug, Clone, Serialize)]
pub struct Reproduced {
    /// The scenario's name.
    pub scenario: String,
    pub target: Target,
    /// The arm's name.
    pub arm: String,
    /// The full citation of the target's source.
    pub citation: String,
    /// The reproduced point estimate (a ratio of means for ratios).
    pub value: f64,
    /// The 95% interval across the PSA (for a probability, its Monte Carlo 95% interval); NaN where undefined.
    pub low: f64,
    pub high: f64,
    pub iterations: usize,
    pub status: Status,
}

/// Which run a target reads: the scenario as written, or a variant of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Variant {
    /// Only this subgroup, with all of the cohort.
    pub subgroup: Option<usize>,
    /// No discounting.
    pub undiscounted: bool,
    /// Values accrued at cycle ends, with indicator outcomes counting the people in the target's states.
    pub occupancy: bool,
    /// Binned by cycle ([`Model::by_cycle`]), for payback in the model's own cycles.
    pub by_cycle: bool,
}

impl Variant {
    /// The scenario as written.
    pub const AS_WRITTEN: Variant = Variant {
        subgroup: None,
        undiscounted: false,
        occupancy: false,
        by_cycle: false,
    };

    /// The run a target reads.
    pub fn of(t: &Target) -> Self {
        let occupancy = matches!(t.metric, Metric::StateShare { .. });
        Variant {
            subgroup: t.subgroup,
            undiscounted: t.undiscounted || occupancy,
            occupancy,
            by_cycle: t.metric == Metric::Payback,
        }
    }
}

/// The targets of a model grouped by the run each reads, variants in a fixed order.
pub fn targets_by_variant(model: &Model) -> BTreeMap<Variant, Vec<usize>> {
    let mut by_variant: BTreeMap<Variant, Vec<usize>> = BTreeMap::new();
    for (i, t) in model.targets.iter().enumerate() {
        by_variant.entry(Variant::of(t)).or_default().push(i);
    }
    by_variant
}

/// Target `index` of `model`, evaluated on `results`, a run of `run_model` (the model itself, or the variant of it
/// the target reads), and compared with its published figure.
pub fn reproduced(model: &Model, index: usize, run_model: &Model, results: &Results) -> Reproduced {
    let target = &model.targets[index];
    let (value, low, high) = evaluate(run_model, results, target, index);
    let (value, low, high) = scaled(target.scale, value, low, high);
    let status = if !target.reproducible {
        Status::NotReproducible
    } else if value >= target.accept[0] && value <= target.accept[1] {
        Status::Within
    } else {
        Status::Outside
    };
    let citation = model
        .meta
        .sources
        .iter()
        .find(|(k, _)| *k == target.source)
        .map_or_else(String::new, |(_, c)| c.clone());
    Reproduced {
        scenario: model.meta.name.clone(),
        target: target.clone(),
        arm: model.arms[target.arm].name.clone(),
        citation,
        value,
        low,
        high,
        iterations: results.iterations(),
        status,
    }
}

fn scaled(scale: f64, value: f64, low: f64, high: f64) -> (f64, f64, f64) {
    let (a, b) = (low * scale, high * scale);
    (value * scale, a.min(b), a.max(b))
}

/// The names of the indicator outcomes a `state_share` target adds: its states, and its denominator states.
pub fn share_outcomes(target_index: usize) -> (String, String) {
    (
        format!("reproduce_share_{target_index}"),
        format!("reproduce_among_{target_index}"),
    )
}

/// The iteration index that stands for the mean over all iterations.
const MEAN: usize = usize::MAX;

/// Per-iteration values of one arm: totals over the horizon, or one year's values.
struct Values<'a> {
    results: &'a Results,
    model: &'a Model,
    year: Option<usize>,
}

impl Values<'_> {
    fn iterations(&self) -> usize {
        match self.year {
            Some(_) => self.results.yearly_sample_size(),
            None => self.results.iterations(),
        }
    }

    /// One iteration's value of a column, or with [`MEAN`] its mean over all iterations (in double precision: the
    /// kept per-year values are single precision).
    fn column(&self, i: usize, arm: usize, column: usize) -> f64 {
        match (self.year, i) {
            (Some(y), MEAN) => self.results.yearly_mean[[arm, y, column]],
            (Some(y), _) => self.results.yearly_value(i, arm, y, column),
            (None, MEAN) => mean(
                &(0..self.results.iterations())
                    .map(|i| self.results.total(i, arm, column))
                    .collect::<Vec<_>>(),
            ),
            (None, _) => self.results.total(i, arm, column),
        }
    }

    fn sum(&self, i: usize, arm: usize, cols: fn(Columns, Payer) -> usize, payer: Option<Payer>) -> f64 {
        let columns = self.model.columns();
        match payer {
            Some(p) => self.column(i, arm, cols(columns, p)),
            None => (self.model.payers.all())
                .map(|p| self.column(i, arm, cols(columns, p)))
                .sum(),
        }
    }

    fn care(&self, i: usize, arm: usize, payer: Option<Payer>) -> f64 {
        self.sum(i, arm, Columns::care, payer)
    }

    fn spend(&self, i: usize, arm: usize, payer: Option<Payer>) -> f64 {
        self.sum(i, arm, Columns::spend, payer)
    }

    fn total(&self, i: usize, arm: usize, payer: Option<Payer>) -> f64 {
        self.care(i, arm, payer) + self.spend(i, arm, payer)
    }
}

/// The point estimate and 95% interval of one target.
fn evaluate(model: &Model, results: &Results, target: &Target, index: usize) -> (f64, f64, f64) {
    let arm = target.arm;
    let comparator = model.arms[arm].comparator.unwrap_or(0);
    let v = Values {
        results,
        model,
        year: target.year,
    };
    let n = v.iterations();
    // Every quantity below is linear in the columns, so its mean is the same function of the columns' means.
    let each = |f: &dyn Fn(usize) -> f64| ((0..n).map(f).collect::<Vec<f64>>(), f(MEAN));
    let difference = |(d, point): (Vec<f64>, f64)| {
        let [low, high] = quantiles(&d, [0.025, 0.975]);
        (point, low, high)
    };
    // A ratio of means, with the interval of the per-iteration ratio where its denominator is not zero.
    let ratio = |(num, num_mean): (Vec<f64>, f64), (den, den_mean): (Vec<f64>, f64), minus: f64| {
        let per: Vec<f64> = num
            .iter()
            .zip(&den)
            .filter(|(_, d)| **d != 0.0)
            .map(|(a, d)| a / d - minus)
            .collect();
        let [low, high] = if per.is_empty() {
            [f64::NAN; 2]
        } else {
            quantiles(&per, [0.025, 0.975])
        };
        (num_mean / den_mean - minus, low, high)
    };
    let outcome = |i: usize, a: usize, o: usize| v.column(i, a, model.columns().outcome(o));
    match &target.metric {
        Metric::Bcr { savings, spend } => ratio(
            each(&|i| v.care(i, comparator, *savings) - v.care(i, arm, *savings)),
            each(&|i| v.spend(i, arm, *spend) - v.spend(i, comparator, *spend)),
            0.0,
        ),
        Metric::NetSavings { payer } => difference(each(&|i| v.total(i, comparator, *payer) - v.total(i, arm, *payer))),
        Metric::CareSavings { payer } => difference(each(&|i| v.care(i, comparator, *payer) - v.care(i, arm, *payer))),
        Metric::IncrementalCost { payer } => {
            difference(each(&|i| v.total(i, arm, *payer) - v.total(i, comparator, *payer)))
        }
        Metric::CareCostChange { payer } => ratio(
            each(&|i| v.care(i, arm, *payer)),
            each(&|i| v.care(i, comparator, *payer)),
            1.0,
        ),
        Metric::OutcomeChange { outcome: o } => ratio(
            each(&|i| outcome(i, arm, *o)),
            each(&|i| outcome(i, comparator, *o)),
            1.0,
        ),
        Metric::IncrementalOutcome { outcome: o } => {
            difference(each(&|i| outcome(i, arm, *o) - outcome(i, comparator, *o)))
        }
        Metric::Icer => {
            let o = model.settings.primary_outcome.unwrap_or(0);
            let better = model.outcome_info[o].better;
            let dc = each(&|i| v.total(i, arm, None) - v.total(i, comparator, None));
            // ΔE is the gain: the amount avoided where less is better.
            let de = each(&|i| better.orient(outcome(i, arm, o)) - better.orient(outcome(i, comparator, o)));
            // The per-iteration ratio means something only when ΔE keeps one sign; otherwise no interval.
            let one_sign = de.0.iter().all(|&d| d > 0.0) || de.0.iter().all(|&d| d < 0.0);
            let (value, low, high) = ratio(dc, de, 0.0);
            if one_sign {
                (value, low, high)
            } else {
                (value, f64::NAN, f64::NAN)
            }
        }
        Metric::ProbCostEffective { lambda } => {
            let o = model.settings.primary_outcome.unwrap_or(0);
            let better = model.outcome_info[o].better;
            let hits = (0..n)
                .filter(|&i| {
                    let dc = v.total(i, arm, None) - v.total(i, comparator, None);
                    let de = better.orient(outcome(i, arm, o)) - better.orient(outcome(i, comparator, o));
                    lambda * de - dc > 0.0
                })
                .count();
            let p = hits as f64 / n as f64;
            let half = 1.96 * (p * (1.0 - p) / n as f64).sqrt();
            (p, (p - half).max(0.0), (p + half).min(1.0))
        }
        Metric::Payback => payback(results, arm),
        Metric::StateShare { among, .. } => {
            let (share_name, among_name) = share_outcomes(index);
            let find = |name: &str| model.outcomes.iter().position(|o| o == name);
            let Some(share) = find(&share_name) else {
                return (f64::NAN, f64::NAN, f64::NAN);
            };
            let num = each(&|i| outcome(i, arm, share));
            match find(&among_name).filter(|_| !among.is_empty()) {
                Some(den) => ratio(num, each(&|i| outcome(i, arm, den)), 0.0),
                None => difference(num),
            }
        }
    }
}

/// The median payback cycle of `arm` and its 95% interval, from a run binned by cycle; NaN where beyond the horizon.
fn payback(results: &Results, arm: usize) -> (f64, f64, f64) {
    let cycles = results.yearly_mean.shape()[1];
    let mut counts = vec![0usize; cycles];
    for k in results.payback_year.column(arm).iter().flatten() {
        counts[usize::from(*k) - 1] += 1;
    }
    let n = results.iterations();
    let at = |p: f64| nearest_rank(&counts, n, p).map_or(f64::NAN, f64::from);
    (at(0.5), at(0.025), at(0.975))
}
