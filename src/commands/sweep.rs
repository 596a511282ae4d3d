//! `carecast sweep`: the PSA rerun over a grid of parameter values, one table row per grid point and comparison,
//! written as each point finishes; and deterministic slices of the grid (shards) for several machines.
//!
//! Each scenario is read and compiled once, with the varied parameters kept changeable
//! ([`crate::model::compile_with`]); a point only replaces their distributions in a copy of the compiled model
//! ([`crate::model::apply_overrides`]) and reruns the simulation with the scenario's seed. A point's rows depend on
//! nothing but the scenario, the seed and the point, so a shard's rows are the unsharded run's, bit for bit.

use super::{load, Context, Error, ScenarioChanges, SWEEP_INTERRUPTED};
use crate::analysis::{analyse, AnalysisOptions, PsaTable};
use crate::error::InputError;
use crate::model::{apply_overrides, compile_with, Grid, Loaded, Model, Shard};
use crate::output::sweep::{write_plots, Manifest, ScenarioEntry, SweepTable};
use crate::scenario::{Override, SweepAxis};
use crate::simulate::{self, Progress, SimulationError};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

/// The most points (grid points × scenarios) one sweep may have.
pub const MAX_SWEEP_POINTS: usize = 100_000_000;

/// What to sweep beyond the scenario files.
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// The grid (`--vary`); empty: each scenario's own `[sweep]`.
    pub vary: Vec<SweepAxis>,
    /// Iterations, seed and `--set` changes that hold at every point.
    pub changes: ScenarioChanges,
    pub shard: Option<Shard>,
}

/// A finished sweep (or shard).
#[derive(Debug)]
pub struct SweepOutcome {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Points this run computed.
    pub points: usize,
}

/// Runs a sweep of one or more scenarios over one grid and writes its table and plots.
pub fn sweep(ctx: &Context, paths: &[PathBuf], options: &SweepOptions) -> Result<SweepOutcome, Error> {
    if paths.is_empty() {
        return Err(InputError::usage("SCENARIO", "name at least one scenario file").into());
    }
    // The `--set` changes are applied to the models compiled for the sweep, with the axes kept changeable.
    let run_only = ScenarioChanges {
        overrides: Vec::new(),
        ..options.changes.clone()
    };
    let loaded: Vec<Loaded> = paths.iter().map(|p| load(p, &run_only)).collect::<Result<_, _>>()?;
    let axes = grid_axes(&loaded, &options.vary)?;
    let points = axes
        .iter()
        .try_fold(loaded.len(), |acc, a| acc.checked_mul(a.values.len()));
    if points.is_none_or(|p| p > MAX_SWEEP_POINTS) {
        return Err(InputError::usage(
            "--vary",
            format!("the grid has more than {MAX_SWEEP_POINTS} points; sweep fewer values, or split it with --shard"),
        )
        .into());
    }
    let names: Vec<&str> = loaded.iter().map(|l| l.model.meta.name.as_str()).collect();
    if let Some((i, n)) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)) {
        return Err(InputError::file(
            &loaded[i].scenario.path,
            format!("two scenarios are named `{n}`; a sweep's table tells them apart by name"),
        )
        .into());
    }
    let fixed = &options.changes.overrides;
    let models = prepare(&loaded, &axes, fixed)?;
    let manifest = Manifest {
        program: "carecast".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenarios: loaded
            .iter()
            .zip(&models)
            .map(|(l, m)| ScenarioEntry {
                name: m.meta.name.clone(),
                file: l.scenario.path.display().to_string(),
                sha256: l.scenario.sha256.clone(),
                seed: l.run.seed,
                iterations: l.run.iterations,
                threshold: m.settings.threshold,
                primary_outcome: m.settings.primary_outcome.map(|o| m.outcomes[o].clone()),
                comparisons: m.arms.iter().filter(|a| a.comparator.is_some()).count(),
            })
            .collect(),
        grid: Grid::new(&axes),
        overrides: fixed.iter().map(Override::describe).collect(),
        shard: options.shard,
        contents: None,
    };
    let tag = options
        .shard
        .map_or_else(|| "sweep".to_string(), |s| format!("shard-{}-of-{}", s.index, s.count));
    let dir = ctx.run_dir("sweep", &tag)?;
    let mut finished = None;
    let dir = ctx.publish_or_say(dir, SWEEP_INTERRUPTED, |dir| {
        let manifest = ctx.install(|| run_points(ctx, dir, &loaded, &models, &axes, &manifest))?;
        // A shard's plots would show a slice of the grid: they come with the merge.
        if options.shard.is_none() {
            write_plots(dir, &manifest)?;
        }
        finished = Some(manifest);
        Ok(())
    })?;
    let manifest = finished.expect("a published sweep has its manifest");
    let points = manifest.contents.as_ref().map_or(0, |c| c.points);
    Ok(SweepOutcome { dir, manifest, points })
}

