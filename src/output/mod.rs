//! Writing a run's outputs: the run directory (written whole, then renamed into place), CSV and JSON files, and the
//! terminal summary.

pub mod figures;
pub mod html;
pub mod plots;
pub mod tables;
pub mod terminal;

use crate::analysis::Analysis;
use crate::error::RunError;
use crate::model::{columns, Loaded, Model, Payer};
use crate::simulate::Results;
use serde::Serialize;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where a run came from and how it ran; written into summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub program: String,
    pub version: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub iterations: usize,
    pub mode: crate::model::Mode,
    /// The command that reproduces this run.
    pub command: String,
    /// Parameter changes made on the command line (`--set`), as written there.
    pub overrides: Vec<String>,
}

/// Facts about this particular execution that legitimately differ between identical runs.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub started_utc: String,
    pub wall_seconds: f64,
    pub simulation_seconds: f64,
    pub threads: usize,
}

/// The settings as they appear in summary.json (every convention spelled out, none silent).
#[derive(Debug, Serialize)]
struct SettingsEcho<'a> {
    horizon_years: usize,
    cycle: crate::model::schedule::CycleLength,
    cycles: usize,
    accrual: &'static str,
    discounting: crate::model::schedule::Discounting,
    discount_costs: String,
    discount_outcomes: String,
    cohort_size: u64,
    threshold: f64,
    wtp_points: usize,
    primary_outcome: Option<&'a str>,
    per_year_percentiles_from_iterations: usize,
}

#[derive(Serialize)]
struct SummaryFile<'a> {
    provenance: &'a Provenance,
    scenario: &'a crate::model::Meta,
    settings: SettingsEcho<'a>,
    states: &'a [crate::model::StateInfo],
    arms: &'a [crate::model::ArmInfo],
    subgroups: &'a [crate::model::SubgroupInfo],
    parameters: &'a [crate::model::ParameterInfo],
    results: &'a Analysis,
    /// Kept apart so that everything above is byte-identical for the same scenario and seed.
    timing: &'a Timing,
}

/// Creates `base/<scenario>/<run-id>` by writing into a hidden temporary directory and renaming it when complete.
pub struct RunDir {
    temp: PathBuf,
    final_dir: PathBuf,
}

impl RunDir {
    /// Prepares a new, never-used run directory name under `base/<scenario name>/`, ending in `tag` (e.g. `seed42`).
    pub fn create(base: &Path, scenario: &str, tag: &str) -> Result<Self, RunError> {
        let parent = base.join(scenario);
        fs::create_dir_all(&parent).map_err(|e| RunError {
            message: format!("cannot create the output directory {}: {e}", parent.display()),
        })?;
        let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
            .to_string()
            .replace([':', 'Z'], "");
        let id = format!("{stamp}-{tag}");
        remove_stale_incomplete(&parent);
        let temp = parent.join(format!(".incomplete-{id}-{}", std::process::id()));
        fs::create_dir(&temp).map_err(|e| RunError {
            message: format!("cannot create the run directory {}: {e}", temp.display()),
        })?;
        Ok(RunDir {
            temp,
            final_dir: parent.join(id),
        })
    }

    /// The directory to write into while the run is incomplete.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Renames the finished directory into place, adding -2, -3... if the name is taken: a run never overwrites another.
    pub fn finish(self) -> Result<PathBuf, RunError> {
        let mut target = self.final_dir.clone();
        for n in 2.. {
            if !target.exists() {
                break;
            }
            target = PathBuf::from(format!("{}-{n}", self.final_dir.display()));
        }
        fs::rename(&self.temp, &target).map_err(|e| RunError {
            message: format!("cannot move the finished run into {}: {e}", target.display()),
        })?;
        Ok(target)
    }

    /// Removes the incomplete directory (after a failure).
    pub fn abandon(self) {
        let _ = fs::remove_dir_all(&self.temp);
    }
}

