//! The per-iteration and per-year tables of a run: iterations.csv (one row per iteration and arm), parameters.csv
//! (one row per iteration: every sampled parameter) and per_year.csv (per arm, year and measure: mean and
//! percentiles).

use super::files::{text_cell, write_csv, OutputError};
use crate::analysis::per_year::PerYear;
use crate::analysis::voi::ParameterSample;
use crate::analysis::PsaTable;
use crate::model::Payers;
use std::path::Path;

/// The header of iterations.csv: iteration, arm, care costs, their cashable part and spend by payer (council, NHS,
/// person, then the scenario's own), each outcome, total cost.
pub fn iterations_header(outcomes: &[String], payers: &Payers) -> Vec<String> {
    let mut h = vec!["iteration".to_string(), "arm".to_string()];
    for kind in ["care", "cashable_care", "spend"] {
        for name in payers.names() {
            h.push(format!("{kind}_{name}"));
        }
    }
    h.extend(outcomes.iter().map(|o| text_cell(o)));
    h.push("cost_total".to_string());
    h
}

/// Writes iterations.csv from a run's PSA table (which has costs by payer).
pub fn write_iterations(path: &Path, table: &PsaTable) -> Result<(), OutputError> {
    let Some(payers) = &table.payers else {
        return Err(OutputError::write(path, "the PSA table has no costs by payer"));
    };
    write_csv(path, |w| {
        let names: Vec<String> = table.outcomes.iter().map(|o| o.name.clone()).collect();
        w.write_record(iterations_header(&names, &payers.payers))?;
        // ryu writes the shortest text that reads back to the same f64, without an allocation per field: a million
        // iterations make tens of millions of fields.
        let mut number = ryu::Buffer::new();
        let mut integer = itoa::Buffer::new();
        for i in 0..table.iterations() {
            for (a, arm) in table.arms.iter().enumerate() {
                w.write_field(integer.format(i))?;
                w.write_field(text_cell(arm))?;
                for values in [&payers.care, &payers.cashable, &payers.spend] {
                    for p in 0..payers.payers.len() {
                        w.write_field(number.format(values[[i, a, p]]))?;
                    }
                }
                for o in 0..table.outcomes.len() {
                    w.write_field(number.format(table.outcome_values[[i, a, o]]))?;
                }
                w.write_field(number.format(table.cost[[i, a]]))?;
                w.write_record(None::<&[u8]>)?;
            }
        }
        Ok(())
    })
}

/// Writes parameters.csv: `iteration` (as in iterations.csv), then each sampled parameter's value in that iteration,
/// one column per parameter and scope (`name`, or `name@scope` where the name is sampled in several scopes), in full
/// precision. It is the PSA's input sample as voi, BCEA, dampack and SAVI take it, and `carecast analyse
/// --parameters` reads it back.
pub fn write_parameters(path: &Path, sample: &ParameterSample) -> Result<(), OutputError> {
    write_csv(path, |w| {
        let mut header = vec!["iteration".to_string()];
        header.extend(sample.parameters.iter().map(|p| text_cell(&p.column)));
        w.write_record(header)?;
        let mut number = ryu::Buffer::new();
        let mut integer = itoa::Buffer::new();
        for i in 0..sample.iterations() {
            w.write_field(integer.format(i))?;
            for k in 0..sample.parameters.len() {
                w.write_field(number.format(sample.value(i, k)))?;
            }
            w.write_record(None::<&[u8]>)?;
        }
        Ok(())
    })
}

/// Writes per_year.csv; `arms` names the arms in model order.
pub fn write_per_year(path: &Path, arms: &[String], per_year: &PerYear) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record(["arm", "year", "measure", "mean", "p2_5", "p50", "p97_5"])?;
        for r in &per_year.rows {
            // Percentiles come from single-precision values: they print at that precision.
            w.write_record([
                text_cell(&arms[r.arm]),
                r.year.to_string(),
                text_cell(&r.measure),
                r.mean.to_string(),
                r.p2_5.to_string(),
                r.p50.to_string(),
                r.p97_5.to_string(),
            ])?;
        }
        Ok(())
    })
}
