//! One PSA iteration: evaluate the model's programs for the sampled parameters and run every arm over the horizon.
//!
//! This is the hot path. Everything it needs is laid out as index arrays when the workspace is built; per iteration
//! it allocates nothing and looks nothing up by name. Values go into per-year "bins" of the kernel columns only
//! (see [`Model::kernel_columns`]).

mod general;
mod lane_ops;
mod lane_workspace;
mod lanes;
mod lanes_boundary;
mod live_bins;
mod programme;
mod sampling;
mod sparse;
mod workspace;

use crate::model::Model;

pub use crate::dist::LANES;
pub use general::simulate_iteration;
pub(crate) use lane_ops::add_lanes;
pub use lane_ops::Lanes;
pub use lanes::{lanes_supported, simulate_lanes};
pub use live_bins::live_bins;
pub use sampling::{sample_parameters, sample_parameters_lanes};
pub use workspace::Workspace;

/// Why an iteration could not be completed (an invalid probability or a non-finite value).
#[derive(Debug, Clone, PartialEq)]
pub struct IterationFailure {
    /// The arm being simulated.
    pub arm: usize,
    /// What went wrong, naming the quantity.
    pub message: String,
}

/// A readable name of a value column (a full column, see [`Columns`](crate::model::Columns)).
pub fn column_name(model: &Model, column: usize) -> String {
    let Some((kind, payer)) = model.columns().cost_of(column) else {
        return format!("outcome `{}`", model.outcomes[column - model.columns().cost_columns()]);
    };
    let payer = model.payers.name(payer);
    match kind {
        "care" => format!("{payer} care costs"),
        "cashable_care" => format!("{payer} cashable care costs"),
        _ => format!("{payer} intervention spend"),
    }
}
