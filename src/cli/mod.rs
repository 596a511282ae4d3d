//! The command line: arguments validated into the commands' options ([`args`]), each command run in a
//! [`Context`], and what it returns printed on the terminal. `main.rs` only calls [`execute`] and exits with the
//! code it gives.

pub mod args;
mod progress;

use crate::analysis::csv_input::CsvOptions;
use crate::analysis::AnalysisOptions;
use crate::commands::{self, Context, Error, SweepOptions};
use crate::error::InputError;
use crate::output::reproduction::markdown_table;
use crate::output::terminal;
use args::{Cli, Command};
use std::path::Path;

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
    match cli.command {
        Command::Run {
            scenario,
            size,
            out,
            threads,
            set,
            quiet,
        } => {
            let changes = size.with(&set)?;
            let progress = progress::cancellable_progress();
            let ctx = Context::new(threads.threads, out.out)?.with_progress(progress.clone());
            let outcome = progress::with_progress(!quiet, "iterations", &progress, || {
                commands::run(&ctx, &scenario, &changes)
            })?;
            if !quiet {
                emit(&terminal::summary_table(&outcome.loaded.model, &outcome.analysis));
                emit("\n");
                emit(&terminal::run_time(
                    outcome.loaded.run.iterations,
                    outcome.timing.simulation_seconds,
                    outcome.timing.threads,
                ));
            }
            emit(&format!("{}\n", outcome.dir.display()));
        }
        Command::Analyse {
            file,
            comparator,
            effect,
            wtp,
            threshold,
            population,
            out,
        } => {
            let options = analysis_options(&wtp, threshold, population)?;
            let ctx = Context::new(None, out.out)?;
            let csv = CsvOptions { effect, comparator };
            let outcome = commands::analyse_file(&ctx, &file, &csv, &options)?;
            emit(&terminal::results_table(&outcome.table.outcomes, &outcome.analysis));
            emit(&format!("{}\n", outcome.dir.display()));
        }
        Command::Reproduce {
            scenarios,
            size,
            out,
            threads,
        } => {
            let scenarios = if scenarios.is_empty() {
                commands::bundled_scenarios(Path::new("scenarios"))?
            } else {
                scenarios
            };
            let changes = size.with(&Default::default())?;
            let ctx = Context::new(threads.threads, out)?;
            let outcome = commands::reproduce(&ctx, &scenarios, &changes)?;
            emit(&markdown_table(&outcome.rows));
            emit(&format!("{}\n", outcome.dir.display()));
            let (outside, claimed) = outcome.outside_of_claimed();
            if outside > 0 {
                return Err(Error::FiguresOutside { outside, claimed });
            }
        }
        Command::Sweep {
            scenarios,
            vary,
            size,
            shard,
            set,
            out,
            threads,
            quiet,
        } => {
            let changes = size.with(&set)?;
            let options = SweepOptions {
                vary: args::parse_axes(&vary)?,
                shard: args::parse_shard(shard.as_deref())?,
                changes,
            };
            let progress = progress::cancellable_progress();
            let ctx = Context::new(threads.threads, out.out)?.with_progress(progress.clone());
            let outcome = progress::with_progress(!quiet, "points", &progress, || {
                commands::sweep(&ctx, &scenarios, &options)
            })?;
            if !quiet {
                emit(&terminal::sweep_line(&outcome.manifest, outcome.points));
            }
            emit(&format!("{}\n", outcome.dir.display()));
        }
        Command::Merge { dirs, out } => {
            let ctx = Context::new(None, out.out)?;
            let outcome = commands::merge(&ctx, &dirs)?;
            emit(&format!("{}\n", outcome.dir.display()));
        }
        Command::Tornado {
            scenario,
            measure,
            bounds,
            out,
        } => {
            let measure = args::parse_measure(&measure)?;
            let bounds = args::parse_bounds(&bounds)?;
            let ctx = Context::new(None, out.out)?;
            let outcome = commands::tornado_analysis(&ctx, &scenario, measure, &bounds)?;
            emit(&terminal::tornado_table(measure, &outcome.bars));
            emit(&format!("{}\n", outcome.dir.display()));
        }
        Command::Threshold {
            scenario,
            parameter,
            measure,
            range,
            out,
        } => {
            let measure = args::parse_measure(&measure)?;
            let range = range
                .map(|r| args::parse_range(&r).map_err(|m| InputError::usage("--range", m)))
                .transpose()?;
            let ctx = Context::new(None, out.out)?;
            let outcome = commands::threshold_analysis(&ctx, &scenario, &parameter, measure, range)?;
            emit(&terminal::threshold_text(&outcome.thresholds));
            emit(&format!("{}\n", outcome.dir.display()));
        }
        Command::Evppi {
            scenario,
            group,
            lambda,
            set,
            size,
            out,
            threads,
        } => {
            let groups = args::parse_groups(&group)?;
            let changes = size.with(&set)?;
            let ctx = Context::new(threads.threads, out.out)?;
            let outcome = commands::evppi(&ctx, &scenario, &changes, lambda, &groups)?;
            emit(&terminal::evppi_table(&outcome.rows, outcome.lambda));
            emit(&format!("{}\n", outcome.dir.display()));
        }
        Command::Check { scenario } => {
            let loaded = commands::check(&scenario)?;
            emit(&terminal::check_line(&scenario, &loaded.model));
        }
    }
    Ok(())
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
