//! Value of partial perfect information of a run: the EVPPI of every sampled parameter and of named groups, from the
//! run's sampled values and net monetary benefits (the estimator is in [`super::evppi`]).

use super::evppi::{evppi, Evppi};
use crate::model::{columns, Model, ParameterSpec};
use crate::simulate::Results;
use ndarray::Array2;
use rayon::prelude::*;
use serde::Serialize;

/// A sampled parameter of a model in one scope, with the column of draws that holds its values.
#[derive(Debug, Clone)]
pub struct SampledParameter {
    /// The name, with its scope where that is not the base model: `effect (arm:new)`.
    pub label: String,
    pub name: String,
    /// The draw slot (a Dirichlet's components each have their own).
    pub slot: usize,
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

/// The parameters a model samples (fixed values draw nothing and have no value of information).
pub fn sampled_parameters(model: &Model) -> Vec<SampledParameter> {
    model
        .parameters
        .iter()
        .filter_map(|p| {
            let slot = p.draw_slot?;
            let fixed = matches!(p.spec, ParameterSpec::Fixed { .. });
            (!fixed).then(|| SampledParameter {
                label: if p.scope == "base" {
                    p.name.clone()
                } else {
                    format!("{} ({})", p.name, p.scope)
                },
                name: p.name.clone(),
                slot,
            })
        })
        .collect()
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
    let sampled = sampled_parameters(model);
    let n = results.iterations();
    let outcome_column = columns::outcome(primary);
    let nmb = Array2::from_shape_fn((n, model.arms.len()), |(i, a)| {
        lambda * results.total(i, a, outcome_column) - results.total_cost(i, a)
    });
    let columns = |slots: &[usize]| Array2::from_shape_fn((n, slots.len()), |(i, k)| results.draws[[i, slots[k]]]);
    let mut rows: Vec<EvppiRow> = sampled
        .par_iter()
        .map(|p| EvppiRow {
            label: p.label.clone(),
            kind: "parameter",
            members: vec![p.name.clone()],
            estimate: evppi(columns(&[p.slot]).view(), nmb.view()),
        })
        .collect();
    for (group, members) in groups {
        let slots: Vec<usize> = sampled
            .iter()
            .filter(|p| members.contains(&p.name))
            .map(|p| p.slot)
            .collect();
        rows.push(EvppiRow {
            label: group.clone(),
            kind: "group",
            members: members.clone(),
            estimate: evppi(columns(&slots).view(), nmb.view()),
        });
    }
    rows
}