/// The axes of the grid: `--vary`, or else the scenarios' shared `[sweep]`.
fn grid_axes(loaded: &[Loaded], vary: &[SweepAxis]) -> Result<Vec<SweepAxis>, InputError> {
    if !vary.is_empty() {
        return Ok(vary.to_vec());
    }
    let first = &loaded[0];
    if first.model.sweep.is_empty() {
        return Err(InputError::file(
            &first.scenario.path,
            "nothing to vary: give --vary NAME=FROM:TO:STEPS, or a [sweep] table in the scenario",
        ));
    }
    if let Some(other) = loaded.iter().find(|l| l.model.sweep != first.model.sweep) {
        return Err(InputError::file(
            &other.scenario.path,
            format!(
                "its [sweep] differs from that of {}: one sweep has one grid; give --vary, or sweep them separately",
                first.scenario.path.display()
            ),
        ));
    }
    Ok(first.model.sweep.clone())
}

/// Compiles each scenario once, with the axes' parameters changeable, and checks every axis against it.
///
/// `fixed` are `--set` changes that hold at every point.
fn prepare(loaded: &[Loaded], axes: &[SweepAxis], fixed: &[Override]) -> Result<Vec<Model>, InputError> {
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
                    ));
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

/// Runs this shard's points of every scenario in order, writing each point's rows as it finishes; returns the
/// manifest with what the table holds.
fn run_points(
    ctx: &Context,
    dir: &Path,
    loaded: &[Loaded],
    models: &[Model],
    axes: &[SweepAxis],
    manifest: &Manifest,
) -> Result<Manifest, Error> {
    let mut table = SweepTable::create(dir, manifest)?;
    let grid = &manifest.grid;
    let mine = (0..grid.points())
        .filter(|&p| manifest.shard.is_none_or(|s| s.includes(p)))
        .count();
    if let Some(p) = ctx.progress() {
        p.total.store(mine * loaded.len(), Ordering::Relaxed);
    }
    let mut done = 0;
    for (l, model) in loaded.iter().zip(models) {
        for point in (0..grid.points()).filter(|&p| manifest.shard.is_none_or(|s| s.includes(p))) {
            if ctx.interrupted() {
                return Err(Error::Interrupted(SWEEP_INTERRUPTED));
            }
            let values = grid.at(point);
            let overrides: Vec<_> = axes.iter().zip(&values).map(|(a, &v)| a.at(v)).collect();
            let mut m = model.clone();
            apply_overrides(&mut m, &l.scenario, &overrides)?;
            // The point's own counters, so that Ctrl-C stops a long point too.
            let part = ctx.progress().map(Progress::part);
            let results = simulate::run(&m, &l.run, part.as_ref()).map_err(|source| match source {
                SimulationError::Interrupted => Error::Interrupted(SWEEP_INTERRUPTED),
                source => Error::SweepPoint {
                    scenario: l.scenario.path.clone(),
                    point: overrides.iter().map(Override::describe).collect::<Vec<_>>().join(", "),
                    source,
                },
            })?;
            let table_of_point = PsaTable::from_results(&m, &results);
            // Only λ itself: the sweep reports INMB and P(cost-effective) at the scenario's threshold.
            let options = AnalysisOptions {
                wtp: vec![m.settings.threshold],
                threshold: m.settings.threshold,
                population: None,
            };
            let analysis = analyse(&table_of_point, &options);
            table.write_point(
                &m.meta.name,
                point,
                &values,
                &analysis.comparisons,
                m.settings.threshold,
                results.iterations(),
            )?;
            done += 1;
            if let Some(p) = ctx.progress() {
                p.done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let manifest = table.finish()?;
    debug_assert_eq!(manifest.contents.as_ref().map(|c| c.points), Some(done));
    Ok(manifest)
}
