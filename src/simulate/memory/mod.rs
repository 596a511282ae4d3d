//! Memory: how many iterations' per-year values a run keeps, how much memory a whole run needs at its peak
//! (`estimate.rs`), and how much it may have here (`limits.rs`).

mod estimate;
mod limits;
#[cfg(test)]
mod tests;

pub use estimate::{
    largest_iterations_within, largest_streamed_iterations_within, memory_estimate, streamed_memory_estimate,
};
pub use limits::{memory_limit, Bytes, LimitSource, MemoryLimit};

use crate::model::Model;
use crate::simulate::kernel::live_bins;

/// Memory allowed for per-year values of individual iterations. They are kept for the first iterations only (at least
/// [`YEARLY_SAMPLE_MIN`]), which bounds memory at any number of iterations; percentiles come from them, means from all.
pub const YEARLY_SAMPLE_BYTES: usize = 64 << 20;

/// The fewest iterations whose per-year values are kept (when the run has that many).
pub const YEARLY_SAMPLE_MIN: usize = 1000;

/// The most iterations whose per-year values are kept: every percentile is of at most this many iterations (the
/// analysis's `stats::PERCENTILE_VALUES`, checked by a test there), so more would never be read. It also keeps the
/// sample within a run's first block ([`BLOCK`](crate::simulate::BLOCK)).
pub const YEARLY_SAMPLE_MAX: usize = 100_000;

/// How many iterations' per-year values a run of `model` for `iterations` iterations keeps.
pub fn yearly_sample_size(model: &Model, iterations: usize) -> usize {
    if !model.settings.keeps_sample {
        return 0;
    }
    let per_iteration = n_live_bins(model).max(1) * std::mem::size_of::<f32>();
    let fits = (YEARLY_SAMPLE_BYTES / per_iteration).max(YEARLY_SAMPLE_MIN);
    iterations.min(fits).min(YEARLY_SAMPLE_MAX)
}

/// How many of an iteration's per-year bins the kept sample holds: those some flow or cost can write.
pub(crate) fn n_live_bins(model: &Model) -> usize {
    live_bins(model).iter().filter(|&&l| l).count()
}
