//! Sharded PSA: `run --shard K/N` and `evppi --shard K/N` run one slice of the iterations on one machine and write it
//! as a shard; `merge` reads a run's shards back and finishes the command exactly as the unsharded run would, so its
//! outputs are the unsharded run's byte for byte (apart from timing).
//!
//! Each iteration draws from its own random stream, so a shard's iterations are exactly the unsharded run's. A shard
//! holds whole chunks of iterations and keeps each chunk's per-year sums apart, so that the merge adds them in the
//! unsharded run's order (see [`simulate::join`]).

use super::evppi::check_evppi;
use super::load::{check_memory, load_unchecked};
use super::run::later_models;
use super::{Context, Error, EvppiOutcome, RunOutcome, ScenarioChanges};
use crate::error::InputError;
use crate::model::{Loaded, Model, RunSettings, Shard};
use crate::output::run_shard::{
    part_pieces, read_part, read_shard_manifest, write_part, write_shard_manifest, RunShardManifest, ShardedCommand,
    ShardedRun, SHARD_MANIFEST,
};
use crate::output::samples::Keep;
use crate::scenario::Override;
use crate::simulate::{self, RangeResults, Results, CHUNK};
use rayon::prelude::*;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// A finished shard.
#[derive(Debug)]
pub struct ShardOutcome {
    pub dir: PathBuf,
    pub manifest: RunShardManifest,
}

/// Runs shard `shard` of the command `command` of the scenario at `path` with `changes`, and writes it as a shard
/// directory; `shard_from` says where the shard's index and count came from. Refuses, before any work, a shard that
/// would have no iterations, and a command that would fail on the whole run (an EVPPI with nothing to value).
pub fn run_shard(
    ctx: &Context,
    path: &Path,
    changes: &ScenarioChanges,
    command: ShardedCommand,
    (shard, shard_from): (Shard, &str),
) -> Result<ShardOutcome, Error> {
    let loaded = load_unchecked(path, changes)?;
    let model = &loaded.model;
    let range = shard_iterations(&loaded, shard)?;
    // A shard simulates and writes a piece of at most one block at a time.
    check_memory(&loaded, range.len().min(simulate::BLOCK), false)?;
    let later = match &command {
        ShardedCommand::Run { .. } => later_models(model),
        ShardedCommand::Evppi { lambda, groups } => {
            check_evppi(model, path, *lambda, groups)?;
            Vec::new()
        }
    };
    let run = ShardedRun {
        program: "carecast".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command,
        scenario: loaded.scenario.path.clone(),
        sha256: loaded.scenario.sha256.clone(),
        seed: loaded.run.seed,
        iterations: loaded.run.iterations,
        set: changes.overrides.iter().map(Override::describe).collect(),
    };
    let tag = format!("seed{}-shard-{}-of-{}", loaded.run.seed, shard.index, shard.count);
    let dir = ctx.run_dir(&model.meta.name, &tag)?;
    let started = Instant::now();
    let mut manifest = RunShardManifest {
        run,
        shard,
        shard_from: shard_from.to_string(),
        first: range.start,
        end: range.end,
        parts: Vec::new(),
        simulation_seconds: 0.0,
    };
    // The progress bar counts the shard's iterations of every model it simulates (see `run::run`).
    ctx.count_progress_over(range.len().saturating_mul(1 + later.len()));
    let dir = ctx.publish(dir, |dir| {
        for (i, m) in std::iter::once(model).chain(&later).enumerate() {
            // A piece at a time, each ending at a block boundary of the run: the shard holds one piece.
            let mut files = Vec::new();
            for (k, piece) in simulate::block_pieces(range.clone(), simulate::BLOCK).enumerate() {
                let part = ctx.simulate_range(m, &loaded.run, piece)?;
                files.push(write_part(dir, (i, k), &part.to_bytes())?);
            }
            manifest.parts.push(files);
        }
        manifest.simulation_seconds = started.elapsed().as_secs_f64();
        Ok(write_shard_manifest(dir, &manifest)?)
    })?;
    Ok(ShardOutcome { dir, manifest })
}

/// The iterations shard `shard` of the loaded run holds, or why it cannot be run.
fn shard_iterations(loaded: &Loaded, shard: Shard) -> Result<Range<usize>, InputError> {
    let n = loaded.run.iterations;
    simulate::shard_range(n, shard.index, shard.count).ok_or_else(|| {
        let chunks = n.div_ceil(CHUNK);
        InputError::usage(
            "--shard",
            format!(
                "{} of {}: a run is split into whole chunks of {CHUNK} iterations, and its {n} iterations make {chunks}; \
                 use at most {chunks} shards, or more iterations",
                shard.index, shard.count
            ),
        )
    })
}

/// The simulations of a sharded run, read back from its shards in the order the command asks for them.
#[derive(Debug)]
pub struct Replay {
    /// The shards' folders and manifests, in shard order.
    shards: Vec<(PathBuf, RunShardManifest)>,
    /// The part the command's next simulation reads.
    next: AtomicUsize,
}

