//! `carecast compare`: two or more finished runs side by side, written to `output/compare/<run-id>/`.

use super::{Context, Error};
use crate::analysis::compare::{compare as side_by_side, read_run, Comparison};
use crate::error::InputError;
use crate::output::compare::write_compare;
use std::path::{Path, PathBuf};

/// What `carecast compare` found, and where it wrote it.
pub struct CompareOutcome {
    pub comparison: Comparison,
    pub dir: PathBuf,
}

/// Reads each run in `dirs` (at least two, each a finished run of a compatible carecast) and writes them side by
/// side into a new directory.
pub fn compare(ctx: &Context, dirs: &[PathBuf]) -> Result<CompareOutcome, Error> {
    if dirs.len() < 2 {
        return Err(InputError::usage("RUN_DIR", "name two or more run directories to compare").into());
    }
    let runs = dirs.iter().map(|d| read_run(d)).collect::<Result<Vec<_>, _>>()?;
    let comparison = side_by_side(runs);
    let dir = ctx.run_dir("compare", &format!("{}-runs", dirs.len()))?;
    let dir = ctx.publish(dir, |dir: &Path| Ok(write_compare(dir, &comparison)?))?;
    Ok(CompareOutcome { comparison, dir })
}