/// Removes hidden `.incomplete-*-<pid>` directories left by runs whose process no longer exists (killed with
/// SIGKILL or by a power cut, so they could not clean up). Only where `/proc` tells which processes exist.
fn remove_stale_incomplete(parent: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(".incomplete-") else {
            continue;
        };
        let Some(pid) = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes summary.json, iterations.csv and per_year.csv into `dir`.
pub fn write_outputs(
    dir: &Path,
    loaded: &Loaded,
    results: &Results,
    table: &crate::analysis::PsaTable,
    analysis: &Analysis,
    provenance: &Provenance,
    timing: &Timing,
) -> Result<(), RunError> {
    let model = &loaded.model;
    let s = &model.settings;
    let summary = SummaryFile {
        provenance,
        scenario: &model.meta,
        settings: SettingsEcho {
            horizon_years: s.horizon_years,
            cycle: s.cycle,
            cycles: s.cycles(),
            accrual: s.accrual.name(),
            discounting: s.discounting,
            discount_costs: s.discount_costs.describe(),
            discount_outcomes: s.discount_outcomes.describe(),
            cohort_size: model.cohort_size,
            threshold: s.threshold,
            wtp_points: s.wtp.len(),
            primary_outcome: s.primary_outcome.map(|o| model.outcomes[o].as_str()),
            per_year_percentiles_from_iterations: results.yearly_sample_size(),
        },
        states: &model.states,
        arms: &model.arms,
        subgroups: &model.subgroups,
        parameters: &model.parameters,
        results: analysis,
        timing,
    };
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(|e| RunError::cannot_write(&path, e))?;
    fs::write(&path, text + "\n").map_err(|e| RunError::cannot_write(&path, e))?;
    write_iterations(&dir.join("iterations.csv"), model, results)?;
    write_per_year(&dir.join("per_year.csv"), model, results)?;
    let arms: Vec<String> = model.arms.iter().map(|a| a.name.clone()).collect();
    let comparators: Vec<Option<usize>> = model.arms.iter().map(|a| a.comparator).collect();
    tables::write_tables(dir, analysis, &arms, &comparators)?;
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let figures = figures::write_figures(dir, title, table, analysis)?;
    let report = html::ReportInput {
        title: title.to_string(),
        analysis,
        arms: model.arms.iter().map(|a| (a.name.clone(), a.label.clone())).collect(),
        loaded: Some(loaded),
        provenance: vec![
            (
                "Program".into(),
                format!("{} {}", provenance.program, provenance.version),
            ),
            ("Scenario file".into(), provenance.scenario_file.clone()),
            ("Scenario SHA-256".into(), provenance.scenario_sha256.clone()),
            ("Seed".into(), provenance.seed.to_string()),
            ("Iterations".into(), provenance.iterations.to_string()),
            ("Mode".into(), format!("{:?}", provenance.mode).to_lowercase()),
            (
                "Parameter changes (--set)".into(),
                if provenance.overrides.is_empty() {
                    "none".into()
                } else {
                    provenance.overrides.join(", ")
                },
            ),
            ("Run started (UTC)".into(), timing.started_utc.clone()),
            ("Threads".into(), timing.threads.to_string()),
            ("To reproduce".into(), provenance.command.clone()),
        ],
        figures: &figures,
    };
    html::write_report(dir, &report)
}

/// Names of the value columns as used in CSV headers.
pub fn column_headers(model: &Model) -> Vec<String> {
    let mut h = Vec::new();
    for kind in ["care", "cashable_care", "spend"] {
        for p in Payer::ALL {
            h.push(format!("{kind}_{}", p.name()));
        }
    }
    h.extend(model.outcomes.iter().cloned());
    h
}

fn write_iterations(path: &Path, model: &Model, results: &Results) -> Result<(), RunError> {
    let file = fs::File::create(path).map_err(|e| RunError::cannot_write(path, e))?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    let mut header = vec!["iteration".to_string(), "arm".to_string()];
    header.extend(column_headers(model));
    header.push("cost_total".to_string());
    w.write_record(&header).map_err(|e| RunError::cannot_write(path, e))?;
    // ryu writes the shortest text that reads back to the same f64, without an allocation per field: a million
    // iterations make tens of millions of fields.
    let mut number = ryu::Buffer::new();
    let mut integer = itoa::Buffer::new();
    for i in 0..results.iterations() {
        for (a, arm) in model.arms.iter().enumerate() {
            w.write_field(integer.format(i))
                .map_err(|e| RunError::cannot_write(path, e))?;
            w.write_field(&arm.name).map_err(|e| RunError::cannot_write(path, e))?;
            for c in 0..results.n_columns() {
                w.write_field(number.format(results.total(i, a, c)))
                    .map_err(|e| RunError::cannot_write(path, e))?;
            }
            w.write_field(number.format(results.total_cost(i, a)))
                .map_err(|e| RunError::cannot_write(path, e))?;
            w.write_record(None::<&[u8]>)
                .map_err(|e| RunError::cannot_write(path, e))?;
        }
    }
    w.flush().map_err(|e| RunError::cannot_write(path, e))
}

fn write_per_year(path: &Path, model: &Model, results: &Results) -> Result<(), RunError> {
    let file = fs::File::create(path).map_err(|e| RunError::cannot_write(path, e))?;
    let mut w = BufWriter::new(file);
    let err = |e: std::io::Error| RunError::cannot_write(path, e);
    writeln!(w, "arm,year,measure,mean,p2_5,p50,p97_5").map_err(err)?;
    let k = results.yearly_sample_size();
    // Measures: total cost by payer (spend + care), spend and care in total, and each outcome.
    let mut measures: Vec<(String, Vec<usize>)> = Payer::ALL
        .iter()
        .map(|&p| (format!("cost_{}", p.name()), vec![columns::care(p), columns::spend(p)]))
        .collect();
    measures.push((
        "spend_total".into(),
        Payer::ALL.iter().map(|&p| columns::spend(p)).collect(),
    ));
    measures.push((
        "care_total".into(),
        Payer::ALL.iter().map(|&p| columns::care(p)).collect(),
    ));
    measures.push((
        "cost_total".into(),
        Payer::ALL
            .iter()
            .flat_map(|&p| [columns::care(p), columns::spend(p)])
            .collect(),
    ));
    for (o, name) in model.outcomes.iter().enumerate() {
        measures.push((name.clone(), vec![columns::outcome(o)]));
    }
    // Kernel columns of each measure, looked up once.
    let kernel_of = |c: usize| results.kernel_column(c);
    // Gather each (arm, year)'s kernel values of all kept iterations into one contiguous block, then sum measures.
    let n_kernel = results.kernel_columns.len();
    let years = model.settings.horizon_years;
    let mut block = vec![0.0f64; k * n_kernel];
    let mut values = vec![0.0; k];
    for (a, arm) in model.arms.iter().enumerate() {
        for year in 0..years {
            for (i, row) in block.chunks_exact_mut(n_kernel.max(1)).enumerate() {
                for (kc, b) in row.iter_mut().enumerate() {
                    *b = f64::from(results.yearly_kernel_value(i, a, year, kc));
                }
            }
            for (name, cols) in &measures {
                let mean: f64 = cols.iter().map(|&c| results.yearly_mean[[a, year, c]]).sum();
                let kernel: Vec<usize> = cols.iter().filter_map(|&c| kernel_of(c)).collect();
                for (v, row) in values.iter_mut().zip(block.chunks_exact(n_kernel.max(1))) {
                    *v = kernel.iter().map(|&kc| row[kc]).sum();
                }
                // Percentiles come from single-precision values: print them at that precision.
                let [low, median, high] =
                    crate::analysis::stats::quantiles(&values, [0.025, 0.5, 0.975]).map(|q| q as f32);
                writeln!(
                    w,
                    "{},{},{},{},{},{},{}",
                    arm.name,
                    year + 1,
                    name,
                    mean,
                    low,
                    median,
                    high
                )
                .map_err(err)?;
            }
        }
    }
    w.flush().map_err(err)
}

/// summary.json of `carecast analyse`: where the sample came from, and the analyses.
#[derive(Serialize)]
struct AnalyseSummary<'a> {
    provenance: AnalyseProvenance<'a>,
    results: &'a Analysis,
}