impl Replay {
    /// Whether the command read every part the shards hold: a shard that simulated more than the merge used would
    /// mean the two disagree about which simulations a run makes, and its results could have gone to the wrong one.
    pub(super) fn used_every_part(&self) -> bool {
        self.next.load(Ordering::Relaxed) == self.shards[0].1.parts.len()
    }

    /// How many shards it reads.
    pub(super) fn shards(&self) -> usize {
        self.shards.len()
    }

    /// The command's next simulation, of `model` for `run`, a block of `block` iterations at a time: every shard's
    /// part read in shard order, one shard at a time, and put into the blocks an unsharded run makes (see
    /// [`simulate::Reblocker`]), each handed to `each`. Returns the whole run's per-year means, with the time taken
    /// as its simulation's.
    pub(super) fn blocks<E: From<Error>>(
        &self,
        model: &Model,
        run: &RunSettings,
        block: usize,
        mut each: impl FnMut(Results) -> Result<Option<Results>, E>,
    ) -> Result<simulate::BlocksRun, E> {
        let started = Instant::now();
        let part = self.next.fetch_add(1, Ordering::Relaxed);
        let mut blocks = simulate::Reblocker::new(model, run, block);
        let misfit = |dir: &Path, e: String| -> E {
            let message = format!("the shards' results do not fit this scenario's run: {e}");
            Error::from(InputError::file(&dir.join(SHARD_MANIFEST), message)).into()
        };
        for (dir, manifest) in &self.shards {
            for range in shard_ranges(dir, manifest, part) {
                let range = range.map_err(|e| E::from(e.into()))?;
                // Nothing is simulated into a block handed back (a merge reads its blocks): it is dropped at once.
                let mut dropping_back = |block| each(block).map(|_| None);
                blocks.push(range, &mut dropping_back).map_err(|e| misfit(dir, e))??;
            }
        }
        // Nothing is simulated: the time is that of reading the shards and analysing them.
        let yearly_mean = blocks.finish().map_err(|e| misfit(&self.shards[0].0, e))?;
        Ok(simulate::BlocksRun {
            yearly_mean,
            simulating: started.elapsed(),
        })
    }

    /// The results of the command's next simulation, of `model` for `run`: every shard's part, joined.
    pub(super) fn next(&self, model: &Model, run: &RunSettings) -> Result<Results, Error> {
        let part = self.next.fetch_add(1, Ordering::Relaxed);
        let ranges: Vec<RangeResults> = self
            .shards
            .par_iter()
            .map(|(dir, manifest)| shard_ranges(dir, manifest, part).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        simulate::join(model, run, ranges).map_err(|e| {
            let dir = &self.shards[0].0;
            InputError::file(
                &dir.join(SHARD_MANIFEST),
                format!("the shards' results do not fit this scenario's run: {e}"),
            )
            .into()
        })
    }
}

/// The pieces of part `part` of the shard in `dir`, read one at a time, each checked to hold the next of the shard's
/// iterations, and the last to end where the shard does.
fn shard_ranges<'a>(
    dir: &'a Path,
    manifest: &'a RunShardManifest,
    part: usize,
) -> impl Iterator<Item = Result<RangeResults, InputError>> + 'a {
    let pieces = part_pieces(dir, manifest, part);
    let count = *pieces.as_ref().unwrap_or(&1);
    let mut next = manifest.first;
    (0..count).map(move |k| {
        pieces.clone()?;
        let bytes = read_part(dir, manifest, (part, k))?;
        let file = dir.join(&manifest.parts[part][k].file);
        let range = RangeResults::from_bytes(&bytes).map_err(|e| InputError::file(&file, e))?;
        let last = k + 1 == count;
        if range.range.start != next || range.range.end > manifest.end || (last && range.range.end != manifest.end) {
            return Err(InputError::file(
                &file,
                format!(
                    "holds iterations {} to {}, where {SHARD_MANIFEST} says the shard's iterations {} to {} come                      in pieces from {next}",
                    range.range.start, range.range.end, manifest.first, manifest.end
                ),
            ));
        }
        next = range.range.end;
        Ok(range)
    })
}

/// What merging a sharded run gave: the run, or the EVPPI analysis, as the unsharded command gives it.
#[derive(Debug)]
pub enum MergedRun {
    Run { outcome: Box<RunOutcome>, keep: Keep },
    Evppi(EvppiOutcome),
}

/// Merges the shards in `dirs` (all the shards of one run, each once) by finishing the sharded command on their
/// results, in `ctx`.
pub(super) fn merge_run_shards(ctx: Context, dirs: &[PathBuf]) -> Result<MergedRun, Error> {
    let manifests: Vec<RunShardManifest> = dirs.iter().map(|d| read_shard_manifest(d)).collect::<Result<_, _>>()?;
    let shards = check_run_shards(dirs, manifests)?;
    let run = shards[0].1.run.clone();
    let changes = ScenarioChanges {
        iterations: Some(run.iterations as u64),
        seed: Some(run.seed),
        overrides: (run.set.iter())
            .map(|s| Override::parse(s).map_err(|m| InputError::file(&shards[0].0.join(SHARD_MANIFEST), m)))
            .collect::<Result<_, _>>()?,
    };
    check_scenario(&shards[0].0, &run, &changes)?;
    let keep = match run.command {
        ShardedCommand::Run { keep_first, gzip } => Keep {
            first: keep_first,
            gzip,
        },
        ShardedCommand::Evppi { .. } => Keep::default(),
    };
    let ctx = ctx.with_keep(keep).with_replay(Replay {
        shards,
        next: AtomicUsize::new(0),
    });
    let merged = finish_command(&ctx, &run, &changes)?;
    if !ctx.replay_used_every_part() {
        return Err(InputError::file(
            &dirs[0].join(SHARD_MANIFEST),
            "the shards hold more simulations than this run makes: they and this carecast disagree about the run; \
             run the shards again with this carecast (the merged folder written is not to be used)",
        )
        .into());
    }
    Ok(merged)
}

