//! Sweeps: the PSA rerun over a grid of parameter values, one table row per grid point and comparison, written as
//! each point finishes; deterministic slices of the grid (shards) for several machines, and their merge.
//!
//! Each scenario is read and compiled once, with the varied parameters kept changeable
//! ([`crate::model::compile_with`]); a point only replaces their distributions in a copy of the compiled model
//! ([`crate::model::apply_overrides`]) and reruns the simulation with the scenario's seed. A point's rows depend on
//! nothing but the scenario, the seed and the point, so a shard's rows are the unsharded run's, bit for bit.

use crate::analysis::{analyse, AnalysisOptions, PsaTable};
use crate::error::{Error, InputError, RunError};
use crate::model::{apply_overrides, compile_with, Loaded, Model};
use crate::scenario::{Override, SweepAxis};
use crate::simulate::{self, Progress};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The K-th of N deterministic slices of a sweep's points (1-based): points p with p mod N = K − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("expected K/N with 1 ≤ K ≤ N (e.g. 3/10), not `{text}`");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    fn includes(&self, point: usize) -> bool {
        point % self.count == self.index - 1
    }
}

/// The grid: every combination of the axes' values, the first axis varying slowest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub axes: Vec<GridAxis>,
}

/// One axis of the grid as recorded in a sweep's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridAxis {
    /// `name` or `name.field`.
    pub parameter: String,
    pub values: Vec<f64>,
}

impl Grid {
    fn new(axes: &[SweepAxis]) -> Self {
        Grid {
            axes: axes
                .iter()
                .map(|a| GridAxis {
                    parameter: a.label(),
                    values: a.values.clone(),
                })
                .collect(),
        }
    }

    /// Number of points.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The values of every axis at a point.
    pub fn at(&self, point: usize) -> Vec<f64> {
        let mut rest = point;
        let mut values = vec![0.0; self.axes.len()];
        for (k, axis) in self.axes.iter().enumerate().rev() {
            values[k] = axis.values[rest % axis.values.len()];
            rest /= axis.values.len();
        }
        values
    }
}

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

