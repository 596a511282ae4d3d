//! `carecast run`: a scenario's PSA, its analyses, and its run directory.

use super::load::{check_memory, load_unchecked};
use super::{Context, Error, ScenarioChanges};
use crate::analysis::subgroups::SubgroupResult;
use crate::analysis::{self, Analysis};
use crate::model::{AsWritten, Loaded, Model, RunSettings};
use crate::output::{self, Provenance, RunReport, Timing};
use crate::scenario::Override;
use crate::simulate::Results;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A finished run.
#[derive(Debug)]
pub struct RunOutcome {
    pub loaded: Loaded,
    pub results: Results,
    pub analysis: Analysis,
    /// The budget impact, when the scenario gives a start date.
    pub budget: Option<analysis::budget::Budget>,
    /// The local cost-benefit account, when the scenario has a `[cba]` block.
    pub cba: Option<analysis::cba::Cba>,
    /// Results by subgroup, where the scenario has two or more subgroups (else empty).
    pub subgroups: Vec<SubgroupResult>,
    /// The run directory.
    pub dir: PathBuf,
    pub timing: Timing,
}

/// The runs behind the first, each only where it is needed: the model binned by cycle, for payback in weeks, months
/// or quarters where cycles are shorter than a year; and the model undiscounted, for the budget impact in cash where
/// a start date asks for it and something is discounted.
fn extra_models(model: &Model) -> (Option<Model>, Option<Model>) {
    let cash = model.settings.start_year.and_then(|_| model.undiscounted());
    (model.by_cycle(), cash)
}

/// Whether a run of `model` is simulated and analysed a block at a time ([`crate::simulate::run_blocks`]), in
/// memory that does not grow with its iterations: when its analyses need nothing beyond the running sums and the
/// first block ([`analyses_stream`]) and the command allows it ([`Context::may_stream`]). Either way the numbers are
/// the same bits.
fn streamed(ctx: &Context, loaded: &Loaded) -> bool {
    analyses_stream(&loaded.model) && ctx.may_stream(loaded.run.iterations)
}

/// Whether the analyses of a run of `model` need nothing beyond running sums and its first block: no run behind it
/// (see [`extra_models`]), no subgroups, no cost-benefit account (which reads every iteration's spend).
pub(super) fn analyses_stream(model: &Model) -> bool {
    let (by_cycle, cash) = extra_models(model);
    by_cycle.is_none() && cash.is_none() && model.subgroups.len() < 2 && model.cba.is_none()
}

/// Simulates and analyses `model` a block at a time; returns the first block's results (which hold every iteration
/// the per-iteration files keep), the analyses, and the seconds spent simulating. Given `early`, the per-iteration
/// files are written into it as soon as the first block is analysed, while the other blocks are simulated: their disk
/// writes are then done by the end of the run, where written with the other files they were its last wait (15 and 11
/// ms of flushing, the two files side by side, at the end of a run of a million iterations). On more than one thread
/// they are written on a thread of their own, so that the blocks go on meanwhile: written in the first block's turn,
/// which the later blocks waited for, they left one core idle while each piece of text was written out.
fn run_streamed(
    ctx: &Context,
    model: &Model,
    loaded: &Loaded,
    early: Option<&Path>,
) -> Result<(Results, analysis::RunAnalysis, f64), Error> {
    let mut analysed = analysis::BlockAnalysis::new(model);
    let (done, written) = std::thread::scope(|scope| {
        let mut writer = None;
        let each = |block: Results| -> Result<Option<Results>, Error> {
            let first_fed = analysed.first_block().is_none();
            let back = analysed.feed(model, block);
            if let Some(dir) = early.filter(|_| first_fed) {
                let head = std::sync::Arc::clone(analysed.first_block().expect("a block was fed"));
                // A run asked to use one thread keeps to it: the files are written in the block's turn, as before.
                if rayon::current_num_threads() > 1 {
                    writer = Some(scope.spawn(move || write_kept_alone(ctx, model, dir, &head)));
                } else {
                    write_kept(ctx, model, dir, &head.0, &head.1)?;
                }
            }
            Ok(back)
        };
        let done = ctx.simulate_blocks(model, &loaded.run, each);
        let written = writer.map(|w| w.join().expect("the per-iteration files' writer does not panic"));
        (done, written)
    });
    let done = done??;
    written.transpose()?;
    let (yearly_mean, simulation_seconds) = (done.yearly_mean, done.simulating.as_secs_f64());
    let (analysed, head) = ctx
        .install(|| analysed.finish(model, yearly_mean))
        .expect("a run has at least one iteration");
    Ok((head, analysed, simulation_seconds))
}

