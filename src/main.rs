//! The carecast command-line program: parses arguments, calls the library, maps errors to exit codes.

use carecast::app::{self, RunOptions};
use carecast::error::Error;
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
            let outcome = app::run(&scenario, &options, None)?;
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
