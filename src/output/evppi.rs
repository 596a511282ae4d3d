//! The outputs of `carecast evppi`: evppi.csv and the ranked EVPPI bar chart.

use super::files::{text_cell, write_csv, OutputError};
use super::format::money;
use super::plots;
use crate::analysis::voi::EvppiRow;
use std::path::{Path, PathBuf};

/// Writes evppi.csv (a row per parameter and group: EVPPI per person and for the population, its standard error,
/// EVPI, the method and its notes) and the EVPPI plot into `dir`; `per` is what λ is per ("QALY", "bed day
/// avoided"). Returns the plot's files.
pub fn write_evppi(
    dir: &Path,
    title: &str,
    lambda: f64,
    per: &str,
    population: Option<f64>,
    rows: &[EvppiRow],
) -> Result<Vec<PathBuf>, OutputError> {
    let path = dir.join("evppi.csv");
    write_csv(&path, |w| {
        w.write_record([
            "parameter_or_group",
            "kind",
            "members",
            "lambda",
            "evppi_per_person",
            "se",
            "evpi_per_person",
            "evppi_population",
            "iterations",
            "method",
            "notes",
        ])?;
        let number = |x: f64| if x.is_finite() { x.to_string() } else { String::new() };
        for r in rows {
            let e = &r.estimate;
            w.write_record([
                text_cell(&r.label),
                r.kind.to_string(),
                text_cell(&r.members.join(" ")),
                number(lambda),
                number(e.value),
                number(e.se),
                number(e.evpi),
                population.map_or(String::new(), |p| number(p * e.value)),
                e.iterations.to_string(),
                text_cell(&e.method),
                text_cell(&e.notes.join("; ")),
            ])?;
        }
        Ok(())
    })?;
    write_evppi_figure(dir, title, lambda, per, rows)
}

/// The EVPPI bar chart, parameters and groups ranked largest first; `per` is what λ is per.
pub fn write_evppi_figure(
    dir: &Path,
    title: &str,
    lambda: f64,
    per: &str,
    rows: &[EvppiRow],
) -> Result<Vec<PathBuf>, OutputError> {
    let mut bars: Vec<(String, f64, f64)> = rows
        .iter()
        .map(|r| {
            let label = if r.kind == "group" {
                format!("{} (group)", r.label)
            } else {
                r.label.clone()
            };
            (label, r.estimate.value, r.estimate.se)
        })
        .collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let evpi = rows.first().map(|r| r.estimate.evpi);
    // The single parameters' method (a group's differs only in the smoother; evppi.csv has each estimate's own).
    let method = rows
        .iter()
        .find(|r| r.kind == "parameter")
        .or(rows.first())
        .map_or("", |r| r.estimate.method.as_str());
    plots::evppi_bars(
        dir.join("evppi"),
        &format!("{title}: expected value of partial perfect information"),
        &format!("λ = {} per {per}", money(lambda)),
        method,
        &bars,
        evpi,
    )
    .map_err(OutputError::from)
}
