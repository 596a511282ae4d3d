//! The commands behind the command-line program, as library functions: load, override, run, analyse and write.

use crate::analysis::{analyse, Analysis, AnalysisOptions, PsaTable};
use crate::error::{Error, InputError, RunError};
use crate::model::{apply_overrides, compile_with, Loaded};
use crate::output::{self, Provenance, RunDir, Timing};
use crate::scenario::Override;
use crate::simulate::{self, Progress, Results};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `carecast run` that override the scenario file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub iterations: Option<u64>,
    pub seed: Option<u64>,
    /// Base output directory (default `output`).
    pub out: Option<PathBuf>,
    /// Worker threads (default: rayon's choice, RAYON_NUM_THREADS or all cores).
    pub threads: Option<usize>,
    /// The command line, recorded in the provenance.
    pub command: String,
    /// Parameter changes (`--set`), applied in order.
    pub overrides: Vec<Override>,
}

/// A finished run.
#[derive(Debug)]
pub struct RunOutcome {
    pub loaded: Loaded,
    pub results: Results,
    pub analysis: Analysis,
    pub dir: PathBuf,
    pub timing: Timing,
}

/// A rayon pool of `threads` workers (rayon's default where None: RAYON_NUM_THREADS or all cores).
fn worker_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, RunError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| RunError {
            message: format!("cannot start worker threads: {e}"),
        })
}

/// Writes an analysis's files into a new directory `<out or output>/<scenario>/<time>-<tag>`, whole or not at all.
fn write_run_dir(
    out: &Option<PathBuf>,
    scenario: &str,
    tag: &str,
    write: impl FnOnce(&Path) -> Result<(), RunError>,
) -> Result<PathBuf, Error> {
    let base = out.clone().unwrap_or_else(|| PathBuf::from("output"));
    let dir = RunDir::create(&base, scenario, tag).map_err(|e| InputError::usage("--out", e.message))?;
    if let Err(e) = write(dir.path()) {
        dir.abandon();
        return Err(e.into());
    }
    Ok(dir.finish()?)
}

/// Loads and checks a scenario, applying command-line overrides.
pub fn load(path: &Path, options: &RunOptions) -> Result<Loaded, InputError> {
    let mut loaded = crate::model::load(path)?;
    if !options.overrides.is_empty() {
        let names: Vec<String> = options.overrides.iter().map(|o| o.name.clone()).collect();
        let mut model = compile_with(&loaded.scenario, &names)?;
        apply_overrides(&mut model, &loaded.scenario, &options.overrides)?;
        loaded.model = model;
    }
    if let Some(n) = options.iterations {
        if n == 0 || n > crate::model::MAX_ITERATIONS as u64 {
            return Err(InputError::usage(
                "--iterations",
                format!("must be from 1 to {}, not {n}", crate::model::MAX_ITERATIONS),
            ));
        }
        loaded.run.iterations = n as usize;
    }
    if let Some(seed) = options.seed {
        loaded.run.seed = seed;
    }
    check_memory(&loaded)?;
    Ok(loaded)
}

/// Refuses runs whose result arrays would not fit in memory, saying how much they would need: at most 16 GiB, and
/// at most three quarters of this machine's memory where the system says how much that is.
fn check_memory(loaded: &Loaded) -> Result<(), InputError> {
    let bytes = simulate::memory_estimate(&loaded.model, &loaded.run);
    let installed = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kib| kib * 1024)
    });
    let limit = installed.map_or(16 << 30, |total| (total / 4 * 3).min(16 << 30));
    if bytes > limit {
        return Err(InputError::file(
            &loaded.scenario.path,
            format!(
                "{} iterations of this model would need about {:.1} GiB for their results, more than the {:.1} GiB carecast allows on this machine; use fewer iterations",
                loaded.run.iterations,
                bytes as f64 / (1u64 << 30) as f64,
                limit as f64 / (1u64 << 30) as f64
            ),
        ));
    }
    Ok(())
}

