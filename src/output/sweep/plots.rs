//! The sweep plots: for one varied parameter, each measure against it; for two, heat maps of each measure.

use super::{Manifest, ScenarioEntry};
use crate::output::files::{text_cell, OutputError};
use crate::output::format::{money, FileNames};
use crate::output::plots::{self, ValueFormat};
use std::path::{Path, PathBuf};

/// A measure plotted from a sweep: its column, axis label, format, band columns and reference line.
struct Plotted {
    column: &'static str,
    label: &'static str,
    format: ValueFormat,
    band: Option<(&'static str, &'static str)>,
    reference: Option<(f64, &'static str)>,
}

const PLOTTED: [Plotted; 4] = [
    Plotted {
        column: "bcr",
        label: "£ back per £1 spent (whole system)",
        format: ValueFormat::PerPound,
        band: Some(("bcr_p2_5", "bcr_p97_5")),
        reference: Some((1.0, "break-even: £1 back per £1 spent")),
    },
    Plotted {
        column: "net_savings",
        label: "Net savings per person",
        format: ValueFormat::Money,
        band: Some(("net_savings_p2_5", "net_savings_p97_5")),
        reference: Some((0.0, "break-even")),
    },
    Plotted {
        column: "inmb",
        label: "Incremental net monetary benefit per person at λ",
        format: ValueFormat::Money,
        band: Some(("inmb_p2_5", "inmb_p97_5")),
        reference: Some((0.0, "INMB = 0")),
    },
    Plotted {
        column: "prob_cost_effective",
        label: "Probability cost-effective at λ",
        format: ValueFormat::Probability,
        band: None,
        reference: None,
    },
];

/// One comparison's values against the varied parameter.
struct Line {
    x: Vec<f64>,
    y: Vec<f64>,
    low: Vec<f64>,
    high: Vec<f64>,
}

/// A sweep table read back for plotting.
struct ReadBack {
    header: Vec<String>,
    records: Vec<csv::StringRecord>,
}

impl ReadBack {
    fn read(path: &Path) -> Result<Self, OutputError> {
        let failed = |e: &dyn std::fmt::Display| OutputError::PlotInput {
            path: path.to_path_buf(),
            why: e.to_string(),
        };
        let mut reader = csv::Reader::from_path(path).map_err(|e| failed(&e))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| failed(&e))?
            .iter()
            .map(String::from)
            .collect();
        let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().map_err(|e| failed(&e))?;
        Ok(ReadBack { header, records })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// A row's number in column `c`; NaN where there is none.
fn value(r: &csv::StringRecord, c: Option<usize>) -> f64 {
    c.and_then(|c| r[c].parse::<f64>().ok()).unwrap_or(f64::NAN)
}

/// One scenario's rows, and its arms in order of appearance.
struct ScenarioRows<'a> {
    scenario: &'a ScenarioEntry,
    rows: Vec<&'a csv::StringRecord>,
    arms: Vec<String>,
}

/// Plots a sweep's table: for one varied parameter, each measure against it (a line per comparison, with its 95%
/// band); for two, a heat map of each measure's mean per comparison; for more, none (the table has everything).
pub fn write_plots(dir: &Path, manifest: &Manifest) -> Result<Vec<PathBuf>, OutputError> {
    let table = ReadBack::read(&dir.join("sweep.csv"))?;
    let axes = &manifest.grid.axes;
    let mut files = Vec::new();
    if axes.is_empty() || axes.len() > 2 {
        return Ok(files);
    }
    for scenario in &manifest.scenarios {
        let rows: Vec<&csv::StringRecord> = table
            .records
            .iter()
            .filter(|r| r[0] == text_cell(&scenario.name))
            .collect();
        let mut arms: Vec<String> = Vec::new();
        for r in &rows {
            let a = r[2 + axes.len()].to_string();
            if !arms.contains(&a) {
                arms.push(a);
            }
        }
        let mine = ScenarioRows { scenario, rows, arms };
        let lambda = money(scenario.threshold);
        for plotted in &PLOTTED {
            let label = plotted.label.replace("λ", &format!("λ = {lambda}"));
            if axes.len() == 1 {
                files.extend(line_plot(dir, &table, &mine, plotted, &label, manifest)?);
            } else {
                files.extend(heat_maps(dir, &table, &mine, plotted, &label, manifest)?);
            }
        }
    }
    Ok(files)
}

/// One measure against the one varied parameter, a line per comparison with its 95% band.
fn line_plot(
    dir: &Path,
    table: &ReadBack,
    mine: &ScenarioRows,
    plotted: &Plotted,
    label: &str,
    manifest: &Manifest,
) -> Result<Vec<PathBuf>, OutputError> {
    let axes = &manifest.grid.axes;
    let (scenario, measure, band) = (mine.scenario, plotted.column, plotted.band);
    let lines: Vec<Line> = mine
        .arms
        .iter()
        .map(|arm| {
            let rows: Vec<&&csv::StringRecord> = mine
                .rows
                .iter()
                .filter(|r| &r[2 + axes.len()] == arm.as_str())
                .collect();
            let take = |c: Option<usize>| rows.iter().map(|r| value(r, c)).collect::<Vec<f64>>();
            Line {
                x: take(Some(2)),
                y: take(table.col(measure)),
                low: take(band.and_then(|b| table.col(b.0))),
                high: take(band.and_then(|b| table.col(b.1))),
            }
        })
        .collect();
    let series: Vec<plots::Series> = mine
        .arms
        .iter()
        .zip(&lines)
        .map(|(arm, line)| plots::Series {
            label: format!("{arm} vs its comparator"),
            x: &line.x,
            y: &line.y,
            band: band.map(|_| (line.low.as_slice(), line.high.as_slice())),
        })
        .collect();
    let note = if band.is_some() {
        format!(
            "Lines: means; bands: 2.5th–97.5th percentiles over {} iterations per point.",
            scenario.iterations
        )
    } else {
        format!("{} iterations per point.", scenario.iterations)
    };
    Ok(plots::sweep_lines(
        dir.join(format!("sweep_{}_{measure}", scenario.name)),
        &format!("{}: {label} as {} varies", scenario.name, axes[0].parameter),
        &axes[0].parameter,
        label,
        plotted.format,
        &series,
        plotted.reference,
        &[],
        &note,
    )?)
}

/// One measure's mean over the two varied parameters, a heat map per comparison.
fn heat_maps(
    dir: &Path,
    table: &ReadBack,
    mine: &ScenarioRows,
    plotted: &Plotted,
    label: &str,
    manifest: &Manifest,
) -> Result<Vec<PathBuf>, OutputError> {
    let axes = &manifest.grid.axes;
    let (scenario, measure) = (mine.scenario, plotted.column);
    let mut files = Vec::new();
    for arm in &mine.arms {
        let (xs, ys) = (&axes[1].values, &axes[0].values);
        // z[iy][ix]: the first axis varies slowest, so it is y; the second is x.
        let mut z = vec![vec![f64::NAN; xs.len()]; ys.len()];
        for r in mine.rows.iter().filter(|r| &r[2 + axes.len()] == arm.as_str()) {
            let point: usize = r[1].parse().unwrap_or(usize::MAX);
            if point < xs.len() * ys.len() {
                z[point / xs.len()][point % xs.len()] = value(r, table.col(measure));
            }
        }
        files.extend(plots::heat_map(
            dir.join(format!(
                "sweep_{}_{}_{measure}",
                scenario.name,
                FileNames::new(&mine.arms).of(arm)
            )),
            &format!("{}: {label}, {arm} vs its comparator", scenario.name),
            &axes[1].parameter,
            &axes[0].parameter,
            xs,
            ys,
            &z,
            label,
            plotted.format,
            plotted.reference.map(|(v, _)| v),
            &format!("Means over {} iterations per point.", scenario.iterations),
        )?);
    }
    Ok(files)
}
