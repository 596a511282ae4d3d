//! `carecast merge`: the shards of one sweep combined into the table and plots an unsharded run writes.

use super::{Context, Error, SweepOutcome};
use crate::error::InputError;
use crate::output::sweep::{read_manifest, read_shard, write_merged, Manifest, ShardRow};
use std::path::{Path, PathBuf};

/// Combines the shard directories `dirs` (all of one sweep's shards, each once) into a new directory.
pub fn merge(ctx: &Context, dirs: &[PathBuf]) -> Result<SweepOutcome, Error> {
    if dirs.is_empty() {
        return Err(InputError::usage("DIR", "name the shard directories to merge").into());
    }
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
