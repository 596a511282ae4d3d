//! A shard of a sharded PSA (`run --shard` or `evppi --shard`): `shard.json`, the manifest that says which run it is
//! part of and what it holds, and the files of results of each simulation the command makes (`part-1.bin`, ...; a
//! shard of more than one block writes a simulation in pieces that end at block boundaries, `part-1.bin`,
//! `part-1-2.bin`, ..., so that neither the shard nor the merge holds more than a piece), each recorded with its size
//! and SHA-256 so that `merge` refuses a file that is cut short or changed.

use super::files::{write_text, OutputError};
use crate::error::InputError;
use crate::model::Shard;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

/// The manifest's file name: what marks a folder as a shard of a run.
pub const SHARD_MANIFEST: &str = "shard.json";

/// What a shard of a run holds, and everything that must be the same for shards to be of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunShardManifest {
    /// The run every shard is part of: equal in all of its shards.
    pub run: ShardedRun,
    /// Which shard this is, and where the index and count came from ("--shard", or the scheduler's variable).
    pub shard: Shard,
    pub shard_from: String,
    /// The run's iterations this shard ran: `first..end`.
    pub first: usize,
    pub end: usize,
    /// Per simulation, in the order the command makes them, the files of its pieces in order.
    pub parts: Vec<Vec<PartFile>>,
    /// Seconds the shard's simulations took (not part of the identity).
    pub simulation_seconds: f64,
}

/// The run a shard belongs to: its command, program, scenario (by path and content), seed, iterations and changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardedRun {
    pub program: String,
    pub version: String,
    pub command: ShardedCommand,
    pub scenario: PathBuf,
    pub sha256: String,
    pub seed: u64,
    pub iterations: usize,
    /// The `--set` changes, as `NAME=VALUE` or `NAME.FIELD=VALUE`, in order.
    pub set: Vec<String>,
}

/// The sharded command, with the options that shape its outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum ShardedCommand {
    /// `carecast run`: which iterations the per-iteration files keep (None: all), and whether gzipped.
    Run { keep_first: Option<usize>, gzip: bool },
    /// `carecast evppi`: λ as given (None: the scenario's threshold) and the named groups.
    Evppi {
        lambda: Option<f64>,
        groups: Vec<(String, Vec<String>)>,
    },
}

/// One file of a shard's results, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartFile {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Writes piece `piece` of part `index` (both 0-based) of a shard into `dir` and returns its record for the manifest.
pub fn write_part(dir: &Path, (index, piece): (usize, usize), bytes: &[u8]) -> Result<PartFile, OutputError> {
    let file = match piece {
        0 => format!("part-{}.bin", index + 1),
        _ => format!("part-{}-{}.bin", index + 1, piece + 1),
    };
    let path = dir.join(&file);
    fs::write(&path, bytes).map_err(|e| OutputError::write(&path, e))?;
    Ok(PartFile {
        file,
        bytes: bytes.len() as u64,
        sha256: sha256(bytes),
    })
}

/// Writes the manifest last, so that a folder holding one is a finished shard.
pub fn write_shard_manifest(dir: &Path, manifest: &RunShardManifest) -> Result<(), OutputError> {
    let text = serde_json::to_string_pretty(manifest).map_err(|e| OutputError::write(dir, e.to_string()))?;
    write_text(&dir.join(SHARD_MANIFEST), &(text + "\n"))
}

/// Reads a shard's manifest.
pub fn read_shard_manifest(dir: &Path) -> Result<RunShardManifest, InputError> {
    let path = dir.join(SHARD_MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| {
        InputError::file(
            &path,
            format!("not a carecast shard (cannot read {SHARD_MANIFEST}: {e})"),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| InputError::file(&path, format!("not a carecast shard manifest: {e}")))
}

/// How many pieces part `index` (0-based) of the shard has, or why it has none.
pub fn part_pieces(dir: &Path, manifest: &RunShardManifest, index: usize) -> Result<usize, InputError> {
    match manifest.parts.get(index) {
        Some(pieces) if !pieces.is_empty() => Ok(pieces.len()),
        Some(_) => Err(InputError::file(
            &dir.join(SHARD_MANIFEST),
            "a simulation of the shard has no files",
        )),
        None => Err(InputError::file(
            &dir.join(SHARD_MANIFEST),
            format!(
                "the shard holds {} simulations, and the run needs more: it was made by a command that simulates less",
                manifest.parts.len()
            ),
        )),
    }
}

/// Reads piece `piece` of part `index` (both 0-based) of the shard in `dir`, checking it is the file the shard wrote.
pub fn read_part(
    dir: &Path,
    manifest: &RunShardManifest,
    (index, piece): (usize, usize),
) -> Result<Vec<u8>, InputError> {
    part_pieces(dir, manifest, index)?;
    let record = manifest.parts[index].get(piece).ok_or_else(|| {
        InputError::file(
            &dir.join(SHARD_MANIFEST),
            format!("the shard's simulation {} has no piece {}", index + 1, piece + 1),
        )
    })?;
    let path = dir.join(&record.file);
    let bytes =
        fs::read(&path).map_err(|e| InputError::file(&path, format!("cannot read the shard's results: {e}")))?;
    let digest = sha256(&bytes);
    if bytes.len() as u64 != record.bytes || digest != record.sha256 {
        return Err(InputError::file(
            &path,
            format!(
                "these are not the results the shard wrote: the file has {} bytes, SHA-256 {digest}, where the shard \
                 recorded {} bytes, SHA-256 {}; it was cut short or changed after the shard finished; run the shard again",
                bytes.len(),
                record.bytes,
                record.sha256
            ),
        ));
    }
    Ok(bytes)
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
