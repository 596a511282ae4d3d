//! Reading another model's PSA output from CSV, so `carecast analyse` gives it the same analyses as a carecast run.
//!
//! One row per iteration and arm. Required columns: `iteration`, `arm`, a total cost (`cost` or `cost_total`) and
//! the effect (`effect`, or the column named by `--effect`). Optional: costs by payer and kind as carecast writes
//! them (`spend_council`, `spend_nhs`, `spend_person`, `care_council`, `care_nhs`, `care_person`, and optionally
//! `cashable_care_*`), which enable return-on-investment analysis. A carecast `iterations.csv` reads back as is.

use super::table::{PayerCosts, PsaTable};
use crate::error::InputError;
use crate::model::Payer;
use ndarray::{Array2, Array3};
use std::collections::BTreeMap;
use std::path::Path;

/// How to read the file: which column is the effect and which arm is the comparator.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// Effect column (default `effect`, else `qaly`).
    pub effect: Option<String>,
    /// The comparator arm (default: the first arm in the file).
    pub comparator: Option<String>,
}

/// Parses a PSA sample in CSV into a table; every problem names the file (`path`, which is not read), line and
/// column.
pub fn parse_psa_csv(path: &Path, text: &str, options: &CsvOptions) -> Result<PsaTable, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InputError::file(path, format!("cannot read the header row: {e}")))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let at_header = |message: String| InputError {
        line: 1,
        column: 1,
        field: "header".into(),
        ..InputError::file(path, message)
    };
    let need = |names: &[&str]| -> Result<usize, InputError> {
        names.iter().find_map(|n| find(n)).ok_or_else(|| {
            at_header(format!(
                "no `{}` column; the header has: {}",
                names.join("` or `"),
                headers.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let iteration_col = need(&["iteration"])?;
    let arm_col = need(&["arm"])?;
    let cost_col = need(&["cost", "cost_total"])?;
    let effect_name = options.effect.clone();
    let effect_col = match &effect_name {
        Some(name) => need(&[name.as_str()])?,
        None => need(&["effect", "qaly"])?,
    };
    let effect_label = headers.get(effect_col).unwrap_or("effect").to_string();
    let payer_cols = |kind: &str| -> Option<Vec<usize>> {
        Payer::ALL
            .iter()
            .map(|p| find(&format!("{kind}_{}", p.name())))
            .collect()
    };
    let spend_cols = payer_cols("spend");
    let care_cols = payer_cols("care");
    let cashable_cols = payer_cols("cashable_care");

    // rows[(iteration, arm index)] = values
    let mut arms: Vec<String> = Vec::new();
    let mut rows: BTreeMap<(u64, usize), (f64, f64, [f64; 9])> = BTreeMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| InputError {
            line,
            column: 1,
            field: String::new(),
            ..InputError::file(path, format!("malformed row: {e}"))
        })?;
        let number = |col: usize| -> Result<f64, InputError> {
            let raw = record.get(col).unwrap_or("");
            raw.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| InputError {
                    line,
                    column: col + 1,
                    field: headers.get(col).unwrap_or("").to_string(),
                    ..InputError::file(path, format!("`{raw}` is not a finite number"))
                })
        };
        let iteration = record
            .get(iteration_col)
            .unwrap_or("")
            .parse::<u64>()
            .map_err(|_| InputError {
                line,
                column: iteration_col + 1,
                field: "iteration".into(),
                ..InputError::file(path, "the iteration must be a whole number")
            })?;
        let arm_name = record.get(arm_col).unwrap_or("").to_string();
        let arm = match arms.iter().position(|a| *a == arm_name) {
            Some(a) => a,
            None => {
                arms.push(arm_name);
                arms.len() - 1
            }
        };
        let mut split = [0.0; 9];
        for (k, cols) in [&spend_cols, &care_cols, &cashable_cols].iter().enumerate() {
            if let Some(cols) = cols {
                for (p, &c) in cols.iter().enumerate() {
                    split[k * 3 + p] = number(c)?;
                }
            }
        }
        if rows
            .insert((iteration, arm), (number(cost_col)?, number(effect_col)?, split))
            .is_some()
        {
            return Err(InputError {
                line,
                column: arm_col + 1,
                field: "arm".into(),
                ..InputError::file(
                    path,
                    format!("iteration {iteration} has more than one row for arm `{}`", arms[arm]),
                )
            });
        }
    }
    if arms.len() < 2 {
        return Err(InputError::file(
            path,
            "the file needs at least two arms (the comparator and an intervention)",
        ));
    }
    let iterations: Vec<u64> = {
        let mut v: Vec<u64> = rows.keys().map(|(i, _)| *i).collect();
        v.dedup();
        v
    };
    for &i in &iterations {
        if let Some(missing) = (0..arms.len()).find(|a| !rows.contains_key(&(i, *a))) {
            return Err(InputError::file(
                path,
                format!(
                    "iteration {i} has no row for arm `{}`: every iteration needs every arm",
                    arms[missing]
                ),
            ));
        }
    }
    let comparator = match &options.comparator {
        Some(name) => arms.iter().position(|a| a == name).ok_or_else(|| {
            InputError::usage(
                "--comparator",
                format!(
                    "no arm `{name}` in {}; the arms are {}",
                    path.display(),
                    arms.join(", ")
                ),
            )
        })?,
        None => 0,
    };
    let n = iterations.len();
    let k = arms.len();
    let value = |i: usize, a: usize| &rows[&(iterations[i], a)];
    let cost = Array2::from_shape_fn((n, k), |(i, a)| value(i, a).0);
    let outcome_values = Array3::from_shape_fn((n, k, 1), |(i, a, _)| value(i, a).1);
    let payers = match (spend_cols, care_cols) {
        (Some(_), Some(_)) => {
            let part = |offset: usize| Array3::from_shape_fn((n, k, 3), |(i, a, p)| value(i, a).2[offset + p]);
            let care = part(3);
            let cashable = if cashable_cols.is_some() { part(6) } else { care.clone() };
            Some(PayerCosts {
                spend: part(0),
                care,
                cashable,
            })
        }
        _ => None,
    };
    Ok(PsaTable {
        labels: arms.clone(),
        comparators: (0..k).map(|a| (a != comparator).then_some(comparator)).collect(),
        arms,
        outcomes: vec![effect_label],
        primary: Some(0),
        cost,
        outcome_values,
        payers,
        payback: None,
        yearly: None,
    })
}