/// Finishes the sharded command on the shards' results, as the unsharded command would.
fn finish_command(ctx: &Context, run: &ShardedRun, changes: &ScenarioChanges) -> Result<MergedRun, Error> {
    match run.command.clone() {
        ShardedCommand::Run { .. } => Ok(MergedRun::Run {
            outcome: Box::new(super::run(ctx, &run.scenario, changes)?),
            keep: ctx.keep(),
        }),
        ShardedCommand::Evppi { lambda, groups } => Ok(MergedRun::Evppi(super::evppi(
            ctx,
            &run.scenario,
            changes,
            lambda,
            &groups,
        )?)),
    }
}

/// Checks that the shards are all of one run, each given once, none missing, each holding its own iterations; returns
/// them in shard order.
fn check_run_shards(
    dirs: &[PathBuf],
    manifests: Vec<RunShardManifest>,
) -> Result<Vec<(PathBuf, RunShardManifest)>, InputError> {
    let first = manifests[0].clone();
    let count = first.shard.count;
    let mut seen: Vec<Option<(PathBuf, RunShardManifest)>> = vec![None; count];
    for (m, d) in manifests.into_iter().zip(dirs) {
        if m.run != first.run {
            return Err(InputError::file(
                &d.join(SHARD_MANIFEST),
                format!(
                    "this shard is of a different run from {}: its {} differ",
                    dirs[0].display(),
                    differences(&m.run, &first.run)
                ),
            ));
        }
        if m.shard.count != count || !(1..=count).contains(&m.shard.index) {
            return Err(InputError::file(
                &d.join(SHARD_MANIFEST),
                format!(
                    "this is shard {}/{} of the run, not one of the {count} shards of {}",
                    m.shard.index,
                    m.shard.count,
                    dirs[0].display()
                ),
            ));
        }
        let expected = simulate::shard_range(first.run.iterations, m.shard.index, count);
        if expected != Some(m.first..m.end) {
            return Err(InputError::file(
                &d.join(SHARD_MANIFEST),
                format!(
                    "shard {}/{count} should hold iterations {:?}, and this one says {} to {}",
                    m.shard.index, expected, m.first, m.end
                ),
            ));
        }
        let slot = &mut seen[m.shard.index - 1];
        if let Some((other, _)) = slot {
            return Err(InputError::file(
                d,
                format!(
                    "shard {}/{count} is given twice (also {})",
                    m.shard.index,
                    other.display()
                ),
            ));
        }
        *slot = Some((d.clone(), m));
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(InputError::usage(
            "DIR",
            format!(
                "shard {}/{count} of the run is missing: merge needs all {count} shards",
                missing + 1
            ),
        ));
    }
    Ok(seen.into_iter().flatten().collect())
}

/// The fields in which two shards' runs differ, in words.
fn differences(a: &ShardedRun, b: &ShardedRun) -> String {
    let fields = [
        ("program version", a.version != b.version || a.program != b.program),
        ("command or its options", a.command != b.command),
        ("scenario file", a.scenario != b.scenario),
        ("scenario's contents (SHA-256)", a.sha256 != b.sha256),
        ("seed", a.seed != b.seed),
        ("iterations", a.iterations != b.iterations),
        ("--set changes", a.set != b.set),
    ];
    let names: Vec<&str> = fields.iter().filter(|(_, d)| *d).map(|(n, _)| *n).collect();
    names.join(", ")
}

/// Checks that the scenario file the shards ran is here, unchanged.
fn check_scenario(dir: &Path, run: &ShardedRun, changes: &ScenarioChanges) -> Result<(), Error> {
    if !run.scenario.is_file() {
        return Err(InputError::file(
            &dir.join(SHARD_MANIFEST),
            format!(
                "the shards ran the scenario file {}, which is not here: run merge in the folder the shards ran in",
                run.scenario.display()
            ),
        )
        .into());
    }
    let loaded = load_unchecked(&run.scenario, changes)?;
    if loaded.scenario.sha256 != run.sha256 {
        return Err(InputError::file(
            &run.scenario,
            format!(
                "this file has changed since the shards ran (its SHA-256 is {}, theirs {}): the merged results would \
                 not be of this scenario; run the shards again",
                loaded.scenario.sha256, run.sha256
            ),
        )
        .into());
    }
    Ok(())
}