/// Writes the per-iteration files of a run's first block into `dir`, on one thread of a pool of its own: beside the
/// run's blocks, which keep the run's threads busy (the same bytes on any number of threads).
fn write_kept_alone(
    ctx: &Context,
    model: &Model,
    dir: &Path,
    head: &(Results, analysis::PsaTable),
) -> Result<(), Error> {
    let alone = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| output::OutputError::write(dir, e.to_string()))?;
    alone.install(|| write_kept(ctx, model, dir, &head.0, &head.1))
}

/// Writes the per-iteration files of `results` (a run, or its first block) and their PSA `table` into `dir`, on the
/// current pool.
fn write_kept(
    ctx: &Context,
    model: &Model,
    dir: &Path,
    results: &Results,
    table: &analysis::PsaTable,
) -> Result<(), Error> {
    let parameters = analysis::voi::ParameterSample::of(model, results);
    Ok(output::samples::write_kept(dir, ctx.keep(), table, &parameters)?)
}

/// Runs the [`extra_models`] of `model`, counted on the run's progress (see [`run`]).
fn extra_runs(ctx: &Context, model: &Model, run: &RunSettings) -> Result<(Option<Results>, Option<Results>), Error> {
    let (by_cycle, cash) = extra_models(model);
    let by_cycle = by_cycle.map(|m| ctx.simulate(&m, run)).transpose()?;
    let cash = cash.map(|m| ctx.simulate(&m, run)).transpose()?;
    Ok((by_cycle, cash))
}

/// Every model a run of `model` simulates after `model` itself, in the order [`run`] simulates them: its extra
/// models, then each subgroup with people alone followed by its own (what a shard of the run simulates).
pub(super) fn later_models(model: &Model) -> Vec<Model> {
    let with_extras = |m: &Model| {
        let (by_cycle, cash) = extra_models(m);
        by_cycle.into_iter().chain(cash)
    };
    let mut out: Vec<Model> = with_extras(model).collect();
    for g in 0..model.subgroups.len() {
        if let Some(alone) = model.for_subgroup(g) {
            let extras: Vec<Model> = with_extras(&alone).collect();
            out.push(alone);
            out.extend(extras);
        }
    }
    out
}

/// Analyses a run of `model` with its extra runs (see [`extra_runs`]): payback in cycles and the budget impact; the
/// per-year table only `with_per_year`.
fn analyse(
    ctx: &Context,
    model: &Model,
    results: &Results,
    (by_cycle, cash): (Option<&Results>, Option<&Results>),
    with_per_year: bool,
) -> (analysis::RunAnalysis, Option<analysis::budget::Budget>) {
    let mut analysed = ctx.install(|| analysis::analyse_run_with(model, results, with_per_year));
    // Payback in the model's own cycles, where they are shorter than a year, from the run binned by cycle (in years
    // the analysis has it already).
    if let Some(by_cycle) = by_cycle {
        analysed.analysis.payback_cycles = analysis::payback_cycles::cycle_payback(
            &analysed.table,
            &by_cycle.payback_year,
            model.settings.cycle.name(),
            model.settings.cycles(),
        );
    }
    let budget = (model.settings.start_year)
        .map(|start| analysis::budget::budget(model, results, cash.unwrap_or(results), start));
    (analysed, budget)
}

/// Results by subgroup where the scenario has two or more: each subgroup alone ([`Model::for_subgroup`]) run with
/// the same seed and iterations, and analysed as a run, one at a time so that only one subgroup's results are held;
/// a subgroup with no people is left out.
pub fn subgroup_runs(ctx: &Context, model: &Model, loaded: &Loaded) -> Result<Vec<SubgroupResult>, Error> {
    let people = model.subgroup_people();
    let mut out = Vec::new();
    for (g, info) in model.subgroups.iter().enumerate() {
        let Some(alone) = model.for_subgroup(g) else { continue };
        let results = ctx.simulate(&alone, &loaded.run)?;
        let (by_cycle, cash) = extra_runs(ctx, &alone, &loaded.run)?;
        let (analysed, budget) = analyse(ctx, &alone, &results, (by_cycle.as_ref(), cash.as_ref()), true);
        let cba = (alone.cba.as_ref()).map(|settings| analysis::cba::cba(&alone, &results, settings));
        out.push(SubgroupResult {
            name: info.name.clone(),
            label: info.label.clone(),
            share: info.share,
            people: people[g],
            analysis: analysed.analysis,
            per_year: analysed.per_year,
            budget,
            cba,
        });
    }
    Ok(out)
}