/// Runs a scenario end to end and writes its run directory.
pub fn run(path: &Path, options: &RunOptions, progress: Option<&Progress>) -> Result<RunOutcome, Error> {
    let started = Instant::now();
    let started_utc = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let loaded = load(path, options)?;
    let model = &loaded.model;
    let base = options.out.clone().unwrap_or_else(|| PathBuf::from("output"));
    // An output directory that cannot be created is a usage error (exit code 2), like any other bad input.
    let run_dir = RunDir::create(&base, &model.meta.name, &format!("seed{}", loaded.run.seed))
        .map_err(|e| InputError::usage("--out", e.message))?;

    let pool = worker_pool(options.threads)?;
    let threads = pool.current_num_threads();
    let sim_start = Instant::now();
    let interrupted = || progress.is_some_and(|p| p.cancel.load(std::sync::atomic::Ordering::Relaxed));
    let results = match pool.install(|| simulate::run(model, &loaded.run, progress)) {
        Ok(r) => r,
        Err(e) => {
            run_dir.abandon();
            return Err(if interrupted() { Error::Interrupted(e) } else { e.into() });
        }
    };
    let simulation_seconds = sim_start.elapsed().as_secs_f64();
    let analysis_options = AnalysisOptions {
        wtp: model.settings.wtp.clone(),
        threshold: model.settings.threshold,
        population: model.settings.population,
    };
    let table = PsaTable::from_results(model, &results);
    let analysis = analyse(&table, &analysis_options);
    let provenance = Provenance {
        program: "carecast".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_file: loaded.scenario.path.display().to_string(),
        scenario_sha256: loaded.scenario.sha256.clone(),
        seed: loaded.run.seed,
        iterations: loaded.run.iterations,
        mode: model.settings.mode,
        command: reproduce_command(&loaded, options),
        overrides: options.overrides.iter().map(Override::describe).collect(),
    };
    let mut timing = Timing {
        started_utc,
        wall_seconds: 0.0,
        simulation_seconds,
        threads,
    };
    timing.wall_seconds = started.elapsed().as_secs_f64();
    if let Err(e) = output::write_outputs(
        run_dir.path(),
        &loaded,
        &results,
        &table,
        &analysis,
        &provenance,
        &timing,
    ) {
        run_dir.abandon();
        return Err(e.into());
    }
    // Interrupted while writing: the outputs are complete, but the user asked to stop, so none are published.
    if interrupted() {
        run_dir.abandon();
        return Err(Error::Interrupted(RunError {
            message: simulate::INTERRUPTED.to_string(),
        }));
    }
    let dir = run_dir.finish()?;
    Ok(RunOutcome {
        loaded,
        results,
        analysis,
        dir,
        timing,
    })
}

/// The command line that reproduces a run exactly (the seed and iterations spelled out).
fn reproduce_command(loaded: &Loaded, options: &RunOptions) -> String {
    let mut command = format!(
        "carecast run {} --seed {} --iterations {}",
        loaded.scenario.path.display(),
        loaded.run.seed,
        loaded.run.iterations
    );
    for o in &options.overrides {
        command.push_str(&format!(" --set {}", o.describe()));
    }
    command
}

/// Options of `carecast analyse`.
#[derive(Debug, Clone)]
pub struct AnalyseOptions {
    pub csv: crate::analysis::csv_input::CsvOptions,
    pub analysis: AnalysisOptions,
    /// Base output directory (default `output`).
    pub out: Option<PathBuf>,
}

/// A finished `carecast analyse`.
#[derive(Debug)]
pub struct AnalyseOutcome {
    pub table: PsaTable,
    pub analysis: Analysis,
    pub dir: PathBuf,
}

