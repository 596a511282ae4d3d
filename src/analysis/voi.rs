//! Value of partial perfect information of a run, or of another model's PSA with its parameter sample: the EVPPI of
//! every sampled parameter and of named groups, from the sampled values and net monetary benefits (the estimator is
//! in [`super::evppi`]); and a run's parameter sample as `parameters.csv` holds it.

use super::evppi::{evppi, Evppi};
use super::PsaTable;
use crate::model::{Better, Model, ParameterSpec};
use crate::simulate::Results;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::Serialize;

/// A sampled parameter of a model in one scope (or a column of another model's parameter sample), with the column
/// of draws that holds its values.
#[derive(Debug, Clone)]
pub struct SampledParameter {
    /// The name, with its scope where that is not the base model: `effect (arm:new)`.
    pub label: String,
    /// The parameter's name, which `--group` members match (every scope of it).
    pub name: String,
    /// Its column in parameters.csv: the name, qualified by the scope (`effect@arm:new`) where the name is sampled in
    /// several scopes. A `--group` member may also name this, to take one scope alone.
    pub column: String,
    /// The draw slot (a Dirichlet's components each have their own), or the column of an external sample.
    pub slot: usize,
}

impl SampledParameter {
    /// Whether a `--group` member names this parameter: by its name (every scope) or by its column (this scope).
    pub fn is_named(&self, member: &str) -> bool {
        self.name == member || self.column == member
    }
}

/// EVPPI of one sampled parameter (in one scope) or of a named group.
#[derive(Debug, Clone, Serialize)]
pub struct EvppiRow {
    /// The parameter (with its scope where it is not the base model's) or the group's name.
    pub label: String,
    /// `parameter` or `group`.
    pub kind: &'static str,
    /// The group's members (the parameter itself for a single one).
    pub members: Vec<String>,
    pub estimate: Evppi,
}

/// The parameters a model samples (fixed values draw nothing and have no value of information), in the model's
/// order, with their parameters.csv columns.
pub fn sampled_parameters(model: &Model) -> Vec<SampledParameter> {
    let sampled: Vec<_> = model
        .parameters
        .iter()
        .filter(|p| p.draw_slot.is_some() && !matches!(p.spec, ParameterSpec::Fixed { .. }))
        .collect();
    sampled
        .iter()
        .map(|p| {
            let scopes = sampled.iter().filter(|q| q.name == p.name).count();
            SampledParameter {
                label: if p.scope == "base" {
                    p.name.clone()
                } else {
                    format!("{} ({})", p.name, p.scope)
                },
                name: p.name.clone(),
                // Names are identifiers and scopes `base`, `arm:NAME` or `subgroup:NAME`, so `@` cannot be mistaken.
                column: if scopes > 1 {
                    format!("{}@{}", p.name, p.scope)
                } else {
                    p.name.clone()
                },
                slot: p.draw_slot.unwrap_or_default(),
            }
        })
        .collect()
}

/// Net monetary benefit at λ of an outcome amount as accrued and a total cost: λ·E − C, with E the amount where more
/// is better and its negative where less is. Every EVPPI here computes it this one way, so that a run's EVPPI and
/// that of its own files read back are the same bits.
pub fn net_benefit(lambda: f64, better: Better, outcome: f64, cost: f64) -> f64 {
    lambda * better.orient(outcome) - cost
}

/// The EVPPI at `lambda` of every sampled parameter, in parallel on the current rayon pool, then of each named group
/// of parameter names (every definition of a member counts). `primary` is the outcome the net benefit values.
pub fn evppi_rows(
    model: &Model,
    results: &Results,
    primary: usize,
    lambda: f64,
    groups: &[(String, Vec<String>)],
) -> Vec<EvppiRow> {
    let n = results.iterations();
    let outcome_column = model.columns().outcome(primary);
    let better = model.outcome_info[primary].better;
    let nmb = Array2::from_shape_fn((n, model.arms.len()), |(i, a)| {
        net_benefit(
            lambda,
            better,
            results.total(i, a, outcome_column),
            results.total_cost(i, a),
        )
    });
    evppi_of(results.draws.view(), &sampled_parameters(model), nmb.view(), groups)
}

/// The EVPPI at `lambda` of each column of another model's parameter sample (`draws`, `[iteration, column]`, in the
/// iterations' order of `table`) and of each named group, on the table's primary outcome.
pub fn external_evppi_rows(
    table: &PsaTable,
    draws: ArrayView2<f64>,
    parameters: &[SampledParameter],
    lambda: f64,
    groups: &[(String, Vec<String>)],
) -> Vec<EvppiRow> {
    let o = table.primary.unwrap_or(0);
    let better = table.outcomes[o].better;
    let nmb = Array2::from_shape_fn((table.iterations(), table.arms.len()), |(i, a)| {
        net_benefit(lambda, better, table.outcome_values[[i, a, o]], table.cost[[i, a]])
    });
    evppi_of(draws, parameters, nmb.view(), groups)
}

/// The EVPPI of each parameter (its column `slot` of `draws`), then of each group of the parameters its members
/// name.
fn evppi_of(
    draws: ArrayView2<f64>,
    sampled: &[SampledParameter],
    nmb: ArrayView2<f64>,
    groups: &[(String, Vec<String>)],
) -> Vec<EvppiRow> {
    let n = draws.nrows();
    let columns = |slots: &[usize]| Array2::from_shape_fn((n, slots.len()), |(i, k)| draws[[i, slots[k]]]);
    let mut rows: Vec<EvppiRow> = sampled
        .par_iter()
        .map(|p| EvppiRow {
            label: p.label.clone(),
            kind: "parameter",
            members: vec![p.name.clone()],
            estimate: evppi(columns(&[p.slot]).view(), nmb),
        })
        .collect();
    for (group, members) in groups {
        let slots: Vec<usize> = sampled
            .iter()
            .filter(|p| members.iter().any(|m| p.is_named(m)))
            .map(|p| p.slot)
            .collect();
        rows.push(EvppiRow {
            label: group.clone(),
            kind: "group",
            members: members.clone(),
            estimate: evppi(columns(&slots).view(), nmb),
        });
    }
    rows
}

/// A run's sampled parameters as parameters.csv holds them: one column per parameter and scope, one row per
/// iteration. It reads the run's draws in place.
pub struct ParameterSample<'a> {
    pub parameters: Vec<SampledParameter>,
    draws: ArrayView2<'a, f64>,
}

impl<'a> ParameterSample<'a> {
    /// The sample of a run of `model`.
    pub fn of(model: &Model, results: &'a Results) -> Self {
        ParameterSample {
            parameters: sampled_parameters(model),
            draws: results.draws.view(),
        }
    }

    /// Number of iterations.
    pub fn iterations(&self) -> usize {
        self.draws.nrows()
    }

    /// The value of parameter `k` (in `parameters` order) in iteration `i`.
    pub fn value(&self, i: usize, k: usize) -> f64 {
        self.draws[[i, self.parameters[k].slot]]
    }
}