/// Warnings where `--set` changes left an arm no different from its comparator: the same outcomes in every iteration
/// (and the same costs), which an override of a value the arm set for itself can do silently.
fn arms_made_alike(analysis: &Analysis, changes: &ScenarioChanges) -> Vec<String> {
    if changes.overrides.is_empty() {
        return Vec::new();
    }
    let set: Vec<String> = changes
        .overrides
        .iter()
        .map(|o| format!("--set {}", o.describe()))
        .collect();
    let none = |s: &analysis::stats::Summary| s.mean == 0.0 && s.se == 0.0;
    (analysis.comparisons.iter())
        .filter(|c| !c.incremental_outcomes.is_empty() && c.incremental_outcomes.iter().all(none))
        .map(|c| {
            let costs = if none(&c.incremental_cost) {
                "and the same costs: every difference is zero"
            } else {
                "so they now differ only in their costs"
            };
            format!(
                "with {}, {} and {} have the same outcomes in every iteration, {costs}; check that the change did not \
                 replace the arm's own value",
                set.join(" "),
                c.arm,
                c.comparator
            )
        })
        .collect()
}

/// Simulates `model` with every iteration held, and the runs behind it, then analyses them; returns the results,
/// the analyses, the budget impact and the seconds spent simulating.
fn run_held(
    ctx: &Context,
    model: &Model,
    loaded: &Loaded,
) -> Result<(Results, analysis::RunAnalysis, Option<analysis::budget::Budget>, f64), Error> {
    let simulation = Instant::now();
    let results = ctx.simulate(model, &loaded.run)?;
    let (by_cycle, cash) = extra_runs(ctx, model, &loaded.run)?;
    let simulation_seconds = simulation.elapsed().as_secs_f64();
    let extra = (by_cycle.as_ref(), cash.as_ref());
    let (analysed, budget) = analyse(ctx, model, &results, extra, true);
    Ok((results, analysed, budget, simulation_seconds))
}

/// Runs a scenario end to end and writes its run directory.
pub fn run(ctx: &Context, scenario: &Path, changes: &ScenarioChanges) -> Result<RunOutcome, Error> {
    let started = Instant::now();
    let started_utc = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let loaded = load_unchecked(scenario, changes)?;
    let streamed = streamed(ctx, &loaded);
    check_memory(&loaded, loaded.run.iterations, streamed)?;
    let model = &loaded.model;
    // The progress bar counts every simulation the run makes, its extra runs and subgroups too, so that its count
    // and time left cover them rather than the first alone.
    ctx.count_progress_over(loaded.run.iterations.saturating_mul(1 + later_models(model).len()));
    let dir = ctx.run_dir(&model.meta.name, &format!("seed{}", loaded.run.seed))?;
    // Where there are blocks after the first to simulate, the per-iteration files are written while they are (see
    // [`run_streamed`]); a run of one block writes them beside the plots, which take one thread for most of it.
    let early = streamed && loaded.run.iterations > crate::simulate::BLOCK;
    let outcome = if streamed {
        run_streamed(ctx, model, &loaded, early.then(|| dir.path())).map(|(results, analysed, seconds)| {
            let budget =
                (model.settings.start_year).map(|start| analysis::budget::budget(model, &results, &results, start));
            (results, analysed, budget, seconds)
        })
    } else {
        run_held(ctx, model, &loaded)
    };
    let (results, mut analysed, budget, mut simulation_seconds) = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            dir.abandon();
            return Err(e);
        }
    };
    analysed
        .analysis
        .warnings
        .extend(arms_made_alike(&analysed.analysis, changes));
    let cba = (model.cba.as_ref()).map(|settings| analysis::cba::cba(model, &results, settings));
    // The subgroups' runs count as simulation, with their analyses (small beside the runs).
    let subgroups_started = Instant::now();
    let subgroups = match subgroup_runs(ctx, model, &loaded) {
        Ok(subgroups) => subgroups,
        Err(e) => {
            dir.abandon();
            return Err(e);
        }
    };
    simulation_seconds += subgroups_started.elapsed().as_secs_f64();
    let provenance = Provenance::of_run(
        &loaded.scenario.path,
        &loaded.scenario.sha256,
        model.settings.mode,
        loaded.run.seed,
        loaded.run.iterations,
        changes.overrides.iter().map(Override::describe).collect(),
    );
    let timing = Timing {
        started_utc,
        wall_seconds: started.elapsed().as_secs_f64(),
        simulation_seconds,
        threads: ctx.threads(),
        shards_merged: ctx.shards_merged(),
    };
    let as_written = AsWritten::of(&loaded.scenario.text);
    let dir = ctx.publish(dir, |dir| {
        let report = RunReport {
            model,
            as_written: &as_written,
            provenance: &provenance,
            timing: &timing,
            table: &analysed.table,
            analysis: &analysed.analysis,
            per_year: &analysed.per_year,
            plot_data: &analysed.plot_data,
            budget: budget.as_ref(),
            cba: cba.as_ref(),
            subgroups: &subgroups,
            keep: ctx.keep(),
        };
        let kept = (!early).then_some(&results);
        write_files(ctx, dir, &report, kept)
    })?;
    Ok(RunOutcome {
        loaded,
        results,
        analysis: analysed.analysis,
        budget,
        cba,
        subgroups,
        dir,
        timing,
    })
}

