//! Reading a shard of a sweep back for `merge`, and refusing one that is not whole: every row must be a point of the
//! shard's slice with the grid's values at that point, every point must have exactly its rows, and the table must
//! be byte for byte what the shard recorded when it finished (its size and SHA-256).

use super::{header, number, Manifest, SweepTable};
use crate::error::InputError;
use crate::output::files::{text_cell, OutputError};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Reads a sweep directory's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, InputError> {
    let path = dir.join("sweep.json");
    let text = fs::read_to_string(&path).map_err(|e| {
        InputError::file(
            &path,
            format!("not a carecast sweep directory (cannot read sweep.json: {e})"),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| InputError::file(&path, format!("not a carecast sweep manifest: {e}")))
}

/// One row of a shard's sweep.csv, with the position of its scenario in the manifest and its grid point.
pub struct ShardRow {
    pub scenario: usize,
    pub point: usize,
    pub record: csv::StringRecord,
}

/// Reads the rows of the shard in `dir`, whose manifest is `manifest`, and checks that they are exactly the rows it
/// recorded: every problem names the file and, where there is one, the line and the point.
pub fn read_shard(dir: &Path, manifest: &Manifest) -> Result<Vec<ShardRow>, InputError> {
    let path = dir.join("sweep.csv");
    let contents = manifest.contents.as_ref().ok_or_else(|| {
        InputError::file(
            &dir.join("sweep.json"),
            "this shard's manifest does not record what its table holds (it was written by an older carecast, or \
             before the shard finished); run the shard again",
        )
    })?;
    let bytes = fs::read(&path).map_err(|e| InputError::file(&path, format!("cannot read the shard's table: {e}")))?;
    let rows = parse_rows(&path, &bytes, manifest)?;
    check_points(&path, &rows, manifest)?;
    let table = &contents.table;
    let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    if rows.len() != table.rows || bytes.len() as u64 != table.bytes || sha256 != table.sha256 {
        return Err(InputError::file(
            &path,
            format!(
                "the table is not the one this shard wrote: it has {} rows and {} bytes, SHA-256 {sha256}, where the \
                 shard recorded {} rows and {} bytes, SHA-256 {}; it was changed after the shard finished",
                rows.len(),
                bytes.len(),
                table.rows,
                table.bytes,
                table.sha256
            ),
        ));
    }
    Ok(rows)
}

/// Parses the rows, checking each one's scenario, point and varied values against the grid.
fn parse_rows(path: &Path, bytes: &[u8], manifest: &Manifest) -> Result<Vec<ShardRow>, InputError> {
    let at = |line: u64, message: String| InputError {
        line: line as usize,
        column: 1,
        ..InputError::file(path, message)
    };
    let mut reader = csv::Reader::from_reader(bytes);
    let h: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::file(path, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    if h != header(&manifest.grid) {
        return Err(InputError::file(path, "its columns are not those of this sweep"));
    }
    let grid = &manifest.grid;
    let axes = grid.axes.len();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| InputError::file(path, format!("a row is damaged: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        let scenario = manifest
            .scenarios
            .iter()
            .position(|s| text_cell(&s.name) == record[0])
            .ok_or_else(|| at(line, format!("a row names scenario `{}`, not in the sweep", &record[0])))?;
        let point: usize = record[1]
            .parse()
            .map_err(|_| at(line, format!("a row's point `{}` is not a number", &record[1])))?;
        if point >= grid.points() {
            return Err(at(
                line,
                format!("point {point} is not in the grid, which has {} points", grid.points()),
            ));
        }
        if let Some(shard) = manifest.shard.filter(|s| !s.includes(point)) {
            return Err(at(
                line,
                format!(
                    "point {point} is not one of shard {}/{}'s points (it belongs to shard {}/{})",
                    shard.index,
                    shard.count,
                    point % shard.count + 1,
                    shard.count
                ),
            ));
        }
        let expected: Vec<String> = grid.at(point).iter().map(|v| number(*v)).collect();
        if (0..axes).any(|k| record[2 + k] != expected[k]) {
            return Err(at(
                line,
                format!(
                    "point {point}'s varied values are {}, not the grid's {} at that point",
                    (0..axes).map(|k| &record[2 + k]).collect::<Vec<_>>().join(", "),
                    expected.join(", ")
                ),
            ));
        }
        rows.push(ShardRow {
            scenario,
            point,
            record,
        });
    }
    Ok(rows)
}

/// Checks that every point of the shard's slice has exactly its rows, for every scenario, and no point more.
fn check_points(path: &Path, rows: &[ShardRow], manifest: &Manifest) -> Result<(), InputError> {
    let mut counts: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for r in rows {
        *counts.entry((r.scenario, r.point)).or_default() += 1;
    }
    for (s, scenario) in manifest.scenarios.iter().enumerate() {
        for point in (0..manifest.grid.points()).filter(|&p| manifest.shard.is_none_or(|sh| sh.includes(p))) {
            let found = counts.get(&(s, point)).copied().unwrap_or(0);
            if found != scenario.comparisons {
                return Err(InputError::file(
                    path,
                    format!(
                        "scenario `{}`, point {point}: {found} rows where the point has {} (one per comparison); the \
                         table is cut short, or rows were repeated or removed",
                        scenario.name, scenario.comparisons
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Writes a merged sweep: the rows in the order given, its manifest with what the table holds, and its plots.
pub fn write_merged(dir: &Path, manifest: &Manifest, rows: &[ShardRow]) -> Result<(), OutputError> {
    let mut table = SweepTable::create(dir, manifest)?;
    let mut previous = None;
    for r in rows {
        table.write_row(&r.record)?;
        if previous != Some((r.scenario, r.point)) {
            table.points += 1;
            previous = Some((r.scenario, r.point));
        }
    }
    let manifest = table.finish()?;
    super::write_plots(dir, &manifest).map(|_| ())
}
