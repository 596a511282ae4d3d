//! The command line's arguments (clap), with the groups several commands share, and their validation into the
//! typed options the commands take: every usage error is found here, with the option it concerns.

// The doc comments below are also the command line's `--help` text, written for a terminal: brackets and angle
// brackets there are not links or HTML.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use crate::analysis::sensitivity::Measure;
use crate::commands::ScenarioChanges;
use crate::error::InputError;
use crate::model::Shard;
use crate::output::samples::Keep;
use crate::scenario::{Override, SweepAxis};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Monte Carlo cost-effectiveness and return on investment of adult social care interventions.
#[derive(Parser)]
#[command(name = "carecast", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How many iterations to run and from which seed, instead of the scenario file's.
#[derive(Args, Clone, Default)]
pub struct RunSize {
    /// Number of Monte Carlo iterations (overrides the file; per scenario and per point where there are several).
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Random seed (overrides the file).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Parameter changes.
#[derive(Args, Clone, Default)]
pub struct SetArgs {
    /// Change a parameter: NAME=VALUE (a fixed value, everywhere NAME is defined) or NAME.FIELD=VALUE (one field
    /// of its distribution, e.g. effect.mean=0.8); repeatable.
    #[arg(long = "set", value_name = "NAME[.FIELD]=VALUE")]
    pub set: Vec<String>,
}

/// What a run writes for each iteration.
#[derive(Args, Clone, Default)]
pub struct KeepArgs {
    /// Which iterations iterations.csv and parameters.csv hold: all, none, or N (the first N) [default: every
    /// iteration up to 100000, the first 100000 of a larger run]. What is kept changes no result.
    #[arg(long, value_name = "all|none|N")]
    pub keep: Option<String>,
    /// Write those files gzip-compressed (iterations.csv.gz, parameters.csv.gz; `carecast analyse` reads them so).
    #[arg(long)]
    pub gzip: bool,
}

impl KeepArgs {
    /// The choice, checked.
    pub fn keep(&self) -> Result<Keep, InputError> {
        let first = match self.keep.as_deref() {
            None => Some(Keep::DEFAULT_FIRST),
            Some("all") => None,
            Some("none") => Some(0),
            Some(n) => Some(n.parse::<usize>().map_err(|_| {
                InputError::usage("--keep", format!("`{n}` is not all, none or a number of iterations"))
            })?),
        };
        Ok(Keep { first, gzip: self.gzip })
    }
}

/// Where outputs go.
#[derive(Args, Clone, Default)]
pub struct OutArg {
    /// Base output directory [default: output].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// How many worker threads.
#[derive(Args, Clone, Default)]
pub struct ThreadsArg {
    /// Worker threads [default: all cores, or RAYON_NUM_THREADS].
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Run a scenario's probabilistic sensitivity analysis and write output/<scenario>/<run-id>/.
    Run(RunArgs),
    /// Analyse PSA output from another model (CSV: iteration, arm, cost, effect; optional costs by payer).
    Analyse(AnalyseArgs),
    /// Reproduce the published figures that the bundled scenarios claim to reproduce, and compare them.
    Reproduce(ReproduceArgs),
    /// Rerun scenarios over a grid of parameter values and tabulate the results (sweep.csv).
    Sweep(SweepArgs),
    /// Combine the shard directories of one sweep, run or EVPPI analysis into the outputs of the unsharded command.
    Merge(MergeArgs),
    /// Two or more finished runs side by side: headline, budget, return by payer, and the inputs that differ
    /// (output/compare/<run-id>/compare.csv and compare_inputs.csv).
    Compare(CompareArgs),
    /// One-way sensitivity analysis on the model at its means: each sampled parameter to its 2.5th and 97.5th
    /// percentiles (or given bounds), ranked by how far it moves the decision measure.
    Tornado(TornadoArgs),
    /// Threshold analysis: the value of one parameter at which the decision changes (BCR = 1, or INMB or net
    /// savings = 0), on the model at its means.
    Threshold(ThresholdArgs),
    /// Two-way sensitivity analysis on the model at its means: the decision measure over a grid of two parameters'
    /// values, the others at their means (twoway.csv and a heat map per comparison).
    Twoway(TwowayArgs),
    /// Expected value of partial perfect information of every sampled parameter and of named groups, by
    /// regression of the net monetary benefit on the PSA sample (Strong, Oakley and Brennan 2014).
    Evppi(EvppiArgs),
    /// Check a scenario file without running it.
    Check(CheckArgs),
    /// A local web app for what-if analysis: each change to an input runs the whole PSA again and redraws the
    /// headline and plots in the browser.
    Serve(ServeArgs),
}

/// The arguments of `carecast run`.
#[derive(Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub size: RunSize,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub set: SetArgs,
    #[command(flatten)]
    pub keep: KeepArgs,
    /// Run only shard K of N of the iterations, for several machines (`auto`: this job array task's, from Slurm,
    /// Grid Engine, PBS, Kubernetes or AWS Batch); writes a shard folder that `carecast merge` combines.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Print only the run directory.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The arguments of `carecast analyse`.
#[derive(Args)]
pub struct AnalyseArgs {
    /// The PSA sample (CSV), one row per iteration and arm.
    pub file: PathBuf,
    /// The comparator arm [default: the first arm in the file].
    #[arg(long)]
    pub comparator: Option<String>,
    /// The effect column [default: effect, else the one column with no other role].
    #[arg(long)]
    pub effect: Option<String>,
    /// Which way the effect is better: higher, or lower (bed days, falls: decisions then value the amount avoided).
    #[arg(long, default_value = "higher", value_name = "higher|lower")]
    pub better: String,
    /// How the effect reads in the outputs, e.g. "emergency bed days" [default: its column name made readable].
    #[arg(long, value_name = "TEXT")]
    pub effect_label: Option<String>,
    /// One unit of the effect, singular, e.g. "bed day" ("£62 per bed day avoided") [default: the label].
    #[arg(long, value_name = "TEXT")]
    pub effect_unit: Option<String>,
    /// The PSA's parameter sample (CSV: `iteration`, then a column per parameter), joined on the iteration: the
    /// EVPPI of each parameter and group at the threshold λ (evppi.csv).
    #[arg(long, value_name = "PARAMETERS.csv")]
    pub parameters: Option<PathBuf>,
    /// A group of parameters valued together (with --parameters): NAME=P1,P2,...; repeatable.
    #[arg(long, value_name = "NAME=P1,P2,...")]
    pub group: Vec<String>,
    /// Willingness-to-pay grid as FROM:TO:STEP, in £ per unit of effect.
    #[arg(long, default_value = "0:50000:1000")]
    pub wtp: String,
    /// λ for the headline INMB and probability cost-effective.
    #[arg(long, default_value_t = 30000.0)]
    pub threshold: f64,
    /// People affected, for population EVPI.
    #[arg(long)]
    pub population: Option<f64>,
    #[command(flatten)]
    pub out: OutArg,
}

/// The arguments of `carecast reproduce`.
#[derive(Args)]
pub struct ReproduceArgs {
    /// Scenario files [default: every scenarios/*.toml with [[reproduce]] targets].
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub size: RunSize,
    /// Directory for reproduction.csv and reproduction.md [default: output/reproduction].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

/// The arguments of `carecast sweep`.
#[derive(Args)]
pub struct SweepArgs {
    /// Scenario files (swept over the same grid).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// A parameter to vary: NAME=FROM:TO:STEPS or NAME.FIELD=FROM:TO:STEPS (STEPS values, ends included);
    /// repeat for a grid [default: the scenario's [sweep] table].
    #[arg(long, value_name = "NAME[.FIELD]=FROM:TO:STEPS")]
    pub vary: Vec<String>,
    #[command(flatten)]
    pub size: RunSize,
    /// Run only the K-th of N deterministic slices of the points, for several machines (`auto`: this job array
    /// task's, from Slurm, Grid Engine, PBS, Kubernetes or AWS Batch); see `merge`.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    #[command(flatten)]
    pub set: SetArgs,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub threads: ThreadsArg,
    /// Print only the output directory.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The arguments of `carecast merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The shard directories (all N of them), or folders above them: the `--out` folders `sweep --shard`,
    /// `run --shard` or `evppi --shard` wrote (`sweeps/task-*`), or the one folder above them all (`sweeps`).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub threads: ThreadsArg,
    /// Print only the output directory.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The arguments of `carecast compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// The run directories (output/<scenario>/<run-id>), two or more.
    #[arg(required = true, num_args = 2.., value_name = "RUN_DIR")]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutArg,
}

/// The arguments of `carecast tornado`.
#[derive(Args)]
pub struct TornadoArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The decision measure: net_savings, bcr or inmb.
    #[arg(long, default_value = "net_savings")]
    pub measure: String,
    /// Low and high values for a parameter instead of its percentiles (also for parameters the file fixes).
    #[arg(long, value_name = "NAME=LOW:HIGH")]
    pub bounds: Vec<String>,
    #[command(flatten)]
    pub out: OutArg,
}

/// The arguments of `carecast threshold`.
#[derive(Args)]
pub struct ThresholdArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The parameter to move: its sampled definitions (in any arm or subgroup) move together; a parameter the file
    /// fixes moves everywhere it is defined.
    #[arg(long)]
    pub parameter: String,
    /// The decision measure: bcr, inmb or net_savings.
    #[arg(long, default_value = "bcr")]
    pub measure: String,
    /// The range to search [default: the parameter's 0.1st to 99.9th percentiles].
    #[arg(long, value_name = "LOW:HIGH")]
    pub range: Option<String>,
    #[command(flatten)]
    pub out: OutArg,
}

/// The arguments of `carecast twoway`.
#[derive(Args)]
pub struct TwowayArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The parameter across the grid: NAME=LOW:HIGH:STEPS (STEPS values, ends included).
    #[arg(long, value_name = "NAME=LOW:HIGH:STEPS")]
    pub x: String,
    /// The parameter up the grid: NAME=LOW:HIGH:STEPS.
    #[arg(long, value_name = "NAME=LOW:HIGH:STEPS")]
    pub y: String,
    /// The decision measure: net_savings, bcr or inmb.
    #[arg(long, default_value = "net_savings")]
    pub measure: String,
    #[command(flatten)]
    pub out: OutArg,
}

