//! `carecast merge`: the shards of one sweep combined into the table and plots an unsharded sweep writes, or the
//! shards of one run (`run --shard`, `evppi --shard`) into the outputs the unsharded command writes.

use super::shard::{merge_run_shards, MergedRun};
use super::{Context, Error, SweepOutcome};
use crate::error::InputError;
use crate::output::run_shard::SHARD_MANIFEST;
use crate::output::sweep::{read_manifest, read_shard, write_merged, Manifest, ShardRow};
use std::path::{Path, PathBuf};

/// What a merge made: a sweep's table, or a run's (or EVPPI analysis's) outputs.
#[derive(Debug)]
pub enum MergeOutcome {
    Sweep(SweepOutcome),
    Run(MergedRun),
}

/// Combines the shards in `dirs` (all of one sweep's or one run's shards, each once) into a new directory. Each of
/// `dirs` is a shard's own directory or a folder above shards, such as the `--out` folder a job array's task wrote
/// (`sweeps/task-3`) or the folder above them all (`sweeps`): the shards below are found by their `sweep.json` or
/// `shard.json`.
pub fn merge(ctx: Context, dirs: &[PathBuf]) -> Result<MergeOutcome, Error> {
    if dirs.is_empty() {
        return Err(InputError::usage("DIR", "name the shard directories to merge").into());
    }
    let dirs = &shard_dirs(dirs)?;
    let of_runs = dirs.iter().filter(|d| d.join(SHARD_MANIFEST).is_file()).count();
    if of_runs == dirs.len() {
        return Ok(MergeOutcome::Run(merge_run_shards(ctx, dirs)?));
    }
    if of_runs > 0 {
        return Err(InputError::usage(
            "DIR",
            "these folders hold shards of a sweep and shards of a run: merge one sharded command at a time",
        )
        .into());
    }
    Ok(MergeOutcome::Sweep(merge_sweep(&ctx, dirs)?))
}

/// Combines the shards of one sweep.
fn merge_sweep(ctx: &Context, dirs: &[PathBuf]) -> Result<SweepOutcome, Error> {
    let manifests: Vec<Manifest> = dirs.iter().map(|d| read_manifest(d)).collect::<Result<_, _>>()?;
    let first = &manifests[0];
    check_shards(dirs, &manifests)?;
    // Rows keyed by (scenario position, point), each shard's rows kept in their order within a point.
    let mut rows: Vec<ShardRow> = Vec::new();
    for (d, m) in dirs.iter().zip(&manifests) {
        rows.extend(read_shard(d, m)?);
    }
    rows.sort_by_key(|r| (r.scenario, r.point));
    let expected_points = first.grid.points() * first.scenarios.len();
    let mut distinct: Vec<(usize, usize)> = rows.iter().map(|r| (r.scenario, r.point)).collect();
    distinct.dedup();
    if distinct.len() != expected_points {
        return Err(InputError::usage(
            "DIR",
            format!(
                "the shards hold {} of the sweep's {expected_points} points: a shard is incomplete",
                distinct.len()
            ),
        )
        .into());
    }
    let manifest = Manifest {
        shard: None,
        ..first.identity()
    };
    let dir = ctx.run_dir("sweep", "merged")?;
    let dir = ctx.publish(dir, |dir| Ok(write_merged(dir, &manifest, &rows)?))?;
    Ok(SweepOutcome {
        dir,
        manifest,
        points: distinct.len(),
    })
}

/// Checks that the shards are all of one sweep, each given once, none missing.
fn check_shards(dirs: &[PathBuf], manifests: &[Manifest]) -> Result<(), InputError> {
    let first = &manifests[0];
    let count = first
        .shard
        .map(|s| s.count)
        .ok_or_else(|| InputError::file(&dirs[0], "this sweep was not sharded: there is nothing to merge"))?;
    let mut seen = vec![None::<&Path>; count];
    for (m, d) in manifests.iter().zip(dirs) {
        let same = Manifest {
            shard: first.shard,
            ..m.identity()
        };
        if same != first.identity() {
            return Err(InputError::file(
                d,
                format!(
                    "this shard is of a different sweep from {} (scenario files, their contents, seeds, iterations, the grid or the program version differ)",
                    dirs[0].display()
                ),
            ));
        }
        let s = m.shard.filter(|s| s.count == count).ok_or_else(|| {
            InputError::file(
                d,
                format!("this is not one of the {count} shards of {}", dirs[0].display()),
            )
        })?;
        if let Some(other) = seen[s.index - 1] {
            return Err(InputError::file(
                d,
                format!("shard {}/{count} is given twice (also {})", s.index, other.display()),
            ));
        }
        seen[s.index - 1] = Some(d);
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(InputError::usage(
            "DIR",
            format!("shard {}/{count} is missing", missing + 1),
        ));
    }
    Ok(())
}

/// How many folders below a named folder `merge` looks for shards: `sweeps/task-3/sweep/<run>` is three down from
/// `sweeps`.
const SEARCH_DEPTH: usize = 3;

/// Whether `dir` is a shard's own folder: a sweep's (`sweep.json`) or a run's (`shard.json`).
fn is_shard(dir: &Path) -> bool {
    dir.join("sweep.json").is_file() || dir.join(SHARD_MANIFEST).is_file()
}

/// The shard directories in `named`: each one that is a shard's folder as itself; any other, the shards' directories
/// below it (hidden, unfinished runs and merged sweeps left out), in name order.
fn shard_dirs(named: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for dir in named {
        if is_shard(dir) || !dir.is_dir() {
            // A missing or damaged manifest is reported by `read_manifest`, naming the file.
            out.push(dir.clone());
            continue;
        }
        let mut found = Vec::new();
        find_shards(dir, SEARCH_DEPTH, &mut found);
        if found.is_empty() {
            return Err(InputError::file(
                dir,
                format!(
                    "no shard here or up to {SEARCH_DEPTH} folders below (a shard's folder holds sweep.json or {SHARD_MANIFEST}): name the folders `sweep --shard K/N --out` or `run --shard K/N --out` wrote"
                ),
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Adds to `found` the shards' directories below `dir`, down to `depth` levels.
fn find_shards(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Hidden folders are runs still being written (or abandoned): never part of a merge.
        if entry.file_name().to_string_lossy().starts_with('.') || !path.is_dir() {
            continue;
        }
        if path.join(SHARD_MANIFEST).is_file() {
            found.push(path);
        } else if path.join("sweep.json").is_file() {
            if read_manifest(&path).is_ok_and(|m| m.shard.is_some()) {
                found.push(path);
            }
        } else if depth > 1 {
            find_shards(&path, depth - 1, found);
        }
    }
}
