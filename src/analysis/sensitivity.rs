//! Deterministic sensitivity analysis on the model at its parameters' means: one-way (tornado) analysis and
//! threshold analysis.
//!
//! The deterministic model replaces every sampled distribution by its mean (a Dirichlet by its component means) and
//! runs one cohort-mode iteration, so it is the usual "base case". One-way analysis moves one parameter at a time to
//! its low and high values; threshold analysis finds where a decision measure crosses its break-even value.

use crate::dist::Distribution;
use crate::error::InputError;
use crate::model::{Columns, Draw, Mode, Model, Payer, RunSettings};
use crate::simulate;
use crate::simulate::SimulationError;
use serde::Serialize;

/// Why a deterministic analysis failed: bad input (a parameter, range or measure the model cannot take) or a failed
/// simulation of the model at the chosen values.
#[derive(Debug, thiserror::Error)]
pub enum SensitivityError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Simulation(#[from] SimulationError),
}

/// The decision measure a deterministic analysis reports, for an intervention arm against its comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Comparator's total cost − the arm's (all payers), per person.
    NetSavings,
    /// Care-cost savings (all payers) per £1 of extra intervention spend.
    Bcr,
    /// λ·ΔE − ΔC on the primary outcome, per person (ΔE the gain: the amount avoided where less is better).
    Inmb,
}

impl Measure {
    /// Parses `net_savings`, `bcr` or `inmb`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "net_savings" => Ok(Measure::NetSavings),
            "bcr" => Ok(Measure::Bcr),
            "inmb" => Ok(Measure::Inmb),
            other => Err(format!("`{other}` is not a measure: use net_savings, bcr or inmb")),
        }
    }

    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Measure::NetSavings => "net_savings",
            Measure::Bcr => "bcr",
            Measure::Inmb => "inmb",
        }
    }

    /// The measure in words, as the terminal names it: "net savings", "£ back per £1", "INMB".
    pub fn words(self) -> &'static str {
        match self {
            Measure::NetSavings => "net savings",
            Measure::Bcr => "£ back per £1",
            Measure::Inmb => "INMB",
        }
    }

    /// The value at which the decision changes: £1 back per £1 for the BCR, zero otherwise.
    pub fn break_even(self) -> f64 {
        match self {
            Measure::Bcr => 1.0,
            _ => 0.0,
        }
    }
}

/// A sampled parameter in one scope, with its distribution.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub name: String,
    /// `base`, `arm:<name>` or `subgroup:<name>`.
    pub scope: String,
    #[serde(skip)]
    draw: usize,
    #[serde(skip)]
    pub distribution: Distribution,
}

/// The scenario at its parameters' means, ready for one-way and threshold analysis.
pub struct Deterministic {
    model: Model,
    /// One iteration: every draw is fixed at its mean.
    run: RunSettings,
    /// The sampled parameters (Dirichlet components aside: one cannot move alone).
    pub inputs: Vec<Input>,
}

impl Deterministic {
    /// The model at its parameters' means: every sampled parameter set to its mean, run as one cohort-mode
    /// iteration. Parameters the file fixes can be moved only if `model` was compiled with them kept changeable
    /// ([`crate::model::compile_with`]).
    pub fn new(mut model: Model) -> Self {
        model.settings.mode = Mode::Cohort;
        let run = RunSettings {
            iterations: 1,
            seed: model.run_defaults.seed,
        };
        let mut inputs = Vec::new();
        let mut draws = Vec::new();
        for (i, draw) in model.draws.iter().enumerate() {
            match draw {
                // A correlated parameter moves alone here too: a one-way analysis holds the others at their means.
                Draw::One { slot, distribution, .. } | Draw::Member { slot, distribution, .. } => {
                    if !matches!(distribution, Distribution::Fixed(_)) {
                        if let Some(info) = model.parameters.iter().find(|p| p.draw_slot == Some(*slot)) {
                            inputs.push(Input {
                                name: info.name.clone(),
                                scope: info.scope.clone(),
                                draw: i,
                                distribution: *distribution,
                            });
                        }
                    }
                    draws.push(fixed(*slot, distribution.mean()));
                }
                Draw::Dirichlet { first_slot, dirichlet } => {
                    draws.extend(
                        dirichlet
                            .means()
                            .iter()
                            .enumerate()
                            .map(|(k, m)| fixed(first_slot + k, *m)),
                    );
                }
                // Its members are fixed at their means where they stand.
                Draw::Joint(_) => {}
            }
        }
        // The Dirichlet components now have one draw each: re-point the inputs at their new positions.
        let mut position = 0;
        let mut new_index = Vec::new();
        for draw in &model.draws {
            new_index.push(position);
            position += match draw {
                Draw::One { .. } | Draw::Member { .. } => 1,
                Draw::Dirichlet { dirichlet, .. } => dirichlet.len(),
                Draw::Joint(_) => 0,
            };
        }
        for input in &mut inputs {
            input.draw = new_index[input.draw];
        }
        for o in &mut model.overridable {
            o.draw = new_index[o.draw];
        }
        model.draws = draws;
        Deterministic { model, run, inputs }
    }

