//! The per-iteration and per-year tables of a run: iterations.csv (one row per iteration and arm), parameters.csv
//! (one row per iteration: every sampled parameter) and per_year.csv (per arm, year and measure: mean and
//! percentiles).

use super::files::{csv_field, start_flushing, text_cell, write_csv, write_csv_in_pieces, OutputError};
use crate::analysis::per_year::PerYear;
use crate::analysis::voi::ParameterSample;
use crate::analysis::PsaTable;
use crate::model::Payers;
use std::path::Path;

/// Which iterations a run writes to its per-iteration files (iterations.csv and parameters.csv), and whether
/// gzip-compressed (iterations.csv.gz, parameters.csv.gz). No statistic a run reports depends on what is kept: this
/// is only what is written out for other tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// At most this many iterations, the first ones (None: every iteration). Iterations are independent draws, so
    /// the first n are a random sample of the run's.
    pub first: Option<usize>,
    pub gzip: bool,
}

impl Keep {
    /// What a run keeps unless told otherwise: every iteration up to 100,000 (53 MB of CSV for the reference
    /// workload), the first 100,000 of a larger run, whose full files would take longer to write than its simulation.
    pub const DEFAULT_FIRST: usize = 100_000;

    /// How many of `iterations` the files hold.
    pub fn rows(&self, iterations: usize) -> usize {
        self.first.map_or(iterations, |n| n.min(iterations))
    }

    /// The file name for `stem` ("iterations" → "iterations.csv" or "iterations.csv.gz").
    pub fn file_name(&self, stem: &str) -> String {
        if self.gzip {
            format!("{stem}.csv.gz")
        } else {
            format!("{stem}.csv")
        }
    }

    /// The files a run of `iterations` writes: none where it keeps none.
    pub fn files(&self, iterations: usize) -> Vec<String> {
        match self.rows(iterations) {
            0 => Vec::new(),
            _ => vec![self.file_name("iterations"), self.file_name("parameters")],
        }
    }

    /// What the files hold, in words: "every iteration", "the first 100,000 of 1,000,000 iterations", "none".
    pub fn describe(&self, iterations: usize) -> String {
        match self.rows(iterations) {
            0 => "no per-iteration files (--keep none)".to_string(),
            n if n == iterations => format!(
                "{} and {}: every iteration",
                self.file_name("iterations"),
                self.file_name("parameters")
            ),
            n => format!(
                "{} and {}: the first {} of {} iterations (--keep all writes every one)",
                self.file_name("iterations"),
                self.file_name("parameters"),
                super::format::thousands(n as u64),
                super::format::thousands(iterations as u64)
            ),
        }
    }
}

impl Default for Keep {
    fn default() -> Self {
        Keep {
            first: Some(Keep::DEFAULT_FIRST),
            gzip: false,
        }
    }
}

/// Writes the per-iteration files `keep` asks for into `dir`: iterations.csv and parameters.csv (or their .gz).
pub fn write_kept(dir: &Path, keep: Keep, table: &PsaTable, sample: &ParameterSample) -> Result<(), OutputError> {
    let rows = keep.rows(table.iterations());
    if rows == 0 {
        return Ok(());
    }
    let paths = [
        dir.join(keep.file_name("iterations")),
        dir.join(keep.file_name("parameters")),
    ];
    write_iterations_as(&paths[0], table, rows, keep.gzip)?;
    write_parameters_as(&paths[1], sample, rows, keep.gzip)?;
    // The largest files' disk writes brought forward, out of the wait at the end of the run (a tenth of a run of a
    // million iterations).
    start_flushing(paths.to_vec());
    Ok(())
}

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
    write_iterations_as(path, table, table.iterations(), false)
}

/// Writes the first `rows` iterations of iterations.csv, gzip-compressed where `gzip` is set.
fn write_iterations_as(path: &Path, table: &PsaTable, rows: usize, gzip: bool) -> Result<(), OutputError> {
    let Some(payers) = &table.payers else {
        return Err(OutputError::write(path, "the PSA table has no costs by payer"));
    };
    let names: Vec<String> = table.outcomes.iter().map(|o| o.name.clone()).collect();
    let arms: Vec<Vec<u8>> = table.arms.iter().map(|a| csv_field(&text_cell(a))).collect();
    write_csv_in_pieces(path, gzip, &iterations_header(&names, &payers.payers), rows, |w, i| {
        for (a, arm) in arms.iter().enumerate() {
            w.integer(i);
            w.field(arm);
            let n_payers = payers.payers.len();
            let care_from = w.len();
            (0..n_payers).for_each(|p| w.number(payers.care[[i, a, p]]));
            // The cashable costs are the care costs to the bit where none are kept apart: their text is copied, not
            // formatted again (the numbers' text is most of the per-iteration files' time).
            match &payers.cashable {
                None => w.repeat_since(care_from),
                Some(cashable) => (0..n_payers).for_each(|p| w.number(cashable[[i, a, p]])),
            }
            (0..n_payers).for_each(|p| w.number(payers.spend[[i, a, p]]));
            for o in 0..table.outcomes.len() {
                w.number(table.outcome_values[[i, a, o]]);
            }
            w.number(table.cost[[i, a]]);
            w.end_row();
        }
    })
}

/// Writes the first `rows` iterations of parameters.csv, gzip-compressed where `gzip` is set: `iteration` (as in
/// iterations.csv), then each sampled parameter's value in that iteration, one column per parameter and scope
/// (`name`, or `name@scope` where the name is sampled in several scopes), in full precision. It is the PSA's input
/// sample as voi, BCEA, dampack and SAVI take it, and `carecast analyse --parameters` reads it back.
fn write_parameters_as(path: &Path, sample: &ParameterSample, rows: usize, gzip: bool) -> Result<(), OutputError> {
    let mut header = vec!["iteration".to_string()];
    header.extend(sample.parameters.iter().map(|p| text_cell(&p.column)));
    write_csv_in_pieces(path, gzip, &header, rows, |w, i| {
        w.integer(i);
        for k in 0..sample.parameters.len() {
            w.number(sample.value(i, k));
        }
        w.end_row();
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
