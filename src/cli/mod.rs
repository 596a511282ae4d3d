//! The command line: arguments validated into the commands' options ([`args`]), each command run in a
//! [`Context`], and what it returns printed on the terminal. `main.rs` only calls [`execute`] and exits with the
//! code it gives.

pub mod args;
mod progress;

use crate::analysis::csv_input::CsvOptions;
use crate::analysis::AnalysisOptions;
use crate::commands::{self, Context, Error, MergeOutcome, MergedRun, SweepOptions};
use crate::error::InputError;
use crate::model::Shard;
use crate::output::format::{per_unit, percentiles_of};
use crate::output::reproduction::{self, markdown_table};
use crate::output::run_shard::ShardedCommand;
use crate::output::samples::Keep;
use crate::output::terminal;
use crate::simulate::Progress;
use args::{
    AnalyseArgs, Cli, Command, EvppiArgs, MergeArgs, ReproduceArgs, RunArgs, ServeArgs, SweepArgs, ThresholdArgs,
    TornadoArgs, TwowayArgs,
};
use std::path::Path;
use std::sync::Arc;

/// Writes to standard output; if the reader has gone (`carecast ... | head`), stops quietly instead of panicking.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// Runs the command the arguments name and prints what it found; the error says which exit code to give.
pub fn execute(cli: Cli) -> Result<(), Error> {
    // Every command answers Ctrl-C: it stops, and leaves nothing half-written behind.
    let interrupted = match cli.command {
        Command::Sweep(_) => commands::SWEEP_INTERRUPTED,
        Command::Serve(_) => commands::SERVE_STOPPED,
        _ => commands::RUN_INTERRUPTED,
    };
    let progress = progress::cancellable_progress(interrupted);
    match cli.command {
        Command::Run(args) => run(args, progress),
        Command::Analyse(args) => analyse(args, progress),
        Command::Reproduce(args) => reproduce(args, progress),
        Command::Sweep(args) => sweep(args, progress),
        Command::Merge(args) => merge(args, progress),
        Command::Compare(args) => {
            let ctx = Context::new(None, args.out.out)?.with_progress(progress);
            let outcome = commands::compare(&ctx, &args.dirs)?;
            emit(&crate::output::compare::compare_lines(&outcome.comparison));
            emit(&format!("\n{}\n", outcome.dir.display()));
            Ok(())
        }
        Command::Tornado(args) => tornado(args, progress),
        Command::Threshold(args) => threshold(args, progress),
        Command::Twoway(args) => twoway(args, progress),
        Command::Evppi(args) => evppi(args, progress),
        Command::Serve(args) => serve(args, progress),
        Command::Check(args) => {
            let loaded = commands::check(&args.scenario)?;
            emit(&terminal::check_line(&args.scenario, &loaded.model));
            emit(&terminal::check_details(&loaded.model));
            Ok(())
        }
    }
}

fn serve(args: ServeArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        InputError::usage(
            "--listen",
            format!("expected ADDRESS:PORT such as 127.0.0.1:8150, not `{}`", args.listen),
        )
    })?;
    if args.max_iterations == 0 || args.max_iterations > crate::model::MAX_ITERATIONS {
        return Err(InputError::usage(
            "--max-iterations",
            format!("must be from 1 to {}", crate::model::MAX_ITERATIONS),
        )
        .into());
    }
    if !(1..=64).contains(&args.max_runs) {
        return Err(InputError::usage("--max-runs", "must be from 1 to 64").into());
    }
    if !listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {listen}, not this machine's loopback address: anyone who can reach it can run \
             models here and save runs into the output folder"
        );
    }
    let paths = if args.paths.is_empty() {
        vec![std::path::PathBuf::from("scenarios")]
    } else {
        args.paths
    };
    let ctx = Context::new(args.threads.threads, args.out.out)?;
    let options = crate::serve::ServeOptions {
        paths,
        listen,
        max_iterations: args.max_iterations,
        max_runs: args.max_runs,
    };
    crate::serve::serve(ctx, options, progress, |address, count, unreadable| {
        for why in unreadable {
            eprintln!("warning: not served: {why}");
        }
        emit(&format!(
            "carecast serve: {count} scenario{} at {address} (Ctrl-C stops it)\n",
            if count == 1 { "" } else { "s" }
        ));
    })
}

fn run(args: RunArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let changes = args.size.with(&args.set)?;
    let keep = args.keep.keep()?;
    let shard = args::parse_shard(args.shard.as_deref())?;
    let ctx = (Context::new(args.threads.threads, args.out.out)?)
        .with_progress(progress.clone())
        .with_keep(keep);
    if let Some(shard) = shard {
        let command = ShardedCommand::Run {
            keep_first: keep.first,
            gzip: keep.gzip,
        };
        return run_shard(&ctx, &args.scenario, &changes, command, shard, args.quiet, &progress);
    }
    let outcome = progress::with_progress(!args.quiet, "iterations", &progress, || {
        commands::run(&ctx, &args.scenario, &changes)
    })?;
    print_run(&outcome, keep, args.quiet);
    Ok(())
}

