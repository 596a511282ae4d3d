//! The reproduction suite: runs the scenarios' `[[reproduce]]` targets and compares each with its published figure.
//!
//! Most targets read the scenario's own run. Targets for one subgroup, without discounting, or of state occupancy
//! read a run of a variant of the scenario, derived from its parsed tables ([`crate::scenario::variant`]: keep one
//! subgroup; set the discount rates to 0; add an indicator outcome accrued at cycle ends), so that each reads exactly
//! what it claims to.

use crate::analysis::stats::{figure, mean, quantiles};
use crate::error::{Error, RunError};
use crate::model::{columns, compile_raw, Loaded, Metric, Model, Payer, Target};
use crate::simulate::{self, Results};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Whether a reproduced figure is within its stated tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Within,
    Outside,
    /// The scenario says the figure cannot be reproduced from published inputs.
    NotReproducible,
}

impl Status {
    /// The words used in tables.
    pub fn describe(self) -> &'static str {
        match self {
            Status::Within => "yes",
            Status::Outside => "NO",
            Status::NotReproducible => "not reproducible from published inputs",
        }
    }
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
struct Variant {
    subgroup: Option<usize>,
    undiscounted: bool,
    occupancy: bool,
}

impl Variant {
    fn of(t: &Target) -> Self {
        let occupancy = matches!(t.metric, Metric::StateShare { .. });
        Variant {
            subgroup: t.subgroup,
            undiscounted: t.undiscounted || occupancy,
            occupancy,
        }
    }
}

/// Runs every target of a loaded scenario (its iterations and seed as loaded) on the current rayon pool.
pub fn reproduce(loaded: &Loaded) -> Result<Vec<Reproduced>, Error> {
    let model = &loaded.model;
    let mut by_variant: BTreeMap<Variant, Vec<usize>> = BTreeMap::new();
    for (i, t) in model.targets.iter().enumerate() {
        by_variant.entry(Variant::of(t)).or_default().push(i);
    }
    let mut out: Vec<Option<Reproduced>> = vec![None; model.targets.len()];
    for (variant, indices) in by_variant {
        let derived;
        let run_model = if variant
            == (Variant {
                subgroup: None,
                undiscounted: false,
                occupancy: false,
            }) {
            model
        } else {
            derived = derive(loaded, variant, &indices)?;
            &derived
        };
        let results = simulate::run(run_model, &loaded.run, None)?;
        for i in indices {
            let target = &model.targets[i];
            let (value, low, high) = evaluate(run_model, &results, target, i);
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
            out[i] = Some(Reproduced {
                scenario: model.meta.name.clone(),
                target: target.clone(),
                arm: model.arms[target.arm].name.clone(),
                citation,
                value,
                low,
                high,
                iterations: results.iterations(),
                status,
            });
        }
    }
    Ok(out.into_iter().flatten().collect())
}

fn scaled(scale: f64, value: f64, low: f64, high: f64) -> (f64, f64, f64) {
    let (a, b) = (low * scale, high * scale);
    (value * scale, a.min(b), a.max(b))
}

/// The names of the indicator outcomes a `state_share` target adds: its states, and its denominator states.
fn share_outcomes(target_index: usize) -> (String, String) {
    (
        format!("reproduce_share_{target_index}"),
        format!("reproduce_among_{target_index}"),
    )
}

/// Compiles the variant of the scenario a group of targets needs.
fn derive(loaded: &Loaded, variant: Variant, targets: &[usize]) -> Result<Model, Error> {
    let model = &loaded.model;
    let internal = |what: &str| RunError {
        message: format!(
            "{}: cannot derive the scenario variant for its reproduction targets ({what})",
            loaded.scenario.path.display()
        ),
    };
    let mut raw = loaded.scenario.raw.clone();
    raw.without_targets();
    if let Some(g) = variant.subgroup {
        raw.only_subgroup(g).map_err(|e| internal(&e))?;
    }
    if variant.undiscounted || variant.occupancy {
        raw.undiscounted();
        if variant.occupancy {
            raw.accrued_at_cycle_ends();
        }
    }
    if variant.occupancy {
        let cycles_per_year = model.settings.cycle.per_year();
        for &i in targets {
            let Metric::StateShare { states: counted, among } = &model.targets[i].metric else {
                continue;
            };
            let (share_name, among_name) = share_outcomes(i);
            for (list, name) in [(counted, &share_name), (among, &among_name)] {
                for &s in list {
                    raw.add_occupancy_outcome(s, name, cycles_per_year)
                        .map_err(|e| internal(&e))?;
                }
            }
        }
    }
    compile_raw(&loaded.scenario, &raw, &[]).map_err(|e| internal(&e.message).into())
}

