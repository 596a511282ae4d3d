//! Two-way deterministic sensitivity analysis: a decision measure on the model at its means over a grid of values of
//! two parameters, the others held at their means (the deterministic companion of a two-parameter `sweep`, which
//! reruns the whole PSA at each point).

use super::sensitivity::{Deterministic, Measure, SensitivityError};
use crate::error::InputError;
use rayon::prelude::*;
use serde::Serialize;

/// One parameter of the grid and the values it takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoWayAxis {
    pub parameter: String,
    pub values: Vec<f64>,
    /// Its value on the model at its means.
    pub base: f64,
}

/// The measure over the grid for one comparison.
#[derive(Debug, Clone, Serialize)]
pub struct TwoWay {
    pub arm: String,
    pub comparator: String,
    pub measure: Measure,
    /// The value at which the decision changes (£1 per £1 for the BCR, 0 otherwise).
    pub break_even: f64,
    pub x: TwoWayAxis,
    pub y: TwoWayAxis,
    /// `values[iy][ix]`: the measure at (`x.values[ix]`, `y.values[iy]`).
    pub values: Vec<Vec<f64>>,
    /// The measure with both parameters at their base values.
    pub base: f64,
}

/// Two-way analysis of parameters `x` and `y` (each `(name, values)`): the measure at every combination of their
/// values for every comparison, the rest of the model at its means. A name's sampled definitions move together;
/// where none is sampled, every definition the file fixes (see [`Deterministic::draws_of`]). Points are run in
/// parallel on the current rayon pool and collected in grid order, so the result does not depend on threads.
pub fn two_way(
    det: &Deterministic,
    x: (&str, &[f64]),
    y: (&str, &[f64]),
    measure: Measure,
) -> Result<Vec<TwoWay>, SensitivityError> {
    let axis_draws = |option: &str, name: &str| {
        let draws = det.draws_of(name);
        if draws.is_empty() {
            Err(InputError::usage(option, det.unknown_parameter(name)))
        } else {
            Ok(draws)
        }
    };
    let (x_draws, y_draws) = (axis_draws("--x", x.0)?, axis_draws("--y", y.0)?);
    if x.0 == y.0 {
        return Err(InputError::usage(
            "--y",
            format!("`{}` is already the x parameter: give two different ones", y.0),
        )
        .into());
    }
    let base = det.evaluate(&[], measure)?;
    let points: Vec<(f64, f64)> = y.1.iter().flat_map(|&vy| x.1.iter().map(move |&vx| (vx, vy))).collect();
    let values: Vec<Vec<f64>> = points
        .par_iter()
        .map(|&(vx, vy)| {
            let set: Vec<(usize, f64)> = x_draws
                .iter()
                .map(|&d| (d, vx))
                .chain(y_draws.iter().map(|&d| (d, vy)))
                .collect();
            det.evaluate(&set, measure).map_err(|e| match e {
                // Values the user chose that the model cannot take are a usage error, not a failed run.
                SensitivityError::Simulation(e) => InputError::usage(
                    "--x",
                    format!(
                        "the model cannot be run with `{}` = {vx} and `{}` = {vy}: {e}",
                        x.0, y.0
                    ),
                )
                .into(),
                e => e,
            })
        })
        .collect::<Result<_, _>>()?;
    let axis = |(name, v): (&str, &[f64])| TwoWayAxis {
        parameter: name.to_string(),
        values: v.to_vec(),
        base: det.base_value(name),
    };
    Ok(det
        .comparisons()
        .into_iter()
        .enumerate()
        .map(|(k, (arm, comparator))| TwoWay {
            arm,
            comparator,
            measure,
            break_even: measure.break_even(),
            x: axis(x),
            y: axis(y),
            values: values
                .chunks(x.1.len().max(1))
                .map(|row| row.iter().map(|v| v[k]).collect())
                .collect(),
            base: base[k],
        })
        .collect())
}
