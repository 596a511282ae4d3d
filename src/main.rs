//! The carecast command-line program: parses arguments, calls the library, maps errors to exit codes.

use carecast::app::{self, RunOptions};
use carecast::error::{Error, InputError};
use carecast::simulate::Progress;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
        /// Change a parameter: NAME=VALUE (a fixed value, everywhere NAME is defined) or NAME.FIELD=VALUE (one field
        /// of its distribution, e.g. effect.mean=0.8); repeatable.
        #[arg(long = "set", value_name = "NAME[.FIELD]=VALUE")]
        set: Vec<String>,
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
    /// Rerun scenarios over a grid of parameter values and tabulate the results (sweep.csv).
    Sweep {
        /// Scenario files (swept over the same grid).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// A parameter to vary: NAME=FROM:TO:STEPS or NAME.FIELD=FROM:TO:STEPS (STEPS values, ends included);
        /// repeat for a grid [default: the scenario's [sweep] table].
        #[arg(long, value_name = "NAME[.FIELD]=FROM:TO:STEPS")]
        vary: Vec<String>,
        /// Iterations per point (overrides the files).
        #[arg(long)]
        iterations: Option<u64>,
        /// Random seed (overrides the files).
        #[arg(long)]
        seed: Option<u64>,
        /// Run only the K-th of N deterministic slices of the points (for several machines; see `merge`).
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Change a parameter at every point, as for `run`: NAME=VALUE or NAME.FIELD=VALUE; repeatable.
        #[arg(long = "set", value_name = "NAME[.FIELD]=VALUE")]
        set: Vec<String>,
        /// Base output directory [default: output].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores, or RAYON_NUM_THREADS].
        #[arg(long)]
        threads: Option<usize>,
        /// Print only the output directory.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Combine the shard directories of one sweep into the table and plots of an unsharded run.
    Merge {
        /// The shard directories (all N of them).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Base output directory [default: output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// One-way sensitivity analysis on the model at its means: each sampled parameter to its 2.5th and 97.5th
    /// percentiles (or given bounds), ranked by how far it moves the decision measure.
    Tornado {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// The decision measure: net_savings, bcr or inmb.
        #[arg(long, default_value = "net_savings")]
        measure: String,
        /// Low and high values for a parameter instead of its percentiles (also for parameters the file fixes).
        #[arg(long, value_name = "NAME=LOW:HIGH")]
        bounds: Vec<String>,
        /// Base output directory [default: output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Threshold analysis: the value of one parameter at which the decision changes (BCR = 1, or INMB or net
    /// savings = 0), on the model at its means.
    Threshold {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// The parameter to move: its sampled definitions (in any arm or subgroup) move together; a parameter the file
        /// fixes moves everywhere it is defined.
        #[arg(long)]
        parameter: String,
        /// The decision measure: bcr, inmb or net_savings.
        #[arg(long, default_value = "bcr")]
        measure: String,
        /// The range to search [default: the parameter's 0.1st to 99.9th percentiles].
        #[arg(long, value_name = "LOW:HIGH")]
        range: Option<String>,
        /// Base output directory [default: output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Expected value of partial perfect information of every sampled parameter and of named groups, by
    /// regression of the net monetary benefit on the PSA sample (Strong, Oakley and Brennan 2014).
    Evppi {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// A group of parameters valued together: NAME=PARAM,PARAM,...; repeatable.
        #[arg(long, value_name = "NAME=P1,P2,...")]
        group: Vec<String>,
        /// Willingness to pay per unit of the primary outcome [default: the scenario's threshold].
        #[arg(long)]
        lambda: Option<f64>,
        /// Change a parameter, as for `run`: NAME=VALUE or NAME.FIELD=VALUE; repeatable.
        #[arg(long = "set", value_name = "NAME[.FIELD]=VALUE")]
        set: Vec<String>,
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
    },
    /// Check a scenario file without running it.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
}

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

/// `print!` through [`emit`].
macro_rules! out {
    ($($t:tt)*) => { emit(&format!($($t)*)) };
}

/// `println!` through [`emit`].
macro_rules! outln {
    () => { emit("\n") };
    ($($t:tt)*) => { emit(&format!("{}\n", format!($($t)*))) };
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
            set,
            quiet,
        } => {
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let overrides = parse_overrides(&set)?;
            let options = RunOptions {
                iterations,
                seed,
                out,
                threads,
                command,
                overrides,
            };
            let progress = cancellable_progress();
            let outcome = with_progress(!quiet, "iterations", &progress, || {
                app::run(&scenario, &options, Some(&progress))
            })?;
            if !quiet {
                out!(
                    "{}",
                    carecast::output::terminal::summary_table(&outcome.loaded.model, &outcome.analysis)
                );
                outln!();
                outln!(
                    "{} iterations in {:.2} s on {} threads",
                    outcome.loaded.run.iterations,
                    outcome.timing.simulation_seconds,
                    outcome.timing.threads
                );
            }
            outln!("{}", outcome.dir.display());
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
            out!(
                "{}",
                carecast::output::terminal::results_table(&outcome.table.outcomes, &outcome.analysis)
            );
            outln!("{}", outcome.dir.display());
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
            out!("{}", carecast::analysis::reproduce::to_markdown(&outcome.rows));
            outln!("{}", outcome.dir.display());
            let outside = outcome
                .rows
                .iter()
                .filter(|r| r.status == carecast::analysis::reproduce::Status::Outside)
                .count();
            if outside > 0 {
                let claimed = outcome
                    .rows
                    .iter()
                    .filter(|r| r.status != carecast::analysis::reproduce::Status::NotReproducible)
                    .count();
                return Err(carecast::error::RunError {
                    message: format!("{outside} of {claimed} reproducible figures are outside their tolerance"),
                }
                .into());
            }
            Ok(())
        }
        Command::Sweep {
            scenarios,
            vary,
            iterations,
            seed,
            shard,
            set,
            out,
            threads,
            quiet,
        } => {
            let overrides = parse_overrides(&set)?;
            let vary = vary
                .iter()
                .map(|v| carecast::scenario::SweepAxis::parse(v).map_err(|m| InputError::usage("--vary", m)))
                .collect::<Result<Vec<_>, _>>()?;
            let shard = shard
                .map(|s| carecast::sweep::Shard::parse(&s).map_err(|m| InputError::usage("--shard", m)))
                .transpose()?;
            let options = app::SweepOptions {
                vary,
                iterations,
                seed,
                shard,
                overrides,
                out,
                threads,
            };
            let progress = cancellable_progress();
            let outcome = with_progress(!quiet, "points", &progress, || {
                app::sweep(&scenarios, &options, Some(&progress))
            })?;
            if !quiet {
                outln!(
                    "{} points of {} × {} scenario(s){}",
                    outcome.points,
                    outcome.manifest.grid.points(),
                    outcome.manifest.scenarios.len(),
                    outcome
                        .manifest
                        .shard
                        .map_or(String::new(), |s| format!(" (shard {}/{})", s.index, s.count))
                );
            }
            outln!("{}", outcome.dir.display());
            Ok(())
        }
        Command::Merge { dirs, out } => {
            let base = out.unwrap_or_else(|| PathBuf::from("output"));
            let outcome = carecast::sweep::merge(&dirs, &base)?;
            outln!("{}", outcome.dir.display());
            Ok(())
        }
        Command::Tornado {
            scenario,
            measure,
            bounds,
            out,
        } => {
            let measure = carecast::analysis::sensitivity::Measure::parse(&measure)
                .map_err(|m| InputError::usage("--measure", m))?;
            let bounds = bounds
                .iter()
                .map(|b| {
                    let (name, range) = b
                        .split_once('=')
                        .ok_or_else(|| InputError::usage("--bounds", format!("expected NAME=LOW:HIGH, not `{b}`")))?;
                    let (low, high) = parse_range(range).map_err(|m| InputError::usage("--bounds", m))?;
                    Ok((name.trim().to_string(), low, high))
                })
                .collect::<Result<Vec<_>, InputError>>()?;
            let outcome = app::tornado(&scenario, &app::TornadoOptions { measure, bounds, out })?;
            out!("{}", carecast::output::terminal::tornado_table(measure, &outcome.bars));
            outln!("{}", outcome.dir.display());
            Ok(())
        }
        Command::Threshold {
            scenario,
            parameter,
            measure,
            range,
            out,
        } => {
            let measure = carecast::analysis::sensitivity::Measure::parse(&measure)
                .map_err(|m| InputError::usage("--measure", m))?;
            let range = range
                .map(|r| parse_range(&r).map_err(|m| InputError::usage("--range", m)))
                .transpose()?;
            let options = app::ThresholdOptions {
                parameter,
                measure,
                range,
                out,
            };
            let outcome = app::threshold(&scenario, &options)?;
            out!("{}", carecast::output::terminal::threshold_text(&outcome.thresholds));
            outln!("{}", outcome.dir.display());
            Ok(())
        }
        Command::Evppi {
            scenario,
            group,
            lambda,
            set,
            iterations,
            seed,
            out,
            threads,
        } => {
            let groups = group
                .iter()
                .map(|g| {
                    let (name, members) = g
                        .split_once('=')
                        .ok_or_else(|| InputError::usage("--group", format!("expected NAME=P1,P2,..., not `{g}`")))?;
                    let members: Vec<String> = members
                        .split(',')
                        .map(|m| m.trim().to_string())
                        .filter(|m| !m.is_empty())
                        .collect();
                    if name.trim().is_empty() || members.is_empty() {
                        return Err(InputError::usage(
                            "--group",
                            format!("expected NAME=P1,P2,..., not `{g}`"),
                        ));
                    }
                    Ok((name.trim().to_string(), members))
                })
                .collect::<Result<Vec<_>, InputError>>()?;
            let options = app::EvppiOptions {
                iterations,
                seed,
                lambda,
                groups,
                overrides: parse_overrides(&set)?,
                out,
                threads,
            };
            let outcome = app::evppi(&scenario, &options)?;
            out!("{}", carecast::output::terminal::evppi_table(&outcome));
            outln!("{}", outcome.dir.display());
            Ok(())
        }
        Command::Check { scenario } => {
            let loaded = app::load(&scenario, &RunOptions::default())?;
            let m = &loaded.model;
            outln!(
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

/// Parses `--set` values.
fn parse_overrides(set: &[String]) -> Result<Vec<carecast::scenario::Override>, InputError> {
    set.iter()
        .map(|s| carecast::scenario::Override::parse(s).map_err(|m| InputError::usage("--set", m)))
        .collect()
}

/// Parses LOW:HIGH with LOW < HIGH.
fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let bad = || format!("expected LOW:HIGH with LOW < HIGH, not `{text}`");
    let (low, high) = text.split_once(':').ok_or_else(bad)?;
    let (low, high): (f64, f64) = (
        low.trim().parse().map_err(|_| bad())?,
        high.trim().parse().map_err(|_| bad())?,
    );
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(bad());
    }
    Ok((low, high))
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

/// Progress shared with the work, cancelled by Ctrl-C: the run or sweep then stops and writes nothing (a run removes
/// the directory it had started) instead of leaving half of its output.
fn cancellable_progress() -> Arc<Progress> {
    let progress = Arc::new(Progress::default());
    let flag = Arc::clone(&progress);
    // Setting the handler fails only when one is already set, which a single command per process never does.
    let _ = ctrlc::set_handler(move || flag.cancel.store(true, Ordering::Relaxed));
    progress
}

/// Runs `work`, showing a progress bar (count, rate, time left) on stderr once it has taken a second, if stderr is a
/// terminal and `show` is true. `progress.done` counts finished units of `progress.total`.
fn with_progress<T>(show: bool, unit: &'static str, progress: &Arc<Progress>, work: impl FnOnce() -> T) -> T {
    if !show || !std::io::stderr().is_terminal() {
        return work();
    }
    let finished = Arc::new(AtomicBool::new(false));
    let drawer = {
        let finished = Arc::clone(&finished);
        let progress = Arc::clone(progress);
        std::thread::spawn(move || {
            // Quick work shows nothing: the bar appears only after a second, and once the work has set its total
            // (after reading its input).
            let mut waited = 0;
            while waited < 10 || progress.total.load(Ordering::Relaxed) == 0 {
                if finished.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
                waited += 1;
            }
            let style = indicatif::ProgressStyle::with_template(&format!(
                "{{bar:40}} {{human_pos}}/{{human_len}} {unit} · {{msg}} · {{eta}} left"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            // Built whole before its first frame is drawn.
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(progress.total.load(Ordering::Relaxed) as u64),
                indicatif::ProgressDrawTarget::hidden(),
            )
            .with_style(style)
            .with_message("starting");
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            let started = std::time::Instant::now() - Duration::from_secs(1);
            while !finished.load(Ordering::Relaxed) {
                let total = progress.total.load(Ordering::Relaxed) as u64;
                let done = progress.done.load(Ordering::Relaxed) as u64;
                bar.set_length(total);
                bar.set_position(done);
                if done < total {
                    let rate = done as f64 / started.elapsed().as_secs_f64();
                    bar.set_message(format!("{} {unit}/s", indicatif::HumanCount(rate as u64)));
                } else {
                    bar.set_message("analysing and writing the outputs");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        })
    };
    let out = work();
    finished.store(true, Ordering::Relaxed);
    let _ = drawer.join();
    out
}