/// What a run says on the terminal: the note on the per-iteration files, changes and warnings, then (unless `quiet`)
/// its summary, and its directory.
fn print_run(outcome: &commands::RunOutcome, keep: Keep, quiet: bool) {
    let iterations = outcome.loaded.run.iterations;
    if keep.rows(iterations) < iterations {
        eprintln!("note: {}", keep.describe(iterations));
    }
    if iterations > crate::analysis::stats::PERCENTILE_VALUES {
        eprintln!(
            "note: percentiles (intervals, medians) are of {}",
            percentiles_of(iterations)
        );
    }
    echo_changes(&outcome.loaded.model.set_changes, &outcome.loaded.model.warnings);
    if !quiet {
        emit(&terminal::summary_table(&outcome.loaded.model, &outcome.analysis));
        emit(&crate::output::subgroups::terminal_lines(
            &outcome.analysis,
            &outcome.subgroups,
        ));
        if let Some(budget) = &outcome.budget {
            emit(&crate::output::budget::budget_lines(budget));
        }
        if let Some(cba) = &outcome.cba {
            emit(&crate::output::cba::cba_lines(cba));
        }
        emit("\n");
        emit(&terminal::run_time(
            outcome.loaded.run.iterations,
            outcome.timing.simulation_seconds,
            outcome.timing.threads,
        ));
    }
    emit(&format!("{}\n", outcome.dir.display()));
}

/// Runs one shard of a run or EVPPI analysis and says what it holds.
fn run_shard(
    ctx: &Context,
    scenario: &Path,
    changes: &commands::ScenarioChanges,
    command: ShardedCommand,
    (shard, from): (Shard, String),
    quiet: bool,
    progress: &Arc<Progress>,
) -> Result<(), Error> {
    let outcome = progress::with_progress(!quiet, "iterations", progress, || {
        commands::run_shard(ctx, scenario, changes, command, (shard, &from))
    })?;
    if !quiet {
        emit(&terminal::shard_line(&outcome.manifest));
    }
    emit(&format!("{}\n", outcome.dir.display()));
    Ok(())
}

fn merge(args: MergeArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let ctx = Context::new(args.threads.threads, args.out.out)?.with_progress(progress);
    match commands::merge(ctx, &args.dirs)? {
        MergeOutcome::Sweep(outcome) => emit(&format!("{}\n", outcome.dir.display())),
        MergeOutcome::Run(MergedRun::Run { outcome, keep }) => print_run(&outcome, keep, args.quiet),
        MergeOutcome::Run(MergedRun::Evppi(outcome)) => print_evppi(&outcome, args.quiet),
    }
    Ok(())
}

fn analyse(args: AnalyseArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let options = analysis_options(&args.wtp, args.threshold, args.population)?;
    let ctx = Context::new(None, args.out.out)?.with_progress(progress);
    let csv = CsvOptions {
        effect: args.effect,
        comparator: args.comparator,
        better: args::parse_better(&args.better)?,
        label: args.effect_label,
        unit: args.effect_unit,
    };
    let groups = args::parse_groups(&args.group)?;
    let parameters = match args.parameters {
        Some(path) => Some(commands::ParameterInput { path, groups }),
        None if !groups.is_empty() => {
            return Err(InputError::usage(
                "--group",
                "groups are valued from a parameter sample: give --parameters",
            )
            .into())
        }
        None => None,
    };
    let outcome = commands::analyse_file(&ctx, &args.file, &csv, &options, parameters.as_ref())?;
    emit(&terminal::results_table(&outcome.analysis));
    if let Some(rows) = &outcome.evppi {
        let per = outcome.analysis.primary().map_or_else(String::new, per_unit);
        emit(&terminal::evppi_table(rows, options.threshold, &per));
    }
    emit(&terminal::file_name_notes(&outcome.table.arms));
    emit(&format!("{}\n", outcome.dir.display()));
    Ok(())
}

fn reproduce(args: ReproduceArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let scenarios = if args.scenarios.is_empty() {
        commands::bundled_scenarios(Path::new("scenarios"))?
    } else {
        args.scenarios
    };
    let changes = args.size.with(&Default::default())?;
    let ctx = Context::new(args.threads.threads, args.out)?.with_progress(progress);
    let outcome = commands::reproduce(&ctx, &scenarios, &changes)?;
    emit(&markdown_table(&outcome.rows));
    emit(&reproduction::counts(&outcome.rows));
    emit(&format!("{}\n", outcome.dir.display()));
    let (outside, claimed) = outcome.outside_of_claimed();
    if outside > 0 {
        return Err(Error::FiguresOutside { outside, claimed });
    }
    Ok(())
}

