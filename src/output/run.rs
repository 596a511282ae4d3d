//! Every file of a run directory (`carecast run`) and of an analysis directory (`carecast analyse`), from the
//! analysed results.

use super::files::OutputError;
use super::format::money;
use super::plots::Canvas;
use super::report::{self, Figures, ReportInput, ScenarioFacts};
use super::summary::{self, AnalyseProvenance, Provenance, Timing};
use super::{budget, figures, samples, tables, workbook};
use crate::analysis::budget::Budget;
use crate::analysis::cba::Cba;
use crate::analysis::per_year::PerYear;
use crate::analysis::plot_data::PlotData;
use crate::analysis::{Analysis, PsaTable};
use crate::model::{AsWritten, Model};
use std::path::Path;

/// What a run directory shows: the model and its inputs as written, where the run came from, and its analyses.
pub struct RunReport<'a> {
    pub model: &'a Model,
    pub as_written: &'a AsWritten,
    pub provenance: &'a Provenance,
    pub timing: &'a Timing,
    pub table: &'a PsaTable,
    pub analysis: &'a Analysis,
    pub per_year: &'a PerYear,
    pub plot_data: &'a PlotData,
    /// The budget impact, when the scenario gives a start date (budget.csv, its plot and the report's section).
    pub budget: Option<&'a Budget>,
    /// The local cost-benefit account, when the scenario has a `[cba]` block (cba.csv, summary.json, the report).
    pub cba: Option<&'a Cba>,
    /// Results by subgroup, where the scenario has two or more subgroups (else empty).
    pub subgroups: &'a [crate::analysis::subgroups::SubgroupResult],
    /// Which iterations the per-iteration files hold (written by [`samples::write_kept`], beside the plots and tables).
    pub keep: samples::Keep,
}

/// Every file of a run directory but the plots, the report and the per-iteration files: summary.json, per_year.csv,
/// the tables and the workbook.
fn write_tables_and_workbook(
    dir: &Path,
    run: &RunReport,
    title: &str,
    facts: ScenarioFacts,
) -> Result<(), OutputError> {
    summary::write_run_summary(&dir.join("summary.json"), run)?;
    samples::write_per_year(&dir.join("per_year.csv"), &run.table.arms, run.per_year)?;
    tables::write_tables(dir, run.analysis, &run.table.arms, &run.table.comparators)?;
    super::subgroups::write_subgroups(
        dir,
        (run.analysis, run.cba),
        run.subgroups,
        &run.table.arms,
        &run.table.comparators,
    )?;
    if let Some(b) = run.budget {
        budget::write_budget(&dir.join("budget.csv"), b)?;
    }
    if let Some(c) = run.cba {
        super::cba::write_cba(&dir.join("cba.csv"), c)?;
    }
    workbook::write_workbook(
        &dir.join("workbook.xlsx"),
        &workbook::WorkbookInput {
            title,
            facts,
            provenance: run.provenance,
            analysis: run.analysis,
            budget: run.budget,
            cba: run.cba,
            subgroups: run.subgroups,
        },
    )
}