/// The iteration index that stands for the mean over all iterations.
const MEAN: usize = usize::MAX;

/// Per-iteration values of one arm: totals over the horizon, or one year's values.
struct Values<'a> {
    results: &'a Results,
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

    fn sum(&self, i: usize, arm: usize, cols: impl Fn(Payer) -> usize, payer: Option<Payer>) -> f64 {
        match payer {
            Some(p) => self.column(i, arm, cols(p)),
            None => Payer::ALL.iter().map(|&p| self.column(i, arm, cols(p))).sum(),
        }
    }

    fn care(&self, i: usize, arm: usize, payer: Option<Payer>) -> f64 {
        self.sum(i, arm, columns::care, payer)
    }

    fn spend(&self, i: usize, arm: usize, payer: Option<Payer>) -> f64 {
        self.sum(i, arm, columns::spend, payer)
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
    let outcome = |i: usize, a: usize, o: usize| v.column(i, a, columns::outcome(o));
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
            let dc = each(&|i| v.total(i, arm, None) - v.total(i, comparator, None));
            let de = each(&|i| outcome(i, arm, o) - outcome(i, comparator, o));
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
            let hits = (0..n)
                .filter(|&i| {
                    let dc = v.total(i, arm, None) - v.total(i, comparator, None);
                    let de = outcome(i, arm, o) - outcome(i, comparator, o);
                    lambda * de - dc > 0.0
                })
                .count();
            let p = hits as f64 / n as f64;
            let half = 1.96 * (p * (1.0 - p) / n as f64).sqrt();
            (p, (p - half).max(0.0), (p + half).min(1.0))
        }
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

/// The results table as CSV.
pub fn to_csv(rows: &[Reproduced], path: &Path) -> Result<(), RunError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| RunError::cannot_write(path, e))?;
    w.write_record([
        "scenario",
        "figure",
        "source",
        "citation",
        "metric",
        "arm",
        "published",
        "published_low",
        "published_high",
        "reproduced",
        "reproduced_low",
        "reproduced_high",
        "accept_low",
        "accept_high",
        "within_tolerance",
        "published_figure_is_an_input",
        "iterations",
        "why",
    ])
    .map_err(|e| RunError::cannot_write(path, e))?;
    let num = |x: f64| if x.is_finite() { format!("{x}") } else { String::new() };
    for r in rows {
        let t = &r.target;
        let (pl, ph) = t
            .published_interval
            .map_or((String::new(), String::new()), |[a, b]| (num(a), num(b)));
        let status = match r.status {
            Status::Within => "yes",
            Status::Outside => "no",
            Status::NotReproducible => "not_reproducible",
        };
        w.write_record([
            r.scenario.as_str(),
            &t.figure,
            &t.source,
            &r.citation,
            t.metric.name(),
            &r.arm,
            &num(t.published),
            &pl,
            &ph,
            &num(r.value),
            &num(r.low),
            &num(r.high),
            &num(t.accept[0]),
            &num(t.accept[1]),
            status,
            if t.input { "true" } else { "false" },
            &r.iterations.to_string(),
            &t.why,
        ])
        .map_err(|e| RunError::cannot_write(path, e))?;
    }
    w.flush().map_err(|e| RunError::cannot_write(path, e))
}

/// The results table as Markdown (also what the terminal shows).
pub fn to_markdown(rows: &[Reproduced]) -> String {
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut md = String::from(
        "| scenario | figure | source | published | reproduced (95% interval) | accepted range | within tolerance |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let t = &r.target;
        let published = match t.published_interval {
            Some([a, b]) => format!("{} ({} to {})", figure(t.published), figure(a), figure(b)),
            None => figure(t.published),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} ({} to {}) | {} to {} | {} |\n",
            escape(&r.scenario),
            escape(&t.figure),
            escape(&t.source),
            published,
            figure(r.value),
            figure(r.low),
            figure(r.high),
            figure(t.accept[0]),
            figure(t.accept[1]),
            match (r.status, t.input) {
                (Status::Within, true) => "yes, but the figure is an input (a check that the model carries it through)",
                (status, _) => status.describe(),
            }
        ));
    }
    md
}