/// A finished sweep.
#[derive(Debug)]
pub struct SweepOutcome {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Points this run computed.
    pub points: usize,
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

/// Compiles each scenario once, with the axes' parameters changeable, and checks every axis against it.
///
/// `fixed` are `--set` changes that hold at every point.
pub fn prepare(loaded: &[Loaded], axes: &[SweepAxis], fixed: &[Override]) -> Result<Vec<Model>, Error> {
    let mut names: Vec<String> = axes.iter().map(|a| a.name.clone()).collect();
    names.extend(fixed.iter().map(|o| o.name.clone()));
    loaded
        .iter()
        .map(|l| {
            let mut model = compile_with(&l.scenario, &names)?;
            apply_overrides(&mut model, &l.scenario, fixed)?;
            // Every value of every axis is checked before the first point runs, so a bad value fails at once.
            for axis in axes {
                if !model.overridable.iter().any(|o| o.name == axis.name) {
                    return Err(InputError::usage(
                        format!("--vary {}", axis.label()),
                        format!("{}: {}", l.scenario.path.display(), model.unknown_parameter(&axis.name)),
                    )
                    .into());
                }
                for &v in &axis.values {
                    let mut probe = model.clone();
                    apply_overrides(&mut probe, &l.scenario, &[axis.at(v)]).map_err(|e| {
                        InputError::usage(
                            format!("--vary {}", axis.label()),
                            format!("{}: at {}: {}", l.scenario.path.display(), v, e.message),
                        )
                    })?;
                }
            }
            Ok(model)
        })
        .collect()
}

/// Runs the sweep (or one shard of it) and writes `sweep.csv` and `sweep.json` into a new directory under `base`.
pub fn run(
    loaded: &[Loaded],
    models: &[Model],
    axes: &[SweepAxis],
    fixed: &[Override],
    shard: Option<Shard>,
    base: &Path,
    progress: Option<&Progress>,
) -> Result<SweepOutcome, Error> {
    let grid = Grid::new(axes);
    let manifest = Manifest {
        program: "carecast".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenarios: loaded
            .iter()
            .zip(models)
            .map(|(l, m)| ScenarioEntry {
                name: m.meta.name.clone(),
                file: l.scenario.path.display().to_string(),
                sha256: l.scenario.sha256.clone(),
                seed: l.run.seed,
                iterations: l.run.iterations,
                threshold: m.settings.threshold,
                primary_outcome: m.settings.primary_outcome.map(|o| m.outcomes[o].clone()),
            })
            .collect(),
        grid,
        overrides: fixed.iter().map(Override::describe).collect(),
        shard,
    };
    let tag = shard.map_or_else(|| "sweep".to_string(), |s| format!("shard-{}-of-{}", s.index, s.count));
    let dir = crate::output::RunDir::create(base, "sweep", &tag).map_err(|e| InputError::usage("--out", e.message))?;
    let result = write_sweep(dir.path(), loaded, models, axes, &manifest, progress).and_then(|points| {
        // A shard's plots would show a slice of the grid: they come with the merge.
        if shard.is_none() {
            write_plots(dir.path(), &manifest)?;
        }
        Ok(points)
    });
    match result {
        Ok(points) => {
            let dir = dir.finish()?;
            Ok(SweepOutcome { dir, manifest, points })
        }
        Err(e) => {
            dir.abandon();
            Err(e)
        }
    }
}

fn header(grid: &Grid) -> Vec<String> {
    let mut h = vec!["scenario".to_string(), "point".to_string()];
    h.extend(grid.axes.iter().map(|a| a.parameter.clone()));
    h.extend(RESULT_COLUMNS.iter().map(|c| c.to_string()));
    h
}

fn write_sweep(
    dir: &Path,
    loaded: &[Loaded],
    models: &[Model],
    axes: &[SweepAxis],
    manifest: &Manifest,
    progress: Option<&Progress>,
) -> Result<usize, Error> {
    let path = dir.join("sweep.json");
    let json = serde_json::to_string_pretty(manifest).map_err(|e| RunError::cannot_write(&path, e))?;
    fs::write(&path, json + "\n").map_err(|e| RunError::cannot_write(&path, e))?;
    let path = dir.join("sweep.csv");
    let file = fs::File::create(&path).map_err(|e| RunError::cannot_write(&path, e))?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    w.write_record(header(&manifest.grid))
        .map_err(|e| RunError::cannot_write(&path, e))?;
    let mine = (0..manifest.grid.points())
        .filter(|&p| manifest.shard.is_none_or(|s| s.includes(p)))
        .count();
    if let Some(p) = progress {
        p.total.store(mine * loaded.len(), std::sync::atomic::Ordering::Relaxed);
    }
    let mut done = 0;
    for (l, model) in loaded.iter().zip(models) {
        for point in 0..manifest.grid.points() {
            if manifest.shard.is_some_and(|s| !s.includes(point)) {
                continue;
            }
            if progress.is_some_and(|p| p.cancel.load(std::sync::atomic::Ordering::Relaxed)) {
                return Err(Error::Interrupted(RunError {
                    message: "the sweep was interrupted; nothing was written".into(),
                }));
            }
            let values = manifest.grid.at(point);
            let overrides: Vec<_> = axes.iter().zip(&values).map(|(a, &v)| a.at(v)).collect();
            let mut m = model.clone();
            apply_overrides(&mut m, &l.scenario, &overrides)?;
            let results = simulate::run(&m, &l.run, None).map_err(|e| RunError {
                message: format!(
                    "{} at {}: {}",
                    l.scenario.path.display(),
                    describe(&overrides),
                    e.message
                ),
            })?;
            let table = PsaTable::from_results(&m, &results);
            // Only λ itself: the sweep reports INMB and P(cost-effective) at the scenario's threshold.
            let options = AnalysisOptions {
                wtp: vec![m.settings.threshold],
                threshold: m.settings.threshold,
                population: None,
            };
            let analysis = analyse(&table, &options);
            for c in &analysis.comparisons {
                let mut record = vec![m.meta.name.clone(), point.to_string()];
                record.extend(values.iter().map(|v| number(*v)));
                record.extend(result_cells(c, m.settings.threshold, results.iterations()));
                w.write_record(&record).map_err(|e| RunError::cannot_write(&path, e))?;
            }
            done += 1;
            if let Some(p) = progress {
                p.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    w.flush().map_err(|e| RunError::cannot_write(&path, e))?;
    Ok(done)
}

fn describe(overrides: &[crate::scenario::Override]) -> String {
    overrides.iter().map(|o| o.describe()).collect::<Vec<_>>().join(", ")
}

/// A number as the shortest text that reads back to the same value; empty for "none".
fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn result_cells(c: &crate::analysis::Comparison, lambda: f64, iterations: usize) -> Vec<String> {
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

/// Combines the shards of one sweep into the table an unsharded run writes, in a new directory under `base`.
pub fn merge(dirs: &[PathBuf], base: &Path) -> Result<SweepOutcome, Error> {
    if dirs.is_empty() {
        return Err(InputError::usage("DIR", "name the shard directories to merge").into());
    }
    let manifests: Vec<Manifest> = dirs.iter().map(|d| read_manifest(d)).collect::<Result<_, _>>()?;
    let first = &manifests[0];
    let count = first
        .shard
        .map(|s| s.count)
        .ok_or_else(|| InputError::file(&dirs[0], "this sweep was not sharded: there is nothing to merge"))?;
    let mut seen = vec![None::<&Path>; count];
    for (m, d) in manifests.iter().zip(dirs) {
        let same = Manifest {
            shard: first.shard,
            ..m.clone()
        };
        if same != *first {
            return Err(InputError::file(
                d,
                format!(
                    "this shard is of a different sweep from {} (scenario files, their contents, seeds, iterations, the grid or the program version differ)",
                    dirs[0].display()
                ),
            )
            .into());
        }
        let s = m.shard.filter(|s| s.count == count).ok_or_else(|| {
            InputError::file(
                d,
                format!("this is not one of the {count} shards of {}", dirs[0].display()),
            )
        })?;
        if let Some(other) = seen[s.index - 1] {
            return Err(InputError::file(
                d,
                format!("shard {}/{count} is given twice (also {})", s.index, other.display()),
            )
            .into());
        }
        seen[s.index - 1] = Some(d);
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(InputError::usage("DIR", format!("shard {}/{count} is missing", missing + 1)).into());
    }
    // Rows keyed by (scenario position, point), each shard's rows kept in their order within a point.
    let expected_header = header(&first.grid);
    let mut rows: Vec<(usize, usize, csv::StringRecord)> = Vec::new();
    for d in dirs {
        let path = d.join("sweep.csv");
        let mut reader = csv::Reader::from_path(&path)
            .map_err(|e| InputError::file(&path, format!("cannot read the shard's table: {e}")))?;
        let h: Vec<String> = reader
            .headers()
            .map_err(|e| InputError::file(&path, e.to_string()))?
            .iter()
            .map(String::from)
            .collect();
        if h != expected_header {
            return Err(InputError::file(&path, "its columns are not those of this sweep").into());
        }
        for record in reader.records() {
            let record = record.map_err(|e| InputError::file(&path, e.to_string()))?;
            let scenario = first
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
            rows.push((scenario, point, record));
        }
    }
    rows.sort_by_key(|(s, p, _)| (*s, *p));
    let expected_points = first.grid.points() * first.scenarios.len();
    let mut distinct: Vec<(usize, usize)> = rows.iter().map(|(s, p, _)| (*s, *p)).collect();
    distinct.dedup();
    if distinct.len() != expected_points {
        return Err(InputError::usage(
            "DIR",
            format!(
                "the shards hold {} of the sweep's {expected_points} points: a shard is incomplete",
                distinct.len()
            ),
        )
        .into());
    }
    let manifest = Manifest {
        shard: None,
        ..first.clone()
    };
    let dir =
        crate::output::RunDir::create(base, "sweep", "merged").map_err(|e| InputError::usage("--out", e.message))?;
    let write = || -> Result<(), RunError> {
        let path = dir.path().join("sweep.json");
        let json = serde_json::to_string_pretty(&manifest).map_err(|e| RunError::cannot_write(&path, e))?;
        fs::write(&path, json + "\n").map_err(|e| RunError::cannot_write(&path, e))?;
        let path = dir.path().join("sweep.csv");
        let file = fs::File::create(&path).map_err(|e| RunError::cannot_write(&path, e))?;
        let mut w = csv::Writer::from_writer(BufWriter::new(file));
        w.write_record(&expected_header)
            .map_err(|e| RunError::cannot_write(&path, e))?;
        for (_, _, r) in &rows {
            w.write_record(r).map_err(|e| RunError::cannot_write(&path, e))?;
        }
        w.flush().map_err(|e| RunError::cannot_write(&path, e))?;
        let mut inner = w.into_inner().map_err(|e| RunError::cannot_write(&path, e))?;
        inner.flush().map_err(|e| RunError::cannot_write(&path, e))?;
        drop(inner);
        write_plots(dir.path(), &manifest).map(|_| ())
    };
    if let Err(e) = write() {
        dir.abandon();
        return Err(e.into());
    }
    let points = distinct.len();
    let dir = dir.finish()?;
    Ok(SweepOutcome { dir, manifest, points })
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

use crate::output::plots::ValueFormat;

/// Plots a sweep's table: for one varied parameter, each measure against it (a line per comparison, with its 95%
/// band); for two, a heat map of each measure's mean per comparison; for more, none (the table has everything).
pub fn write_plots(dir: &Path, manifest: &Manifest) -> Result<Vec<PathBuf>, RunError> {
    let path = dir.join("sweep.csv");
    let failed = |e: &dyn std::fmt::Display| RunError {
        message: format!("cannot plot {}: {e}", path.display()),
    };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| failed(&e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| failed(&e))?
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().map_err(|e| failed(&e))?;
    let value = |r: &csv::StringRecord, c: Option<usize>| c.and_then(|c| r[c].parse::<f64>().ok()).unwrap_or(f64::NAN);
    let axes = &manifest.grid.axes;
    let mut files = Vec::new();
    if axes.is_empty() || axes.len() > 2 {
        return Ok(files);
    }
    let plot_error = |e: crate::output::plots::PlotError| RunError { message: e.to_string() };
    for scenario in &manifest.scenarios {
        let rows: Vec<&csv::StringRecord> = records.iter().filter(|r| &r[0] == scenario.name.as_str()).collect();
        let mut arms: Vec<String> = Vec::new();
        for r in &rows {
            let a = r[2 + axes.len()].to_string();
            if !arms.contains(&a) {
                arms.push(a);
            }
        }
        let lambda = crate::analysis::stats::money(scenario.threshold);
        for Plotted {
            column: measure,
            label,
            format,
            band,
            reference,
        } in PLOTTED
        {
            let label = label.replace("λ", &format!("λ = {lambda}"));
            if axes.len() == 1 {
                let lines: Vec<Line> = arms
                    .iter()
                    .map(|arm| {
                        let mine: Vec<&&csv::StringRecord> =
                            rows.iter().filter(|r| &r[2 + axes.len()] == arm.as_str()).collect();
                        let take = |c: Option<usize>| mine.iter().map(|r| value(r, c)).collect::<Vec<f64>>();
                        Line {
                            x: take(Some(2)),
                            y: take(col(measure)),
                            low: take(band.and_then(|b| col(b.0))),
                            high: take(band.and_then(|b| col(b.1))),
                        }
                    })
                    .collect();
                let series: Vec<crate::output::plots::Series> = arms
                    .iter()
                    .zip(&lines)
                    .map(|(arm, line)| crate::output::plots::Series {
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
                files.extend(
                    crate::output::plots::sweep_lines(
                        &dir.join(format!("sweep_{}_{measure}", scenario.name)),
                        &format!("{}: {label} as {} varies", scenario.name, axes[0].parameter),
                        &axes[0].parameter,
                        &label,
                        format,
                        &series,
                        reference,
                        &[],
                        &note,
                    )
                    .map_err(plot_error)?,
                );
            } else {
                for arm in &arms {
                    let (xs, ys) = (&axes[1].values, &axes[0].values);
                    // z[iy][ix]: the first axis varies slowest, so it is y; the second is x.
                    let mut z = vec![vec![f64::NAN; xs.len()]; ys.len()];
                    for r in rows.iter().filter(|r| &r[2 + axes.len()] == arm.as_str()) {
                        let point: usize = r[1].parse().unwrap_or(usize::MAX);
                        if point < xs.len() * ys.len() {
                            z[point / xs.len()][point % xs.len()] = value(r, col(measure));
                        }
                    }
                    files.extend(
                        crate::output::plots::heat_map(
                            &dir.join(format!(
                                "sweep_{}_{}_{measure}",
                                scenario.name,
                                crate::output::figures::file_part(arm)
                            )),
                            &format!("{}: {label}, {arm} vs its comparator", scenario.name),
                            &axes[1].parameter,
                            &axes[0].parameter,
                            xs,
                            ys,
                            &z,
                            &label,
                            format,
                            reference.map(|(v, _)| v),
                            &format!("Means over {} iterations per point.", scenario.iterations),
                        )
                        .map_err(plot_error)?,
                    );
                }
            }
        }
    }
    Ok(files)
}