/// The arguments of `carecast evppi`.
#[derive(Args)]
pub struct EvppiArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A group of parameters valued together: NAME=PARAM,PARAM,...; repeatable.
    #[arg(long, value_name = "NAME=P1,P2,...")]
    pub group: Vec<String>,
    /// Willingness to pay per unit of the primary outcome [default: the scenario's threshold].
    #[arg(long)]
    pub lambda: Option<f64>,
    #[command(flatten)]
    pub set: SetArgs,
    #[command(flatten)]
    pub size: RunSize,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub threads: ThreadsArg,
    /// Run only shard K of N of the iterations, for several machines (`auto`: this job array task's, from Slurm,
    /// Grid Engine, PBS, Kubernetes or AWS Batch); writes a shard folder that `carecast merge` combines.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Print only the output directory.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The arguments of `carecast check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
}

/// The arguments of `carecast serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Scenario files, or folders of them (every .toml file in the folder). Default: the bundled `scenarios`.
    #[arg(value_name = "SCENARIO_OR_FOLDER")]
    pub paths: Vec<PathBuf>,
    /// Address and port to listen on. The default answers this machine only; another address lets anyone who can
    /// reach it run models here (carecast warns). Port 0 picks a free port.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = crate::serve::DEFAULT_LISTEN)]
    pub listen: String,
    /// The most iterations one change may run.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_iterations: usize,
    /// The most runs at once, across every open page.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub max_runs: usize,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