/// Analyses another model's PSA output read from CSV and writes the same tables as a run.
pub fn analyse_file(path: &Path, options: &AnalyseOptions) -> Result<AnalyseOutcome, Error> {
    let table = crate::analysis::csv_input::read_psa_csv(path, &options.csv)?;
    let analysis = analyse(&table, &options.analysis);
    let bytes = std::fs::read(path).map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
    let sha256: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stem: String = path
        .file_stem()
        .map(|s| {
            s.to_string_lossy()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
                .collect()
        })
        .unwrap_or_else(|| "input".to_string());
    let base = options.out.clone().unwrap_or_else(|| PathBuf::from("output"));
    let run_dir = RunDir::create(&base, &format!("analyse-{stem}"), "analyse")
        .map_err(|e| InputError::usage("--out", e.message))?;
    if let Err(e) = output::write_analyse_outputs(run_dir.path(), path, &sha256, &table, &analysis) {
        run_dir.abandon();
        return Err(e.into());
    }
    let dir = run_dir.finish()?;
    Ok(AnalyseOutcome { table, analysis, dir })
}

/// Options of `carecast reproduce`.
#[derive(Debug, Clone, Default)]
pub struct ReproduceOptions {
    /// Iterations per scenario (default: each scenario's own).
    pub iterations: Option<u64>,
    pub seed: Option<u64>,
    /// Where reproduction.csv and reproduction.md go (default `output/reproduction`).
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
}

/// A finished `carecast reproduce`.
#[derive(Debug)]
pub struct ReproduceOutcome {
    pub rows: Vec<crate::analysis::reproduce::Reproduced>,
    /// The directory holding reproduction.csv and reproduction.md.
    pub dir: PathBuf,
}

/// The bundled scenarios that claim to reproduce published figures: `scenarios/*.toml` with `[[reproduce]]` targets.
pub fn bundled_scenarios(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::usage(
            "SCENARIO",
            format!(
                "no scenario files given and cannot read {}: {e}; run from the carecast directory or name the files",
                dir.display()
            ),
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("[[reproduce]]")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(InputError::usage(
            "SCENARIO",
            format!("no scenario in {} has [[reproduce]] targets", dir.display()),
        ));
    }
    Ok(paths)
}

/// Runs the reproduction targets of the given scenario files and writes reproduction.csv and reproduction.md.
pub fn reproduce(paths: &[PathBuf], options: &ReproduceOptions) -> Result<ReproduceOutcome, Error> {
    let run_options = RunOptions {
        iterations: options.iterations,
        seed: options.seed,
        ..RunOptions::default()
    };
    let loaded: Vec<Loaded> = paths.iter().map(|p| load(p, &run_options)).collect::<Result<_, _>>()?;
    if let Some(l) = loaded.iter().find(|l| l.model.targets.is_empty()) {
        return Err(InputError::file(&l.scenario.path, "this scenario has no [[reproduce]] targets").into());
    }
    let dir = options
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join("reproduction"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| InputError::usage("--out", format!("cannot create {}: {e}", dir.display())))?;
    let pool = worker_pool(options.threads)?;
    let mut rows = Vec::new();
    for l in &loaded {
        rows.extend(pool.install(|| crate::analysis::reproduce::reproduce(l))?);
    }
    // Written whole and renamed, so a reader never sees half a table.
    let write = |name: &str, fill: &dyn Fn(&Path) -> Result<(), RunError>| -> Result<(), RunError> {
        let temp = dir.join(format!(".{name}.incomplete"));
        fill(&temp)?;
        std::fs::rename(&temp, dir.join(name)).map_err(|e| RunError::cannot_write(&dir.join(name), e))
    };
    write("reproduction.csv", &|p| crate::analysis::reproduce::to_csv(&rows, p))?;
    let markdown = format!(
        "# Published figures reproduced by carecast {}\n\nEach row: a published figure, the value carecast computes from the bundled scenario's inputs (mean, with the 95% interval across the PSA; for a probability, its Monte Carlo interval), and whether it lies in the range the scenario accepts. The scenarios' comments say why each range is what it is.\n\n{}",
        env!("CARGO_PKG_VERSION"),
        crate::analysis::reproduce::to_markdown(&rows)
    );
    write("reproduction.md", &|p| {
        std::fs::write(p, &markdown).map_err(|e| RunError::cannot_write(p, e))
    })?;
    Ok(ReproduceOutcome { rows, dir })
}

