//! `carecast tornado` and `carecast threshold`: one-way and threshold analysis on the scenario at its parameters'
//! means.

use super::{Context, Error};
use crate::analysis::sensitivity::{threshold, tornado, Deterministic, Measure, Threshold, TornadoBar};
use crate::error::InputError;
use crate::model::compile_with;
use crate::model::{AsWritten, Loaded};
use crate::output::sensitivity::{
    write_threshold_csv, write_threshold_figures, write_tornado_csv, write_tornado_figures,
};
use crate::output::studies::{threshold_study, tornado_study, write_study_report, StudySource};
use std::path::{Path, PathBuf};

/// The scenario behind a deterministic analysis, for its report.
fn study_source<'a>(loaded: &'a Loaded, as_written: &'a AsWritten, command: String) -> StudySource<'a> {
    StudySource {
        model: &loaded.model,
        as_written,
        file: &loaded.scenario.path,
        sha256: &loaded.scenario.sha256,
        details: vec![(
            "Model".into(),
            "deterministic: every parameter at its mean except the one moved".into(),
        )],
        command,
    }
}

/// A finished one-way analysis.
#[derive(Debug)]
pub struct TornadoOutcome {
    pub bars: Vec<TornadoBar>,
    pub dir: PathBuf,
}

/// One-way (tornado) analysis on the deterministic model; writes tornado.csv and a plot per comparison. `bounds` are
/// low and high values for named parameters (default: their 2.5th and 97.5th percentiles).
pub fn tornado_analysis(
    ctx: &Context,
    path: &Path,
    measure: Measure,
    bounds: &[(String, f64, f64)],
) -> Result<TornadoOutcome, Error> {
    let loaded = crate::model::load(path)?;
    let extra: Vec<String> = bounds.iter().map(|(n, _, _)| n.clone()).collect();
    for (name, low, high) in bounds {
        if !loaded.model.has_parameter(name) {
            return Err(InputError::usage("--bounds", loaded.model.unknown_parameter(name)).into());
        }
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(InputError::usage("--bounds", format!("`{name}` needs LOW < HIGH, not {low}:{high}")).into());
        }
    }
    let det = Deterministic::new(compile_with(&loaded.scenario, &extra)?);
    let bars = ctx.install(|| tornado(&det, measure, bounds))?;
    let model = &loaded.model;
    let dir = ctx.run_dir(&model.meta.name, "tornado")?;
    let mut command = format!("carecast tornado {} --measure {}", path.display(), measure.name());
    for (name, low, high) in bounds {
        command.push_str(&format!(" --bounds {name}={low}:{high}"));
    }
    let as_written = AsWritten::of(&loaded.scenario.text);
    let source = study_source(&loaded, &as_written, command);
    let dir = ctx.publish(dir, |dir| {
        write_tornado_csv(&dir.join("tornado.csv"), measure, &bars)?;
        let files = write_tornado_figures(dir, model, measure, &bars)?;
        let study = tornado_study(model, measure, &bars, &files)?;
        Ok(write_study_report(dir, &source, study)?)
    })?;
    Ok(TornadoOutcome { bars, dir })
}

/// A finished threshold analysis.
#[derive(Debug)]
pub struct ThresholdOutcome {
    pub thresholds: Vec<Threshold>,
    pub dir: PathBuf,
}

/// Threshold analysis of `parameter` over `range` (default: its 0.1st to 99.9th percentiles) on the deterministic
/// model; writes threshold.csv and a plot per comparison.
pub fn threshold_analysis(
    ctx: &Context,
    path: &Path,
    parameter: &str,
    measure: Measure,
    range: Option<(f64, f64)>,
) -> Result<ThresholdOutcome, Error> {
    let loaded = crate::model::load(path)?;
    let det = Deterministic::new(compile_with(&loaded.scenario, &[parameter.to_string()])?);
    let thresholds = ctx.install(|| threshold(&det, parameter, measure, range))?;
    let model = &loaded.model;
    let dir = ctx.run_dir(&model.meta.name, "threshold")?;
    let mut command = format!(
        "carecast threshold {} --parameter {parameter} --measure {}",
        path.display(),
        measure.name()
    );
    if let Some((low, high)) = range {
        command.push_str(&format!(" --range {low}:{high}"));
    }
    let as_written = AsWritten::of(&loaded.scenario.text);
    let source = study_source(&loaded, &as_written, command);
    let dir = ctx.publish(dir, |dir| {
        write_threshold_csv(&dir.join("threshold.csv"), &thresholds)?;
        let files = write_threshold_figures(dir, model, &thresholds)?;
        let study = threshold_study(model, &thresholds, &files)?;
        Ok(write_study_report(dir, &source, study)?)
    })?;
    Ok(ThresholdOutcome { thresholds, dir })
}