/// Writes a run's report, tables and plots into `dir`, and its per-iteration files from `kept` (its results) where
/// given: unless written already, by a run in blocks. On the pool, the per-iteration files beside the rest: the plots
/// take one thread for most of a small run's writing, and the files (formatted in parallel pieces) fill the other.
fn write_files(ctx: &Context, dir: &Path, report: &RunReport, kept: Option<&Results>) -> Result<(), Error> {
    let (written, kept) = ctx.install(|| {
        rayon::join(
            || output::write_run(dir, report),
            || match kept {
                Some(results) => write_kept(ctx, report.model, dir, results, report.table),
                None => Ok(()),
            },
        )
    });
    written?;
    kept
}

/// A run's results held in memory, as `carecast serve` shows them: the headline analyses, plots' data and budget
/// impact of [`run`] with the same changes and seed, without its subgroups, cost-benefit account, per-year table
/// (`analysed.per_year` is empty: [`analysis::per_year::PerYear::not_computed`]) or files.
#[derive(Debug)]
pub struct WhatIf {
    pub model: Model,
    pub run: RunSettings,
    pub analysed: analysis::RunAnalysis,
    /// The budget impact, when the scenario gives a start date.
    pub budget: Option<analysis::budget::Budget>,
}

/// Runs `scenario` with `changes` as [`run`] would and analyses it in memory: the same simulations (with the runs
/// behind it: payback by cycle, the budget in cash), the same analyses (but the per-year table) and warnings, so the
/// same numbers to the bit; nothing is written. A run the user cancels through `ctx`'s progress is [`Error::Interrupted`].
pub fn what_if(
    ctx: &Context,
    scenario: &crate::scenario::Scenario,
    changes: &ScenarioChanges,
) -> Result<WhatIf, Error> {
    let loaded = super::load::load_parsed(scenario.clone(), changes)?;
    check_memory(&loaded, loaded.run.iterations, false)?;
    let (model, run) = (loaded.model, loaded.run);
    let (by_cycle, cash) = extra_models(&model);
    ctx.count_progress_over(
        run.iterations
            .saturating_mul(1 + usize::from(by_cycle.is_some()) + usize::from(cash.is_some())),
    );
    let results = ctx.simulate(&model, &run)?;
    let (by_cycle, cash) = extra_runs(ctx, &model, &run)?;
    // Without the per-year table, which the page does not show (`carecast run` writes it).
    let (mut analysed, budget) = analyse(ctx, &model, &results, (by_cycle.as_ref(), cash.as_ref()), false);
    analysed
        .analysis
        .warnings
        .extend(arms_made_alike(&analysed.analysis, changes));
    Ok(WhatIf {
        model,
        run,
        analysed,
        budget,
    })
}