/// The most points (grid points × scenarios) one sweep may have.
pub const MAX_SWEEP_POINTS: usize = 100_000_000;

/// Options of `carecast sweep`.
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// The grid (`--vary`); empty: each scenario's own `[sweep]`.
    pub vary: Vec<crate::scenario::SweepAxis>,
    pub iterations: Option<u64>,
    pub seed: Option<u64>,
    pub shard: Option<crate::sweep::Shard>,
    /// `--set` changes that hold at every point.
    pub overrides: Vec<Override>,
    /// Base output directory (default `output`).
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
}

/// Runs a sweep of one or more scenarios over one grid and writes its table and plots.
pub fn sweep(
    paths: &[PathBuf],
    options: &SweepOptions,
    progress: Option<&Progress>,
) -> Result<crate::sweep::SweepOutcome, Error> {
    if paths.is_empty() {
        return Err(InputError::usage("SCENARIO", "name at least one scenario file").into());
    }
    let run_options = RunOptions {
        iterations: options.iterations,
        seed: options.seed,
        ..RunOptions::default()
    };
    let loaded: Vec<Loaded> = paths.iter().map(|p| load(p, &run_options)).collect::<Result<_, _>>()?;
    let axes = if options.vary.is_empty() {
        let first = &loaded[0];
        if first.model.sweep.is_empty() {
            return Err(InputError::file(
                &first.scenario.path,
                "nothing to vary: give --vary NAME=FROM:TO:STEPS, or a [sweep] table in the scenario",
            )
            .into());
        }
        if let Some(other) = loaded.iter().find(|l| l.model.sweep != first.model.sweep) {
            return Err(InputError::file(
                &other.scenario.path,
                format!(
                    "its [sweep] differs from that of {}: one sweep has one grid; give --vary, or sweep them separately",
                    first.scenario.path.display()
                ),
            )
            .into());
        }
        first.model.sweep.clone()
    } else {
        options.vary.clone()
    };
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
    let pool = worker_pool(options.threads)?;
    let base = options.out.clone().unwrap_or_else(|| PathBuf::from("output"));
    pool.install(|| {
        let models = crate::sweep::prepare(&loaded, &axes, &options.overrides)?;
        crate::sweep::run(
            &loaded,
            &models,
            &axes,
            &options.overrides,
            options.shard,
            &base,
            progress,
        )
    })
}

/// Options of `carecast tornado`.
#[derive(Debug, Clone)]
pub struct TornadoOptions {
    pub measure: crate::analysis::sensitivity::Measure,
    /// Low and high values for named parameters (default: their 2.5th and 97.5th percentiles).
    pub bounds: Vec<(String, f64, f64)>,
    pub out: Option<PathBuf>,
}

/// A finished one-way analysis.
#[derive(Debug)]
pub struct TornadoOutcome {
    pub bars: Vec<crate::analysis::sensitivity::TornadoBar>,
    pub dir: PathBuf,
}

/// One-way (tornado) analysis on the deterministic model; writes tornado.csv and a plot per comparison.
pub fn tornado(path: &Path, options: &TornadoOptions) -> Result<TornadoOutcome, Error> {
    let loaded = crate::model::load(path)?;
    let extra: Vec<String> = options.bounds.iter().map(|(n, _, _)| n.clone()).collect();
    for (name, low, high) in &options.bounds {
        if !loaded.model.has_parameter(name) {
            return Err(InputError::usage("--bounds", loaded.model.unknown_parameter(name)).into());
        }
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(InputError::usage("--bounds", format!("`{name}` needs LOW < HIGH, not {low}:{high}")).into());
        }
    }
    let det = crate::analysis::sensitivity::Deterministic::new(&loaded, &extra)?;
    let bars = crate::analysis::sensitivity::tornado(&det, options.measure, &options.bounds)?;
    let dir = write_run_dir(&options.out, &loaded.model.meta.name, "tornado", |dir| {
        crate::analysis::sensitivity::write_tornado_csv(&dir.join("tornado.csv"), options.measure, &bars)?;
        output::figures::write_tornado_figures(dir, &loaded.model, options.measure, &bars).map(|_| ())
    })?;
    Ok(TornadoOutcome { bars, dir })
}

