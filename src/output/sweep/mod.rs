//! A sweep's files: sweep.json (the manifest that tells which shards belong together, and records what the table
//! holds), sweep.csv (one row per grid point and comparison, written as each point finishes), reading shards back
//! for a merge and checking them (`shards.rs`), and the sweep plots (`plots.rs`).

mod plots;
mod shards;

pub use plots::write_plots;
pub use shards::{read_manifest, read_shard, write_merged, ShardRow};

use super::files::{text_cell, write_text, OutputError, UTF8_BOM};
use crate::analysis::Comparison;
use crate::model::{Grid, Shard};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What a sweep directory holds besides its table: enough to check that shards belong together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub program: String,
    pub version: String,
    pub scenarios: Vec<ScenarioEntry>,
    pub grid: Grid,
    /// `--set` changes that hold at every point, as written.
    #[serde(default)]
    pub overrides: Vec<String>,
    pub shard: Option<Shard>,
    /// What the directory's table holds, recorded when it was finished: how `merge` knows a shard is whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<Contents>,
}

/// What a sweep's table holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contents {
    /// Grid points computed, over all scenarios: every point of the grid, or of the shard's slice of it
    /// (points p with p mod N = K − 1 for shard K/N).
    pub points: usize,
    /// sweep.csv: its data rows (one per point and comparison), size in bytes and SHA-256.
    pub table: FileCheck,
}

/// A file's size and checksum, and its number of data rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileCheck {
    pub rows: usize,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    /// The sweep this manifest belongs to, without what one directory's table holds: equal for all its shards
    /// (their `shard` aside).
    pub fn identity(&self) -> Manifest {
        Manifest {
            contents: None,
            ..self.clone()
        }
    }
}

/// A swept scenario as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioEntry {
    pub name: String,
    pub file: String,
    pub sha256: String,
    pub seed: u64,
    pub iterations: usize,
    /// λ for the INMB and probability cost-effective columns.
    pub threshold: f64,
    pub primary_outcome: Option<String>,
    /// Rows each point has in the table: one per comparison.
    pub comparisons: usize,
}

/// The columns of sweep.csv after the varied parameters' values.
const RESULT_COLUMNS: [&str; 20] = [
    "arm",
    "comparator",
    "bcr",
    "bcr_p2_5",
    "bcr_p50",
    "bcr_p97_5",
    "prob_bcr_above_one",
    "net_savings",
    "net_savings_p2_5",
    "net_savings_p50",
    "net_savings_p97_5",
    "icer",
    "icer_quadrant",
    "lambda",
    "inmb",
    "inmb_p2_5",
    "inmb_p50",
    "inmb_p97_5",
    "prob_cost_effective",
    "iterations",
];

/// The header of sweep.csv: scenario, point, the varied parameters, then the results.
pub fn header(grid: &Grid) -> Vec<String> {
    let mut h = vec!["scenario".to_string(), "point".to_string()];
    h.extend(grid.axes.iter().map(|a| text_cell(&a.parameter)));
    h.extend(RESULT_COLUMNS.iter().map(|c| c.to_string()));
    h
}

/// A writer that keeps the SHA-256 and length of what passes through it.
struct Checksummed<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// sweep.csv being written, a point at a time, so that memory does not grow with the number of points; its
/// manifest, sweep.json, is written when the table is finished, with what the table holds.
pub struct SweepTable {
    dir: PathBuf,
    path: PathBuf,
    manifest: Manifest,
    writer: csv::Writer<Checksummed<BufWriter<fs::File>>>,
    rows: usize,
    points: usize,
}

impl SweepTable {
    /// Writes the header of `dir/sweep.csv`.
    pub fn create(dir: &Path, manifest: &Manifest) -> Result<Self, OutputError> {
        let path = dir.join("sweep.csv");
        let file = fs::File::create(&path).map_err(|e| OutputError::write(&path, e))?;
        let mut table = Checksummed {
            inner: BufWriter::new(file),
            hash: Sha256::new(),
            bytes: 0,
        };
        // The byte order mark is part of the table, and of its checksum, as in every CSV file carecast writes.
        table.write_all(UTF8_BOM).map_err(|e| OutputError::write(&path, e))?;
        let mut writer = csv::Writer::from_writer(table);
        writer
            .write_record(header(&manifest.grid))
            .map_err(|e| OutputError::write(&path, e))?;
        Ok(SweepTable {
            dir: dir.to_path_buf(),
            path,
            manifest: manifest.identity(),
            writer,
            rows: 0,
            points: 0,
        })
    }

    /// The rows of one point of one scenario: the varied values, then each comparison's results at λ.
    pub fn write_point(
        &mut self,
        scenario: &str,
        point: usize,
        values: &[f64],
        comparisons: &[Comparison],
        lambda: f64,
        iterations: usize,
    ) -> Result<(), OutputError> {
        for c in comparisons {
            let mut record = vec![text_cell(scenario), point.to_string()];
            record.extend(values.iter().map(|v| number(*v)));
            record.extend(result_cells(c, lambda, iterations));
            self.write_row(&csv::StringRecord::from(record))?;
        }
        self.points += 1;
        Ok(())
    }

    /// One row as it is (a merge copies the shards' rows).
    fn write_row(&mut self, record: &csv::StringRecord) -> Result<(), OutputError> {
        self.writer
            .write_record(record)
            .map_err(|e| OutputError::write(&self.path, e))?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes the table to disk and writes sweep.json with its points, rows, size and checksum.
    pub fn finish(mut self) -> Result<Manifest, OutputError> {
        self.writer.flush().map_err(|e| OutputError::write(&self.path, e))?;
        let inner = self
            .writer
            .into_inner()
            .map_err(|e| OutputError::write(&self.path, e.to_string()))?;
        let mut manifest = self.manifest;
        manifest.contents = Some(Contents {
            points: self.points,
            table: FileCheck {
                rows: self.rows,
                bytes: inner.bytes,
                sha256: inner.hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            },
        });
        write_manifest(&self.dir, &manifest)?;
        Ok(manifest)
    }
}

/// Writes `dir/sweep.json`.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), OutputError> {
    let path = dir.join("sweep.json");
    let json = serde_json::to_string_pretty(manifest).map_err(|e| OutputError::write(&path, e))?;
    write_text(&path, &(json + "\n"))
}

/// A number as the shortest text that reads back to the same value; empty for "none".
fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn result_cells(c: &Comparison, lambda: f64, iterations: usize) -> Vec<String> {
    let opt = |x: Option<f64>| x.map_or(String::new(), number);
    let bcr = c.bcr_distribution;
    let inmb = c.inmb;
    vec![
        text_cell(&c.arm),
        text_cell(&c.comparator),
        opt(c.bcr),
        opt(bcr.map(|s| s.p2_5)),
        opt(bcr.map(|s| s.p50)),
        opt(bcr.map(|s| s.p97_5)),
        opt(c.prob_bcr_above_one),
        number(c.net_savings.mean),
        number(c.net_savings.p2_5),
        number(c.net_savings.p50),
        number(c.net_savings.p97_5),
        opt(c.icer.and_then(|i| i.value)),
        c.icer.map_or(String::new(), |i| {
            serde_json::to_value(i.quadrant).map_or(String::new(), |v| v.as_str().unwrap_or("").to_string())
        }),
        number(lambda),
        opt(inmb.map(|s| s.mean)),
        opt(inmb.map(|s| s.p2_5)),
        opt(inmb.map(|s| s.p50)),
        opt(inmb.map(|s| s.p97_5)),
        opt(c.prob_cost_effective),
        iterations.to_string(),
    ]
}
