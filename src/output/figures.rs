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

/// Tornado plots, one per comparison.
pub fn write_tornado_figures(
    dir: &Path,
    model: &crate::model::Model,
    measure: crate::analysis::sensitivity::Measure,
    bars: &[crate::analysis::sensitivity::TornadoBar],
) -> Result<Vec<PathBuf>, RunError> {
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let (label, format) = measure_label(measure, model.settings.threshold);
    let mut files = Vec::new();
    let mut arms: Vec<&str> = bars.iter().map(|b| b.arm.as_str()).collect();
    arms.dedup();
    for arm in arms {
        let mine: Vec<&crate::analysis::sensitivity::TornadoBar> = bars.iter().filter(|b| b.arm == arm).collect();
        let Some(first) = mine.first() else { continue };
        let plotted: Vec<plots::TornadoBar> = mine
            .iter()
            .map(|b| plots::TornadoBar {
                label: if b.scope == "base" {
                    b.parameter.clone()
                } else {
                    format!("{} ({})", b.parameter, b.scope)
                },
                low_value: b.low,
                high_value: b.high,
                at_low: b.at_low,
                at_high: b.at_high,
            })
            .collect();
        files.extend(
            plots::tornado(
                &dir.join(format!("tornado_{}", file_part(arm))),
                &format!("{title}: one-way sensitivity, {} vs {}", first.arm, first.comparator),
                &label,
                format,
                first.base,
                &plotted,
                "Each parameter at its 2.5th and 97.5th percentiles (or the given bounds), the others at their means.",
            )
            .map_err(failed)?,
        );
    }
    Ok(files)
}

/// A measure's axis label and number format.
fn measure_label(measure: crate::analysis::sensitivity::Measure, lambda: f64) -> (String, plots::ValueFormat) {
    match measure {
        crate::analysis::sensitivity::Measure::Bcr => ("£ back per £1 spent".into(), plots::ValueFormat::PerPound),
        crate::analysis::sensitivity::Measure::NetSavings => {
            ("Net savings per person".into(), plots::ValueFormat::Money)
        }
        crate::analysis::sensitivity::Measure::Inmb => (
            format!("INMB per person at λ = {}", crate::analysis::stats::money(lambda)),
            plots::ValueFormat::Money,
        ),
    }
}

/// The measure against the parameter for each comparison, with the break-even line and the crossings marked.
pub fn write_threshold_figures(
    dir: &Path,
    model: &crate::model::Model,
    thresholds: &[crate::analysis::sensitivity::Threshold],
) -> Result<Vec<PathBuf>, RunError> {
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let mut files = Vec::new();
    for t in thresholds {
        let (label, format) = measure_label(t.measure, model.settings.threshold);
        let x: Vec<f64> = t.curve.iter().map(|p| p.0).collect();
        let y: Vec<f64> = t.curve.iter().map(|p| p.1).collect();
        let series = [plots::Series {
            label: format!("{} vs {}", t.arm, t.comparator),
            x: &x,
            y: &y,
            band: None,
        }];
        let mut markers: Vec<(f64, String)> = t
            .crossings
            .iter()
            .map(|c| (*c, format!("threshold {}", crate::analysis::stats::figure(*c))))
            .collect();
        markers.push((
            t.base_value,
            format!("base case {}", crate::analysis::stats::figure(t.base_value)),
        ));
        let reference = if t.measure == crate::analysis::sensitivity::Measure::Bcr {
            "break-even: £1 back per £1"
        } else {
            "break-even"
        };
        files.extend(
            plots::sweep_lines(
                &dir.join(format!("threshold_{}", file_part(&t.arm))),
                &format!("{title}: {label} as {} varies", t.parameter),
                &t.parameter,
                &label,
                format,
                &series,
                Some((t.break_even, reference)),
                &markers,
                "On the model at its means (the other parameters fixed at their means).",
            )
            .map_err(failed)?,
        );
    }
    Ok(files)
}

/// The EVPPI bar chart, parameters and groups ranked largest first.
pub fn write_evppi_figure(
    dir: &Path,
    title: &str,
    lambda: f64,
    rows: &[crate::app::EvppiRow],
) -> Result<Vec<PathBuf>, RunError> {
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
        &dir.join("evppi"),
        &format!("{title}: expected value of partial perfect information"),
        &format!("λ = {} per unit of outcome", crate::analysis::stats::money(lambda)),
        method,
        &bars,
        evpi,
    )
    .map_err(failed)
}
