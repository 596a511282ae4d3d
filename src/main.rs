//! The carecast command-line program: parses arguments, calls the library, maps errors to exit codes.

use carecast::app::{self, RunOptions};
use carecast::error::{Error, InputError};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Monte Carlo cost-effectiveness and return on investment of adult social care interventions.
#[derive(Parser)]
#[command(name = "carecast", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario's probabilistic sensitivity analysis and write output/<scenario>/<run-id>/.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Number of Monte Carlo iterations (overrides the file).
        #[arg(long)]
        iterations: Option<u64>,
        /// Random seed (overrides the file).
        #[arg(long)]
        seed: Option<u64>,
        /// Base output directory [default: output].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores, or RAYON_NUM_THREADS].
        #[arg(long)]
        threads: Option<usize>,
        /// Print only the run directory.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Analyse PSA output from another model (CSV: iteration, arm, cost, effect; optional costs by payer).
    Analyse {
        /// The PSA sample (CSV), one row per iteration and arm.
        file: PathBuf,
        /// The comparator arm [default: the first arm in the file].
        #[arg(long)]
        comparator: Option<String>,
        /// The effect column [default: effect, else qaly].
        #[arg(long)]
        effect: Option<String>,
        /// Willingness-to-pay grid as FROM:TO:STEP, in £ per unit of effect.
        #[arg(long, default_value = "0:50000:1000")]
        wtp: String,
        /// λ for the headline INMB and probability cost-effective.
        #[arg(long, default_value_t = 30000.0)]
        threshold: f64,
        /// People affected, for population EVPI.
        #[arg(long)]
        population: Option<f64>,
        /// Base output directory [default: output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Reproduce the published figures that the bundled scenarios claim to reproduce, and compare them.
    Reproduce {
        /// Scenario files [default: every scenarios/*.toml with [[reproduce]] targets].
        scenarios: Vec<PathBuf>,
        /// Iterations per scenario (overrides the files).
        #[arg(long)]
        iterations: Option<u64>,
        /// Random seed (overrides the files).
        #[arg(long)]
        seed: Option<u64>,
        /// Directory for reproduction.csv and reproduction.md [default: output/reproduction].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores, or RAYON_NUM_THREADS].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Check a scenario file without running it.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn execute(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run {
            scenario,
            iterations,
            seed,
            out,
            threads,
            quiet,
        } => {
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let options = RunOptions {
                iterations,
                seed,
                out,
                threads,
                command,
            };
            // Ctrl-C asks the run to stop; it then removes its incomplete directory instead of leaving half a run.
            let progress = std::sync::Arc::new(carecast::engine::Progress::default());
            let flag = std::sync::Arc::clone(&progress);
            let _ = ctrlc::set_handler(move || flag.cancel.store(true, std::sync::atomic::Ordering::Relaxed));
            let outcome = app::run(&scenario, &options, Some(&progress))?;
            if !quiet {
                print!(
                    "{}",
                    carecast::report::terminal::summary_table(&outcome.loaded.model, &outcome.analysis)
                );
                println!();
                println!(
                    "{} iterations in {:.2} s on {} threads",
                    outcome.loaded.model.settings.iterations, outcome.timing.simulation_seconds, outcome.timing.threads
                );
            }
            println!("{}", outcome.dir.display());
            Ok(())
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
            let wtp = parse_grid(&wtp)?;
            if !(threshold.is_finite() && threshold >= 0.0) {
                return Err(InputError::usage("--threshold", "must be a non-negative amount").into());
            }
            if population.is_some_and(|p| !(p.is_finite() && p > 0.0)) {
                return Err(InputError::usage("--population", "must be a positive number of people").into());
            }
            let options = app::AnalyseOptions {
                csv: carecast::analysis::csv_input::CsvOptions { effect, comparator },
                analysis: carecast::analysis::AnalysisOptions {
                    wtp,
                    threshold,
                    population,
                },
                out,
            };
            let outcome = app::analyse_file(&file, &options)?;
            print!(
                "{}",
                carecast::report::terminal::results_table(&outcome.table.outcomes, &outcome.analysis)
            );
            println!("{}", outcome.dir.display());
            Ok(())
        }
        Command::Reproduce {
            scenarios,
            iterations,
            seed,
            out,
            threads,
        } => {
            let scenarios = if scenarios.is_empty() {
                app::bundled_scenarios(std::path::Path::new("scenarios"))?
            } else {
                scenarios
            };
            let options = app::ReproduceOptions {
                iterations,
                seed,
                out,
                threads,
            };
            let outcome = app::reproduce(&scenarios, &options)?;
            print!("{}", carecast::reproduce::to_markdown(&outcome.rows));
            println!("{}", outcome.dir.display());
            let outside = outcome
                .rows
                .iter()
                .filter(|r| r.status == carecast::reproduce::Status::Outside)
                .count();
            if outside > 0 {
                let claimed = outcome
                    .rows
                    .iter()
                    .filter(|r| r.status != carecast::reproduce::Status::NotReproducible)
                    .count();
                return Err(carecast::error::RunError {
                    message: format!("{outside} of {claimed} reproducible figures are outside their tolerance"),
                }
                .into());
            }
            Ok(())
        }
        Command::Check { scenario } => {
            let loaded = app::load(&scenario, &RunOptions::default())?;
            let m = &loaded.model;
            println!(
                "{}: ok — {} states, {} arms, {} parameters ({} sampled), {} outcomes, {} years of {} cycles",
                scenario.display(),
                m.states.len(),
                m.arms.len(),
                m.parameters.len(),
                m.parameters.iter().filter(|p| p.draw_slot.is_some()).count(),
                m.outcomes.len(),
                m.settings.horizon_years,
                m.settings.cycles()
            );
            Ok(())
        }
    }
}

/// Parses FROM:TO:STEP into an increasing grid.
fn parse_grid(text: &str) -> Result<Vec<f64>, InputError> {
    let bad = || {
        InputError::usage(
            "--wtp",
            format!("expected FROM:TO:STEP with 0 ≤ FROM ≤ TO and STEP > 0 (e.g. 0:50000:1000), not `{text}`"),
        )
    };
    let parts: Vec<f64> = text
        .split(':')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [from, to, step] = parts[..] else { return Err(bad()) };
    if !(from.is_finite() && to.is_finite() && step.is_finite() && from >= 0.0 && to >= from && step > 0.0)
        || (to - from) / step > 100_000.0
    {
        return Err(bad());
    }
    let n = ((to - from) / step + 1e-9).floor() as usize;
    Ok((0..=n).map(|i| from + i as f64 * step).collect())
}
