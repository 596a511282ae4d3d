//! `carecast evppi`: the expected value of partial perfect information of every sampled parameter and of named
//! groups, from a PSA of the scenario.

use super::{load, Context, Error, ScenarioChanges};
use crate::analysis::voi::{evppi_rows, sampled_parameters, EvppiRow};
use crate::error::{suggest, InputError};
use crate::model::{AsWritten, Model, RunSettings};
use crate::output::evppi::write_evppi;
use crate::output::format::{per_unit, set_changes};
use crate::output::studies::{evppi_study, write_study_report, StudySource};
use crate::scenario::Override;
use std::path::{Path, PathBuf};

/// A finished EVPPI analysis.
#[derive(Debug)]
pub struct EvppiOutcome {
    pub rows: Vec<EvppiRow>,
    pub lambda: f64,
    /// What λ is per: "QALY", "bed day avoided".
    pub per: String,
    pub population: Option<f64>,
    pub dir: PathBuf,
    /// What each `--set` changed, and how the file was read where it is not an error (see [`crate::model::Model`]).
    pub set_changes: Vec<String>,
    pub warnings: Vec<String>,
}

/// Runs the scenario's PSA and estimates the EVPPI at `lambda` (default: the scenario's threshold) of every sampled
/// parameter and of each named group, by regression of the net monetary benefit on the sampled values (see
/// [`crate::analysis::evppi`]).
pub fn evppi(
    ctx: &Context,
    path: &Path,
    changes: &ScenarioChanges,
    lambda: Option<f64>,
    groups: &[(String, Vec<String>)],
) -> Result<EvppiOutcome, Error> {
    let loaded = load(path, changes)?;
    let model = &loaded.model;
    let (primary, lambda) = check_evppi(model, path, lambda, groups)?;
    let results = ctx.simulate(model, &loaded.run)?;
    let rows = ctx.install(|| evppi_rows(model, &results, primary, lambda, groups));
    let population = model.settings.population;
    let dir = ctx.run_dir(&model.meta.name, "evppi")?;
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let per = per_unit(&model.outcome_info[primary]);
    let as_written = AsWritten::of(&loaded.scenario.text);
    let source = StudySource {
        model,
        as_written: &as_written,
        file: &loaded.scenario.path,
        sha256: &loaded.scenario.sha256,
        details: vec![
            ("Seed".into(), loaded.run.seed.to_string()),
            ("Iterations".into(), loaded.run.iterations.to_string()),
            (
                "Parameter changes (--set)".into(),
                set_changes(&changes.overrides.iter().map(Override::describe).collect::<Vec<_>>()),
            ),
        ],
        command: evppi_command(path, &loaded.run, lambda, groups, changes),
    };
    let dir = ctx.publish(dir, |dir| {
        let files = write_evppi(dir, title, lambda, &per, population, &rows)?;
        let mut study = evppi_study(&rows, lambda, &per, population, &files)?;
        study.warnings.extend(
            model
                .set_changes
                .iter()
                .map(|c| format!("changed for this analysis: {c}")),
        );
        Ok(write_study_report(dir, &source, study)?)
    })?;
    Ok(EvppiOutcome {
        rows,
        lambda,
        per,
        population,
        dir,
        set_changes: model.set_changes.clone(),
        warnings: model.warnings.clone(),
    })
}

/// Checks what an EVPPI analysis of `model` needs before any work: an outcome to value, a valid λ (default: the
/// scenario's threshold), and groups of sampled parameters; returns the primary outcome and λ.
pub(super) fn check_evppi(
    model: &Model,
    path: &Path,
    lambda: Option<f64>,
    groups: &[(String, Vec<String>)],
) -> Result<(usize, f64), Error> {
    let primary = model.settings.primary_outcome.ok_or_else(|| {
        InputError::file(
            path,
            "EVPPI values the net monetary benefit, which needs an outcome; no state has one",
        )
    })?;
    let lambda = lambda.unwrap_or(model.settings.threshold);
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(InputError::usage("--lambda", "must be a non-negative amount").into());
    }
    let sampled = sampled_parameters(model);
    for (group, members) in groups {
        for m in members {
            if !sampled.iter().any(|p| p.is_named(m)) {
                let known: Vec<&str> = sampled.iter().map(|p| p.name.as_str()).collect();
                return Err(InputError::usage(
                    "--group",
                    format!(
                        "group `{group}`: `{m}` is not a sampled parameter of this scenario{}",
                        suggest(m, &known)
                    ),
                )
                .into());
            }
        }
    }
    Ok((primary, lambda))
}

/// The command that reproduces an EVPPI analysis.
fn evppi_command(
    path: &Path,
    run: &RunSettings,
    lambda: f64,
    groups: &[(String, Vec<String>)],
    changes: &ScenarioChanges,
) -> String {
    let mut command = format!(
        "carecast evppi {} --seed {} --iterations {} --lambda {lambda}",
        path.display(),
        run.seed,
        run.iterations
    );
    for (name, members) in groups {
        command.push_str(&format!(" --group {name}={}", members.join(",")));
    }
    for o in &changes.overrides {
        command.push_str(&format!(" --set {}", o.describe()));
    }
    command
}
