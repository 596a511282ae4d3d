//! `carecast twoway`: two-way deterministic sensitivity analysis on the scenario at its parameters' means.

use super::{Context, Error};
use crate::analysis::sensitivity::{Deterministic, Measure};
use crate::analysis::twoway::{two_way, TwoWay};
use crate::model::compile_with;
use crate::output::twoway::{write_twoway_csv, write_twoway_figures};
use std::path::{Path, PathBuf};

/// Most values on each axis of a two-way grid: a grid of at most 101 × 101 one-iteration runs.
pub const MAX_TWOWAY_STEPS: usize = 101;

/// A finished two-way analysis.
#[derive(Debug)]
pub struct TwoWayOutcome {
    pub grids: Vec<TwoWay>,
    pub dir: PathBuf,
}

/// The measure over the grid of `x` and `y` values (each `(parameter, values)`) on the deterministic model, for
/// every comparison; writes twoway.csv and a heat map per comparison. A parameter the file fixes can be moved too.
pub fn twoway_analysis(
    ctx: &Context,
    path: &Path,
    x: (&str, &[f64]),
    y: (&str, &[f64]),
    measure: Measure,
) -> Result<TwoWayOutcome, Error> {
    let loaded = crate::model::load(path)?;
    let det = Deterministic::new(compile_with(&loaded.scenario, &[x.0.to_string(), y.0.to_string()])?);
    let grids = ctx.install(|| two_way(&det, x, y, measure))?;
    let model = &loaded.model;
    let dir = ctx.run_dir(&model.meta.name, "twoway")?;
    let dir = ctx.publish(dir, |dir| {
        write_twoway_csv(&dir.join("twoway.csv"), &grids)?;
        write_twoway_figures(dir, model, &grids)?;
        Ok(())
    })?;
    Ok(TwoWayOutcome { grids, dir })
}