/// Options of `carecast threshold`.
#[derive(Debug, Clone)]
pub struct ThresholdOptions {
    pub parameter: String,
    pub measure: crate::analysis::sensitivity::Measure,
    pub range: Option<(f64, f64)>,
    pub out: Option<PathBuf>,
}

/// A finished threshold analysis.
#[derive(Debug)]
pub struct ThresholdOutcome {
    pub thresholds: Vec<crate::analysis::sensitivity::Threshold>,
    pub dir: PathBuf,
}

/// Threshold analysis of one parameter on the deterministic model; writes threshold.csv.
pub fn threshold(path: &Path, options: &ThresholdOptions) -> Result<ThresholdOutcome, Error> {
    let loaded = crate::model::load(path)?;
    let det = crate::analysis::sensitivity::Deterministic::new(&loaded, std::slice::from_ref(&options.parameter))?;
    let thresholds = crate::analysis::sensitivity::threshold(&det, &options.parameter, options.measure, options.range)?;
    let dir = write_run_dir(&options.out, &loaded.model.meta.name, "threshold", |dir| {
        crate::analysis::sensitivity::write_threshold_csv(&dir.join("threshold.csv"), &thresholds)?;
        output::figures::write_threshold_figures(dir, &loaded.model, &thresholds).map(|_| ())
    })?;
    Ok(ThresholdOutcome { thresholds, dir })
}

/// Options of `carecast evppi`.
#[derive(Debug, Clone, Default)]
pub struct EvppiOptions {
    pub iterations: Option<u64>,
    pub seed: Option<u64>,
    /// Willingness to pay for the net benefit [default: the scenario's threshold].
    pub lambda: Option<f64>,
    /// Named groups of parameters, valued together.
    pub groups: Vec<(String, Vec<String>)>,
    /// `--set` changes to the scenario.
    pub overrides: Vec<Override>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
}

/// EVPPI of one sampled parameter (in one scope) or of a named group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvppiRow {
    /// The parameter (with its scope where it is not the base model's) or the group's name.
    pub label: String,
    /// `parameter` or `group`.
    pub kind: &'static str,
    /// The group's members (the parameter itself for a single one).
    pub members: Vec<String>,
    pub estimate: crate::analysis::evppi::Evppi,
}

/// A finished EVPPI analysis.
#[derive(Debug)]
pub struct EvppiOutcome {
    pub rows: Vec<EvppiRow>,
    pub lambda: f64,
    pub population: Option<f64>,
    pub dir: PathBuf,
}

