//! Simulation: the parallel PSA engine, the per-iteration kernel, and the results they produce.

mod blocks;
mod chunk;
mod engine;
mod finish_lanes;
pub mod kernel;
mod memory;
mod payback;
mod range;
mod results;
mod streams;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_model_size;
#[cfg(test)]
mod tests_time;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

pub use blocks::{block_pieces, Reblocker};
pub use engine::{join, parameter_values, run, run_blocks, run_piece, run_range, shard_range, BlocksRun, CHUNK};
pub use memory::{
    largest_iterations_within, largest_streamed_iterations_within, memory_estimate, memory_limit,
    streamed_memory_estimate, yearly_sample_size, Bytes, LimitSource, MemoryLimit, YEARLY_SAMPLE_BYTES,
    YEARLY_SAMPLE_MAX, YEARLY_SAMPLE_MIN,
};
pub use range::RangeResults;
pub use results::Results;
pub use streams::iteration_rng;

/// Iterations per block of a run analysed a block at a time (see [`run_blocks`]): whole chunks, and at least
/// [`YEARLY_SAMPLE_MAX`], so the first block holds the run's kept per-year sample and its first 100,000 iterations.
/// 2^17 iterations of the reference model's results take about 60 MiB.
pub const BLOCK: usize = 1 << 17;

const _: () = assert!(BLOCK.is_multiple_of(CHUNK) && BLOCK >= YEARLY_SAMPLE_MAX);

/// The message of a run stopped by [`Progress::cancel`] (Ctrl-C).
pub const INTERRUPTED: &str = "the run was interrupted before it finished; nothing was written";

/// Why a run did not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimulationError {
    /// An iteration could not be completed: a probability outside [0, 1] or a value that is not a finite number.
    #[error("iteration {iteration} failed: {what}.\nSampled parameter values in that iteration: {values}")]
    IterationFailed {
        iteration: usize,
        /// The arm, and what went wrong there, naming the quantity.
        what: String,
        /// Every sampled parameter's value in that iteration, "name = value, ...".
        values: String,
    },
    /// The run was stopped through [`Progress::cancel`].
    #[error("{INTERRUPTED}")]
    Interrupted,
}

/// Progress of a run, shared with whoever displays it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Units of work (iterations of a run, points of a sweep) completed so far.
    pub done: AtomicUsize,
    /// Units of work in all, set when the work starts (0 until then).
    pub total: AtomicUsize,
    /// Set to ask the run to stop early.
    pub cancel: Arc<AtomicBool>,
}

impl Progress {
    /// Sets the units of work in all, unless the command has set them already: a command whose work comes in several
    /// simulations (a run with its extra runs and subgroups) sets the whole first, and the count goes on across them.
    pub fn set_total(&self, units: usize) {
        let _ = self
            .total
            .compare_exchange(0, units, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Counters of their own for a part of the work (one point of a sweep), stopped by the same cancellation.
    pub fn part(&self) -> Progress {
        Progress {
            cancel: Arc::clone(&self.cancel),
            ..Progress::default()
        }
    }
}