fn sweep(args: SweepArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let changes = args.size.with(&args.set)?;
    let options = SweepOptions {
        vary: args::parse_axes(&args.vary)?,
        shard: args::parse_shard(args.shard.as_deref())?.map(|(shard, _)| shard),
        changes,
    };
    let ctx = Context::new(args.threads.threads, args.out.out)?.with_progress(progress.clone());
    let outcome = progress::with_progress(!args.quiet, "points", &progress, || {
        commands::sweep(&ctx, &args.scenarios, &options)
    })?;
    if !args.quiet {
        emit(&terminal::sweep_line(&outcome.manifest, outcome.points));
    }
    emit(&format!("{}\n", outcome.dir.display()));
    Ok(())
}

fn tornado(args: TornadoArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let measure = args::parse_measure(&args.measure)?;
    let bounds = args::parse_bounds(&args.bounds)?;
    let ctx = Context::new(None, args.out.out)?.with_progress(progress);
    let outcome = commands::tornado_analysis(&ctx, &args.scenario, measure, &bounds)?;
    emit(&terminal::tornado_table(measure, &outcome.bars));
    emit(&format!("{}\n", outcome.dir.display()));
    Ok(())
}

fn threshold(args: ThresholdArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let measure = args::parse_measure(&args.measure)?;
    let range = args
        .range
        .map(|r| args::parse_range(&r).map_err(|m| InputError::usage("--range", m)))
        .transpose()?;
    let ctx = Context::new(None, args.out.out)?.with_progress(progress);
    let outcome = commands::threshold_analysis(&ctx, &args.scenario, &args.parameter, measure, range)?;
    emit(&terminal::threshold_text(&outcome.thresholds));
    emit(&format!("{}\n", outcome.dir.display()));
    Ok(())
}

fn twoway(args: TwowayArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let measure = args::parse_measure(&args.measure)?;
    let max = commands::MAX_TWOWAY_STEPS;
    let (x, x_values) = args::parse_twoway_axis("--x", &args.x, max)?;
    let (y, y_values) = args::parse_twoway_axis("--y", &args.y, max)?;
    let ctx = Context::new(None, args.out.out)?.with_progress(progress);
    let outcome = commands::twoway_analysis(&ctx, &args.scenario, (&x, &x_values), (&y, &y_values), measure)?;
    emit(&terminal::twoway_text(&outcome.grids));
    emit(&format!("{}\n", outcome.dir.display()));
    Ok(())
}

/// What each `--set` changed and how the file was read where it is not an error, on stderr.
fn echo_changes(set_changes: &[String], warnings: &[String]) {
    for change in set_changes {
        eprintln!("changed: {change}");
    }
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn evppi(args: EvppiArgs, progress: Arc<Progress>) -> Result<(), Error> {
    let groups = args::parse_groups(&args.group)?;
    let changes = args.size.with(&args.set)?;
    let shard = args::parse_shard(args.shard.as_deref())?;
    let ctx = Context::new(args.threads.threads, args.out.out)?.with_progress(progress.clone());
    if let Some(shard) = shard {
        let command = ShardedCommand::Evppi {
            lambda: args.lambda,
            groups,
        };
        return run_shard(&ctx, &args.scenario, &changes, command, shard, args.quiet, &progress);
    }
    let outcome = commands::evppi(&ctx, &args.scenario, &changes, args.lambda, &groups)?;
    print_evppi(&outcome, args.quiet);
    Ok(())
}

/// What an EVPPI analysis says on the terminal: changes and warnings, then (unless `quiet`) its table, and its
/// directory.
fn print_evppi(outcome: &commands::EvppiOutcome, quiet: bool) {
    echo_changes(&outcome.set_changes, &outcome.warnings);
    if !quiet {
        emit(&terminal::evppi_table(&outcome.rows, outcome.lambda, &outcome.per));
    }
    emit(&format!("{}\n", outcome.dir.display()));
}

/// The options of `carecast analyse`, checked.
fn analysis_options(wtp: &str, threshold: f64, population: Option<f64>) -> Result<AnalysisOptions, InputError> {
    let wtp = args::parse_wtp(wtp)?;
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(InputError::usage("--threshold", "must be a non-negative amount"));
    }
    if population.is_some_and(|p| !(p.is_finite() && p > 0.0)) {
        return Err(InputError::usage("--population", "must be a positive number of people"));
    }
    Ok(AnalysisOptions {
        wtp,
        threshold,
        population,
    })
}