    /// The measure for every intervention arm, with the given draws set to the given values.
    pub fn evaluate(&self, set: &[(usize, f64)], measure: Measure) -> Result<Vec<f64>, SensitivityError> {
        let mut model = self.model.clone();
        for &(draw, value) in set {
            let Draw::One { slot, .. } = model.draws[draw] else {
                continue;
            };
            model.draws[draw] = fixed(slot, value);
        }
        measures(&model, &self.run, measure)
    }

    /// The draws a threshold analysis of `name` moves: its sampled definitions (an arm's uncertain effect, not the
    /// comparator's fixed value of the same name); where none is sampled, every definition the file fixes.
    pub fn draws_of(&self, name: &str) -> Vec<usize> {
        let sampled: Vec<usize> = self.inputs.iter().filter(|i| i.name == name).map(|i| i.draw).collect();
        if !sampled.is_empty() {
            return sampled;
        }
        self.model
            .overridable
            .iter()
            .filter(|o| o.name == name)
            .map(|o| o.draw)
            .collect()
    }

    /// (arm, comparator) names of every comparison.
    pub fn comparisons(&self) -> Vec<(String, String)> {
        self.model
            .arms
            .iter()
            .filter_map(|a| a.comparator.map(|c| (a.name.clone(), self.model.arms[c].name.clone())))
            .collect()
    }

    /// The threshold λ the INMB uses.
    pub fn threshold(&self) -> f64 {
        self.model.settings.threshold
    }
}

fn fixed(slot: usize, value: f64) -> Draw {
    let d = Distribution::Fixed(value);
    Draw::One {
        slot,
        sampler: d.sampler(),
        distribution: d,
    }
}

/// Runs a one-iteration model and computes the measure for each comparison.
fn measures(model: &Model, run: &RunSettings, measure: Measure) -> Result<Vec<f64>, SensitivityError> {
    let results = simulate::run(model, run, None)?;
    let row = |a: usize, col: usize| results.total(0, a, col);
    let columns = model.columns();
    let sum = |a: usize, f: fn(Columns, Payer) -> usize| model.payers.all().map(|p| row(a, f(columns, p))).sum::<f64>();
    let total = |a: usize| sum(a, Columns::care) + sum(a, Columns::spend);
    let mut out = Vec::new();
    for (a, arm) in model.arms.iter().enumerate() {
        let Some(c) = arm.comparator else { continue };
        out.push(match measure {
            Measure::NetSavings => total(c) - total(a),
            Measure::Bcr => {
                (sum(c, Columns::care) - sum(a, Columns::care)) / (sum(a, Columns::spend) - sum(c, Columns::spend))
            }
            Measure::Inmb => {
                let o = model.settings.primary_outcome.ok_or_else(|| {
                    SensitivityError::from(InputError::usage(
                        "--measure",
                        "the INMB needs an outcome, and this scenario has none",
                    ))
                })?;
                // ΔE is the gain: the amount avoided where less is better.
                let better = model.outcome_info[o].better;
                let de = better.orient(row(a, columns.outcome(o))) - better.orient(row(c, columns.outcome(o)));
                model.settings.threshold * de - (total(a) - total(c))
            }
        });
    }
    Ok(out)
}

/// A failed run of the model at a value the user chose (`--bounds`, `--range`), as the usage error it is.
fn at_chosen_value(option: &str, name: &str, value: f64, e: SensitivityError) -> SensitivityError {
    match e {
        SensitivityError::Simulation(e) => {
            InputError::usage(option, format!("the model cannot be run with `{name}` = {value}: {e}")).into()
        }
        e => e,
    }
}