/// Runs the scenario's PSA and estimates the EVPPI of every sampled parameter and of each named group, by
/// regression of the net monetary benefit on the sampled values (see [`crate::analysis::evppi`]).
pub fn evppi(path: &Path, options: &EvppiOptions) -> Result<EvppiOutcome, Error> {
    let run_options = RunOptions {
        iterations: options.iterations,
        seed: options.seed,
        overrides: options.overrides.clone(),
        ..RunOptions::default()
    };
    let loaded = load(path, &run_options)?;
    let model = &loaded.model;
    let primary = model.settings.primary_outcome.ok_or_else(|| {
        InputError::file(
            path,
            "EVPPI values the net monetary benefit, which needs an outcome; no state has one",
        )
    })?;
    let lambda = options.lambda.unwrap_or(model.settings.threshold);
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(InputError::usage("--lambda", "must be a non-negative amount").into());
    }
    // The sampled parameters, one column each (a Dirichlet's components too, each its own column).
    let sampled: Vec<(String, String, usize)> = model
        .parameters
        .iter()
        .filter_map(|p| {
            let slot = p.draw_slot?;
            let fixed = matches!(p.spec, crate::model::ParameterSpec::Fixed { .. });
            (!fixed).then(|| {
                let label = if p.scope == "base" {
                    p.name.clone()
                } else {
                    format!("{} ({})", p.name, p.scope)
                };
                (label, p.name.clone(), slot)
            })
        })
        .collect();
    for (group, members) in &options.groups {
        for m in members {
            if !sampled.iter().any(|(_, name, _)| name == m) {
                let known: Vec<&str> = sampled.iter().map(|(_, n, _)| n.as_str()).collect();
                return Err(InputError::usage(
                    "--group",
                    format!(
                        "group `{group}`: `{m}` is not a sampled parameter of this scenario{}",
                        crate::error::suggest(m, &known)
                    ),
                )
                .into());
            }
        }
    }
    let pool = worker_pool(options.threads)?;
    let results = pool.install(|| simulate::run(model, &loaded.run, None))?;
    let n = results.iterations();
    let outcome_column = crate::model::columns::outcome(primary);
    let nmb = ndarray::Array2::from_shape_fn((n, model.arms.len()), |(i, a)| {
        lambda * results.total(i, a, outcome_column) - results.total_cost(i, a)
    });
    let columns =
        |slots: &[usize]| ndarray::Array2::from_shape_fn((n, slots.len()), |(i, k)| results.draws[[i, slots[k]]]);
    let mut rows: Vec<EvppiRow> = pool.install(|| {
        use rayon::prelude::*;
        sampled
            .par_iter()
            .map(|(label, name, slot)| EvppiRow {
                label: label.clone(),
                kind: "parameter",
                members: vec![name.clone()],
                estimate: crate::analysis::evppi::evppi(columns(&[*slot]).view(), nmb.view()),
            })
            .collect()
    });
    for (group, members) in &options.groups {
        let slots: Vec<usize> = sampled
            .iter()
            .filter(|(_, name, _)| members.contains(name))
            .map(|(_, _, s)| *s)
            .collect();
        rows.push(EvppiRow {
            label: group.clone(),
            kind: "group",
            members: members.clone(),
            estimate: pool.install(|| crate::analysis::evppi::evppi(columns(&slots).view(), nmb.view())),
        });
    }
    let dir = write_run_dir(&options.out, &model.meta.name, "evppi", |dir| {
        write_evppi(dir, model, lambda, &rows)
    })?;
    Ok(EvppiOutcome {
        rows,
        lambda,
        population: model.settings.population,
        dir,
    })
}

fn write_evppi(dir: &Path, model: &crate::model::Model, lambda: f64, rows: &[EvppiRow]) -> Result<(), RunError> {
    let path = dir.join("evppi.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| RunError::cannot_write(&path, e))?;
    w.write_record([
        "parameter_or_group",
        "kind",
        "members",
        "lambda",
        "evppi_per_person",
        "se",
        "evpi_per_person",
        "evppi_population",
        "iterations",
        "method",
        "notes",
    ])
    .map_err(|e| RunError::cannot_write(&path, e))?;
    let number = |x: f64| if x.is_finite() { x.to_string() } else { String::new() };
    for r in rows {
        let e = &r.estimate;
        w.write_record([
            r.label.clone(),
            r.kind.to_string(),
            r.members.join(" "),
            number(lambda),
            number(e.value),
            number(e.se),
            number(e.evpi),
            model.settings.population.map_or(String::new(), |p| number(p * e.value)),
            e.iterations.to_string(),
            e.method.clone(),
            e.notes.join("; "),
        ])
        .map_err(|e| RunError::cannot_write(&path, e))?;
    }
    w.flush().map_err(|e| RunError::cannot_write(&path, e))?;
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    output::figures::write_evppi_figure(dir, title, lambda, rows)?;
    Ok(())
}