#[derive(Serialize)]
struct AnalyseProvenance<'a> {
    program: &'static str,
    version: &'static str,
    input_file: String,
    input_sha256: &'a str,
    comparator: &'a str,
    effect: &'a str,
    wtp_points: usize,
    threshold: f64,
}

/// Writes the outputs of `carecast analyse`: summary.json and the analysis tables.
pub fn write_analyse_outputs(
    dir: &Path,
    input: &Path,
    sha256: &str,
    table: &crate::analysis::PsaTable,
    analysis: &Analysis,
) -> Result<(), RunError> {
    let comparator = table.comparisons().next().map_or("", |(_, c)| table.arms[c].as_str());
    let summary = AnalyseSummary {
        provenance: AnalyseProvenance {
            program: "carecast",
            version: env!("CARGO_PKG_VERSION"),
            input_file: input.display().to_string(),
            input_sha256: sha256,
            comparator,
            effect: table.outcomes.first().map_or("", String::as_str),
            wtp_points: analysis.acceptability.as_ref().map_or(0, |a| a.lambda.len()),
            threshold: analysis.threshold,
        },
        results: analysis,
    };
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(|e| RunError::cannot_write(&path, e))?;
    fs::write(&path, text + "\n").map_err(|e| RunError::cannot_write(&path, e))?;
    tables::write_tables(dir, analysis, &table.arms, &table.comparators)?;
    let title = input
        .file_name()
        .map_or("PSA sample".to_string(), |f| f.to_string_lossy().to_string());
    let figures = figures::write_figures(dir, &title, table, analysis)?;
    let report = html::ReportInput {
        title: format!("PSA sample {title}"),
        analysis,
        arms: table.arms.iter().cloned().zip(table.labels.iter().cloned()).collect(),
        loaded: None,
        provenance: vec![
            ("Program".into(), format!("carecast {}", env!("CARGO_PKG_VERSION"))),
            ("Input file".into(), input.display().to_string()),
            ("Input SHA-256".into(), sha256.to_string()),
            ("Comparator".into(), comparator.to_string()),
            ("Effect".into(), summary.provenance.effect.to_string()),
            ("Threshold λ".into(), crate::analysis::stats::money(analysis.threshold)),
        ],
        figures: &figures,
    };
    html::write_report(dir, &report)
}