/// One bar of a tornado: a parameter moved to its low and high values, the rest at their means.
#[derive(Debug, Clone, Serialize)]
pub struct TornadoBar {
    pub arm: String,
    pub comparator: String,
    pub parameter: String,
    pub scope: String,
    pub low: f64,
    pub high: f64,
    pub base: f64,
    pub at_low: f64,
    pub at_high: f64,
}

impl TornadoBar {
    /// How far the measure moves between the low and high values.
    pub fn swing(&self) -> f64 {
        (self.at_high - self.at_low).abs()
    }
}

/// One-way sensitivity analysis: every sampled parameter to its 2.5th and 97.5th percentiles (or given bounds),
/// bars sorted by swing, largest first, per comparison.
pub fn tornado(
    det: &Deterministic,
    measure: Measure,
    bounds: &[(String, f64, f64)],
) -> Result<Vec<TornadoBar>, SensitivityError> {
    let base = det.evaluate(&[], measure)?;
    let comparisons = det.comparisons();
    let mut bars = Vec::new();
    // (name, scope, draw, low, high, whether the user gave the bounds)
    let mut inputs: Vec<(String, String, usize, f64, f64, bool)> = det
        .inputs
        .iter()
        .map(|i| {
            let given = bounds.iter().find(|(n, _, _)| *n == i.name);
            let (low, high) = given.map_or(
                (i.distribution.quantile(0.025), i.distribution.quantile(0.975)),
                |(_, l, h)| (*l, *h),
            );
            (i.name.clone(), i.scope.clone(), i.draw, low, high, given.is_some())
        })
        .collect();
    // Bounds for parameters the file fixes: kept changeable when the analysis was set up.
    for (name, low, high) in bounds {
        if det.inputs.iter().any(|i| i.name == *name) {
            continue;
        }
        for o in det.model.overridable.iter().filter(|o| o.name == *name) {
            inputs.push((name.clone(), o.scope.clone(), o.draw, *low, *high, true));
        }
    }
    for (name, scope, draw, low, high, given) in inputs {
        let at = |v: f64| {
            let result = det.evaluate(&[(draw, v)], measure);
            if given {
                result.map_err(|e| at_chosen_value("--bounds", &name, v, e))
            } else {
                result
            }
        };
        let (at_low, at_high) = (at(low)?, at(high)?);
        for (k, (arm, comparator)) in comparisons.iter().enumerate() {
            bars.push(TornadoBar {
                arm: arm.clone(),
                comparator: comparator.clone(),
                parameter: name.clone(),
                scope: scope.clone(),
                low,
                high,
                base: base[k],
                at_low: at_low[k],
                at_high: at_high[k],
            });
        }
    }
    // Largest swing first within each comparison; ties by name, so the order never depends on anything else.
    bars.sort_by(|a, b| {
        (a.arm.as_str(), b.swing(), a.parameter.as_str(), a.scope.as_str())
            .partial_cmp(&(b.arm.as_str(), a.swing(), b.parameter.as_str(), b.scope.as_str()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(bars)
}

/// Where a measure crosses its break-even value as one parameter changes.
#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    pub arm: String,
    pub comparator: String,
    pub parameter: String,
    pub measure: Measure,
    pub break_even: f64,
    /// The range searched.
    pub range: [f64; 2],
    /// The measure at the parameter's base value.
    pub base_value: f64,
    pub base_measure: f64,
    /// Every crossing found in the range (usually one).
    pub crossings: Vec<f64>,
    /// For each crossing, the share of the parameter's PSA distribution below it (None for a fixed parameter).
    pub share_below: Vec<Option<f64>>,
    /// The measure on the scan's 201 values of the parameter: (value, measure).
    pub curve: Vec<(f64, f64)>,
}

/// Threshold analysis of `name` (its sampled definitions move together; see [`Deterministic::draws_of`]) over `range`,
/// or over its distribution's
/// 0.1st to 99.9th percentiles: the measure on a grid of 201 values brackets each crossing, and bisection refines it
/// to 1e-12 of the range.
pub fn threshold(
    det: &Deterministic,
    name: &str,
    measure: Measure,
    range: Option<(f64, f64)>,
) -> Result<Vec<Threshold>, SensitivityError> {
    let draws = det.draws_of(name);
    if draws.is_empty() {
        return Err(InputError::usage("--parameter", det.model.unknown_parameter(name)).into());
    }
    let sampled = det.inputs.iter().find(|i| i.name == name).map(|i| i.distribution);
    let (low, high) = match (range, sampled) {
        (Some(r), _) => r,
        (None, Some(d)) => (d.quantile(0.001), d.quantile(0.999)),
        (None, None) => {
            return Err(InputError::usage(
                "--range",
                format!("`{name}` is not sampled, so there is no distribution to search: give --range LOW:HIGH"),
            )
            .into())
        }
    };
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(InputError::usage("--range", format!("needs LOW < HIGH, not {low}:{high}")).into());
    }
    let at = |v: f64| -> Result<Vec<f64>, SensitivityError> {
        let set: Vec<(usize, f64)> = draws.iter().map(|&d| (d, v)).collect();
        det.evaluate(&set, measure)
    };
    let base_value = sampled.map_or_else(|| det.base_of(&draws), |d| d.mean());
    let base = at(base_value)?;
    let grid: Vec<f64> = (0..=200).map(|i| low + (high - low) * i as f64 / 200.0).collect();
    let values: Vec<Vec<f64>> = grid
        .iter()
        .map(|&v| {
            // Values in a range the user chose that the model cannot take are a usage error, not a failed run.
            at(v).map_err(|e| {
                if range.is_some() {
                    at_chosen_value("--range", name, v, e)
                } else {
                    e
                }
            })
        })
        .collect::<Result<_, _>>()?;
    let target = measure.break_even();
    let mut out = Vec::new();
    for (k, (arm, comparator)) in det.comparisons().into_iter().enumerate() {
        let f = |v: &Vec<f64>| v[k] - target;
        let mut crossings = Vec::new();
        for i in 0..grid.len() - 1 {
            let (a, b) = (f(&values[i]), f(&values[i + 1]));
            if a == 0.0 {
                crossings.push(grid[i]);
                continue;
            }
            if !(a.is_finite() && b.is_finite()) || a.signum() == b.signum() {
                continue;
            }
            let (mut lo, mut hi, mut f_lo) = (grid[i], grid[i + 1], a);
            while hi - lo > 1e-12 * (high - low) {
                let mid = 0.5 * (lo + hi);
                let f_mid = at(mid)?[k] - target;
                if f_mid == 0.0 {
                    lo = mid;
                    hi = mid;
                } else if f_mid.signum() == f_lo.signum() {
                    lo = mid;
                    f_lo = f_mid;
                } else {
                    hi = mid;
                }
            }
            crossings.push(0.5 * (lo + hi));
        }
        if values.last().is_some_and(|v| f(v) == 0.0) {
            crossings.push(high);
        }
        let share_below = crossings.iter().map(|&c| sampled.map(|d| share_below(&d, c))).collect();
        out.push(Threshold {
            arm,
            comparator,
            parameter: name.to_string(),
            measure,
            break_even: target,
            range: [low, high],
            base_value,
            base_measure: base[k],
            crossings,
            share_below,
            curve: grid.iter().zip(&values).map(|(g, v)| (*g, v[k])).collect(),
        });
    }
    Ok(out)
}

impl Deterministic {
    /// The value a parameter has on the model at its means: its distribution's mean where it is sampled, else its
    /// first changeable definition's value (NaN for a name the model cannot move).
    pub fn base_value(&self, name: &str) -> f64 {
        match self.inputs.iter().find(|i| i.name == name) {
            Some(input) => input.distribution.mean(),
            None => self.base_of(&self.draws_of(name)),
        }
    }

    /// "no parameter is named `x`; did you mean `y`?"
    pub fn unknown_parameter(&self, name: &str) -> String {
        self.model.unknown_parameter(name)
    }

    /// The base value of a parameter the file fixes (its first changeable definition).
    fn base_of(&self, draws: &[usize]) -> f64 {
        draws
            .first()
            .and_then(|&d| match self.model.draws[d] {
                Draw::One { distribution, .. } | Draw::Member { distribution, .. } => Some(distribution.mean()),
                Draw::Dirichlet { .. } | Draw::Joint(_) => None,
            })
            .unwrap_or(f64::NAN)
    }
}

/// The share of a distribution below `x`, by bisection on its quantile function (to 1e-9).
fn share_below(d: &Distribution, x: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    if x <= d.quantile(1e-12) {
        return 0.0;
    }
    if x >= d.quantile(1.0 - 1e-12) {
        return 1.0;
    }
    while hi - lo > 1e-9 {
        let mid = 0.5 * (lo + hi);
        if d.quantile(mid) < x {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}
