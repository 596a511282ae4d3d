//! A sweep's files: sweep.json (the manifest that tells which shards belong together), sweep.csv (one row per
//! grid point and comparison, written as each point finishes), reading shards back for a merge, and the sweep plots.

use super::files::{write_text, OutputError};
use super::format::{file_part, money};
use super::plots::{self, ValueFormat};
use crate::analysis::Comparison;
use crate::error::InputError;
use crate::model::{Grid, Shard};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// What a sweep directory holds besides its table: enough to check that shards belong together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub program: String,
    pub version: String,
    pub scenarios: Vec<ScenarioEntry>,
    pub grid: Grid,
    /// `--set` changes that hold at every point, as written.
    #[serde(default)]
    pub overrides: Vec<String>,
    pub shard: Option<Shard>,
}

/// A swept scenario as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioEntry {
    pub name: String,
    pub file: String,
    pub sha256: String,
    pub seed: u64,
    pub iterations: usize,
    /// λ for the INMB and probability cost-effective columns.
    pub threshold: f64,
    pub primary_outcome: Option<String>,
}

/// The columns of sweep.csv after the varied parameters' values.
const RESULT_COLUMNS: [&str; 20] = [
    "arm",
    "comparator",
    "bcr",
    "bcr_p2_5",
    "bcr_p50",
    "bcr_p97_5",
    "prob_bcr_above_one",
    "net_savings",
    "net_savings_p2_5",
    "net_savings_p50",
    "net_savings_p97_5",
    "icer",
    "icer_quadrant",
    "lambda",
    "inmb",
    "inmb_p2_5",
    "inmb_p50",
    "inmb_p97_5",
    "prob_cost_effective",
    "iterations",
];

/// The header of sweep.csv: scenario, point, the varied parameters, then the results.
pub fn header(grid: &Grid) -> Vec<String> {
    let mut h = vec!["scenario".to_string(), "point".to_string()];
    h.extend(grid.axes.iter().map(|a| a.parameter.clone()));
    h.extend(RESULT_COLUMNS.iter().map(|c| c.to_string()));
    h
}

/// sweep.csv being written, a point at a time, so that memory does not grow with the number of points.
pub struct SweepTable {
    path: PathBuf,
    writer: csv::Writer<BufWriter<fs::File>>,
}

impl SweepTable {
    /// Writes `dir/sweep.json` and the header of `dir/sweep.csv`.
    pub fn create(dir: &Path, manifest: &Manifest) -> Result<Self, OutputError> {
        write_manifest(dir, manifest)?;
        let path = dir.join("sweep.csv");
        let file = fs::File::create(&path).map_err(|e| OutputError::write(&path, e))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        writer
            .write_record(header(&manifest.grid))
            .map_err(|e| OutputError::write(&path, e))?;
        Ok(SweepTable { path, writer })
    }

    /// The rows of one point of one scenario: the varied values, then each comparison's results at λ.
    pub fn write_point(
        &mut self,
        scenario: &str,
        point: usize,
        values: &[f64],
        comparisons: &[Comparison],
        lambda: f64,
        iterations: usize,
    ) -> Result<(), OutputError> {
        for c in comparisons {
            let mut record = vec![scenario.to_string(), point.to_string()];
            record.extend(values.iter().map(|v| number(*v)));
            record.extend(result_cells(c, lambda, iterations));
            self.writer
                .write_record(&record)
                .map_err(|e| OutputError::write(&self.path, e))?;
        }
        Ok(())
    }

    /// Flushes the table to disk.
    pub fn finish(mut self) -> Result<(), OutputError> {
        self.writer.flush().map_err(|e| OutputError::write(&self.path, e))
    }
}

/// Writes `dir/sweep.json`.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), OutputError> {
    let path = dir.join("sweep.json");
    let json = serde_json::to_string_pretty(manifest).map_err(|e| OutputError::write(&path, e))?;
    write_text(&path, &(json + "\n"))
}

/// A number as the shortest text that reads back to the same value; empty for "none".
fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn result_cells(c: &Comparison, lambda: f64, iterations: usize) -> Vec<String> {
    let opt = |x: Option<f64>| x.map_or(String::new(), number);
    let bcr = c.bcr_distribution;
    let inmb = c.inmb;
    vec![
        c.arm.clone(),
        c.comparator.clone(),
        opt(c.bcr),
        opt(bcr.map(|s| s.p2_5)),
        opt(bcr.map(|s| s.p50)),
        opt(bcr.map(|s| s.p97_5)),
        opt(c.prob_bcr_above_one),
        number(c.net_savings.mean),
        number(c.net_savings.p2_5),
        number(c.net_savings.p50),
        number(c.net_savings.p97_5),
        opt(c.icer.and_then(|i| i.value)),
        c.icer.map_or(String::new(), |i| {
            serde_json::to_value(i.quadrant).map_or(String::new(), |v| v.as_str().unwrap_or("").to_string())
        }),
        number(lambda),
        opt(inmb.map(|s| s.mean)),
        opt(inmb.map(|s| s.p2_5)),
        opt(inmb.map(|s| s.p50)),
        opt(inmb.map(|s| s.p97_5)),
        opt(c.prob_cost_effective),
        iterations.to_string(),
    ]
}

/// Reads a sweep directory's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, InputError> {
    let path = dir.join("sweep.json");
    let text = fs::read_to_string(&path).map_err(|e| {
        InputError::file(
            &path,
            format!("not a carecast sweep directory (cannot read sweep.json: {e})"),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| InputError::file(&path, format!("not a carecast sweep manifest: {e}")))
}

/// One row of a shard's sweep.csv, with the position of its scenario in the manifest and its grid point.
pub struct ShardRow {
    pub scenario: usize,
    pub point: usize,
    pub record: csv::StringRecord,
}

/// Reads the rows of the shard in `dir`, checking its columns against the sweep's `manifest`.
pub fn read_shard_rows(dir: &Path, manifest: &Manifest) -> Result<Vec<ShardRow>, InputError> {
    let expected_header = header(&manifest.grid);
    let path = dir.join("sweep.csv");
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| InputError::file(&path, format!("cannot read the shard's table: {e}")))?;
    let h: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::file(&path, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    if h != expected_header {
        return Err(InputError::file(&path, "its columns are not those of this sweep"));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| InputError::file(&path, e.to_string()))?;
        let scenario = manifest
            .scenarios
            .iter()
            .position(|s| s.name == record[0])
            .ok_or_else(|| {
                InputError::file(
                    &path,
                    format!("a row names scenario `{}`, not in the sweep", &record[0]),
                )
            })?;
        let point: usize = record[1]
            .parse()
            .map_err(|_| InputError::file(&path, format!("a row's point `{}` is not a number", &record[1])))?;
        rows.push(ShardRow {
            scenario,
            point,
            record,
        });
    }
    Ok(rows)
}

/// Writes a merged sweep: its manifest, the rows in the order given, and its plots.
pub fn write_merged(dir: &Path, manifest: &Manifest, rows: &[ShardRow]) -> Result<(), OutputError> {
    let mut table = SweepTable::create(dir, manifest)?;
    for r in rows {
        table
            .writer
            .write_record(&r.record)
            .map_err(|e| OutputError::write(&table.path, e))?;
    }
    table.finish()?;
    write_plots(dir, manifest).map(|_| ())
}

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
            .filter(|r| &r[0] == scenario.name.as_str())
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
        &dir.join(format!("sweep_{}_{measure}", scenario.name)),
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
            &dir.join(format!("sweep_{}_{}_{measure}", scenario.name, file_part(arm))),
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