/// Writes summary.json, per_year.csv, the analysis tables, the plots and report.html into `dir`: every file of a run
/// but the per-iteration ones ([`samples::write_kept`]).
pub fn write_run(dir: &Path, run: &RunReport) -> Result<(), OutputError> {
    let model = run.model;
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let arms: Vec<(String, String)> = model.arms.iter().map(|a| (a.name.clone(), a.label.clone())).collect();
    let facts = ScenarioFacts {
        model,
        as_written: run.as_written,
    };
    // The plots on one thread of the pool and the tables and workbook on another: they are independent files, and
    // each takes a large part of a small run's time. The report, which inlines the plots, comes after both.
    let (figures, tables) = rayon::join(
        || -> Result<Vec<std::path::PathBuf>, OutputError> {
            let mut figures =
                figures::write_figures(Canvas::Folder(dir), title, run.table, run.analysis, run.plot_data)?;
            if let Some(b) = run.budget {
                figures.extend(budget::budget_figures(Canvas::Folder(dir), b, &arms)?);
            }
            Ok(figures)
        },
        || write_tables_and_workbook(dir, run, title, facts),
    );
    let (figures, ()) = (figures?, tables?);
    // The files so far go to disk while the report is written, rather than all of them after it.
    super::files::start_flushing_tree(dir);
    let provenance = run.provenance;
    let input = ReportInput {
        title: title.to_string(),
        analysis: run.analysis,
        arms,
        budget: run.budget,
        cba: run.cba,
        subgroups: run.subgroups,
        scenario: Some(facts),
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
                super::format::set_changes(&provenance.overrides),
            ),
            ("Run started (UTC)".into(), run.timing.started_utc.clone()),
            ("Threads".into(), run.timing.threads.to_string()),
        ]
        .into_iter()
        .chain(run.timing.shards_merged.map(|n| {
            (
                "Simulated".into(),
                format!("in {n} shards (`run --shard`), merged by `carecast merge`"),
            )
        }))
        .chain([
            ("Per-iteration files".into(), run.keep.describe(provenance.iterations)),
            (
                "Percentiles".into(),
                super::format::percentiles_of(provenance.iterations),
            ),
            ("To reproduce".into(), provenance.command.clone()),
        ])
        .collect(),
        figures: Figures::Files(&figures),
        studies: &[],
    };
    report::write_report(dir, &input)
}

/// What `carecast analyse` shows: the sample it read, and its analyses.
pub struct AnalyseReport<'a> {
    pub input: &'a Path,
    pub sha256: &'a str,
    /// The parameter sample valued for EVPPI, if one was given.
    pub parameters: Option<&'a Path>,
    pub table: &'a PsaTable,
    pub analysis: &'a Analysis,
    pub plot_data: &'a PlotData,
    /// The EVPPI of the parameter sample, where one was given.
    pub studies: &'a [report::Study],
}

/// Writes the outputs of `carecast analyse`: summary.json, the analysis tables, the plots and report.html.
pub fn write_analyse(dir: &Path, report: &AnalyseReport) -> Result<(), OutputError> {
    let (table, analysis) = (report.table, report.analysis);
    let comparator = table.comparisons().next().map_or("", |(_, c)| table.arms[c].as_str());
    let effect = table.outcomes.first();
    let better = effect.map_or("", |o| o.better.name());
    let effect = effect.map_or("", |o| o.name.as_str());
    summary::write_analyse_summary(
        &dir.join("summary.json"),
        AnalyseProvenance {
            program: "carecast",
            version: env!("CARGO_PKG_VERSION"),
            input_file: report.input.display().to_string(),
            input_sha256: report.sha256,
            comparator,
            effect,
            effect_better: better,
            parameter_sample: report.parameters.map(|p| p.display().to_string()),
            wtp_points: analysis.acceptability.as_ref().map_or(0, |a| a.lambda.len()),
            threshold: analysis.threshold,
        },
        analysis,
    )?;
    tables::write_tables(dir, analysis, &table.arms, &table.comparators)?;
    let title = report
        .input
        .file_name()
        .map_or("PSA sample".to_string(), |f| f.to_string_lossy().to_string());
    let figures = figures::write_figures(Canvas::Folder(dir), &title, table, analysis, report.plot_data)?;
    let mut provenance = vec![
        ("Program".into(), format!("carecast {}", env!("CARGO_PKG_VERSION"))),
        ("Input file".into(), report.input.display().to_string()),
        ("Input SHA-256".into(), report.sha256.to_string()),
        ("Comparator".into(), comparator.to_string()),
        ("Effect".into(), format!("{effect} ({better} is better)")),
        ("Threshold λ".into(), money(analysis.threshold)),
    ];
    if let Some(p) = report.parameters {
        provenance.push(("Parameter sample (EVPPI in evppi.csv)".into(), p.display().to_string()));
    }
    let input = ReportInput {
        title: format!("PSA sample {title}"),
        analysis,
        arms: table.arms.iter().cloned().zip(table.labels.iter().cloned()).collect(),
        budget: None,
        cba: None,
        subgroups: &[],
        scenario: None,
        provenance,
        figures: Figures::Files(&figures),
        studies: report.studies,
    };
    report::write_report(dir, &input)
}