impl RunSize {
    /// These, and the parameter changes `set`, as the changes a command makes to a scenario.
    pub fn with(&self, set: &SetArgs) -> Result<ScenarioChanges, InputError> {
        Ok(ScenarioChanges {
            iterations: self.iterations,
            seed: self.seed,
            overrides: set.overrides()?,
        })
    }
}

impl SetArgs {
    /// The parsed `--set` values.
    pub fn overrides(&self) -> Result<Vec<Override>, InputError> {
        self.set
            .iter()
            .map(|s| Override::parse(s).map_err(|m| InputError::usage("--set", m)))
            .collect()
    }
}

/// Parses `--vary` values.
pub fn parse_axes(vary: &[String]) -> Result<Vec<SweepAxis>, InputError> {
    vary.iter()
        .map(|v| SweepAxis::parse(v).map_err(|m| InputError::usage("--vary", m)))
        .collect()
}

/// Parses `--shard K/N` or `--shard auto` (read from the job scheduler's environment), with where the shard came
/// from: "--shard", or the scheduler's variable.
pub fn parse_shard(shard: Option<&str>) -> Result<Option<(Shard, String)>, InputError> {
    let Some(text) = shard else { return Ok(None) };
    let found = if text.trim() == "auto" {
        Shard::from_environment(|name| std::env::var(name).ok())
    } else {
        Shard::parse(text).map(|s| (s, "--shard".to_string()))
    };
    found.map(Some).map_err(|m| InputError::usage("--shard", m))
}

/// Parses `--measure`.
pub fn parse_measure(measure: &str) -> Result<Measure, InputError> {
    Measure::parse(measure).map_err(|m| InputError::usage("--measure", m))
}

/// Parses a two-way axis, `--x` or `--y` NAME=LOW:HIGH:STEPS, into the name and its values (2 to `max` of them).
pub fn parse_twoway_axis(option: &str, text: &str, max: usize) -> Result<(String, Vec<f64>), InputError> {
    let axis = SweepAxis::parse(text).map_err(|m| InputError::usage(option, m))?;
    if let Some(field) = &axis.field {
        return Err(InputError::usage(
            option,
            format!(
                "`{}.{field}`: two-way analysis sets a parameter's value on the model at its means; write {}=LOW:HIGH:STEPS",
                axis.name, axis.name
            ),
        ));
    }
    if !(2..=max).contains(&axis.values.len()) {
        return Err(InputError::usage(
            option,
            format!("STEPS must be from 2 to {max} (in `{text}`)"),
        ));
    }
    Ok((axis.name, axis.values))
}

/// Parses `--better higher|lower`.
pub fn parse_better(text: &str) -> Result<crate::model::Better, InputError> {
    crate::model::Better::parse(text).ok_or_else(|| {
        InputError::usage(
            "--better",
            format!("`{text}` is not a direction: use higher (more is better) or lower (less is better)"),
        )
    })
}

/// Parses `--bounds NAME=LOW:HIGH` values.
pub fn parse_bounds(bounds: &[String]) -> Result<Vec<(String, f64, f64)>, InputError> {
    bounds
        .iter()
        .map(|b| {
            let (name, range) = b
                .split_once('=')
                .ok_or_else(|| InputError::usage("--bounds", format!("expected NAME=LOW:HIGH, not `{b}`")))?;
            let (low, high) = parse_range(range).map_err(|m| InputError::usage("--bounds", m))?;
            Ok((name.trim().to_string(), low, high))
        })
        .collect()
}

/// Parses `--group NAME=P1,P2,...` values.
pub fn parse_groups(groups: &[String]) -> Result<Vec<(String, Vec<String>)>, InputError> {
    groups
        .iter()
        .map(|g| {
            let bad = || InputError::usage("--group", format!("expected NAME=P1,P2,..., not `{g}`"));
            let (name, members) = g.split_once('=').ok_or_else(bad)?;
            let members: Vec<String> = members
                .split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect();
            if name.trim().is_empty() || members.is_empty() {
                return Err(bad());
            }
            Ok((name.trim().to_string(), members))
        })
        .collect()
}

/// Parses LOW:HIGH with LOW < HIGH.
pub fn parse_range(text: &str) -> Result<(f64, f64), String> {
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

/// Parses `--wtp FROM:TO:STEP` into an increasing grid.
pub fn parse_wtp(text: &str) -> Result<Vec<f64>, InputError> {
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
